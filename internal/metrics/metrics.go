// Package metrics holds the agent's Prometheus registry: request counters
// and latencies reported by the HTTP layer, gauges read from the server on
// each scrape, and Go runtime figures. It serves them at
// /v1/agent/metrics, as Prometheus text (?format=prometheus) or as Consul's
// JSON shape.
package metrics

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one agent's registry. Its methods are safe for concurrent use.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// New returns a registry with the Go runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "concord_http_requests_total",
			Help: "HTTP API requests by method, route and status code.",
		}, []string{"method", "route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "concord_http_request_duration_seconds",
			Help:    "HTTP API request latency by method and route (blocking queries included).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1, 10, 60, 600},
		}, []string{"method", "route"}),
	}
	m.reg.MustRegister(m.requests, m.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveHTTP records one finished request.
func (m *Metrics) ObserveHTTP(method, route string, code int, d time.Duration) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(code)).Inc()
	m.latency.WithLabelValues(method, route).Observe(d.Seconds())
}

// Gauge registers a gauge whose value fn reads at each scrape.
func (m *Metrics) Gauge(name, help string, fn func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, fn))
}

// Handler serves the registry: Prometheus text with ?format=prometheus,
// otherwise Consul's JSON summary (Timestamp, Gauges, Counters, Samples).
func (m *Metrics) Handler() http.Handler {
	prom := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("format") == "prometheus" {
			prom.ServeHTTP(w, r)
			return
		}
		summary, err := m.summary()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(summary)
	})
}

// point is one value of Consul's JSON metrics shape.
type point struct {
	Name   string
	Value  float64
	Labels map[string]string
}

// summary is Consul's JSON metrics shape.
type summary struct {
	Timestamp string
	Gauges    []point
	Points    []point
	Counters  []point
	Samples   []point
}

func (m *Metrics) summary() (*summary, error) {
	families, err := m.reg.Gather()
	if err != nil {
		return nil, err
	}
	s := &summary{Timestamp: time.Now().UTC().Format("2006-01-02 15:04:05 -0700 MST"),
		Gauges: []point{}, Points: []point{}, Counters: []point{}, Samples: []point{}}
	for _, f := range families {
		for _, mt := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range mt.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			p := point{Name: f.GetName(), Labels: labels}
			switch {
			case mt.Gauge != nil:
				p.Value = mt.GetGauge().GetValue()
				s.Gauges = append(s.Gauges, p)
			case mt.Counter != nil:
				p.Value = mt.GetCounter().GetValue()
				s.Counters = append(s.Counters, p)
			case mt.Histogram != nil:
				p.Value = mt.GetHistogram().GetSampleSum()
				s.Samples = append(s.Samples, p)
			}
		}
	}
	return s, nil
}
