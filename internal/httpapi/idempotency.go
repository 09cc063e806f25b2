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
func idempotencyKey(r *http.Request) (string, error) {
	k := r.Header.Get("Idempotency-Key")
	switch {
	case k == "":
		return "", errIdempotencyKeyRequired
	case len(k) > maxIdempotencyKey:
		return "", fault.Invalid("Idempotency-Key", "must be at most 255 characters")
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] == 0x7f {
			return "", fault.Invalid("Idempotency-Key", "must not hold control characters")
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
