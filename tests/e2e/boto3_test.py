#!/usr/bin/python3
"""boto3 (Debian python3-boto3) against the shared server.

Run by run.sh with /usr/bin/python3. Environment: ENDPOINT, AK, SK,
BUCKET_PREFIX, RESULTS (one PASS/FAIL line per test is appended), SCRATCH.
Covers managed multipart transfers, ranges and conditional GETs, listing
pagination over 1200 keys, batch delete, copy, metadata, presigned GET/PUT
URLs used with urllib, and virtual-hosted-style addressing.
"""

import concurrent.futures
import hashlib
import io
import os
import socket
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

import boto3
import botocore
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from e2e_results import result_log

ENDPOINT = os.environ.get("ENDPOINT", "")
AK = os.environ.get("AK", "")
SK = os.environ.get("SK", "")
PREFIX = os.environ.get("BUCKET_PREFIX", "")
SCRATCH = os.environ.get("SCRATCH", "/tmp")
MiB = 1024 * 1024


def client(endpoint_url=None, **cfg):
    """An S3 client for the server; no retries so that server errors show."""
    conf = Config(
        region_name="us-east-1",
        signature_version="s3v4",
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=10,
        read_timeout=120,
        max_pool_connections=32,
        **cfg,
    )
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint_url or ENDPOINT,
        aws_access_key_id=AK,
        aws_secret_access_key=SK,
        config=conf,
    )


def err_code(e):
    return e.response.get("Error", {}).get("Code")


def http_status(e):
    return e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while b := f.read(1 << 20):
            h.update(b)
    return h.hexdigest()


def multipart_etag(data, part):
    digests = [hashlib.md5(data[i : i + part]).digest() for i in range(0, len(data), part)]
    return '"%s-%d"' % (hashlib.md5(b"".join(digests)).hexdigest(), len(digests))


class S3Case(unittest.TestCase):
    s3 = None
    bucket = None

    @classmethod
    def setUpClass(cls):
        cls.s3 = client()
        cls.bucket = f"{PREFIX}-{cls.__name__.lower()}"[:63]
        cls.s3.create_bucket(Bucket=cls.bucket)

    @classmethod
    def tearDownClass(cls):
        empty_and_delete(cls.s3, cls.bucket)


def empty_and_delete(s3, bucket):
    try:
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for page in pages:
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
        for up in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []):
            s3.abort_multipart_upload(Bucket=bucket, Key=up["Key"], UploadId=up["UploadId"])
        s3.delete_bucket(Bucket=bucket)
    except Exception as e:  # cleanup is best effort
        print(f"cleanup of {bucket}: {e}", file=sys.stderr)


class TransferTest(S3Case):
    def test_upload_download_file_multipart(self):
        """upload_file/download_file, 24 MiB in 5 MiB parts, 4 threads."""
        src = os.path.join(SCRATCH, "boto3-24m.bin")
        dst = os.path.join(SCRATCH, "boto3-24m.down")
        data = os.urandom(24 * MiB)
        with open(src, "wb") as f:
            f.write(data)
        cfg = TransferConfig(
            multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=4, use_threads=True
        )
        self.s3.upload_file(src, self.bucket, "big/24m.bin", Config=cfg, ExtraArgs={"ContentType": "application/x-big"})
        head = self.s3.head_object(Bucket=self.bucket, Key="big/24m.bin")
        self.assertEqual(head["ContentLength"], 24 * MiB)
        self.assertEqual(head["ContentType"], "application/x-big")
        self.assertEqual(head["ETag"], multipart_etag(data, 5 * MiB), "multipart ETag (5 parts)")
        self.s3.download_file(self.bucket, "big/24m.bin", dst, Config=cfg)
        self.assertEqual(sha256_file(dst), hashlib.sha256(data).hexdigest(), "downloaded bytes differ")
        # download_fileobj into memory (concurrent ranged GETs).
        buf = io.BytesIO()
        self.s3.download_fileobj(self.bucket, "big/24m.bin", buf, Config=cfg)
        self.assertEqual(hashlib.sha256(buf.getvalue()).digest(), hashlib.sha256(data).digest())
        os.remove(src)
        os.remove(dst)


class ObjectTest(S3Case):
    def test_range_get(self):
        data = os.urandom(1000)
        self.s3.put_object(Bucket=self.bucket, Key="r.bin", Body=data)
        r = self.s3.get_object(Bucket=self.bucket, Key="r.bin", Range="bytes=10-19")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 206)
        self.assertEqual(r["ContentRange"], "bytes 10-19/1000")
        self.assertEqual(r["Body"].read(), data[10:20])
        r = self.s3.get_object(Bucket=self.bucket, Key="r.bin", Range="bytes=-1")
        self.assertEqual(r["Body"].read(), data[-1:])
        r = self.s3.get_object(Bucket=self.bucket, Key="r.bin", Range="bytes=0-")
        self.assertEqual(r["Body"].read(), data)
        with self.assertRaises(ClientError) as cm:
            self.s3.get_object(Bucket=self.bucket, Key="r.bin", Range="bytes=1000-1001")
        self.assertEqual(err_code(cm.exception), "InvalidRange")
        self.assertEqual(http_status(cm.exception), 416)

    def test_conditional_get(self):
        data = b"conditional body\n"
        etag = self.s3.put_object(Bucket=self.bucket, Key="cond.txt", Body=data)["ETag"]
        self.assertEqual(etag, '"%s"' % hashlib.md5(data).hexdigest())
        with self.assertRaises(ClientError) as cm:
            self.s3.get_object(Bucket=self.bucket, Key="cond.txt", IfNoneMatch=etag)
        self.assertEqual(http_status(cm.exception), 304, cm.exception.response)
        self.assertEqual(err_code(cm.exception), "304")
        r = self.s3.get_object(Bucket=self.bucket, Key="cond.txt", IfNoneMatch='"0123456789abcdef0123456789abcdef"')
        self.assertEqual(r["Body"].read(), data)
        r = self.s3.get_object(Bucket=self.bucket, Key="cond.txt", IfMatch=etag)
        self.assertEqual(r["Body"].read(), data)
        with self.assertRaises(ClientError) as cm:
            self.s3.get_object(Bucket=self.bucket, Key="cond.txt", IfMatch='"0123456789abcdef0123456789abcdef"')
        self.assertEqual(http_status(cm.exception), 412)
        self.assertEqual(err_code(cm.exception), "PreconditionFailed")
        future = datetime.now(timezone.utc) + timedelta(hours=1)
        past = datetime.now(timezone.utc) - timedelta(days=1)
        with self.assertRaises(ClientError) as cm:
            self.s3.get_object(Bucket=self.bucket, Key="cond.txt", IfModifiedSince=future)
        self.assertEqual(http_status(cm.exception), 304)
        r = self.s3.get_object(Bucket=self.bucket, Key="cond.txt", IfModifiedSince=past)
        self.assertEqual(r["Body"].read(), data)
        with self.assertRaises(ClientError) as cm:
            self.s3.get_object(Bucket=self.bucket, Key="cond.txt", IfUnmodifiedSince=past)
        self.assertEqual(http_status(cm.exception), 412)
        # HEAD honours the same conditions.
        with self.assertRaises(ClientError) as cm:
            self.s3.head_object(Bucket=self.bucket, Key="cond.txt", IfNoneMatch=etag)
        self.assertEqual(http_status(cm.exception), 304)

    def test_head_metadata(self):
        body = b"metadata body"
        self.s3.put_object(
            Bucket=self.bucket,
            Key="meta/obj",
            Body=body,
            ContentType="application/x-meta",
            Metadata={"alpha": "1", "with-dash": "x y z", "CamelCase": "v"},
        )
        h = self.s3.head_object(Bucket=self.bucket, Key="meta/obj")
        self.assertEqual(h["ContentType"], "application/x-meta")
        self.assertEqual(h["ContentLength"], len(body))
        self.assertEqual(h["ETag"], '"%s"' % hashlib.md5(body).hexdigest())
        self.assertEqual(h["Metadata"].get("alpha"), "1")
        self.assertEqual(h["Metadata"].get("with-dash"), "x y z")
        self.assertEqual(h["Metadata"].get("camelcase"), "v", "metadata names are returned lower-case")
        self.assertIsInstance(h["LastModified"], datetime)
        age = abs((datetime.now(timezone.utc) - h["LastModified"]).total_seconds())
        self.assertLess(age, 300, "LastModified is far from now")
        g = self.s3.get_object(Bucket=self.bucket, Key="meta/obj")
        self.assertEqual(g["Metadata"], h["Metadata"])
        self.assertEqual(g["Body"].read(), body)
        with self.assertRaises(ClientError) as cm:
            self.s3.head_object(Bucket=self.bucket, Key="meta/missing")
        self.assertEqual(http_status(cm.exception), 404)

    def test_copy_object(self):
        body = os.urandom(300 * 1024)
        self.s3.put_object(Bucket=self.bucket, Key="copy/src", Body=body, ContentType="x/src", Metadata={"m": "src"})
        r = self.s3.copy_object(Bucket=self.bucket, Key="copy/dst1", CopySource={"Bucket": self.bucket, "Key": "copy/src"})
        self.assertEqual(r["CopyObjectResult"]["ETag"], '"%s"' % hashlib.md5(body).hexdigest())
        h = self.s3.head_object(Bucket=self.bucket, Key="copy/dst1")
        self.assertEqual((h["ContentType"], h["Metadata"]), ("x/src", {"m": "src"}))
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="copy/dst1")["Body"].read(), body)
        self.s3.copy_object(
            Bucket=self.bucket,
            Key="copy/dst2",
            CopySource=f"{self.bucket}/copy/src",
            MetadataDirective="REPLACE",
            Metadata={"m": "new"},
            ContentType="x/new",
        )
        h = self.s3.head_object(Bucket=self.bucket, Key="copy/dst2")
        self.assertEqual((h["ContentType"], h["Metadata"]), ("x/new", {"m": "new"}))
        # Conditional copy.
        with self.assertRaises(ClientError) as cm:
            self.s3.copy_object(
                Bucket=self.bucket,
                Key="copy/dst3",
                CopySource={"Bucket": self.bucket, "Key": "copy/src"},
                CopySourceIfMatch='"0123456789abcdef0123456789abcdef"',
            )
        self.assertEqual(http_status(cm.exception), 412)

    def test_managed_multipart_copy(self):
        """boto3's managed copy of an 11 MiB object uses UploadPartCopy."""
        big = os.urandom(11 * MiB)
        cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=2)
        self.s3.upload_fileobj(io.BytesIO(big), self.bucket, "copy/bigsrc", Config=cfg)
        self.s3.copy({"Bucket": self.bucket, "Key": "copy/bigsrc"}, self.bucket, "copy/bigdst", Config=cfg)
        got = self.s3.get_object(Bucket=self.bucket, Key="copy/bigdst")["Body"].read()
        self.assertEqual(hashlib.sha256(got).digest(), hashlib.sha256(big).digest(), "managed multipart copy (UploadPartCopy) differs")


class OverwriteTest(S3Case):
    def test_overwrite_and_delete(self):
        """Overwrites switch between inline and sharded objects; deletes are final."""
        key = "ow/obj"
        for size in (100, 3 * MiB + 1, 10, 2 * MiB, 0):
            data = os.urandom(size)
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)
            got = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            self.assertEqual(hashlib.sha256(got).digest(), hashlib.sha256(data).digest(), f"overwrite with {size} bytes")
            listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=key)["Contents"]
            self.assertEqual([(o["Key"], o["Size"]) for o in listed], [(key, size)])
        r = self.s3.delete_object(Bucket=self.bucket, Key=key)
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 204)
        with self.assertRaises(ClientError) as cm:
            self.s3.get_object(Bucket=self.bucket, Key=key)
        self.assertEqual(err_code(cm.exception), "NoSuchKey")
        self.assertEqual(self.s3.list_objects_v2(Bucket=self.bucket, Prefix=key)["KeyCount"], 0)
        # Deleting a missing key succeeds (204), as in S3.
        r = self.s3.delete_object(Bucket=self.bucket, Key="ow/never-existed")
        self.assertEqual(r["ResponseMetadata"]["HTTPStatusCode"], 204)

    def test_concurrent_overwrites_never_torn(self):
        """8 writers overwrite one key while readers read it: every read is
        exactly one of the written versions, never a mix or a partial."""
        key = "ow/contended"
        versions = [bytes([i]) * (1 * MiB + 4096 * i) for i in range(8)]
        digests = {hashlib.sha256(v).digest(): i for i, v in enumerate(versions)}
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=versions[0])
        stop = time.monotonic() + 60
        bad = []

        def writer(i):
            for _ in range(4):
                if time.monotonic() > stop:
                    return
                self.s3.put_object(Bucket=self.bucket, Key=key, Body=versions[i])

        def reader():
            n = 0
            while n < 12 and time.monotonic() < stop:
                body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
                if hashlib.sha256(body).digest() not in digests:
                    bad.append(f"read {len(body)} bytes matching no written version")
                n += 1

        with concurrent.futures.ThreadPoolExecutor(12) as ex:
            futs = [ex.submit(writer, i) for i in range(8)] + [ex.submit(reader) for _ in range(4)]
            for f in futs:
                f.result()
        self.assertEqual(bad, [])
        body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        self.assertIn(hashlib.sha256(body).digest(), digests)
        head = self.s3.head_object(Bucket=self.bucket, Key=key)
        self.assertEqual(head["ContentLength"], len(body))
        self.assertEqual(head["ETag"], '"%s"' % hashlib.md5(body).hexdigest(), "HEAD and GET disagree on the last version")

    def test_key_names(self):
        """Keys with characters that need encoding, and the 1024-byte limit."""
        keys = [
            "sp ace/pl+us/eq=amp&q?h#p%25",
            "uni/\u00fc\u00f1\u00ee/\u65e5\u672c\u8a9e/\U0001f600",
            "dots/./../x",
            "tilde~star*paren()quote'comma,semi;colon:at@dollar$",
            "trailing/slash/",
            "//double//slash",
            "k" * 1024,
        ]
        for k in keys:
            self.s3.put_object(Bucket=self.bucket, Key=k, Body=k.encode())
        for k in keys:
            self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key=k)["Body"].read(), k.encode(), k[:60])
        listed = [o["Key"] for p in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket) for o in p.get("Contents", [])]
        for k in keys:
            self.assertIn(k, listed)
        self.assertEqual(listed, sorted(listed, key=lambda x: x.encode()), "listing is not in UTF-8 byte order")
        with self.assertRaises(ClientError) as cm:
            self.s3.put_object(Bucket=self.bucket, Key="k" * 1025, Body=b"x")
        self.assertEqual(err_code(cm.exception), "KeyTooLongError")


class ListingTest(S3Case):
    N = 1200

    def test_paginator_and_batch_delete(self):
        keys = [f"k/{i:05d}" for i in range(self.N)] + [f"sub/{d}/x" for d in "abc"]

        def put(k):
            self.s3.put_object(Bucket=self.bucket, Key=k, Body=k.encode())

        with concurrent.futures.ThreadPoolExecutor(16) as ex:
            list(ex.map(put, keys))
        pag = self.s3.get_paginator("list_objects_v2")
        pages = list(pag.paginate(Bucket=self.bucket, Prefix="k/", PaginationConfig={"PageSize": 500}))
        self.assertEqual([p["KeyCount"] for p in pages], [500, 500, 200])
        self.assertEqual([p["IsTruncated"] for p in pages], [True, True, False])
        got = [o["Key"] for p in pages for o in p["Contents"]]
        self.assertEqual(got, keys[: self.N], "keys missing, duplicated or out of order")
        self.assertTrue(all(o["Size"] == 7 for p in pages for o in p["Contents"]))
        # Default page size (1000).
        pages = list(pag.paginate(Bucket=self.bucket))
        self.assertEqual([len(p.get("Contents", [])) for p in pages], [1000, 203])
        # Delimiter: common prefixes across pages.
        pages = list(pag.paginate(Bucket=self.bucket, Delimiter="/", PaginationConfig={"PageSize": 1}))
        prefixes = [cp["Prefix"] for p in pages for cp in p.get("CommonPrefixes", [])]
        self.assertEqual(prefixes, ["k/", "sub/"])
        pages = list(pag.paginate(Bucket=self.bucket, Prefix="sub/", Delimiter="/"))
        self.assertEqual([cp["Prefix"] for p in pages for cp in p.get("CommonPrefixes", [])], ["sub/a/", "sub/b/", "sub/c/"])
        # ListObjects v1 paginator (markers).
        pages = list(self.s3.get_paginator("list_objects").paginate(Bucket=self.bucket, Prefix="k/", PaginationConfig={"PageSize": 700}))
        self.assertEqual([o["Key"] for p in pages for o in p["Contents"]], keys[: self.N])
        # Batch delete: 1000 (the maximum) and the rest.
        r = self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in keys[:1000]]})
        self.assertEqual(len(r.get("Deleted", [])), 1000)
        self.assertEqual(r.get("Errors", []), [])
        r = self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in keys[1000:]], "Quiet": True})
        self.assertEqual(r.get("Errors", []), [])
        self.assertEqual(len(r.get("Deleted", [])), 0, "Quiet=true delete-objects listed deleted keys")
        r = self.s3.list_objects_v2(Bucket=self.bucket)
        self.assertEqual(r["KeyCount"], 0)
        self.assertEqual(r.get("Contents", []), [])

    def test_delete_objects_more_than_1000_rejected(self):
        with self.assertRaises(ClientError) as cm:
            self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": f"x{i}"} for i in range(1001)]})
        self.assertIn(err_code(cm.exception), ("MalformedXML", "InvalidRequest", "InvalidArgument"))


class ErrorWithBodyTest(S3Case):
    """Errors on requests that carry a large body must reach the client as S3
    errors. botocore sends "Expect: 100-continue" for bodies over 1 MiB; a
    server that answers "100 Continue", then refuses the request without
    reading the body and closes the connection makes the client fail with
    ConnectionClosedError instead of the error code."""

    BODY = b"\x00" * (4 * MiB)

    def expect_code(self, code, fn, **kw):
        # The failure is timing dependent: try a few times.
        for attempt in range(3):
            try:
                fn(**kw)
            except ClientError as e:
                self.assertEqual(err_code(e), code)
                continue
            except botocore.exceptions.BotoCoreError as e:
                self.fail(
                    f"attempt {attempt + 1}: expected the S3 error {code}, but the connection failed: "
                    f"{type(e).__name__}: {e} (server answered 100 Continue, then closed without reading the body?)"
                )
            self.fail(f"expected the S3 error {code}, but the request succeeded")

    def test_put_to_missing_bucket(self):
        self.expect_code("NoSuchBucket", self.s3.put_object, Bucket=f"{PREFIX}-missing"[:63], Key="k", Body=self.BODY)

    def test_upload_part_to_unknown_upload(self):
        self.expect_code("NoSuchUpload", self.s3.upload_part, Bucket=self.bucket, Key="k", UploadId="0123456789abcdef", PartNumber=1, Body=self.BODY)

    def test_put_with_unknown_access_key(self):
        s3 = boto3.session.Session().client(
            "s3", endpoint_url=ENDPOINT, aws_access_key_id="NOSUCHACCESSKEY0", aws_secret_access_key=SK,
            config=Config(region_name="us-east-1", retries={"total_max_attempts": 1}),
        )
        self.expect_code("InvalidAccessKeyId", s3.put_object, Bucket=self.bucket, Key="k", Body=self.BODY)

    def test_put_with_wrong_secret(self):
        s3 = boto3.session.Session().client(
            "s3", endpoint_url=ENDPOINT, aws_access_key_id=AK, aws_secret_access_key=SK + "x",
            config=Config(region_name="us-east-1", retries={"total_max_attempts": 1}),
        )
        self.expect_code("SignatureDoesNotMatch", s3.put_object, Bucket=self.bucket, Key="k", Body=self.BODY)


class PresignTest(S3Case):
    def test_presigned_put_then_get(self):
        data = os.urandom(200 * 1024)
        key = "pre/sig ned+key.bin"
        put_url = self.s3.generate_presigned_url("put_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=300)
        req = urllib.request.Request(put_url, data=data, method="PUT", headers={"Content-Type": "application/octet-stream"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            self.assertEqual(resp.status, 200)
            self.assertEqual(resp.headers["ETag"], '"%s"' % hashlib.md5(data).hexdigest())
        get_url = self.s3.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=300)
        with urllib.request.urlopen(get_url, timeout=60) as resp:
            self.assertEqual(resp.status, 200)
            self.assertEqual(resp.read(), data)
        # Presigned GET with response header overrides.
        url = self.s3.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": key, "ResponseContentType": "text/x-override", "ResponseContentDisposition": "attachment"},
            ExpiresIn=300,
        )
        with urllib.request.urlopen(url, timeout=60) as resp:
            self.assertEqual(resp.headers["Content-Type"], "text/x-override")
            self.assertEqual(resp.headers["Content-Disposition"], "attachment")
        # A presigned PUT URL cannot be used for another key.
        u = urllib.parse.urlsplit(put_url)
        bad = urllib.parse.urlunsplit(u._replace(path=u.path.rsplit("/", 1)[0] + "/other.bin"))
        self.assertNotEqual(bad, put_url)
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(urllib.request.Request(bad, data=b"x", method="PUT"), timeout=60)
        self.assertEqual(cm.exception.code, 403)
        with self.assertRaises(ClientError):
            self.s3.head_object(Bucket=self.bucket, Key="pre/other.bin")


VHOST_DOMAIN = "localhost"


def resolves_to_loopback(name):
    try:
        out = subprocess.run(["getent", "hosts", name], capture_output=True, text=True, timeout=10).stdout
    except Exception:
        return False
    return any(line.split()[0] in ("127.0.0.1", "::1") for line in out.splitlines() if line.strip())


class VirtualHostTest(unittest.TestCase):
    def test_virtual_hosted_style(self):
        """Virtual-hosted style: Host "<bucket>.localhost:PORT" (TESSERA_DOMAINS=localhost)."""
        bucket = f"{PREFIX}-vhost"[:63]
        probe = f"{bucket}.{VHOST_DOMAIN}"
        real_getaddrinfo = socket.getaddrinfo
        if not resolves_to_loopback(probe):
            if os.environ.get("E2E_VHOST_RESOLVE", "1") != "1":
                self.skipTest(
                    f"SKIP virtual-hosted style: {probe} does not resolve to 127.0.0.1 on this machine "
                    f"(getent hosts {probe} found nothing; needs nss-myhostname or an /etc/hosts entry)"
                )
            # Resolve *.localhost to 127.0.0.1 inside this process only (what
            # curl --resolve does): the bytes on the wire, Host header included,
            # are those of a real virtual-hosted request.
            print(
                f"\n  note: getent hosts {probe} finds nothing on this machine; resolving "
                f"*.{VHOST_DOMAIN} to 127.0.0.1 inside the test process (E2E_VHOST_RESOLVE=0 skips instead)",
                file=sys.stderr,
            )

            def getaddrinfo(host, *args, **kw):
                if isinstance(host, str) and host.endswith("." + VHOST_DOMAIN):
                    host = "127.0.0.1"
                return real_getaddrinfo(host, *args, **kw)

            socket.getaddrinfo = getaddrinfo
        try:
            self._run_vhost(bucket, probe)
        finally:
            socket.getaddrinfo = real_getaddrinfo

    def _run_vhost(self, bucket, probe):
        port = urllib.parse.urlsplit(ENDPOINT).port
        s3 = client(s3={"addressing_style": "virtual"}, endpoint_url=f"http://{VHOST_DOMAIN}:{port}")
        seen = []
        s3.meta.events.register("before-send.s3", lambda request, **kw: seen.append(request.url))
        s3.create_bucket(Bucket=bucket)
        try:
            s3.put_object(Bucket=bucket, Key="v/obj one.txt", Body=b"virtual")
            self.assertEqual(s3.get_object(Bucket=bucket, Key="v/obj one.txt")["Body"].read(), b"virtual")
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
            self.assertEqual(keys, ["v/obj one.txt"])
            s3.head_bucket(Bucket=bucket)
            # The path-style client sees the same object.
            self.assertEqual(client().get_object(Bucket=bucket, Key="v/obj one.txt")["Body"].read(), b"virtual")
            # Presigned virtual-hosted GET.
            url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v/obj one.txt"}, ExpiresIn=60)
            self.assertEqual(urllib.parse.urlsplit(url).hostname, probe)
            with urllib.request.urlopen(url, timeout=30) as resp:
                self.assertEqual(resp.read(), b"virtual")
            s3.delete_object(Bucket=bucket, Key="v/obj one.txt")
        finally:
            empty_and_delete(client(), bucket)
        self.assertTrue(seen, "no request seen")
        bad = [u for u in seen if urllib.parse.urlsplit(u).hostname != probe]
        self.assertEqual(bad, [], "requests were not virtual-hosted")


def main():
    for v in ("ENDPOINT", "AK", "SK", "BUCKET_PREFIX"):
        if not os.environ.get(v):
            sys.exit(f"boto3_test.py: environment variable {v} is not set (run me through run.sh)")
    print(f"boto3 {boto3.__version__}, botocore {botocore.__version__}", file=sys.stderr)
    runner = unittest.TextTestRunner(verbosity=2, resultclass=result_log("boto3_test.py"))
    names = sys.argv[1:]  # optional: TestClass or TestClass.test_name
    loader = unittest.defaultTestLoader
    if names:
        suite = loader.loadTestsFromNames(names, sys.modules[__name__])
    else:
        suite = loader.loadTestsFromModule(sys.modules[__name__])
    result = runner.run(suite)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
