#!/usr/bin/env bash
# aws CLI v2 (/usr/bin/aws) against the shared server: high-level `aws s3`
# commands (mb, cp, sync, ls, rm, rb, presign) and `aws s3api` calls
# (metadata, ranges, copy, tagging, listing, batch delete, multipart, errors).
set -euo pipefail
SCRIPT_NAME=awscli.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
need_env ENDPOINT AK SK BUCKET_PREFIX RESULTS SCRATCH

W=$SCRATCH
# Only our credentials and settings: the machine's aws config cannot interfere.
: >"$W/aws-config"
: >"$W/aws-credentials"
export AWS_CONFIG_FILE=$W/aws-config AWS_SHARED_CREDENTIALS_FILE=$W/aws-credentials
export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER="" AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard AWS_EC2_METADATA_DISABLED=true
export LC_ALL=C.UTF-8 PYTHONIOENCODING=utf-8

B=$BUCKET_PREFIX-main
B2=$BUCKET_PREFIX-api
B3=$BUCKET_PREFIX-list
B4=$BUCKET_PREFIX-mpu
MiB=$((1024 * 1024))

# a ARGS...: the aws CLI against the server, bounded in time.
a() { timeout 120 "$AWS" --endpoint-url "$ENDPOINT" "$@"; }

# expect_error CODE ARGS...: the aws command must fail with CODE in its message.
expect_error() {
	local code=$1 err rc=0
	shift
	err=$(a "$@" 2>&1 >/dev/null) || rc=$?
	((rc != 0)) || fail "aws $*: expected error $code, but the command succeeded"
	[[ "$err" == *"($code)"* ]] || fail "aws $*: expected error ($code), got (exit $rc): $err"
	log "aws $* -> $code (as expected)"
}

# check JSON JQ-EXPR WHAT: the jq expression must be true on JSON.
check() {
	jq -e "$2" >/dev/null <<<"$1" || fail "$3: jq '$2' is false on: $1"
}

ensure_bucket() { a s3api head-bucket --bucket "$1" >/dev/null 2>&1 || a s3 mb "s3://$1" >/dev/null; }

# multipart_etag PART_BYTES FILE: the S3 ETag of FILE uploaded in parts of PART_BYTES.
multipart_etag() {
	"$PY" - "$1" "$2" <<'PYEOF'
import hashlib, sys
size, path = int(sys.argv[1]), sys.argv[2]
digests = []
with open(path, "rb") as f:
    while chunk := f.read(size):
        digests.append(hashlib.md5(chunk).digest())
print('"%s-%d"' % (hashlib.md5(b"".join(digests)).hexdigest(), len(digests)))
PYEOF
}

t_mb() {
	a s3 mb "s3://$B"
	a s3api head-bucket --bucket "$B"
	a s3 ls | grep -qE " $B\$" || fail "aws s3 ls does not list the new bucket $B"
}

t_cp_small() {
	ensure_bucket "$B"
	rand_file "$W/small.bin" 1234
	a s3 cp --only-show-errors "$W/small.bin" "s3://$B/small.bin"
	a s3 cp --only-show-errors "s3://$B/small.bin" "$W/small.down"
	same_file "$W/small.bin" "$W/small.down" "small object round trip"
	printf 'plain text\n' >"$W/hello.txt"
	a s3 cp --only-show-errors "$W/hello.txt" "s3://$B/hello.txt"
	local h
	h=$(a s3api head-object --bucket "$B" --key hello.txt)
	check "$h" '.ContentType == "text/plain"' "content type guessed by aws s3 cp for .txt"
	check "$h" '.ContentLength == 11' "head-object ContentLength"
	# Empty object.
	: >"$W/empty"
	a s3 cp --only-show-errors "$W/empty" "s3://$B/empty"
	a s3 cp --only-show-errors "s3://$B/empty" "$W/empty.down"
	[[ -f "$W/empty.down" && ! -s "$W/empty.down" ]] || fail "empty object did not come back empty"
}

t_cp_big() {
	ensure_bucket "$B"
	rand_file "$W/big.bin" $((20 * MiB))
	a s3 cp --only-show-errors "$W/big.bin" "s3://$B/big.bin"
	local h want
	h=$(a s3api head-object --bucket "$B" --key big.bin)
	check "$h" ".ContentLength == $((20 * MiB))" "head-object ContentLength of the 20 MiB object"
	want=$(multipart_etag $((8 * MiB)) "$W/big.bin")
	check "$h" ".ETag == $(jq -Rn --arg e "$want" '$e')" "multipart ETag (md5 of part md5s, -3) of the 20 MiB object"
	a s3 cp --only-show-errors "s3://$B/big.bin" "$W/big.down"
	same_file "$W/big.bin" "$W/big.down" "20 MiB multipart round trip"
}

t_cp_stream() {
	ensure_bucket "$B"
	# From stdin: size unknown, so the CLI uploads multipart (8 MiB parts).
	rand_file "$W/stream.bin" $((10 * MiB + 5))
	a s3 cp --only-show-errors - "s3://$B/stream.bin" <"$W/stream.bin"
	a s3 cp --only-show-errors "s3://$B/stream.bin" - >"$W/stream.down"
	same_file "$W/stream.bin" "$W/stream.down" "aws s3 cp from stdin and to stdout"
	local h
	h=$(a s3api head-object --bucket "$B" --key stream.bin)
	check "$h" '.ETag | endswith("-2\"")' "ETag of the object uploaded from stdin (2 parts)"
}

make_tree() {
	local t=$1
	rm -rf "$t"
	mkdir -p "$t/dir1/dir2/dir3" "$t/with space" "$t/ünï" "$t/special"
	printf 'a\n' >"$t/a.txt"
	rand_file "$t/dir1/b.bin" $((50 * 1024))
	: >"$t/dir1/empty"
	printf 'deep\n' >"$t/dir1/dir2/dir3/c.txt"
	printf 'spaces\n' >"$t/with space/file name.txt"
	printf 'unicode\n' >"$t/ünï/日本語 ファイル.txt"
	printf 'special\n' >"$t/special/a+b=c&d%20e~f (1).txt"
	rand_file "$t/dir1/dir2/mid.bin" $((300 * 1024))
	# sync uploads when the local file is newer than LastModified (second
	# granularity): date the files back so an unchanged tree is never re-sent.
	find "$t" -type f -exec touch -d '-1 hour' {} +
}

t_sync() {
	ensure_bucket "$B"
	make_tree "$W/tree"
	a s3 sync --only-show-errors "$W/tree" "s3://$B/tree"
	local out n
	out=$(a s3 sync --no-progress "$W/tree" "s3://$B/tree")
	[[ -z "$out" ]] || fail "second aws s3 sync of an unchanged tree transferred files (LastModified/size wrong?): $out"
	rm -rf "$W/tree.down"
	a s3 sync --only-show-errors "s3://$B/tree" "$W/tree.down"
	diff -r "$W/tree" "$W/tree.down" || fail "tree synced down differs from the tree synced up"
	n=$(find "$W/tree" -type f | wc -l)
	[[ $(find "$W/tree.down" -type f | wc -l) -eq $n ]] || fail "sync down: file count differs"
	# A changed file is uploaded again, and only that file.
	printf 'changed!\n' >"$W/tree/a.txt"
	out=$(a s3 sync --no-progress "$W/tree" "s3://$B/tree")
	[[ $(grep -c '^upload:' <<<"$out") -eq 1 && "$out" == *"tree/a.txt"* ]] || fail "sync after changing a.txt: expected one upload of a.txt, got: $out"
	a s3 cp --only-show-errors "s3://$B/tree/a.txt" "$W/a.down"
	same_file "$W/tree/a.txt" "$W/a.down" "a.txt after re-sync"
}

t_ls() {
	ensure_bucket "$B"
	[[ -d "$W/tree" ]] || { make_tree "$W/tree"; a s3 sync --only-show-errors "$W/tree" "s3://$B/tree"; }
	local out n want
	out=$(a s3 ls)
	grep -qE " $B\$" <<<"$out" || fail "aws s3 ls (buckets) lacks $B: $out"
	out=$(a s3 ls "s3://$B/tree/")
	log "ls tree/:"$'\n'"$out"
	for p in "dir1/" "with space/" "ünï/" "special/"; do
		grep -qE "^ +PRE $p\$" <<<"$out" || fail "aws s3 ls s3://$B/tree/ lacks 'PRE $p': $out"
	done
	grep -qE ' a\.txt$' <<<"$out" || fail "aws s3 ls s3://$B/tree/ lacks a.txt: $out"
	[[ $(grep -c . <<<"$out") -eq 5 ]] || fail "aws s3 ls s3://$B/tree/: expected 4 prefixes and 1 object, got: $out"
	out=$(a s3 ls --recursive "s3://$B/tree/")
	n=$(grep -c . <<<"$out")
	want=$(find "$W/tree" -type f | wc -l)
	[[ "$n" -eq "$want" ]] || fail "aws s3 ls --recursive: $n keys, expected $want: $out"
	grep -qF 'tree/ünï/日本語 ファイル.txt' <<<"$out" || fail "recursive listing lacks the unicode key: $out"
	grep -qF 'tree/special/a+b=c&d%20e~f (1).txt' <<<"$out" || fail "recursive listing lacks the special-character key: $out"
	# Partial prefix: "tree/dir1/d" matches only the dir2/ prefix.
	out=$(a s3 ls "s3://$B/tree/dir1/d")
	[[ "$(sed -E 's/^ +//' <<<"$out")" == "PRE dir2/" ]] || fail "aws s3 ls s3://$B/tree/dir1/d: expected only 'PRE dir2/', got: $out"
	out=$(a s3 ls "s3://$B/tree/dir1/")
	grep -qE '^ +PRE dir2/$' <<<"$out" && grep -qE ' 51200 b\.bin$' <<<"$out" && grep -qE ' 0 empty$' <<<"$out" ||
		fail "aws s3 ls s3://$B/tree/dir1/: expected dir2/, b.bin (51200) and empty (0), got: $out"
}

t_put_meta() {
	ensure_bucket "$B2"
	printf 'hello tessera\n' >"$W/meta.txt"
	local etag md5 h
	etag=$(a s3api put-object --bucket "$B2" --key obj/meta.txt --body "$W/meta.txt" \
		--content-type 'text/x-tessera; charset=utf-8' --metadata color=blue,owner-name=e2e \
		--query ETag --output text)
	md5=$(md5sum "$W/meta.txt" | cut -d' ' -f1)
	[[ "$etag" == "\"$md5\"" ]] || fail "put-object ETag $etag, expected \"$md5\" (MD5 of the body)"
	h=$(a s3api head-object --bucket "$B2" --key obj/meta.txt)
	log "head-object: $h"
	check "$h" '.ContentType == "text/x-tessera; charset=utf-8"' "head-object ContentType"
	check "$h" '.Metadata == {"color":"blue","owner-name":"e2e"}' "head-object Metadata"
	check "$h" '.ContentLength == 14' "head-object ContentLength"
	check "$h" ".ETag == \"\\\"$md5\\\"\"" "head-object ETag"
	check "$h" '.LastModified | length > 0' "head-object LastModified"
}

t_put_std_headers() {
	ensure_bucket "$B2"
	printf 'x' >"$W/x.txt"
	a s3api put-object --bucket "$B2" --key obj/std.txt --body "$W/x.txt" \
		--cache-control 'max-age=60' --content-disposition 'attachment; filename="x.txt"' \
		--content-language en --content-encoding identity >/dev/null
	local h
	h=$(a s3api head-object --bucket "$B2" --key obj/std.txt)
	log "head-object: $h"
	check "$h" '.CacheControl == "max-age=60"' "head-object Cache-Control"
	check "$h" '.ContentDisposition == "attachment; filename=\"x.txt\""' "head-object Content-Disposition"
	check "$h" '.ContentLanguage == "en"' "head-object Content-Language"
	check "$h" '.ContentEncoding == "identity"' "head-object Content-Encoding"
}

t_range() {
	ensure_bucket "$B2"
	rand_file "$W/r.bin" 1000
	a s3api put-object --bucket "$B2" --key range.bin --body "$W/r.bin" >/dev/null
	local r
	r=$(a s3api get-object --bucket "$B2" --key range.bin --range bytes=100-199 "$W/r.part")
	check "$r" '.ContentRange == "bytes 100-199/1000"' "get-object --range bytes=100-199: Content-Range"
	check "$r" '.ContentLength == 100' "get-object --range bytes=100-199: Content-Length"
	cmp "$W/r.part" <(tail -c +101 "$W/r.bin" | head -c 100) || fail "bytes 100-199 differ from the uploaded bytes"
	r=$(a s3api get-object --bucket "$B2" --key range.bin --range bytes=-10 "$W/r.part")
	check "$r" '.ContentRange == "bytes 990-999/1000"' "get-object --range bytes=-10: Content-Range"
	cmp "$W/r.part" <(tail -c 10 "$W/r.bin") || fail "suffix range bytes=-10 differs"
	r=$(a s3api get-object --bucket "$B2" --key range.bin --range bytes=995- "$W/r.part")
	check "$r" '.ContentRange == "bytes 995-999/1000"' "get-object --range bytes=995-: Content-Range"
	cmp "$W/r.part" <(tail -c 5 "$W/r.bin") || fail "open range bytes=995- differs"
	expect_error InvalidRange s3api get-object --bucket "$B2" --key range.bin --range bytes=2000-3000 "$W/r.part"
	# A range of a sharded (not inline) object crossing an erasure block.
	rand_file "$W/r2.bin" $((3 * MiB + 17))
	a s3api put-object --bucket "$B2" --key range2.bin --body "$W/r2.bin" >/dev/null
	r=$(a s3api get-object --bucket "$B2" --key range2.bin --range bytes=1048000-2100000 "$W/r.part")
	check "$r" ".ContentRange == \"bytes 1048000-2100000/$((3 * MiB + 17))\"" "ranged GET across a block boundary: Content-Range"
	cmp "$W/r.part" <(tail -c +1048001 "$W/r2.bin" | head -c $((2100000 - 1048000 + 1))) || fail "ranged GET across a block boundary differs"
}

t_copy() {
	ensure_bucket "$B2"
	ensure_bucket "$B"
	printf 'copy me\n' >"$W/src.txt"
	a s3api put-object --bucket "$B2" --key "obj/sp ace+plus.txt" --body "$W/src.txt" \
		--content-type text/x-src --metadata origin=src >/dev/null
	local r h md5
	md5=$(md5sum "$W/src.txt" | cut -d' ' -f1)
	r=$(a s3api copy-object --bucket "$B2" --key obj/copy1.txt --copy-source "$B2/obj/sp ace+plus.txt")
	check "$r" ".CopyObjectResult.ETag == \"\\\"$md5\\\"\"" "copy-object result ETag"
	h=$(a s3api head-object --bucket "$B2" --key obj/copy1.txt)
	check "$h" '.ContentType == "text/x-src" and .Metadata == {"origin":"src"}' "copy-object (COPY directive) keeps content type and metadata"
	a s3api get-object --bucket "$B2" --key obj/copy1.txt "$W/copy1.down" >/dev/null
	same_file "$W/src.txt" "$W/copy1.down" "copied object bytes"
	a s3api copy-object --bucket "$B2" --key obj/copy2.txt --copy-source "$B2/obj/sp ace+plus.txt" \
		--metadata-directive REPLACE --metadata fresh=yes --content-type application/json >/dev/null
	h=$(a s3api head-object --bucket "$B2" --key obj/copy2.txt)
	check "$h" '.ContentType == "application/json" and .Metadata == {"fresh":"yes"}' "copy-object (REPLACE directive) replaces content type and metadata"
	# In-place metadata update (copy onto itself with REPLACE).
	a s3api copy-object --bucket "$B2" --key obj/copy1.txt --copy-source "$B2/obj/copy1.txt" \
		--metadata-directive REPLACE --metadata rev=2 >/dev/null
	h=$(a s3api head-object --bucket "$B2" --key obj/copy1.txt)
	check "$h" '.Metadata == {"rev":"2"}' "copy onto itself with REPLACE updates metadata"
	expect_error InvalidRequest s3api copy-object --bucket "$B2" --key obj/copy1.txt --copy-source "$B2/obj/copy1.txt"
	# Across buckets, a sharded object.
	rand_file "$W/csrc.bin" $((2 * MiB + 5))
	a s3api put-object --bucket "$B2" --key obj/big-src.bin --body "$W/csrc.bin" >/dev/null
	a s3api copy-object --bucket "$B" --key copied/big.bin --copy-source "$B2/obj/big-src.bin" >/dev/null
	a s3api get-object --bucket "$B" --key copied/big.bin "$W/csrc.down" >/dev/null
	same_file "$W/csrc.bin" "$W/csrc.down" "object copied across buckets"
	expect_error NoSuchKey s3api copy-object --bucket "$B2" --key obj/x --copy-source "$B2/obj/missing"
}

t_obj_tagging() {
	ensure_bucket "$B2"
	printf 't' >"$W/t.txt"
	a s3api put-object --bucket "$B2" --key tagged.txt --body "$W/t.txt" --tagging 'a=1&b=two' >/dev/null
	local g
	g=$(a s3api get-object-tagging --bucket "$B2" --key tagged.txt)
	check "$g" '(.TagSet | sort_by(.Key)) == [{"Key":"a","Value":"1"},{"Key":"b","Value":"two"}]' "tags given with put-object --tagging"
	a s3api put-object-tagging --bucket "$B2" --key tagged.txt \
		--tagging '{"TagSet":[{"Key":"env","Value":"test"},{"Key":"team","Value":"storage"}]}'
	g=$(a s3api get-object-tagging --bucket "$B2" --key tagged.txt)
	check "$g" '(.TagSet | sort_by(.Key)) == [{"Key":"env","Value":"test"},{"Key":"team","Value":"storage"}]' "get-object-tagging after put-object-tagging"
	a s3api delete-object-tagging --bucket "$B2" --key tagged.txt
	g=$(a s3api get-object-tagging --bucket "$B2" --key tagged.txt)
	check "$g" '(.TagSet // []) == []' "get-object-tagging after delete-object-tagging"
	expect_error NoSuchKey s3api get-object-tagging --bucket "$B2" --key no-such-key
}

t_bucket_tagging() {
	ensure_bucket "$B2"
	a s3api put-bucket-tagging --bucket "$B2" --tagging 'TagSet=[{Key=project,Value=tessera},{Key=cost,Value=42}]'
	local g
	g=$(a s3api get-bucket-tagging --bucket "$B2")
	check "$g" '(.TagSet | sort_by(.Key)) == [{"Key":"cost","Value":"42"},{"Key":"project","Value":"tessera"}]' "get-bucket-tagging after put-bucket-tagging"
	a s3api delete-bucket-tagging --bucket "$B2"
	expect_error NoSuchTagSet s3api get-bucket-tagging --bucket "$B2"
}

list_setup() {
	ensure_bucket "$B3"
	local d=$W/listtree i
	rm -rf "$d"
	mkdir -p "$d/p" "$d/d/x" "$d/d/y"
	for i in $(seq -w 0 24); do printf '%s' "$i" >"$d/p/k$i"; done
	printf 1 >"$d/d/x/1"
	printf 2 >"$d/d/y/2"
	printf z >"$d/d/z.txt"
	a s3 cp --recursive --only-show-errors "$d" "s3://$B3/"
}

t_list_v2() {
	list_setup
	local want got r tok pages
	want=$(for i in $(seq -w 0 24); do echo "p/k$i"; done | jq -R . | jq -sc .)
	got=$(a s3api list-objects-v2 --bucket "$B3" --prefix p/ --page-size 7 --query 'Contents[].Key' --output json | jq -c .)
	[[ "$got" == "$want" ]] || fail "list-objects-v2 --page-size 7: got $got, want $want"
	# --max-items pagination with starting tokens.
	got='[]'
	tok=
	pages=0
	while :; do
		if [[ -z "$tok" ]]; then
			r=$(a s3api list-objects-v2 --bucket "$B3" --prefix p/ --max-items 10 --page-size 4)
		else
			r=$(a s3api list-objects-v2 --bucket "$B3" --prefix p/ --max-items 10 --page-size 4 --starting-token "$tok")
		fi
		pages=$((pages + 1))
		((pages <= 5)) || fail "--max-items pagination does not end"
		got=$(jq -c --argjson acc "$got" '$acc + [.Contents[].Key]' <<<"$r")
		tok=$(jq -r '.NextToken // empty' <<<"$r")
		[[ -n "$tok" ]] || break
	done
	[[ "$got" == "$want" && $pages -eq 3 ]] || fail "--max-items 10 pagination: $pages pages, keys $got"
	# One raw page: IsTruncated, KeyCount, NextContinuationToken.
	r=$(a s3api list-objects-v2 --bucket "$B3" --prefix p/ --max-keys 5 --no-paginate)
	check "$r" '.IsTruncated == true and .KeyCount == 5 and (.Contents | length) == 5 and (.NextContinuationToken | length) > 0' "list-objects-v2 --max-keys 5 first page"
	check "$r" '[.Contents[].Key] == ["p/k00","p/k01","p/k02","p/k03","p/k04"]' "list-objects-v2 --max-keys 5 first page keys"
	tok=$(jq -r .NextContinuationToken <<<"$r")
	r=$(a s3api list-objects-v2 --bucket "$B3" --prefix p/ --max-keys 5 --no-paginate --continuation-token "$tok")
	check "$r" '[.Contents[].Key] == ["p/k05","p/k06","p/k07","p/k08","p/k09"]' "list-objects-v2 continuation page keys"
	r=$(a s3api list-objects-v2 --bucket "$B3" --prefix p/ --start-after p/k20)
	check "$r" '[.Contents[].Key] == ["p/k21","p/k22","p/k23","p/k24"]' "list-objects-v2 --start-after"
	check "$r" '.Contents[0].Size == 2 and (.Contents[0].ETag | length) == 34 and (.Contents[0].LastModified | length) > 0' "list-objects-v2 entry fields (Size, ETag, LastModified)"
	# Delimiters.
	r=$(a s3api list-objects-v2 --bucket "$B3" --prefix d/ --delimiter /)
	check "$r" '[.CommonPrefixes[].Prefix] == ["d/x/","d/y/"] and [.Contents[].Key] == ["d/z.txt"]' "list-objects-v2 --prefix d/ --delimiter /"
	r=$(a s3api list-objects-v2 --bucket "$B3" --delimiter /)
	check "$r" '[.CommonPrefixes[].Prefix] == ["d/","p/"] and ((.Contents // []) | length) == 0' "list-objects-v2 --delimiter / at the top"
	r=$(a s3api list-objects-v2 --bucket "$B3" --delimiter / --max-keys 1 --no-paginate)
	check "$r" '.IsTruncated == true and [.CommonPrefixes[].Prefix] == ["d/"]' "list-objects-v2 --delimiter / --max-keys 1 (a common prefix counts as a key)"
	# ListObjects (v1) with markers.
	r=$(a s3api list-objects --bucket "$B3" --prefix p/ --max-keys 10 --no-paginate)
	check "$r" '.IsTruncated == true and (.Contents | length) == 10' "list-objects (v1) --max-keys 10"
	r=$(a s3api list-objects --bucket "$B3" --prefix p/ --marker p/k19 --no-paginate)
	check "$r" '[.Contents[].Key] == ["p/k20","p/k21","p/k22","p/k23","p/k24"]' "list-objects (v1) --marker"
	got=$(a s3api list-objects --bucket "$B3" --prefix p/ --page-size 6 --query 'Contents[].Key' --output json | jq -c .)
	[[ "$got" == "$want" ]] || fail "list-objects (v1) --page-size 6: got $got"
}

t_delete_objects() {
	ensure_bucket "$B3"
	a s3api head-object --bucket "$B3" --key p/k00 >/dev/null 2>&1 || list_setup
	local objs r
	objs=$(for i in $(seq 0 9); do printf 'p/k%02d\n' "$i"; done | jq -R '{Key: .}' | jq -sc '. + [{"Key":"p/does-not-exist"}]')
	r=$(a s3api delete-objects --bucket "$B3" --delete "{\"Objects\":$objs,\"Quiet\":false}")
	check "$r" '(.Deleted | length) == 11 and ((.Errors // []) | length) == 0' "delete-objects of 10 keys and a missing one (missing keys count as deleted)"
	r=$(a s3api list-objects-v2 --bucket "$B3" --prefix p/ --query 'Contents[].Key' --output json)
	check "$r" 'length == 15 and .[0] == "p/k10"' "listing after delete-objects"
	r=$(a s3api delete-objects --bucket "$B3" --delete '{"Objects":[{"Key":"p/k10"},{"Key":"p/k11"}],"Quiet":true}')
	[[ -n "$r" ]] || r='{}'
	check "$r" '((.Deleted // []) | length) == 0 and ((.Errors // []) | length) == 0' "delete-objects Quiet=true reports nothing"
	expect_error 404 s3api head-object --bucket "$B3" --key p/k11
}

t_multipart() {
	ensure_bucket "$B4"
	local key=mpu/obj.bin uid e1 e2 r want h
	uid=$(a s3api create-multipart-upload --bucket "$B4" --key "$key" --content-type application/x-test \
		--metadata stage=mpu --query UploadId --output text)
	[[ -n "$uid" && "$uid" != None ]] || fail "create-multipart-upload returned no UploadId"
	rand_file "$W/p1" $((5 * MiB))
	rand_file "$W/p2" $((1 * MiB + 7))
	e1=$(a s3api upload-part --bucket "$B4" --key "$key" --upload-id "$uid" --part-number 1 --body "$W/p1" --query ETag --output text)
	e2=$(a s3api upload-part --bucket "$B4" --key "$key" --upload-id "$uid" --part-number 2 --body "$W/p2" --query ETag --output text)
	[[ "$e1" == "\"$(md5sum "$W/p1" | cut -d' ' -f1)\"" ]] || fail "upload-part 1 ETag $e1 is not the part's MD5"
	r=$(a s3api list-parts --bucket "$B4" --key "$key" --upload-id "$uid")
	check "$r" "[.Parts[].PartNumber] == [1,2] and [.Parts[].Size] == [$((5 * MiB)),$((MiB + 7))]" "list-parts part numbers and sizes"
	check "$r" "[.Parts[].ETag] == [$(jq -Rn --arg e "$e1" '$e'),$(jq -Rn --arg e "$e2" '$e')]" "list-parts ETags"
	r=$(a s3api list-multipart-uploads --bucket "$B4")
	check "$r" "[.Uploads[] | select(.UploadId == \"$uid\" and .Key == \"$key\")] | length == 1" "list-multipart-uploads shows the open upload"
	r=$(a s3api complete-multipart-upload --bucket "$B4" --key "$key" --upload-id "$uid" \
		--multipart-upload "$(jq -nc --arg e1 "$e1" --arg e2 "$e2" '{Parts:[{ETag:$e1,PartNumber:1},{ETag:$e2,PartNumber:2}]}')")
	cat "$W/p1" "$W/p2" >"$W/mpu.whole"
	want=$("$PY" - "$W/p1" "$W/p2" <<'PYEOF'
import hashlib, sys
d = b"".join(hashlib.md5(open(p, "rb").read()).digest() for p in sys.argv[1:])
print('"%s-%d"' % (hashlib.md5(d).hexdigest(), len(sys.argv) - 1))
PYEOF
)
	check "$r" ".ETag == $(jq -Rn --arg e "$want" '$e')" "complete-multipart-upload ETag"
	a s3api get-object --bucket "$B4" --key "$key" "$W/mpu.down" >/dev/null
	same_file "$W/mpu.whole" "$W/mpu.down" "completed multipart object"
	h=$(a s3api head-object --bucket "$B4" --key "$key")
	check "$h" ".ContentLength == $((6 * MiB + 7)) and .ContentType == \"application/x-test\" and .Metadata == {\"stage\":\"mpu\"}" "head of the completed multipart object"
	r=$(a s3api list-multipart-uploads --bucket "$B4")
	check "$r" "[(.Uploads // [])[] | select(.UploadId == \"$uid\")] | length == 0" "completed upload gone from list-multipart-uploads"
}

t_part_number_get() {
	ensure_bucket "$B4"
	[[ -f "$W/p2" ]] && a s3api head-object --bucket "$B4" --key mpu/obj.bin >/dev/null || t_multipart
	local r
	r=$(a s3api get-object --bucket "$B4" --key mpu/obj.bin --part-number 2 "$W/part2.down")
	check "$r" '.PartsCount == 2' "get-object --part-number 2: x-amz-mp-parts-count"
	same_file "$W/p2" "$W/part2.down" "get-object --part-number 2"
}

t_multipart_abort() {
	ensure_bucket "$B4"
	local key=mpu/aborted.bin uid r
	uid=$(a s3api create-multipart-upload --bucket "$B4" --key "$key" --query UploadId --output text)
	rand_file "$W/pa" $((1 * MiB))
	a s3api upload-part --bucket "$B4" --key "$key" --upload-id "$uid" --part-number 1 --body "$W/pa" >/dev/null
	r=$(a s3api list-multipart-uploads --bucket "$B4" --prefix mpu/aborted)
	check "$r" "[.Uploads[] | select(.UploadId == \"$uid\")] | length == 1" "list-multipart-uploads --prefix shows the upload"
	a s3api abort-multipart-upload --bucket "$B4" --key "$key" --upload-id "$uid"
	r=$(a s3api list-multipart-uploads --bucket "$B4")
	[[ -n "$r" ]] || r='{}'
	check "$r" "[(.Uploads // [])[] | select(.UploadId == \"$uid\")] | length == 0" "aborted upload gone from list-multipart-uploads"
	expect_error NoSuchUpload s3api list-parts --bucket "$B4" --key "$key" --upload-id "$uid"
	expect_error 404 s3api head-object --bucket "$B4" --key "$key"
}

t_upload_part_after_abort() {
	ensure_bucket "$B4"
	local key=mpu/aborted2.bin uid
	uid=$(a s3api create-multipart-upload --bucket "$B4" --key "$key" --query UploadId --output text)
	a s3api abort-multipart-upload --bucket "$B4" --key "$key" --upload-id "$uid"
	rand_file "$W/pa" $((1 * MiB))
	# A 1 MiB body: the CLI sends "Expect: 100-continue".
	expect_error NoSuchUpload s3api upload-part --bucket "$B4" --key "$key" --upload-id "$uid" --part-number 2 --body "$W/pa"
}

t_multipart_bad_complete() {
	ensure_bucket "$B4"
	local key=mpu/bad-complete uid e1 e2 e3 e4 r
	rand_file "$W/q1" $((5 * MiB))
	rand_file "$W/q2" $((5 * MiB))
	rand_file "$W/q3" $((1 * MiB))
	rand_file "$W/q4" $((1 * MiB))
	uid=$(a s3api create-multipart-upload --bucket "$B4" --key "$key" --query UploadId --output text)
	up() { a s3api upload-part --bucket "$B4" --key "$key" --upload-id "$uid" --part-number "$1" --body "$2" --query ETag --output text; }
	e1=$(up 1 "$W/q1")
	e2=$(up 2 "$W/q2")
	e3=$(up 3 "$W/q3")
	e4=$(up 4 "$W/q4")
	parts() { # PARTNUMBER=ETAG...
		local p
		for p in "$@"; do jq -nc --arg n "${p%%=*}" --arg e "${p#*=}" '{PartNumber: ($n | tonumber), ETag: $e}'; done | jq -sc '{Parts: .}'
	}
	expect_error InvalidPart s3api complete-multipart-upload --bucket "$B4" --key "$key" --upload-id "$uid" \
		--multipart-upload "$(parts '1="00000000000000000000000000000000"' "2=$e2")"
	expect_error InvalidPart s3api complete-multipart-upload --bucket "$B4" --key "$key" --upload-id "$uid" \
		--multipart-upload "$(parts "1=$e1" "5=$e2")"
	expect_error InvalidPartOrder s3api complete-multipart-upload --bucket "$B4" --key "$key" --upload-id "$uid" \
		--multipart-upload "$(parts "2=$e2" "1=$e1")"
	expect_error EntityTooSmall s3api complete-multipart-upload --bucket "$B4" --key "$key" --upload-id "$uid" \
		--multipart-upload "$(parts "1=$e1" "3=$e3" "4=$e4")"
	# The failed attempts leave the upload usable: complete with a subset (1, 2, 4).
	r=$(a s3api complete-multipart-upload --bucket "$B4" --key "$key" --upload-id "$uid" \
		--multipart-upload "$(parts "1=$e1" "2=$e2" "4=$e4")")
	check "$r" '.ETag | endswith("-3\"")' "ETag of a completion with parts 1, 2 and 4"
	cat "$W/q1" "$W/q2" "$W/q4" >"$W/q.whole"
	a s3api get-object --bucket "$B4" --key "$key" "$W/q.down" >/dev/null
	same_file "$W/q.whole" "$W/q.down" "object completed from parts 1, 2 and 4 (part 3 left out)"
}

t_location() {
	ensure_bucket "$B2"
	local r
	r=$(a s3api get-bucket-location --bucket "$B2")
	check "$r" '.LocationConstraint == null or .LocationConstraint == "" or .LocationConstraint == "us-east-1"' "get-bucket-location (us-east-1)"
	expect_error NoSuchBucket s3api get-bucket-location --bucket "$BUCKET_PREFIX-nope"
}

t_head_bucket() {
	ensure_bucket "$B2"
	a s3api head-bucket --bucket "$B2"
	expect_error 404 s3api head-bucket --bucket "$BUCKET_PREFIX-nope"
}

t_errors() {
	ensure_bucket "$B2"
	printf 'x' >"$W/e.txt"
	a s3api put-object --bucket "$B2" --key keep.txt --body "$W/e.txt" >/dev/null
	expect_error NoSuchKey s3api get-object --bucket "$B2" --key no/such/key "$W/nothing"
	expect_error 404 s3api head-object --bucket "$B2" --key no/such/key
	expect_error NoSuchBucket s3api get-object --bucket "$BUCKET_PREFIX-nope" --key k "$W/nothing"
	expect_error NoSuchBucket s3api list-objects-v2 --bucket "$BUCKET_PREFIX-nope"
	expect_error BucketNotEmpty s3api delete-bucket --bucket "$B2"
	expect_error BucketNotEmpty s3 rb "s3://$B2"
	expect_error InvalidBucketName s3api create-bucket --bucket Bad_Bucket_Name
	expect_error InvalidBucketName s3api create-bucket --bucket ab
	expect_error InvalidBucketName s3api create-bucket --bucket "$BUCKET_PREFIX-..dots"
	expect_error NoSuchBucket s3api delete-bucket --bucket "$BUCKET_PREFIX-nope"
	# Credentials.
	AWS_SECRET_ACCESS_KEY="${SK}wrong" expect_error SignatureDoesNotMatch s3api list-objects-v2 --bucket "$B2"
	AWS_ACCESS_KEY_ID=AKNOSUCHKEY000 expect_error InvalidAccessKeyId s3api list-objects-v2 --bucket "$B2"
	local code
	code=$(curl -s -o "$W/anon.xml" -w '%{http_code}' -m 10 "$ENDPOINT/$B2/keep.txt")
	[[ "$code" == 403 ]] && grep -q AccessDenied "$W/anon.xml" || fail "anonymous GET of a private object: HTTP $code, body $(cat "$W/anon.xml"), expected 403 AccessDenied"
}

t_presign() {
	ensure_bucket "$B2"
	rand_file "$W/ps.bin" 4321
	a s3 cp --only-show-errors "$W/ps.bin" "s3://$B2/presign/p s.bin"
	local url code
	url=$(a s3 presign "s3://$B2/presign/p s.bin" --expires-in 300)
	[[ "$url" == *X-Amz-Signature=* ]] || fail "aws s3 presign did not produce a SigV4 URL: $url"
	code=$(curl -s -o "$W/ps.down" -w '%{http_code}' -m 30 "$url")
	[[ "$code" == 200 ]] || fail "curl GET of the presigned URL: HTTP $code: $(head -c 500 "$W/ps.down")"
	same_file "$W/ps.bin" "$W/ps.down" "object fetched with a presigned URL"
	# Tampered signature.
	local last=${url: -1} other=0
	[[ "$last" != 0 ]] || other=1
	code=$(curl -s -o "$W/ps.err" -w '%{http_code}' -m 30 "${url%?}$other")
	[[ "$code" == 403 ]] || fail "presigned URL with a changed signature: HTTP $code, expected 403"
	url=$(a s3 presign "s3://$B2/presign/p s.bin" --expires-in 1)
	sleep 2.5 # the URL expires 1 s after it was signed
	code=$(curl -s -o "$W/ps.err" -w '%{http_code}' -m 30 "$url")
	[[ "$code" == 403 ]] || fail "expired presigned URL: HTTP $code, expected 403: $(head -c 500 "$W/ps.err")"
	grep -q AccessDenied "$W/ps.err" || fail "expired presigned URL: body lacks AccessDenied: $(head -c 500 "$W/ps.err")"
}

t_rm_recursive() {
	ensure_bucket "$B"
	[[ -d "$W/tree" ]] || make_tree "$W/tree"
	a s3 sync --only-show-errors "$W/tree" "s3://$B/tree"
	a s3 rm --recursive --only-show-errors "s3://$B/tree"
	local out
	out=$(a s3 ls --recursive "s3://$B/tree/" || true)
	[[ -z "$out" ]] || fail "objects left under tree/ after aws s3 rm --recursive: $out"
	# Objects outside the prefix stay.
	a s3api head-object --bucket "$B" --key small.bin >/dev/null || fail "aws s3 rm --recursive s3://$B/tree removed small.bin outside tree/"
}

t_rb() {
	ensure_bucket "$B"
	a s3 rm --recursive --only-show-errors "s3://$B"
	a s3 rb "s3://$B"
	expect_error 404 s3api head-bucket --bucket "$B"
	a s3 ls | grep -qE " $B\$" && fail "aws s3 ls still lists $B after rb" || true
	# rb --force removes the objects first.
	ensure_bucket "$B3"
	a s3 rb --force "s3://$B3" >/dev/null
	expect_error 404 s3api head-bucket --bucket "$B3"
}

echo "awscli: $("$AWS" --version 2>&1)"
step "s3 mb, head-bucket, s3 ls buckets" t_mb
step "s3 cp small and empty objects up and down" t_cp_small
step "s3 cp 20 MiB (multipart, 8 MiB parts) + ETag" t_cp_big
step "s3 cp from stdin (multipart) / to stdout" t_cp_stream
step "s3 sync tree up/back (nested, spaces, unicode)" t_sync
step "s3 ls (buckets, prefixes, --recursive)" t_ls
step "s3api put-object metadata/content-type, head" t_put_meta
step "s3api put/head Cache-Control etc." t_put_std_headers
step "s3api get-object --range" t_range
step "s3api copy-object COPY/REPLACE/cross-bucket" t_copy
step "s3api object tagging put/get/delete" t_obj_tagging
step "s3api bucket tagging put/get/delete" t_bucket_tagging
step "s3api list-objects-v2/v1 pagination, delimiter" t_list_v2
step "s3api delete-objects batch" t_delete_objects
step "s3api multipart create/upload/list/complete" t_multipart
step "s3api get-object --part-number" t_part_number_get
step "s3api multipart abort, then NoSuchUpload" t_multipart_abort
step "s3api upload-part (1 MiB) to an aborted upload" t_upload_part_after_abort
step "s3api complete: InvalidPart(Order), EntityTooSmall" t_multipart_bad_complete
step "s3api get-bucket-location" t_location
step "s3api head-bucket" t_head_bucket
step "error cases (NoSuchKey, BucketNotEmpty, ...)" t_errors
step "s3 presign + curl, expired URL refused" t_presign
step "s3 rm --recursive" t_rm_recursive
step "s3 rb, s3 rb --force" t_rb

# Best-effort cleanup of whatever a failed step left behind.
for b in "$B" "$B2" "$B3" "$B4"; do a s3 rb --force "s3://$b" >/dev/null 2>&1 || true; done
finish
