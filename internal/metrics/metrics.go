// Package metrics holds the agent's Prometheus registry and serves it at
// /v1/agent/metrics, as Prometheus text (?format=prometheus) or as Consul's
// JSON shape.
//
// Two families of names live in it:
//
//   - Consul's names, so that dashboards and alerts written for Consul
//     work: consul_raft_apply, consul_kvs_apply, consul_catalog_register,
//     consul_runtime_alloc_bytes, consul_server_isLeader... They go through
//     armon/go-metrics and its Prometheus sink, as Consul's do, so they
//     take telemetry's metrics_prefix ("consul"), the hostname in gauge
//     names unless disable_hostname, prefix_filter, and the same types
//     (timers are summaries in milliseconds, counters have no _total).
//     Raft, Serf and memberlist report only through go-metrics' global
//     instance; New points it at one sink shared by the process, so with
//     several agents in one process (tests) each shows the union. The
//     JSON shape shows these only, dotted ("consul.raft.apply"), from
//     in-memory sinks of the current 10 s interval, as Consul's does.
//   - Concord's own, with no Consul counterpart, named concord_...:
//     HTTP request counts and latencies by route, the local service and
//     check counts, the Raft commit index and the state store index.
//     telemetry's settings do not touch them. The Go runtime and process
//     collectors add the usual go_... and process_... series.
package metrics

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	gometrics "github.com/armon/go-metrics"
	gmprom "github.com/armon/go-metrics/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options are the telemetry settings (config.Telemetry).
type Options struct {
	Prefix          string        // metrics_prefix of Consul's names; "" for none
	DisableHostname bool          // keep the hostname out of gauge names
	Retention       time.Duration // how long a series not updated stays; 0 keeps all
	BlockUnlisted   bool          // drop what PrefixFilter does not keep (!filter_default)
	PrefixFilter    []string      // "+prefix" keeps, "-prefix" drops
}

// Metrics is one agent's registry. Its methods are safe for concurrent use.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	gm       *gometrics.Metrics   // Consul's names, into the agent's own sinks
	inmem    *gometrics.InmemSink // the same, for the JSON summary

	// apiHTTP is Consul's api.http timer, kept here rather than in gm:
	// it is taken on every request, and go-metrics' path (key building,
	// filters, a lock per sample) cost several percent of a busy agent's
	// CPU. nil when telemetry's prefix filter drops it.
	apiHTTP *prometheus.SummaryVec
	series  sync.Map // httpKey → *httpSeries

	mu     sync.Mutex    // serializes refresh
	gauges []consulGauge // guarded by mu
}

// consulGauge is a gauge under Consul's name, read at each scrape.
type consulGauge struct {
	key []string // such as {"raft", "applied_index"}
	fn  func() float64
}

// New returns a registry with the Go runtime and process collectors, and
// points go-metrics' global instance (Raft, Serf, memberlist) at it.
func New(o Options) *Metrics {
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

	conf := gometrics.DefaultConfig(o.Prefix)
	conf.EnableHostname = !o.DisableHostname
	conf.EnableRuntimeMetrics = false // emitted at each scrape instead, without a goroutine
	conf.FilterDefault = !o.BlockUnlisted
	for _, f := range o.PrefixFilter {
		if rest, ok := strings.CutPrefix(f, "+"); ok {
			conf.AllowedPrefixes = append(conf.AllowedPrefixes, rest)
		} else if rest, ok := strings.CutPrefix(f, "-"); ok {
			conf.BlockedPrefixes = append(conf.BlockedPrefixes, rest)
		}
	}
	sink, err := gmprom.NewPrometheusSinkFrom(gmprom.PrometheusOpts{
		Name: "concord_agent_sink", Expiration: o.Retention, Registerer: m.reg})
	if err != nil {
		panic("metrics: " + err.Error()) // a fresh registry has nothing to clash with
	}
	m.inmem = newInmem()
	m.gm, _ = gometrics.New(conf, gometrics.FanoutSink{sink, m.inmem}) // New never fails
	if allowed("api.http", o) {
		// The same shape as go-metrics' Prometheus sink gives timers.
		m.apiHTTP = prometheus.NewSummaryVec(prometheus.SummaryOpts{
			Name:       promName(o.Prefix, "api_http"),
			Help:       "api.http: HTTP API request time in milliseconds, by method and path.",
			Objectives: map[float64]float64{0.5: 0.05, 0.9: 0.01, 0.99: 0.001},
			MaxAge:     o.Retention,
		}, []string{"method", "path"})
		m.reg.MustRegister(m.apiHTTP)
	}
	shared := processSink(o.Retention)
	m.reg.MustRegister(shared)
	_, _ = gometrics.NewGlobal(conf, gometrics.FanoutSink{shared, process.inmem})
	return m
}

// process is the sinks of go-metrics' global instance, made once: Raft,
// Serf and memberlist report to the global only.
var process struct {
	once  sync.Once
	sink  *gmprom.PrometheusSink
	inmem *gometrics.InmemSink
}

// newInmem is an in-memory sink for Consul's JSON summary: the figures of
// the current 10 s interval, as Consul's agent keeps them.
func newInmem() *gometrics.InmemSink { return gometrics.NewInmemSink(10*time.Second, time.Minute) }

// processSink returns the process-wide sink, made with the first
// caller's retention.
func processSink(retention time.Duration) *gmprom.PrometheusSink {
	process.once.Do(func() {
		// The sink registers itself; it is collected through each
		// agent's registry instead, so give it one of its own.
		sink, err := gmprom.NewPrometheusSinkFrom(gmprom.PrometheusOpts{
			Name: "concord_process_sink", Expiration: retention, Registerer: prometheus.NewRegistry()})
		if err != nil {
			panic("metrics: " + err.Error())
		}
		process.sink = sink
		process.inmem = newInmem()
	})
	return process.sink
}

// consulTimers maps the routes of Consul's timed write endpoints to the
// name Consul gives their timer. Consul times them in the server's RPC
// endpoint; Concord in the HTTP API of the agent that took the request.
var consulTimers = map[string][]string{
	"PUT /v1/kv/{key...}":          {"kvs", "apply"},
	"DELETE /v1/kv/{key...}":       {"kvs", "apply"},
	"PUT /v1/txn":                  {"txn", "apply"},
	"PUT /v1/catalog/register":     {"catalog", "register"},
	"PUT /v1/catalog/deregister":   {"catalog", "deregister"},
	"PUT /v1/session/create":       {"session", "apply"},
	"PUT /v1/session/destroy/{id}": {"session", "apply"},
}

// ObserveHTTP records one finished request: Concord's request counter and
// latency histogram, Consul's api.http timer (labels method and path, as
// "v1.kv._"), and the endpoint's own Consul timer if it has one.
func (m *Metrics) ObserveHTTP(method, route string, code int, d time.Duration) {
	s := m.seriesOf(method, route, code)
	s.count.Inc()
	s.latency.Observe(d.Seconds())
	ms := float32(d) / float32(time.Millisecond)
	if s.api != nil {
		s.api.Observe(float64(ms))
	}
	if s.timer != nil {
		m.gm.AddSample(s.timer, ms)
	}
}

// httpKey names one request series: method, route pattern and status.
type httpKey struct {
	method, route string
	code          int
}

// httpSeries is what ObserveHTTP updates for one httpKey, looked up once:
// building label values and keys on every request cost a busy agent
// allocations and CPU for nothing.
type httpSeries struct {
	count   prometheus.Counter
	latency prometheus.Observer
	api     prometheus.Observer // nil when the prefix filter drops api.http
	timer   []string            // the endpoint's Consul timer; nil for none
}

func (m *Metrics) seriesOf(method, route string, code int) *httpSeries {
	k := httpKey{method, route, code}
	if s, ok := m.series.Load(k); ok {
		return s.(*httpSeries)
	}
	s := &httpSeries{
		count:   m.requests.WithLabelValues(method, route, strconv.Itoa(code)),
		latency: m.latency.WithLabelValues(method, route),
		timer:   consulTimers[method+" "+route],
	}
	if m.apiHTTP != nil {
		s.api = m.apiHTTP.WithLabelValues(method, apiPath(route))
	}
	v, _ := m.series.LoadOrStore(k, s)
	return v.(*httpSeries)
}

// promName is a Consul metric's Prometheus name: the prefix and the
// dotted key with underscores.
func promName(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "_" + key
}

// allowed applies telemetry's prefix filter to a dotted key as
// go-metrics does: the longest matching prefix decides, and a key no
// prefix matches is kept unless BlockUnlisted.
func allowed(key string, o Options) bool {
	keep, longest := !o.BlockUnlisted, -1
	for _, f := range o.PrefixFilter {
		rest, allow := strings.CutPrefix(f, "+")
		if !allow {
			rest, _ = strings.CutPrefix(f, "-")
		}
		if strings.HasPrefix(key, rest) && len(rest) > longest {
			keep, longest = allow, len(rest)
		}
	}
	return keep
}

// apiPath turns a route pattern into Consul's path label: dots for
// slashes and _ for each parameter ("/v1/kv/{key...}" is "v1.kv._").
func apiPath(route string) string {
	parts := strings.Split(strings.Trim(route, "/"), "/")
	for i, p := range parts {
		if strings.HasPrefix(p, "{") {
			parts[i] = "_"
		}
	}
	return strings.Join(parts, ".")
}

// Gauge registers a gauge of Concord's own, whose value fn reads at each
// scrape; name is the full Prometheus name (concord_...).
func (m *Metrics) Gauge(name, help string, fn func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, fn))
}

// ConsulGauge registers a gauge under Consul's name, given dotted without
// the prefix ("raft.applied_index"), whose value fn reads at each scrape.
func (m *Metrics) ConsulGauge(key string, fn func() float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gauges = append(m.gauges, consulGauge{key: strings.Split(key, "."), fn: fn})
}

// refresh sets the Consul-named gauges, runtime figures included, just
// before a scrape.
func (m *Metrics) refresh() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gm.EmitRuntimeStats() // runtime.alloc_bytes, runtime.num_goroutines...
	for _, g := range m.gauges {
		m.gm.SetGauge(g.key, float32(g.fn()))
	}
}

// Handler serves the registry: Prometheus text with ?format=prometheus,
// otherwise Consul's JSON summary (Timestamp, Gauges, Counters, Samples).
func (m *Metrics) Handler() http.Handler {
	prom := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.refresh()
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

// summary is Consul's JSON metrics shape: the Consul-named figures of
// the current interval, under their dotted names ("consul.raft.apply";
// gauges carry the hostname unless disable_hostname), as Consul's agent
// serves them. Concord's own series are in the Prometheus text only.
type summary struct {
	Timestamp string
	Gauges    []gometrics.GaugeValue
	Points    []gometrics.PointValue
	Counters  []gometrics.SampledValue
	Samples   []gometrics.SampledValue
}

func (m *Metrics) summary() (*summary, error) {
	s := &summary{Timestamp: time.Now().UTC().Format("2006-01-02 15:04:05 -0700 MST"),
		Gauges: []gometrics.GaugeValue{}, Points: []gometrics.PointValue{},
		Counters: []gometrics.SampledValue{}, Samples: []gometrics.SampledValue{}}
	for _, sink := range []*gometrics.InmemSink{m.inmem, process.inmem} {
		data := sink.Data()
		if len(data) == 0 {
			continue
		}
		iv := data[len(data)-1]
		iv.RLock()
		for _, g := range iv.Gauges {
			if g.DisplayLabels == nil {
				g.DisplayLabels = map[string]string{}
			}
			s.Gauges = append(s.Gauges, g)
		}
		for name, vs := range iv.Points {
			s.Points = append(s.Points, gometrics.PointValue{Name: name, Points: vs})
		}
		for _, c := range iv.Counters {
			s.Counters = append(s.Counters, sampled(c))
		}
		for _, v := range iv.Samples {
			s.Samples = append(s.Samples, sampled(v))
		}
		iv.RUnlock()
	}
	sortByName(s.Gauges, func(g gometrics.GaugeValue) string { return g.Name })
	sortByName(s.Points, func(p gometrics.PointValue) string { return p.Name })
	sortByName(s.Counters, func(c gometrics.SampledValue) string { return c.Name })
	sortByName(s.Samples, func(c gometrics.SampledValue) string { return c.Name })
	return s, nil
}

// sampled copies a counter or timer out of its interval (the sink goes on
// updating it) with its mean and deviation, as go-metrics' own display
// does.
func sampled(v gometrics.SampledValue) gometrics.SampledValue {
	agg := *v.AggregateSample
	v.AggregateSample = &agg
	v.Mean, v.Stddev = agg.Mean(), agg.Stddev()
	if v.DisplayLabels == nil {
		v.DisplayLabels = map[string]string{}
	}
	return v
}

func sortByName[T any](xs []T, name func(T) string) {
	slices.SortFunc(xs, func(a, b T) int { return strings.Compare(name(a), name(b)) })
}
