package front

import (
	"log/slog"
	"net/http"
	"time"
)

// Timeouts and limits of the HTTP server. A client trickling its headers is cut off after
// ReadHeaderTimeout without holding up anyone else. Hijacked connections (WebSockets) are
// free of them.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 60 * time.Second // attachments up to 10 MB on slow phones
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 120 * time.Second
	MaxHeaderBytes    = 64 << 10
)

// NewServer is the one way Dompet builds its http.Server (serve, tests, the HTTP
// benchmark): h with the timeouts and limits above, its errors logged on log at warn level.
func NewServer(h http.Handler, log *slog.Logger) *http.Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
