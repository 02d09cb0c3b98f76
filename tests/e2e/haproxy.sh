#!/usr/bin/env bash
# Deploy test: the local 3-node cluster behind haproxy (deploy/local-cluster)
# serves aws CLI, boto3 (with STS AssumeRole and a service account), s3cmd
# and rclone while every node is restarted in turn (SIGTERM: not-ready,
# drained by haproxy, in-flight requests finish). No client request may fail
# beyond what the client's own retries absorb, and every object is intact
# at the end.
set -euo pipefail
SCRIPT_NAME=haproxy.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
need_env AK SK BUCKET_PREFIX RESULTS SCRATCH TESSERA_BIN

W=$SCRATCH
REPO=$(cd "$E2E_DIR/../.." && pwd)
LC=$REPO/deploy/local-cluster/run.sh
export TESSERA_LOCAL_DIR=$W/local TESSERA_BIN
# A base port with base..base+3 and base+101..base+103 free.
BASE=$("$PY" - <<'PYEOF'
import random, socket
for _ in range(200):
    b = random.randrange(20000, 30000)
    socks = []
    try:
        for p in [b, b + 1, b + 2, b + 3, b + 101, b + 102, b + 103]:
            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
        print(b); break
    except OSError:
        pass
    finally:
        for s in socks: s.close()
PYEOF
)
export TESSERA_LOCAL_BASE_PORT=$BASE
EP=http://127.0.0.1:$BASE
cleanup() { "$LC" stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

: >"$W/aws-config"
export AWS_CONFIG_FILE=$W/aws-config AWS_SHARED_CREDENTIALS_FILE=$W/aws-config AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
export AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=6 # the clients' own retries are part of the contract

root_env() { set -a; . "$TESSERA_LOCAL_DIR/env"; set +a; }
t() { root_env; "$TESSERA_BIN" --endpoint "$EP" --access-key "$TESSERA_ROOT_USER" --secret-key "$TESSERA_ROOT_PASSWORD" "$@"; }

t_start() {
	"$LC" start >"$W/start.out" 2>&1 || { cat "$W/start.out"; fail "local cluster did not start"; }
	grep -q "endpoint:   $EP" "$W/start.out" || fail "start did not print the endpoint: $(cat "$W/start.out")"
	t cluster status >/dev/null
}

t_rolling_restart() {
	root_env
	local b=$BUCKET_PREFIX-rolling
	AWS_ACCESS_KEY_ID=$TESSERA_ROOT_USER AWS_SECRET_ACCESS_KEY=$TESSERA_ROOT_PASSWORD "$AWS" --endpoint-url "$EP" s3 mb "s3://$b" >/dev/null
	t user add roller s3 'Roller-Pass-1' >/dev/null
	t s3 policy attach readwrite roller >/dev/null
	local sts sa
	sts=$("$TESSERA_BIN" --endpoint "$EP" s3 sts assume-role --access-key roller --secret-key 'Roller-Pass-1' --duration 1h --json)
	sa=$("$TESSERA_BIN" --endpoint "$EP" --access-key roller --secret-key 'Roller-Pass-1' s3 service-account add --json)
	local s_ak s_sk s_tok a_ak a_sk
	s_ak=$(echo "$sts" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["access_key_id"])')
	s_sk=$(echo "$sts" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["secret_access_key"])')
	s_tok=$(echo "$sts" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["session_token"])')
	a_ak=$(echo "$sa" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["access_key"])')
	a_sk=$(echo "$sa" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["secret_key"])')

	rm -f "$W/stop"
	: >"$W/acked"
	"$PY" "$E2E_DIR/rolling_tool.py" "$EP" "$TESSERA_ROOT_USER" "$TESSERA_ROOT_PASSWORD" "" "$b" "$W/acked" "$W/stop" >"$W/load-root.out" 2>&1 &
	local l1=$!
	"$PY" "$E2E_DIR/rolling_tool.py" "$EP" "$s_ak" "$s_sk" "$s_tok" "$b" "$W/acked" "$W/stop" >"$W/load-sts.out" 2>&1 &
	local l2=$!
	"$PY" "$E2E_DIR/rolling_tool.py" "$EP" "$a_ak" "$a_sk" "" "$b" "$W/acked" "$W/stop" >"$W/load-sa.out" 2>&1 &
	local l3=$!
	# s3cmd and rclone work through the restarts too, with their own retries.
	cat >"$W/s3cfg" <<CFG
[default]
access_key = $TESSERA_ROOT_USER
secret_key = $TESSERA_ROOT_PASSWORD
host_base = 127.0.0.1:$BASE
host_bucket = 127.0.0.1:$BASE
use_https = False
signature_v2 = False
CFG
	rand_file "$W/cli-obj" 300000
	(
		n=0
		while [[ ! -e "$W/stop" ]]; do
			s3cmd -q -c "$W/s3cfg" put "$W/cli-obj" "s3://$b/s3cmd-$n" || { echo "s3cmd put $n failed"; exit 1; }
			s3cmd -q -c "$W/s3cfg" get --force "s3://$b/s3cmd-$n" "$W/s3cmd-got" || { echo "s3cmd get $n failed"; exit 1; }
			cmp -s "$W/cli-obj" "$W/s3cmd-got" || { echo "s3cmd object $n differs"; exit 1; }
			RCLONE_CONFIG_LC_TYPE=s3 RCLONE_CONFIG_LC_PROVIDER=Other RCLONE_CONFIG_LC_ENV_AUTH=false \
				RCLONE_CONFIG_LC_ACCESS_KEY_ID=$TESSERA_ROOT_USER RCLONE_CONFIG_LC_SECRET_ACCESS_KEY=$TESSERA_ROOT_PASSWORD \
				RCLONE_CONFIG_LC_ENDPOINT=$EP RCLONE_CONFIG_LC_REGION=us-east-1 \
				rclone --config /dev/null -q copyto "$W/cli-obj" "lc:$b/rclone-$n" || { echo "rclone copyto $n failed"; exit 1; }
			n=$((n + 1))
		done
		echo "s3cmd and rclone: $n rounds"
	) >"$W/load-cli.out" 2>&1 &
	local l4=$!
	sleep 2
	local i
	for i in 1 2 3; do
		log "rolling restart: node$i"
		"$LC" restart-node "$i" || fail "restart of node$i failed"
		# The aws CLI works right after each restart too.
		AWS_ACCESS_KEY_ID=$a_ak AWS_SECRET_ACCESS_KEY=$a_sk timeout 60 "$AWS" --endpoint-url "$EP" s3 ls "s3://$b" >/dev/null ||
			fail "aws CLI with the service account failed after restarting node$i"
		sleep 2
	done
	touch "$W/stop"
	local rc=0
	wait "$l1" || rc=1
	wait "$l2" || rc=1
	wait "$l3" || rc=1
	wait "$l4" || rc=1
	cat "$W"/load-*.out
	((rc == 0)) || fail "client requests failed during the rolling restart (after the clients' retries)"
	(($(wc -l <"$W/acked") > 30)) || fail "too few writes during the rolling restart: $(wc -l <"$W/acked")"
}

t_objects_intact() {
	root_env
	local b=$BUCKET_PREFIX-rolling
	"$PY" - "$EP" "$TESSERA_ROOT_USER" "$TESSERA_ROOT_PASSWORD" "$b" "$W/acked" "$E2E_DIR" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[6])
import boto3
from rolling_tool import content
ep, ak, sk, b, acked = sys.argv[1:6]
s3 = boto3.client("s3", endpoint_url=ep, aws_access_key_id=ak, aws_secret_access_key=sk, region_name="us-east-1")
keys = [k for k in open(acked).read().split() if k]
for k in keys:
    body = s3.get_object(Bucket=b, Key=k)["Body"].read()
    assert body == content(k), f"object {k} differs"
listed = set()
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=b):
    listed.update(o["Key"] for o in page.get("Contents", []))
missing = set(keys) - listed
assert not missing, f"acknowledged but not listed: {sorted(missing)[:5]}"
print(f"{len(keys)} acknowledged objects intact")
PYEOF
	# s3cmd and rclone read the same bucket through haproxy.
	s3cmd -c "$W/s3cfg" ls "s3://$b" >"$W/s3cmd.out" 2>&1 || fail "s3cmd ls through haproxy: $(tail -3 "$W/s3cmd.out")"
	(($(grep -c "s3://$b/" "$W/s3cmd.out") >= $(wc -l <"$W/acked"))) || fail "s3cmd lists fewer objects than were acknowledged"
	RCLONE_CONFIG_LC_TYPE=s3 RCLONE_CONFIG_LC_PROVIDER=Other RCLONE_CONFIG_LC_ENV_AUTH=false \
		RCLONE_CONFIG_LC_ACCESS_KEY_ID=$TESSERA_ROOT_USER RCLONE_CONFIG_LC_SECRET_ACCESS_KEY=$TESSERA_ROOT_PASSWORD \
		RCLONE_CONFIG_LC_ENDPOINT=$EP RCLONE_CONFIG_LC_REGION=us-east-1 \
		rclone --config /dev/null lsf "lc:$b" >"$W/rclone.out" 2>&1 || fail "rclone lsf through haproxy: $(tail -3 "$W/rclone.out")"
	(($(wc -l <"$W/rclone.out") >= $(wc -l <"$W/acked"))) || fail "rclone lists fewer objects than were acknowledged"
}

t_stop() {
	"$LC" stop >"$W/stop.out" 2>&1 || fail "stop failed: $(cat "$W/stop.out")"
	grep -q stopped "$W/stop.out" || fail "stop did not confirm"
	! curl -s -o /dev/null "$EP/_tessera/health/live" || fail "endpoint still answers after stop"
}

if ! command -v haproxy >/dev/null; then
	log "haproxy not installed: skipping (apt-get install haproxy)"
	exit 0
fi
step "make cluster: 3 nodes + haproxy start, endpoint printed" t_start
step "rolling restart under boto3 (root, STS, service account), s3cmd, rclone load" t_rolling_restart
step "every acknowledged object intact; s3cmd and rclone through haproxy" t_objects_intact
step "make cluster-stop stops everything" t_stop
finish
