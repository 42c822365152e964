// Package validate collects what is wrong with a request, field by field,
// so that the API can answer with one problem document naming every
// offending field and nothing is written.
package validate

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// FieldError says what is wrong with one field. Field is a JSON path such
// as "marking.tlp" or "places[2].coordinates".
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// Errors is a list of field errors; a nil Errors means valid.
type Errors []FieldError

func (e Errors) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Field + ": " + f.Detail
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Add records a problem with field.
func (e *Errors) Add(field, format string, args ...any) {
	*e = append(*e, FieldError{Field: field, Detail: fmt.Sprintf(format, args...)})
}

// Err returns e as an error, or nil when nothing was added.
func (e Errors) Err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

// Prefix returns the errors with prefix+"." before every field.
func (e Errors) Prefix(prefix string) Errors {
	out := make(Errors, len(e))
	for i, f := range e {
		out[i] = FieldError{Field: prefix + "." + f.Field, Detail: f.Detail}
	}
	return out
}

// Field is a one-field error.
func Field(field, format string, args ...any) error {
	return Errors{{Field: field, Detail: fmt.Sprintf(format, args...)}}
}

// Names reports whether err is a validation error naming field.
func Names(err error, field string) bool {
	var v Errors
	if !errors.As(err, &v) {
		return false
	}
	for _, f := range v {
		if f.Field == field {
			return true
		}
	}
	return false
}

// Text checks a required or optional free-text field that may hold
// several lines: valid UTF-8, at most max bytes, and no character that
// hides or disguises what a reader sees (see Unsafe); tabs and line breaks
// are allowed. It returns the value unchanged.
func (e *Errors) Text(field, v string, required bool, max int) string {
	e.text(field, v, required, max, true)
	return v
}

// Line is Text for a one-line field (a title, a name): a tab or a line
// break is refused too.
func (e *Errors) Line(field, v string, required bool, max int) string {
	e.text(field, v, required, max, false)
	return v
}

func (e *Errors) text(field, v string, required bool, max int, lines bool) {
	switch {
	case !utf8.ValidString(v):
		e.Add(field, "is not valid UTF-8")
	case required && strings.TrimSpace(v) == "":
		e.Add(field, "is required")
	case len(v) > max:
		e.Add(field, "is longer than %d bytes", max)
	default:
		if r, bad := Unsafe(v, lines); bad {
			e.Add(field, "may not contain %s (U+%04X)", describe(r), r)
		}
	}
}

// Unsafe returns the first character of v that no title, name or text may
// hold: NUL and the other control characters (but for tab, line feed and
// carriage return when lines is true) and the bidirectional embeddings,
// overrides and isolates U+202A-U+202E and U+2066-U+2069, which make text
// read differently from what it holds.
func Unsafe(v string, lines bool) (rune, bool) {
	for _, r := range v {
		switch {
		case lines && (r == '\t' || r == '\n' || r == '\r'):
		case unicode.IsControl(r), r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			return r, true
		}
	}
	return 0, false
}

func describe(r rune) string {
	switch {
	case r == 0:
		return "a NUL character"
	case r == '\t' || r == '\n' || r == '\r':
		return "a tab or line break"
	case unicode.IsControl(r):
		return "a control character"
	default:
		return "a bidirectional override"
	}
}

// Code checks a short identifier: 1..max characters of A-Z, a-z, 0-9, '-',
// '_' or '.'.
func (e *Errors) Code(field, v string, max int) string {
	if v == "" {
		e.Add(field, "is required")
		return v
	}
	if len(v) > max {
		e.Add(field, "is longer than %d characters", max)
		return v
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			e.Add(field, "may hold only letters, digits, '-', '_' and '.' (found %q)", r)
			return v
		}
	}
	return v
}

// OneOf checks that v is one of allowed.
func (e *Errors) OneOf(field, v string, allowed ...string) string {
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	if v == "" {
		e.Add(field, "is required; one of %s", strings.Join(allowed, ", "))
	} else {
		e.Add(field, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
	return v
}
