package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// readyTimeout bounds the store ping of /readyz.
const readyTimeout = 2 * time.Second

type healthStatus struct {
	Status string `json:"status" enum:"ok"`
}

var healthzDoc = operation{
	Tag:      "operations",
	Summary:  "Liveness: the process answers",
	Response: healthStatus{},
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, healthStatus{"ok"})
}

var readyzDoc = operation{
	Tag:         "operations",
	Summary:     "Readiness: the store answers and the server is not shutting down",
	Description: "Answers 503 `unavailable` while the database does not answer a ping or once shutdown has begun.",
	Response:    healthStatus{},
	Errors:      []string{"unavailable"},
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	select {
	case <-s.stopping:
		return errUnavailable.Because("The server is shutting down.")
	default:
	}
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "not ready: store ping failed",
			slog.String("request_id", requestID(r)), slog.Any("error", err))
		return errUnavailable.Because("The database does not answer.")
	}
	return writeJSON(w, http.StatusOK, healthStatus{"ok"})
}

var metricsDoc = operation{
	Tag:         "operations",
	Summary:     "Prometheus metrics",
	Description: "Text exposition format: `dompet_http_requests_total{route,code}`, `dompet_http_request_duration_seconds{route}`, Go runtime and process series.",
	Response:    "",
	ContentType: "text/plain",
}

func (s *Server) metricsHandler() handlerFunc {
	h := promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})
	return func(w http.ResponseWriter, r *http.Request) error {
		h.ServeHTTP(w, r)
		return nil
	}
}

var openAPIDoc = operation{
	Tag:         "operations",
	Summary:     "This OpenAPI 3.1 document",
	Response:    map[string]any{},
	ContentType: "application/json",
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(s.openapi)))
	_, err := w.Write(s.openapi)
	return err
}

// OpenAPIDocument is the served OpenAPI document (JSON), for the API reference page.
func (s *Server) OpenAPIDocument() []byte { return s.openapi }
