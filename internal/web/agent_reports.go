package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/dompet/dompet/internal/support"
)

// reportsPage is /agent/reports: the desk's figures over a period, with its charts drawn
// here as SVG (no script, no inline style: presentation attributes and classes only).
type reportsPage struct {
	*Desk
	Days    int
	Periods []int
	Stats   support.Summary
	Charts  []chart
	// Durations, in the page's words.
	FirstResponse, Resolution, QueueWait [2]string // p50, p90
	SatisfiedPct                         int
	MeanScore                            string
}

// chart is a horizontal bar chart.
type chart struct {
	ID, Title string
	Width     int
	Height    int
	Bars      []chartBar
}

// chartBar is one bar: its label, its value as shown, and its geometry.
type chartBar struct {
	Label, Value string
	Y, TextY, W  int
}

// Chart geometry, in SVG user units (the SVG scales to its box): about a phone's width, so
// that its 13-unit text stays readable there (580 units shrank it to 7 px at 360 px).
const (
	chartLabelW = 140
	chartBarMax = 140
	chartRow    = 30
	chartBarH   = 20
)

// newChart lays out bars whose lengths are values[i] against the largest.
func newChart(id, title string, labels, shown []string, values []float64) chart {
	c := chart{ID: id, Title: title, Width: chartLabelW + chartBarMax + 80, Height: chartRow*len(labels) + 10}
	top := slices.Max(append(slices.Clone(values), 0))
	for i, l := range labels {
		w := 0
		if top > 0 {
			w = int(values[i] / top * chartBarMax)
		}
		if values[i] > 0 && w < 2 {
			w = 2 // a count that is not zero stays visible
		}
		y := 5 + i*chartRow
		c.Bars = append(c.Bars, chartBar{Label: l, Value: shown[i], Y: y, TextY: y + chartBarH - 5, W: w})
	}
	return c
}

// BarX is where bars start; ValueX where a bar's value is written.
func (c chart) BarX() int             { return chartLabelW }
func (c chart) BarH() int             { return chartBarH }
func (c chart) ValueX(b chartBar) int { return chartLabelW + b.W + 6 }

// duration words d in the page's language: "1 h 5 min", "3 min 20 s", "45 s".
func duration(v *View, d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return v.T("agent.dur.hm", h, m)
	case m > 0:
		return v.T("agent.dur.ms", m, s)
	}
	return v.T("agent.dur.s", s)
}

// spread words a report's p50 and p90 ("—" when nothing was measured).
func spread(v *View, p support.Percentiles) [2]string {
	out := [2]string{"—", "—"}
	if p.P50 != nil && p.P90 != nil {
		out[0], out[1] = duration(v, time.Duration(*p.P50)*time.Second), duration(v, time.Duration(*p.P90)*time.Second)
	}
	return out
}

// secondsOf is a percentile's value for a bar (0 when nothing was measured).
func secondsOf(p *int64) float64 {
	if p == nil {
		return 0
	}
	return float64(*p)
}

// agentReports shows the desk's report summary (support.Report, the figures of GET
// /api/v1/agent/reports/summary) over the chosen period, with charts.
func (s *Site) agentReports(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	p := &reportsPage{Desk: d, Days: 30, Periods: []int{1, 7, 30, 90}}
	if n, err := strconv.Atoi(r.URL.Query().Get("days")); err == nil && slices.Contains(p.Periods, n) {
		p.Days = n
	}
	v.Data = p
	to := time.Now()
	st, err := s.o.Services.Support.Report(r.Context(), d.viewer, to.AddDate(0, 0, -p.Days), to)
	if err != nil {
		s.fail(w, r, "agent_reports", v, err)
		return
	}
	p.Stats = st
	var labels, shown []string
	var values []float64
	for _, c := range support.Channels {
		n := st.ByChannel[c]
		labels, shown, values = append(labels, v.T("agent.channel."+c)), append(shown, strconv.Itoa(n)), append(values, float64(n))
	}
	p.Charts = append(p.Charts, newChart("by-channel", v.T("agent.reports.by_channel"), labels, shown, values))
	labels, shown, values = nil, nil, nil
	for _, t := range support.Topics {
		n := st.ByTopic[t]
		labels, shown, values = append(labels, v.T("agent.topic."+t)), append(shown, strconv.Itoa(n)), append(values, float64(n))
	}
	p.Charts = append(p.Charts, newChart("by-topic", v.T("agent.reports.by_topic"), labels, shown, values))
	labels, shown, values = nil, nil, nil
	for _, d := range append(slices.Clone(support.Dispositions), "none") {
		n := st.ByDisposition[d]
		labels, shown, values = append(labels, v.T("agent.disposition."+d)), append(shown, strconv.Itoa(n)), append(values, float64(n))
	}
	p.Charts = append(p.Charts, newChart("by-disposition", v.T("agent.reports.by_disposition"), labels, shown, values))
	labels, shown, values = nil, nil, nil
	for _, t := range []struct {
		key string
		pc  support.Percentiles
		out *[2]string
	}{{"agent.reports.first_response", st.FirstResponse, &p.FirstResponse}, {"agent.reports.queue_wait", st.QueueWait, &p.QueueWait},
		{"agent.reports.resolution", st.Resolution, &p.Resolution}} {
		*t.out = spread(v, t.pc)
		labels = append(labels, v.T(t.key)+" p50", v.T(t.key)+" p90")
		shown = append(shown, t.out[0], t.out[1])
		values = append(values, secondsOf(t.pc.P50), secondsOf(t.pc.P90))
	}
	p.Charts = append(p.Charts, newChart("times", v.T("agent.reports.times"), labels, shown, values))
	labels, shown, values = nil, nil, nil
	for i := 1; i <= 5; i++ {
		n := st.CSAT.Distribution[strconv.Itoa(i)]
		labels, shown, values = append(labels, v.N("agent.reports.stars", i)), append(shown, strconv.Itoa(n)), append(values, float64(n))
	}
	p.Charts = append(p.Charts, newChart("csat", v.T("agent.reports.csat"), labels, shown, values))
	if st.CSAT.Count > 0 && st.CSAT.Average != nil {
		p.SatisfiedPct = (st.CSAT.Distribution["4"] + st.CSAT.Distribution["5"]) * 100 / st.CSAT.Count
		p.MeanScore = fmt.Sprintf("%.1f", *st.CSAT.Average)
	}
	s.render(w, r, 0, "agent_reports", v)
}
