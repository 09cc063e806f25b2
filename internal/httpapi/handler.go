package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/dompet/dompet/internal/fault"
)

// handlerFunc is the shape of every API handler: it writes a success answer itself (writeJSON)
// and returns an error for anything else; the route adapter turns the error into a problem.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// middleware wraps a handler, e.g. requireUser(authn).
type middleware func(handlerFunc) handlerFunc

// writeJSON answers with status and v as a JSON body. The body is encoded before the header
// is written, so a value that can't be encoded still gets a clean 500.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := encodeJSON(v)
	if err != nil {
		return fmt.Errorf("encode %T: %w", v, err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, err = w.Write(b)
	return err // the client is gone; the adapter does not answer twice
}

// encodeJSON is v as JSON followed by a newline, with <, > and & written as themselves:
// the API's bodies are JSON, never HTML, and "Bearer <token>" must read as such, not as
// "Bearer \u003ctoken\u003e".
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// marshalJSON is encodeJSON without the newline.
func marshalJSON(v any) ([]byte, error) {
	b, err := encodeJSON(v)
	return bytes.TrimSuffix(b, []byte("\n")), err
}

// noContent answers 204.
func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// page is the envelope of every list answer: {"items":[…],"next_cursor":…}.
type page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// newPage wraps items; next is "" on the last page (next_cursor: null). A nil slice becomes
// [] so clients never see "items": null.
func newPage[T any](items []T, next string) page[T] {
	if items == nil {
		items = []T{}
	}
	p := page[T]{Items: items}
	if next != "" {
		p.NextCursor = &next
	}
	return p
}

// Pagination bounds of API.md: ?limit= defaults to 50, at most 200.
const (
	defaultLimit = 50
	maxLimit     = 200
)

// pageParams reads ?limit= and ?cursor=.
func pageParams(r *http.Request) (limit int, cursor string, err error) {
	q := r.URL.Query()
	limit = defaultLimit
	if v := q.Get("limit"); v != "" {
		n, convErr := strconv.Atoi(v)
		if convErr != nil || n < 1 || n > maxLimit {
			return 0, "", fault.Invalid("limit", fault.MsgLimit, maxLimit)
		}
		limit = n
	}
	return limit, q.Get("cursor"), nil
}
