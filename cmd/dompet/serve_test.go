package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeBinary builds dompet, serves on a random port with a temporary SQLite store, waits
// for /readyz, sends SIGTERM and expects a clean exit.
func TestServeBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "dompet")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", "sqlite:"+filepath.Join(dir, "data", "d.db"),
		"--smtp-listen", "127.0.0.1:0", "--log-level", "debug")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DOMPET_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stdout strings.Builder
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	// Read the JSON logs until the listen address shows; keep reading afterwards so the
	// process never blocks on a full pipe.
	addrc := make(chan string, 1)
	smtpc := make(chan string, 1)
	logs := make(chan string, 1)
	go func() {
		var all strings.Builder
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			all.WriteString(line + "\n")
			var e struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &e) != nil {
				t.Errorf("log line is not JSON: %s", line)
				continue
			}
			if e.Msg == "listening" {
				addrc <- e.Addr
			}
			if e.Msg == "smtp listener" {
				smtpc <- e.Addr
			}
		}
		logs <- all.String()
	}()
	var addr string
	select {
	case addr = <-addrc:
	case <-time.After(30 * time.Second):
		t.Fatal("no 'listening' log line within 30s")
	}

	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := client.Get("http://" + addr + "/readyz")
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz not 200 within 10s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The support mailbox's SMTP listener runs beside HTTP (DOMPET_SMTP_LISTEN).
	var smtpAddr string
	select {
	case smtpAddr = <-smtpc:
	default:
		t.Fatal("no 'smtp listener' log line before 'listening'")
	}
	sc, err := smtp.Dial(smtpAddr)
	if err != nil {
		t.Fatalf("smtp: %v", err)
	}
	if err := sc.Hello("test.local"); err != nil {
		t.Fatalf("smtp EHLO: %v", err)
	}
	_ = sc.Quit()

	res, err := client.Get("http://" + addr + "/api/v1/nope")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 || res.Header.Get("Content-Type") != "application/problem+json" || res.Header.Get("X-Request-Id") == "" {
		t.Fatalf("404: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}

	res, err = client.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{"dompet_ledger_groups_total", "dompet_http_requests_total"} {
		if !strings.Contains(string(metrics), want) {
			t.Fatalf("/metrics lacks %s", want)
		}
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, <-logs)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("still running 15s after SIGTERM")
	}
	all := <-logs
	if _, err := smtp.Dial(smtpAddr); err == nil {
		t.Error("the SMTP listener still answers after shutdown")
	}
	for _, want := range []string{`"msg":"shutting down"`, `"msg":"stopped"`, `"msg":"migration applied"`} {
		if !strings.Contains(all, want) {
			t.Errorf("logs lack %s:\n%s", want, all)
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("serve wrote to stdout: %s", stdout.String())
	}
}
