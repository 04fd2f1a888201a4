// Reloads the "Check your email" page every few seconds, so that it
// notices a link opened in another tab, but never while the user is
// typing the code: a reload would throw their input away. Without
// JavaScript, a meta refresh inside <noscript> does the same.
"use strict";

(function () {
  var seconds = 5;
  setInterval(function () {
    var code = document.getElementById("code");
    if (code && (code.value !== "" || document.activeElement === code)) return;
    window.location.reload();
  }, seconds * 1000);
})();
