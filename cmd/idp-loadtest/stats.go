package main

import (
	"fmt"
	"io"
	"slices"
	"sync"
	"time"
)

// recorder collects step durations and errors from every virtual user.
type recorder struct {
	mu      sync.Mutex
	steps   map[string][]time.Duration
	errors  map[string]int
	samples map[string]string // one error message per step, for the report
	flows   int
	// inFlight counts the sign-ins started and not yet finished;
	// maxInFlight is its highest value.
	inFlight, maxInFlight int
}

// begin records that a flow started.
func (r *recorder) begin() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inFlight++
	r.maxInFlight = max(r.maxInFlight, r.inFlight)
}

func newRecorder() *recorder {
	return &recorder{steps: map[string][]time.Duration{}, errors: map[string]int{}, samples: map[string]string{}}
}

// flow records one finished flow: the timings of its steps and, when it
// failed, the step that failed.
func (r *recorder) flow(tm timings, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inFlight = max(0, r.inFlight-1)
	if err != nil {
		step := "other"
		if se, ok := err.(*stepError); ok {
			step = se.step
		}
		r.errors[step]++
		if r.samples[step] == "" {
			r.samples[step] = err.Error()
		}
		return
	}
	r.flows++
	for step, d := range tm {
		r.steps[step] = append(r.steps[step], d)
	}
}

// stepStats are the latency percentiles of one step.
type stepStats struct {
	Count         int     `json:"count"`
	P50, P90, P99 float64 // milliseconds
}

// report is the result of one run.
type report struct {
	Target       string            `json:"target"`
	Mode         string            `json:"mode"`
	VUs          int               `json:"vus"`
	Seconds      float64           `json:"seconds"`
	Flows        int               `json:"flows"`
	FlowsPerSec  float64           `json:"flows_per_second"`
	Errors       map[string]int    `json:"errors"`
	ErrorSamples map[string]string `json:"error_samples,omitempty"`
	AccountWaits int               `json:"account_waits"`
	// MaxInFlight is the most sign-ins in progress at one time.
	MaxInFlight   int                  `json:"max_in_flight"`
	Steps         map[string]stepStats `json:"steps"`
	ServerCPUSec  float64              `json:"server_cpu_seconds,omitempty"`
	CPUPerFlowMS  float64              `json:"server_cpu_ms_per_flow,omitempty"`
	ServerPeakRSS float64              `json:"server_peak_rss_mib,omitempty"`
	// LoadAverage is /proc/loadavg at the end of the run, because other
	// work on the machine lowers every rate measured here.
	LoadAverage string `json:"load_average,omitempty"`
}

func (r *recorder) report(elapsed time.Duration) report {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := report{
		Seconds:      elapsed.Seconds(),
		Flows:        r.flows,
		FlowsPerSec:  float64(r.flows) / elapsed.Seconds(),
		MaxInFlight:  r.maxInFlight,
		Errors:       r.errors,
		ErrorSamples: r.samples,
		Steps:        map[string]stepStats{},
	}
	for step, ds := range r.steps {
		slices.Sort(ds)
		rep.Steps[step] = stepStats{Count: len(ds), P50: pct(ds, 50), P90: pct(ds, 90), P99: pct(ds, 99)}
	}
	return rep
}

// pct returns the p-th percentile of sorted ds in milliseconds (nearest
// rank).
func pct(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	i := (len(ds)*p + 99) / 100
	i = min(max(i-1, 0), len(ds)-1)
	return float64(ds[i].Microseconds()) / 1000
}

// stepOrder is the order in which steps are printed.
var stepOrder = []string{stepAuthorize, stepPassword, stepTOTP, stepExchange, stepVerify, stepRefresh}

func (rep report) print(w io.Writer) {
	fmt.Fprintf(w, "target %s, mode %s, %d virtual users, %.1f s\n", rep.Target, rep.Mode, rep.VUs, rep.Seconds)
	errs := "none"
	if len(rep.Errors) > 0 {
		errs = fmt.Sprint(rep.Errors)
	}
	fmt.Fprintf(w, "flows %d (%.1f/s), errors %s, waits for a usable account %d, at most %d in progress\n",
		rep.Flows, rep.FlowsPerSec, errs, rep.AccountWaits, rep.MaxInFlight)
	for step, msg := range rep.ErrorSamples {
		fmt.Fprintf(w, "  first %s error: %s\n", step, msg)
	}
	if rep.LoadAverage != "" {
		fmt.Fprintf(w, "load average at the end: %s\n", rep.LoadAverage)
	}
	if rep.ServerCPUSec > 0 {
		fmt.Fprintf(w, "server CPU %.2f s (%.2f ms per flow), peak RSS %.0f MiB\n", rep.ServerCPUSec, rep.CPUPerFlowMS, rep.ServerPeakRSS)
	}
	fmt.Fprintf(w, "%-10s %8s %9s %9s %9s\n", "step", "count", "p50 ms", "p90 ms", "p99 ms")
	names := make([]string, 0, len(rep.Steps))
	for _, s := range stepOrder {
		if _, ok := rep.Steps[s]; ok {
			names = append(names, s)
		}
	}
	for _, s := range names {
		st := rep.Steps[s]
		fmt.Fprintf(w, "%-10s %8d %9.1f %9.1f %9.1f\n", s, st.Count, st.P50, st.P90, st.P99)
	}
}
