#!/usr/bin/env bash
# rclone (Debian, s3 backend, provider Other, configured through the
# environment) against the shared server: mkdir, copy a tree up and down,
# check, ls/lsd/lsjson, copyto of a 30 MiB file (multipart), delete, purge.
set -euo pipefail
SCRIPT_NAME=rclone.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
need_env ENDPOINT AK SK BUCKET_PREFIX RESULTS SCRATCH

W=$SCRATCH
B=$BUCKET_PREFIX-main
MiB=$((1024 * 1024))
export LC_ALL=C.UTF-8

export RCLONE_CONFIG=$W/rclone.conf # empty: only the environment configures the remote
: >"$RCLONE_CONFIG"
export RCLONE_CONFIG_TESSERA_TYPE=s3
export RCLONE_CONFIG_TESSERA_PROVIDER=Other
export RCLONE_CONFIG_TESSERA_ENV_AUTH=false
export RCLONE_CONFIG_TESSERA_ACCESS_KEY_ID=$AK
export RCLONE_CONFIG_TESSERA_SECRET_ACCESS_KEY=$SK
export RCLONE_CONFIG_TESSERA_ENDPOINT=$ENDPOINT
export RCLONE_CONFIG_TESSERA_REGION=us-east-1
export RCLONE_CONFIG_TESSERA_FORCE_PATH_STYLE=true

# r ARGS...: rclone, bounded, no retries (so server errors are not hidden).
r() { timeout 120 rclone --retries 1 --low-level-retries 1 --contimeout 10s --timeout 60s "$@"; }

make_tree() {
	local t=$1
	rm -rf "$t"
	mkdir -p "$t/a/b/c" "$t/sp ace" "$t/ünï"
	printf 'top\n' >"$t/top.txt"
	rand_file "$t/a/one.bin" $((64 * 1024))
	rand_file "$t/a/b/two.bin" $((1 * MiB + 3))
	printf 'deep\n' >"$t/a/b/c/deep.txt"
	printf 'space\n' >"$t/sp ace/na me.txt"
	printf 'unicode\n' >"$t/ünï/日本.txt"
	: >"$t/a/empty.txt"
}

t_mkdir() {
	r mkdir "tessera:$B"
	r lsd tessera: | grep -qE " $B\$" || fail "rclone lsd tessera: does not list $B"
}

t_copy_tree() {
	make_tree "$W/tree"
	r copy "$W/tree" "tessera:$B/tree"
	rm -rf "$W/tree.down"
	r copy "tessera:$B/tree" "$W/tree.down"
	diff -r "$W/tree" "$W/tree.down" || fail "tree copied down with rclone differs from the tree copied up"
}

t_check() {
	[[ -d "$W/tree" ]] || { make_tree "$W/tree"; r copy "$W/tree" "tessera:$B/tree"; }
	local out
	out=$(r check "$W/tree" "tessera:$B/tree" 2>&1) || fail "rclone check reported differences: $out"
	echo "$out"
	grep -q ' 0 differences found' <<<"$out" || fail "rclone check did not report 0 differences: $out"
	grep -q "$(find "$W/tree" -type f | wc -l) matching files" <<<"$out" || fail "rclone check: unexpected number of matching files: $out"
	# --download compares the bytes, not just the hashes.
	out=$(r check --download "$W/tree" "tessera:$B/tree" 2>&1) || fail "rclone check --download reported differences: $out"
	# A changed remote file must be detected.
	printf 'different\n' >"$W/changed.txt"
	r copyto "$W/changed.txt" "tessera:$B/tree/top.txt"
	if out=$(r check "$W/tree" "tessera:$B/tree" 2>&1); then
		fail "rclone check did not notice a changed remote file: $out"
	fi
	grep -q '1 differences found' <<<"$out" || fail "rclone check after changing top.txt: $out"
	r copyto "$W/tree/top.txt" "tessera:$B/tree/top.txt"
}

t_listing() {
	local out n want
	out=$(r ls "tessera:$B/tree")
	echo "$out"
	n=$(grep -c . <<<"$out")
	want=$(find "$W/tree" -type f | wc -l)
	[[ "$n" -eq "$want" ]] || fail "rclone ls: $n files, expected $want: $out"
	grep -qE "^ +$((MiB + 3)) a/b/two.bin\$" <<<"$out" || fail "rclone ls lacks a/b/two.bin with its size: $out"
	grep -qE "^ +8 ünï/日本.txt\$" <<<"$out" || fail "rclone ls lacks the unicode file: $out"
	out=$(r lsd "tessera:$B/tree")
	echo "$out"
	for d in a "sp ace" ünï; do
		grep -qE " $d\$" <<<"$out" || fail "rclone lsd tessera:$B/tree lacks $d: $out"
	done
	[[ $(grep -c . <<<"$out") -eq 3 ]] || fail "rclone lsd: expected 3 directories: $out"
	out=$(r lsjson -R --hash "tessera:$B/tree")
	jq -e 'map(select(.IsDir | not)) | length == 7' <<<"$out" >/dev/null || fail "rclone lsjson -R: expected 7 files: $out"
	jq -e --arg md5 "$(md5sum "$W/tree/a/one.bin" | cut -d' ' -f1)" \
		'.[] | select(.Path == "a/one.bin") | .Size == 65536 and .Hashes.md5 == $md5' <<<"$out" >/dev/null ||
		fail "rclone lsjson: a/one.bin size or MD5 wrong: $(jq -c '.[] | select(.Path == "a/one.bin")' <<<"$out")"
	jq -e '.[] | select(.Path == "a/b/c/deep.txt") | .ModTime | length > 0' <<<"$out" >/dev/null || fail "rclone lsjson: no ModTime for deep.txt"
}

t_copyto_big() {
	mkdir -p "$W/big"
	rand_file "$W/big/30m.bin" $((30 * MiB))
	# rclone's default upload cutoff is 200 MiB: lower it so 30 MiB goes multipart (4 x 8 MiB).
	r copyto --s3-upload-cutoff 10M --s3-chunk-size 8M --s3-upload-concurrency 2 "$W/big/30m.bin" "tessera:$B/big/30m.bin"
	local out
	out=$(r lsjson --hash "tessera:$B/big/30m.bin")
	jq -e ".[0].Size == $((30 * MiB))" <<<"$out" >/dev/null || fail "rclone lsjson of the 30 MiB object: $out"
	r copyto "tessera:$B/big/30m.bin" "$W/big.down"
	same_file "$W/big/30m.bin" "$W/big.down" "rclone 30 MiB multipart round trip"
	out=$(r check "$W/big" "tessera:$B/big" 2>&1) || fail "rclone check of the 30 MiB object: $out"
	out=$(r md5sum "tessera:$B/big/30m.bin")
	[[ "${out%% *}" == "$(md5sum "$W/big/30m.bin" | cut -d' ' -f1)" ]] || fail "rclone md5sum of the multipart object (from its metadata): $out"
}

t_delete() {
	r delete "tessera:$B/tree/a"
	local out
	out=$(r ls "tessera:$B/tree")
	grep -q ' a/' <<<"$out" && fail "rclone delete tessera:$B/tree/a left files: $out"
	[[ $(grep -c . <<<"$out") -eq 3 ]] || fail "rclone delete of tree/a: expected 3 files left: $out"
	r deletefile "tessera:$B/tree/top.txt"
	r ls "tessera:$B/tree" | grep -q top.txt && fail "rclone deletefile left top.txt" || true
}

t_purge() {
	r purge "tessera:$B"
	r lsd tessera: | grep -qE " $B\$" && fail "rclone lsd still lists $B after purge" || true
	local out
	if out=$(r ls "tessera:$B" 2>&1); then
		fail "rclone ls of a purged bucket succeeded: $out"
	fi
	grep -qiE 'directory not found|NoSuchBucket' <<<"$out" || fail "rclone ls of a purged bucket: $out"
}

echo "rclone: $(rclone version | head -1)"
step "rclone mkdir (bucket), lsd" t_mkdir
step "rclone copy tree up and down" t_copy_tree
step "rclone check (0 differences, --download, change)" t_check
step "rclone ls, lsd, lsjson -R --hash" t_listing
step "rclone copyto 30 MiB (multipart, 8 MiB chunks)" t_copyto_big
step "rclone delete, deletefile" t_delete
step "rclone purge" t_purge

r purge "tessera:$B" >/dev/null 2>&1 || true
finish
