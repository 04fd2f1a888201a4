package login_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hotelsoft/idp/store"
)

func TestPasswordOnlyEssentialACR(t *testing.T) {
	e := newEnv(t)
	userID := e.addUser("ana@example.com")
	e.browser().signUp("ana@example.com")
	if err := e.st.SetExemption(context.Background(), store.Exemption{UserID: userID, Reason: "shared desk", CreatedAt: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}

	// An essential acr claim of 2fa counts like acr_values=2fa.
	b := e.browser()
	claims := `{"id_token":{"acr":{"essential":true,"values":["2fa"]}}}`
	loginPath, _ := b.authorize(url.Values{"claims": {claims}})
	p := b.signInPassword(loginPath, "ana@example.com", testPassword)
	p.wantStatus(t, http.StatusSeeOther)
	if !strings.HasPrefix(p.location, "/login/2fa") {
		t.Errorf("essential 2fa: Location %q, want the second factor", p.location)
	}
	if !e.authRequestOf(loginPath).DoneAt.IsZero() {
		t.Error("essential 2fa: auth request completed with the password alone")
	}

	// An essential 1fa leaves the exception in force.
	b = e.browser()
	claims = `{"id_token":{"acr":{"essential":true,"values":["1fa"]}}}`
	loginPath, _ = b.authorize(url.Values{"claims": {claims}})
	b.signInPassword(loginPath, "ana@example.com", testPassword).wantStatus(t, http.StatusSeeOther)
	e.wantCompleted(loginPath, []string{"pwd"}, "1fa")
}
