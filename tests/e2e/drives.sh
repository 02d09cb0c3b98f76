#!/usr/bin/env bash
# Fault test: drive damage on a 4-drive (2 data + 2 parity) server of its own.
# Objects of several sizes (inline, small, 5+ MiB, multipart) are written;
# then the largest files of drive1 get bytes flipped in their middle (bitrot)
# and drive2 is deleted entirely (rm -rf DATA/drives/drive2), with the server
# running. Every object must still read back byte-exact (whole and ranged),
# again after a second read, and again after a restart with the damage.
set -euo pipefail
SCRIPT_NAME=drives.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"
need_env AK SK BUCKET_PREFIX RESULTS SCRATCH TESSERA_BIN

own_instance drives

# corrupt DIR N: flip 64 bytes in the middle of the N largest regular files.
corrupt() {
	"$PY" - "$1" "$2" <<'PYEOF'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
files = []
for d, _, names in os.walk(root):
    for name in names:
        p = os.path.join(d, name)
        if os.path.isfile(p) and not os.path.islink(p):
            files.append((os.path.getsize(p), p))
files.sort(reverse=True)
done = 0
for size, p in files[:n]:
    if size < 2:
        continue
    off = size // 2
    ln = min(64, size - off)
    with open(p, "r+b") as f:
        f.seek(off)
        b = f.read(ln)
        f.seek(off)
        f.write(bytes(x ^ 0xFF for x in b))
        f.flush()
        os.fsync(f.fileno())
    done += 1
    print(f"corrupted {ln} bytes at offset {off} of {os.path.relpath(p, root)} ({size} bytes)")
if done == 0:
    sys.exit(f"no file to corrupt under {root}")
PYEOF
}

t_damage_while_running() {
	trap kill_started EXIT
	start
	[[ -d "$DATA/drives/drive1" && -d "$DATA/drives/drive2" ]] ||
		fail "expected drive folders $DATA/drives/drive1..4, found: $(ls "$DATA/drives" 2>&1)"
	a s3 mb "s3://$B" >/dev/null
	"$PY" "$TOOL" put-set "$B"
	"$PY" "$TOOL" verify-set "$B" || fail "objects wrong before any damage"
	log "drive sizes before the damage: $(du -sh "$DATA"/drives/drive* | tr '\n' ' ')"
	# The 8 largest files of drive1: the shards of the 5+ MiB and multipart objects.
	corrupt "$DATA/drives/drive1" 8
	rm -rf "$DATA/drives/drive2"
	log "drive1 corrupted, drive2 removed; reading every object"
	"$PY" "$TOOL" verify-set "$B" || fail "GET after corrupting drive1 and deleting drive2 (server running): not byte-exact"
	"$PY" "$TOOL" verify-set "$B" || fail "second GET after the damage: not byte-exact"
	# Listing and HEAD still work.
	local n
	n=$(a s3api list-objects-v2 --bucket "$B" --query 'length(Contents)' --output text)
	[[ "$n" == 8 ]] || fail "list-objects-v2 after the damage: $n objects, expected 8"
	stop_ok "after reading with damaged drives"
}

t_damage_after_restart() {
	trap kill_started EXIT
	[[ -d "$DATA/drives/drive1" ]] || fail "no data from the previous step"
	# Make sure drive2 is gone at startup too, and drive1 still corrupt.
	rm -rf "$DATA/drives/drive2"
	start
	"$PY" "$TOOL" verify-set "$B" || fail "GET after a restart with drive1 corrupted and drive2 missing: not byte-exact"
	# Writes still work with 3 drives (write quorum 3 of 2+2) and read back.
	rand_file "$W/new.bin" $((3 * 1024 * 1024 + 11))
	a s3 cp --only-show-errors "$W/new.bin" "s3://$B/after/new.bin"
	a s3 cp --only-show-errors "s3://$B/after/new.bin" "$W/new.down"
	same_file "$W/new.bin" "$W/new.down" "object written after the damage"
	stop_ok "after the restart check"
}

log "own server on 127.0.0.1:$PORT (cluster port $CPORT), data in $DATA"
step "drive1 bitrot + drive2 deleted while running: GETs exact" t_damage_while_running
step "restart with the damaged drives: GETs exact, PUT works" t_damage_after_restart
if [[ "$STEPS_FAILED" -gt 0 ]]; then
	echo "---- drives.sh server log (last 30 lines) ----"
	tail -n 30 "$LOG" || true
fi
finish
