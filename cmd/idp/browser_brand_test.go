package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeLogo writes a small PNG and returns its path.
func writeLogo(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 32))
	for x := range 64 {
		for y := range 32 {
			img.Set(x, y, color.RGBA{0x8a, 0x15, 0x38, 0xff})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "logo.png")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBrowserBrand(t *testing.T) {
	s := startServer(t, sqliteURL(t), func(c *config) {
		c.ProductName = "Grand Hotel Staff"
		c.AccentColor = "#8a1538"
		c.LogoFile = writeLogo(t)
	})
	b := newChrome(t).tab()
	b.open(s.url + "/login")
	if got := b.text("header .product"); got != "Grand Hotel Staff" {
		t.Errorf("header shows %q, want the product name", got)
	}
	if w := eval[int](b, `document.querySelector("img.logo").naturalWidth`); w != 64 {
		t.Errorf("logo natural width %d, want 64 (not loaded?)", w)
	}
	if bg := eval[string](b, `getComputedStyle(document.querySelector("button[type=submit]")).backgroundColor`); bg != "rgb(138, 21, 56)" {
		t.Errorf("button background %s, want the accent rgb(138, 21, 56)", bg)
	}
	b.axe()
}

func TestBrandConfigErrors(t *testing.T) {
	notImage := filepath.Join(t.TempDir(), "logo.png")
	if err := os.WriteFile(notImage, []byte("plain text"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &config{
		DatabaseURL: "sqlite://" + filepath.Join(t.TempDir(), "idp.db"), Issuer: "http://127.0.0.1:8080",
		Listen: "127.0.0.1:8080", ProductName: "Hotel ID", LogFormat: "text", LogLevel: "info",
		SecretKeyFile: filepath.Join(t.TempDir(), "master.key"),
		AccentColor:   "#ffcc00", LogoFile: notImage,
	}
	err := cfg.validate()
	if err == nil || !strings.Contains(err.Error(), "--accent-color") || !strings.Contains(err.Error(), "--logo-file") {
		t.Fatalf("validate() = %v, want errors for both --accent-color and --logo-file", err)
	}
}
