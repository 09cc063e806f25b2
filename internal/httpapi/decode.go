package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/dompet/dompet/internal/fault"
)

// maxBody is the largest JSON body decode accepts; larger answers 413 too_large.
const maxBody = 1 << 20

// decode reads r's JSON body into v, strictly: the Content-Type must be JSON, the body one
// JSON value no larger than maxBody, valid UTF-8, with no field v does not have, each field
// once and named in its exact case. Failures are
// invalid_request problems naming the field when one is known, or too_large.
func decode(r *http.Request, v any) error {
	_, err := decodeLimit(r, v, maxBody)
	return err
}

// decodeRaw is decode that also returns the raw body, for requestHash on idempotent calls.
func decodeRaw(r *http.Request, v any) ([]byte, error) {
	return decodeLimit(r, v, maxBody)
}

// decodeLimit is decode with another size limit.
func decodeLimit(r *http.Request, v any, limit int64) ([]byte, error) {
	if !isJSON(r.Header.Get("Content-Type")) {
		return nil, fault.Invalid("Content-Type", fault.MsgContentTypeJSON)
	}
	body, err := readBody(r, limit)
	if err != nil {
		return nil, err
	}
	return body, unmarshalStrict(body, v)
}

// readBody reads r's whole body, at most limit bytes.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, errTooLarge.Because(fmt.Sprintf("The request body is larger than %d bytes.", limit))
	}
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, limit))
	if isMaxBytes(err) {
		return nil, errTooLarge.Because(fmt.Sprintf("The request body is larger than %d bytes.", limit))
	}
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return buf.Bytes(), nil
}

// isJSON accepts application/json and any application/…+json, with parameters.
func isJSON(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	if strings.EqualFold(mt, "application/json") {
		return true
	}
	return len(mt) > len("application/+json") && strings.EqualFold(mt[:12], "application/") &&
		strings.EqualFold(mt[len(mt)-5:], "+json")
}

// unmarshalStrict decodes one JSON value from body into v, refusing trailing data and what
// checkStrict refuses (unknown, duplicate or wrongly cased names, invalid UTF-8), and turns
// json's errors into invalid_request problems.
func unmarshalStrict(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return fault.Invalid("body", fault.MsgBodyEmpty)
	}
	single, err := checkStrict(body, reflect.TypeOf(v))
	if err != nil {
		return err
	}
	if !single {
		return fault.Invalid("body", fault.MsgBodySingle)
	}
	// checkStrict has refused unknown names, so plain Unmarshal does: it is faster than a
	// json.Decoder, which copies the body into its own buffer.
	if err := json.Unmarshal(body, v); err != nil {
		return jsonProblem(err)
	}
	return nil
}

// jsonProblem explains a json decoding error as an invalid_request problem.
func jsonProblem(err error) error {
	if _, ok := fault.As(err); ok {
		return err // an UnmarshalJSON method of the target already said what is wrong
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fault.Invalid("body", fault.MsgJSONAt, syn.Offset, syn.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fault.Invalid("body", fault.MsgJSONEarly)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return kindOf(typ.Type).invalid("body")
		}
		if strings.HasPrefix(typ.Value, "number ") && isInteger(typ.Type) {
			return fault.Invalid(typ.Field, fault.MsgBeIntegerInRange)
		}
		return kindOf(typ.Type).invalid(typ.Field)
	}
	return fault.Invalid("body", fault.MsgJSON, err.Error())
}

func isInteger(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// kind is what a field must be, the way a JSON client thinks of it: a message, and the Go
// type's name for the rare type no message names.
type kind struct {
	msg  fault.Msg
	name string
}

func (k kind) invalid(field string) error {
	if k.name != "" {
		return fault.Invalid(field, k.msg, k.name)
	}
	return fault.Invalid(field, k.msg)
}

// kindOf names a Go type the way a JSON client thinks of it.
func kindOf(t reflect.Type) kind {
	if isInteger(t) {
		return kind{msg: fault.MsgBeInteger}
	}
	switch t.Kind() {
	case reflect.String:
		return kind{msg: fault.MsgBeString}
	case reflect.Bool:
		return kind{msg: fault.MsgBeBool}
	case reflect.Float32, reflect.Float64:
		return kind{msg: fault.MsgBeNumber}
	case reflect.Slice, reflect.Array:
		return kind{msg: fault.MsgBeArray}
	case reflect.Map, reflect.Struct:
		return kind{msg: fault.MsgBeObject}
	case reflect.Pointer:
		return kindOf(t.Elem())
	}
	return kind{msg: fault.MsgBeType, name: t.String()}
}
