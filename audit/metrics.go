package audit

import "github.com/prometheus/client_golang/prometheus"

var (
	descSent = prometheus.NewDesc("tessera_audit_events_sent_total",
		"Audit events the webhook accepted.", nil, nil)
	descDropped = prometheus.NewDesc("tessera_audit_events_dropped_total",
		"Audit events dropped: buffer_full (queue full), webhook_error (every POST try failed), shutdown (still queued at shutdown), disabled (queued when the webhook was removed).",
		[]string{"reason"}, nil)
	descQueued = prometheus.NewDesc("tessera_audit_queue_events",
		"Audit events waiting to be sent.", nil, nil)
	descEnabled = prometheus.NewDesc("tessera_audit_webhook_enabled",
		"1 when an audit webhook is configured.", nil, nil)
)

// Collectors returns the Prometheus collectors of the Sender's counters, for
// the caller's registry. They read the counters at scrape time.
func (s *Sender) Collectors() []prometheus.Collector {
	return []prometheus.Collector{collector{s}}
}

type collector struct{ s *Sender }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descSent
	ch <- descDropped
	ch <- descQueued
	ch <- descEnabled
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.Stats()
	ch <- prometheus.MustNewConstMetric(descSent, prometheus.CounterValue, float64(st.Sent))
	for _, d := range []struct {
		reason string
		n      uint64
	}{
		{"buffer_full", st.DroppedBufferFull}, {"webhook_error", st.Failed},
		{"shutdown", st.DroppedShutdown}, {"disabled", st.DroppedDisabled},
	} {
		ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(d.n), d.reason)
	}
	ch <- prometheus.MustNewConstMetric(descQueued, prometheus.GaugeValue, float64(st.Queued))
	enabled := 0.0
	if st.Enabled {
		enabled = 1
	}
	ch <- prometheus.MustNewConstMetric(descEnabled, prometheus.GaugeValue, enabled)
}
