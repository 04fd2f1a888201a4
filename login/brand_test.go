package login

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckAccent(t *testing.T) {
	for accent, ok := range map[string]bool{
		"#1f5fa8":   true,  // the default blue, 6.4:1
		"#8a1538":   true,  // dark red
		"#000000":   true,  // black
		"#767676":   true,  // the lightest grey at 4.5:1
		"#777777":   false, // just below 4.5:1
		"#ffcc00":   false, // yellow: white text unreadable
		"#FFFFFF":   false,
		"red":       false,
		"#12345":    false,
		"#1234567":  false,
		"#gggggg":   false,
		"1f5fa8a":   false,
		"":          false,
		"#1f5fa8;}": false,
	} {
		if err := CheckAccent(accent); (err == nil) != ok {
			t.Errorf("CheckAccent(%q) = %v, want ok %v", accent, err, ok)
		}
	}
}

func TestLoadLogo(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 4, 2))); err != nil {
		t.Fatal(err)
	}
	if _, kind, err := LoadLogo(write("logo.png", buf.Bytes())); err != nil || kind != "image/png" {
		t.Errorf("PNG: %q, %v", kind, err)
	}
	if _, kind, err := LoadLogo(write("logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`))); err != nil || kind != "image/svg+xml" {
		t.Errorf("SVG: %q, %v", kind, err)
	}
	for name, data := range map[string][]byte{
		"page.html": []byte("<!DOCTYPE html><p>hello</p>"),
		"fake.svg":  []byte("not an image"),
		"large.png": append(buf.Bytes(), make([]byte, MaxLogoSize)...),
		"empty.png": nil,
	} {
		if _, _, err := LoadLogo(write(name, data)); err == nil {
			t.Errorf("LoadLogo(%s) accepted it", name)
		}
	}
	if _, _, err := LoadLogo(filepath.Join(dir, "missing.png")); err == nil || !strings.Contains(err.Error(), "read logo") {
		t.Errorf("missing file: %v", err)
	}
}
