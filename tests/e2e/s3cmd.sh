#!/usr/bin/env bash
# s3cmd (Debian, SigV4, path-style) against the shared server: mb, put (small
# and a 20 MiB multipart upload in 15 MiB parts), get, ls, la, info, del,
# sync up and down, rb.
set -euo pipefail
SCRIPT_NAME=s3cmd.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
need_env ENDPOINT AK SK BUCKET_PREFIX RESULTS SCRATCH

W=$SCRATCH
HOSTPORT=${ENDPOINT#http://}
B=$BUCKET_PREFIX-main
MiB=$((1024 * 1024))
export LC_ALL=C.UTF-8 PYTHONIOENCODING=utf-8

CFG=$W/s3cfg
cat >"$CFG" <<CFGEOF
[default]
access_key = $AK
secret_key = $SK
host_base = $HOSTPORT
host_bucket = $HOSTPORT
use_https = False
signature_v2 = False
bucket_location = us-east-1
check_ssl_certificate = False
multipart_chunk_size_mb = 15
socket_timeout = 60
progress_meter = False
CFGEOF

# c ARGS...: s3cmd with our config only (HOME too, so ~/.s3cfg cannot interfere).
c() { HOME=$W timeout 120 s3cmd -c "$CFG" --no-progress "$@"; }

t_mb() {
	c mb "s3://$B"
	c ls | grep -qE "s3://$B\$" || fail "s3cmd ls does not list the new bucket $B"
}

t_put_get_small() {
	rand_file "$W/small.bin" 3000
	c put "$W/small.bin" "s3://$B/small.bin"
	c get --force "s3://$B/small.bin" "$W/small.down"
	same_file "$W/small.bin" "$W/small.down" "s3cmd small object round trip"
	printf 'hello from s3cmd\n' >"$W/hello.txt"
	c put --mime-type=text/x-s3cmd --add-header=x-amz-meta-color:green "$W/hello.txt" "s3://$B/dir/hello.txt"
	c get --force "s3://$B/dir/hello.txt" "$W/hello.down"
	same_file "$W/hello.txt" "$W/hello.down" "s3cmd hello.txt round trip"
}

t_put_get_big() {
	rand_file "$W/big.bin" $((20 * MiB))
	c put "$W/big.bin" "s3://$B/big.bin"
	# The ETag in the listing shows the upload was multipart, in 2 parts.
	local out
	out=$(c ls -l "s3://$B/big.bin")
	echo "$out"
	grep -qE " [0-9a-f]{32}-2 .*s3://$B/big.bin\$" <<<"$out" || fail "20 MiB s3cmd upload: listing ETag is not that of a 2-part multipart upload: $out"
	c get --force "s3://$B/big.bin" "$W/big.down"
	same_file "$W/big.bin" "$W/big.down" "s3cmd 20 MiB multipart round trip"
}

t_ls_la() {
	local out
	out=$(c ls "s3://$B")
	echo "$out"
	grep -qE "DIR +s3://$B/dir/\$" <<<"$out" || fail "s3cmd ls s3://$B lacks 'DIR s3://$B/dir/': $out"
	grep -qE " 3000 +s3://$B/small.bin\$" <<<"$out" || fail "s3cmd ls s3://$B lacks small.bin (3000 bytes): $out"
	grep -qE " $((20 * MiB)) +s3://$B/big.bin\$" <<<"$out" || fail "s3cmd ls s3://$B lacks big.bin: $out"
	out=$(c ls --recursive "s3://$B")
	grep -qE "s3://$B/dir/hello.txt\$" <<<"$out" || fail "s3cmd ls --recursive lacks dir/hello.txt: $out"
	out=$(c ls "s3://$B/dir/")
	grep -qE " 17 +s3://$B/dir/hello.txt\$" <<<"$out" || fail "s3cmd ls s3://$B/dir/ lacks hello.txt (17 bytes): $out"
	out=$(c la)
	echo "$out"
	grep -qE "s3://$B/small.bin\$" <<<"$out" || fail "s3cmd la lacks s3://$B/small.bin: $out"
}

t_info() {
	local out md5
	out=$(c info "s3://$B/dir/hello.txt")
	echo "$out"
	md5=$(md5sum "$W/hello.txt" | cut -d' ' -f1)
	grep -qE "File size: +17\$" <<<"$out" || fail "s3cmd info: File size is not 17: $out"
	grep -qE "MIME type: +text/x-s3cmd\$" <<<"$out" || fail "s3cmd info: MIME type is not text/x-s3cmd: $out"
	grep -qE "MD5 sum: +$md5\$" <<<"$out" || fail "s3cmd info: MD5 sum is not $md5: $out"
	grep -qE "x-amz-meta-color: +green\$" <<<"$out" || fail "s3cmd info: x-amz-meta-color is not green: $out"
	out=$(c info "s3://$B")
	echo "$out"
	grep -qE "^s3://$B/ \\(bucket\\):" <<<"$out" || fail "s3cmd info s3://$B: $out"
	out=$(c info "s3://$B/big.bin")
	grep -qE "File size: +$((20 * MiB))\$" <<<"$out" || fail "s3cmd info big.bin: $out"
	# s3cmd keeps the whole-file MD5 in x-amz-meta-s3cmd-attrs for multipart uploads.
	grep -qE "MD5 sum: +$(md5sum "$W/big.bin" | cut -d' ' -f1)\$" <<<"$out" || fail "s3cmd info big.bin: MD5 sum (from x-amz-meta-s3cmd-attrs): $out"
}

t_del() {
	c del "s3://$B/small.bin"
	local out
	out=$(c ls "s3://$B/small.bin")
	[[ -z "$out" ]] || fail "small.bin still listed after s3cmd del: $out"
	if c get --force "s3://$B/small.bin" "$W/gone" >"$W/del.err" 2>&1; then
		fail "s3cmd get of a deleted object succeeded"
	fi
	grep -qE '404|does not exist' "$W/del.err" || fail "s3cmd get of a deleted object: expected a 404: $(cat "$W/del.err")"
}

t_sync() {
	local t=$W/tree
	rm -rf "$t" "$W/tree.down"
	mkdir -p "$t/x/y" "$t/sp ace" "$t/ünï"
	printf 'one\n' >"$t/one.txt"
	rand_file "$t/x/two.bin" $((200 * 1024))
	printf 'three\n' >"$t/x/y/three.txt"
	printf 'sp\n' >"$t/sp ace/f i le.txt"
	printf 'u\n' >"$t/ünï/ß.txt"
	c sync "$t/" "s3://$B/sync/"
	local out
	out=$(c sync "$t/" "s3://$B/sync/")
	echo "$out"
	grep -q 'upload:' <<<"$out" && fail "second s3cmd sync of an unchanged tree uploaded files (MD5/size mismatch?): $out"
	mkdir -p "$W/tree.down"
	c sync "s3://$B/sync/" "$W/tree.down/"
	diff -r "$t" "$W/tree.down" || fail "tree synced down with s3cmd differs from the tree synced up"
	# --delete-removed removes remote files deleted locally.
	rm "$t/one.txt"
	c sync --delete-removed "$t/" "s3://$B/sync/"
	out=$(c ls --recursive "s3://$B/sync/")
	grep -q 'one.txt' <<<"$out" && fail "s3cmd sync --delete-removed left sync/one.txt: $out"
	[[ $(grep -c . <<<"$out") -eq 4 ]] || fail "expected 4 objects under sync/ after --delete-removed: $out"
}

t_rb() {
	expect_rb_refused() {
		if c rb "s3://$B" >"$W/rb.err" 2>&1; then
			fail "s3cmd rb of a non-empty bucket succeeded"
		fi
		grep -q BucketNotEmpty "$W/rb.err" || fail "s3cmd rb of a non-empty bucket: expected BucketNotEmpty: $(cat "$W/rb.err")"
	}
	expect_rb_refused
	c del --recursive --force "s3://$B"
	c rb "s3://$B"
	c ls | grep -qE "s3://$B\$" && fail "s3cmd ls still lists $B after rb" || true
}

echo "s3cmd: $(s3cmd --version)"
step "s3cmd mb" t_mb
step "s3cmd put/get small (mime type, metadata)" t_put_get_small
step "s3cmd put/get 20 MiB (multipart, 15 MiB parts)" t_put_get_big
step "s3cmd ls, ls --recursive, la" t_ls_la
step "s3cmd info (object and bucket)" t_info
step "s3cmd del" t_del
step "s3cmd sync up, again, down, --delete-removed" t_sync
step "s3cmd rb (refused when not empty, then done)" t_rb

c rb --recursive --force "s3://$B" >/dev/null 2>&1 || true
finish
