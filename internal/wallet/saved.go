package wallet

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/id"
)

// ErrAlreadySaved refuses saving a bank account or a favourite the user already has.
var ErrAlreadySaved = fault.New("already_exists", "already saved")

// Banks lists the banks users can withdraw to.
func (w *Wallet) Banks(ctx context.Context) ([]BankInfo, error) {
	b, err := w.o.Directory.Banks(ctx)
	if err != nil {
		return nil, fmt.Errorf("bank directory: %w", err)
	}
	return b, nil
}

// InquiryInput asks a bank who holds an account.
type InquiryInput struct {
	BankCode      string `json:"bank_code" doc:"a code from GET /api/v1/banks: 3-11 letters or digits"`
	AccountNumber string `json:"account_number" doc:"5-34 digits"`
}

// Inquiry is the bank's answer: the account holder's name.
type Inquiry struct {
	HolderName string `json:"holder_name"`
}

// InquireAccount asks the account's bank for the holder's name, before a withdrawal.
func (w *Wallet) InquireAccount(ctx context.Context, in InquiryInput) (Inquiry, error) {
	var v fault.Validation
	checkBankFields(in.BankCode, in.AccountNumber, &v)
	if err := v.Err(); err != nil {
		return Inquiry{}, err
	}
	name, err := w.o.Directory.Inquire(ctx, strings.ToUpper(in.BankCode), in.AccountNumber)
	if err != nil {
		if _, ok := fault.As(err); ok {
			return Inquiry{}, err
		}
		if reason, _ := providerFailure(err); reason != nil {
			return Inquiry{}, reason
		}
		return Inquiry{}, fmt.Errorf("inquiry at %s: %w", in.BankCode, err)
	}
	return Inquiry{HolderName: name}, nil
}

// SavedBankAccount is a bank account a user keeps for withdrawals.
type SavedBankAccount struct {
	ID            string    `json:"id"`
	BankCode      string    `json:"bank_code"`
	BankName      string    `json:"bank_name"`
	AccountNumber string    `json:"account_number"`
	HolderName    string    `json:"holder_name" doc:"as the bank answered the inquiry when the account was saved"`
	Label         string    `json:"label,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
}

// SaveBankAccountInput saves a bank account; the holder name comes from the bank.
type SaveBankAccountInput struct {
	BankCode      string `json:"bank_code" doc:"a code from GET /api/v1/banks"`
	AccountNumber string `json:"account_number" doc:"5-34 digits"`
	Label         string `json:"label,omitempty" doc:"the user's own name for it, at most 50 characters"`
}

// SaveBankAccount asks the bank who holds the account and keeps it with that name.
func (w *Wallet) SaveBankAccount(ctx context.Context, userID string, in SaveBankAccountInput) (SavedBankAccount, error) {
	label := strings.TrimSpace(in.Label)
	var v fault.Validation
	checkBankFields(in.BankCode, in.AccountNumber, &v)
	v.Check(utf8.RuneCountInString(label) <= 50, "label", fault.MsgAtMostChars, 50)
	if err := v.Err(); err != nil {
		return SavedBankAccount{}, err
	}
	inq, err := w.InquireAccount(ctx, InquiryInput{BankCode: in.BankCode, AccountNumber: in.AccountNumber})
	if err != nil {
		return SavedBankAccount{}, err
	}
	now := w.now()
	a := SavedBankAccount{ID: id.New("bac"), BankCode: strings.ToUpper(in.BankCode), AccountNumber: in.AccountNumber,
		HolderName: inq.HolderName, Label: label, CreatedAt: now.UTC().Truncate(time.Microsecond)}
	a.BankName = w.bankName(ctx, a.BankCode)
	_, err = w.db.Exec(ctx, `INSERT INTO wallet_bank_accounts (id, user_id, bank_code, account_number, holder_name, label, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, a.ID, userID, a.BankCode, a.AccountNumber, a.HolderName, a.Label, now.UnixMicro())
	if db.IsUniqueViolation(err) {
		return SavedBankAccount{}, ErrAlreadySaved.Saying(fault.MsgBankAccountSaved)
	}
	if err != nil {
		return SavedBankAccount{}, fmt.Errorf("save bank account: %w", err)
	}
	return a, nil
}

// checkBankFields checks a bank code and an account number given as top-level members.
func checkBankFields(bankCode, accountNumber string, v *fault.Validation) {
	v.Check(bankCodeRE.MatchString(bankCode), "bank_code", fault.MsgBankCode)
	v.Check(accountRE.MatchString(accountNumber), "account_number", fault.MsgAccountNumber)
}

func (w *Wallet) bankName(ctx context.Context, code string) string {
	banks, _ := w.o.Directory.Banks(ctx)
	for _, b := range banks {
		if b.Code == code {
			return b.Name
		}
	}
	return ""
}

// pageQuery runs a keyset page of a user's rows (newest first) and scans each with scan.
func pageQuery[T any](ctx context.Context, w *Wallet, q string, userID string, f Filter, scan func(sc interface{ Scan(...any) error }) (T, string, error)) (Page[T], error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	args := []any{userID}
	if f.Cursor != "" {
		q += " AND id < ?"
		args = append(args, f.Cursor)
	}
	args = append(args, f.Limit+1)
	rows, err := w.db.Query(ctx, q+" ORDER BY id DESC LIMIT ?", args...)
	if err != nil {
		return Page[T]{}, err
	}
	defer rows.Close()
	page := Page[T]{Items: []T{}}
	var ids []string
	for rows.Next() {
		v, id, err := scan(rows)
		if err != nil {
			return page, err
		}
		page.Items = append(page.Items, v)
		ids = append(ids, id)
	}
	if len(page.Items) > f.Limit {
		page.Items = page.Items[:f.Limit]
		next := ids[f.Limit-1]
		page.NextCursor = &next
	}
	return page, rows.Err()
}

// BankAccounts lists a user's saved bank accounts, newest first.
func (w *Wallet) BankAccounts(ctx context.Context, userID string, f Filter) (Page[SavedBankAccount], error) {
	banks, _ := w.o.Directory.Banks(ctx)
	names := map[string]string{}
	for _, b := range banks {
		names[b.Code] = b.Name
	}
	pg, err := pageQuery(ctx, w, `SELECT id, bank_code, account_number, holder_name, label, created_at FROM wallet_bank_accounts WHERE user_id = ?`,
		userID, f, func(sc interface{ Scan(...any) error }) (SavedBankAccount, string, error) {
			var a SavedBankAccount
			var at int64
			err := sc.Scan(&a.ID, &a.BankCode, &a.AccountNumber, &a.HolderName, &a.Label, &at)
			a.CreatedAt, a.BankName = time.UnixMicro(at).UTC(), names[a.BankCode]
			return a, a.ID, err
		})
	if err != nil {
		return pg, fmt.Errorf("bank accounts of %s: %w", userID, err)
	}
	return pg, nil
}

// DeleteBankAccount forgets one of the user's saved bank accounts; another user's is not found.
func (w *Wallet) DeleteBankAccount(ctx context.Context, userID, accountID string) error {
	return w.deleteSaved(ctx, "wallet_bank_accounts", userID, accountID, fault.MsgBankAccountNotFound)
}

func (w *Wallet) deleteSaved(ctx context.Context, table, userID, rowID string, missing fault.Msg) error {
	res, err := w.db.Exec(ctx, "DELETE FROM "+table+" WHERE id = ? AND user_id = ?", rowID, userID)
	if err != nil {
		return fmt.Errorf("delete from %s: %w", table, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return ErrNotFound.Saying(missing)
	}
	return nil
}

// Favorite is a recipient a user sends money to often.
type Favorite struct {
	ID          string    `json:"id"`
	RecipientID string    `json:"recipient_id" doc:"the user id, to send to (transfers take it as to)"`
	DisplayName string    `json:"display_name" doc:"the recipient's name, masked as the lookup shows it"`
	Label       string    `json:"label,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// FavoriteInput saves a favourite recipient.
type FavoriteInput struct {
	To    string `json:"to" doc:"phone, email or user id, as for a transfer"`
	Label string `json:"label,omitempty" doc:"the user's own name for them, at most 50 characters"`
}

// AddFavorite saves the user to names as one of u's favourite recipients. Saving tells whether
// a phone or email belongs to a user as a lookup does, so it spends the same budget.
func (w *Wallet) AddFavorite(ctx context.Context, u Party, ip string, in FavoriteInput) (Favorite, error) {
	label := strings.TrimSpace(in.Label)
	if utf8.RuneCountInString(label) > 50 {
		return Favorite{}, fault.Invalid("label", fault.MsgAtMostChars, 50)
	}
	r, err := w.LookupRecipient(ctx, u, ip, in.To)
	if err != nil {
		return Favorite{}, err
	}
	if r.ID == u.ID {
		return Favorite{}, fault.Invalid("to", fault.MsgNotYourself)
	}
	now := w.now()
	f := Favorite{ID: id.New("fav"), RecipientID: r.ID, DisplayName: r.DisplayName, Label: label, CreatedAt: now.UTC().Truncate(time.Microsecond)}
	_, err = w.db.Exec(ctx, `INSERT INTO wallet_favorites (id, user_id, recipient_id, display_name, label, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		f.ID, u.ID, f.RecipientID, f.DisplayName, f.Label, now.UnixMicro())
	if db.IsUniqueViolation(err) {
		return Favorite{}, ErrAlreadySaved.Saying(fault.MsgFavoriteSaved)
	}
	if err != nil {
		return Favorite{}, fmt.Errorf("save favourite: %w", err)
	}
	return f, nil
}

// Favorites lists a user's favourite recipients, newest first.
func (w *Wallet) Favorites(ctx context.Context, userID string, f Filter) (Page[Favorite], error) {
	pg, err := pageQuery(ctx, w, `SELECT id, recipient_id, display_name, label, created_at FROM wallet_favorites WHERE user_id = ?`,
		userID, f, func(sc interface{ Scan(...any) error }) (Favorite, string, error) {
			var x Favorite
			var at int64
			err := sc.Scan(&x.ID, &x.RecipientID, &x.DisplayName, &x.Label, &at)
			x.CreatedAt = time.UnixMicro(at).UTC()
			return x, x.ID, err
		})
	if err != nil {
		return pg, fmt.Errorf("favourites of %s: %w", userID, err)
	}
	return pg, nil
}

// DeleteFavorite forgets one of the user's favourites; another user's is not found.
func (w *Wallet) DeleteFavorite(ctx context.Context, userID, favoriteID string) error {
	return w.deleteSaved(ctx, "wallet_favorites", userID, favoriteID, fault.MsgFavoriteNotFound)
}
