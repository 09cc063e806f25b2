package merchant

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Notify wakes the dispatcher at once instead of at its next poll. Call it after committing a
// transaction that wrote outbox rows; it never blocks.
func (s *Service) Notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// RunDispatcher sends due webhook deliveries until ctx ends. It may run in several processes
// sharing one PostgreSQL (or several times in one): each delivery is claimed by one of them
// before it is sent. Errors of the store are logged and retried at the next poll.
func (s *Service) RunDispatcher(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		full, err := s.dispatch(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.log.Error("webhook dispatcher", "err", err)
		}
		if full {
			continue // there may be more due right now
		}
		timer.Reset(s.opts.PollInterval)
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-timer.C:
		}
	}
}

// Dispatch claims one batch of due deliveries, sends them concurrently and records the
// outcomes. It returns how many deliveries it attempted.
func (s *Service) Dispatch(ctx context.Context) (int, error) {
	n, _, err := s.dispatchBatch(ctx)
	return n, err
}

func (s *Service) dispatch(ctx context.Context) (full bool, err error) {
	n, seen, err := s.dispatchBatch(ctx)
	return n > 0 && seen == s.opts.BatchSize, err
}

func (s *Service) dispatchBatch(ctx context.Context) (attempted, seen int, err error) {
	now := s.opts.Now()
	due, err := s.dueDeliveries(ctx, now.UnixMicro(), s.opts.BatchSize)
	if err != nil {
		return 0, 0, err
	}
	leaseUntil := now.Add(s.opts.Lease).UnixMicro()
	var wg sync.WaitGroup
	var errs []error
	for _, d := range due {
		ok, err := s.claim(ctx, d, leaseUntil)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			continue // another dispatcher has it
		}
		attempted++
		wg.Go(func() { s.attempt(ctx, d, d.Attempts+1) })
	}
	wg.Wait()
	return attempted, len(due), errors.Join(errs...)
}

// attempt sends claimed delivery d (attempt number n) and records how it went.
func (s *Service) attempt(ctx context.Context, d delivery, n int) {
	code, sendErr := s.send(ctx, d)
	now := s.opts.Now()
	// Written even while shutting down, so the claim is not left to expire.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if ctx.Err() != nil && sendErr != nil {
		if err := s.release(rctx, d.ID, n, now.UnixMicro()); err != nil {
			s.log.Error("webhook dispatcher", "err", err)
		}
		return
	}
	o := outcome{Status: "delivered", NextAttemptAt: now.UnixMicro(), StatusCode: code, DeliveredAt: now.UnixMicro()}
	switch {
	case sendErr == nil:
	case n >= s.opts.MaxAttempts:
		o = outcome{Status: "failed", NextAttemptAt: now.UnixMicro(), StatusCode: code, Error: sendErr.Error()}
		s.log.Error("webhook delivery failed for good", "delivery", d.ID, "event", d.EventType, "attempts", n, "err", sendErr)
	default:
		next := now.Add(s.backoff(n))
		o = outcome{Status: "pending", NextAttemptAt: next.UnixMicro(), StatusCode: code, Error: sendErr.Error()}
		s.log.Warn("webhook delivery attempt failed", "delivery", d.ID, "event", d.EventType, "attempt", n, "retry_at", next, "err", sendErr)
	}
	if err := s.finish(rctx, d.ID, n, o); err != nil {
		s.log.Error("webhook dispatcher", "err", err)
	}
}

// send POSTs the payload once. A nil error means a 2xx answer; code is the HTTP status, or 0
// when there was none.
func (s *Service) send(ctx context.Context, d delivery) (code int, err error) {
	if d.URL == "" {
		return 0, errors.New("the merchant has no webhook URL")
	}
	body := []byte(d.Payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Dompet-Webhooks/1")
	req.Header.Set(HeaderEvent, d.EventType)
	req.Header.Set(HeaderDelivery, d.ID)
	req.Header.Set(HeaderSignature, Sign(d.Secret, s.opts.Now(), body))
	resp, err := s.opts.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	// Keep a little of a failing answer for the merchant's debugging; drain a bit more so the
	// connection can be reused.
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg := fmt.Sprintf("HTTP %d", resp.StatusCode)
		if t := strings.TrimSpace(strings.ToValidUTF8(string(head), "")); t != "" {
			msg += ": " + t
		}
		return resp.StatusCode, errors.New(msg)
	}
	return resp.StatusCode, nil
}

// backoff is the wait after failed attempt n (1-based), with ±20% jitter.
func (s *Service) backoff(n int) time.Duration {
	base := s.opts.Retry[min(n, len(s.opts.Retry))-1]
	return time.Duration(float64(base) * (0.8 + 0.4*rand.Float64()))
}
