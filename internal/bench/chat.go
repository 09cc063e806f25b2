package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/httpapi"
	"github.com/dompet/dompet/internal/id"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/staff"
	"github.com/dompet/dompet/internal/support"
)

// ChatConfig sets up a chat benchmark.
type ChatConfig struct {
	Config      config.Config // settings of the App under test (its DB field is not used)
	Store       *db.DB        // migrated; the benchmark adds users and conversations to it
	Connections int           // customer streams, one conversation each
	Rate        int           // messages per second, sent round-robin over the streams
	Duration    time.Duration
	Log         *slog.Logger // progress and the App's own logs
	APILog      *slog.Logger // the HTTP server's log; nil discards it
}

// ChatResult is what `dompet bench chat` prints.
type ChatResult struct {
	Store       string  `json:"store"`
	Connections int     `json:"connections"`
	Rate        int     `json:"rate_per_s"`
	DurationS   float64 `json:"duration_s"`
	Sent        int64   `json:"sent"`
	Acked       int64   `json:"acked"`
	Delivered   int64   `json:"delivered"` // message events of the sent messages received
	Refused     int64   `json:"refused"`   // error frames
	P50Ms       float64 `json:"p50_ms"`    // scheduled send → message event on the stream
	P99Ms       float64 `json:"p99_ms"`
	MaxMs       float64 `json:"max_ms"`
	// IdleBytesPerConnection is heap and stack in use per idle connection after a GC, both
	// ends counted: the client and the server run in this one process.
	IdleBytesPerConnection int64   `json:"idle_bytes_per_connection"`
	GoroutinesPerConn      float64 `json:"goroutines_per_connection"`
	OpenFilesLimit         uint64  `json:"open_files_limit"`
	SetupS                 float64 `json:"setup_s"`
	Note                   string  `json:"note"`
}

// perUser is how many conversations (and streams) one bench user holds: fewer users to
// register, the same number of conversations and sockets.
const perUser = 50

// Chat runs the chat benchmark: the whole API on a loopback port, cfg.Connections customer
// WebSocket streams (each on a conversation of its own), then cfg.Rate messages a second sent
// as client frames round-robin over the streams for cfg.Duration. A message's latency is from
// its scheduled send time (so a stalled server is not hidden by a stalled sender) to its
// message event on the stream: read, stored, published, delivered.
func Chat(ctx context.Context, cfg ChatConfig) (ChatResult, error) {
	if cfg.Store == nil || cfg.Connections < 1 || cfg.Rate < 1 || cfg.Duration <= 0 {
		return ChatResult{}, errors.New("bench chat: needs a store, connections ≥ 1, rate ≥ 1 and a duration")
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	apiLog := cfg.APILog
	if apiLog == nil {
		apiLog = slog.New(slog.DiscardHandler)
	}
	res := ChatResult{Store: cfg.Store.Dialect.String(), Connections: cfg.Connections, Rate: cfg.Rate,
		Note: "client and server share this process and its cores; idle memory counts both ends of each socket"}
	limit, err := raiseOpenFiles()
	if err != nil {
		return res, err
	}
	res.OpenFilesLimit = limit
	if need := uint64(2*cfg.Connections + 200); limit < need {
		return res, fmt.Errorf("bench chat: %d connections need about %d open files (both ends in this process), the limit is %d", cfg.Connections, need, limit)
	}

	a, err := app.New(ctx, cfg.Config, log, app.Options{DB: cfg.Store, Identity: identity.Options{Argon2: cheapArgon2}})
	if err != nil {
		return res, err
	}
	defer a.Close()
	api, err := httpapi.New(httpapi.Options{Config: cfg.Config, DB: a.DB, Log: apiLog, Version: "bench",
		Identity: a.Identity, Staff: a.Staff, Audit: a.Audit, Merchants: a.Merchants, Wallet: a.Wallet, Checkout: a.Checkout, Support: a.Support, Help: a.Help})
	if err != nil {
		return res, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, fmt.Errorf("listen: %w", err)
	}
	srv := front.NewServer(api, apiLog)
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		api.BeginShutdown() // ends the streams, which Shutdown does not wait for
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	base := "ws://" + ln.Addr().String()

	// Setup: users, agents, conversations.
	start := time.Now()
	run := id.New("run")
	log.Info("bench chat: creating users and conversations", "connections", cfg.Connections)
	users := (cfg.Connections + perUser - 1) / perUser
	tokens := make([]string, users)
	block := rand.Int64N(90_000) + 10_000
	if err := parallel(ctx, users, 8, func(ctx context.Context, i int) error {
		email := fmt.Sprintf("%s-%d@bench.localhost", run, i)
		_, err := a.Identity.Register(ctx, identity.RegisterInput{Phone: fmt.Sprintf("+62%05d%05d", block, i%100_000),
			Email: email, Password: httpPassword, DisplayName: fmt.Sprintf("Chat User %d", i)})
		if err != nil {
			return fmt.Errorf("register bench user %d: %w", i, err)
		}
		s, _, err := a.Identity.Login(ctx, identity.LoginInput{Login: email, Password: httpPassword, DeviceID: "bench"})
		if err != nil {
			return fmt.Errorf("log in bench user %d: %w", i, err)
		}
		tokens[i] = s.Token
		return nil
	}); err != nil {
		return res, err
	}
	// Agents online with room for every chat: the conversations are assigned as they open,
	// as chats are while messages flow (a queued one also computes its place on every read).
	agents := (cfg.Connections + staff.MaxCapacity - 1) / staff.MaxCapacity
	if err := parallel(ctx, agents, 4, func(ctx context.Context, i int) error {
		st, _, _, err := a.Staff.Create(ctx, fmt.Sprintf("%s-agent-%d@bench.localhost", run, i), fmt.Sprintf("Bench Agent %d", i),
			staff.RoleAgent, staff.DefaultTeam, "")
		if err != nil {
			return fmt.Errorf("create bench agent %d: %w", i, err)
		}
		capacity := staff.MaxCapacity
		if _, err := a.Staff.Update(ctx, staff.Operator(), st.ID, staff.Change{Capacity: &capacity, Reason: "bench"}); err != nil {
			return fmt.Errorf("bench agent %d capacity: %w", i, err)
		}
		return a.Support.Presence(ctx, st.ID, "online")
	}); err != nil {
		return res, err
	}
	convs := make([]string, cfg.Connections)
	if err := parallel(ctx, cfg.Connections, 8, func(ctx context.Context, i int) error {
		p, err := a.Identity.Authenticate(ctx, tokens[i/perUser])
		if err != nil {
			return err
		}
		// No email: a chat opened while the team is closed would become an email conversation.
		c, _, err := a.Support.Open(ctx, support.NewConversation{Channel: support.ChannelChat, Topic: "other",
			Customer: support.Customer{UserID: p.User.ID, Name: p.User.DisplayName}, Body: "hello"})
		if err != nil {
			return fmt.Errorf("open bench conversation %d: %w", i, err)
		}
		convs[i] = c.ID
		return nil
	}); err != nil {
		return res, err
	}
	res.SetupS = round(time.Since(start).Seconds(), 2)

	// Connect, then measure the idle sockets.
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	g0 := runtime.NumGoroutine()
	n := cfg.Connections
	total := int(float64(cfg.Rate)*cfg.Duration.Seconds()) + 1
	sentAt := make([]atomic.Int64, total) // unix nanos of each message's scheduled send
	var acked, delivered, refused atomic.Int64
	var lat latencies
	conns := make([]*websocket.Conn, n)
	var readers sync.WaitGroup
	log.Info("bench chat: connecting", "connections", n)
	if err := parallel(ctx, n, 64, func(ctx context.Context, i int) error {
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		c, _, err := websocket.Dial(dctx, base+"/api/v1/support/conversations/"+convs[i]+"/stream?token="+tokens[i/perUser], nil)
		if err != nil {
			return fmt.Errorf("dial stream %d: %w", i, err)
		}
		conns[i] = c
		readers.Add(1)
		go func() {
			defer readers.Done()
			mine := make([]time.Duration, 0, 4)
			defer func() { lat.add(mine) }()
			var ev struct {
				Type    string `json:"type"`
				Message struct {
					ClientID string `json:"client_id"`
				} `json:"message"`
			}
			for {
				_, b, err := c.Read(context.Background())
				if err != nil {
					return
				}
				now := time.Now().UnixNano()
				ev.Type, ev.Message.ClientID = "", ""
				if json.Unmarshal(b, &ev) != nil {
					continue
				}
				switch ev.Type {
				case "ack":
					acked.Add(1)
				case "error":
					refused.Add(1)
				case "message":
					seq, err := strconv.Atoi(strings.TrimPrefix(ev.Message.ClientID, "b-"))
					if err != nil || seq < 0 || seq >= total {
						continue
					}
					delivered.Add(1)
					mine = append(mine, time.Duration(now-sentAt[seq].Load()))
				}
			}
		}()
		return nil
	}); err != nil {
		closeAll(conns)
		return res, err
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	res.IdleBytesPerConnection = (int64(m1.HeapInuse+m1.StackInuse) - int64(m0.HeapInuse+m0.StackInuse)) / int64(n)
	res.GoroutinesPerConn = round(float64(runtime.NumGoroutine()-g0)/float64(n), 2)

	// Send at the fixed rate.
	log.Info("bench chat: sending", "rate", cfg.Rate, "duration", cfg.Duration.String())
	interval := time.Second / time.Duration(cfg.Rate)
	began := time.Now()
	var sent atomic.Int64
	for seq := 0; seq < total-1; seq++ {
		at := began.Add(time.Duration(seq) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		if ctx.Err() != nil {
			break
		}
		sentAt[seq].Store(at.UnixNano())
		c := conns[seq%n]
		frame := []byte(`{"type":"message","body":"bench message ` + strconv.Itoa(seq) + `","client_id":"b-` + strconv.Itoa(seq) + `"}`)
		sent.Add(1)
		go func() {
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			_ = c.Write(wctx, websocket.MessageText, frame)
		}()
	}
	res.DurationS = round(time.Since(began).Seconds(), 2)
	res.Sent = sent.Load()
	// Let what is in flight arrive (at most 10 s), then close.
	deadline := time.Now().Add(10 * time.Second)
	for delivered.Load() < res.Sent && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	closeAll(conns)
	readers.Wait()
	res.Acked, res.Delivered, res.Refused = acked.Load(), delivered.Load(), refused.Load()
	res.P50Ms, res.P99Ms, res.MaxMs = lat.percentiles()
	log.Info("bench chat: done", "sent", res.Sent, "delivered", res.Delivered, "p50_ms", res.P50Ms, "p99_ms", res.P99Ms)
	return res, nil
}

func closeAll(conns []*websocket.Conn) {
	for _, c := range conns {
		if c != nil {
			c.CloseNow()
		}
	}
}
