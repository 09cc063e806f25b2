package support

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/dompet/dompet/internal/hours"
	"github.com/dompet/dompet/internal/sla"
)

// Reports: the supervisors' figures over the conversations opened in a period. Durations are
// measured the way package sla measures its targets: first response and resolution in the
// business time of the conversation's team calendar, from the opening, without the spans the
// conversation was pending on the customer. Queue wait is what the customer lived: wall-clock
// time from the opening to the (latest) assignment. Percentiles are nearest-rank: p of n
// sorted values is the ⌈p·n/100⌉-th.

// Percentiles are the median and the 90th percentile of a set of durations, in seconds; null
// when there is nothing to measure.
type Percentiles struct {
	Count int    `json:"count" doc:"how many conversations were measured"`
	P50   *int64 `json:"p50" doc:"seconds; null when count is 0"`
	P90   *int64 `json:"p90" doc:"seconds; null when count is 0"`
}

// Breaches counts SLA targets missed: met late, or still unmet past their due time.
type Breaches struct {
	Total         int `json:"total"`
	FirstResponse int `json:"first_response"`
	Resolution    int `json:"resolution"`
}

// CSAT is the customers' ratings of the period's conversations.
type CSAT struct {
	Count        int            `json:"count"`
	Average      *float64       `json:"average" doc:"null when nobody rated; two decimals"`
	Distribution map[string]int `json:"distribution" doc:"how many ratings of each score, keys \"1\" to \"5\""`
}

// Summary is the report of the conversations opened in [From, To).
type Summary struct {
	From          time.Time      `json:"from"`
	To            time.Time      `json:"to"`
	Conversations int            `json:"conversations"`
	ByChannel     map[string]int `json:"by_channel" doc:"every channel, 0 included"`
	ByTopic       map[string]int `json:"by_topic" doc:"every topic, 0 included"`
	ByDisposition map[string]int `json:"by_disposition" doc:"the calls (phone and call-back conversations) by the agent's disposition, every disposition and \"none\" (not set yet), 0 included"`
	FirstResponse Percentiles    `json:"first_response" doc:"business seconds from opening to the first agent reply, pauses excluded"`
	Resolution    Percentiles    `json:"resolution" doc:"business seconds from opening to resolution, pauses excluded"`
	QueueWait     Percentiles    `json:"queue_wait" doc:"seconds from opening to assignment"`
	SLABreaches   Breaches       `json:"sla_breaches"`
	CSAT          CSAT           `json:"csat"`
}

// Report computes the summary of the conversations opened in [from, to) for a lead.
func (s *Service) Report(ctx context.Context, v Viewer, from, to time.Time) (Summary, error) {
	if !v.Lead() {
		return Summary{}, explained(ErrForbidden, "Reports are for supervisors and admins.", "报表仅供主管和管理员查看。")
	}
	now := s.now()
	cals, err := s.calendars(ctx)
	if err != nil {
		return Summary{}, err
	}
	out := Summary{From: from.UTC(), To: to.UTC(), ByChannel: map[string]int{}, ByTopic: map[string]int{},
		CSAT: CSAT{Distribution: map[string]int{}}}
	for _, c := range Channels {
		out.ByChannel[c] = 0
	}
	for _, t := range Topics {
		out.ByTopic[t] = 0
	}
	out.ByDisposition = map[string]int{"none": 0}
	for _, d := range Dispositions {
		out.ByDisposition[d] = 0
	}
	for i := 1; i <= 5; i++ {
		out.CSAT.Distribution[fmt.Sprint(i)] = 0
	}
	rows, err := s.db.Query(ctx, `SELECT channel, topic, team, created_at, assigned_at, first_response_at, resolved_at,
		first_response_due, resolution_due, rating, status, paused_at, pauses, disposition
		FROM support_conversations WHERE created_at >= ? AND created_at < ?`, micros(from), micros(to))
	if err != nil {
		return Summary{}, fmt.Errorf("report: %w", err)
	}
	defer rows.Close()
	var frt, res, wait []int64
	var ratingSum int
	for rows.Next() {
		var channel, topic, team, status, pausesJSON, disposition string
		var created int64
		var assigned, first, resolved, frDue, resDue, rating, pausedAt sql.NullInt64
		if err := rows.Scan(&channel, &topic, &team, &created, &assigned, &first, &resolved, &frDue, &resDue, &rating,
			&status, &pausedAt, &pausesJSON, &disposition); err != nil {
			return Summary{}, fmt.Errorf("report: %w", err)
		}
		out.Conversations++
		out.ByChannel[channel]++
		out.ByTopic[topic]++
		if isCall(channel) {
			out.ByDisposition[orElse(disposition, "none")]++
		}
		cal := cals[team]
		if cal == nil {
			cal = hours.Always()
		}
		pauses := pausesOf(pausesJSON, pausedAt)
		clock := sla.Clock{Calendar: cal, Start: fromMicros(created), Pauses: pauses}
		if first.Valid {
			frt = append(frt, seconds(clock.Consumed(fromMicros(first.Int64))))
		}
		if resolved.Valid {
			res = append(res, seconds(clock.Consumed(fromMicros(resolved.Int64))))
		}
		if assigned.Valid {
			wait = append(wait, seconds(fromMicros(assigned.Int64).Sub(fromMicros(created))))
		}
		active := status == StatusOpen || status == StatusPending
		if breached(frDue, first, active, now) {
			out.SLABreaches.FirstResponse++
		}
		if breached(resDue, resolved, active, now) {
			out.SLABreaches.Resolution++
		}
		if rating.Valid && rating.Int64 >= 1 && rating.Int64 <= 5 {
			out.CSAT.Count++
			ratingSum += int(rating.Int64)
			out.CSAT.Distribution[fmt.Sprint(rating.Int64)]++
		}
	}
	if err := rows.Err(); err != nil {
		return Summary{}, fmt.Errorf("report: %w", err)
	}
	out.SLABreaches.Total = out.SLABreaches.FirstResponse + out.SLABreaches.Resolution
	out.FirstResponse, out.Resolution, out.QueueWait = percentiles(frt), percentiles(res), percentiles(wait)
	if out.CSAT.Count > 0 {
		avg := math.Round(float64(ratingSum)/float64(out.CSAT.Count)*100) / 100
		out.CSAT.Average = &avg
	}
	return out, nil
}

// breached: a target met after its due time, or not met and due already while the
// conversation still waits for it (a conversation resolved or closed without a first reply
// had nothing left to answer).
func breached(due, done sql.NullInt64, active bool, now time.Time) bool {
	if !due.Valid {
		return false
	}
	if done.Valid {
		return done.Int64 > due.Int64
	}
	return active && micros(now) >= due.Int64
}

func seconds(d time.Duration) int64 { return int64(math.Round(d.Seconds())) }

// percentiles are the nearest-rank p50 and p90 of vs.
func percentiles(vs []int64) Percentiles {
	p := Percentiles{Count: len(vs)}
	if len(vs) == 0 {
		return p
	}
	slices.Sort(vs)
	rank := func(pc int) *int64 {
		i := (pc*len(vs) + 99) / 100 // ⌈pc·n/100⌉
		v := vs[max(i, 1)-1]
		return &v
	}
	p.P50, p.P90 = rank(50), rank(90)
	return p
}

// calendars are the teams' business-hours calendars by slug; a team whose hours cannot be read
// is left out (always open), as for due times.
func (s *Service) calendars(ctx context.Context) (map[string]*hours.Calendar, error) {
	teams, err := s.staff.Teams(ctx)
	if err != nil {
		return nil, fmt.Errorf("teams: %w", err)
	}
	out := make(map[string]*hours.Calendar, len(teams))
	for _, t := range teams {
		if c, err := calendarOf(t.BusinessHours); err == nil {
			out[t.Slug] = c
		}
	}
	return out, nil
}

// pausesOf reads the stored finished pauses and the running one (pausedAt).
func pausesOf(stored string, pausedAt sql.NullInt64) []sla.Pause {
	var spans [][2]int64
	_ = json.Unmarshal([]byte(stored), &spans) // a damaged column counts as no pause
	out := make([]sla.Pause, 0, len(spans)+1)
	for _, p := range spans {
		out = append(out, sla.Pause{From: fromMicros(p[0]), To: fromMicros(p[1])})
	}
	if pausedAt.Valid {
		out = append(out, sla.Pause{From: fromMicros(pausedAt.Int64)})
	}
	return out
}
