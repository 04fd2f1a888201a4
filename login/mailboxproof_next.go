package login

import (
	"net/http"
	"net/url"
)

// The methods a mailbox proof can precede, as the value of the query
// parameter then of the proof page. After the proof the browser goes
// straight on to the chosen method rather than back to the method choice.
const (
	proofThenTOTP = "totp"
	proofThenKey  = "key"
)

// proofNext maps each value of then to the page of its method.
var proofNext = map[string]string{
	proofThenTOTP: pathTOTP,
	proofThenKey:  pathKeyRegister,
}

// mailboxProofURL returns the proof page of the auth request
// authRequestID, which goes on to the method then after the proof.
func mailboxProofURL(authRequestID, then string) string {
	q := url.Values{}
	if authRequestID != "" {
		q.Set("id", authRequestID)
	}
	if _, ok := proofNext[then]; ok {
		q.Set("then", then)
	}
	return localURL(pathMailboxProof, q)
}

// afterMailboxProof returns where the proof page of r sends the browser
// once the mailbox is proven: the method named by then, or the method
// choice for a missing or unknown value.
func afterMailboxProof(r *http.Request, authRequestID string) string {
	if path, ok := proofNext[r.URL.Query().Get("then")]; ok {
		return withID(path, authRequestID)
	}
	return withID(pathMethod, authRequestID)
}
