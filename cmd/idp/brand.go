package main

import (
	"fmt"

	"github.com/hotelsoft/idp/login"
)

// loadBrand checks --accent-color and reads --logo-file into c.brand.
func (c *config) loadBrand() []error {
	var errs []error
	if c.AccentColor != "" {
		if err := login.CheckAccent(c.AccentColor); err != nil {
			errs = append(errs, fmt.Errorf("--accent-color: %w", err))
		} else {
			c.brand.Accent = c.AccentColor
		}
	}
	if c.LogoFile != "" {
		logo, kind, err := login.LoadLogo(c.LogoFile)
		if err != nil {
			errs = append(errs, fmt.Errorf("--logo-file: %w", err))
		} else {
			c.brand.Logo, c.brand.LogoType = logo, kind
		}
	}
	return errs
}
