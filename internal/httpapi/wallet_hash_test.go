package httpapi

import "testing"

func TestIdempotencyHashIgnoresPINAndMemberOrder(t *testing.T) {
	a := requestHash(withoutPIN([]byte(`{"merchant_id":"m1","amount":100,"currency":"IDR","pin":"135790"}`)))
	b := requestHash(withoutPIN([]byte(`{"currency":"IDR","amount":100,"merchant_id":"m1","pin":"000000"}`)))
	c := requestHash(withoutPIN([]byte(`{"currency":"IDR","amount":101,"merchant_id":"m1"}`)))
	if a != b {
		t.Fatal("the same payment with another PIN or member order hashes differently")
	}
	if a == c {
		t.Fatal("another amount hashes the same")
	}
}
