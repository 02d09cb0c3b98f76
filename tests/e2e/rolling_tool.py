"""Client load for the rolling-restart test: boto3 with its standard retries
(what users run), through haproxy. Writes objects whose content is a pure
function of their key, reads earlier ones back, and records every request
that failed after the client's own retries.

usage: rolling_tool.py ENDPOINT AK SK [TOKEN] BUCKET ACKED_FILE STOP_FILE
"""
import hashlib
import os
import sys
import time

import boto3
from botocore.config import Config


def content(key):
    seed = hashlib.sha256(key.encode()).digest()
    n = 1000 + seed[0] * 40 + (seed[1] % 4) * 300_000  # 1 KB .. ~1 MB
    return (seed * (n // 32 + 1))[:n]


def main():
    endpoint, ak, sk, token, bucket, acked, stop = sys.argv[1:8]
    s3 = boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id=ak, aws_secret_access_key=sk,
        aws_session_token=token or None, region_name="us-east-1",
        config=Config(retries={"mode": "standard", "max_attempts": 6}, connect_timeout=5, read_timeout=30),
    )
    failures, done, i = 0, [], 0
    with open(acked, "a") as ack:
        while not os.path.exists(stop):
            key = f"{os.getpid()}-{i}"
            i += 1
            try:
                s3.put_object(Bucket=bucket, Key=key, Body=content(key))
                ack.write(key + "\n")
                ack.flush()
                done.append(key)
                old = done[(i * 7) % len(done)]
                body = s3.get_object(Bucket=bucket, Key=old)["Body"].read()
                if body != content(old):
                    print(f"CORRUPT {old}", flush=True)
                    failures += 1
            except Exception as e:  # noqa: BLE001 - every failure counts
                print(f"FAILED {key}: {e}", flush=True)
                failures += 1
    print(f"requests ok: {len(done)} puts, failures: {failures}", flush=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
