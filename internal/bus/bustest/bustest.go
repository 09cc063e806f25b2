// Package bustest gives tests a NATS server: the one DOMPET_TEST_NATS_URL names (CI sets it,
// as it sets DOMPET_TEST_DB), or else a private nats-server on a random port for the test
// alone, so that parallel tests never hear each other's events.
package bustest

import (
	"encoding/json"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Server is the nats-server binary a private server is started from: $DOMPET_TEST_NATS_SERVER,
// nats-server on the PATH, or Debian's /usr/sbin/nats-server.
func Server() (string, bool) {
	if p := os.Getenv("DOMPET_TEST_NATS_SERVER"); p != "" {
		return p, true
	}
	if p, err := exec.LookPath("nats-server"); err == nil {
		return p, true
	}
	if _, err := os.Stat("/usr/sbin/nats-server"); err == nil {
		return "/usr/sbin/nats-server", true
	}
	return "", false
}

// URL returns the URL of a NATS server for the test. With DOMPET_TEST_NATS_URL set the test
// fails if that server does not answer; without it the test starts a private server (stopped
// when the test ends), and is skipped only when there is no nats-server binary and CI is not
// "true" (on CI it fails).
func URL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("DOMPET_TEST_NATS_URL"); u != "" {
		if err := reachable(u); err != nil {
			t.Fatalf("bustest: DOMPET_TEST_NATS_URL=%s does not answer: %v", u, err)
		}
		return u
	}
	bin, ok := Server()
	if !ok {
		if os.Getenv("CI") == "true" {
			t.Fatal("bustest: CI needs NATS: set DOMPET_TEST_NATS_URL or install nats-server")
		}
		t.Skip("no NATS: set DOMPET_TEST_NATS_URL or install nats-server (apt-get install nats-server)")
	}
	return Start(t, bin)
}

// Start runs bin (a nats-server) on a random loopback port and returns its URL once it
// listens; the server is killed when the test ends.
func Start(t testing.TB, bin string) string {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(bin, "-a", "127.0.0.1", "-p", "-1", "--ports_file_dir", dir)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("bustest: start %s: %v", bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	// The server writes its ports file once it listens.
	file := filepath.Join(dir, filepath.Base(bin)+"_"+strconv.Itoa(cmd.Process.Pid)+".ports")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, err := os.ReadFile(file); err == nil {
			var ports struct{ Nats []string }
			if json.Unmarshal(b, &ports) == nil && len(ports.Nats) > 0 {
				return ports.Nats[0]
			}
		}
		select {
		case <-done:
			t.Fatalf("bustest: %s exited: %s", bin, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("bustest: %s wrote no ports file within 10s", bin)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func reachable(u string) error {
	x, err := url.Parse(strings.TrimSpace(strings.Split(u, ",")[0]))
	if err != nil {
		return err
	}
	c, err := net.DialTimeout("tcp", x.Host, 3*time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}
