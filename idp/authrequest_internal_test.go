package idp

import (
	"testing"

	"github.com/zitadel/oidc/v3/pkg/op"
)

// The library treats any request that satisfies op.AuthRequest as a code
// exchange, so a refresh request must not.
func TestRefreshRequestIsNotAuthRequest(t *testing.T) {
	var r any = &refreshTokenRequest{}
	if _, ok := r.(op.AuthRequest); ok {
		t.Error("refreshTokenRequest satisfies op.AuthRequest")
	}
}
