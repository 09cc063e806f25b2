package merchant

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestSignMatchesTheDocumentedScheme(t *testing.T) {
	at := time.Unix(1793000000, 0)
	body := []byte(`{"id":"evt_1","type":"payment.succeeded"}`)
	h := hmac.New(sha256.New, []byte("whsec_abc"))
	h.Write([]byte("1793000000." + string(body)))
	want := "t=1793000000,v1=" + hex.EncodeToString(h.Sum(nil))
	if got := Sign("whsec_abc", at, body); got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	const secret = "whsec_right"
	now := time.Unix(1793000000, 0)
	body := []byte(`{"id":"evt_1","type":"payment.succeeded","data":{"amount":150000}}`)
	good := Sign(secret, now.Add(-30*time.Second), body)
	tests := []struct {
		name    string
		secret  string
		header  string
		body    []byte
		wantErr bool
	}{
		{"right", secret, good, body, false},
		{"rotated secret: one of two v1 matches", secret, good + ",v1=" + fmt.Sprintf("%064x", 1), body, false},
		{"wrong secret", "whsec_wrong", good, body, true},
		{"modified body", secret, good, []byte(`{"id":"evt_1","type":"payment.succeeded","data":{"amount":950000}}`), true},
		{"too old", secret, Sign(secret, now.Add(-6*time.Minute), body), body, true},
		{"from the future", secret, Sign(secret, now.Add(6*time.Minute), body), body, true},
		{"timestamp changed", secret, strings.Replace(good, "t=1792999970,", "t=1792999971,", 1), body, true},
		{"no v1", secret, "t=1793000000", body, true},
		{"empty", secret, "", body, true},
		{"garbage", secret, "sha256=abc", body, true},
	}
	for _, tc := range tests {
		err := Verify(tc.secret, tc.header, tc.body, now, 5*time.Minute)
		if tc.wantErr != (err != nil) {
			t.Errorf("%s: Verify = %v, want error %v", tc.name, err, tc.wantErr)
		}
		if err != nil && !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: error %v is not ErrBadSignature", tc.name, err)
		}
	}
}
