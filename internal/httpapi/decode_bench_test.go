package httpapi

import (
	"testing"

	"github.com/dompet/dompet/internal/wallet"
)

// BenchmarkDecodePayment measures the strict decoding of a payment's body, the request the
// HTTP benchmark sends.
func BenchmarkDecodePayment(b *testing.B) {
	body := []byte(`{"merchant_id":"mch_01JD7Q8S2W3E4R5T6Y7U8I9O0P","amount":150000,"currency":"IDR","order_ref":"bench-123456","pin":"135790"}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		var in wallet.PayInput
		if err := unmarshalStrict(body, &in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeWithdrawal measures a body with a nested object.
func BenchmarkDecodeWithdrawal(b *testing.B) {
	body := []byte(`{"amount":5000000,"currency":"IDR","bank_account":{"bank_code":"BCA","account_number":"1234567890","holder_name":"Budi Santoso"},"pin":"135790"}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		var in wallet.WithdrawInput
		if err := unmarshalStrict(body, &in); err != nil {
			b.Fatal(err)
		}
	}
}
