// Package fault carries domain failures with a stable machine code ("insufficient_balance",
// "account_locked", …). Domain packages declare their failures as *Error values; the HTTP layer
// maps each code to a status and a localized problem+json body in one place.
package fault

import (
	"errors"
	"maps"
)

// Error is a failure a client can act on. Two Errors match under errors.Is when their codes
// are equal, so a failure decorated with fields still matches its sentinel.
type Error struct {
	Code   string
	Msg    string         // English, for logs and as the detail when no translation exists
	Fields map[string]any // extra members of the problem body (e.g. attempts_remaining)
	Errs   []FieldError   // per-field validation failures
	// Details are precise explanations per locale tag ("en", "zh-CN"), when the domain has
	// better words than the generic text of the code.
	Details map[string]string
}

// FieldError names an invalid input field. Message is English; In gives it in another
// language.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`

	msg  Msg
	args []any
}

func fieldError(field string, m Msg, args []any) FieldError {
	return FieldError{Field: field, Message: m.Text("en", args...), msg: m, args: args}
}

// ID is the stable id of the message ("" for a FieldError made without the catalogue).
func (f FieldError) ID() string {
	if f.msg == msgNone {
		return ""
	}
	return f.msg.ID()
}

// In is f with its message in the language tag names ("en", "zh-CN").
func (f FieldError) In(tag string) FieldError {
	if f.msg != msgNone {
		f.Message = f.msg.Text(tag, f.args...)
	}
	return f
}

// New returns a failure with a code and an English message.
func New(code, msg string) *Error { return &Error{Code: code, Msg: msg} }

func (e *Error) Error() string {
	if e.Msg == "" {
		return e.Code
	}
	return e.Code + ": " + e.Msg
}

// FieldErrors are e's field failures in the language tag names.
func (e *Error) FieldErrors(tag string) []FieldError {
	out := make([]FieldError, len(e.Errs))
	for i, f := range e.Errs {
		out[i] = f.In(tag)
	}
	return out
}

// Is matches any *Error with the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// With returns a copy of e with more fields.
func (e *Error) With(kv ...any) *Error {
	c := *e
	c.Fields = maps.Clone(e.Fields)
	if c.Fields == nil {
		c.Fields = map[string]any{}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		c.Fields[kv[i].(string)] = kv[i+1]
	}
	return &c
}

// Explained returns a copy of e with explanations per locale tag.
func (e *Error) Explained(details map[string]string) *Error {
	c := *e
	c.Details = details
	return &c
}

// Saying returns a copy of e whose message is m, explained in every language.
func (e *Error) Saying(m Msg, args ...any) *Error {
	c := *e
	c.Msg = m.Text("en", args...)
	c.Details = map[string]string{"en": c.Msg, "zh-CN": m.Text("zh-CN", args...)}
	return &c
}

// Because returns a copy of e with another message.
func (e *Error) Because(msg string) *Error {
	c := *e
	c.Msg = msg
	return &c
}

// ErrInvalid is the code of malformed or out-of-range input.
var ErrInvalid = New("invalid_request", "the request is not valid")

// Invalid returns an invalid_request failure about one field; args fill m's words.
func Invalid(field string, m Msg, args ...any) *Error {
	fe := fieldError(field, m, args)
	return &Error{Code: ErrInvalid.Code, Msg: field + ": " + fe.Message, Errs: []FieldError{fe}}
}

// Validation collects field failures; Err returns nil when there are none.
type Validation struct{ errs []FieldError }

// Add records a failure of field; args fill m's words.
func (v *Validation) Add(field string, m Msg, args ...any) {
	v.errs = append(v.errs, fieldError(field, m, args))
}

// Check records m against field when ok is false.
func (v *Validation) Check(ok bool, field string, m Msg, args ...any) {
	if !ok {
		v.Add(field, m, args...)
	}
}

// Err is the collected failure, or nil.
func (v *Validation) Err() error {
	if len(v.errs) == 0 {
		return nil
	}
	return &Error{Code: ErrInvalid.Code, Msg: v.errs[0].Field + ": " + v.errs[0].Message, Errs: v.errs}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Code returns the code of the failure in err's chain, or "" when there is none.
func Code(err error) string {
	if e, ok := As(err); ok {
		return e.Code
	}
	return ""
}
