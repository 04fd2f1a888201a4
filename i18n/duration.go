package i18n

import (
	"time"
)

// Message IDs of Localizer.Duration, each with plural forms.
const (
	msgDurationMinutes = "DurationMinutes"
	msgDurationHours   = "DurationHours"
	msgDurationDays    = "DurationDays"
)

// Duration returns d as a count and unit in the localizer's language with
// the right plural form, such as "15 minutes", "1 uur" or "7 Tage". It
// uses the largest of days, hours and minutes that divides d exactly, and
// otherwise whole minutes rounded up, never less than one. The words have
// the form that follows "for" ("valid for 7 days"); in German that is the
// accusative, so sentences should read "7 Tage gültig", not "in 7 Tagen".
func (l *Localizer) Duration(d time.Duration) string {
	id, n := msgDurationMinutes, int64((d+time.Minute-1)/time.Minute)
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		id, n = msgDurationDays, int64(d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		id, n = msgDurationHours, int64(d/time.Hour)
	}
	n = max(n, 1)
	// The messages are in the embedded catalogue, whose every language
	// the package tests render, so the error cannot occur.
	s, _ := l.Translate(id, map[string]any{CountKey: n})
	return s
}
