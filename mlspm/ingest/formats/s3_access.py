"""Amazon S3 server access logs: a content sniffer and a line parser that stages normalized access events."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import unquote_plus

from mlspm.ingest import events
from mlspm.ingest.bulk import RowBuffer
from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import CERTAIN, LIKELY, MAYBE, NO
from mlspm.ingest.rules import action_class, outcome_from_status
from mlspm.ingest.source import Sample

# Field positions (0-based) in the documented order (FORMATS.md §2); newer fields are appended at the end.
_BUCKET, _TIME, _REMOTE_IP, _REQUESTER, _REQUEST_ID, _OPERATION, _KEY = 1, 2, 3, 4, 5, 6, 7
_HTTP_STATUS, _ERROR_CODE, _BYTES_SENT, _OBJECT_SIZE, _TOTAL_TIME = 9, 10, 11, 12, 13
_USER_AGENT, _HOST_ID, _SIG_VERSION, _AUTH_TYPE, _HOST_HEADER, _ACCESS_POINT = 16, 18, 19, 21, 22, 24
_MIN_FIELDS = 18  # legacy lines stop after version_id

# One token: a quoted string (backslash escapes allowed), a [bracketed] time, or a run of non-spaces.
# A bracket never spans a quote, so an unclosed time bracket cannot swallow the quoted fields after it,
# and it must end its token, so a key such as [draft]x (normally URL-encoded anyway) stays one field.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|\[[^\]"]*\](?= |$)|[^ ]+')

_TIME_RE = re.compile(r"\[(\d{1,2})/([A-Za-z]{3})/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\]")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}

# The fields after the host id, used to notice a host id that contains a space (seen in real logs).
_SIGV = re.compile(r"SigV\d|-", re.IGNORECASE)
_AUTH = re.compile(r"AuthHeader|QueryString|-", re.IGNORECASE)

# Presigned-URL credentials in a query string, also when the query string itself is URL-encoded
# (%3F = ?, %26 = &, %3D = =): the parameter keeps its name, the value becomes REDACTED.
_SECRET = re.compile(
    r"((?:[?&;]|%26|%3f)(?:x-amz-signature|signature|x-amz-security-token|x-amz-credential|awsaccesskeyid)"
    r"(?:=|%3d))[^&\s\"%]*(?:%(?!26)[^&\s\"%]*)*",
    re.IGNORECASE,
)
# Every secret parameter name contains one of these (lower-cased); str methods rule most lines out far
# faster than a case-insensitive regex could.
_SECRET_HINTS = ("signature", "token", "credential", "accesskeyid")

_ARN = re.compile(r"arn:([\w-]+):(iam|sts)::(\d*):(.*)", re.DOTALL)
_CANONICAL = re.compile(r"[0-9a-fA-F]+")
_AWS_SERVICE = re.compile(r"svc:.+|[\w.-]+\.amazonaws\.com|Amazon\w+|AWS\w*")
_REGION_HOST = re.compile(
    r"(?:^|\.)s3(?:[.-](?:dualstack|accesspoint|fips|website|control|object-lambda))*[.-]"
    r"([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d+)\.",
    re.IGNORECASE,
)
_REGION_ARN = re.compile(r"arn:[\w-]+:s3[\w-]*:([a-z]{2}[\w-]*-\d+):")

# What the sniffer expects at the start of a line: owner, bucket, [time], ip, requester, request id,
# and an operation such as REST.GET.OBJECT (or -).
_SNIFF = re.compile(
    r'[^ "\[{]+ [^ ]+ \[\d{1,2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] [^ ]+ [^ ]+ [^ ]+ '
    r"(?:[A-Z][A-Z0-9_]*(?:\.[A-Z0-9_]+)+|-)(?: |$)"
)

_CACHE_LIMIT = 100_000


class _Reject(Exception):
    """A line that cannot be normalized; the message is the reason stored in ``rejects``."""


def redact(text: str) -> str:
    """``text`` with presigned-URL signatures, tokens and credentials in query strings made REDACTED."""
    # Secrets only travel in query strings: a line with no separator at all needs no closer look.
    if "?" not in text and "&" not in text and "%" not in text and ";" not in text:
        return text
    lower = text.lower()
    for hint in _SECRET_HINTS:
        if hint in lower:
            return _SECRET.sub(r"\1REDACTED", text)
    return text


def tokenize(line: str) -> list[str]:
    """The fields of one line: quoted and bracketed fields stay whole (quotes and brackets kept)."""
    return _TOKEN.findall(line)


def _unquote(value: str) -> str | None:
    """A quoted field's text; ``-``, ``"-"`` and ``""`` are missing."""
    if value[:1] == '"':
        value = value[1:-1]
        if "\\" in value:
            value = value.replace('\\"', '"').replace("\\\\", "\\")
    return None if value in ("-", "") else value


def _clip(value: str, size: int = 60) -> str:
    return repr(value if len(value) <= size else value[:size] + "…")


def _count(value: str, name: str) -> int | None:
    if value == "-":
        return None
    if value.isdigit() and value.isascii():
        return int(value)
    raise _Reject(f"{name} {_clip(value)} is not a number")


def _classify(requester: str) -> tuple[str, str, str | None, str | None]:
    """(principal, principal_type, principal_role, account_id) for a requester field."""
    if requester == "-":
        return "anonymous", "anonymous", None, None
    arn = _ARN.fullmatch(requester)
    if arn:
        partition, service, account, rest = arn.groups()
        role = None
        if service == "sts" and rest.startswith("assumed-role/"):
            kind = "AssumedRole"
            role = f"arn:{partition}:iam::{account}:role/{rest.split('/')[1]}"
        elif service == "sts" and rest.startswith("federated-user/"):
            kind = "FederatedUser"
        elif rest.startswith("user/"):
            kind = "IAMUser"
        elif rest.startswith("role/"):
            kind = "Role"
        elif rest == "root":
            kind = "Root"
        else:
            kind = "Unknown"
        return requester, kind, role, account or None
    if _AWS_SERVICE.fullmatch(requester):
        return requester, "AWSService", None, None
    if _CANONICAL.fullmatch(requester):
        return requester, "CanonicalUser", None, None
    return requester, "Unknown", None, None


def _midnight_utc(m: re.Match[str], value: str) -> datetime:
    """The UTC instant of local midnight of the day in a matched time field."""
    day, mon, year, sign, off_h, off_m = m.group(1, 2, 3, 7, 8, 9)
    month = _MONTHS.get(mon.lower())
    if month is None:
        raise _Reject(f"impossible date {_clip(value)}: unknown month {mon!r}")
    try:
        local = datetime(int(year), month, int(day), tzinfo=UTC)
    except ValueError as exc:
        raise _Reject(f"impossible date {_clip(value)}: {exc}") from None
    offset = timedelta(hours=int(off_h), minutes=int(off_m))
    # local time = UTC + offset, so UTC = local - offset
    return local - offset if sign == "+" else local + offset


class _Normalizer:
    """Turns tokenized lines into stage rows; caches the values that repeat across millions of lines."""

    def __init__(self) -> None:
        self.times: dict[str, datetime] = {}
        self.days: dict[str, datetime] = {}
        self.principals: dict[str, tuple[str, str, str | None, str | None]] = {}
        self.classes: dict[str, str] = {}
        self.regions: dict[tuple[str, str], str | None] = {}
        self.hash_seen: dict[str, int] = {}

    def time(self, value: str) -> datetime:
        """The UTC instant of a ``[06/Feb/2019:00:00:38 +0000]`` field; raises _Reject when impossible."""
        ts = self.times.get(value)
        if ts is None:
            ts = self._parse_time(value)
            if len(self.times) >= _CACHE_LIMIT:
                self.times.clear()
            self.times[value] = ts
        return ts

    def _parse_time(self, value: str) -> datetime:
        m = _TIME_RE.fullmatch(value)
        if m is None:
            if value == "-":
                raise _Reject("the time field is missing")
            if value[:1] == "[" and value[-1:] != "]":
                raise _Reject("unterminated bracket in the time field")
            raise _Reject(f"time {_clip(value)} is not [dd/Mon/yyyy:HH:MM:SS +zzzz]")
        hour, minute, second = int(m[4]), int(m[5]), int(m[6])
        if hour > 23 or minute > 59 or second > 59:
            raise _Reject(f"impossible date {_clip(value)}: time of day out of range")
        # Lines of one day share its midnight: only the time of day is added per distinct second.
        day_key = value[: m.start(4)] + value[m.end(6) :]
        midnight = self.days.get(day_key)
        if midnight is None:
            if len(self.days) >= _CACHE_LIMIT:
                self.days.clear()
            midnight = self.days[day_key] = _midnight_utc(m, value)
        return midnight + timedelta(hours=hour, minutes=minute, seconds=second)

    def principal(self, requester: str) -> tuple[str, str, str | None, str | None]:
        found = self.principals.get(requester)
        if found is None:
            if len(self.principals) >= _CACHE_LIMIT:
                self.principals.clear()
            found = self.principals[requester] = _classify(requester)
        return found

    def action_class(self, operation: str) -> str:
        found = self.classes.get(operation)
        if found is None:
            found = self.classes[operation] = action_class(operation).value
        return found

    def region(self, host: str, access_point: str) -> str | None:
        key = (host, access_point)
        if key in self.regions:
            return self.regions[key]
        m = _REGION_HOST.search(host) or _REGION_ARN.match(access_point)
        region = m.group(1).lower() if m else None
        if len(self.regions) >= _CACHE_LIMIT:
            self.regions.clear()
        self.regions[key] = region
        return region

    def content_id(self, line: str) -> str:
        """An id for a line without a request id: its hash, numbered so identical repeats stay distinct."""
        digest = hashlib.md5(line.encode("utf-8"), usedforsecurity=False).hexdigest()
        n = self.hash_seen.get(digest, 0) + 1
        self.hash_seen[digest] = n
        return f"h:{digest}:{n}"

    def row(self, pos: int, line: str) -> tuple[Any, ...]:
        """The stage row for one (already redacted) line; raises _Reject with the reason."""
        # An odd number of unescaped quotes means a quoted field never ends; tokens would shift.
        if (line.count('"') - line.count('\\"')) % 2:
            raise _Reject("unterminated quote")
        f = tokenize(line)
        n = len(f)
        if n > _TIME and f[_TIME][:1] == "[" and f[_TIME][-1:] != "]":
            raise _Reject("unterminated bracket in the time field")
        if n < _MIN_FIELDS:
            raise _Reject(f"only {n} fields; an S3 access log line has at least {_MIN_FIELDS}")
        # A host id with a space splits in two: the signature version then sits one place late.
        if (
            n > _SIG_VERSION + 1
            and not _SIGV.fullmatch(f[_SIG_VERSION])
            and _SIGV.fullmatch(f[_SIG_VERSION + 1])
            and (n <= _AUTH_TYPE + 1 or _AUTH.fullmatch(f[_AUTH_TYPE + 1]))
        ):
            f[_HOST_ID] = f"{f[_HOST_ID]} {f[_HOST_ID + 1]}"
            del f[_HOST_ID + 1]
            n -= 1

        ts = self.time(f[_TIME])
        operation = f[_OPERATION]
        if operation == "-":
            raise _Reject("the operation field is missing")
        status = f[_HTTP_STATUS]
        if status == "-":
            status_code = None
        elif status.isdigit() and status.isascii():
            status_code = status
        else:
            raise _Reject(f"http status {_clip(status)} is not a number")
        bytes_sent = _count(f[_BYTES_SENT], "bytes_sent") or 0
        object_size = _count(f[_OBJECT_SIZE], "object_size")
        total_time = _count(f[_TOTAL_TIME], "total_time")

        principal, principal_type, role, account = self.principal(f[_REQUESTER])
        bucket, key = f[_BUCKET], f[_KEY]
        if bucket == "-":
            resource = None
        elif key == "-":
            resource = f"s3://{bucket}"
        else:
            if "%" in key:
                # Decoding can reveal an encoded query string: redact the decoded form too.
                key = redact(unquote_plus(key))
            elif "+" in key:
                key = key.replace("+", " ")
            resource = f"s3://{bucket}/{key}"

        request_id = f[_REQUEST_ID]
        if request_id == "-":
            event_id = self.content_id(line)
        elif operation.startswith(("BATCH.", "REST.COPY.")):
            # One multi-object delete or copy request logs several lines under one request id;
            # each line is its own event, so its id names the object too.
            event_id = f"{request_id} {operation} {bucket}/{f[_KEY]}"
        else:
            event_id = request_id

        auth_type = f[_AUTH_TYPE] if n > _AUTH_TYPE and f[_AUTH_TYPE] != "-" else None
        region = (
            self.region(f[_HOST_HEADER], f[_ACCESS_POINT] if n > _ACCESS_POINT else "")
            if n > _HOST_HEADER
            else None
        )
        error = f[_ERROR_CODE]
        remote_ip = f[_REMOTE_IP]
        return (
            pos,
            None,
            event_id,
            ts,
            principal,
            principal_type,
            role,
            account,
            region,
            None if remote_ip == "-" else remote_ip,
            _unquote(f[_USER_AGENT]),
            "s3",
            operation,
            self.action_class(operation),
            resource,
            outcome_from_status(status_code),
            status_code,
            None if error == "-" else error,
            bytes_sent,
            None,
            object_size,
            None if total_time is None else float(total_time),
            auth_type,
            line,
        )


class S3AccessLog:
    """Amazon S3 server access logs: one request per space-separated line, 18 to 26+ fields."""

    name: ClassVar[str] = "s3_access"
    title: ClassVar[str] = "Amazon S3 server access log"
    target_table: ClassVar[str] = "access_events"

    def sniff(self, sample: Sample) -> int:
        lines = sample.lines[:20]
        if not lines:
            return NO
        hits = sum(1 for line in lines if _SNIFF.match(line.lstrip()))
        if hits == 0:
            return NO
        if hits == len(lines):
            return CERTAIN
        if _SNIFF.match(lines[0].lstrip()) or hits * 2 >= len(lines):
            return LIKELY
        return MAYBE

    def groupable(self, sample: Sample) -> bool:
        """Access-log objects are small and numerous: load many at a time."""
        return True

    def load(self, ctx: LoadContext) -> None:
        self.load_group([ctx])

    def load_group(self, ctxs: list[LoadContext]) -> None:
        cur = ctxs[0].cur
        events.create_stage(cur)
        buffer = RowBuffer(cur, events.STAGE, events.STAGE_NAMES)
        normalizer = _Normalizer()
        for ctx in ctxs:
            self._parse(ctx, buffer, normalizer)
        buffer.flush()
        events.finish_events(ctxs, "line")
        events.drop_stage(cur)

    def _parse(self, ctx: LoadContext, buffer: RowBuffer, normalizer: _Normalizer) -> None:
        # Redacted first: every stored copy of the line (event raw, reject raw, resource) is clean.
        for number, text in ctx.lines(redact):
            try:
                buffer.append((ctx.run_id, *normalizer.row(number, text)))
            except _Reject as exc:
                ctx.reject(number, "line", str(exc), text)
