#!/usr/bin/env bash
# Identity end-to-end: users, IAM policies and bucket policies, driven with
# the real `tessera` CLI (as root and as an S3 user), the aws CLI (with the
# user's keys) and anonymous curl, on a server instance of its own (own
# ports, own data folder) so that it can be restarted: users, policies,
# attachments and bucket policies must survive the restart.
#
# Expected behaviour and error codes are those of node/iam_test.go and
# node/bucketpolicy_test.go; the aws CLI reports S3 error codes as "(Code)".
set -euo pipefail
SCRIPT_NAME=iam.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
need_env AK SK BUCKET_PREFIX RESULTS SCRATCH TESSERA_BIN

# Nothing from the machine may steer the tessera CLI or the server either.
unset TESSERA_ENDPOINT TESSERA_ACCESS_KEY TESSERA_SECRET_KEY TESSERA_REGION TESSERA_CA_CERT \
	TESSERA_TEST_CREDENTIAL_CLOCK_OFFSET

W=$SCRATCH
DATA=$W/data
LOG=$W/server.log
read -r PORT CPORT < <(free_ports 2)
export ENDPOINT=http://127.0.0.1:$PORT # this instance, not the shared one
: >"$W/aws-config"
export AWS_CONFIG_FILE=$W/aws-config AWS_SHARED_CREDENTIALS_FILE=$W/aws-config
export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard AWS_EC2_METADATA_DISABLED=true
export LC_ALL=C.UTF-8 PYTHONIOENCODING=utf-8

BD=$BUCKET_PREFIX-data   # IAM policy tests
BO=$BUCKET_PREFIX-other  # a second bucket the custom policies do not cover
BP=$BUCKET_PREFIX-pub    # bucket policies
ALICE=alice ALICE_PW='Alice-Pass-1' ALICE_UID=1001 ALICE_GID=2001
BOB=bob BOB_PW='Bob-Pass-123'

# --- helpers -----------------------------------------------------------------

# t ARGS...: the tessera CLI against this server, with no credentials.
t() { timeout 30 "$TESSERA_BIN" --endpoint "$ENDPOINT" "$@"; }
# rt ARGS...: the tessera CLI as root.
rt() { t --access-key "$AK" --secret-key "$SK" "$@"; }
# ut USER PASSWORD ARGS...: the tessera CLI as USER.
ut() { local u=$1 p=$2; shift 2; t --access-key "$u" --secret-key "$p" "$@"; }

# t_fails WANT ARGS...: the tessera command (ARGS include the credential
# flags) must fail, with WANT (a substring) in its error line.
t_fails() {
	local want=$1 err rc=0
	shift
	err=$(t "$@" 2>&1 >/dev/null) || rc=$?
	((rc != 0)) || fail "tessera $*: expected a failure with \"$want\", but it succeeded"
	[[ "$err" == *"$want"* ]] || fail "tessera $*: expected \"$want\" in the error, got (exit $rc): $err"
	log "tessera ${*: -4} -> $err (as expected)"
}

# ua USER PASSWORD ARGS...: the aws CLI with USER's keys.
ua() {
	local u=$1 p=$2
	shift 2
	AWS_ACCESS_KEY_ID=$u AWS_SECRET_ACCESS_KEY=$p timeout 120 "$AWS" --endpoint-url "$ENDPOINT" "$@"
}
ra() { ua "$AK" "$SK" "$@"; }
aa() { ua "$ALICE" "$ALICE_PW" "$@"; }

# aws_fails WANT USER PASSWORD ARGS...: the aws command must fail with WANT
# (e.g. "(AccessDenied)") in its message.
aws_fails() {
	local want=$1 err rc=0
	shift
	err=$(ua "$@" 2>&1 >/dev/null) || rc=$?
	((rc != 0)) || fail "aws ${*:3} as $1: expected $want, but the command succeeded"
	[[ "$err" == *"$want"* ]] || fail "aws ${*:3} as $1: expected $want, got (exit $rc): $err"
	log "aws ${*:3} as $1 -> $want (as expected)"
}
alice_denied() { aws_fails "(AccessDenied)" "$ALICE" "$ALICE_PW" "$@"; }
# alice_cp_down_denied S3URL: aws s3 cp starts a download with HeadObject,
# whose 403 has no body, so the CLI reports "(403) ... Forbidden".
alice_cp_down_denied() {
	local dst=$W/denied.$RANDOM.down
	aws_fails "HeadObject operation (reached max retries: 0): Forbidden" "$ALICE" "$ALICE_PW" s3 cp --only-show-errors "$1" "$dst"
	[[ ! -e "$dst" ]] || fail "a denied download of $1 left a local file"
}
alice_get_denied() { alice_denied s3api get-object --bucket "$1" --key "$2" "$W/get.$RANDOM.down"; }

# par CMD...: run a check in the background (independent aws CLI calls
# overlap: the CLI's start-up dominates); par_wait fails if any failed.
PAR_PIDS=()
par() {
	"$@" &
	PAR_PIDS+=($!)
}
par_wait() {
	local p bad=0
	for p in "${PAR_PIDS[@]}"; do wait "$p" || bad=$((bad + 1)); done
	PAR_PIDS=()
	((bad == 0)) || fail "$bad of the checks run side by side failed (see above)"
}

# check JSON JQ-EXPR WHAT: the jq expression must be true on JSON.
check() { jq -e "$2" >/dev/null <<<"$1" || fail "$3: jq '$2' is false on: $1"; }

# anon METHOD PATH WANT_STATUS [WANT_IN_BODY]: an anonymous (unsigned)
# request with curl; the body of a PUT is "anon-bytes".
anon() {
	local m=$1 path=$2 want=$3 body=${4:-} code
	local args=(-s -o "$W/anon.body" -w '%{http_code}' -m 30 -X "$m")
	[[ "$m" == PUT ]] && args+=(--data-binary anon-bytes -H 'Content-Type: application/octet-stream')
	code=$(curl "${args[@]}" "$ENDPOINT$path") || fail "curl -X $m $ENDPOINT$path failed to connect"
	[[ "$code" == "$want" ]] || fail "anonymous $m $path: HTTP $code, expected $want; body: $(head -c 400 "$W/anon.body")"
	if [[ -n "$body" ]]; then
		grep -qF -- "$body" "$W/anon.body" || fail "anonymous $m $path: HTTP $code as expected, but the body lacks '$body': $(head -c 400 "$W/anon.body")"
	fi
}
anon_denied() { anon "$1" "$2" 403 "<Code>AccessDenied</Code>"; }

# --- this script's server (started and restarted by the main shell) ---------

SERVER_PID=
start_own() {
	start_server "$TESSERA_BIN" "$DATA" "$LOG" "$PORT" "$CPORT"
	echo "--- server pid $SERVER_PID started" >>"$LOG"
}
cleanup_own() {
	local rc=$?
	if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
		stop_server "$SERVER_PID" 30 || true
	fi
	exit "$rc"
}
trap cleanup_own EXIT

t_ready() {
	wait_ready "$PORT" "$SERVER_PID" 60 || { tail -n 30 "$LOG"; fail "own server did not become ready (data $DATA)"; }
	rt s3 bucket create "$BD" >/dev/null
	rt s3 bucket create "$BO" >/dev/null
	printf 'shared text\n' >"$W/s.txt"
	ra s3 cp --only-show-errors "$W/s.txt" "s3://$BD/shared/s.txt"
}

# --- users -------------------------------------------------------------------

t_user_add_arg() {
	local out
	out=$(rt user add "$ALICE" s3 "$ALICE_PW" --posix-uid "$ALICE_UID" --posix-gid "$ALICE_GID")
	log "user add printed: $out"
	grep -qE "^$ALICE +s3 +$ALICE_UID +$ALICE_GID *\$" <<<"$out" ||
		fail "tessera user add $ALICE s3 ... --posix-uid $ALICE_UID --posix-gid $ALICE_GID printed no row '$ALICE s3 $ALICE_UID $ALICE_GID': $out"
	# Adding the same name again is refused, naming it.
	t_fails "EntityAlreadyExists" --access-key "$AK" --secret-key "$SK" user add "$ALICE" s3 "$ALICE_PW"
}

t_user_add_prompt() {
	local out err
	# Not a terminal: the CLI reads the password as one line from stdin.
	out=$(echo "$BOB_PW" | rt user add "$BOB" s3 --json)
	check "$out" ".name == \"$BOB\" and .role == \"s3\" and .posix_uid == 0 and .posix_gid == 0" "user add $BOB (password from stdin) --json"
	# The password read from stdin is the one that signs: bob is known and
	# authenticated (AccessDenied for lack of a policy, not a signature error) ...
	t_fails "AccessDenied" --access-key "$BOB" --secret-key "$BOB_PW" s3 bucket list
	# ... and any other secret is refused.
	t_fails "SignatureDoesNotMatch" --access-key "$BOB" --secret-key "${BOB_PW}x" s3 bucket list
	# An empty line is a (too short) password, refused before any request.
	err=$(echo "" | rt user add carol s3 2>&1) && fail "user add carol with an empty password from stdin succeeded: $err"
	[[ "$err" == *"PASSWORD: password must be at least 8 characters"* ]] || fail "empty password from stdin: unexpected error: $err"
}

t_user_list_json() {
	local out
	out=$(rt user list --json)
	log "user list --json: $(jq -c . <<<"$out")"
	check "$out" 'length == 2' "user list --json: exactly alice and bob"
	check "$out" "map(select(.name == \"$ALICE\"))[0] | .role == \"s3\" and .posix_uid == $ALICE_UID and .posix_gid == $ALICE_GID and (.policy // \"\") == \"\" and (.created | length > 0)" "user list --json: alice"
	check "$out" "map(select(.name == \"$BOB\"))[0] | .role == \"s3\" and .posix_uid == 0" "user list --json: bob"
	check "$out" 'all(has("password") | not) and all(has("secret_key") | not)' "user list --json must not show secrets"
}

t_weak_password() {
	t_fails "PASSWORD: password must contain an upper-case letter, a lower-case letter, and a digit or special character" \
		--access-key "$AK" --secret-key "$SK" user add carol s3 alllowercase1
	t_fails "PASSWORD: password must be at least 8 characters" --access-key "$AK" --secret-key "$SK" user add carol s3 'Sh0rt!'
	t_fails "PASSWORD: password must contain an upper-case letter" --access-key "$AK" --secret-key "$SK" user add carol s3 ALLUPPERCASE1
	rt user list --json | jq -e 'map(.name) | index("carol") == null' >/dev/null || fail "a user carol exists after the refused adds"
}

t_s3_user_admin_api() {
	t_fails 'AccessDenied: user "alice" has the s3 role; the admin API needs the clusteradmin role' \
		--access-key "$ALICE" --secret-key "$ALICE_PW" user list
	t_fails "clusteradmin" --access-key "$ALICE" --secret-key "$ALICE_PW" s3 policy attach readwrite "$ALICE"
	# The refused attach changed nothing.
	rt user list --json | jq -e "map(select(.name == \"$ALICE\"))[0] | (.policy // \"\") == \"\"" >/dev/null ||
		fail "alice's refused self-attach of readwrite attached it anyway"
}

# --- IAM policies with the aws CLI -------------------------------------------

t_no_policy() {
	printf 'from alice\n' >"$W/up.txt"
	par alice_denied s3 ls
	par alice_denied s3 cp --only-show-errors "$W/up.txt" "s3://$BD/no-policy.txt"
	par alice_cp_down_denied "s3://$BD/shared/s.txt"
	par_wait
}

t_readonly() {
	local out
	out=$(rt s3 policy attach readonly "$ALICE")
	[[ "$out" == "policy readonly attached to $ALICE" ]] || fail "policy attach readonly printed: $out"
	ro_ls() {
		local out
		out=$(aa s3 ls "s3://$BD/shared/")
		grep -qE ' 12 s\.txt$' <<<"$out" || fail "readonly: aws s3 ls s3://$BD/shared/ lacks 's.txt' of 12 bytes: $out"
	}
	ro_down() {
		aa s3 cp --only-show-errors "s3://$BD/shared/s.txt" "$W/s.down"
		same_file "$W/s.txt" "$W/s.down" "readonly: download"
	}
	par ro_ls
	par ro_down
	par alice_denied s3 cp --only-show-errors "$W/up.txt" "s3://$BD/ro-up.txt"
	par_wait
}

t_writeonly() {
	rt s3 policy attach writeonly "$ALICE" >/dev/null
	rt user list --json | jq -e "map(select(.name == \"$ALICE\"))[0].policy == \"writeonly\"" >/dev/null || fail "user list does not show writeonly on alice"
	aa s3 cp --only-show-errors "$W/up.txt" "s3://$BD/wo/up.txt"
	# The object is there (size and owner: see the object stat step) ...
	rt s3 object stat "$BD" wo/up.txt --json | jq -e '.size == 11' >/dev/null || fail "alice's writeonly upload is not stored"
	# ... but alice may not read it back.
	par alice_cp_down_denied "s3://$BD/wo/up.txt"
	par alice_get_denied "$BD" wo/up.txt
	par_wait
}

t_object_stat() {
	local out
	out=$(rt s3 object stat "$BD" wo/up.txt)
	log "object stat: $(tr -s ' \n' ' ' <<<"$out")"
	grep -qE "^owner +$ALICE\$" <<<"$out" || fail "object stat $BD wo/up.txt: owner is not $ALICE: $out"
	grep -qE "^posix_uid +$ALICE_UID\$" <<<"$out" || fail "object stat: posix_uid is not $ALICE_UID: $out"
	grep -qE "^posix_gid +$ALICE_GID\$" <<<"$out" || fail "object stat: posix_gid is not $ALICE_GID: $out"
	out=$(rt s3 object stat "$BD" wo/up.txt --json)
	check "$out" ".bucket == \"$BD\" and .key == \"wo/up.txt\" and .size == 11 and .owner == \"$ALICE\" and .posix_uid == $ALICE_UID and .posix_gid == $ALICE_GID" "object stat --json of alice's object"
	# root's object carries root's ids (0), not alice's.
	out=$(rt s3 object stat "$BD" shared/s.txt --json)
	check "$out" ".posix_uid == 0 and .posix_gid == 0 and .owner != \"$ALICE\"" "object stat --json of root's object"
	t_fails "NoSuchKey" --access-key "$AK" --secret-key "$SK" s3 object stat "$BD" no/such/key
}

t_custom_prefix_policy() {
	# \${aws:username} is escaped: it is for the server, not for bash.
	cat >"$W/home.json" <<EOF
{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],"Resource":"arn:aws:s3:::$BD/home/\${aws:username}/*"},
 {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::$BD","Condition":{"StringLike":{"s3:prefix":"home/\${aws:username}/*"}}}]}
EOF
	grep -qF 'home/${aws:username}/*' "$W/home.json" || fail "test bug: the policy file lost its \${aws:username}"
	local out
	out=$(rt s3 policy add home "$W/home.json")
	[[ "$out" == "policy home added" ]] || fail "policy add home printed: $out"
	rt s3 policy attach home "$ALICE" >/dev/null
	rt s3 policy attach home "$BOB" >/dev/null
	out=$(rt s3 policy list --json)
	check "$out" 'map(select(.name == "home"))[0] | .predefined == false and (.users | sort) == ["alice","bob"]' "policy list --json: home attached to alice and bob"
	check "$out" '[.[] | select(.predefined) | .name] == ["readonly","writeonly","readwrite"]' "policy list --json: the pre-defined policies first"
	# Inside home/alice/: write, list, read, delete.
	printf 'mine\n' >"$W/mine.txt"
	aa s3 cp --only-show-errors "$W/mine.txt" "s3://$BD/home/$ALICE/mine.txt"
	home_ls() {
		local out
		out=$(aa s3 ls "s3://$BD/home/$ALICE/")
		grep -qE ' mine\.txt$' <<<"$out" || fail "aws s3 ls s3://$BD/home/$ALICE/ lacks mine.txt: $out"
	}
	home_down() {
		aa s3 cp --only-show-errors "s3://$BD/home/$ALICE/mine.txt" "$W/mine.down"
		same_file "$W/mine.txt" "$W/mine.down" "custom policy: download from home/alice/"
	}
	par home_ls
	par home_down
	# Nowhere else: another user's folder, the bucket's root listing, the
	# shared folder, the same path in another bucket.
	par alice_denied s3 cp --only-show-errors "$W/mine.txt" "s3://$BD/home/$BOB/mine.txt"
	par alice_denied s3 ls "s3://$BD/"
	par_wait
	par alice_get_denied "$BD" shared/s.txt
	par alice_denied s3 cp --only-show-errors "$W/mine.txt" "s3://$BO/home/$ALICE/mine.txt"
	# The same policy gives bob his own folder (${aws:username} is per user).
	par ua "$BOB" "$BOB_PW" s3 cp --only-show-errors "$W/mine.txt" "s3://$BD/home/$BOB/b.txt"
	par_wait
}

t_explicit_deny() {
	cat >"$W/deny.json" <<EOF
{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"s3:*","Resource":"*"},
 {"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::$BD/shared/*"}]}
EOF
	rt s3 policy add rw-but-shared "$W/deny.json" >/dev/null
	rt s3 policy attach rw-but-shared "$ALICE" >/dev/null
	par aa s3 cp --only-show-errors "$W/up.txt" "s3://$BO/k.txt" # the Allow s3:* works ...
	par alice_get_denied "$BD" shared/s.txt                     # ... but not against the Deny
	par_wait
	# A Deny in a bucket policy also beats the pre-defined readwrite.
	rt s3 policy attach readwrite "$ALICE" >/dev/null
	cat >"$W/bdeny.json" <<EOF
{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":["$ALICE"]},"Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::$BO/*"}]}
EOF
	rt s3 bucket policy set-custom "$BO" "$W/bdeny.json" >/dev/null
	par alice_denied s3 cp --only-show-errors "$W/up.txt" "s3://$BO/k2.txt"
	par aa s3 cp --only-show-errors "$W/up.txt" "s3://$BD/rw/k.txt" # readwrite still works elsewhere
	par_wait
	rt s3 bucket policy unset "$BO" >/dev/null
}

t_detach() {
	local out
	out=$(rt s3 policy detach "$ALICE")
	[[ "$out" == "policy detached from $ALICE" ]] || fail "policy detach printed: $out"
	# The very next request is denied (readwrite allowed it one step ago).
	alice_denied s3 cp --only-show-errors "$W/up.txt" "s3://$BD/rw/k2.txt"
	rt user list --json | jq -e "map(select(.name == \"$ALICE\"))[0] | (.policy // \"\") == \"\"" >/dev/null || fail "user list still shows a policy on alice after detach"
}

t_policy_remove() {
	# home is attached to bob.
	t_fails 'DeleteConflict: policy "home" is attached to bob' --access-key "$AK" --secret-key "$SK" s3 policy remove home
	t_fails 'InvalidInput: policy "readonly" is pre-defined and cannot be removed' --access-key "$AK" --secret-key "$SK" s3 policy remove readonly
	t_fails 'NoSuchEntity: no policy "nope"' --access-key "$AK" --secret-key "$SK" s3 policy remove nope
	t_fails 'NoSuchEntity: no policy "nope"' --access-key "$AK" --secret-key "$SK" s3 policy attach nope "$ALICE"
	# rw-but-shared is attached to nobody now: it can go.
	local out
	out=$(rt s3 policy remove rw-but-shared)
	[[ "$out" == "policy rw-but-shared removed" ]] || fail "policy remove rw-but-shared printed: $out"
	rt s3 policy list --json | jq -e 'map(.name) | (index("rw-but-shared") == null) and (index("home") != null)' >/dev/null ||
		fail "policy list after remove: rw-but-shared still there or home gone: $(rt s3 policy list --json | jq -c 'map(.name)')"
}

t_invalid_policies() {
	local before
	before=$(rt s3 policy list --json | jq -c 'map(.name)')
	printf '{"Version":' >"$W/bad-json.json"
	t_fails "FILE $W/bad-json.json: invalid JSON" --access-key "$AK" --secret-key "$SK" s3 policy add bad "$W/bad-json.json"
	printf '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObjekt","Resource":"*"}]}' >"$W/bad-action.json"
	t_fails 'statement 1: unknown action "s3:GetObjekt"' --access-key "$AK" --secret-key "$SK" s3 policy add bad "$W/bad-action.json"
	"$PY" -c 'import sys; sys.stdout.write("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"" + "a" * 2100 + "\",\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}")' >"$W/big.json"
	local size
	size=$(stat -c %s "$W/big.json")
	t_fails "policy is $size bytes, the limit is 2048" --access-key "$AK" --secret-key "$SK" s3 policy add bad "$W/big.json"
	t_fails "FILE: open $W/missing.json: no such file or directory" --access-key "$AK" --secret-key "$SK" s3 policy add bad "$W/missing.json"
	[[ "$(rt s3 policy list --json | jq -c 'map(.name)')" == "$before" ]] || fail "the policy list changed after refused adds: $before -> $(rt s3 policy list --json | jq -c 'map(.name)')"
}

# --- bucket policies and anonymous access --------------------------------------

t_bucket_create_download() {
	local out
	out=$(rt s3 bucket create "$BP" --policy download)
	[[ "$out" == "bucket $BP created" ]] || fail "bucket create --policy download printed: $out"
	[[ "$(rt s3 bucket policy get "$BP")" == download ]] || fail "bucket policy get $BP: $(rt s3 bucket policy get "$BP"), expected download"
	out=$(rt s3 bucket policy get "$BP" --json)
	check "$out" ".bucket == \"$BP\" and .policy == \"download\" and (.document.Statement | length) > 0" "bucket policy get --json"
	[[ "$(rt s3 bucket policy get "$BD")" == none ]] || fail "bucket policy get $BD (none set): $(rt s3 bucket policy get "$BD")"
	printf 'public hello\n' >"$W/f.txt"
	ra s3 cp --only-show-errors "$W/f.txt" "s3://$BP/f.txt"
	anon GET "/$BP/f.txt" 200 "public hello"
	anon GET "/$BP?list-type=2" 200 "<Key>f.txt</Key>"
	anon_denied PUT "/$BP/anon-up"
	anon_denied DELETE "/$BP/f.txt"
	anon GET "/$BP/f.txt" 200 "public hello" # the refused DELETE deleted nothing
	# Nothing beyond this bucket.
	anon_denied GET "/$BD/shared/s.txt"
	anon_denied GET "/$BD?list-type=2"
	anon_denied GET "/"
	t_fails "NoSuchBucket" --access-key "$AK" --secret-key "$SK" s3 bucket policy get "$BUCKET_PREFIX-nosuch"
}

t_bucket_upload() {
	local out
	out=$(rt s3 bucket policy set "$BP" upload)
	[[ "$out" == "bucket $BP policy set to upload" ]] || fail "bucket policy set upload printed: $out"
	[[ "$(rt s3 bucket policy get "$BP")" == upload ]] || fail "bucket policy get after set upload: $(rt s3 bucket policy get "$BP")"
	anon_denied GET "/$BP/f.txt"
	anon_denied GET "/$BP?list-type=2"
	anon PUT "/$BP/anon-up" 200
	anon DELETE "/$BP/anon-up" 204
	anon PUT "/$BP/anon-kept" 200
	# The anonymous object is stored, with the anonymous POSIX ids.
	out=$(rt s3 object stat "$BP" anon-kept --json)
	check "$out" '.size == 10 and .posix_uid == 65534 and .posix_gid == 65534' "object stat of the anonymous upload"
	anon_denied PUT "/$BD/anon-up"
}

t_bucket_public_none() {
	rt s3 bucket policy set "$BP" public >/dev/null
	[[ "$(rt s3 bucket policy get "$BP")" == public ]] || fail "bucket policy get after set public: $(rt s3 bucket policy get "$BP")"
	anon GET "/$BP/anon-kept" 200 "anon-bytes"
	anon GET "/$BP?list-type=2" 200 "<Key>anon-kept</Key>"
	anon PUT "/$BP/anon-2" 200
	anon DELETE "/$BP/anon-2" 204
	anon_denied GET "/$BD/shared/s.txt"
	anon_denied GET "/"
	rt s3 bucket policy set "$BP" none >/dev/null
	[[ "$(rt s3 bucket policy get "$BP")" == none ]] || fail "bucket policy get after set none: $(rt s3 bucket policy get "$BP")"
	anon_denied GET "/$BP/f.txt"
	anon_denied GET "/$BP?list-type=2"
	anon_denied PUT "/$BP/anon-3"
	t_fails 'policy "bogus" must be one of none, download, upload, public' --access-key "$AK" --secret-key "$SK" s3 bucket policy set "$BP" bogus
}

t_bucket_custom() {
	cat >"$W/bcustom.json" <<EOF
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::$BP/open/*"}]}
EOF
	local out err rc=0
	out=$(rt s3 bucket policy set-custom "$BP" "$W/bcustom.json")
	[[ "$out" == "bucket $BP custom policy set" ]] || fail "bucket policy set-custom printed: $out"
	out=$(rt s3 bucket policy get "$BP" --json)
	check "$out" ".policy == \"custom\" and .document.Statement[0].Resource == \"arn:aws:s3:::$BP/open/*\"" "bucket policy get --json after set-custom"
	printf 'open hello\n' >"$W/o.txt"
	ra s3 cp --only-show-errors "$W/o.txt" "s3://$BP/open/o.txt"
	anon GET "/$BP/open/o.txt" 200 "open hello"
	anon_denied GET "/$BP/f.txt"
	anon_denied GET "/$BP?list-type=2"
	anon_denied PUT "/$BP/open/new"
	# s3:* is refused: by the CLI before sending, and by the server for a
	# client that sends it anyway; so is a resource outside the bucket.
	cat >"$W/bstar.json" <<EOF
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::$BP/*"}]}
EOF
	t_fails "FILE $W/bstar.json: statement 1: bucket policies may not use \"s3:*\" as an Action" --access-key "$AK" --secret-key "$SK" s3 bucket policy set-custom "$BP" "$W/bstar.json"
	err=$(ra s3api put-bucket-policy --bucket "$BP" --policy "file://$W/bstar.json" 2>&1) || rc=$?
	((rc != 0)) || fail "aws s3api put-bucket-policy with s3:* succeeded"
	[[ "$err" == *"(MalformedPolicy) when calling the PutBucketPolicy operation"* && "$err" == *'bucket policies may not use "s3:*" as an Action'* ]] ||
		fail "aws s3api put-bucket-policy with s3:*: expected MalformedPolicy naming s3:*, got (exit $rc): $err"
	cat >"$W/bother.json" <<EOF
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::$BD/*"}]}
EOF
	t_fails "MalformedPolicy: statement 1: resource \"arn:aws:s3:::$BD/*\" is not in bucket \"$BP\"" --access-key "$AK" --secret-key "$SK" s3 bucket policy set-custom "$BP" "$W/bother.json"
	# The refused policies changed nothing.
	[[ "$(rt s3 bucket policy get "$BP" --json | jq -r .policy)" == custom ]] || fail "bucket policy changed by a refused set-custom"
	anon GET "/$BP/open/o.txt" 200 "open hello"
	anon_denied GET "/$BD/shared/s.txt"
}

# --- restart --------------------------------------------------------------------

# Main shell only (wait needs the child): SIGTERM, then start again on the
# same data folder. The outcome is checked by the next step.
RESTART_STOPPED=0
restart_own() {
	RESTART_STOPPED=0
	if stop_server "$SERVER_PID" 30; then RESTART_STOPPED=1; fi
	RESTART_RC=$EXIT_RC
	start_own
}

t_after_restart() {
	((RESTART_STOPPED)) || fail "server did not exit within 30 s of SIGTERM (killed)"
	[[ "$RESTART_RC" == 0 ]] || { tail -n 20 "$LOG"; fail "server exited $RESTART_RC after SIGTERM, expected 0"; }
	wait_ready "$PORT" "$SERVER_PID" 60 || { tail -n 30 "$LOG"; fail "server did not become ready after the restart"; }
	local out
	out=$(rt user list --json)
	check "$out" "map(.name) == [\"$ALICE\",\"$BOB\"]" "users after restart"
	check "$out" "map(select(.name == \"$ALICE\"))[0] | .posix_uid == $ALICE_UID and .posix_gid == $ALICE_GID" "alice's POSIX ids after restart"
	check "$out" "map(select(.name == \"$BOB\"))[0].policy == \"home\"" "bob's attached policy after restart"
	out=$(rt s3 policy list --json)
	check "$out" 'map(select(.name == "home"))[0] | .predefined == false and .users == ["bob"]' "policy home (attached to bob) after restart"
	rt s3 policy show home | grep -qF "arn:aws:s3:::$BD/home/\${aws:username}/*" || fail "policy show home after restart lost its document: $(rt s3 policy show home)"
	# Passwords and the attachment work: bob in his folder, not outside.
	bob_down() {
		ua "$BOB" "$BOB_PW" s3 cp --only-show-errors "s3://$BD/home/$BOB/b.txt" "$W/b.down"
		same_file "$W/mine.txt" "$W/b.down" "bob's object after restart"
	}
	par bob_down
	par aws_fails "(AccessDenied)" "$BOB" "$BOB_PW" s3api get-object --bucket "$BD" --key "home/$ALICE/mine.txt" "$W/x.down"
	par_wait
	t_fails "SignatureDoesNotMatch" --access-key "$ALICE" --secret-key "Wrong-Pass-1" s3 bucket list
	t_fails "AccessDenied" --access-key "$ALICE" --secret-key "$ALICE_PW" s3 bucket list # no policy: still detached
	# The bucket policy too.
	[[ "$(rt s3 bucket policy get "$BP" --json | jq -r .policy)" == custom ]] || fail "bucket policy of $BP after restart: $(rt s3 bucket policy get "$BP")"
	anon GET "/$BP/open/o.txt" 200 "open hello"
	anon_denied GET "/$BP/f.txt"
	out=$(rt s3 object stat "$BD" wo/up.txt --json)
	check "$out" ".owner == \"$ALICE\" and .posix_uid == $ALICE_UID and .posix_gid == $ALICE_GID" "object stat after restart"
}

t_final_stop() {
	((FINAL_STOPPED)) || fail "server did not exit within 30 s of SIGTERM (killed)"
	[[ "$FINAL_RC" == 0 ]] || { tail -n 20 "$LOG"; fail "server exited $FINAL_RC after SIGTERM, expected 0"; }
}

log "own server on 127.0.0.1:$PORT (cluster port $CPORT), data in $DATA"
start_own
step "own server ready; buckets created with tessera s3 bucket create" t_ready
if ((STEPS_FAILED > 0)); then
	tail -n 30 "$LOG" || true
	finish
	exit 1
fi
step "user add s3 user with --posix-uid/--posix-gid (password arg)" t_user_add_arg
step "user add with the password from stdin; it signs" t_user_add_prompt
step "user list --json: roles, POSIX ids, no secrets" t_user_list_json
step "weak passwords refused, naming the rule" t_weak_password
step "S3 user on the admin CLI: AccessDenied naming clusteradmin" t_s3_user_admin_api
step "no policy: aws s3 ls/cp up/cp down denied" t_no_policy
step "policy attach readonly: ls, cp down ok; cp up denied" t_readonly
step "policy attach writeonly: cp up ok; download denied" t_writeonly
step "object stat shows the writer's owner and POSIX uid/gid" t_object_stat
step "custom policy home/\${aws:username}/: there and nowhere else" t_custom_prefix_policy
step "explicit Deny beats Allow s3:* and readwrite" t_explicit_deny
step "policy detach: the next request is denied" t_detach
step "policy remove: attached/pre-defined refused, free one removed" t_policy_remove
step "invalid JSON / unknown action / >2048 bytes refused by the CLI" t_invalid_policies
step "bucket create --policy download: anonymous read-only" t_bucket_create_download
step "bucket policy set upload: anonymous write-only" t_bucket_upload
step "bucket policy set public, then none" t_bucket_public_none
step "bucket policy set-custom; s3:* and foreign resources refused" t_bucket_custom
log "restarting the server (SIGTERM, then start on the same data folder)"
restart_own
step "restart keeps users, policies, attachments, bucket policies" t_after_restart
FINAL_STOPPED=0
if stop_server "$SERVER_PID" 30; then FINAL_STOPPED=1; fi
FINAL_RC=$EXIT_RC
step "SIGTERM: own server exits 0" t_final_stop
if ((STEPS_FAILED > 0)); then
	echo "---- iam.sh server log (last 30 lines) ----"
	tail -n 30 "$LOG" || true
fi
finish
