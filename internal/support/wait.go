package support

import (
	"context"
	"fmt"
	"time"

	"github.com/dompet/dompet/internal/sla"
	"github.com/dompet/dompet/internal/staff"
)

// Wait is what a customer who starts a chat with a team now can expect: the team's hours,
// whether it is open, the conversations already waiting and the estimate of the next place
// in its queue (outside hours, the time until the next opening). The contact page shows it.
type Wait struct {
	Team                 string
	Hours                staff.BusinessHours
	Open                 bool
	NextOpen             time.Time // when closed; zero when open or never
	Waiting              int       // conversations queued for the team now
	EstimatedWaitSeconds int64
}

// WaitFor is the wait for a new chat with team (staff.DefaultTeam for the contact page).
func (s *Service) WaitFor(ctx context.Context, team string) (Wait, error) {
	w := Wait{Team: team, Open: true, Hours: staff.DefaultBusinessHours()}
	teams, err := s.staff.Teams(ctx)
	if err != nil {
		return w, fmt.Errorf("teams: %w", err)
	}
	for _, t := range teams {
		if t.Slug == team {
			w.Hours = t.BusinessHours
			w.Open, w.NextOpen = s.opening(t.BusinessHours, s.now())
		}
	}
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM support_conversations WHERE team = ? AND queued_at IS NOT NULL`,
		team).Scan(&w.Waiting); err != nil {
		return w, fmt.Errorf("queue length: %w", err)
	}
	est, err := s.estimator(ctx, team)
	if err != nil {
		return w, err
	}
	w.EstimatedWaitSeconds = est(w.Waiting + 1)
	return w, nil
}

// FirstResponseTarget is the business time within which the SLA policy promises a first
// answer to a conversation of topic and priority (the contact page's promised email reply).
func (s *Service) FirstResponseTarget(topic string, pr sla.Priority) time.Duration {
	return s.policies.For(topic, pr).FirstResponse
}
