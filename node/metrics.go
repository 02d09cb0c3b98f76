package node

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/tessera-s3/tessera/raftfsm"
	"github.com/tessera-s3/tessera/s3api"
)

// metrics owns the node's Prometheus registry (not the global one) and the
// instruments the request path updates. Safe for concurrent use.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	bytesIn  prometheus.Counter
	bytesOut prometheus.Counter
	commit   *prometheus.HistogramVec
	handler  fasthttp.RequestHandler
}

func newMetrics(n *Node) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "tessera_s3_requests_total", Help: "S3 requests by API and HTTP status.",
	}, []string{"api", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "tessera_s3_request_duration_seconds", Help: "Time to response of S3 requests by API.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 14),
	}, []string{"api"})
	m.bytesIn = prometheus.NewCounter(prometheus.CounterOpts{Name: "tessera_s3_received_bytes_total", Help: "Payload bytes received."})
	m.bytesOut = prometheus.NewCounter(prometheus.CounterOpts{Name: "tessera_s3_sent_bytes_total", Help: "Response body bytes sent."})
	m.commit = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "tessera_raft_commit_seconds", Help: "Time from proposing a replicated change to its commit, apply and propagation, by command.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	}, []string{"command"})
	m.reg.MustRegister(m.requests, m.latency, m.bytesIn, m.bytesOut, m.commit,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&stateCollector{n: n})
	m.reg.MustRegister(n.audit.sender.Collectors()...)
	m.handler = fasthttpadaptor.NewFastHTTPHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	return m
}

// observe is the s3api.Config.Observe hook.
func (m *metrics) observe(ri *s3api.RequestInfo) {
	m.requests.WithLabelValues(ri.API, strconv.Itoa(ri.Status)).Inc()
	m.latency.WithLabelValues(ri.API).Observe(ri.Duration.Seconds())
	m.bytesIn.Add(float64(ri.BytesIn))
	if ri.BytesOut > 0 {
		m.bytesOut.Add(float64(ri.BytesOut))
	}
}

// stateCollector reads Raft, identity and drive state at scrape time.
type stateCollector struct{ n *Node }

var (
	descRaftState   = prometheus.NewDesc("tessera_raft_state", "Raft state: 0 follower, 1 candidate, 2 leader, 3 shutdown.", nil, nil)
	descRaftTerm    = prometheus.NewDesc("tessera_raft_term", "Current Raft term.", nil, nil)
	descRaftApplied = prometheus.NewDesc("tessera_raft_applied_index", "Last Raft index applied to the state machine.", nil, nil)
	descRaftCommit  = prometheus.NewDesc("tessera_raft_commit_index", "Last committed Raft index.", nil, nil)
	descUsers       = prometheus.NewDesc("tessera_identity_users", "Number of users.", nil, nil)
	descPolicies    = prometheus.NewDesc("tessera_identity_policies", "Number of custom IAM policies.", nil, nil)
	descSessions    = prometheus.NewDesc("tessera_identity_sts_sessions", "Number of STS sessions (expired ones until purged).", nil, nil)
	descSAs         = prometheus.NewDesc("tessera_identity_service_accounts", "Number of service accounts.", nil, nil)
	descHealBacklog = prometheus.NewDesc("tessera_heal_backlog_objects", "Objects found damaged by reads, waiting to be healed.", nil, nil)
	descHealed      = prometheus.NewDesc("tessera_heal_on_read_total", "Heal-on-read runs completed.", nil, nil)
	descDriveOnline = prometheus.NewDesc("tessera_drive_online", "1 when the drive is online.", []string{"drive"}, nil)
	descDriveFree   = prometheus.NewDesc("tessera_drive_free_bytes", "Free bytes on the drive's file system.", []string{"drive"}, nil)
	descDriveTotal  = prometheus.NewDesc("tessera_drive_total_bytes", "Size of the drive's file system.", []string{"drive"}, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descRaftState, descRaftTerm, descRaftApplied, descRaftCommit,
		descUsers, descPolicies, descSessions, descSAs, descDriveOnline, descDriveFree, descDriveTotal, descHealBacklog, descHealed} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.n.raft.Stats()
	state := map[string]float64{"Follower": 0, "Candidate": 1, "Leader": 2, "Shutdown": 3}[st["state"]]
	num := func(k string) float64 { v, _ := strconv.ParseFloat(st[k], 64); return v }
	ch <- prometheus.MustNewConstMetric(descRaftState, prometheus.GaugeValue, state)
	ch <- prometheus.MustNewConstMetric(descRaftTerm, prometheus.GaugeValue, num("term"))
	ch <- prometheus.MustNewConstMetric(descRaftApplied, prometheus.GaugeValue, num("applied_index"))
	ch <- prometheus.MustNewConstMetric(descRaftCommit, prometheus.GaugeValue, num("commit_index"))
	u, p, s, sa := c.n.raft.FSM().Counts()
	ch <- prometheus.MustNewConstMetric(descUsers, prometheus.GaugeValue, float64(u))
	ch <- prometheus.MustNewConstMetric(descPolicies, prometheus.GaugeValue, float64(p))
	ch <- prometheus.MustNewConstMetric(descSessions, prometheus.GaugeValue, float64(s))
	ch <- prometheus.MustNewConstMetric(descSAs, prometheus.GaugeValue, float64(sa))
	pending, healed := c.n.store.HealBacklog()
	ch <- prometheus.MustNewConstMetric(descHealBacklog, prometheus.GaugeValue, float64(pending))
	ch <- prometheus.MustNewConstMetric(descHealed, prometheus.CounterValue, float64(healed))
	for _, d := range c.n.store.DriveStatus() {
		online := 0.0
		if d.Online {
			online = 1
		}
		ch <- prometheus.MustNewConstMetric(descDriveOnline, prometheus.GaugeValue, online, d.Path)
		ch <- prometheus.MustNewConstMetric(descDriveFree, prometheus.GaugeValue, float64(d.FreeBytes), d.Path)
		ch <- prometheus.MustNewConstMetric(descDriveTotal, prometheus.GaugeValue, float64(d.TotalBytes), d.Path)
	}
}

// observeCommit is raftfsm's ObserveCommit hook.
func (m *metrics) observeCommit(t raftfsm.CommandType, d time.Duration) {
	m.commit.WithLabelValues(t.String()).Observe(d.Seconds())
}
