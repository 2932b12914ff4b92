"""Record builders and writers of the log sources: CloudTrail files, S3 server access logs, gateway JSONL."""

from __future__ import annotations

import base64
import gzip
import json
import random
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sample_data.estate import (
    ACCOUNT,
    BUCKET_OWNER_ID,
    DATASETS_BUCKET,
    PARTNER_ACCOUNT,
    REGION,
    Actor,
    hid,
)

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_HEX_UP = "0123456789ABCDEF"
S3_CIPHER = "TLS_AES_128_GCM_SHA256"
_UUID_CLEAR = ~((0xF << 76) | (0x3 << 62))
_UUID_SET = (4 << 76) | (0x2 << 62)
# A day of gateway log rolls over to a numbered file past this size (the tests cap any file at 5 MB).
GATEWAY_FILE_BYTES = 4_000_000
# Maximum records per CloudTrail file: CloudTrail splits busy periods into several files.
CT_FILE_RECORDS = 1500


def iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def iso_ms(t: float) -> str:
    """ISO 8601 with milliseconds; the seconds part is cached because times arrive sorted in long runs."""
    sec = int(t)
    if _ISO_CACHE[0] != sec:
        _ISO_CACHE[0], _ISO_CACHE[1] = sec, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
    return f"{_ISO_CACHE[1]}.{int((t - sec) * 1000):03d}Z"


_ISO_CACHE: list[Any] = [-1, ""]


def sts_expiry(t: float) -> str:
    """STS credential expiry as CloudTrail prints it ("Mar 4, 2025, 2:00:00 AM"), without glibc-only %-d."""
    g = time.gmtime(t)
    hour12 = g.tm_hour % 12 or 12
    ampm = "AM" if g.tm_hour < 12 else "PM"
    return f"{_MONTHS[g.tm_mon - 1]} {g.tm_mday}, {g.tm_year}, {hour12}:{g.tm_min:02d}:{g.tm_sec:02d} {ampm}"


def s3_time(t: float) -> str:
    g = time.gmtime(t)
    day = f"{g.tm_mday:02d}/{_MONTHS[g.tm_mon - 1]}/{g.tm_year}"
    return f"[{day}:{g.tm_hour:02d}:{g.tm_min:02d}:{g.tm_sec:02d} +0000]"


class Emitter:
    """Collects every source's records in memory (tens of thousands, small); writes them sorted by time."""

    def __init__(self, rng: random.Random, start: int, end: int) -> None:
        self.rng = rng
        self.start = start
        self.end = end
        self.ct: list[tuple[float, int, dict[str, Any]]] = []
        self.s3: dict[str, list[tuple[float, int, str]]] = defaultdict(list)
        self.gw: list[tuple[float, int, str]] = []
        self._gw_cache: dict[tuple[str, str, str, str], str] = {}
        self._seq = 0  # tie-breaker that keeps equal timestamps in emission order

    def in_range(self, t: float) -> bool:
        return self.start <= t < self.end

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    # ------------------------------------------------------------------------------------ ids
    def uuid(self) -> str:
        """A version-4 UUID from the seeded generator (as uuid.UUID(int=..., version=4), 3x faster)."""
        n = self.rng.getrandbits(128) & _UUID_CLEAR | _UUID_SET
        h = f"{n:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def s3_request_id(self) -> str:
        return "".join(self.rng.choices(_HEX_UP, k=16))

    def host_id(self) -> str:
        return base64.b64encode(self.rng.randbytes(57)).decode()

    def alnum(self, n: int) -> str:
        return "".join(self.rng.choices(_ALNUM, k=n))

    # ------------------------------------------------------------------------------------ CloudTrail
    def identity(self, who: Actor | str | None, t: float) -> dict[str, Any]:
        """The userIdentity block: IAM user, assumed role (with session issuer), AWS service or anonymous."""
        if who is None:
            return {"type": "AWSAccount", "principalId": "", "accountId": "anonymous"}
        if isinstance(who, str):  # an AWS service principal such as sagemaker.amazonaws.com
            return {"type": "AWSService", "invokedBy": who}
        day = time.strftime("%Y%m%d", time.gmtime(t))
        if who.kind == "iam_user":
            return {
                "type": "IAMUser",
                "principalId": who.unique_id,
                "arn": who.arn,
                "accountId": ACCOUNT,
                "accessKeyId": hid("AKIA", who.name, 16),
                "userName": who.name,
            }
        hour_start = int(t) - int(t) % 3600
        ident: dict[str, Any] = {
            "type": "AssumedRole",
            "principalId": f"{who.unique_id}:{who.session}",
            "arn": who.arn,
            "accountId": ACCOUNT,
            "accessKeyId": hid("ASIA", f"{who.name}/{who.session}/{day}", 16),
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": who.unique_id,
                    "arn": who.role_arn,
                    "accountId": ACCOUNT,
                    "userName": who.name,
                },
                "webIdFederationData": {},
                "attributes": {
                    "creationDate": iso(hour_start),
                    "mfaAuthenticated": "true" if who.kind == "sso" else "false",
                },
            },
        }
        if who.ua == "sagemaker.amazonaws.com":
            ident["invokedBy"] = "sagemaker.amazonaws.com"
        return ident

    def ct_event(
        self,
        t: float,
        who: Actor | str | None,
        source: str,
        name: str,
        req: dict[str, Any] | None = None,
        resp: dict[str, Any] | None = None,
        *,
        read_only: bool,
        error: tuple[str, str] | None = None,
        resources: list[dict[str, str]] | None = None,
        extra: dict[str, Any] | None = None,
        data: bool = False,
        ip: str | None = None,
        ua: str | None = None,
        request_id: str | None = None,
        shared: bool = False,
        identity: dict[str, Any] | None = None,
    ) -> None:
        """One CloudTrail record; `identity` replaces the userIdentity derived from `who` (STS federation)."""
        if not self.in_range(t):
            return
        actor = who if isinstance(who, Actor) else None
        if ip is None:
            ip = self.rng.choice(actor.ips) if actor else (who if isinstance(who, str) else "-")
        if ua is None:
            ua = actor.ua if actor else (who if isinstance(who, str) else "-")
        if source == "s3.amazonaws.com" and actor and actor.ua.startswith("Mozilla"):
            ua = "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.750]"  # S3 console calls look like this
        rec: dict[str, Any] = {
            "eventVersion": "1.10" if data else "1.09",
            "userIdentity": identity or self.identity(who, t),
            "eventTime": iso(t),
            "eventSource": source,
            "eventName": name,
            "awsRegion": REGION,
            "sourceIPAddress": ip,
            "userAgent": ua,
            "requestParameters": req,
            "responseElements": resp,
        }
        if error:
            rec["errorCode"], rec["errorMessage"] = error
        if extra:
            rec["additionalEventData"] = extra
        rec["requestID"] = request_id or (
            self.s3_request_id() if source == "s3.amazonaws.com" else self.uuid()
        )
        rec["eventID"] = self.uuid()
        rec["readOnly"] = read_only
        if resources:
            rec["resources"] = resources
        rec["eventType"] = "AwsApiCall"
        rec["managementEvent"] = not data
        rec["recipientAccountId"] = ACCOUNT
        if shared:
            rec["sharedEventID"] = self.uuid()
        rec["eventCategory"] = "Data" if data else "Management"
        if ip[
            :1
        ].isdigit():  # only calls from a client address carry TLS details, not service-to-service ones
            host = (req or {}).get("Host") or f"{source.split('.')[0]}.{REGION}.amazonaws.com"
            rec["tlsDetails"] = {
                "tlsVersion": "TLSv1.3",
                "cipherSuite": S3_CIPHER,
                "clientProvidedHostHeader": host,
            }
        self.ct.append((t, self._next(), rec))

    def sagemaker(
        self,
        t: float,
        who: Actor | str,
        name: str,
        req: dict[str, Any] | None,
        resp: dict[str, Any] | None = None,
        *,
        error: tuple[str, str] | None = None,
        ip: str | None = None,
        ua: str | None = None,
    ) -> None:
        read_only = name.startswith(("Describe", "List", "Get", "Search"))
        self.ct_event(
            t,
            who,
            "sagemaker.amazonaws.com",
            name,
            req,
            None if error else resp,
            read_only=read_only,
            error=error,
            ip=ip,
            ua=ua,
        )

    def assume_role(self, t: float, role: Actor, caller: str) -> None:
        """STS AssumeRole of `role` by an AWS service principal, or ("partner") by the partner account."""
        resp = {
            "credentials": {
                "accessKeyId": hid("ASIA", f"{role.name}/{role.session}/{int(t) // 86400}", 16),
                "sessionToken": "IQoJb3JpZ2luX2VjE" + self.alnum(40),
                "expiration": sts_expiry(t + 3600),
            },
            "assumedRoleUser": {"assumedRoleId": f"{role.unique_id}:{role.session}", "arn": role.arn},
        }
        req: dict[str, Any] = {"roleArn": role.role_arn, "roleSessionName": role.session}
        resources = [{"accountId": ACCOUNT, "type": "AWS::IAM::Role", "ARN": role.role_arn}]
        if caller != "partner":
            self.ct_event(
                t, caller, "sts.amazonaws.com", "AssumeRole", req, resp, read_only=True, resources=resources
            )
            return
        # A cross-account caller appears as AWSAccount with its own account id, and the event is shared.
        req["durationSeconds"] = 3600
        req["externalId"] = "orbitpay-7f3a"
        self.ct_event(
            t,
            None,
            "sts.amazonaws.com",
            "AssumeRole",
            req,
            resp,
            read_only=True,
            resources=resources,
            ip=self.rng.choice(role.ips),
            ua="aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 api/sts#1.30.3",
            shared=True,
            identity={
                "type": "AWSAccount",
                "principalId": hid("AIDA", "orbitpay-risk-svc"),
                "accountId": PARTNER_ACCOUNT,
            },
        )

    def assume_role_sso(self, t: float, who: Actor, ip: str) -> None:
        """AssumeRoleWithSAML, which IAM Identity Center performs when a human opens a console/CLI session."""
        provider = f"arn:aws:iam::{ACCOUNT}:saml-provider/AWSSSO_5c1e7a93d2b84f06_DO_NOT_DELETE"
        req = {
            "sAMLAssertionID": "_" + self.uuid(),
            "roleSessionName": who.session,
            "principalArn": provider,
            "roleArn": who.role_arn,
            "durationSeconds": 28800,
        }
        resp = {
            "credentials": {
                "accessKeyId": hid("ASIA", f"{who.name}/{who.session}/{int(t) // 86400}", 16),
                "sessionToken": "IQoJb3JpZ2luX2VjE" + self.alnum(40),
                "expiration": sts_expiry(t + 28800),
            },
            "assumedRoleUser": {"assumedRoleId": f"{who.unique_id}:{who.session}", "arn": who.arn},
            "subject": who.session,
            "subjectType": "persistent",
            "issuer": "https://portal.sso.us-east-1.amazonaws.com/saml/assertion/NDE4MjA3MzY1MTEy",
            "audience": "https://signin.aws.amazon.com/saml",
            "nameQualifier": "K3vQq9dH2xRUm7eYpA0Bw1Lsz4c=",
        }
        self.ct_event(
            t,
            "sso.amazonaws.com",
            "sts.amazonaws.com",
            "AssumeRoleWithSAML",
            req,
            resp,
            read_only=True,
            resources=[{"accountId": ACCOUNT, "type": "AWS::IAM::Role", "ARN": who.role_arn}],
            ip=ip,
            ua=who.ua,
            identity={
                "type": "SAMLUser",
                "principalId": f"K3vQq9dH2xRUm7eYpA0Bw1Lsz4c=:{who.session}",
                "userName": who.session,
                "identityProvider": "K3vQq9dH2xRUm7eYpA0Bw1Lsz4c=",
            },
        )

    def assume_role_oidc(self, t: float, role: Actor, repo: str) -> None:
        """AssumeRoleWithWebIdentity by a GitHub Actions OIDC token."""
        provider = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
        sub = f"repo:{repo}:ref:refs/heads/main"
        req = {"roleArn": role.role_arn, "roleSessionName": role.session, "durationSeconds": 3600}
        resp = {
            "credentials": {
                "accessKeyId": hid("ASIA", f"{role.name}/{int(t)}", 16),
                "sessionToken": "IQoJb3JpZ2luX2VjE" + self.alnum(40),
                "expiration": sts_expiry(t + 3600),
            },
            "subjectFromWebIdentityToken": sub,
            "assumedRoleUser": {"assumedRoleId": f"{role.unique_id}:{role.session}", "arn": role.arn},
            "provider": provider,
            "audience": "sts.amazonaws.com",
        }
        self.ct_event(
            t,
            "token.actions.githubusercontent.com",
            "sts.amazonaws.com",
            "AssumeRoleWithWebIdentity",
            req,
            resp,
            read_only=True,
            resources=[{"accountId": ACCOUNT, "type": "AWS::IAM::Role", "ARN": role.role_arn}],
            ip=self.rng.choice(role.ips),
            ua=role.ua,
            identity={
                "type": "WebIdentityUser",
                "principalId": f"{provider}:sts.amazonaws.com:{sub}",
                "userName": sub,
                "identityProvider": provider,
            },
        )

    # ------------------------------------------------------------------------------------ S3
    def s3_line(
        self,
        t: float,
        bucket: str,
        who: Actor | None,
        op: str,
        key: str | None,
        *,
        status: int = 200,
        error: str | None = None,
        bytes_sent: int | None = None,
        size: int | None = None,
        ip: str | None = None,
        ua: str | None = None,
        uri: str | None = None,
        auth: str = "AuthHeader",
        request_id: str | None = None,
        total_ms: int | None = None,
    ) -> str:
        """One server access log line (26 fields, FORMATS §2 order); returns the request id used."""
        rid = request_id or self.s3_request_id()
        if not self.in_range(t):
            return rid
        requester = who.arn if who else "-"
        ip = ip or (self.rng.choice(who.ips) if who else "-")
        ua = ua or (who.ua if who else "-")
        if uri is None:
            method = op.split(".")[1]
            uri = f"{method} /{quote(key, safe='/-_.~')} HTTP/1.1" if key else f"{method} / HTTP/1.1"
        key_field = quote(key, safe="/-_.~") if key else "-"
        if total_ms is None:
            moved = bytes_sent or (size if op == "REST.PUT.OBJECT" else 0) or 0
            total_ms = 6 + self.rng.randint(0, 40) + moved // (90 * 1024 * 1024) * 1000 // 1
        turn = max(1, min(total_ms, self.rng.randint(2, 30)))
        sig = "SigV4" if who else "-"
        if who is None:
            auth = "-"
        line = (
            f"{BUCKET_OWNER_ID} {bucket} {s3_time(t)} {ip} {requester} {rid} {op} {key_field} "
            f'"{uri}" {status} {error or "-"} {bytes_sent if bytes_sent else "-"} '
            f'{size if size is not None else "-"} {total_ms} {turn} "-" "{ua}" - {self.host_id()} {sig} '
            f"{S3_CIPHER} {auth} {bucket}.s3.{REGION}.amazonaws.com TLSv1.3 - -"
        )
        self.s3[bucket].append((t, self._next(), line))
        return rid

    def s3_get(
        self,
        t: float,
        bucket: str,
        who: Actor | None,
        key: str,
        size: int,
        *,
        status: int = 200,
        error: str | None = None,
        ip: str | None = None,
        ua: str | None = None,
        uri: str | None = None,
        auth: str = "AuthHeader",
        request_id: str | None = None,
    ) -> str:
        sent = size if status == 200 else 243
        return self.s3_line(
            t,
            bucket,
            who,
            "REST.GET.OBJECT",
            key,
            status=status,
            error=error,
            bytes_sent=sent,
            size=size if status == 200 else None,
            ip=ip,
            ua=ua,
            uri=uri,
            auth=auth,
            request_id=request_id,
        )

    def s3_put(
        self,
        t: float,
        bucket: str,
        who: Actor,
        key: str,
        size: int,
        *,
        ip: str | None = None,
        ua: str | None = None,
        request_id: str | None = None,
    ) -> str:
        return self.s3_line(
            t, bucket, who, "REST.PUT.OBJECT", key, size=size, ip=ip, ua=ua, request_id=request_id
        )

    def s3_list(
        self,
        t: float,
        bucket: str,
        who: Actor,
        prefix: str,
        *,
        ip: str | None = None,
        ua: str | None = None,
        request_id: str | None = None,
    ) -> str:
        uri = f"GET /?list-type=2&prefix={quote(prefix, safe='')}&encoding-type=url HTTP/1.1"
        return self.s3_line(
            t,
            bucket,
            who,
            "REST.GET.BUCKET",
            None,
            bytes_sent=self.rng.randint(900, 24_000),
            uri=uri,
            ip=ip,
            ua=ua,
            request_id=request_id,
        )

    # The datasets bucket also has CloudTrail data events: both sources share the S3 request id, as AWS does.
    def ds_object(
        self,
        t: float,
        who: Actor | None,
        op: str,
        key: str,
        size: int,
        *,
        ip: str | None = None,
        ua: str | None = None,
        status: int = 200,
        error: str | None = None,
    ) -> None:
        if not self.in_range(t):
            return
        ip = ip or (self.rng.choice(who.ips) if who else "-")
        ua = ua or (who.ua if who else "-")
        rid = self.s3_request_id()
        if op == "GetObject":
            self.s3_get(
                t, DATASETS_BUCKET, who, key, size, status=status, error=error, ip=ip, ua=ua, request_id=rid
            )
        elif op == "PutObject":
            self.s3_put(t, DATASETS_BUCKET, who, key, size, ip=ip, ua=ua, request_id=rid)  # type: ignore[arg-type]
        else:
            self.s3_list(t, DATASETS_BUCKET, who, key, ip=ip, ua=ua, request_id=rid)  # type: ignore[arg-type]
        host = f"{DATASETS_BUCKET}.s3.{REGION}.amazonaws.com"
        bucket_res = {
            "accountId": ACCOUNT,
            "type": "AWS::S3::Bucket",
            "ARN": f"arn:aws:s3:::{DATASETS_BUCKET}",
        }
        extra: dict[str, Any] = {
            "SignatureVersion": "SigV4" if who else "-",
            "CipherSuite": S3_CIPHER,
            "bytesTransferredIn": size if op == "PutObject" else 0,
            "AuthenticationMethod": "AuthHeader" if who else "-",
            "x-amz-id-2": self.host_id(),
            "bytesTransferredOut": size
            if op == "GetObject" and status == 200
            else (0 if op != "ListObjects" else 4_211),
        }
        if op == "ListObjects":
            req = {
                "list-type": "2",
                "bucketName": DATASETS_BUCKET,
                "encoding-type": "url",
                "prefix": key,
                "Host": host,
            }
            resources = [bucket_res]
        else:
            req = {"bucketName": DATASETS_BUCKET, "Host": host, "key": key}
            if op == "PutObject":
                req["x-amz-server-side-encryption"] = "aws:kms"
            resources = [
                {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{DATASETS_BUCKET}/{key}"},
                bucket_res,
            ]
        resp = {"x-amz-server-side-encryption": "aws:kms"} if op == "PutObject" else None
        err = (error, "Access Denied") if error else None
        self.ct_event(
            t,
            who,
            "s3.amazonaws.com",
            op,
            req,
            resp,
            read_only=op != "PutObject",
            error=err,
            resources=resources,
            extra=extra,
            data=True,
            ip=ip,
            ua=ua,
            request_id=rid,
        )

    # ------------------------------------------------------------------------------------ gateway
    def invoke(
        self,
        t: float,
        who: Actor,
        endpoint: str,
        *,
        status: int = 200,
        ip: str | None = None,
        ua: str | None = None,
    ) -> None:
        """One gateway access event, rendered straight to a JSON line (most of the estate's volume)."""
        if not self.in_range(t):
            return
        rnd = self.rng.random
        ip = ip or (who.ips[0] if len(who.ips) == 1 else self.rng.choice(who.ips))
        key = (who.key, ip, ua or who.ua, endpoint)
        middle = self._gw_cache.get(key)
        if middle is None:
            fields = {
                "principal": who.arn,
                "principal_type": who.principal_type,
                "principal_role": who.role_arn if who.kind != "iam_user" else None,
                "account_id": ACCOUNT,
                "region": REGION,
                "source_ip": ip,
                "user_agent": ua or who.ua,
                "service": "sagemaker-runtime",
                "action": "InvokeEndpoint",
                "action_class": "invoke",
                "resource": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{endpoint.lower()}",
            }
            middle = "".join(f'"{k}":{json.dumps(v)},' for k, v in fields.items() if v is not None)
            self._gw_cache[key] = middle
        ok = status < 400
        bytes_in = 600 + int(rnd() * 1800)
        bytes_out = 90 + int(rnd() * 330) if ok else 112
        duration = 14.0 + rnd() * 81.0 if ok else 1.0 + rnd() * 3.0
        line = (
            f'{{"event_id":"{self.uuid()}","ts":"{iso_ms(t)}",{middle}'
            f'"outcome":"{"success" if ok else "failure"}","status_code":"{status}",'
            f'"bytes_in":{bytes_in},"bytes_out":{bytes_out},"duration_ms":{duration:.1f}}}\n'
        )
        self.gw.append((t, self._next(), line))

    # ------------------------------------------------------------------------------------ writing
    def write(self, out: Path) -> dict[str, Any]:
        """Write every source sorted by time; returns counts and the list of files written."""
        files: list[Path] = []
        files += self._write_cloudtrail(out / "logs" / "cloudtrail")
        files += self._write_s3(out / "logs" / "s3")
        files += self._write_gateway(out / "logs" / "gateway")
        return {
            "files": files,
            "events": {
                "cloudtrail": len(self.ct),
                "s3_access": sum(map(len, self.s3.values())),
                "gateway": len(self.gw),
            },
        }

    def _write_cloudtrail(self, root: Path) -> list[Path]:
        by_hour: dict[int, list[tuple[float, int, dict[str, Any]]]] = defaultdict(list)
        for item in self.ct:
            by_hour[int(item[0]) // 3600].append(item)
        written = []
        for hour in sorted(by_hour):
            items = sorted(by_hour[hour], key=lambda x: (x[0], x[1]))
            for part in range(0, len(items), CT_FILE_RECORDS):
                chunk = items[part : part + CT_FILE_RECORDS]
                # CloudTrail delivers about every five minutes after the period closes; name by delivery time.
                delivered = (hour + 1) * 3600 + self.rng.randint(2, 12) * 60
                g = time.gmtime(delivered)
                folder = root / "AWSLogs" / ACCOUNT / "CloudTrail" / REGION / time.strftime("%Y/%m/%d", g)
                stamp = time.strftime("%Y%m%dT%H%MZ", g)
                name = f"{ACCOUNT}_CloudTrail_{REGION}_{stamp}_{self.alnum(16)}.json.gz"
                body = json.dumps({"Records": [rec for _, _, rec in chunk]}, separators=(",", ":"))
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / name
                path.write_bytes(gzip.compress(body.encode(), compresslevel=6, mtime=0))
                written.append(path)
        return written

    def _write_s3(self, root: Path) -> list[Path]:
        written = []
        for bucket in sorted(self.s3):
            by_hour: dict[int, list[tuple[float, int, str]]] = defaultdict(list)
            for item in self.s3[bucket]:
                by_hour[int(item[0]) // 3600].append(item)
            folder = root / bucket
            folder.mkdir(parents=True, exist_ok=True)
            for hour in sorted(by_hour):
                lines = [line for _, _, line in sorted(by_hour[hour], key=lambda x: (x[0], x[1]))]
                delivered = (hour + 1) * 3600 + self.rng.randint(300, 3000)
                name = (
                    time.strftime("%Y-%m-%d-%H-%M-%S", time.gmtime(delivered))
                    + "-"
                    + "".join(self.rng.choices(_HEX_UP, k=16))
                )
                path = folder / name
                path.write_text("\n".join(lines) + "\n", encoding="utf-8")
                written.append(path)
        return written

    def _write_gateway(self, root: Path) -> list[Path]:
        by_day: dict[int, list[tuple[float, int, str]]] = defaultdict(list)
        for item in self.gw:
            by_day[int(item[0]) // 86400].append(item)
        root.mkdir(parents=True, exist_ok=True)
        written = []
        for day in sorted(by_day):
            stem = f"inference-{time.strftime('%Y-%m-%d', time.gmtime(day * 86400))}"
            part: list[str] = []
            size = 0
            parts: list[list[str]] = [part]
            for _, _, line in sorted(by_day[day], key=lambda x: (x[0], x[1])):
                if size + len(line) > GATEWAY_FILE_BYTES:  # size-based rotation, like a log shipper's
                    part, size = [], 0
                    parts.append(part)
                part.append(line)
                size += len(line)
            for n, lines in enumerate(parts):
                path = root / (f"{stem}.jsonl" if n == 0 else f"{stem}.{n}.jsonl")
                path.write_text("".join(lines), encoding="utf-8")
                written.append(path)
        return written
