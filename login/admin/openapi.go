package admin

import (
	_ "embed"
	"net/http"
)

// openAPIDocument describes the admin API (OpenAPI 3.1).
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPI serves the API description without credentials, so that
// integrators and tools can read it.
func (api *API) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(openAPIDocument)
}
