package wallet

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/dompet/dompet/internal/money"
)

// Provider failures: a decline is final, an outage is worth retrying later.
var (
	errDeclined    = errors.New("declined")
	errUnavailable = errors.New("unavailable")
	errRejected    = errors.New("rejected by the bank")
)

// Charge asks a card processor or bank to collect a top-up.
type Charge struct {
	ID     string // Dompet's transaction id: providers deduplicate on it
	Source Source
	Amount money.Amount
}

// Funding collects top-ups. Implementations return an error wrapping errDeclined or
// errUnavailable (see Declined and Unavailable).
type Funding interface {
	Charge(ctx context.Context, c Charge) error
	// Reverse gives a collected top-up back (when Dompet cannot credit it).
	Reverse(ctx context.Context, chargeID string) error
}

// Payout asks a bank to pay out a withdrawal or remittance.
type Payout struct {
	ID          string
	Amount      money.Amount
	BankAccount BankAccount
}

// Bank pays out. An error wrapping errRejected is final (the money comes back); one
// wrapping errUnavailable is retried later.
type Bank interface {
	Payout(ctx context.Context, p Payout) error
}

// BankDirectory lists the banks Dompet pays out to and asks a bank who holds an account
// (inquiry), so that the user sees the name before money moves. Inquire answers
// ErrUnknownBank for a code not in the list.
type BankDirectory interface {
	Banks(ctx context.Context) ([]BankInfo, error)
	Inquire(ctx context.Context, bankCode, accountNumber string) (holderName string, err error)
}

// Declined wraps a provider's final refusal.
func Declined(msg string) error { return errors.Join(errDeclined, errors.New(msg)) }

// Unavailable wraps a provider outage.
func Unavailable(msg string) error { return errors.Join(errUnavailable, errors.New(msg)) }

// Rejected wraps a bank's final refusal of a payout.
func Rejected(msg string) error { return errors.Join(errRejected, errors.New(msg)) }

// Sandbox is a deterministic bank and card processor that fails on demand:
//   - a top-up whose source reference is "sandbox:decline" is declined, "sandbox:outage" meets
//     an outage;
//   - a payout to an account number ending in 0000 is rejected at settlement, one ending in
//     9999 meets an outage (and is retried, so the withdrawal stays pending);
//   - its bank directory (sandbox_banks.go) answers every account of a listed bank with a
//     name derived from the bank code and the account number (the same one every time).
//
// While Down is set every call meets an outage, to rehearse a provider incident.
type Sandbox struct {
	mu       sync.Mutex
	Down     bool
	charges  map[string]bool
	reversed map[string]bool
	payouts  map[string]bool
}

// SetDown switches the simulated outage.
func (s *Sandbox) SetDown(down bool) {
	s.mu.Lock()
	s.Down = down
	s.mu.Unlock()
}

func (s *Sandbox) down() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Down
}

// Charge implements Funding.
func (s *Sandbox) Charge(ctx context.Context, c Charge) error {
	if s.down() {
		return Unavailable("sandbox provider is down")
	}
	switch strings.ToLower(c.Source.Reference) {
	case "sandbox:decline":
		return Declined("sandbox: declined by the issuer")
	case "sandbox:outage":
		return Unavailable("sandbox: provider outage")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.charges == nil {
		s.charges = map[string]bool{}
	}
	s.charges[c.ID] = true
	return nil
}

// Reverse implements Funding.
func (s *Sandbox) Reverse(ctx context.Context, chargeID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reversed == nil {
		s.reversed = map[string]bool{}
	}
	s.reversed[chargeID] = true
	return nil
}

// Payout implements Bank.
func (s *Sandbox) Payout(ctx context.Context, p Payout) error {
	if s.down() {
		return Unavailable("sandbox bank is down")
	}
	switch {
	case strings.HasSuffix(p.BankAccount.AccountNumber, "0000"):
		return Rejected("sandbox: the beneficiary bank rejected the account")
	case strings.HasSuffix(p.BankAccount.AccountNumber, "9999"):
		return Unavailable("sandbox: the bank is not answering")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.payouts == nil {
		s.payouts = map[string]bool{}
	}
	s.payouts[p.ID] = true
	return nil
}
