package front

import (
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestSlowClientsDoNotHoldOthersUp: 200 connections trickle their headers a byte at a time;
// a normal client is answered while they are all still open, and ReadHeaderTimeout then
// closes every one of them. The server is built by NewServer, as `dompet serve` builds it.
func TestSlowClientsDoNotHoldOthersUp(t *testing.T) {
	const slow = 200
	f := newFront(t, Options{}, Route{Pattern: "GET /ping", Handler: ok("pong")})
	srv := NewServer(f, nil)
	srv.ReadHeaderTimeout = 3 * time.Second // short for the test; the normal client must be done before it

	var mu sync.Mutex
	slowAddr := map[string]bool{}
	closed := 0                           // slow connections the server closed
	accepted := make(chan string, 2*slow) // every connection the server took
	srv.ConnState = func(c net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			accepted <- c.RemoteAddr().String()
		case http.StateClosed:
			mu.Lock()
			if slowAddr[c.RemoteAddr().String()] {
				closed++
			}
			mu.Unlock()
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	header := []byte("GET /ping HTTP/1.1\r\nHost: dompet\r\nX-Slow: ")
	var started, gone sync.WaitGroup
	for range slow {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		mu.Lock()
		slowAddr[c.LocalAddr().String()] = true
		mu.Unlock()
		started.Add(1)
		gone.Add(1)
		go func() { // trickle: a byte per tick, never ending the header
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for i := 0; ; i++ {
				b := byte('a')
				if i < len(header) {
					b = header[i]
				}
				_, err := c.Write([]byte{b})
				if i == 0 {
					started.Done()
				}
				if err != nil {
					return // the server closed it
				}
				<-tick.C
			}
		}()
		go func() { // the server never answers a slow client; it closes it
			defer gone.Done()
			_, _ = io.Copy(io.Discard, c)
		}()
	}
	for range slow {
		<-accepted // the server holds all 200
	}
	started.Wait() // and each has begun its header

	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	for i := range 20 {
		res, err := client.Get("http://" + ln.Addr().String() + "/ping")
		if err != nil {
			t.Fatalf("normal request %d: %v", i, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(b) != "pong" {
			t.Fatalf("normal request %d: %d %q", i, res.StatusCode, b)
		}
	}
	mu.Lock()
	stillOpen := slow - closed
	mu.Unlock()
	if stillOpen != slow {
		t.Fatalf("only %d of %d slow connections were open while the normal client was served", stillOpen, slow)
	}

	// ReadHeaderTimeout closes every slow connection.
	allGone := make(chan struct{})
	go func() { gone.Wait(); close(allGone) }()
	select {
	case <-allGone:
	case <-time.After(10 * srv.ReadHeaderTimeout): // a bound on a hang, not a measurement
		t.Fatal("slow connections still open long after ReadHeaderTimeout")
	}
}
