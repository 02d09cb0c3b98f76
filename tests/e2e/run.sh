#!/usr/bin/env bash
# End-to-end tests of a built Tessera binary with unmodified S3 clients.
#
#   tests/e2e/run.sh bin/tessera            (what `make e2e` runs)
#   E2E_ONLY="awscli.sh boto3_test.py" tests/e2e/run.sh bin/tessera
#   E2E_VERBOSE=1 ...                       (show the output of passing steps too)
#   E2E_KEEP=1 ...                          (keep the scratch folder and logs)
#
# Starts one server (4 drive folders, root credentials from the environment,
# free ports, a temporary data folder), runs the client scripts against it,
# then the identity and fault scripts (which start servers of their own, as
# they restart them), stops the shared server with SIGTERM and checks that
# it exits 0. The last line is
# "N passed, M failed" (steps over all scripts); the exit status is non-zero
# when anything failed.
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: $0 path/to/tessera" >&2
	exit 2
fi
[[ -x "$1" ]] || { echo "run.sh: $1 is not an executable (run make build)" >&2; exit 2; }
TESSERA_BIN=$(realpath "$1")
SCRIPT_NAME=run.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

CLIENT_SCRIPTS=(awscli.sh boto3_test.py s3cmd.sh rclone.sh)
# Users, policies, STS and service accounts; each restarts its own server.
IDENTITY_SCRIPTS=(iam.sh sts_test.py)
FAULT_SCRIPTS=(crash.sh drives.sh cluster.sh haproxy.sh)
SCRIPT_TIMEOUT=${E2E_SCRIPT_TIMEOUT:-240}

WORK=$(mktemp -d /tmp/tessera-e2e.XXXXXX)
SERVER_PID=
CHILD_PID=
cleanup() {
	local rc=$?
	if [[ -n "$CHILD_PID" ]] && kill -0 "$CHILD_PID" 2>/dev/null; then
		# timeout passes the signal on to the script's process group.
		kill -TERM "$CHILD_PID" 2>/dev/null || true
		wait_exit "$CHILD_PID" 15 || kill -KILL "$CHILD_PID" 2>/dev/null || true
	fi
	if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -KILL "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	if [[ "${E2E_KEEP:-0}" == 1 ]]; then
		echo "scratch kept in $WORK" >&2
	else
		rm -rf "$WORK"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

RESULTS=$WORK/results
SCRATCH=$WORK
: >"$RESULTS"
export RESULTS TESSERA_BIN

# Root credentials: from the environment when given, else random.
AK=${E2E_ACCESS_KEY:-e2e$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')}
SK=${E2E_SECRET_KEY:-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}
export AK SK
RUN_ID=$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')

read -r PORT CPORT < <(free_ports 2)
ENDPOINT=http://127.0.0.1:$PORT
export ENDPOINT
LOG=$WORK/server.log
T_START=$SECONDS

record() { echo "$1 run.sh: $2" >>"$RESULTS"; echo "  $1 $2"; }

echo "== server: $TESSERA_BIN on $ENDPOINT (cluster port $CPORT), data in $WORK/data"
start_server "$TESSERA_BIN" "$WORK/data" "$LOG" "$PORT" "$CPORT" TESSERA_DOMAINS=localhost
ready=0
if wait_ready "$PORT" "$SERVER_PID" 60; then
	ready=1
	record PASS "server starts and /_tessera/health/ready returns 200"
else
	record FAIL "server starts and /_tessera/health/ready returns 200"
	echo "---- server log (last 40 lines) ----"
	tail -n 40 "$LOG" || true
fi

run_script() {
	local s=$1 rc=0 t0=$SECONDS
	local scratch=$WORK/scratch-${s%%.*}
	mkdir -p "$scratch"
	local prefix="e2e-$RUN_ID-$(echo "${s%%.*}" | tr -c 'a-z0-9\n' '-' | cut -c1-10)"
	echo "== $s (buckets $prefix-*)"
	local before
	before=$(wc -l <"$RESULTS")
	local runner=bash
	[[ "$s" == *.py ]] && runner=$PY
	# In the background so that a signal to run.sh is handled at once (the
	# trap stops the script); timeout puts it in a process group of its own
	# and takes the whole group down when the bound is hit.
	env BUCKET_PREFIX="$prefix" SCRATCH="$scratch" \
		timeout -k 10 "$SCRIPT_TIMEOUT" "$runner" "$E2E_DIR/$s" &
	CHILD_PID=$!
	wait "$CHILD_PID" || rc=$?
	CHILD_PID=
	local after
	after=$(wc -l <"$RESULTS")
	if ((rc == 124 || rc == 137)); then
		record FAIL "$s did not finish within ${SCRIPT_TIMEOUT}s"
	elif ((rc != 0)) && ! tail -n $((after - before)) "$RESULTS" | grep -q '^FAIL'; then
		record FAIL "$s exited $rc outside any step"
	elif ((after == before)); then
		record FAIL "$s ran no steps"
	fi
	echo "   ($s: exit $rc, $((SECONDS - t0)) s)"
}

only=${E2E_ONLY:-}
selected() { [[ -z "$only" ]] || [[ " $only " == *" $1 "* ]]; }

if ((ready)); then
	for s in "${CLIENT_SCRIPTS[@]}"; do
		selected "$s" && run_script "$s"
	done
fi
# The identity and fault scripts start servers of their own.
for s in "${IDENTITY_SCRIPTS[@]}" "${FAULT_SCRIPTS[@]}"; do
	selected "$s" && run_script "$s"
done

if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
	echo "== graceful shutdown of the shared server"
	if stop_server "$SERVER_PID" 30; then
		if [[ "$EXIT_RC" == 0 ]]; then
			record PASS "SIGTERM: server exits 0 within 30 s"
		else
			record FAIL "SIGTERM: server exits 0 within 30 s (exit status $EXIT_RC)"
			tail -n 20 "$LOG"
		fi
	else
		record FAIL "SIGTERM: server exits 0 within 30 s (still running, killed)"
		tail -n 20 "$LOG"
	fi
	SERVER_PID=
elif ((ready)); then
	record FAIL "shared server still running at the end (it died during the tests)"
	tail -n 40 "$LOG"
fi

if grep -q '^FAIL' "$RESULTS"; then
	echo
	echo "Failed steps:"
	grep '^FAIL' "$RESULTS" | sed 's/^FAIL /  /'
	if grep -qiE 'panic|fatal' "$LOG"; then
		echo "---- server log: panics ----"
		grep -iE -A 15 'panic|fatal' "$LOG" | head -60
	fi
fi
passed=$(grep -c '^PASS' "$RESULTS" || true)
failed=$(grep -c '^FAIL' "$RESULTS" || true)
echo "e2e total time: $((SECONDS - T_START)) s"
echo "$passed passed, $failed failed"
((failed == 0))
