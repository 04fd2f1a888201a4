// Package metrics collects the provider's Prometheus metrics and serves
// them at /metrics. Every metric name starts with idp_.
//
// The hosted pages are instrumented through the audit log rather than by
// calls in each handler: AuditStore wraps the store and counts each audit
// event it records, so a sign-in, a failure, a throttled attempt and a
// second-factor activation are counted exactly when they are audited.
// HTTP latency and token grants are measured by Middleware, the connection
// pool and the outbox by collectors that read them at scrape time.
package metrics

import (
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hotelsoft/idp/store"
)

// Audit event names that the counters map. Other events are counted only
// in idp_audit_events_total.
const (
	eventSignInSucceeded = "sign_in.succeeded"
	eventSignInFailed    = "sign_in.failed"
	eventSignInThrottled = "sign_in.throttled"
)

// Metrics holds the collectors of one process. Its methods are safe for
// concurrent use. A nil *Metrics records nothing, so tests and tools may
// leave it out.
type Metrics struct {
	reg *prometheus.Registry

	signIns     *prometheus.CounterVec
	activations *prometheus.CounterVec
	throttled   *prometheus.CounterVec
	auditEvents *prometheus.CounterVec
	tokens      *prometheus.CounterVec
	duration    *prometheus.HistogramVec
}

// New returns Metrics registered in a new registry, together with the Go
// runtime (idp_go_...) and process (idp_process_...) collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idp_sign_ins_total",
			Help: "Sign-in steps by result (success, failure, throttled) and method: for a success the method that completed the sign-in, otherwise the step that failed.",
		}, []string{"result", "method"}),
		activations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idp_second_factor_activations_total",
			Help: "Second factors activated, by method.",
		}, []string{"method"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idp_throttled_attempts_total",
			Help: "Attempts refused by the throttle, by step.",
		}, []string{"step"}),
		auditEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idp_audit_events_total",
			Help: "Audit events recorded by the hosted pages, by event name.",
		}, []string{"event"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idp_tokens_issued_total",
			Help: "Successful token endpoint responses, by grant type.",
		}, []string{"grant_type"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "idp_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by route, method and status code.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "code"}),
	}
	m.reg.MustRegister(m.signIns, m.activations, m.throttled, m.auditEvents, m.tokens, m.duration,
		prometheus.WrapCollectorWithPrefix("idp_", collectors.NewGoCollector()),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{Namespace: "idp"}),
	)
	return m
}

// Registry returns the registry, for tests and further collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// ObserveAudit counts one recorded audit event.
func (m *Metrics) ObserveAudit(e store.AuditEvent) {
	if m == nil {
		return
	}
	m.auditEvents.WithLabelValues(e.Event).Inc()
	switch {
	case e.Event == eventSignInSucceeded:
		m.signIns.WithLabelValues("success", label(e.Detail["method"])).Inc()
	case e.Event == eventSignInFailed:
		m.signIns.WithLabelValues("failure", label(e.Detail["step"])).Inc()
	case e.Event == eventSignInThrottled:
		step := label(e.Detail["step"])
		m.signIns.WithLabelValues("throttled", step).Inc()
		m.throttled.WithLabelValues(step).Inc()
	case strings.HasSuffix(e.Event, ".activated"):
		m.activations.WithLabelValues(strings.TrimSuffix(e.Event, ".activated")).Inc()
	}
}

// label returns v, or "unknown" for an empty value.
func label(v string) string {
	if v == "" {
		return "unknown"
	}
	return v
}
