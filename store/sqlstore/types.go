package sqlstore

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"
)

// millis is a time stored as BIGINT Unix milliseconds; the zero time is
// NULL. Scanned times are in UTC.
type millis struct{ time.Time }

func ms(t time.Time) millis { return millis{t} }

// Value implements driver.Valuer.
func (m millis) Value() (driver.Value, error) {
	if m.IsZero() {
		return nil, nil
	}
	return m.UnixMilli(), nil
}

// Scan implements sql.Scanner.
func (m *millis) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		m.Time = time.Time{}
	case int64:
		m.Time = time.UnixMilli(v).UTC()
	default:
		return fmt.Errorf("scan time: unexpected %T, want BIGINT milliseconds", src)
	}
	return nil
}

// msOrNull returns t as Unix milliseconds, or nil for the zero time, for
// use as a plain query argument.
func msOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// list is a list of strings stored as a JSON array in TEXT. An empty list
// is stored as [] and scans as nil.
type list []string

// Value implements driver.Valuer.
func (l list) Value() (driver.Value, error) {
	if len(l) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal([]string(l))
	return string(b), err
}

// Scan implements sql.Scanner.
func (l *list) Scan(src any) error {
	var v []string
	if err := scanJSON(src, &v); err != nil {
		return err
	}
	if len(v) == 0 {
		v = nil
	}
	*l = v
	return nil
}

// dict is a string map stored as a JSON object in TEXT. An empty map is
// stored as {} and scans as nil.
type dict map[string]string

// Value implements driver.Valuer.
func (d dict) Value() (driver.Value, error) {
	if len(d) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(map[string]string(d))
	return string(b), err
}

// Scan implements sql.Scanner.
func (d *dict) Scan(src any) error {
	var v map[string]string
	if err := scanJSON(src, &v); err != nil {
		return err
	}
	if len(v) == 0 {
		v = nil
	}
	*d = v
	return nil
}

// scanJSON decodes a TEXT column holding JSON into dest; NULL leaves dest
// unchanged.
func scanJSON(src any, dest any) error {
	var data []byte
	switch v := src.(type) {
	case nil:
		return nil
	case string:
		data = []byte(v)
	case []byte:
		data = v
	default:
		return fmt.Errorf("scan JSON: unexpected %T, want TEXT", src)
	}
	if err := json.Unmarshal(data, dest); err != nil {
		return fmt.Errorf("scan JSON: %w", err)
	}
	return nil
}
