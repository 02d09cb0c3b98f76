#!/usr/bin/python3
"""Client side of the fault scripts (crash.sh, drives.sh), run with /usr/bin/python3.

Every object's bytes are a pure function of its key (content(key)), so a
reader can check any object it finds without having kept a copy.

  fault_tool.py write BUCKET ACKED_FILE [--seconds N]
      Writers in 4 threads (single PUTs of mixed sizes) and 1 thread
      (multipart uploads of 11 MiB); after each acknowledged write the key is
      appended to ACKED_FILE. Each thread stops at its first error (the
      server is killed under it) or after N seconds.
  fault_tool.py verify BUCKET ACKED_FILE
      Every acknowledged key is readable and byte-exact, every listed key is
      readable, byte-exact and of the listed size.
  fault_tool.py slow-put BUCKET KEY SIZE MARKER RESULT
      PUT SIZE bytes through a presigned URL at a bounded pace; touch MARKER
      when a third is sent; write "status=<code>" or "error=<text>" to RESULT.
  fault_tool.py check-absent-or-intact BUCKET KEY SIZE RESULT
      The object is either absent or exactly content(KEY) of SIZE bytes; if
      RESULT says status=200, it must be present.
  fault_tool.py put-set BUCKET / verify-set BUCKET
      The fixed object set of drives.sh (inline, small, 5+ MiB, multipart).

Environment: ENDPOINT, AK, SK.
"""

import hashlib
import http.client
import os
import random
import sys
import threading
import time
import urllib.parse

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

MiB = 1024 * 1024


def client(timeout=30):
    return boto3.session.Session().client(
        "s3",
        endpoint_url=os.environ["ENDPOINT"],
        aws_access_key_id=os.environ["AK"],
        aws_secret_access_key=os.environ["SK"],
        config=Config(
            region_name="us-east-1",
            signature_version="s3v4",
            retries={"total_max_attempts": 1},
            connect_timeout=5,
            read_timeout=timeout,
            max_pool_connections=16,
        ),
    )


def size_for(key):
    """Mixed sizes: inline, around the inline threshold, and sharded."""
    if key.startswith("mpu/"):
        return 11 * MiB + 123
    sizes = [1, 100, 4 * 1024, 60 * 1024, 130 * 1024, 300 * 1024, 1 * MiB + 7, 3 * MiB + 5]
    h = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big")
    return sizes[h % len(sizes)]


def content(key, size=None):
    if size is None:
        size = size_for(key)
    seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    return random.Random(seed).randbytes(size)


def describe(data, want):
    if len(data) != len(want):
        return f"{len(data)} bytes, expected {len(want)}"
    first = next(i for i in range(len(data)) if data[i] != want[i])
    return f"same size ({len(data)}) but bytes differ from offset {first}"


# --- write --------------------------------------------------------------


def cmd_write(bucket, acked_path, seconds=60.0):
    s3 = client()
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    counts = {}
    errors = {}
    acked = open(acked_path, "a", buffering=1)

    def ack(key):
        with lock:
            acked.write(key + "\n")
            acked.flush()

    def single(tid):
        i = 0
        while time.monotonic() < stop_at:
            key = f"obj/{tid}-{i:06d}"
            try:
                s3.put_object(Bucket=bucket, Key=key, Body=content(key))
            except Exception as e:
                errors[tid] = f"{key}: {e!r}"[:300]
                return
            ack(key)
            counts[tid] = i = i + 1

    def multipart(tid):
        i = 0
        while time.monotonic() < stop_at:
            key = f"mpu/{i:05d}"
            data = content(key)
            try:
                uid = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
                parts = []
                for n, off in enumerate(range(0, len(data), 5 * MiB), start=1):
                    etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=n, Body=data[off : off + 5 * MiB])["ETag"]
                    parts.append({"ETag": etag, "PartNumber": n})
                s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=uid, MultipartUpload={"Parts": parts})
            except Exception as e:
                errors[tid] = f"{key}: {e!r}"[:300]
                return
            ack(key)
            counts[tid] = i = i + 1

    threads = [threading.Thread(target=single, args=(f"t{t}",)) for t in range(4)]
    threads.append(threading.Thread(target=multipart, args=("mpu",)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    acked.close()
    print(f"writer: acknowledged {sum(counts.values())} objects {dict(sorted(counts.items()))}")
    for tid, e in sorted(errors.items()):
        print(f"writer: thread {tid} stopped on: {e}")


# --- verify -------------------------------------------------------------


def read_all(s3, bucket, key):
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def cmd_verify(bucket, acked_path):
    s3 = client(timeout=60)
    with open(acked_path) as f:
        acked = [line.strip() for line in f if line.strip()]
    listed = {}
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for o in page.get("Contents", []):
                listed[o["Key"]] = o["Size"]
    except ClientError as e:
        sys.exit(f"verify: listing bucket {bucket} after the restart failed: {e}")
    problems = []
    for key in acked:
        try:
            data = read_all(s3, bucket, key)
        except ClientError as e:
            problems.append(f"acknowledged {key}: GET failed: {e}")
            continue
        if data != content(key):
            problems.append(f"acknowledged {key}: {describe(data, content(key))}")
        if key not in listed:
            problems.append(f"acknowledged {key}: readable but not listed")
    extra = sorted(set(listed) - set(acked))
    for key in sorted(listed):
        if key in acked:
            want = content(key)
            if listed[key] != len(want):
                problems.append(f"listed {key}: listed size {listed[key]}, expected {len(want)}")
            continue
        # Listed but never acknowledged: a write in flight at the crash. It
        # may exist, but only complete.
        try:
            data = read_all(s3, bucket, key)
        except ClientError as e:
            problems.append(f"listed (in flight at the crash) {key}: listed but GET failed: {e}")
            continue
        want = content(key)
        if data != want:
            problems.append(f"listed (in flight at the crash) {key}: partial/garbled: {describe(data, want)}")
        elif listed[key] != len(want):
            problems.append(f"listed (in flight at the crash) {key}: listed size {listed[key]}, expected {len(want)}")
    print(f"verify: {len(acked)} acknowledged, {len(listed)} listed, {len(extra)} listed but unacknowledged (complete in-flight writes: {extra[:10]})")
    # The store still takes writes.
    s3.put_object(Bucket=bucket, Key="after/restart", Body=b"after restart")
    if read_all(s3, bucket, "after/restart") != b"after restart":
        problems.append("write after restart does not read back")
    for p in problems[:30]:
        print("PROBLEM:", p)
    if problems:
        sys.exit(f"verify: {len(problems)} problems")
    print("verify: ok")


# --- graceful shutdown --------------------------------------------------


def cmd_slow_put(bucket, key, size, marker, result):
    size = int(size)
    data = content(key, size)
    url = client().generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=600)
    u = urllib.parse.urlsplit(url)
    out = "error=not started"
    try:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        conn.putrequest("PUT", u.path + "?" + u.query, skip_accept_encoding=True)
        conn.putheader("Content-Length", str(size))
        conn.endheaders()
        chunk = 256 * 1024
        for off in range(0, size, chunk):
            conn.send(data[off : off + chunk])
            if off < size // 3 <= off + chunk:
                open(marker, "w").close()
            time.sleep(0.01)  # about 25 MiB/s: the upload spans the SIGTERM
        resp = conn.getresponse()
        body = resp.read()
        out = f"status={resp.status}"
        if resp.status != 200:
            out += " body=" + body[:300].decode(errors="replace").replace("\n", " ")
    except Exception as e:
        out = f"error={e!r}"
    finally:
        if not os.path.exists(marker):
            open(marker, "w").close()
    with open(result, "w") as f:
        f.write(out + "\n")
    print("slow-put:", out)


def cmd_check_absent_or_intact(bucket, key, size, result):
    size = int(size)
    s3 = client(timeout=60)
    with open(result) as f:
        res = f.read().strip()
    try:
        data = read_all(s3, bucket, key)
    except ClientError as e:
        if e.response["Error"]["Code"] not in ("NoSuchKey", "404"):
            sys.exit(f"GET {key}: unexpected error {e}")
        if res.startswith("status=200"):
            sys.exit(f"the upload was acknowledged ({res}) but {key} is absent after the restart")
        print(f"{key} absent (upload result: {res}): ok")
        return
    want = content(key, size)
    if data != want:
        sys.exit(f"{key} is PARTIAL after SIGTERM during its upload: {describe(data, want)} (upload result: {res})")
    listed = [o for o in s3.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", []) if o["Key"] == key]
    if not listed or listed[0]["Size"] != size:
        sys.exit(f"{key} readable but listed as {listed}")
    print(f"{key} intact, {size} bytes (upload result: {res}): ok")


# --- drives.sh object set -----------------------------------------------

SET = {
    "set/tiny": 10,
    "set/inline-100k": 100 * 1024,
    "set/small-200k": 200 * 1024 + 1,
    "set/medium-1m": 1 * MiB + 333,
    "set/large-5m": 5 * MiB + 3,
    "set/large-6m": 6 * MiB,
    "set/large-9m": 9 * MiB + 77,
    "set/multipart-12m": 12 * MiB + 5,
}


def cmd_put_set(bucket):
    s3 = client(timeout=60)
    for key, size in SET.items():
        data = content(key, size)
        if key.startswith("set/multipart"):
            uid = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
            parts = []
            for n, off in enumerate(range(0, size, 5 * MiB), start=1):
                etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=n, Body=data[off : off + 5 * MiB])["ETag"]
                parts.append({"ETag": etag, "PartNumber": n})
            s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=uid, MultipartUpload={"Parts": parts})
        else:
            s3.put_object(Bucket=bucket, Key=key, Body=data)
    print(f"put-set: {len(SET)} objects")


def cmd_verify_set(bucket):
    s3 = client(timeout=60)
    problems = []
    for key, size in SET.items():
        want = content(key, size)
        try:
            data = read_all(s3, bucket, key)
        except ClientError as e:
            problems.append(f"{key}: GET failed: {e}")
            continue
        except Exception as e:
            problems.append(f"{key}: GET failed: {e!r}")
            continue
        if data != want:
            problems.append(f"{key}: {describe(data, want)}")
        # A ranged read in the middle (decode path for ranges).
        if size > 2 * MiB:
            lo, hi = size // 2 - 1000, size // 2 + MiB
            try:
                part = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={lo}-{hi}")["Body"].read()
                if part != want[lo : hi + 1]:
                    problems.append(f"{key} range {lo}-{hi}: {describe(part, want[lo:hi + 1])}")
            except Exception as e:
                problems.append(f"{key} range {lo}-{hi}: GET failed: {e!r}")
    for p in problems:
        print("PROBLEM:", p)
    if problems:
        sys.exit(f"verify-set: {len(problems)} of {len(SET)} objects wrong")
    print(f"verify-set: {len(SET)} objects byte-exact")


def main():
    cmds = {
        "write": cmd_write,
        "verify": cmd_verify,
        "slow-put": cmd_slow_put,
        "check-absent-or-intact": cmd_check_absent_or_intact,
        "put-set": cmd_put_set,
        "verify-set": cmd_verify_set,
    }
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    args = sys.argv[2:]
    if sys.argv[1] == "write" and "--seconds" in args:
        i = args.index("--seconds")
        secs = float(args[i + 1])
        del args[i : i + 2]
        return cmd_write(*args, seconds=secs)
    cmds[sys.argv[1]](*args)


if __name__ == "__main__":
    main()
