#!/usr/bin/env bash
# Local 3-node Tessera cluster on loopback, with haproxy in front.
#
#   deploy/local-cluster/run.sh start [BIN]   start nodes + haproxy, print endpoint and credentials
#   deploy/local-cluster/run.sh stop          stop everything cleanly (SIGTERM, then wait)
#   deploy/local-cluster/run.sh status        cluster status through the endpoint
#   deploy/local-cluster/run.sh restart-node N  graceful restart of node N (rolling restarts)
#
# Nodes listen on 127.0.0.1:9001-9003 (S3) and 127.0.0.1:9101-9103 (cluster
# port); haproxy on 127.0.0.1:9000. State lives in $TESSERA_LOCAL_DIR
# (default ./tessera-local). Ports can be moved with TESSERA_LOCAL_BASE_PORT
# (S3 endpoint = base, nodes base+1..3, cluster ports base+101..103).
set -euo pipefail
DIR=${TESSERA_LOCAL_DIR:-./tessera-local}
BASE=${TESSERA_LOCAL_BASE_PORT:-9000}
BIN=${TESSERA_BIN:-./bin/tessera}
[[ "${1:-}" == start && -n "${2:-}" ]] && BIN=$2
HERE=$(cd "$(dirname "$0")" && pwd)

start_node() { # start_node N: node N's process (config written by start)
	local i=$1
	"$BIN" server --config "$DIR/node$i.toml" >>"$DIR/node$i.log" 2>&1 &
	echo $! >"$DIR/node$i.pid"
}

wait_node_ready() {
	local i=$1
	for _ in $(seq 1 300); do
		curl -sf -o /dev/null "http://127.0.0.1:$((BASE + i))/_tessera/health/ready" && return 0
		sleep 0.1
	done
	echo "node$i not ready after 30 s; see $DIR/node$i.log" >&2
	return 1
}

# restart_node N: SIGTERM (the node reports not-ready, haproxy drains it,
# in-flight requests finish), wait for the exit, start it again, wait until
# it is ready.
restart_node() {
	local i=$1 p
	DIR=$(cd "$DIR" && pwd)
	set -a
	. "$DIR/env"
	set +a
	p=$(cat "$DIR/node$i.pid")
	kill -TERM "$p"
	for _ in $(seq 1 600); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$p" 2>/dev/null; then echo "node$i did not exit within 60 s" >&2; return 1; fi
	start_node "$i"
	wait_node_ready "$i"
}

start() {
	command -v haproxy >/dev/null || { echo "haproxy is not installed (apt-get install haproxy)" >&2; exit 1; }
	[[ -x "$BIN" ]] || { echo "binary $BIN not found: run make build" >&2; exit 1; }
	mkdir -p "$DIR"
	DIR=$(cd "$DIR" && pwd)
	if [[ ! -f "$DIR/env" ]]; then
		umask 077
		cat >"$DIR/env" <<ENV
TESSERA_ROOT_USER=admin
TESSERA_ROOT_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr '+/' 'Ab')9a
TESSERA_CLUSTER_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
ENV
	fi
	set -a
	. "$DIR/env"
	set +a
	for i in 1 2 3; do
		cat >"$DIR/node$i.toml" <<TOML
listen = "127.0.0.1:$((BASE + i))"
data_dir = "$DIR/node$i"
drives = 4
node_id = "node$i"
cluster_listen = "127.0.0.1:$((BASE + 100 + i))"
drain_delay = "3s"

[[peers]]
id = "node1"
addr = "127.0.0.1:$((BASE + 101))"

[[peers]]
id = "node2"
addr = "127.0.0.1:$((BASE + 102))"

[[peers]]
id = "node3"
addr = "127.0.0.1:$((BASE + 103))"
TOML
		start_node "$i"
	done
	sed -e "s/127.0.0.1:9000/127.0.0.1:$BASE/" -e "s/127.0.0.1:9001/127.0.0.1:$((BASE + 1))/" \
		-e "s/127.0.0.1:9002/127.0.0.1:$((BASE + 2))/" -e "s/127.0.0.1:9003/127.0.0.1:$((BASE + 3))/" \
		-e "/log stdout/d" -e "/option httplog/d" -e "/log global/d" "$HERE/../haproxy.cfg" >"$DIR/haproxy.cfg"
	haproxy -q -f "$DIR/haproxy.cfg" -D -p "$DIR/haproxy.pid"
	for i in 1 2 3; do wait_node_ready "$i"; done
	local ok=0
	for _ in $(seq 1 200); do
		if curl -sf -o /dev/null "http://127.0.0.1:$BASE/_tessera/health/ready"; then ok=1; break; fi
		sleep 0.1
	done
	((ok)) || { echo "haproxy on 127.0.0.1:$BASE has no ready node after 20 s; see $DIR/node*.log" >&2; exit 1; }
	cat <<MSG
Tessera local cluster is up.
  endpoint:   http://127.0.0.1:$BASE   (haproxy over nodes on ports $((BASE + 1))-$((BASE + 3)))
  access key: $TESSERA_ROOT_USER
  secret key: $TESSERA_ROOT_PASSWORD
  state:      $DIR   (logs: node*.log)
  stop with:  $0 stop
MSG
}

stop() {
	local f
	if [[ -f "$DIR/haproxy.pid" ]]; then
		kill "$(cat "$DIR/haproxy.pid")" 2>/dev/null || true
		rm -f "$DIR/haproxy.pid"
	fi
	for f in "$DIR"/node*.pid; do
		[[ -e "$f" ]] || continue
		kill -TERM "$(cat "$f")" 2>/dev/null || true
	done
	for f in "$DIR"/node*.pid; do
		[[ -e "$f" ]] || continue
		local p
		p=$(cat "$f")
		for _ in $(seq 1 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
		rm -f "$f"
	done
	echo "Tessera local cluster stopped (state kept in $DIR)"
}

status() {
	set -a
	. "$DIR/env"
	set +a
	"$BIN" --endpoint "http://127.0.0.1:$BASE" --access-key "$TESSERA_ROOT_USER" --secret-key "$TESSERA_ROOT_PASSWORD" cluster status
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
restart-node) restart_node "${2:?node number 1-3}" ;;
*) echo "usage: $0 start [BIN] | stop | status" >&2; exit 2 ;;
esac
