package main

// Helpers of the crash test: build the binary, run it as a child process on a given store,
// kill or stop it, and talk to its API over real HTTP.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/identity"
)

// buildDompet compiles the command into a temporary directory.
func buildDompet(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "dompet")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// crashEnv is the test's environment without DOMPET_* settings, plus the store, a fixed
// server key (every process of a test must open what the others sealed) and no SMTP listener
// (several servers of parallel tests must not clash on its port).
func crashEnv(dsn string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DOMPET_") {
			env = append(env, kv)
		}
	}
	// Every client is 127.0.0.1, limited like any address: budgets the test never reaches.
	return append(env, "DOMPET_DB="+dsn, "DOMPET_SMTP_LISTEN=", "DOMPET_ADDR=127.0.0.1:0", "DOMPET_LOG_LEVEL=warn",
		"DOMPET_RATE_REGISTER_PER_IP=1000000/1m", "DOMPET_RATE_LOGIN_PER_IP=1000000/1m",
		"DOMPET_SECRET_KEY=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
}

// runDompet runs a one-shot subcommand and returns its stdout, stderr and exit error.
func runDompet(bin string, env []string, args ...string) (stdout, stderr []byte, err error) {
	var o, e bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, &o, &e
	err = cmd.Run()
	return o.Bytes(), e.Bytes(), err
}

// crashLogs collects a child's logs for failure messages.
type crashLogs struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *crashLogs) WriteString(x string) {
	s.mu.Lock()
	s.b.WriteString(x)
	s.mu.Unlock()
}

func (s *crashLogs) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// dompetProc is a `dompet serve` child process.
type dompetProc struct {
	t       *testing.T
	cmd     *exec.Cmd
	base    string // http://127.0.0.1:port
	logs    *crashLogs
	done    chan struct{} // closed once the process has been waited for
	waitErr error
	http    *http.Client
}

// startDompet runs `dompet serve` and returns once /readyz answers 200. The process is killed
// when the test ends, whatever happened to it.
func startDompet(t *testing.T, bin string, env []string) *dompetProc {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--log-level", "info")
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &dompetProc{t: t, cmd: cmd, logs: &crashLogs{}, done: make(chan struct{}),
		http: &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = cmd.Process.Kill()
			<-s.done
		}
		s.http.CloseIdleConnections()
	})
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			line := sc.Text()
			s.logs.WriteString(line + "\n")
			var e struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &e) == nil && e.Msg == "listening" {
				addrc <- e.Addr
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		s.waitErr = cmd.Wait() // only after every read of the pipe, as os/exec asks
		close(s.done)
	}()
	select {
	case addr := <-addrc:
		s.base = "http://" + addr
	case <-s.done:
		t.Fatalf("dompet serve exited before listening: %v\n%s", s.waitErr, s.logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("no 'listening' log line within 30s\n%s", s.logs.String())
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, _, err := s.do(context.Background(), "GET", "/readyz", "", "", nil)
		if err == nil && st == 200 {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz not 200 within 10s: %d %v\n%s", st, err, s.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL; waitKilled waits for the process to be gone.
func (s *dompetProc) kill() {
	s.t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		s.t.Fatalf("kill: %v", err)
	}
}

func (s *dompetProc) waitKilled() {
	s.t.Helper()
	<-s.done
	s.http.CloseIdleConnections()
	if ws, ok := s.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		s.t.Fatalf("the server was not killed by SIGKILL but ended with %v\n%s", s.waitErr, s.logs.String())
	}
}

// stop sends SIGTERM and expects a clean exit.
func (s *dompetProc) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		s.t.Fatalf("still running 20s after SIGTERM\n%s", s.logs.String())
	}
	s.http.CloseIdleConnections()
	if s.waitErr != nil {
		s.t.Fatalf("exit after SIGTERM: %v\n%s", s.waitErr, s.logs.String())
	}
}

// do sends one request; token and key are optional. err is set only when no response came.
func (s *dompetProc) do(ctx context.Context, method, path, token, key string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := s.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, err
	}
	return res.StatusCode, b, nil
}

// call sends a request that must answer want, and decodes the answer into out (if not nil).
func (s *dompetProc) call(method, path, token, key string, body any, want int, out any) {
	s.t.Helper()
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			s.t.Fatal(err)
		}
	}
	st, b, err := s.do(context.Background(), method, path, token, key, raw)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	if st != want {
		s.t.Fatalf("%s %s: status %d, want %d: %s", method, path, st, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
}

// crashTx is the part of a transaction the crash test checks.
type crashTx struct {
	ID           string `json:"id"`
	Kind         string `json:"kind"`
	Status       string `json:"status"`
	Amount       int64  `json:"amount"`
	Currency     string `json:"currency"`
	Fee          struct{ Amount int64 }
	Counterparty struct{ Type, ID string }
	CreatedAt    time.Time `json:"created_at"`
	FailureCode  string    `json:"failure_code"`
}

// history returns every transaction of path (a paginated list), following next_cursor.
func (s *dompetProc) history(path, token string) []crashTx {
	s.t.Helper()
	var all []crashTx
	cursor := ""
	for {
		var pg struct {
			Items      []crashTx `json:"items"`
			NextCursor *string   `json:"next_cursor"`
		}
		p := path + "?limit=200"
		if cursor != "" {
			p += "&cursor=" + cursor
		}
		s.call("GET", p, token, "", nil, 200, &pg)
		all = append(all, pg.Items...)
		if pg.NextCursor == nil || *pg.NextCursor == "" {
			return all
		}
		if *pg.NextCursor == cursor {
			s.t.Fatalf("%s: next_cursor %s repeats", path, cursor)
		}
		cursor = *pg.NextCursor
	}
}

// parallel runs f(i) for i in [0, n) on a few goroutines.
func crashParallel(n, workers int, f func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// crashProblemCode returns the code of a problem+json body.
func crashProblemCode(b []byte) string {
	var p struct{ Code string }
	_ = json.Unmarshal(b, &p)
	return p.Code
}

func crashJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("marshal %T: %v", v, err))
	}
	return b
}

// crashPIN is the payment PIN of every crash-test user.
const crashPIN = "302918"

// crashSeedUsers registers, logs in and tops up the users, and makes them ready to pay: phone
// and email marked verified in the store (identity.MarkVerified, before the login, so that no
// session of the server caches them unverified) and the PIN crashPIN set through the API.
func crashSeedUsers(t *testing.T, s *dompetProc) []*crashUser {
	var dsn string
	for _, kv := range s.cmd.Env {
		if v, ok := strings.CutPrefix(kv, "DOMPET_DB="); ok {
			dsn = v
		}
	}
	store, err := db.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ids := identity.New(store, identity.Options{})
	users := make([]*crashUser, crashUsers)
	var wg sync.WaitGroup
	errs := make(chan string, crashUsers)
	for i := range users {
		u := &crashUser{phone: fmt.Sprintf("+6281100000%02d", i)}
		users[i] = u
		wg.Add(1)
		go func() { // registration and login hash with argon2: do them side by side
			defer wg.Done()
			reg := crashJSON(map[string]string{"phone": u.phone, "email": fmt.Sprintf("crash%d@example.com", i),
				"password": crashPass, "display_name": fmt.Sprintf("Crash %d", i)})
			st, b, err := s.do(context.Background(), "POST", "/api/v1/auth/register", "", "", reg)
			if err != nil || st != 201 {
				errs <- fmt.Sprintf("register %s: %d %v %s", u.phone, st, err, b)
				return
			}
			var reged struct{ ID string }
			if err := json.Unmarshal(b, &reged); err != nil {
				errs <- fmt.Sprintf("register %s: %s", u.phone, b)
				return
			}
			if err := ids.MarkVerified(context.Background(), reged.ID); err != nil {
				errs <- fmt.Sprintf("verify %s: %v", u.phone, err)
				return
			}
			login := crashJSON(map[string]string{"login": u.phone, "password": crashPass, "device_id": "crash-test"})
			st, b, err = s.do(context.Background(), "POST", "/api/v1/auth/login", "", "", login)
			if err != nil || st != 200 {
				errs <- fmt.Sprintf("login %s: %d %v %s", u.phone, st, err, b)
				return
			}
			var lr struct {
				Token string
				User  struct{ ID string }
			}
			if err := json.Unmarshal(b, &lr); err != nil || lr.Token == "" || lr.User.ID == "" {
				errs <- fmt.Sprintf("login %s: %s", u.phone, b)
				return
			}
			u.token, u.id = lr.Token, lr.User.ID
			st, b, err = s.do(context.Background(), "POST", "/api/v1/me/pin", u.token, "",
				crashJSON(map[string]string{"pin": crashPIN, "password": crashPass}))
			if err != nil || st != 204 {
				errs <- fmt.Sprintf("set pin %s: %d %v %s", u.phone, st, err, b)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	for i, u := range users {
		s.call("POST", "/api/v1/topups", u.token, fmt.Sprintf("crash-seed-%d", i),
			map[string]any{"amount": crashTopUp, "currency": "IDR", "source": map[string]string{"type": "bank_transfer", "reference": "crash"}},
			201, &u.topUp)
		if u.topUp.Status != "succeeded" || u.topUp.Amount != crashTopUp {
			t.Fatalf("top-up of %s: %+v", u.phone, u.topUp)
		}
	}
	return users
}

// crashVerifyLedger runs `dompet ledger verify` on the stopped dompetProc's store.
func crashVerifyLedger(t *testing.T, bin string, env []string) {
	t.Helper()
	out, errOut, err := runDompet(bin, env, "ledger", "verify")
	var rep struct {
		OK       bool     `json:"ok"`
		Problems []string `json:"problems"`
	}
	if jerr := json.Unmarshal(out, &rep); err != nil || jerr != nil || !rep.OK {
		t.Errorf("ledger verify: %v %v\n%s\n%s", err, jerr, out, errOut)
	}
}
