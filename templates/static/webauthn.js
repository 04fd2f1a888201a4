// Security keys and passkeys on the hosted pages.
//
// Every element with a data-webauthn attribute ("register", "assert" or
// "passkey") gets its button wired to one WebAuthn ceremony: POST to
// data-begin for the options, call navigator.credentials.create or .get,
// POST the result to data-finish, then go to the "next" URL the server
// returns. Both requests carry the page's CSRF token in the X-CSRF-Token
// header. The server keeps the ceremony state; this script holds none.
"use strict";

(function () {
  function toBytes(b64url) {
    var b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function toB64url(buf) {
    var bytes = new Uint8Array(buf);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function decodeDescriptors(list) {
    return (list || []).map(function (d) {
      return Object.assign({}, d, { id: toBytes(d.id) });
    });
  }

  // creationOptions turns the server's JSON into the ArrayBuffers that
  // navigator.credentials.create expects.
  function creationOptions(json) {
    var pk = Object.assign({}, json.publicKey);
    pk.challenge = toBytes(pk.challenge);
    pk.user = Object.assign({}, pk.user, { id: toBytes(pk.user.id) });
    pk.excludeCredentials = decodeDescriptors(pk.excludeCredentials);
    return { publicKey: pk };
  }

  function requestOptions(json) {
    var pk = Object.assign({}, json.publicKey);
    pk.challenge = toBytes(pk.challenge);
    pk.allowCredentials = decodeDescriptors(pk.allowCredentials);
    return { publicKey: pk };
  }

  function encodeCredential(cred) {
    var r = cred.response;
    var response = { clientDataJSON: toB64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toB64url(r.attestationObject);
      if (r.getTransports) response.transports = r.getTransports();
    } else {
      response.authenticatorData = toB64url(r.authenticatorData);
      response.signature = toB64url(r.signature);
      if (r.userHandle) response.userHandle = toB64url(r.userHandle);
    }
    return {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      response: response,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      authenticatorAttachment: cred.authenticatorAttachment || undefined
    };
  }

  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {})
    }).then(function (res) {
      return res.json().then(function (data) {
        if (!res.ok) throw new Error(data.error || "");
        return data;
      });
    });
  }

  function wire(el) {
    var mode = el.getAttribute("data-webauthn");
    var csrf = el.getAttribute("data-csrf");
    var button = el.querySelector("[data-webauthn-start]");
    var alert = el.querySelector("[data-webauthn-alert]");
    var nameInput = el.querySelector("input[name=name]");

    function show(message) {
      alert.textContent = message || el.getAttribute("data-failed");
      alert.hidden = false;
      button.disabled = false;
    }

    if (!window.PublicKeyCredential || !navigator.credentials) {
      if (mode !== "passkey") show(el.getAttribute("data-unsupported"));
      if (button) button.disabled = true;
      return;
    }
    el.hidden = false;

    button.addEventListener("click", function () {
      button.disabled = true;
      alert.hidden = true;
      post(el.getAttribute("data-begin"), csrf).then(function (options) {
        if (options.next) {
          window.location.assign(options.next);
          return null;
        }
        if (mode === "register") return navigator.credentials.create(creationOptions(options));
        return navigator.credentials.get(requestOptions(options));
      }).then(function (cred) {
        if (!cred) return null;
        var body = { credential: encodeCredential(cred) };
        if (nameInput) body.name = nameInput.value;
        return post(el.getAttribute("data-finish"), csrf, body);
      }).then(function (result) {
        if (result && result.next) window.location.assign(result.next);
      }).catch(function (err) {
        // A DOMException means the user cancelled or the key refused;
        // the server's message explains a rejected response.
        show(err instanceof DOMException ? "" : err.message);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var els = document.querySelectorAll("[data-webauthn]");
    for (var i = 0; i < els.length; i++) wire(els[i]);
  });
})();
