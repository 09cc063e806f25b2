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

// contactOf is the one place that says which of a user's contacts are verified.
//
// MERGE: identity.User gains PhoneVerified and EmailVerified on the verification branch; then
// this becomes PhoneVerified: u.PhoneVerified, EmailVerified: u.EmailVerified. Until then the
// phone counts as verified (registration requires it) and the email as not.
func contactOf(u identity.User) inbox.Contact {
	return inbox.Contact{Phone: u.Phone, PhoneVerified: true, Email: u.Email, EmailVerified: false, Locale: u.Locale}
}
