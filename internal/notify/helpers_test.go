package notify_test

import (
	"bytes"
	"log/slog"
	"sync"
	"time"

	"github.com/dompet/dompet/internal/notify"
)

// fast retries, so that failing tests do not sleep.
var fast = notify.Retry{Attempts: 3, Backoff: time.Millisecond}

// logBuffer collects JSON log lines from several goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLog() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
