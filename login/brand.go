package login

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Brand is the company's look on the hosted pages: a logo and an accent
// colour. The zero value is the default look.
type Brand struct {
	// Logo is an image shown in the page header before the product name
	// and served at /static/logo. Nil shows the name alone.
	Logo []byte
	// LogoType is the Content-Type of Logo.
	LogoType string
	// Accent is a colour "#rrggbb" for buttons, links and focus rings,
	// served in /static/brand.css because the Content Security Policy
	// allows no inline style. Empty keeps the default blue.
	Accent string
}

// MaxLogoSize bounds the logo file: it is held in memory and sent with
// every first page view.
const MaxLogoSize = 256 << 10

// minAccentContrast is the WCAG 2.2 AA contrast for normal text: the
// accent is the colour of links on white and the background of buttons
// with white text.
const minAccentContrast = 4.5

// CheckAccent reports whether accent is a colour "#rrggbb" that white
// text and a white page both contrast with at WCAG 2.2 AA.
func CheckAccent(accent string) error {
	if len(accent) != 7 || accent[0] != '#' {
		return fmt.Errorf("accent colour %q: want #rrggbb", accent)
	}
	v, err := strconv.ParseUint(accent[1:], 16, 32)
	if err != nil {
		return fmt.Errorf("accent colour %q: want #rrggbb", accent)
	}
	ratio := 1.05 / (luminance(uint32(v)) + 0.05)
	if ratio < minAccentContrast {
		return fmt.Errorf("accent colour %s: contrast with white is %.1f:1, want at least %.1f:1 (WCAG AA); choose a darker colour",
			accent, ratio, minAccentContrast)
	}
	return nil
}

// luminance is the relative luminance of an sRGB colour 0xrrggbb as WCAG
// defines it.
func luminance(rgb uint32) float64 {
	channel := func(c uint32) float64 {
		s := float64(c) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*channel(rgb>>16&0xff) + 0.7152*channel(rgb>>8&0xff) + 0.0722*channel(rgb&0xff)
}

// LoadLogo reads a PNG, JPEG, GIF, WebP or SVG logo of at most
// MaxLogoSize bytes and returns it with its Content-Type.
func LoadLogo(path string) ([]byte, string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, "", fmt.Errorf("read logo: %w", err)
	}
	if info.Size() > MaxLogoSize {
		return nil, "", fmt.Errorf("logo %s: %d bytes, want at most %d", path, info.Size(), MaxLogoSize)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("read logo: %w", err)
	}
	if strings.EqualFold(filepath.Ext(path), ".svg") && bytes.Contains(data, []byte("<svg")) {
		return data, "image/svg+xml", nil
	}
	switch kind := http.DetectContentType(data); kind {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return data, kind, nil
	default:
		return nil, "", fmt.Errorf("logo %s is %s: want PNG, JPEG, GIF, WebP or SVG", path, kind)
	}
}

// Paths of the brand files.
const (
	pathBrandCSS = "/static/brand.css"
	pathLogo     = "/static/logo"
)

// brandCSS serves the accent colour as CSS custom properties that
// style.css uses.
func (h *Handler) brandCSS(w http.ResponseWriter, r *http.Request) {
	h.setSecurityHeaders(w)
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	if h.brand.Accent == "" {
		return
	}
	// CheckAccent admitted only #rrggbb, so the value is safe in CSS.
	fmt.Fprintf(w, ":root { --accent: %s; --focus: %s; }\n", h.brand.Accent, h.brand.Accent)
}

// logo serves the configured logo, or 404 without one.
func (h *Handler) logo(w http.ResponseWriter, r *http.Request) {
	h.setSecurityHeaders(w)
	if len(h.brand.Logo) == 0 {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", h.brand.LogoType)
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(h.brand.Logo)
}
