package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is a server the suite drives: a child process, an in-process
// no-op server, or a node it did not start.
type server struct {
	endpoint, accessKey, secretKey string
	// pprof is the address of the server's net/http/pprof ("" = none).
	pprof string
	proc  *child      // nil unless a child process
	more  []*child    // the other nodes of a cluster the suite started
	noop  *NoopServer // in-process no-op server
	// moreEndpoints are the other nodes' S3 endpoints (a cluster), and
	// morePprof their pprof addresses (when profiled).
	moreEndpoints, morePprof []string
}

// cpu is the server process's CPU time so far; false when it is not a
// child process or the platform does not tell.
func (s *server) cpu() (time.Duration, bool) {
	if s.proc == nil {
		return 0, false
	}
	var sum time.Duration
	for _, c := range append([]*child{s.proc}, s.more...) {
		if c.exited() {
			return 0, false
		}
		t, ok := procCPU(c.cmd.Process.Pid)
		if !ok {
			return 0, false
		}
		sum += t
	}
	return sum, true
}

// stop ends the server (not a node the suite did not start).
func (s *server) stop() error {
	switch {
	case s.proc != nil:
		var errs []error
		for _, c := range s.more {
			errs = append(errs, c.stop(time.Minute))
		}
		return errors.Join(append(errs, s.proc.stop(time.Minute))...)
	case s.noop != nil:
		return s.noop.Close()
	}
	return nil
}

// child is a child process whose output goes to a log file.
type child struct {
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error // Wait's result, set before done closes
}

func startChild(bin string, args, env []string, logPath string) (*child, error) {
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSetup, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, lf, lf
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("%w: starting %s: %w", ErrSetup, bin, err)
	}
	c := &child{cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		lf.Close()
		close(c.done)
	}()
	return c, nil
}

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits up to timeout, then kills. A process that
// had already exited is an error: it died during the run.
func (c *child) stop(timeout time.Duration) error {
	if c.exited() {
		return fmt.Errorf("%s exited during the run (%v); see %s", filepath.Base(c.cmd.Path), c.err, c.logPath)
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(timeout):
		_ = c.cmd.Process.Kill()
		<-c.done
		return fmt.Errorf("%s did not stop within %s after SIGTERM; killed", filepath.Base(c.cmd.Path), timeout)
	}
	if c.err != nil {
		return fmt.Errorf("%s: %w; see %s", filepath.Base(c.cmd.Path), c.err, c.logPath)
	}
	return nil
}

// logTail is the end of the child's log, for error messages.
func (c *child) logTail() string {
	b, _ := os.ReadFile(c.logPath)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

// freePort returns a loopback address with a port free right now.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrSetup, err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, nil
}

// childEnv is this process's environment without TESSERA_* variables
// (which would reconfigure the child), plus extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TESSERA_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// startNode starts `tessera server` on free loopback ports with its data
// in dir, durable writes on, and root credentials of its own; it returns
// once the node reports ready.
func startNode(ctx context.Context, cfg *SuiteConfig, dir string, log *slog.Logger) (*server, error) {
	listen, err := freePort()
	if err != nil {
		return nil, err
	}
	cluster, err := freePort()
	if err != nil {
		return nil, err
	}
	var pb [12]byte
	_, _ = rand.Read(pb[:])
	s := &server{endpoint: "http://" + listen, accessKey: "bench-admin", secretKey: "Bench-" + hex.EncodeToString(pb[:])}
	env := []string{
		"TESSERA_ROOT_USER=" + s.accessKey, "TESSERA_ROOT_PASSWORD=" + s.secretKey,
		"TESSERA_CLUSTER_LISTEN=" + cluster, "TESSERA_REGION=" + cfg.Region,
		"TESSERA_SYNC=true", "TESSERA_LOG_LEVEL=warn", "TESSERA_DRAIN_DELAY=0s",
	}
	if cfg.DataShards > 0 {
		env = append(env, "TESSERA_ERASURE_DATA_SHARDS="+strconv.Itoa(cfg.DataShards), "TESSERA_ERASURE_PARITY_SHARDS="+strconv.Itoa(cfg.ParityShards))
	}
	if cfg.ProfileDir != "" {
		if s.pprof, err = freePort(); err != nil {
			return nil, err
		}
		env = append(env, "TESSERA_PPROF="+s.pprof)
	}
	args := []string{"server", "--listen", listen, "--data-dir", dir, "--drives", strconv.Itoa(cfg.Drives)}
	c, err := startChild(cfg.Binary, args, childEnv(append(env, cfg.NodeEnv...)...), filepath.Join(cfg.DataDir, "node.log"))
	if err != nil {
		return nil, err
	}
	s.proc = c
	log.Info("node started", "pid", c.cmd.Process.Pid, "endpoint", s.endpoint, "log", c.logPath)
	if err := waitUp(ctx, c, time.Minute, nodeReady(s.endpoint)); err != nil {
		_ = c.stop(10 * time.Second)
		return nil, err
	}
	return s, nil
}

// nodeReady is the probe of a node's readiness endpoint for waitUp.
func nodeReady(endpoint string) func() bool {
	return func() bool {
		resp, err := http.Get(endpoint + "/_tessera/health/ready")
		if err != nil {
			return false
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
}

// startCluster starts a cluster of n `tessera server` processes (one
// drive each, durable writes) on free loopback ports, with their data
// under dir, and returns once every node is ready. The server's endpoint
// is the first node; moreEndpoints the others.
func startCluster(ctx context.Context, cfg *SuiteConfig, dir string, n int, log *slog.Logger) (srv *server, err error) {
	var pb [12]byte
	_, _ = rand.Read(pb[:])
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	srv = &server{accessKey: "bench-admin", secretKey: "Bench-" + hex.EncodeToString(pb[:])}
	listen := make([]string, n)
	cport := make([]string, n)
	var peers strings.Builder
	for i := range n {
		if listen[i], err = freePort(); err != nil {
			return nil, err
		}
		if cport[i], err = freePort(); err != nil {
			return nil, err
		}
		fmt.Fprintf(&peers, "\n[[peers]]\nid = \"node%d\"\naddr = %q\n", i+1, cport[i])
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSetup, err)
	}
	defer func() {
		if err != nil {
			_ = srv.stop()
		}
	}()
	for i := range n {
		conf := fmt.Sprintf("listen = %q\ndata_dir = %q\ndrives = 1\nnode_id = \"node%d\"\ncluster_listen = %q\n%s",
			listen[i], filepath.Join(dir, fmt.Sprintf("node%d", i+1)), i+1, cport[i], peers.String())
		path := filepath.Join(dir, fmt.Sprintf("node%d.toml", i+1))
		if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrSetup, err)
		}
		env := []string{
			"TESSERA_ROOT_USER=" + srv.accessKey, "TESSERA_ROOT_PASSWORD=" + srv.secretKey,
			"TESSERA_CLUSTER_SECRET=" + hex.EncodeToString(secret), "TESSERA_REGION=" + cfg.Region,
			"TESSERA_SYNC=true", "TESSERA_LOG_LEVEL=warn", "TESSERA_DRAIN_DELAY=0s",
		}
		pprof := ""
		if cfg.ProfileDir != "" {
			if pprof, err = freePort(); err != nil {
				return nil, err
			}
			env = append(env, "TESSERA_PPROF="+pprof)
		}
		c, err := startChild(cfg.Binary, []string{"server", "--config", path}, childEnv(append(env, cfg.NodeEnv...)...),
			filepath.Join(cfg.DataDir, fmt.Sprintf("cluster-node%d.log", i+1)))
		if err != nil {
			return nil, err
		}
		if i == 0 {
			srv.proc, srv.endpoint, srv.pprof = c, "http://"+listen[i], pprof
		} else {
			srv.more = append(srv.more, c)
			srv.moreEndpoints = append(srv.moreEndpoints, "http://"+listen[i])
			if pprof != "" {
				srv.morePprof = append(srv.morePprof, pprof)
			}
		}
	}
	for i, c := range append([]*child{srv.proc}, srv.more...) {
		if err := waitUp(ctx, c, 2*time.Minute, nodeReady("http://"+listen[i])); err != nil {
			return nil, err
		}
	}
	log.Info("cluster started", "nodes", n, "endpoints", append([]string{srv.endpoint}, srv.moreEndpoints...))
	return srv, nil
}

// startNoopServer starts the no-op responder serving objects of size bytes: a
// child process running `tessera bench noop` when Binary is set, else
// in this process.
func startNoopServer(ctx context.Context, cfg *SuiteConfig, size int64, log *slog.Logger) (*server, error) {
	s := &server{accessKey: "noop", secretKey: "noop-secret"}
	if cfg.Binary == "" {
		nc := DefaultNoopConfig()
		nc.ObjectSize = size
		ns, err := ListenNoop("127.0.0.1:0", nc)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrSetup, err)
		}
		s.noop, s.endpoint = ns, ns.Endpoint()
		return s, nil
	}
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	c, err := startChild(cfg.Binary, []string{"bench", "noop", "--listen", addr, "--object-size", strconv.FormatInt(size, 10)},
		childEnv(), filepath.Join(cfg.DataDir, "noop.log"))
	if err != nil {
		return nil, err
	}
	s.proc, s.endpoint = c, "http://"+addr
	log.Info("no-op server started", "pid", c.cmd.Process.Pid, "endpoint", s.endpoint, "object_size", FormatSize(size))
	if err := waitUp(ctx, c, 30*time.Second, func() bool {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
		}
		return err == nil
	}); err != nil {
		_ = c.stop(10 * time.Second)
		return nil, err
	}
	return s, nil
}

// waitUp polls up until it reports true, the child exits, ctx ends or
// timeout passes.
func waitUp(ctx context.Context, c *child, timeout time.Duration, up func() bool) error {
	deadline := time.Now().Add(timeout)
	for !up() {
		if c.exited() {
			return fmt.Errorf("%w: %s exited (%v): %s", ErrSetup, filepath.Base(c.cmd.Path), c.err, c.logTail())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %s not up after %s: %s", ErrSetup, filepath.Base(c.cmd.Path), timeout, c.logTail())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// fetchProfile saves a CPU profile of secs seconds from a net/http/pprof
// endpoint at addr.
func fetchProfile(ctx context.Context, addr string, secs int, path string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(secs+30)*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/debug/pprof/profile?seconds="+strconv.Itoa(secs), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// procStat is the machine-wide CPU time from /proc/stat, in ticks.
type procStat struct{ user, system, iowait, idle, total uint64 }

func (a procStat) sub(b procStat) MachineCPU {
	t := float64(a.total - b.total)
	if t <= 0 {
		return MachineCPU{}
	}
	return MachineCPU{User: float64(a.user-b.user) / t, System: float64(a.system-b.system) / t,
		IOWait: float64(a.iowait-b.iowait) / t, Idle: float64(a.idle-b.idle) / t}
}

// parseProcStat reads the "cpu" line of /proc/stat.
func parseProcStat(b []byte) (procStat, error) {
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return procStat{}, errors.New("no cpu line")
	}
	var v [8]uint64
	for i := range v {
		n, err := strconv.ParseUint(f[i+1], 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("cpu field %d: %w", i+1, err)
		}
		v[i] = n
	}
	// user nice system idle iowait irq softirq steal
	st := procStat{user: v[0] + v[1], system: v[2] + v[5] + v[6], idle: v[3], iowait: v[4]}
	for _, n := range v {
		st.total += n
	}
	return st, nil
}

// parsePidStat reads utime+stime (in ticks) from /proc/PID/stat.
func parsePidStat(b []byte) (uint64, error) {
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("no command field")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, errors.New("short stat line")
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return u + st, nil
}

// parseLoadAvg reads the three load averages of /proc/loadavg.
func parseLoadAvg(b []byte) (l [3]float64, err error) {
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return l, errors.New("short loadavg")
	}
	for i := range l {
		if l[i], err = strconv.ParseFloat(f[i], 64); err != nil {
			return l, err
		}
	}
	return l, nil
}

// clockTicks is USER_HZ, the unit of /proc CPU times (100 on Linux).
const clockTicks = 100

func readProcStat() (procStat, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return procStat{}, false
	}
	st, err := parseProcStat(b)
	return st, err == nil
}

func procCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	t, err := parsePidStat(b)
	if err != nil {
		return 0, false
	}
	return time.Duration(t) * time.Second / clockTicks, true
}

func loadAvg() [3]float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return [3]float64{}
	}
	l, _ := parseLoadAvg(b)
	return l
}
