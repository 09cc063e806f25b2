// Package sla computes service-level deadlines for support conversations: the targets of a
// policy per topic and priority (first response and resolution, in business time), the
// instants they fall due and warn on a business-hours calendar, time paused while waiting
// for the customer, and whether a deadline is met, close or breached.
//
// It is pure computation over package hours: no storage, no clock of its own. The desk stores
// the deadlines it gets (and recomputes them when a conversation is paused or resumed), and
// schedules the Alarms through the outbox with NotBefore.
package sla

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dompet/dompet/internal/hours"
)

// Priority is how urgent a conversation is.
type Priority string

// Priorities, most urgent first.
const (
	Urgent Priority = "urgent"
	High   Priority = "high"
	Normal Priority = "normal"
	Low    Priority = "low"
)

// Priorities lists every priority, most urgent first.
func Priorities() []Priority { return []Priority{Urgent, High, Normal, Low} }

// ParsePriority checks a priority given as text.
func ParsePriority(s string) (Priority, error) {
	if p := Priority(s); slices.Contains(Priorities(), p) {
		return p, nil
	}
	return "", fmt.Errorf("sla: unknown priority %q (urgent, high, normal or low)", s)
}

// Target is what a policy promises, in business time from the conversation's opening.
type Target struct {
	FirstResponse time.Duration // until an agent's first reply
	Resolution    time.Duration // until the conversation is resolved
}

// Policy is the target that applies to one conversation, with the share of it after which
// the agent and the supervisor are warned.
type Policy struct {
	Target
	WarnPercent int // 1 to 99: warn when this much of the target is consumed
}

// Policies are targets per priority, with overrides per topic and priority.
type Policies struct {
	Default     map[Priority]Target
	Topics      map[string]map[Priority]Target
	WarnPercent int
}

// DefaultPolicies are Dompet's targets (business time):
//
//	priority  first response  resolution
//	urgent    15 min          4 h
//	high      30 min          8 h
//	normal    1 h             24 h
//	low       4 h             72 h
//
// with tighter ones for the topics where a customer cannot reach their money or may be the
// victim of a takeover: account_security (normal 15 min / 4 h, low 1 h / 24 h) and
// account_locked (normal 30 min / 8 h, low 1 h / 24 h). Warnings at 80 % of the target.
func DefaultPolicies() Policies {
	return Policies{
		Default: map[Priority]Target{
			Urgent: {15 * time.Minute, 4 * time.Hour},
			High:   {30 * time.Minute, 8 * time.Hour},
			Normal: {time.Hour, 24 * time.Hour},
			Low:    {4 * time.Hour, 72 * time.Hour},
		},
		Topics: map[string]map[Priority]Target{
			"account_security": {
				Normal: {15 * time.Minute, 4 * time.Hour},
				Low:    {time.Hour, 24 * time.Hour},
			},
			"account_locked": {
				Normal: {30 * time.Minute, 8 * time.Hour},
				Low:    {time.Hour, 24 * time.Hour},
			},
		},
		WarnPercent: 80,
	}
}

// Validate says what is wrong with p: every priority needs a default target, every target
// positive durations with the first response no later than the resolution, and WarnPercent
// must be 1 to 99.
func (p Policies) Validate() error {
	var errs []error
	if p.WarnPercent < 1 || p.WarnPercent > 99 {
		errs = append(errs, fmt.Errorf("warn percent %d: must be 1 to 99", p.WarnPercent))
	}
	check := func(where string, t Target) {
		if t.FirstResponse <= 0 || t.Resolution <= 0 || t.FirstResponse > t.Resolution {
			errs = append(errs, fmt.Errorf("%s: first response %s and resolution %s must be positive, first response no later", where, t.FirstResponse, t.Resolution))
		}
	}
	for _, pr := range Priorities() {
		t, ok := p.Default[pr]
		if !ok {
			errs = append(errs, fmt.Errorf("no default target for %s", pr))
			continue
		}
		check(string(pr), t)
	}
	for topic, m := range p.Topics {
		for pr, t := range m {
			if _, err := ParsePriority(string(pr)); err != nil {
				errs = append(errs, fmt.Errorf("topic %s: %w", topic, err))
				continue
			}
			check(topic+" "+string(pr), t)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sla policies: %w", err)
	}
	return nil
}

// For is the policy of a conversation of topic and priority: the topic's target for that
// priority if there is one, else the priority's default. An unknown priority counts as Normal.
func (p Policies) For(topic string, pr Priority) Policy {
	if _, err := ParsePriority(string(pr)); err != nil {
		pr = Normal
	}
	t, ok := p.Topics[topic][pr]
	if !ok {
		t = p.Default[pr]
	}
	return Policy{Target: t, WarnPercent: p.WarnPercent}
}

// Due is when the first response and the resolution of a conversation opened at openedAt
// fall due under policy on calendar, with no pause. hours.Never() when the calendar never opens.
func Due(policy Policy, cal *hours.Calendar, openedAt time.Time) (firstResponse, resolution time.Time) {
	return cal.Add(openedAt, policy.FirstResponse), cal.Add(openedAt, policy.Resolution)
}

// Pause is a span during which a clock stops: the conversation was pending, waiting for the
// customer. A zero To is a pause still running.
type Pause struct {
	From, To time.Time
}

// Clock measures one target (first response or resolution) of one conversation: business
// time on Calendar from Start, minus the business time inside Pauses.
type Clock struct {
	Calendar    *hours.Calendar
	Start       time.Time
	Target      time.Duration
	WarnPercent int // 0 means no warning
	Pauses      []Pause
}

// FirstResponse and Resolution are the two clocks of a conversation opened at openedAt.
func FirstResponse(p Policy, cal *hours.Calendar, openedAt time.Time, pauses []Pause) Clock {
	return Clock{Calendar: cal, Start: openedAt, Target: p.FirstResponse, WarnPercent: p.WarnPercent, Pauses: pauses}
}

// Resolution is the resolution clock of a conversation opened at openedAt.
func Resolution(p Policy, cal *hours.Calendar, openedAt time.Time, pauses []Pause) Clock {
	return Clock{Calendar: cal, Start: openedAt, Target: p.Resolution, WarnPercent: p.WarnPercent, Pauses: pauses}
}

// running returns the spans [from, to) when the clock runs from Start on: the complement of
// the pauses. The last span's to is zero (runs on) unless a pause is still running.
func (c Clock) running() [][2]time.Time {
	ps := make([]Pause, 0, len(c.Pauses))
	for _, p := range c.Pauses {
		if !p.To.IsZero() && !p.To.After(p.From) {
			continue // empty or backwards: nothing paused
		}
		if p.From.Before(c.Start) {
			p.From = c.Start
		}
		if !p.To.IsZero() && !p.To.After(p.From) {
			continue
		}
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b Pause) int { return a.From.Compare(b.From) })
	var out [][2]time.Time
	cur := c.Start
	for _, p := range ps {
		if p.From.After(cur) {
			out = append(out, [2]time.Time{cur, p.From})
		}
		if p.To.IsZero() {
			return out // paused now, until further notice
		}
		if p.To.After(cur) {
			cur = p.To
		}
	}
	return append(out, [2]time.Time{cur, {}})
}

// Consumed is the business time the clock has run by now.
func (c Clock) Consumed(now time.Time) time.Duration {
	var sum time.Duration
	for _, r := range c.running() {
		if !now.After(r[0]) {
			break
		}
		to := r[1]
		if to.IsZero() || to.After(now) {
			to = now
		}
		sum += c.Calendar.Elapsed(r[0], to)
	}
	return sum
}

// at is the instant the clock has run for d; hours.Never() while paused before reaching it.
func (c Clock) at(d time.Duration) time.Time {
	for _, r := range c.running() {
		if r[1].IsZero() {
			return c.Calendar.Add(r[0], d)
		}
		if n := c.Calendar.Elapsed(r[0], r[1]); d <= n {
			return c.Calendar.Add(r[0], d)
		} else {
			d -= n
		}
	}
	return hours.Never()
}

// Deadline is when a clock warns and falls due.
func (c Clock) Deadline() Deadline {
	d := Deadline{Due: c.at(c.Target), WarnAt: hours.Never()}
	if c.WarnPercent > 0 && c.WarnPercent < 100 {
		d.WarnAt = c.at(c.Target * time.Duration(c.WarnPercent) / 100)
	}
	return d
}

// Deadline is the instants of one target: the warning and the due time. Either is
// hours.Never() when it cannot come (the clock is paused, or the calendar never opens).
type Deadline struct {
	WarnAt time.Time
	Due    time.Time
}

// State is where a target stands.
type State string

// States of a target.
const (
	OK       State = "ok"       // running with time left, or met
	Warning  State = "warning"  // running, past the warning threshold
	Breached State = "breached" // due time reached before it was met
)

// Status is the state of d at now, for a target met at doneAt (zero: not met yet). A target
// met at its due time is met; one not met at its due time is breached.
func (d Deadline) Status(now, doneAt time.Time) State {
	if !doneAt.IsZero() {
		if doneAt.After(d.Due) {
			return Breached
		}
		return OK
	}
	switch {
	case !now.Before(d.Due):
		return Breached
	case !now.Before(d.WarnAt):
		return Warning
	}
	return OK
}

// Alarm is an instant at which the desk must tell the agent and the supervisor about a target.
type Alarm struct {
	State State     // Warning or Breached
	At    time.Time // schedule with outbox NotBefore
	Due   time.Time // the deadline it was computed for
}

// Alarms are the warning and the breach of d, in order, leaving out those that cannot come
// (hours.Never()). A pause or a resumption moves the deadline: the desk schedules the new
// alarms, and a handler firing an alarm whose Due is no longer the stored one drops it (an
// outbox dedupe key with the Due in it keeps one alarm per deadline).
func (d Deadline) Alarms() []Alarm {
	var out []Alarm
	never := hours.Never()
	if !d.WarnAt.Equal(never) && d.WarnAt.Before(d.Due) {
		out = append(out, Alarm{State: Warning, At: d.WarnAt, Due: d.Due})
	}
	if !d.Due.Equal(never) {
		out = append(out, Alarm{State: Breached, At: d.Due, Due: d.Due})
	}
	return out
}
