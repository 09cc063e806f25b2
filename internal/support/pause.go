package support

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/hours"
	"github.com/dompet/dompet/internal/sla"
)

// Pauses of the SLA clocks. While a conversation is pending (waiting on the customer) its
// first-response and resolution clocks stop: paused_at marks the start; when it leaves
// pending the span joins pauses, and the due times still to meet are computed again by
// package sla (business time of the team's calendar from the opening, minus the business time
// inside the pauses), with new alarms in the outbox. Alarms of the old due times find a due
// time no longer stored and do nothing; alarms firing while paused do nothing either.

// pauseTx stops the clocks of convID at now (a conversation going pending).
func pauseTx(ctx context.Context, tx *db.Tx, convID string, now time.Time) error {
	if _, err := tx.Exec(ctx, `UPDATE support_conversations SET paused_at = COALESCE(paused_at, ?) WHERE id = ?`,
		micros(now), convID); err != nil {
		return fmt.Errorf("pause sla: %w", err)
	}
	return nil
}

// resumeTx ends the running pause of convID at now, if any, and moves its due times; with
// alarms it also schedules the new due times' warnings and breaches (a conversation open
// again; a resolved one needs none).
func (s *Service) resumeTx(ctx context.Context, tx *db.Tx, convID string, now time.Time, alarms bool) error {
	var pausedAt, first, resolved, frDue, resDue sql.NullInt64
	var stored, team, topic, priority string
	var created int64
	if err := tx.QueryRow(ctx, `SELECT paused_at, pauses, created_at, team, topic, priority, first_response_at, resolved_at,
		first_response_due, resolution_due FROM support_conversations WHERE id = ?`, convID).Scan(&pausedAt, &stored,
		&created, &team, &topic, &priority, &first, &resolved, &frDue, &resDue); err != nil {
		return fmt.Errorf("resume sla: %w", db.NotFound(err))
	}
	if !pausedAt.Valid {
		return nil
	}
	var spans [][2]int64
	_ = json.Unmarshal([]byte(stored), &spans) // damaged: start again from this pause
	spans = append(spans, [2]int64{pausedAt.Int64, micros(now)})
	js, err := json.Marshal(spans)
	if err != nil {
		return err
	}
	due := SLA{}
	if frDue.Valid && resDue.Valid {
		cal, err := s.calendarFor(ctx, team)
		if err != nil {
			return err
		}
		p := s.policies.For(topic, sla.Priority(priority))
		pauses := pausesOf(string(js), sql.NullInt64{})
		fr := sla.FirstResponse(p, cal, fromMicros(created), pauses).Deadline()
		res := sla.Resolution(p, cal, fromMicros(created), pauses).Deadline()
		due.FirstResponseDue, due.ResolutionDue = fromMicros(frDue.Int64), fromMicros(resDue.Int64)
		if !first.Valid {
			due.FirstResponseDue = fr.Due.UTC()
			if alarms {
				due.alarms[0] = fr.Alarms()
			}
		}
		if !resolved.Valid {
			due.ResolutionDue = res.Due.UTC()
			if alarms {
				due.alarms[1] = res.Alarms()
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE support_conversations SET first_response_due = ?, resolution_due = ? WHERE id = ?`,
			micros(due.FirstResponseDue), micros(due.ResolutionDue), convID); err != nil {
			return fmt.Errorf("resume sla: %w", err)
		}
		if err := tx.InsertRows(ctx, alarmRows(convID, due)); err != nil {
			return fmt.Errorf("sla alarms: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE support_conversations SET paused_at = NULL, pauses = ? WHERE id = ?`, string(js), convID); err != nil {
		return fmt.Errorf("resume sla: %w", err)
	}
	return nil
}

// calendarFor is team's business-hours calendar; always open when it cannot be read.
func (s *Service) calendarFor(ctx context.Context, team string) (*hours.Calendar, error) {
	cals, err := s.calendars(ctx)
	if err != nil {
		return nil, err
	}
	if c := cals[team]; c != nil {
		return c, nil
	}
	return hours.Always(), nil
}
