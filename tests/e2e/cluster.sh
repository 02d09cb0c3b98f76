#!/usr/bin/env bash
# Cluster test with separate processes: three `tessera server` processes on
# loopback ports form one Raft cluster from their TOML configs. Identity
# written through any node works on every node at once; kill -9 of the
# leader elects a new one without losing acknowledged writes; a restarted
# node catches up; a revocation through one node holds on all nodes the
# moment it returns.
set -euo pipefail
SCRIPT_NAME=cluster.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
need_env AK SK BUCKET_PREFIX RESULTS SCRATCH TESSERA_BIN

W=$SCRATCH
read -r P1 P2 P3 C1 C2 C3 < <(free_ports 6)
PORTS=("$P1" "$P2" "$P3")
CPORTS=("$C1" "$C2" "$C3")
SECRET=e2e-cluster-secret-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
: >"$W/aws-config"
export AWS_CONFIG_FILE=$W/aws-config AWS_SHARED_CREDENTIALS_FILE=$W/aws-config AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" AWS_MAX_ATTEMPTS=1

config() { # config I
	local i=$1
	cat <<TOML
listen = "127.0.0.1:${PORTS[$i]}"
data_dir = "$W/node$((i + 1))"
drives = 4
node_id = "node$((i + 1))"
cluster_listen = "127.0.0.1:${CPORTS[$i]}"
lease = "2s"
drain_delay = "0s"

[[peers]]
id = "node1"
addr = "127.0.0.1:$C1"

[[peers]]
id = "node2"
addr = "127.0.0.1:$C2"

[[peers]]
id = "node3"
addr = "127.0.0.1:$C3"
TOML
}

# Steps run in subshells, so node pids live in files, and the script's EXIT
# trap kills whatever is still running.
start_node() { # start_node I
	local i=$1
	config "$i" >"$W/node$((i + 1)).toml"
	env TESSERA_ROOT_USER="$AK" TESSERA_ROOT_PASSWORD="$SK" TESSERA_CLUSTER_SECRET="$SECRET" \
		"$TESSERA_BIN" server --config "$W/node$((i + 1)).toml" >>"$W/node$((i + 1)).log" 2>&1 &
	echo $! >"$W/node$((i + 1)).pid"
}
pid_of() { cat "$W/node$(($1 + 1)).pid"; }
cleanup() {
	local f
	for f in "$W"/node*.pid; do [[ -e "$f" ]] && kill -KILL "$(cat "$f")" 2>/dev/null; done
	return 0
}
trap cleanup EXIT

ep() { echo "http://127.0.0.1:${PORTS[$1]}"; }
t() { "$TESSERA_BIN" --endpoint "$(ep "$1")" --access-key "$AK" --secret-key "$SK" "${@:2}"; }
as_user() { # as_user I AK SK aws-args...
	local i=$1 ak=$2 sk=$3
	shift 3
	AWS_ACCESS_KEY_ID=$ak AWS_SECRET_ACCESS_KEY=$sk timeout 60 "$AWS" --endpoint-url "$(ep "$i")" "$@"
}
wait_all_ready() {
	local i
	for i in "$@"; do
		wait_ready "${PORTS[$i]}" "$(pid_of "$i")" 60 || { tail -n 30 "$W/node$((i + 1)).log"; fail "node$((i + 1)) did not become ready"; }
	done
}
leader_index() { # prints the index of the leader, asking node I
	t "$1" cluster status --json | "$PY" -c '
import json, sys
st = json.load(sys.stdin)
print(int(st["leader"].replace("node", "")) - 1 if st["leader"] else -1)'
}

drives_online() { # how many drives node I sees online
	t "$1" cluster status --json 2>/dev/null | "$PY" -c '
import json, sys
st = json.load(sys.stdin)
me = "node%d" % (int(sys.argv[1]) + 1)
print(sum(d["online"] for n in st["nodes"] if n["id"] == me for d in n.get("drives", [])))' "$1" || echo 0
}

t_bootstrap() {
	start_node 0
	start_node 1
	start_node 2
	wait_all_ready 0 1 2
	t 1 cluster status --json >"$W/status.json"
	"$PY" - "$W/status.json" <<'PYEOF'
import json, sys
st = json.load(open(sys.argv[1]))
nodes = st["nodes"]
assert len(nodes) == 3, nodes
roles = sorted(n["role"] for n in nodes)
assert roles == ["Follower", "Follower", "Leader"], roles
for n in nodes:
    assert n["reachable"] and n["term"] > 0 and len(n["drives"]) == 12, n  # 3 nodes x 4 drives, cluster-wide
print("status ok:", st["leader"])
PYEOF
}

t_identity_everywhere() {
	t 1 user add carol s3 'Carol-Pass-1' >/dev/null
	t 2 s3 policy attach readwrite carol >/dev/null
	local i
	for i in 0 1 2; do
		as_user "$i" carol 'Carol-Pass-1' s3 ls >/dev/null || fail "carol refused on node$((i + 1)) right after creation"
	done
	# A service account made through node1 works on node3 at once; removed
	# through node2, it is refused on every node the moment that returns.
	local sa ak sk
	sa=$("$TESSERA_BIN" --endpoint "$(ep 0)" --access-key carol --secret-key 'Carol-Pass-1' s3 service-account add --json)
	ak=$(echo "$sa" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["access_key"])')
	sk=$(echo "$sa" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["secret_key"])')
	as_user 2 "$ak" "$sk" s3 ls >/dev/null || fail "service account refused on node3"
	"$TESSERA_BIN" --endpoint "$(ep 1)" --access-key carol --secret-key 'Carol-Pass-1' s3 service-account remove "$ak" >/dev/null
	for i in 0 1 2; do
		if out=$(as_user "$i" "$ak" "$sk" s3 ls 2>&1); then fail "removed service account accepted by node$((i + 1))"; fi
		grep -q InvalidAccessKeyId <<<"$out" || fail "node$((i + 1)): expected InvalidAccessKeyId, got: $out"
	done
}

t_kill_leader() {
	local l
	l=$(leader_index 0)
	((l >= 0)) || fail "no leader"
	log "killing the leader node$((l + 1)) with SIGKILL"
	local victim
	victim=$(pid_of "$l")
	kill -KILL "$victim"
	while kill -0 "$victim" 2>/dev/null; do sleep 0.05; done
	local other=$(((l + 1) % 3)) deadline=$((SECONDS + 30)) nl=-1
	while ((SECONDS < deadline)); do
		nl=$(leader_index "$other" 2>/dev/null || echo -1)
		if ((nl >= 0 && nl != l)); then break; fi
		sleep 0.2
	done
	((nl >= 0 && nl != l)) || fail "no new leader within 30 s"
	# Acknowledged state survived and the survivors take writes.
	as_user "$other" carol 'Carol-Pass-1' s3 ls >/dev/null || fail "carol lost after leader kill"
	t "$other" user add dave s3 'Dave-Pass-12' >/dev/null
	t "$other" s3 policy attach readonly dave >/dev/null
	# The killed node restarts, catches up and serves the new user.
	start_node "$l"
	wait_all_ready "$l"
	as_user "$l" dave 'Dave-Pass-12' s3 ls >/dev/null || fail "restarted node$((l + 1)) does not know dave"
}

t_objects_across_nodes() {
	local b=$BUCKET_PREFIX-spread i f
	AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK timeout 60 "$AWS" --endpoint-url "$(ep 0)" s3 mb "s3://$b" >/dev/null
	rand_file "$W/small" 1000
	rand_file "$W/big" $((12 * 1024 * 1024 + 5))
	for i in 0 1 2; do
		as_user "$i" "$AK" "$SK" s3 cp "$W/small" "s3://$b/small-$i" --only-show-errors
		as_user "$i" "$AK" "$SK" s3 cp "$W/big" "s3://$b/big-$i" --only-show-errors
	done
	for i in 0 1 2; do
		for f in small big; do
			as_user "$i" "$AK" "$SK" s3 cp "s3://$b/$f-$(((i + 1) % 3))" "$W/got" --only-show-errors
			same_file "$W/$f" "$W/got" "$f written via node$(((i + 1) % 3 + 1)) read via node$((i + 1))"
		done
	done
	# kill -9 a follower: every object still reads through the others, and
	# writes go on; after its restart it serves them too.
	local l victim
	l=$(leader_index 0)
	victim=$(((l + 1) % 3))
	kill -KILL "$(pid_of "$victim")"
	for i in 0 1 2; do
		((i == victim)) && continue
		for f in small big; do
			as_user "$i" "$AK" "$SK" s3 cp "s3://$b/$f-$victim" "$W/got" --only-show-errors
			same_file "$W/$f" "$W/got" "$f-$victim read via node$((i + 1)) with node$((victim + 1)) down"
		done
		as_user "$i" "$AK" "$SK" s3 cp "$W/small" "s3://$b/during-$i" --only-show-errors
	done
	start_node "$victim"
	wait_all_ready "$victim"
	for f in "big-0" "during-$l"; do
		as_user "$victim" "$AK" "$SK" s3 cp "s3://$b/$f" "$W/got" --only-show-errors
	done
	same_file "$W/small" "$W/got" "object written while node$((victim + 1)) was down, read through it"
}

t_kill9_during_puts() {
	# Writers stream PUTs (single and multipart) through one node while
	# another is killed with SIGKILL; it restarts, a heal pass runs, and then
	# with a third node stopped every acknowledged object reads back
	# byte-exact and every listed object is complete.
	local b=$BUCKET_PREFIX-kill9 l writer victim other acked=$W/acked-kill9
	l=$(leader_index 0)
	victim=$(((l + 1) % 3))
	other=$(((l + 2) % 3))
	AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK timeout 60 "$AWS" --endpoint-url "$(ep "$l")" s3 mb "s3://$b" >/dev/null
	: >"$acked"
	ENDPOINT=$(ep "$l") timeout 120 "$PY" "$E2E_DIR/fault_tool.py" write "$b" "$acked" --seconds 8 >"$W/writer-kill9.out" 2>&1 &
	writer=$!
	sleep 2
	kill -KILL "$(pid_of "$victim")"
	wait "$writer" || true
	(($(wc -l <"$acked") > 10)) || { cat "$W/writer-kill9.out"; fail "too few acknowledged writes: $(wc -l <"$acked")"; }
	start_node "$victim"
	wait_all_ready "$victim"
	# Heal once the healing node sees the restarted node's drives again.
	local deadline=$((SECONDS + 30))
	until [[ "$(drives_online "$l")" == 12 ]]; do
		((SECONDS < deadline)) || fail "node$((l + 1)) does not see all 12 drives online after the restart"
		sleep 0.1
	done
	t "$l" cluster heal --bucket "$b" --json >"$W/heal.json" || fail "heal failed: $(cat "$W/heal.json")"
	# Stop a node other than the restarted one: the object reads then need
	# the shards healing rebuilt on the restarted node.
	kill -TERM "$(pid_of "$other")"
	while kill -0 "$(pid_of "$other")" 2>/dev/null; do sleep 0.1; done
	ENDPOINT=$(ep "$victim") "$PY" "$E2E_DIR/fault_tool.py" verify "$b" "$acked" || fail "acknowledged objects not intact after kill -9, restart and heal"
	start_node "$other"
	wait_all_ready "$other"
}

step "3 processes bootstrap one cluster, status shows roles and drives" t_bootstrap
step "objects spread over all nodes: any node reads them, one node may die" t_objects_across_nodes
step "kill -9 a node during a PUT stream; restart, heal, verify with another node down" t_kill9_during_puts
step "identity through any node works everywhere; revocation everywhere" t_identity_everywhere
step "kill -9 the leader: new leader, nothing lost, restarted node catches up" t_kill_leader
finish
