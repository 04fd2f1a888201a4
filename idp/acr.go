package idp

import "slices"

// Authentication context class references (the acr claim), weakest to
// strongest. ACRPhishingResistant is the phishing-resistant level of the
// OpenID EAP ACR Values specification.
const (
	ACR1FA               = "1fa"
	ACR2FA               = "2fa"
	ACRPhishingResistant = "phr"
)

// acrLevels lists the supported ACR values, weakest first; discovery
// publishes it as acr_values_supported.
var acrLevels = []string{ACR1FA, ACR2FA, ACRPhishingResistant}

// ACRAtLeast reports whether the level have is as strong as want. An
// unknown value is weaker than every known one, and an unknown want is
// met by any level, because acr_values is a voluntary claim request.
func ACRAtLeast(have, want string) bool {
	w := slices.Index(acrLevels, want)
	if w < 0 {
		return true
	}
	return slices.Index(acrLevels, have) >= w
}

// RequiredACR returns the weakest known level among the requested
// acr_values, which a session must reach to satisfy the request, or ""
// when no requested value is known.
func RequiredACR(requested []string) string {
	best := -1
	for _, v := range requested {
		i := slices.Index(acrLevels, v)
		if i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return acrLevels[best]
}
