#!/usr/bin/python3
"""STS AssumeRole and service accounts, end to end, on a server of its own.

Run by run.sh with /usr/bin/python3. Environment: AK, SK (root credentials
for the server this script starts), TESSERA_BIN, BUCKET_PREFIX, RESULTS (one
PASS/FAIL line per test is appended), SCRATCH.

Users and policies are made with the real `tessera` CLI (subprocess);
sessions are assumed with boto3's STS client, `aws sts assume-role` and
`tessera s3 sts assume-role`, and used with boto3 and the aws CLI; service
accounts are managed with `tessera s3 service-account` as the S3 user itself.
The last tests restart the server with TESSERA_TEST_CREDENTIAL_CLOCK_OFFSET=16m
(the session-expiry clock runs 16 minutes ahead), so that 15-minute sessions
are expired while 1-hour sessions and service accounts keep working.

Expected behaviour and error codes: node/sts_test.go.
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
import unittest
import urllib.request
from datetime import datetime, timedelta, timezone

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError

from e2e_results import result_log

AK = os.environ.get("AK", "")
SK = os.environ.get("SK", "")
PREFIX = os.environ.get("BUCKET_PREFIX", "")
SCRATCH = os.environ.get("SCRATCH", "/tmp")
TESSERA_BIN = os.environ.get("TESSERA_BIN", "")
AWS = "/usr/bin/aws"

ROLE_ARN = "arn:x:ignored"  # the server ignores RoleArn and RoleSessionName
CLI_ROLE_ARN = "arn:aws:iam::000000000000:role/ignored"  # the aws CLI wants >= 20 characters

BD = f"{PREFIX}-data"[:63]  # the user's policy allows this bucket
BO = f"{PREFIX}-other"[:63]  # and not this one
USER, USER_PW, USER_UID = "stsuser", "Sts-User-Pass-1", 1500
SAUSER, SAUSER_PW, SAUSER_UID = "sauser", "Sa-User-Pass-1", 2000

DATA_RW = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": [f"arn:aws:s3:::{BD}", f"arn:aws:s3:::{BD}/*"]}
        ],
    }
)
GET_ONLY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}]}
)
ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


class Server:
    """This script's tessera server: own ports, own data folder."""

    def __init__(self):
        self.data = os.path.join(SCRATCH, "data")
        self.log_path = os.path.join(SCRATCH, "server.log")
        socks = []
        for _ in range(2):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        self.port, self.cport = (s.getsockname()[1] for s in socks)
        for s in socks:
            s.close()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.proc = None

    def start(self, clock_offset=None):
        os.makedirs(self.data, exist_ok=True)
        env = clean_env()
        env.update(
            TESSERA_ROOT_USER=AK,
            TESSERA_ROOT_PASSWORD=SK,
            TESSERA_CLUSTER_LISTEN=f"127.0.0.1:{self.cport}",
            TESSERA_SHUTDOWN_TIMEOUT=os.environ.get("E2E_SHUTDOWN_TIMEOUT", "15s"),
        )
        if clock_offset:
            env["TESSERA_TEST_CREDENTIAL_CLOCK_OFFSET"] = clock_offset
        with open(self.log_path, "a") as log:
            log.write(f"--- starting (credential clock offset {clock_offset or 'none'})\n")
            log.flush()
            self.proc = subprocess.Popen(
                [TESSERA_BIN, "server", "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data, "--drives", "4"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited {self.proc.returncode} before becoming ready:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.endpoint + "/_tessera/health/ready", timeout=2) as r:
                    if r.status == 200:
                        return
            except Exception:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server on {self.endpoint} not ready after 60 s:\n{self.log_tail()}")

    def stop(self):
        """SIGTERM; returns the exit status (None if it had to be killed)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.terminate()
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def log_tail(self, n=30):
        try:
            with open(self.log_path) as f:
                return "".join(f.readlines()[-n:])
        except OSError as e:
            return str(e)


SERVER = None


def clean_env():
    """The environment without anything that could steer the clients."""
    drop = ("AWS_", "TESSERA_", "BOTO_")
    proxies = {"http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}
    return {k: v for k, v in os.environ.items() if not k.startswith(drop) and k not in proxies}


def tessera(*args, ak=None, sk=None, stdin=None):
    """Run the tessera CLI against the server; returns the CompletedProcess."""
    cmd = [TESSERA_BIN, "--endpoint", SERVER.endpoint]
    if ak is not None:
        cmd += ["--access-key", ak]
    if sk is not None:
        cmd += ["--secret-key", sk]
    return subprocess.run(cmd + list(args), input=stdin, capture_output=True, text=True, timeout=60, env=clean_env())


def tessera_ok(*args, ak=None, sk=None, stdin=None):
    r = tessera(*args, ak=ak, sk=sk, stdin=stdin)
    if r.returncode != 0:
        raise AssertionError(f"tessera {' '.join(args)} (as {ak}) failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout


def root(*args):
    return tessera_ok(*args, ak=AK, sk=SK)


def aws(*args, creds, check=False):
    """Run the aws CLI with creds = (access key, secret[, session token])."""
    env = clean_env()
    cfg = os.path.join(SCRATCH, "aws-config")
    if not os.path.exists(cfg):
        open(cfg, "w").close()
    env.update(
        AWS_CONFIG_FILE=cfg,
        AWS_SHARED_CREDENTIALS_FILE=cfg,
        AWS_ACCESS_KEY_ID=creds[0],
        AWS_SECRET_ACCESS_KEY=creds[1],
        AWS_DEFAULT_REGION="us-east-1",
        AWS_PAGER="",
        AWS_MAX_ATTEMPTS="1",
        AWS_EC2_METADATA_DISABLED="true",
        NO_PROXY="127.0.0.1,localhost",
    )
    if len(creds) > 2 and creds[2]:
        env["AWS_SESSION_TOKEN"] = creds[2]
    r = subprocess.run([AWS, "--endpoint-url", SERVER.endpoint] + list(args), capture_output=True, text=True, timeout=120, env=env)
    if check and r.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} failed ({r.returncode}): {r.stderr.strip()}")
    return r


def conf():
    # parameter_validation=False: DurationSeconds=899 must reach the server
    # (botocore would refuse it before sending).
    return Config(
        region_name="us-east-1",
        signature_version="s3v4",
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=10,
        read_timeout=60,
        parameter_validation=False,
    )


def s3_client(ak, sk, token=None):
    return boto3.session.Session().client(
        "s3", endpoint_url=SERVER.endpoint, aws_access_key_id=ak, aws_secret_access_key=sk, aws_session_token=token, config=conf()
    )


def sts_client(ak, sk, token=None):
    return boto3.session.Session().client(
        "sts", endpoint_url=SERVER.endpoint, aws_access_key_id=ak, aws_secret_access_key=sk, aws_session_token=token, config=conf()
    )


def assume(ak, sk, duration=900, policy=None, token=None):
    kw = dict(RoleArn=ROLE_ARN, RoleSessionName="ignored", DurationSeconds=duration)
    if policy is not None:
        kw["Policy"] = policy
    return sts_client(ak, sk, token).assume_role(**kw)["Credentials"]


def session_s3(cr):
    return s3_client(cr["AccessKeyId"], cr["SecretAccessKey"], cr["SessionToken"])


def err_code(e):
    return e.response.get("Error", {}).get("Code")


def write_file(name, content):
    path = os.path.join(SCRATCH, name)
    with open(path, "w") as f:
        f.write(content)
    return path


class Case(unittest.TestCase):
    def assertCode(self, code, fn, *args, **kw):
        """fn(*args, **kw) must raise a ClientError with this error code."""
        with self.assertRaises(ClientError, msg=f"expected {code}") as cm:
            fn(*args, **kw)
        self.assertEqual(err_code(cm.exception), code, f"error {cm.exception}")
        return cm.exception

    def assertCLIFails(self, want, *args, ak=None, sk=None, stdin=None):
        """The tessera command must fail with `want` in its error output."""
        r = tessera(*args, ak=ak, sk=sk, stdin=stdin)
        self.assertNotEqual(r.returncode, 0, f"tessera {' '.join(args)} succeeded: {r.stdout}")
        self.assertIn(want, r.stderr, f"tessera {' '.join(args)}: unexpected error")
        return r.stderr

    def assertAWSFails(self, want, *args, creds):
        r = aws(*args, creds=creds)
        self.assertNotEqual(r.returncode, 0, f"aws {' '.join(args)} succeeded: {r.stdout}")
        self.assertIn(want, r.stderr, f"aws {' '.join(args)}: unexpected error")
        return r.stderr

    def put(self, c, bucket, key, body=b"x"):
        c.put_object(Bucket=bucket, Key=key, Body=body)

    def get(self, c, bucket, key):
        return c.get_object(Bucket=bucket, Key=key)["Body"].read()

    def sessions(self, user=None):
        args = ["s3", "sts", "list", "--json"] + (["--user", user] if user else [])
        return json.loads(root(*args))


def setUpModule():
    global SERVER
    SERVER = Server()
    print(f"own server on {SERVER.endpoint} (cluster port {SERVER.cport}), data in {SERVER.data}", file=sys.stderr)
    SERVER.start()
    rs3 = s3_client(AK, SK)
    for b in (BD, BO):
        rs3.create_bucket(Bucket=b)
    rs3.put_object(Bucket=BD, Key="seed.txt", Body=b"seed")
    rs3.put_object(Bucket=BO, Key="seed.txt", Body=b"other seed")
    # The S3 users, made with the CLI as root.
    root("user", "add", USER, "s3", USER_PW, "--posix-uid", str(USER_UID), "--posix-gid", str(USER_UID))
    root("s3", "policy", "add", "data-rw", write_file("data-rw.json", DATA_RW))
    root("s3", "policy", "attach", "data-rw", USER)
    root("user", "add", SAUSER, "s3", SAUSER_PW, "--posix-uid", str(SAUSER_UID), "--posix-gid", str(SAUSER_UID))
    root("s3", "policy", "attach", "readwrite", SAUSER)


def tearDownModule():
    if SERVER is not None and SERVER.proc is not None and SERVER.proc.poll() is None:
        SERVER.stop()


class T1AssumeRole(Case):
    def test_1_boto3_assume_role(self):
        """boto3 sts.assume_role(DurationSeconds=900): read and write within the user's policy only."""
        cr = assume(USER, USER_PW, 900)
        self.assertTrue(cr["AccessKeyId"].startswith("ASIA"), cr["AccessKeyId"])
        self.assertTrue(cr["SessionToken"])
        left = cr["Expiration"] - datetime.now(timezone.utc)
        self.assertTrue(timedelta(minutes=14) < left <= timedelta(minutes=15, seconds=5), f"expiration in {left}")
        s = session_s3(cr)
        self.put(s, BD, "by-session.txt", b"session bytes")
        self.assertEqual(self.get(s, BD, "by-session.txt"), b"session bytes")
        self.assertEqual(self.get(s, BD, "seed.txt"), b"seed")
        keys = [o["Key"] for o in s.list_objects_v2(Bucket=BD)["Contents"]]
        self.assertIn("by-session.txt", keys)
        self.assertCode("AccessDenied", self.put, s, BO, "x")
        self.assertCode("AccessDenied", self.get, s, BO, "seed.txt")
        # The session writes as its parent user.
        st = json.loads(root("s3", "object", "stat", BD, "by-session.txt", "--json"))
        self.assertEqual((st["owner"], st["posix_uid"], st["posix_gid"]), (USER, USER_UID, USER_UID), st)
        # The secret alone is not enough: a wrong token, or none.
        self.assertCode("InvalidToken", self.put, s3_client(cr["AccessKeyId"], cr["SecretAccessKey"], "bogus"), BD, "x")
        self.assertCode("AccessDenied", self.put, s3_client(cr["AccessKeyId"], cr["SecretAccessKey"]), BD, "x")

    def test_2_session_policy_narrows(self):
        """A session policy (Policy=...) narrows: GetObject only, writes denied."""
        s = session_s3(assume(USER, USER_PW, 3600, GET_ONLY))
        self.assertEqual(self.get(s, BD, "seed.txt"), b"seed")
        self.assertCode("AccessDenied", self.put, s, BD, "narrow.txt")
        self.assertCode("AccessDenied", s.list_objects_v2, Bucket=BD)
        # Outside the parent's policy it stays denied even for GetObject.
        self.assertCode("AccessDenied", self.get, s, BO, "seed.txt")

    def test_3_session_policy_cannot_widen(self):
        """A session policy allowing s3:* on * adds nothing beyond the user's policy."""
        s = session_s3(assume(USER, USER_PW, 3600, ALLOW_ALL))
        self.assertCode("AccessDenied", self.put, s, BO, "wide.txt")
        self.assertCode("AccessDenied", self.get, s, BO, "seed.txt")
        self.put(s, BD, "wide.txt", b"w")

    def test_4_validation(self):
        """DurationSeconds 899 / 604801, bad session policies, wrong callers."""
        e = self.assertCode("ValidationError", assume, USER, USER_PW, 899)
        self.assertIn("900", str(e))
        self.assertCode("ValidationError", assume, USER, USER_PW, 604801)
        bad = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Nope", "Resource": "*"}]})
        self.assertCode("MalformedPolicyDocument", assume, USER, USER_PW, 900, bad)
        big = json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Sid": "x" * 2100, "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        )
        self.assertCode("PackedPolicyTooLarge", assume, USER, USER_PW, 900, big)
        self.assertCode("SignatureDoesNotMatch", assume, USER, "Wrong-Pass-1", 900)
        e = self.assertCode("AccessDenied", assume, AK, SK, 900)
        self.assertIn("root", str(e))
        cr = assume(USER, USER_PW, 900)
        self.assertCode("AccessDenied", assume, cr["AccessKeyId"], cr["SecretAccessKey"], 900, None, cr["SessionToken"])

    def test_5_aws_cli_assume_role(self):
        """aws sts assume-role --endpoint-url ...; the credentials work with aws s3."""
        r = aws(
            "sts", "assume-role", "--role-arn", CLI_ROLE_ARN, "--role-session-name", "ignored",
            "--duration-seconds", "900", "--output", "json", creds=(USER, USER_PW), check=True,
        )
        cr = json.loads(r.stdout)["Credentials"]
        self.assertTrue(cr["AccessKeyId"].startswith("ASIA"), cr)
        creds = (cr["AccessKeyId"], cr["SecretAccessKey"], cr["SessionToken"])
        src = write_file("cli-up.txt", "uploaded with aws CLI session credentials\n")
        aws("s3", "cp", "--only-show-errors", src, f"s3://{BD}/cli/up.txt", creds=creds, check=True)
        r = aws("s3", "cp", "--only-show-errors", f"s3://{BD}/cli/up.txt", "-", creds=creds, check=True)
        self.assertEqual(r.stdout, "uploaded with aws CLI session credentials\n")
        self.assertAWSFails("(AccessDenied)", "s3", "cp", "--only-show-errors", src, f"s3://{BO}/cli/up.txt", creds=creds)
        # The CLI's own range check (>= 900) means 899 never reaches a server;
        # the server's answer to it is checked with boto3 in test_4.

    def test_6_tessera_cli_assume_role_list_revoke(self):
        """tessera s3 sts assume-role --json with the aws CLI; sts list --user; sts revoke KEY and --user."""
        out = json.loads(tessera_ok("s3", "sts", "assume-role", "--duration", "15m", "--json", ak=USER, sk=USER_PW))
        self.assertEqual(sorted(out), ["access_key_id", "expiration", "secret_access_key", "session_token"], out)
        exp = datetime.strptime(out["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        left = exp - datetime.now(timezone.utc)
        self.assertTrue(timedelta(minutes=14) < left <= timedelta(minutes=15, seconds=5), f"expiration in {left}")
        creds = (out["access_key_id"], out["secret_access_key"], out["session_token"])
        r = aws("s3", "ls", f"s3://{BD}/", creds=creds, check=True)
        self.assertIn("seed.txt", r.stdout)
        # The secret key from stdin when not given (not a terminal: one line).
        out2 = json.loads(tessera_ok("s3", "sts", "assume-role", "--json", ak=USER, stdin=USER_PW + "\n"))
        self.assertTrue(out2["access_key_id"].startswith("ASIA"))
        self.assertCLIFails("--duration 14m: must be between 15m (900s) and 1w", "s3", "sts", "assume-role", "--duration", "14m", ak=USER, sk=USER_PW)
        self.assertCLIFails("AccessDenied: the root user cannot assume roles", "s3", "sts", "assume-role", ak=AK, sk=SK)
        # Listing: cluster admins only.
        listed = {s["access_key"]: s for s in self.sessions(USER)}
        self.assertIn(out["access_key_id"], listed)
        self.assertIn(out2["access_key_id"], listed)
        self.assertEqual(listed[out["access_key_id"]]["parent_user"], USER)
        self.assertEqual(listed[out["access_key_id"]]["expiration"], out["expiration"])
        self.assertEqual(self.sessions(SAUSER), [])
        self.assertCLIFails("AccessDenied", "s3", "sts", "list", ak=USER, sk=USER_PW)
        # Revoke one: the next request is refused.
        self.assertEqual(root("s3", "sts", "revoke", out["access_key_id"]).strip(), f"session {out['access_key_id']} revoked")
        self.assertAWSFails("(InvalidAccessKeyId)", "s3", "ls", f"s3://{BD}/", creds=creds)
        self.assertNotIn(out["access_key_id"], [s["access_key"] for s in self.sessions(USER)])
        self.assertCLIFails(f'NoSuchEntity: no session "{out["access_key_id"]}"', "s3", "sts", "revoke", out["access_key_id"], ak=AK, sk=SK)
        # Revoke all of the user's sessions.
        n = len(self.sessions(USER))
        self.assertGreaterEqual(n, 1)
        self.assertEqual(root("s3", "sts", "revoke", "--user", USER).strip(), f"{n} sessions of {USER} revoked")
        self.assertEqual(self.sessions(USER), [])
        s2 = s3_client(out2["access_key_id"], out2["secret_access_key"], out2["session_token"])
        self.assertCode("InvalidAccessKeyId", s2.list_objects_v2, Bucket=BD)

    def test_7_parent_policy_and_deletion(self):
        """The parent's policy change applies to its sessions at once; deleting the parent revokes them."""
        cr = assume(USER, USER_PW, 3600)
        s = session_s3(cr)
        self.put(s, BD, "p1.txt")
        root("s3", "policy", "detach", USER)
        self.assertCode("AccessDenied", self.put, s, BD, "p2.txt")
        root("s3", "policy", "attach", "data-rw", USER)
        self.put(s, BD, "p3.txt")
        # A user of its own, to delete.
        root("user", "add", "goner", "s3", "Goner-Pass-1")
        root("s3", "policy", "attach", "readwrite", "goner")
        gcr = assume("goner", "Goner-Pass-1", 3600)
        gsa = json.loads(tessera_ok("s3", "service-account", "add", "--json", ak="goner", sk="Goner-Pass-1"))
        gs = session_s3(gcr)
        gsa_s3 = s3_client(gsa["access_key"], gsa["secret_key"])
        self.put(gs, BO, "goner-session.txt")
        self.put(gsa_s3, BO, "goner-sa.txt")
        self.assertEqual(root("user", "delete", "goner").strip(), "user goner deleted")
        self.assertCode("InvalidAccessKeyId", self.get, gs, BO, "goner-session.txt")
        self.assertCode("InvalidAccessKeyId", self.get, gsa_s3, BO, "goner-sa.txt")
        self.assertNotIn("goner", [x["parent_user"] for x in self.sessions()])
        self.assertCLIFails('NoSuchEntity: no user "goner"', "s3", "sts", "list", "--user", "goner", ak=AK, sk=SK)
        # The other user's session is untouched.
        self.assertEqual(self.get(s, BD, "p3.txt"), b"x")


class T2ServiceAccounts(Case):
    narrow = None
    inherit = None

    @classmethod
    def setUpClass(cls):
        cls.policy_file = write_file(
            "sa-narrow.json",
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::{BD}/*"}],
                }
            ),
        )

    def sa(self, *args, **kw):
        return tessera_ok("s3", "service-account", *args, ak=SAUSER, sk=SAUSER_PW, **kw)

    def test_1_add_and_use_with_aws_cli(self):
        """service-account add (table) and add --policy-file --json; the keys work with the aws CLI."""
        out = tessera("s3", "service-account", "add", ak=SAUSER, sk=SAUSER_PW)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("The secret key is shown only this once.", out.stderr)
        fields = dict(re.findall(r"^(access_key|secret_key|parent_user)\s+(\S+)\s*$", out.stdout, re.M))
        self.assertEqual(sorted(fields), ["access_key", "parent_user", "secret_key"], out.stdout)
        self.assertEqual(fields["parent_user"], SAUSER)
        self.assertEqual(len(fields["secret_key"]), 40, fields)
        T2ServiceAccounts.inherit = fields
        narrow = json.loads(self.sa("add", "--policy-file", self.policy_file, "--json"))
        self.assertEqual(narrow["parent_user"], SAUSER)
        self.assertNotEqual(narrow["access_key"], fields["access_key"])
        T2ServiceAccounts.narrow = narrow
        icreds = (fields["access_key"], fields["secret_key"])
        ncreds = (narrow["access_key"], narrow["secret_key"])
        src = write_file("sa-up.txt", "service account bytes\n")
        # Inherits readwrite: anywhere.
        aws("s3", "cp", "--only-show-errors", src, f"s3://{BO}/sa/i.txt", creds=icreds, check=True)
        r = aws("s3", "ls", f"s3://{BD}/", creds=icreds, check=True)
        self.assertIn("seed.txt", r.stdout)
        # Narrowed: GetObject/PutObject in BD only.
        aws("s3", "cp", "--only-show-errors", src, f"s3://{BD}/sa/n.txt", creds=ncreds, check=True)
        self.assertAWSFails("(AccessDenied)", "s3", "cp", "--only-show-errors", src, f"s3://{BO}/sa/n.txt", creds=ncreds)
        self.assertAWSFails("(AccessDenied)", "s3", "ls", f"s3://{BD}/", creds=ncreds)
        st = json.loads(root("s3", "object", "stat", BD, "sa/n.txt", "--json"))
        self.assertEqual((st["owner"], st["posix_uid"]), (SAUSER, SAUSER_UID), st)

    def test_2_list_and_show(self):
        """service-account list; show: implied_policy true (inherited) / false (own policy)."""
        keys = sorted(self.sa("list").split())
        self.assertEqual(keys, sorted([self.inherit["access_key"], self.narrow["access_key"]]))
        self.assertEqual(sorted(x["access_key"] for x in json.loads(self.sa("list", "--json"))), keys)
        shown = json.loads(self.sa("show", self.narrow["access_key"], "--json"))
        self.assertEqual((shown["parent_user"], shown["implied_policy"]), (SAUSER, False), shown)
        self.assertEqual(shown["policy_content"]["Statement"][0]["Resource"], f"arn:aws:s3:::{BD}/*")
        self.assertNotIn("secret_key", shown)
        text = self.sa("show", self.inherit["access_key"])
        self.assertIn("implied_policy: true", text)
        self.assertIn('"s3:*"', text)  # the parent's (readwrite) policy
        self.assertIn(f"parent_user:    {SAUSER}", text)
        # Another S3 user does not see them.
        self.assertCLIFails(
            f'NoSuchEntity: user "{USER}" has no service account "{self.narrow["access_key"]}"',
            "s3", "service-account", "show", self.narrow["access_key"], ak=USER, sk=USER_PW,
        )
        self.assertEqual(tessera_ok("s3", "service-account", "list", ak=USER, sk=USER_PW).strip(), "")

    def test_3_parent_policy_change_applies_at_once(self):
        """Attaching readonly to the parent: the inheriting service account can no longer write, still read."""
        ic = s3_client(self.inherit["access_key"], self.inherit["secret_key"])
        self.put(ic, BO, "sa/before.txt")
        root("s3", "policy", "attach", "readonly", SAUSER)
        try:
            self.assertCode("AccessDenied", self.put, ic, BO, "sa/after.txt")
            self.assertEqual(self.get(ic, BO, "sa/before.txt"), b"x")
            # The narrowed one is bounded by the parent too (PutObject gone).
            self.assertCode("AccessDenied", self.put, s3_client(self.narrow["access_key"], self.narrow["secret_key"]), BD, "sa/n2.txt")
        finally:
            root("s3", "policy", "attach", "readwrite", SAUSER)
        self.put(ic, BO, "sa/after.txt")

    def test_4_only_the_user_itself(self):
        """Root, a cluster admin and a service account may not add service accounts."""
        want = "only the S3 user itself, signing with its own access and secret key, may manage its service accounts"
        e = self.assertCLIFails("AccessDenied: ", "s3", "service-account", "add", ak=AK, sk=SK)
        self.assertIn(want, e)
        root("user", "add", "boss", "clusteradmin", "Boss-Pass-12")
        e = self.assertCLIFails('AccessDenied: "boss" is not an S3 user', "s3", "service-account", "add", ak="boss", sk="Boss-Pass-12")
        self.assertIn(want, e)
        e = self.assertCLIFails(
            "AccessDenied: a service account cannot manage service accounts", "s3", "service-account", "add",
            ak=self.inherit["access_key"], sk=self.inherit["secret_key"],
        )
        self.assertIn(want, e)
        self.assertCLIFails("AccessDenied", "s3", "service-account", "remove", self.inherit["access_key"], ak="boss", sk="Boss-Pass-12")
        # A service account cannot assume a role either.
        self.assertCode("AccessDenied", assume, self.inherit["access_key"], self.inherit["secret_key"], 900)
        self.assertEqual(len(self.sa("list").split()), 2)

    def test_5_limit_of_100_and_remove(self):
        """Service accounts 3..100 with the CLI; the 101st is refused with a clear message."""
        t0 = time.monotonic()
        have = len(self.sa("list").split())
        for i in range(have, 100):
            r = tessera("s3", "service-account", "add", "--json", ak=SAUSER, sk=SAUSER_PW)
            self.assertEqual(r.returncode, 0, f"service account {i + 1}: {r.stderr}")
        print(f"\n  {100 - have} service accounts added in {time.monotonic() - t0:.1f} s", file=sys.stderr)
        self.assertEqual(len(self.sa("list").split()), 100)
        self.assertCLIFails(
            f'LimitExceeded: user "{SAUSER}" already has the maximum number of service accounts (100); remove one first',
            "s3", "service-account", "add", ak=SAUSER, sk=SAUSER_PW,
        )
        self.assertEqual(len(self.sa("list").split()), 100)

    def test_6_remove_revokes(self):
        """service-account remove: the keys stop working at once; removing again is NoSuchEntity."""
        ic = s3_client(self.inherit["access_key"], self.inherit["secret_key"])
        self.assertEqual(self.get(ic, BO, "sa/before.txt"), b"x")
        out = self.sa("remove", self.inherit["access_key"]).strip()
        self.assertEqual(out, f"service account {self.inherit['access_key']} removed")
        self.assertCode("InvalidAccessKeyId", self.get, ic, BO, "sa/before.txt")
        self.assertAWSFails("(InvalidAccessKeyId)", "s3", "ls", f"s3://{BO}/", creds=(self.inherit["access_key"], self.inherit["secret_key"]))
        self.assertCLIFails(
            f'NoSuchEntity: user "{SAUSER}" has no service account "{self.inherit["access_key"]}"',
            "s3", "service-account", "remove", self.inherit["access_key"], ak=SAUSER, sk=SAUSER_PW,
        )
        keys = self.sa("list").split()
        self.assertEqual(len(keys), 99)
        self.assertNotIn(self.inherit["access_key"], keys)
        # Room for one again.
        json.loads(self.sa("add", "--json"))


class T3Expiry(Case):
    """Restart with the session-expiry clock 16 minutes ahead."""

    before = {}

    def test_1_restart_with_clock_offset(self):
        """Sessions of 15 min and 1 h and a service account, then SIGTERM and restart with a +16m credential clock."""
        b = T3Expiry.before
        out = json.loads(tessera_ok("s3", "sts", "assume-role", "--duration", "15m", "--json", ak=USER, sk=USER_PW))
        b["short"] = (out["access_key_id"], out["secret_access_key"], out["session_token"])
        cr = assume(USER, USER_PW, 3600)
        b["long"] = (cr["AccessKeyId"], cr["SecretAccessKey"], cr["SessionToken"])
        sa = json.loads(tessera_ok("s3", "service-account", "add", "--json", ak=USER, sk=USER_PW))
        b["sa"] = (sa["access_key"], sa["secret_key"])
        for name in ("short", "long", "sa"):
            self.put(s3_client(*b[name]), BD, f"expiry/{name}.txt", name.encode())
        listed = [s["access_key"] for s in self.sessions(USER)]
        self.assertIn(b["short"][0], listed)
        self.assertIn(b["long"][0], listed)
        rc = SERVER.stop()
        self.assertEqual(rc, 0, f"server exit status after SIGTERM (None: still running after 30 s):\n{SERVER.log_tail()}")
        SERVER.start(clock_offset="16m")

    def test_2_expired_session_refused(self):
        """The 15-minute session gets ExpiredToken (boto3 and aws CLI)."""
        short = T3Expiry.before["short"]
        self.assertCode("ExpiredToken", self.get, s3_client(*short), BD, "expiry/short.txt")
        self.assertCode("ExpiredToken", self.put, s3_client(*short), BD, "expiry/late.txt")
        self.assertAWSFails("(ExpiredToken)", "s3", "ls", f"s3://{BD}/", creds=short)

    def test_3_live_credentials_survive(self):
        """After the restart: the 1 h session, service accounts (also older ones) and a fresh session work."""
        b = T3Expiry.before
        self.assertEqual(self.get(s3_client(*b["long"]), BD, "expiry/short.txt"), b"short")
        r = aws("s3", "cp", "--only-show-errors", f"s3://{BD}/expiry/long.txt", "-", creds=b["long"], check=True)
        self.assertEqual(r.stdout, "long")
        self.assertEqual(self.get(s3_client(*b["sa"]), BD, "expiry/sa.txt"), b"sa")
        # The narrowed service account of T2, made before the restart.
        n = T2ServiceAccounts.narrow
        self.assertIsNotNone(n, "T2ServiceAccounts did not run")
        self.assertEqual(self.get(s3_client(n["access_key"], n["secret_key"]), BD, "sa/n.txt"), b"service account bytes\n")
        self.assertCode("AccessDenied", self.put, s3_client(n["access_key"], n["secret_key"]), BO, "sa/n.txt")
        self.assertEqual(len(tessera_ok("s3", "service-account", "list", ak=SAUSER, sk=SAUSER_PW).split()), 100)
        fresh = session_s3(assume(USER, USER_PW, 3600))
        self.put(fresh, BD, "expiry/fresh.txt", b"fresh")
        self.assertEqual(self.get(fresh, BD, "expiry/fresh.txt"), b"fresh")

    def test_4_expired_sessions_not_listed(self):
        """tessera s3 sts list: the expired 15-minute session is gone, the 1 h one is listed."""
        b = T3Expiry.before
        listed = [s["access_key"] for s in self.sessions(USER)]
        self.assertIn(b["long"][0], listed)
        self.assertNotIn(b["short"][0], listed, "a session the server refuses with ExpiredToken is listed as live by `tessera s3 sts list`")

    def test_5_graceful_stop(self):
        """SIGTERM: the server exits 0."""
        rc = SERVER.stop()
        self.assertEqual(rc, 0, f"server exit status after SIGTERM (None: still running after 30 s):\n{SERVER.log_tail()}")


def main():
    for v in ("AK", "SK", "BUCKET_PREFIX", "TESSERA_BIN"):
        if not os.environ.get(v):
            sys.exit(f"sts_test.py: environment variable {v} is not set (run me through run.sh)")
    print(f"boto3 {boto3.__version__}, botocore {botocore.__version__}", file=sys.stderr)
    runner = unittest.TextTestRunner(verbosity=2, resultclass=result_log("sts_test.py"))
    names = sys.argv[1:]
    loader = unittest.defaultTestLoader
    if names:
        suite = loader.loadTestsFromNames(names, sys.modules[__name__])
    else:
        suite = loader.loadTestsFromModule(sys.modules[__name__])
    try:
        result = runner.run(suite)
    finally:
        if SERVER is not None and SERVER.proc is not None and SERVER.proc.poll() is None:
            SERVER.proc.kill()
    if not result.wasSuccessful() and SERVER is not None:
        print(f"---- sts_test.py server log (last 30 lines) ----\n{SERVER.log_tail()}", file=sys.stderr)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
