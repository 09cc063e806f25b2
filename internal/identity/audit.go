package identity

import (
	"context"
	"time"

	"github.com/dompet/dompet/internal/audit"
	"github.com/dompet/dompet/internal/db"
)

// Every security event of a user is also written to the audit log (package audit), in the
// same transaction (recordEvent calls auditEvent). Who the actor is comes from the context: a
// staff member acting on a customer's account runs the domain call under audit.WithActor, so
// that the lock, unlock or reset it causes is attributed to them rather than to the customer.

// systemEvents are security events Dompet causes itself (the lockouts of lockout.go and
// pin.go), not the account's owner.
var systemEvents = map[string]bool{"account_locked": true, "pin_locked": true}

// auditEvent writes a user's security event to the audit log: action "user.<kind>", the user
// as target, and as actor whoever ctx names, else Dompet for automatic events, else the user.
func auditEvent(ctx context.Context, tx *db.Tx, at time.Time, e event) error {
	a := audit.Entry{At: at, ActorType: audit.ActorUser, ActorID: e.userID, Action: "user." + e.kind,
		TargetType: "user", TargetID: e.userID, IP: e.ip, Detail: e.detail}
	if systemEvents[e.kind] {
		a.ActorType, a.ActorID = audit.ActorSystem, ""
	}
	if actor, ok := audit.ActorOf(ctx); ok {
		a.ActorType, a.ActorID, a.Reason = actor.Type, actor.ID, actor.Reason
		if a.IP == "" {
			a.IP = actor.IP
		}
	}
	if e.deviceID != "" {
		d := make(map[string]any, len(e.detail)+1)
		for k, v := range e.detail {
			d[k] = v
		}
		d["device_id"] = e.deviceID
		a.Detail = d
	}
	return audit.Insert(ctx, tx, a)
}
