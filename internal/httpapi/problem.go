package httpapi

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
)

// problemTypeBase prefixes the code to make a problem's "type" URI (RFC 9457).
const problemTypeBase = "https://dompet.dev/problems/"

// defaultRetryAfter is the Retry-After of a 429 or 503 whose fault names no retry_after.
const defaultRetryAfter = 5

// Failures the HTTP layer raises itself.
var (
	errNotFound         = fault.New("not_found", "")
	errMethodNotAllowed = fault.New("method_not_allowed", "")
	errTooLarge         = fault.New("too_large", "")
	errInternal         = fault.New("internal", "")
	errUnauthenticated  = fault.New("unauthenticated", "")
	errUnavailable      = fault.New("unavailable", "")
)

// reserved members of a problem body that a fault's Fields may not replace.
var reserved = map[string]bool{"type": true, "title": true, "status": true, "detail": true, "code": true, "errors": true}

// fail answers r with the problem err stands for. A *fault.Error answers with its code's
// status; db.ErrNotFound with not_found; anything else is a bug or an outage: it is logged
// with the request id and answered as a generic 500 that reveals nothing.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	x := stateOf(r)
	if x != nil && x.Status() != 0 {
		// The answer has begun (a stream, a half-written body): too late for a problem.
		s.log.LogAttrs(r.Context(), slog.LevelError, "handler failed after answering",
			slog.String("request_id", x.ID()), slog.String("route", x.Route()), slog.Any("error", err))
		return
	}
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The client went away; nobody reads the answer. 499 as nginx does, for the log.
		if x != nil {
			x.SetStatus(499)
		}
		return
	}
	f, ok := fault.As(err)
	switch {
	case ok && f.Code == errInternal.Code:
		s.logInternal(r, err)
	case ok:
		if _, known := codes[f.Code]; !known {
			s.logInternal(r, err) // a domain package declared a code missing from the table
			f = errInternal
		}
	case errors.Is(err, db.ErrNotFound):
		f = errNotFound
	case isMaxBytes(err):
		f = errTooLarge
	default:
		s.logInternal(r, err)
		f = errInternal
	}
	writeProblem(w, localeOf(r), f)
}

func (s *Server) logInternal(r *http.Request, err error) {
	s.log.LogAttrs(r.Context(), slog.LevelError, "request failed",
		slog.String("request_id", requestID(r)), slog.String("method", r.Method),
		slog.String("path", r.URL.Path), slog.Any("error", err))
}

func isMaxBytes(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}

// writeProblem writes f as an application/problem+json body in locale l.
func writeProblem(w http.ResponseWriter, l locale, f *fault.Error) {
	status, body := problemBody(f, l)
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Content-Language", l.String())
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	switch status {
	case http.StatusUnauthorized:
		if f.Code == errUnauthenticated.Code {
			h.Set("WWW-Authenticate", "Bearer")
		}
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		h.Set("Retry-After", strconv.FormatInt(retryAfter(f), 10))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// problemBody renders f: the RFC 9457 members, code, the fault's Fields as extra members
// (sorted, so bodies are stable), and errors for field validation failures.
func problemBody(f *fault.Error, l locale) (int, []byte) {
	f, c, detail := explain(f, l)
	var b bytes.Buffer
	b.Grow(256)
	b.WriteString(`{"type":`)
	writeString(&b, problemTypeBase+f.Code)
	b.WriteString(`,"title":`)
	writeString(&b, c.title[l])
	b.WriteString(`,"status":`)
	b.WriteString(strconv.Itoa(c.status))
	b.WriteString(`,"detail":`)
	writeString(&b, detail)
	return c.status, problemRest(&b, f, c, l)
}

// Explanation is a failure as a person reads it: what the pages show for a refused form.
type Explanation struct {
	Status int
	Code   string
	Title  string
	Detail string
	Fields map[string]any     // the problem's extra members (attempts_remaining, locked_until, …)
	Errors []fault.FieldError // per-field failures, in the asked language
}

// Explain is err as the API would answer it, in locale l, for the pages: the same title and
// detail as the problem+json body. Anything that is not a domain failure is an internal
// error and says nothing more.
func Explain(err error, l locale) Explanation {
	f, c, detail := explain(faultOf(err), l)
	e := Explanation{Status: c.status, Code: f.Code, Title: c.title[l], Detail: detail, Fields: f.Fields}
	if len(f.Errs) > 0 {
		e.Errors = f.FieldErrors(l.String())
	}
	return e
}

// WriteProblem answers r with err as the API would (problem+json in the request's locale),
// for the few page routes a script calls. Unlike the API's own routes it logs nothing: the
// caller logs what it must.
func WriteProblem(w http.ResponseWriter, r *http.Request, err error) {
	writeProblem(w, localeOf(r), faultOf(err))
}

// faultOf is the fault err answers as: its own, not_found for a missing row, too_large for
// a body over its limit, else internal (saying nothing more).
func faultOf(err error) *fault.Error {
	f, ok := fault.As(err)
	switch {
	case ok:
		return f
	case errors.Is(err, db.ErrNotFound):
		return errNotFound
	case isMaxBytes(err):
		return errTooLarge
	}
	return errInternal
}

// explain is f's code entry and the detail it shows in locale l (an unknown code is an
// internal error).
func explain(f *fault.Error, l locale) (*fault.Error, problemCode, string) {
	c, ok := codes[f.Code]
	if !ok {
		f, c = errInternal, codes[errInternal.Code]
	}
	detail := c.detail[l]
	// The fault's own message is the most precise English text; other locales keep the
	// catalog's detail unless it has none. A 500 never shows its message.
	if f.Msg != "" && f.Code != errInternal.Code && (l == localeEN || detail == "") {
		detail = f.Msg
	}
	if len(f.Errs) > 0 && l != localeEN {
		// The first field failure, in the answer's language, says more than the code's text.
		fe := f.Errs[0].In(l.String())
		detail = fe.Field + " " + fe.Message + "。"
	}
	if d := f.Details[l.String()]; d != "" {
		detail = d
	}
	if detail == "" {
		detail = c.detail[localeEN]
	}
	return f, c, detail
}

// problemRest writes the members after detail and closes the body.
func problemRest(b *bytes.Buffer, f *fault.Error, c problemCode, l locale) []byte {
	b.WriteString(`,"code":`)
	writeString(b, f.Code)
	fields := f.Fields
	if c.status == http.StatusTooManyRequests || c.status == http.StatusServiceUnavailable {
		// The body's retry_after always agrees with the Retry-After header: whole seconds.
		fields = maps.Clone(f.Fields)
		if fields == nil {
			fields = map[string]any{}
		}
		fields["retry_after"] = retryAfter(f)
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		if !reserved[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, err := marshalJSON(problemValue(fields[k]))
		if err != nil {
			continue // a field that can't be rendered is left out rather than failing the answer
		}
		b.WriteByte(',')
		writeString(b, k)
		b.WriteByte(':')
		b.Write(v)
	}
	if len(f.Errs) > 0 {
		errs, _ := marshalJSON(f.FieldErrors(l.String()))
		b.WriteString(`,"errors":`)
		b.Write(errs)
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// problemValue renders times in UTC (RFC 3339) and durations as whole seconds, as the API
// writes them everywhere.
func problemValue(v any) any {
	switch t := v.(type) {
	case time.Time:
		if t.IsZero() {
			return nil
		}
		return t.UTC()
	case *time.Time:
		if t == nil || t.IsZero() {
			return nil
		}
		return t.UTC()
	case time.Duration:
		return int64(math.Ceil(t.Seconds()))
	}
	return v
}

// retryAfter is the Retry-After of f in whole seconds (at least 1).
func retryAfter(f *fault.Error) int64 {
	var s float64
	switch v := f.Fields["retry_after"].(type) {
	case int:
		s = float64(v)
	case int64:
		s = float64(v)
	case float64:
		s = v
	case time.Duration:
		s = v.Seconds()
	case time.Time:
		s = time.Until(v).Seconds()
	default:
		s = defaultRetryAfter
	}
	return max(1, int64(math.Ceil(s)))
}

func writeString(b *bytes.Buffer, s string) {
	v, _ := marshalJSON(s) // a string always marshals
	b.Write(v)
}
