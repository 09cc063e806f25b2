package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/inbox"
)

// Contacts gives the inbox a user's phone, email and language from identity.
type Contacts struct{ S *identity.Service }

// Contact implements inbox.Contacts.
func (c Contacts) Contact(ctx context.Context, userID string) (inbox.Contact, error) {
	u, err := c.S.User(ctx, userID)
	if errors.Is(err, identity.ErrNotFound) {
		return inbox.Contact{}, inbox.ErrNoUser
	}
	if err != nil {
		return inbox.Contact{}, fmt.Errorf("contact of %s: %w", userID, err)
	}
	return contactOf(u), nil
}

// contactOf is what the inbox needs of a user; receipts go only to the verified contacts.
func contactOf(u identity.User) inbox.Contact {
	return inbox.Contact{Phone: u.Phone, PhoneVerified: u.PhoneVerified, Email: u.Email, EmailVerified: u.EmailVerified, Locale: u.Locale}
}
