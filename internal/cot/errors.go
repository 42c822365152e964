package cot

import (
	"io"
	"strconv"
)

// ErrorKind classifies a decoding failure so a caller can count and log
// failures by kind without matching on text.
type ErrorKind uint8

// The kinds of decoding failure.
const (
	// KindMalformed: the input is not well-formed XML or protobuf.
	KindMalformed ErrorKind = iota + 1
	// KindTooLarge: one event or frame is over the configured limit.
	KindTooLarge
	// KindMissing: a required attribute, element or field is absent.
	KindMissing
	// KindBadValue: a value is present but unusable (bad number or time,
	// coordinate out of range, character XML cannot carry).
	KindBadValue
	// KindTruncated: the stream ended in the middle of an event or frame.
	KindTruncated
)

var kindNames = [...]string{
	KindMalformed: "malformed",
	KindTooLarge:  "too large",
	KindMissing:   "missing",
	KindBadValue:  "bad value",
	KindTruncated: "truncated",
}

func (k ErrorKind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "ErrorKind(" + strconv.Itoa(int(k)) + ")"
}

// Error is returned for every input the codec rejects. Detail is meant for
// logs, not for the remote peer.
type Error struct {
	Kind   ErrorKind
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return "cot: " + e.Kind.String()
	}
	return "cot: " + e.Kind.String() + ": " + e.Detail
}

// Is lets errors.Is(err, cot.ErrTooLarge) and friends match on the kind
// alone, whatever the detail says.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Detail == "" && t.Kind == e.Kind
}

// Unwrap makes a truncated stream also match io.ErrUnexpectedEOF, which is
// what generic network code looks for.
func (e *Error) Unwrap() error {
	if e.Kind == KindTruncated {
		return io.ErrUnexpectedEOF
	}
	return nil
}

// Sentinels for errors.Is; they match any *Error of the same kind.
var (
	ErrMalformed = &Error{Kind: KindMalformed}
	ErrTooLarge  = &Error{Kind: KindTooLarge}
	ErrMissing   = &Error{Kind: KindMissing}
	ErrBadValue  = &Error{Kind: KindBadValue}
	ErrTruncated = &Error{Kind: KindTruncated}
)

func errf(kind ErrorKind, detail string) *Error { return &Error{Kind: kind, Detail: detail} }
