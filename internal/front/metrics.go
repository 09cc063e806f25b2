package front

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// RouteUnmatched labels requests that matched no route (404, 405), so a scan of random
// paths can't blow up the number of series.
const RouteUnmatched = "unmatched"

// metrics are the HTTP series. Children are resolved once per route and status and cached,
// so the hot path does no label hashing.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	children sync.Map // routeCode → *routeSeries
}

type routeCode struct {
	route string
	code  int
}

type routeSeries struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dompet_http_requests_total",
			Help: "HTTP requests answered, by route name and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "dompet_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route name.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	// The Go runtime and process collectors, once per registry: AlreadyRegistered just
	// means the caller's registry has them.
	_ = reg.Register(collectors.NewGoCollector())
	_ = reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m, nil
}

func (m *metrics) observe(route string, code int, d time.Duration) {
	k := routeCode{route, code}
	v, ok := m.children.Load(k)
	if !ok {
		v, _ = m.children.LoadOrStore(k, &routeSeries{
			count:    m.requests.WithLabelValues(route, strconv.Itoa(code)),
			duration: m.duration.WithLabelValues(route),
		})
	}
	s := v.(*routeSeries)
	s.count.Inc()
	s.duration.Observe(d.Seconds())
}
