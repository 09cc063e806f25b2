package wallet

import (
	"testing"
	"time"

	"github.com/dompet/dompet/internal/ledger"
	"github.com/dompet/dompet/internal/money"
)

// Every usage key the wallet builds is read back by translate as the limit it stands for:
// the prefixes are named once, so building and parsing cannot drift apart.
func TestUsageKeysReadBack(t *testing.T) {
	w := &Wallet{o: Options{Location: time.UTC}}
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	amount := money.New(100, "IDR")
	for key, want := range map[string]string{
		w.dayKey("usr_a", "IDR", at):      "limit_exceeded/daily_outgoing",
		w.monthOutKey("usr_a", "IDR", at): "limit_exceeded/monthly_outgoing",
		w.monthInKey("usr_a", "IDR", at):  "limit_exceeded/monthly_incoming",
		w.monthInKey("usr_b", "IDR", at):  "limit_exceeded/recipient_monthly_incoming",
		refundKey("tx_1"):                 "refund_not_allowed/",
		quoteUsage("quo_1").Key:           "invalid_state/",
	} {
		f := translate(ledger.ErrLimitExceeded.With("limit", key), "acct_a", "usr_a", amount)
		limit, _ := f.Fields["limit"].(string)
		if got := f.Code + "/" + limit; got != want {
			t.Errorf("%s reads as %s, want %s", key, got, want)
		}
	}
}
