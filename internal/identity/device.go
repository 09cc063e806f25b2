package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/id"
)

// Device is a device a user has logged in from (GET /api/v1/me/devices).
type Device struct {
	ID        string    `json:"id" doc:"Dompet's id of the device, for DELETE /api/v1/me/devices/{id}"`
	UserID    string    `json:"-"`
	DeviceID  string    `json:"device_id" doc:"the id the app sent at login"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	LastIP    string    `json:"last_ip"`
	UserAgent string    `json:"user_agent"`
}

// networkOf is the network an IP belongs to for the "new network" check: the IPv4 /16 or the
// IPv6 /32 around it (about a provider's block), or "" when ip is not an address.
func networkOf(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ""
	}
	a = a.Unmap()
	bits := 16
	if a.Is6() {
		bits = 32
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}

// assessLogin tells whether a login of u comes from a device and a network u used before.
func (s *Service) assessLogin(ctx context.Context, u User, in LoginInput) (loginCheck, error) {
	c := loginCheck{network: networkOf(in.IP), newDevice: true}
	var n int
	err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM sessions WHERE user_id = ? LIMIT 1) x", u.ID).Scan(&n)
	if err != nil {
		return c, fmt.Errorf("login history of %s: %w", u.ID, err)
	}
	c.first = n == 0
	if in.DeviceID != "" {
		err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM user_devices WHERE user_id = ? AND device_id = ?", u.ID, in.DeviceID).Scan(&n)
		if err != nil {
			return c, fmt.Errorf("devices of %s: %w", u.ID, err)
		}
		c.newDevice = n == 0
	}
	if c.network != "" {
		err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM user_networks WHERE user_id = ? AND network = ?", u.ID, c.network).Scan(&n)
		if err != nil {
			return c, fmt.Errorf("networks of %s: %w", u.ID, err)
		}
		c.newNetwork = n == 0
	}
	return c, nil
}

// rememberLogin records, within the login's transaction, the device and network of a login
// that passed: they are known from now on. A new one that needed a code is a security event.
func rememberLogin(ctx context.Context, tx *db.Tx, u User, in LoginInput, c loginCheck, now time.Time) error {
	if in.DeviceID != "" {
		_, err := tx.Exec(ctx, `INSERT INTO user_devices (id, user_id, device_id, first_seen, last_seen, last_ip, user_agent)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (user_id, device_id) DO UPDATE SET last_seen = excluded.last_seen,
				last_ip = excluded.last_ip, user_agent = excluded.user_agent`,
			id.New("dev"), u.ID, in.DeviceID, micros(now), micros(now), in.IP, in.UserAgent)
		if err != nil {
			return fmt.Errorf("remember device: %w", err)
		}
	}
	if c.network != "" {
		_, err := tx.Exec(ctx, `INSERT INTO user_networks (user_id, network, first_seen, last_seen) VALUES (?, ?, ?, ?)
			ON CONFLICT (user_id, network) DO UPDATE SET last_seen = excluded.last_seen`,
			u.ID, c.network, micros(now), micros(now))
		if err != nil {
			return fmt.Errorf("remember network: %w", err)
		}
	}
	if !c.risky() {
		return nil
	}
	return recordEvent(ctx, tx, now, event{userID: u.ID, kind: EventNewDevice, ip: in.IP, deviceID: in.DeviceID,
		detail: map[string]any{"reasons": c.reasons(), "network": c.network, "user_agent": in.UserAgent, "second_factor": c.passed}})
}

// afterLogin tells the user, after the session is committed, about a login from a new device
// or network.
func (s *Service) afterLogin(ctx context.Context, u User, in LoginInput, c loginCheck, now time.Time) {
	if !c.risky() {
		return
	}
	s.alert(ctx, u, alertNewDevice, now, newDeviceArgs(in))
}

// newDeviceArgs are the details of a new-device alert.
func newDeviceArgs(in LoginInput) map[string]string {
	device := in.UserAgent
	if device == "" {
		device = in.DeviceID
	}
	return map[string]string{"device": device, "ip": in.IP}
}

// Devices lists the devices userID has logged in from, most recently used first.
func (s *Service) Devices(ctx context.Context, userID string) ([]Device, error) {
	rows, err := s.db.Query(ctx, `SELECT id, user_id, device_id, first_seen, last_seen, last_ip, user_agent
		FROM user_devices WHERE user_id = ? ORDER BY last_seen DESC, id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("devices of %s: %w", userID, err)
	}
	defer rows.Close()
	out := []Device{}
	for rows.Next() {
		var d Device
		var first, last int64
		if err := rows.Scan(&d.ID, &d.UserID, &d.DeviceID, &first, &last, &d.LastIP, &d.UserAgent); err != nil {
			return nil, fmt.Errorf("devices of %s: %w", userID, err)
		}
		d.FirstSeen, d.LastSeen = fromMicros(first), fromMicros(last)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("devices of %s: %w", userID, err)
	}
	return out, nil
}

// RevokeDevice forgets one of userID's devices (its next login is challenged again) and
// revokes the sessions opened from it. Another user's device gives ErrNotFound.
func (s *Service) RevokeDevice(ctx context.Context, userID, deviceRowID string) error {
	defer s.invalidateUser(userID, "")
	now := s.now().UTC()
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var deviceID string
		err := tx.QueryRow(ctx, "SELECT device_id FROM user_devices WHERE id = ? AND user_id = ?"+tx.ForUpdate(),
			deviceRowID, userID).Scan(&deviceID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM user_devices WHERE id = ?", deviceRowID); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND device_id = ? AND revoked_at IS NULL",
			micros(now), userID, deviceID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		return recordEvent(ctx, tx, now, event{userID: userID, kind: EventDeviceRevoked, deviceID: deviceID,
			detail: map[string]any{"device": deviceRowID, "sessions_revoked": n}})
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("revoke device %s: %w", deviceRowID, err)
	}
	return err
}
