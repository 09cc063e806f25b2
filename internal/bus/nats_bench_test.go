package bus_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/bus"
	"github.com/dompet/dompet/internal/bus/bustest"
)

// BenchmarkNATSDelivery is one event from one bus to a subscriber of another (two processes)
// through a NATS server, published only after the previous one arrived: ns/op is the
// delivery latency across processes.
//
//	go test -run '^$' -bench NATSDelivery -benchtime 20000x ./internal/bus/
func BenchmarkNATSDelivery(b *testing.B) {
	url := bustest.URL(b)
	pub, err := bus.ConnectNATS(url, "bench-a", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer pub.Close()
	sub, err := bus.ConnectNATS(url, "bench-b", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Close()
	subj := fmt.Sprintf("bustest.bench.%d", time.Now().UnixNano())
	ch, end := sub.Subscribe(subj)
	defer end()
	payload := []byte(`{"type":"message","conversation_id":"cnv_01","message":{"body":"order 77 failed"}}`)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		if err := pub.Publish(ctx, subj, payload); err != nil {
			b.Fatal(err)
		}
		<-ch
	}
}
