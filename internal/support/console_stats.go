package support

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// ConsoleStats are the figures of the agent console's reports page, over the conversations
// opened in a period. They are read in one pass over support_conversations; durations are
// wall-clock (the SLA breach counts use the due times fixed at opening, which are in business
// time). The desk's JSON report (GET /api/v1/agent/reports/summary) is its own function; this
// one serves the page until the page can use that.
type ConsoleStats struct {
	From, To      time.Time
	Total         int
	ByChannel     []StatCount // every channel, in Channels order
	ByTopic       []StatCount // every topic, in Topics order
	FirstResponse StatSpread  // created → first agent reply
	Resolution    StatSpread  // created → resolved
	QueueWait     StatSpread  // created → (last) assigned
	// SLA breaches: first responses and resolutions given after their due time, or not given
	// and overdue now.
	FirstResponseBreaches, ResolutionBreaches int
	// CSAT: the ratings given (1 to 5), their mean, and how many were 4 or 5.
	Ratings   int
	MeanScore float64
	Satisfied int
	Scores    [5]int // how many of each score, 1 first
}

// StatCount is a count of conversations under a label.
type StatCount struct {
	Label string
	N     int
}

// StatSpread is the median and 90th percentile of durations, and how many there were.
type StatSpread struct {
	N        int
	P50, P90 time.Duration
}

// ConsoleStats computes the console's figures over conversations opened in [from, to), for
// supervisors and admins.
func (s *Service) ConsoleStats(ctx context.Context, v Viewer, from, to time.Time) (ConsoleStats, error) {
	if !v.Lead() {
		return ConsoleStats{}, explained(ErrForbidden, "Reports are for supervisors and admins.", "报表仅供主管和管理员查看。")
	}
	out := ConsoleStats{From: from, To: to}
	rows, err := s.db.Query(ctx, `SELECT channel, topic, created_at, assigned_at, first_response_at, resolved_at,
		first_response_due, resolution_due, rating FROM support_conversations WHERE created_at >= ? AND created_at < ?`,
		micros(from), micros(to))
	if err != nil {
		return out, fmt.Errorf("console stats: %w", err)
	}
	defer rows.Close()
	now := s.now()
	byChannel, byTopic := map[string]int{}, map[string]int{}
	var first, resolution, wait []time.Duration
	var scoreSum int
	for rows.Next() {
		var channel, topic string
		var created int64
		var assigned, firstAt, resolved, firstDue, resDue, rating sql.NullInt64
		if err := rows.Scan(&channel, &topic, &created, &assigned, &firstAt, &resolved, &firstDue, &resDue, &rating); err != nil {
			return out, fmt.Errorf("console stats: %w", err)
		}
		out.Total++
		byChannel[channel]++
		byTopic[topic]++
		if assigned.Valid {
			wait = append(wait, time.Duration(assigned.Int64-created)*time.Microsecond)
		}
		if firstAt.Valid {
			first = append(first, time.Duration(firstAt.Int64-created)*time.Microsecond)
		}
		if resolved.Valid {
			resolution = append(resolution, time.Duration(resolved.Int64-created)*time.Microsecond)
		}
		if late(firstDue, firstAt, now) {
			out.FirstResponseBreaches++
		}
		if late(resDue, resolved, now) {
			out.ResolutionBreaches++
		}
		if rating.Valid && rating.Int64 >= 1 && rating.Int64 <= 5 {
			out.Ratings++
			scoreSum += int(rating.Int64)
			out.Scores[rating.Int64-1]++
			if rating.Int64 >= 4 {
				out.Satisfied++
			}
		}
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("console stats: %w", err)
	}
	for _, c := range Channels {
		out.ByChannel = append(out.ByChannel, StatCount{Label: c, N: byChannel[c]})
	}
	for _, t := range Topics {
		out.ByTopic = append(out.ByTopic, StatCount{Label: t, N: byTopic[t]})
	}
	out.FirstResponse, out.Resolution, out.QueueWait = spreadOf(first), spreadOf(resolution), spreadOf(wait)
	if out.Ratings > 0 {
		out.MeanScore = float64(scoreSum) / float64(out.Ratings)
	}
	return out, nil
}

// late: a due time that was met after it, or not met and past now.
func late(due, done sql.NullInt64, now time.Time) bool {
	if !due.Valid {
		return false
	}
	if done.Valid {
		return done.Int64 > due.Int64
	}
	return micros(now) > due.Int64
}

// spreadOf is the nearest-rank median and 90th percentile of ds.
func spreadOf(ds []time.Duration) StatSpread {
	if len(ds) == 0 {
		return StatSpread{}
	}
	slices.Sort(ds)
	rank := func(p int) time.Duration {
		i := (p*len(ds)+99)/100 - 1
		return ds[max(i, 0)]
	}
	return StatSpread{N: len(ds), P50: rank(50), P90: rank(90)}
}
