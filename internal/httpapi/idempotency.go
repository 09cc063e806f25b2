package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/dompet/dompet/internal/fault"
)

// maxIdempotencyKey is the longest Idempotency-Key API.md allows.
const maxIdempotencyKey = 255

var errIdempotencyKeyRequired = fault.New("idempotency_key_required",
	"This request moves money and needs an Idempotency-Key header (1 to 255 characters).")

// idempotencyKey returns the Idempotency-Key header every money-moving POST must carry.
// The key, with requestHash of the body, goes to the service that stores the first answer
// and replays it (same key, same hash) or refuses with idempotency_conflict (different hash).
// Two headers are refused rather than one of them chosen: a proxy that keeps the other would
// replay another request than the one executed.
func idempotencyKey(r *http.Request) (string, error) {
	ks := r.Header.Values("Idempotency-Key")
	if len(ks) > 1 {
		return "", fault.Invalid("Idempotency-Key", fault.MsgKeyOnce).
			Explained(map[string]string{"zh-CN": "Idempotency-Key 请求头只能发送一次。"})
	}
	var k string
	if len(ks) == 1 {
		k = ks[0]
	}
	switch {
	case k == "":
		return "", errIdempotencyKeyRequired
	case len(k) > maxIdempotencyKey:
		return "", fault.Invalid("Idempotency-Key", fault.MsgMustAtMostChars, maxIdempotencyKey)
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] == 0x7f {
			return "", fault.Invalid("Idempotency-Key", fault.MsgNoControlChars)
		}
	}
	return k, nil
}

// requestHash fingerprints a request body (SHA-256, hex) so a second request under the same
// Idempotency-Key can be told apart from a retry of the first.
func requestHash(body []byte) string {
	h := sha256.Sum256(body)
	return hex.EncodeToString(h[:])
}
