# shellcheck shell=bash
# Shared helpers for the end-to-end scripts. Sourced, never run.
#
# Every script is started by run.sh with these variables set:
#   ENDPOINT       http://127.0.0.1:PORT of the shared server
#   AK, SK         root access key and secret key
#   BUCKET_PREFIX  unique lowercase prefix for this script's bucket names
#   RESULTS        file that collects one "PASS|FAIL script: step" line per step
#   SCRATCH        scratch folder owned by this script
#   TESSERA_BIN    absolute path of the binary (fault scripts start their own servers)

AWS=/usr/bin/aws
PY=/usr/bin/python3
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCRIPT_NAME=${SCRIPT_NAME:-$(basename "$0")}

# Nothing from the machine's environment may steer the clients: no AWS_*
# settings (e.g. AWS_CA_BUNDLE breaks rclone on plain http), no rclone
# remotes, no proxies for the loopback endpoints.
for _v in $(compgen -e); do
	case $_v in
	AWS_* | RCLONE_* | S3CMD_* | BOTO_* | http_proxy | https_proxy | HTTP_PROXY | HTTPS_PROXY | all_proxy | ALL_PROXY) unset "$_v" ;;
	esac
done
unset _v
export PYTHONDONTWRITEBYTECODE=1
export NO_PROXY=127.0.0.1,localhost,.localhost no_proxy=127.0.0.1,localhost,.localhost

log() { printf '[%s] %s\n' "$SCRIPT_NAME" "$*" >&2; }

# fail MESSAGE: stop the current step with a message naming what failed.
fail() {
	printf '[%s] FAIL: %s\n' "$SCRIPT_NAME" "$*" >&2
	exit 1
}

need_env() {
	local v
	for v in "$@"; do
		[[ -n "${!v:-}" ]] || { echo "$SCRIPT_NAME: environment variable $v is not set (run me through run.sh)" >&2; exit 2; }
	done
}

STEPS_PASSED=0
STEPS_FAILED=0

# step NAME FUNC [ARGS...]: run FUNC in a subshell with errexit on, record
# PASS/FAIL in $RESULTS, and keep going after a failure. The step's output
# is shown only when it fails (or when E2E_VERBOSE=1).
step() {
	local name=$1
	shift
	# E2E_STEPS=REGEX runs only the matching steps (for debugging).
	if [[ -n "${E2E_STEPS:-}" ]] && ! [[ "$name" =~ $E2E_STEPS ]]; then return 0; fi
	local out rc=0 t0 t1
	out=$(mktemp "${SCRATCH:-/tmp}/step.XXXXXX")
	t0=$(date +%s%N)
	(
		set -euo pipefail
		"$@"
	) >"$out" 2>&1 &
	wait $! || rc=$?
	t1=$(date +%s%N)
	local ms=$(((t1 - t0) / 1000000))
	if ((rc == 0)); then
		STEPS_PASSED=$((STEPS_PASSED + 1))
		echo "PASS $SCRIPT_NAME: $name" >>"$RESULTS"
		printf '  PASS %-55s %6d ms\n' "$name" "$ms"
		if [[ "${E2E_VERBOSE:-0}" == 1 ]]; then sed 's/^/    | /' "$out"; fi
	else
		STEPS_FAILED=$((STEPS_FAILED + 1))
		echo "FAIL $SCRIPT_NAME: $name" >>"$RESULTS"
		printf '  FAIL %-55s %6d ms (exit %d)\n' "$name" "$ms" "$rc"
		tail -n 60 "$out" | sed 's/^/    | /'
	fi
	rm -f "$out"
}

# finish: exit status of the script from its steps.
finish() {
	log "$STEPS_PASSED steps passed, $STEPS_FAILED failed"
	((STEPS_FAILED == 0))
}

# free_ports N: print N distinct free TCP ports on 127.0.0.1 (all bound at
# once, so they are distinct).
free_ports() {
	"$PY" - "$1" <<'PYEOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PYEOF
}

sha256() { sha256sum "$1" | cut -d' ' -f1; }

# same_file A B WHAT: fail unless A and B have the same bytes.
same_file() {
	local a b
	a=$(sha256 "$1")
	b=$(sha256 "$2")
	[[ "$a" == "$b" ]] || fail "$3: sha256 differs: $1=$a $2=$b (sizes $(stat -c %s "$1") vs $(stat -c %s "$2"))"
}

# rand_file PATH BYTES: random content.
rand_file() { head -c "$2" /dev/urandom >"$1"; }

# --- server processes (fault scripts start their own) -----------------------

# start_server BIN DATADIR LOGFILE PORT CLUSTERPORT [ENV=VAL...]
# Starts the server in the background; sets SERVER_PID. Must be called from
# the shell that later calls stop_server / wait_exit (wait needs the child).
start_server() {
	local bin=$1 data=$2 logf=$3 port=$4 cport=$5
	shift 5
	mkdir -p "$data"
	env TESSERA_ROOT_USER="$AK" TESSERA_ROOT_PASSWORD="$SK" \
		TESSERA_CLUSTER_LISTEN="127.0.0.1:$cport" \
		TESSERA_SHUTDOWN_TIMEOUT="${E2E_SHUTDOWN_TIMEOUT:-15s}" \
		"$@" \
		"$bin" server --listen "127.0.0.1:$port" --data-dir "$data" --drives 4 \
		>>"$logf" 2>&1 &
	SERVER_PID=$!
}

# wait_ready PORT PID TIMEOUT_S: poll /_tessera/health/ready until 200.
wait_ready() {
	local port=$1 pid=$2 limit=$3 code
	local deadline=$((SECONDS + limit))
	while ((SECONDS < deadline)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "server pid $pid exited before becoming ready" >&2
			return 1
		fi
		code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$port/_tessera/health/ready" || true)
		[[ "$code" == 200 ]] && return 0
		sleep 0.1
	done
	echo "server on port $port not ready after ${limit}s (last status ${code:-none})" >&2
	return 1
}

# wait_exit PID TIMEOUT_S: wait until PID (a child of this shell) exits and
# set EXIT_RC to its exit status. Returns 1 (and leaves the process alone)
# if it is still running. Not usable inside $(...): that is a subshell, and
# only the shell that started a process can collect its status.
EXIT_RC=
wait_exit() {
	local pid=$1 limit=$2
	local deadline=$((SECONDS + limit))
	EXIT_RC=
	while kill -0 "$pid" 2>/dev/null; do
		if ((SECONDS >= deadline)); then return 1; fi
		sleep 0.1
	done
	EXIT_RC=0
	wait "$pid" || EXIT_RC=$?
}

# stop_server PID TIMEOUT_S: SIGTERM, then wait; sets EXIT_RC. If it does
# not exit in time it is killed (-9) and the call fails.
stop_server() {
	local pid=$1 limit=$2
	kill -TERM "$pid" 2>/dev/null || true
	if wait_exit "$pid" "$limit"; then
		return 0
	fi
	echo "server pid $pid still running ${limit}s after SIGTERM; killing it" >&2
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	return 1
}

# own_instance NAME: set up a fault script's own server instance (own ports,
# data folder under $SCRATCH, aws CLI config) and the helpers it uses:
# W, DATA, LOG, PORT, CPORT, ENDPOINT (exported), B (bucket
# $BUCKET_PREFIX-NAME), TOOL (fault_tool.py), a() (aws CLI against it),
# start (start the server, wait until ready), stop_ok WHAT (SIGTERM, must
# exit 0 within 30 s), and PIDS/kill_started: inside a step (a subshell)
# `trap kill_started EXIT` kills what the step started, whatever happened.
own_instance() {
	W=$SCRATCH
	DATA=$W/data
	LOG=$W/server.log
	read -r PORT CPORT < <(free_ports 2)
	export ENDPOINT=http://127.0.0.1:$PORT # this instance, not the shared one
	B=$BUCKET_PREFIX-$1
	TOOL=$E2E_DIR/fault_tool.py
	: >"$W/aws-config"
	export AWS_CONFIG_FILE=$W/aws-config AWS_SHARED_CREDENTIALS_FILE=$W/aws-config
	export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" AWS_MAX_ATTEMPTS=1
	PIDS=()
}

a() { timeout 60 "$AWS" --endpoint-url "$ENDPOINT" "$@"; }

kill_started() {
	local p
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
}

start() {
	start_server "$TESSERA_BIN" "$DATA" "$LOG" "$PORT" "$CPORT"
	PIDS+=("$SERVER_PID")
	echo "--- server pid $SERVER_PID started" >>"$LOG"
	wait_ready "$PORT" "$SERVER_PID" 60 || { tail -n 30 "$LOG"; fail "server did not become ready (data $DATA)"; }
}

stop_ok() {
	stop_server "$SERVER_PID" 30 || { tail -n 20 "$LOG"; fail "$1: server did not exit within 30 s of SIGTERM"; }
	[[ "$EXIT_RC" == 0 ]] || { tail -n 20 "$LOG"; fail "$1: server exited $EXIT_RC after SIGTERM, expected 0"; }
}
