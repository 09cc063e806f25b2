// Package telephony checks the events a PBX or CTI connector posts to Dompet
// (POST /api/v1/telephony/events): the X-Dompet-Signature header (HMAC-SHA256 with the shared
// DOMPET_TELEPHONY_SECRET, a timestamp within 5 minutes) and the strict JSON of the event. It
// knows no domain: matching the caller to a customer and opening or joining a conversation
// belong to the support desk.
//
// Failures are *fault.Error values: a bad signature is "unauthenticated" (401), a bad body
// "invalid_request" (400) naming the member.
package telephony

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/fault"
)

// HeaderSignature carries "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">".
const HeaderSignature = "X-Dompet-Signature"

// Tolerance is how far the signed timestamp may be from the server's clock, either way. It
// bounds replays of a captured request.
const Tolerance = 5 * time.Minute

// Bounds of the header (several v1 values are allowed while a secret is rotated).
const (
	maxHeader = 1024
	maxSigs   = 8
)

// ErrBadSignature matches (errors.Is) every refusal of Verify.
var ErrBadSignature = fault.New("unauthenticated", "the telephony event signature is missing, stale or wrong")

var (
	errNoSecret  = ErrBadSignature.Because("no telephony secret is configured: every event is refused")
	errMalformed = ErrBadSignature.Because(`malformed X-Dompet-Signature: want "t=<unix seconds>,v1=<64 hex digits>"`)
	errStale     = ErrBadSignature.Because("the X-Dompet-Signature timestamp is more than 5 minutes from the server's clock")
	errNoMatch   = ErrBadSignature.Because("no v1 signature of X-Dompet-Signature matches the body")
)

// Sign returns the X-Dompet-Signature value for body sent at now, for a PBX connector and
// for tests.
func Sign(secret string, body []byte, now time.Time) string {
	ts := strconv.FormatInt(now.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks header (the X-Dompet-Signature value) against the raw body: it must be
// "t=<unix seconds>" once and one to eight "v1=<64 hex digits>" (a connector rotating its
// secret signs with the old and the new one), comma-separated; other keys are ignored, as
// schemes to come. The timestamp must be within Tolerance of now, and one v1 value must equal
// the HMAC-SHA256 of "<t>.<body>" under secret (compared in constant time). An empty secret
// refuses everything. Every failure matches ErrBadSignature.
func Verify(secret, header string, body []byte, now time.Time) error {
	if secret == "" {
		return errNoSecret
	}
	if header == "" || len(header) > maxHeader {
		return errMalformed
	}
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return errMalformed
		}
		switch k {
		case "t":
			if ts != "" || !digits(v, 1, 12) {
				return errMalformed
			}
			ts = v
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != sha256.Size || len(sigs) == maxSigs {
				return errMalformed
			}
			sigs = append(sigs, sig)
		}
	}
	if ts == "" || len(sigs) == 0 {
		return errMalformed
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errMalformed
	}
	if d := now.Sub(time.Unix(sec, 0)); d > Tolerance || d < -Tolerance {
		return errStale
	}
	want := mac(secret, ts, body)
	ok := 0
	for _, sig := range sigs { // every value is compared: the time taken says nothing
		ok |= subtle.ConstantTimeCompare(sig, want)
	}
	if ok == 0 {
		return errNoMatch
	}
	return nil
}

// digits reports whether s is min to max ASCII digits.
func digits(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
