package httpapi

import (
	"net/http"

	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/wallet"
)

// Names before money moves: who a phone or email belongs to, the banks and who holds an
// account at one, and the bank accounts and recipients a user keeps.

func (s *Server) lookupRecipient(w http.ResponseWriter, r *http.Request) error {
	p, _ := userOf[identity.Principal](r)
	rn, err := s.wallet.LookupRecipient(r.Context(), party(p.User), clientIP(r), r.URL.Query().Get("to"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rn)
}

var lookupRecipientDoc = operation{Summary: "Who a transfer would reach: the recipient's masked name", Tag: "recipients",
	Description: "For the sender to check the name before a transfer. The name is masked: the first word's first two letters and the last word's initial (`Bu*** S.`); a name in Chinese, Japanese or Korean script shows its last character only (`**明`). Each lookup spends from a budget per user and per client address (`DOMPET_RATE_LOOKUP_PER_USER`, `DOMPET_RATE_LOOKUP_PER_IP`), found or not; over it, `429 rate_limited` with `Retry-After`.",
	Query:       []param{{Name: "to", Required: true, Description: "phone number, email or user id"}},
	Response:    wallet.RecipientName{}, Errors: []string{"invalid_request", "not_found", "rate_limited"}}

// merchantName is GET /api/v1/merchants/{id}.
type merchantName struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name" doc:"the merchant's name, as its payers see it"`
}

func (s *Server) merchantName(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	name, err := s.wallet.MerchantName(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, merchantName{ID: id, DisplayName: name})
}

var merchantNameDoc = operation{Summary: "Whom a payment would reach: the merchant's name", Tag: "recipients",
	Description: "For the payer to check the merchant before a payment (`POST /api/v1/payments`). A merchant's name is public: it is not masked. An id no merchant has → `404 not_found` with the words a payment to it gets.",
	Response:    merchantName{}, Errors: []string{"not_found"}}

func (s *Server) banks(w http.ResponseWriter, r *http.Request) error {
	b, err := s.wallet.Banks(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, bankList{Items: b})
}

// bankList is GET /api/v1/banks.
type bankList struct {
	Items []wallet.BankInfo `json:"items"`
}

var banksDoc = operation{Summary: "The banks users can withdraw to", Tag: "banks", Response: bankList{}}

func (s *Server) inquireBankAccount(w http.ResponseWriter, r *http.Request) error {
	var req wallet.InquiryInput
	if err := decode(r, &req); err != nil {
		return err
	}
	inq, err := s.wallet.InquireAccount(r.Context(), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, inq)
}

var inquireBankAccountDoc = operation{Summary: "Ask the bank who holds an account, before a withdrawal", Tag: "bank-accounts",
	Description: "An unknown `bank_code` is refused with a field error on `bank_code`. The sandbox bank answers every account of a listed bank with a name of its own, the same every time.",
	Request:     wallet.InquiryInput{}, Response: wallet.Inquiry{}, Errors: []string{"provider_unavailable"}}

func (s *Server) bankAccounts(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	p, _ := userOf[identity.Principal](r)
	pg, err := s.wallet.BankAccounts(r.Context(), p.User.ID, wallet.Filter{Limit: limit, Cursor: cursor})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, pg)
}

var bankAccountsDoc = operation{Summary: "The user's saved bank accounts, newest first", Tag: "bank-accounts",
	Query: listQuery, Response: wallet.Page[wallet.SavedBankAccount]{}}

func (s *Server) saveBankAccount(w http.ResponseWriter, r *http.Request) error {
	var req wallet.SaveBankAccountInput
	if err := decode(r, &req); err != nil {
		return err
	}
	p, _ := userOf[identity.Principal](r)
	a, err := s.wallet.SaveBankAccount(r.Context(), p.User.ID, req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, a)
}

var saveBankAccountDoc = operation{Summary: "Save a bank account for withdrawals", Tag: "bank-accounts",
	Description: "The holder name is the one the bank answers to an inquiry, not typed by the user. The same bank account twice → `409 already_exists`.",
	Request:     wallet.SaveBankAccountInput{}, Status: http.StatusCreated, Response: wallet.SavedBankAccount{},
	Errors: []string{"already_exists", "provider_unavailable"}}

func (s *Server) deleteBankAccount(w http.ResponseWriter, r *http.Request) error {
	p, _ := userOf[identity.Principal](r)
	if err := s.wallet.DeleteBankAccount(r.Context(), p.User.ID, r.PathValue("id")); err != nil {
		return err
	}
	return noContent(w)
}

var deleteBankAccountDoc = operation{Summary: "Forget a saved bank account", Tag: "bank-accounts", Status: http.StatusNoContent}

func (s *Server) favorites(w http.ResponseWriter, r *http.Request) error {
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	p, _ := userOf[identity.Principal](r)
	pg, err := s.wallet.Favorites(r.Context(), p.User.ID, wallet.Filter{Limit: limit, Cursor: cursor})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, pg)
}

var favoritesDoc = operation{Summary: "The user's favourite recipients, newest first", Tag: "favorites",
	Query: listQuery, Response: wallet.Page[wallet.Favorite]{}}

func (s *Server) addFavorite(w http.ResponseWriter, r *http.Request) error {
	var req wallet.FavoriteInput
	if err := decode(r, &req); err != nil {
		return err
	}
	p, _ := userOf[identity.Principal](r)
	f, err := s.wallet.AddFavorite(r.Context(), party(p.User), clientIP(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, f)
}

var addFavoriteDoc = operation{Summary: "Save a favourite recipient", Tag: "favorites",
	Description: "`to` is resolved as for a transfer and spends the recipient-lookup budget; the name is kept masked. The same recipient twice → `409 already_exists`.",
	Request:     wallet.FavoriteInput{}, Status: http.StatusCreated, Response: wallet.Favorite{},
	Errors: []string{"not_found", "already_exists", "rate_limited"}}

func (s *Server) deleteFavorite(w http.ResponseWriter, r *http.Request) error {
	p, _ := userOf[identity.Principal](r)
	if err := s.wallet.DeleteFavorite(r.Context(), p.User.ID, r.PathValue("id")); err != nil {
		return err
	}
	return noContent(w)
}

var deleteFavoriteDoc = operation{Summary: "Forget a favourite recipient", Tag: "favorites", Status: http.StatusNoContent}
