package metrics

import (
	"context"
	"database/sql"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hotelsoft/idp/store"
)

// scrapeTimeout bounds the database queries of one scrape.
const scrapeTimeout = 3 * time.Second

// RegisterPool exports the connection pool statistics that stats returns,
// by pool name, at every scrape.
func (m *Metrics) RegisterPool(stats func() map[string]sql.DBStats) {
	if m == nil {
		return
	}
	m.reg.MustRegister(&poolCollector{stats: stats})
}

var (
	poolOpen = prometheus.NewDesc("idp_db_connections_open",
		"Open database connections, in use and idle.", []string{"pool"}, nil)
	poolInUse = prometheus.NewDesc("idp_db_connections_in_use",
		"Database connections in use.", []string{"pool"}, nil)
	poolMax = prometheus.NewDesc("idp_db_connections_max",
		"Maximum number of open database connections; 0 means unlimited.", []string{"pool"}, nil)
	poolWaits = prometheus.NewDesc("idp_db_connection_waits_total",
		"Times a query waited for a free database connection.", []string{"pool"}, nil)
	poolWaitSeconds = prometheus.NewDesc("idp_db_connection_wait_seconds_total",
		"Total time spent waiting for a free database connection.", []string{"pool"}, nil)
)

type poolCollector struct {
	stats func() map[string]sql.DBStats
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolOpen, poolInUse, poolMax, poolWaits, poolWaitSeconds} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	for name, s := range c.stats() {
		ch <- prometheus.MustNewConstMetric(poolOpen, prometheus.GaugeValue, float64(s.OpenConnections), name)
		ch <- prometheus.MustNewConstMetric(poolInUse, prometheus.GaugeValue, float64(s.InUse), name)
		ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(s.MaxOpenConnections), name)
		ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(s.WaitCount), name)
		ch <- prometheus.MustNewConstMetric(poolWaitSeconds, prometheus.CounterValue, s.WaitDuration.Seconds(), name)
	}
}

// RegisterOutbox exports the email outbox at every scrape: emails waiting
// for delivery, emails given up, and failed delivery attempts of emails
// still waiting. The outbox is shared, so every node reports the same
// values; aggregate them with max, not sum.
func (m *Metrics) RegisterOutbox(outbox store.Outbox, logger *slog.Logger) {
	if m == nil {
		return
	}
	m.reg.MustRegister(&outboxCollector{outbox: outbox, logger: logger})
}

var (
	outboxPending = prometheus.NewDesc("idp_outbox_pending_emails",
		"Emails in the outbox that are neither sent nor given up.", nil, nil)
	outboxFailed = prometheus.NewDesc("idp_outbox_failed_emails",
		"Emails in the outbox whose delivery was given up.", nil, nil)
	outboxRetries = prometheus.NewDesc("idp_outbox_failed_attempts",
		"Failed delivery attempts of the emails still pending.", nil, nil)
	outboxOldest = prometheus.NewDesc("idp_outbox_oldest_pending_age_seconds",
		"Age of the oldest pending email; 0 when none is pending.", nil, nil)
)

type outboxCollector struct {
	outbox store.Outbox
	logger *slog.Logger
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{outboxPending, outboxFailed, outboxRetries, outboxOldest} {
		ch <- d
	}
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	st, err := c.outbox.OutboxStats(ctx)
	if err != nil {
		c.logger.Warn("read outbox for metrics", "err", err)
		ch <- prometheus.NewInvalidMetric(outboxPending, err)
		return
	}
	age := 0.0
	if !st.OldestPending.IsZero() {
		age = time.Since(st.OldestPending).Seconds()
	}
	pending, failed, retries := float64(st.Pending), float64(st.Failed), float64(st.PendingAttempts)
	ch <- prometheus.MustNewConstMetric(outboxPending, prometheus.GaugeValue, pending)
	ch <- prometheus.MustNewConstMetric(outboxFailed, prometheus.GaugeValue, failed)
	ch <- prometheus.MustNewConstMetric(outboxRetries, prometheus.GaugeValue, retries)
	ch <- prometheus.MustNewConstMetric(outboxOldest, prometheus.GaugeValue, age)
}
