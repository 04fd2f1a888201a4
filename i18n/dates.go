package i18n

import (
	"fmt"
	"time"

	"golang.org/x/text/language"
)

// dateStyle is how one language writes a date and a time of day in running
// text, in the long form of the Unicode CLDR ("4 December 2026") so that no
// reader mistakes the day for the month.
type dateStyle struct {
	months [12]string
	// date formats day, month name and year, in that argument order.
	date string
	// dateTime formats the date and the time of day "15:04", in that
	// argument order.
	dateTime string
}

// dateStyles holds a style for each of Supported. English follows British
// usage with a 24-hour clock, which staff across Europe read without
// ambiguity.
var dateStyles = map[language.Tag]dateStyle{
	language.English: {
		months: [12]string{"January", "February", "March", "April", "May", "June",
			"July", "August", "September", "October", "November", "December"},
		date:     "%d %s %d",
		dateTime: "%s, %s",
	},
	language.Dutch: {
		months: [12]string{"januari", "februari", "maart", "april", "mei", "juni",
			"juli", "augustus", "september", "oktober", "november", "december"},
		date:     "%d %s %d",
		dateTime: "%s om %s",
	},
	language.French: {
		months: [12]string{"janvier", "février", "mars", "avril", "mai", "juin",
			"juillet", "août", "septembre", "octobre", "novembre", "décembre"},
		date:     "%d %s %d",
		dateTime: "%s à %s",
	},
	language.German: {
		months: [12]string{"Januar", "Februar", "März", "April", "Mai", "Juni",
			"Juli", "August", "September", "Oktober", "November", "Dezember"},
		date:     "%d. %s %d",
		dateTime: "%s um %s",
	},
	language.Spanish: {
		months: [12]string{"enero", "febrero", "marzo", "abril", "mayo", "junio",
			"julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
		date:     "%d de %s de %d",
		dateTime: "%s, %s",
	},
}

func (l *Localizer) style() dateStyle {
	if s, ok := dateStyles[l.tag]; ok {
		return s
	}
	return dateStyles[language.English]
}

// Date returns the calendar date of t, in t's location, as the
// localizer's language writes it in a sentence: "4 December 2026",
// "4 december 2026", "4 décembre 2026", "4. Dezember 2026",
// "4 de diciembre de 2026".
func (l *Localizer) Date(t time.Time) string {
	s := l.style()
	return fmt.Sprintf(s.date, t.Day(), s.months[t.Month()-1], t.Year())
}

// DateTime returns the date and the time of day of t on a 24-hour clock,
// followed by the zone abbreviation of t's location, such as
// "4. Dezember 2026 um 21:30 UTC". Callers convert t to the reader's zone
// first when they know it.
func (l *Localizer) DateTime(t time.Time) string {
	s := l.style()
	return fmt.Sprintf(s.dateTime, l.Date(t), t.Format("15:04 MST"))
}
