package login

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"

	"github.com/hotelsoft/idp/i18n"
	"github.com/hotelsoft/idp/templates"
)

// loadPages parses the templates and checks every message ID against the
// catalogue.
func (h *Handler) loadPages() error {
	catalogue, err := i18n.Load()
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	required := slices.Concat(requiredPages, accountPages)
	pages, err := templates.Parse(template.FuncMap{templates.TranslateFunc: translateStub}, required)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	ids := slices.Concat(pages.MessageIDs(), runtimeMessageIDs, accountMessageIDs())
	if missing := catalogue.Missing(ids); len(missing) > 0 {
		return fmt.Errorf("login: message catalogue lacks %d messages: %s", len(missing), strings.Join(missing, ", "))
	}
	h.catalogue, h.pages = catalogue, pages
	return nil
}

// translateStub is the translate function while parsing; Execute replaces
// it per request.
func translateStub(id string, args ...any) (string, error) {
	return "", errors.New("translate called outside a request")
}

// view is one page to render.
type view struct {
	page   string
	status int // zero means 200
	// alert is the message ID of an error shown above the page content,
	// with alertData filling its placeholders.
	alert     string
	alertData map[string]any
	// uiLocales are the ui_locales of the auth request, the strongest
	// choice of language.
	uiLocales []string
	// userLocale is the saved language of the user the page is for, when
	// the handler has loaded the user; otherwise render looks up the user
	// of the browser's session when it needs the saved language.
	userLocale string
	data       any
}

// layout is the data every template receives; Page holds the page's own.
type layout struct {
	Lang    string
	Product string
	// Logo and Accent tell whether Brand has a logo and an accent colour.
	Logo, Accent bool
	CSRF         string
	Alert        string
	// Languages are the entries of the language switcher; nil hides it.
	Languages []languageLink
	Page      any
}

// translator returns the function that translates a message ID with its
// placeholder pairs into loc's language. A failure is logged with ctx and
// shows the ID instead.
func (h *Handler) translator(ctx context.Context, loc *i18n.Localizer) func(id string, args ...any) string {
	return func(id string, args ...any) string {
		data, err := pairs(args)
		if err == nil {
			var s string
			if s, err = loc.Translate(id, data); err == nil {
				return s
			}
		}
		h.logger.ErrorContext(ctx, "translate message", "message_id", id, "lang", loc.Lang(), "err", err)
		return id
	}
}

// render writes v as an HTML page in the language of the request.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, v view) {
	loc := h.catalogue.Localizer(h.pageLanguage(r, v.uiLocales, v.userLocale))
	translate := h.translator(r.Context(), loc)

	l := layout{Lang: loc.Lang(), Product: h.product, Page: v.data,
		Logo: len(h.brand.Logo) > 0, Accent: h.brand.Accent != ""}
	if offersSwitcher(r, v) {
		l.Languages = h.languageLinks(r, loc.Tag())
	}
	if id := browserFrom(r.Context()); id != "" {
		l.CSRF = h.csrfToken(id)
	}
	if v.alert != "" {
		l.Alert = translate(v.alert, flatten(v.alertData)...)
	}
	if e, ok := v.data.(errorPage); ok {
		l.Page = errorPage{Message: translate(e.Message)}
	}

	status := v.status
	if status == 0 {
		status = http.StatusOK
	}
	var body strings.Builder
	// The pages keep their functions per language, so the one they get
	// must not hold the request.
	funcs := template.FuncMap{templates.TranslateFunc: h.translator(context.Background(), loc)}
	if err := h.pages.Execute(&body, v.page, loc.Tag().String(), funcs, l); err != nil {
		h.logger.ErrorContext(r.Context(), "render page", "page", v.page, "err", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", l.Lang)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(body.String()))
	}
}

// errorPage is the data of the error page. Message holds a message ID,
// which render translates.
type errorPage struct {
	Message string
}

// fail renders the error page with a message that tells the user what to
// do next.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, messageID string) {
	h.render(w, r, view{page: pageError, status: status, data: errorPage{Message: messageID}})
}

// serverError logs a server fault and renders a generic error page. The
// browser learns nothing about the cause.
func (h *Handler) serverError(w http.ResponseWriter, r *http.Request, op string, err error) {
	h.logger.ErrorContext(r.Context(), "hosted page failed", "op", op, "path", r.URL.Path, "err", err)
	h.fail(w, r, http.StatusInternalServerError, msgErrorServer)
}

// pairs turns alternating names and values into template data.
func pairs(args []any) (map[string]any, error) {
	if len(args)%2 != 0 {
		return nil, fmt.Errorf("translate: %d arguments, want name and value pairs", len(args))
	}
	if len(args) == 0 {
		return nil, nil
	}
	data := make(map[string]any, len(args)/2)
	for i := 0; i < len(args); i += 2 {
		name, ok := args[i].(string)
		if !ok {
			return nil, fmt.Errorf("translate: argument %d is %T, want a placeholder name", i, args[i])
		}
		data[name] = args[i+1]
	}
	return data, nil
}

func flatten(data map[string]any) []any {
	args := make([]any, 0, 2*len(data))
	for k, v := range data {
		args = append(args, k, v)
	}
	return args
}
