package httpapi

import (
	"net/http"

	"github.com/dompet/dompet/internal/fault"
)

// adapt turns a route's handler into what the front serves: it runs the handler and answers
// a returned error with a problem. The front names the route, logs and counts the request.
func (s *Server) adapt(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	}
}

// WriteFrontError answers the failures the HTTP front raises itself (no route, wrong
// method, body too large, a panic) as problem+json in the request's locale. Give it to
// front.Options.Errors.
func WriteFrontError(w http.ResponseWriter, r *http.Request, status int) {
	writeProblem(w, localeOf(r), frontFault(status))
}

func frontFault(status int) *fault.Error {
	switch status {
	case http.StatusNotFound:
		return errNotFound
	case http.StatusMethodNotAllowed:
		return errMethodNotAllowed
	case http.StatusRequestEntityTooLarge:
		return errTooLarge
	}
	return errInternal
}
