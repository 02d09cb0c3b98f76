#!/usr/bin/env bash
# Fault test: crash consistency and graceful shutdown, on a server instance of
# its own (own ports, own data folder).
#  1. kill -9 mid-stream: boto3 writers (single PUTs of mixed sizes and
#     multipart uploads) record every acknowledged key; the server is killed
#     with SIGKILL under them, restarted on the same data folder, and every
#     acknowledged object must read back byte-exact while every listed object
#     must be complete (objects are a pure function of their key).
#  2. SIGTERM during a large upload: the object is afterwards either complete
#     or absent, never partial; the server exits 0 within the bound.
set -euo pipefail
SCRIPT_NAME=crash.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
need_env AK SK BUCKET_PREFIX RESULTS SCRATCH TESSERA_BIN

own_instance crash

t_kill9() {
	trap kill_started EXIT
	start
	a s3 mb "s3://$B" >/dev/null
	local acked=$W/acked
	: >"$acked"
	timeout 120 "$PY" "$TOOL" write "$B" "$acked" --seconds 60 >"$W/writer.out" 2>&1 &
	local writer=$!
	PIDS+=("$writer")
	# Let writes flow (at least 40 acknowledged and 3 s), then SIGKILL mid-stream.
	local deadline=$((SECONDS + 45)) t0=$SECONDS
	while (($(wc -l <"$acked") < 40 || SECONDS - t0 < 3)); do
		((SECONDS < deadline)) || { cat "$W/writer.out"; fail "writers got fewer than 40 acknowledgements in 45 s ($(wc -l <"$acked"))"; }
		kill -0 "$writer" 2>/dev/null || { cat "$W/writer.out"; fail "writer exited before the crash"; }
		sleep 0.1
	done
	kill -KILL "$SERVER_PID"
	wait "$SERVER_PID" 2>/dev/null || true
	log "server killed with SIGKILL after $(wc -l <"$acked") acknowledged writes"
	local wrc=0
	wait "$writer" || wrc=$?
	cat "$W/writer.out"
	((wrc == 0)) || fail "writer process failed (exit $wrc)"
	grep -q 'stopped on' "$W/writer.out" || fail "the writers were not interrupted: the kill did not land mid-stream"
	log "restarting on the same data folder"
	start
	"$PY" "$TOOL" verify "$B" "$acked" || fail "after kill -9 and restart: acknowledged or listed objects are missing, partial or wrong (see PROBLEM lines)"
	grep -q '^mpu/' "$acked" || log "note: no multipart upload was acknowledged before the kill"
	stop_ok "after the kill -9 check"
}

t_sigterm_upload() {
	trap kill_started EXIT
	start
	a s3api head-bucket --bucket "$B" 2>/dev/null || a s3 mb "s3://$B" >/dev/null
	local key=graceful/big.bin size=$((48 * 1024 * 1024))
	rm -f "$W/marker" "$W/put.result"
	timeout 120 "$PY" "$TOOL" slow-put "$B" "$key" "$size" "$W/marker" "$W/put.result" >"$W/slowput.out" 2>&1 &
	local up=$!
	PIDS+=("$up")
	local deadline=$((SECONDS + 60))
	until [[ -e "$W/marker" ]]; do
		((SECONDS < deadline)) || fail "slow upload did not reach a third of its body in 60 s"
		sleep 0.05
	done
	log "SIGTERM with the upload in flight"
	kill -TERM "$SERVER_PID"
	wait_exit "$SERVER_PID" 30 || { tail -n 20 "$LOG"; fail "server still running 30 s after SIGTERM with an upload in flight"; }
	local rc=$EXIT_RC
	local urc=0
	wait "$up" || urc=$?
	cat "$W/slowput.out"
	((urc == 0)) || fail "slow-put helper failed (exit $urc)"
	log "server exit status $rc; upload: $(cat "$W/put.result")"
	start
	"$PY" "$TOOL" check-absent-or-intact "$B" "$key" "$size" "$W/put.result" ||
		fail "SIGTERM during an upload left a partial object or lost an acknowledged one"
	stop_ok "after the SIGTERM check"
	[[ "$rc" == 0 ]] || { tail -n 20 "$LOG"; fail "server exited $rc after SIGTERM during an upload, expected 0"; }
}

log "own server on 127.0.0.1:$PORT (cluster port $CPORT), data in $DATA"
step "kill -9 mid-stream: acked objects intact after restart" t_kill9
step "SIGTERM during a 48 MiB upload: complete or absent" t_sigterm_upload
if [[ "$STEPS_FAILED" -gt 0 ]]; then
	echo "---- crash.sh server log (last 30 lines) ----"
	tail -n 30 "$LOG" || true
fi
finish
