"""Access logs of model servers (TorchServe, uvicorn, Triton, Ollama, BentoML) and proxies; model from the path.

One request per line. The line shapes read (each parsed strictly; FORMATS.md §7):

============== ==========================================================================================
torchserve     ``access_log.log`` (``2022-03-01T00:19:27,304 - /172.17.0.1:55078 "PUT /predictions/m HTTP/1.1"
               200 39``) and the console / ``ts_log.log`` layout (``2018-10-15 13:56:18,976 [INFO ]
               BackendWorker-9000 ACCESS_LOG - /127.0.0.1:64003 "POST ..." 200 118``); latency in ms; gRPC
               calls (``"gRPC org.pytorch.serve.grpc.inference.InferenceAPIsService/Predictions ..." 0 12``)
uvicorn        KServe's Python server, vLLM, MLflow, Truss and other ASGI servers: ``INFO:     10.0.0.5:34658 -
               "POST /v1/models/m%3Apredict HTTP/1.1" 200 OK``, also with KServe's own time and logger name
               and vLLM's ``(APIServer pid=1)`` prefix
ollama         Gin: ``[GIN] 2024/07/21 - 15:52:51 | 200 |  971.777µs |  127.0.0.1 | POST  "/api/generate"``
bentoml        ``2022-06-28T18:07:35-0700 [INFO] [api_server] 127.0.0.1:37386 (scheme=http,method=POST,
               path=/classify,type=...,length=20) (status=200,type=...,length=3) 0.005ms (trace=...,span=...)``
triton         ``--log-verbose=1`` request lines: ``I0721 15:52:51.123456 1 http_server.cc:4093] HTTP request:
               2 /v2/models/m/infer`` (glog or ``--log-format ISO8601``); no client, status or latency
nginx          the combined / common log format of a proxy in front of a server (``$remote_user`` is the
               principal when set); extra fields after the user agent are kept in raw
envoy          Envoy's and Istio's default access-log format (the KServe / Knative ingress)
============== ==========================================================================================

Collector prefixes are removed first and give the time when the line has none (uvicorn writes none):
``kubectl logs --timestamps`` / ``docker logs -t`` (RFC 3339), CRI node files (``<time> stdout F``),
Docker ``json-file`` lines, ``journalctl -o short-iso[-precise]`` and the default ``journalctl`` /
syslog ``Mon DD HH:MM:SS host proc[pid]:`` (English, French, German or Spanish month names). A time
with a zone wins over one without; times without a zone (TorchServe, KServe, Gin, glog) are read as
UTC, and times without a year (journald short, glog) take the year that puts them at most two days
after the file's modification time — both are said in the file's warnings.

Every line of a file ends as an event or a reject: a server's own log message (startup, metrics) is
rejected as "not a request", a line of no known shape as such, a request without any time with how to
export it with one.

Resources name the model an inference API addresses, independent of the server or proxy that logged
it: ``model-endpoint://<api>/<model>[/<version>]`` where ``<api>`` is ``torchserve``
(``/predictions/{m}[/{v}]``, ``/explanations/...``, the management API ``/models/...`` and gRPC),
``kserve-v1`` (``/v1/models/{m}:predict``), ``kserve-v2`` (the Open Inference Protocol of KServe,
Triton, MLServer: ``/v2/models/{m}[/versions/{v}]/infer``), ``ollama`` (``/api/generate``, model in
the body), ``openai`` (``/v1/chat/completions`` ..., model in the body), ``invocations`` (the
SageMaker container / MLflow scoring contract) or ``bentoml`` (the service, runner or API name). A
request naming no model is on ``model-endpoint://<api>``; a path of no known API (health checks,
metrics) on ``model-endpoint://<server>`` (torchserve, uvicorn, ollama, bentoml, triton, nginx,
envoy). An inventory can cover every version of a model with the prefix
``model-endpoint://<api>/<model>/``. Actions are the method and the path with the model and version as
placeholders (``POST /predictions/{model}/{version}``), so they group across models; the source's
client address is ``source_ip`` (for TorchServe in Docker often the bridge, not the real caller).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import ClassVar
from urllib.parse import quote, unquote

from mlspm.enums import ActionClass
from mlspm.ingest.context import LoadContext
from mlspm.ingest.formats.base import CERTAIN, LIKELY, MAYBE, NO
from mlspm.ingest.pyevents import EventWriter, parse_time
from mlspm.ingest.rules import outcome_from_status
from mlspm.ingest.source import Sample

SCHEME = "model-endpoint"

# ---------------------------------------------------------------------------------------------- time


@dataclass(frozen=True)
class Stamp:
    """A time read from a line: whether the source wrote its zone, and whether its year was guessed."""

    ts: datetime
    zoned: bool
    yearless: bool = False

    @property
    def rank(self) -> int:
        """0 is best: an exact instant; then a naive time with a year; then a time without a year."""
        return 2 if self.yearless else 0 if self.zoned else 1


_MONTH_NAMES = (
    ("jan", "janv", "jän", "ene"),
    ("feb", "févr", "fevr", "fév"),
    ("mar", "mars", "mär", "mrz"),
    ("apr", "avr", "abr"),
    ("may", "mai"),
    ("jun", "juin"),
    ("jul", "juil"),
    ("aug", "août", "aout", "ago"),
    ("sep", "sept"),
    ("oct", "okt"),
    ("nov",),
    ("dec", "déc", "dez", "dic"),
)
_MONTHS = {name: number for number, names in enumerate(_MONTH_NAMES, start=1) for name in names}
_ZONE = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


def month_number(name: str) -> int | None:
    """The month of an abbreviated month name in English, French, German or Spanish (``janv.``)."""
    return _MONTHS.get(name.rstrip(".").lower())


def with_year(month: int, day: int, clock: timedelta, reference: datetime) -> datetime | None:
    """The instant of a yearless date: the latest such date at most two days after ``reference``."""
    for year in (reference.year + 1, reference.year, reference.year - 1, reference.year - 2):
        try:
            candidate = datetime(year, month, day, tzinfo=UTC) + clock
        except ValueError:  # 29 February of a year that has none
            continue
        if candidate <= reference + timedelta(days=2):
            return candidate
    return None


def _clock(hours: str, minutes: str, seconds: str, fraction: str = "") -> timedelta:
    micros = int((fraction + "000000")[:6]) if fraction else 0
    return timedelta(hours=int(hours), minutes=int(minutes), seconds=int(seconds), microseconds=micros)


def iso_stamp(text: str) -> Stamp | None:
    """An ISO 8601 time (``T`` or space, ``,`` or ``.`` fraction, optional zone) as a Stamp."""
    ts = parse_time(text.replace(",", "."))
    if ts is None:
        return None
    return Stamp(ts, zoned=bool(_ZONE.search(text)))


class Reject(Exception):
    """A line that cannot be used; the message is the reason stored in ``rejects``."""


class NotRequest(Reject):
    """A line of a known server that is a log message, not a request."""


# ------------------------------------------------------------------------------------ collector prefix

_RFC3339 = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})"
_JOURNAL_ISO = re.compile(
    r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})) (\S+) ([^\s\[\]:]+)(?:\[\d+\])?: "
)
_JOURNAL_SHORT = re.compile(
    r"([^\W\d_]{3,5}\.?) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))? (\S+) ([^\s\[\]:]+)(?:\[\d+\])?: "
)
_CRI = re.compile(rf"({_RFC3339}) (?:stdout|stderr) [FP] ")
_DOCKER = re.compile(rf"({_RFC3339}) ")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class Unwrapped:
    """A line without its collector prefix: the server's own text and the collector's time, if any."""

    text: str
    stamp: Stamp | None = None


def unwrap(line: str, reference: datetime) -> Unwrapped:
    """Remove a collector prefix (journald, CRI, Docker/kubectl timestamps, Docker json-file) and ANSI colours."""
    if "\x1b" in line:
        line = _ANSI.sub("", line)
    if line.startswith(('{"log"', '{"time"')):
        try:
            doc = json.loads(line)
        except ValueError:
            doc = None
        if isinstance(doc, dict) and isinstance(doc.get("log"), str) and isinstance(doc.get("time"), str):
            stamp = iso_stamp(doc["time"])
            return Unwrapped(_ANSI.sub("", doc["log"].rstrip("\r\n")), stamp)
    first = line[:1]
    if first.isdigit():
        m = _JOURNAL_ISO.match(line)
        if m:
            return Unwrapped(line[m.end() :], iso_stamp(m.group(1)))
        m = _CRI.match(line) or _DOCKER.match(line)
        if m:
            return Unwrapped(line[m.end() :], iso_stamp(m.group(1)))
    elif first.isalpha():
        m = _JOURNAL_SHORT.match(line)
        month = month_number(m.group(1)) if m else None
        if m and month:
            clock = _clock(m.group(3), m.group(4), m.group(5), m.group(6) or "")
            ts = with_year(month, int(m.group(2)), clock, reference)
            if ts is None:
                raise Reject(f"impossible date in the journald prefix {line[: m.end()].strip()!r}")
            return Unwrapped(line[m.end() :], Stamp(ts, zoned=False, yearless=True))
    return Unwrapped(line)


# ---------------------------------------------------------------------------------------- line shapes


@dataclass
class Request:
    """One request as a server or proxy logged it, before the path is interpreted."""

    server: str
    method: str
    target: str
    """The request target (path and query), or a gRPC method."""
    status: str | None = None
    client: str | None = None
    stamp: Stamp | None = None
    user: str | None = None
    user_agent: str | None = None
    bytes_in: int | None = None
    bytes_out: int | None = None
    duration_ms: float | None = None
    event_id: str | None = None
    component: str | None = None
    """BentoML: the runner or service that answered (names the model when the path does not)."""
    grpc: bool = False


_TORCHSERVE = re.compile(
    r"(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2},\d{3})(?: \[([A-Z]+) *\] (\S+) (\S+))? - (.*)"
)
_TORCHSERVE_ACCESS = re.compile(r'(\S+) "(\S+) (\S+) ([^"\s]+)" (-?\d+) (\d+)')

_LEVEL = r"(?:TRACE|DEBUG|INFO|WARNING|ERROR|CRITICAL)"
_UVICORN = re.compile(
    r"(?:\(\w+ pid=\d+\) )?"  # vLLM's process tag
    r"(?:(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?) (?:\d+ )?(?:uvicorn\.access )?)?"
    rf"{_LEVEL}: +(\S*)(?: (\d+))? - \"([^\"]*)\" (\d{{3}})(?: [A-Za-z][\w '-]*)?"
)
_UVICORN_MESSAGE = re.compile(rf"(?:\(\w+ pid=\d+\) )?{_LEVEL}:? +\S")
_KSERVE_MESSAGE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} \d+ (?:kserve|uvicorn)[\w.]* ")
_VLLM_MESSAGE = re.compile(rf"(?:\(\w+ pid=\d+\) )?{_LEVEL} \d{{2}}-\d{{2}} \d{{2}}:\d{{2}}:\d{{2}}")

_GIN = re.compile(
    r"\[GIN\] (\d{4})/(\d{2})/(\d{2}) - (\d{2}):(\d{2}):(\d{2}) \| *(\d{3}) *\| *(\S+) *\| *(\S*) *\|"
    r' *([A-Z]+) +("(?:[^"\\]|\\.)*") *'
)
_GIN_MESSAGE = re.compile(
    r"\[GIN-debug\] |Error #\d+: |time=\S+ level=\w+ |\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} "
)
_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|μs|ns)")
_GO_UNITS = {"h": 3.6e6, "m": 6e4, "s": 1e3, "ms": 1.0, "us": 1e-3, "µs": 1e-3, "μs": 1e-3, "ns": 1e-6}

_BENTOML = re.compile(
    r"(?:(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?) \[[A-Z]+\] )?"
    r"\[([^\]]+)\] (\S+) \(scheme=([^,]*),method=([A-Z]+),path=(.*?),type=([^)]*?),length=([^,)]*)\) "
    r"\(status=(\d{3}),type=([^)]*?),length=([^,)]*)\) (\d+(?:\.\d+)?)(ms|s|us|µs|μs)(?: \(([^)]*)\))? *"
)
_BENTOML_MESSAGE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[.,]\d+)?\S* \[[A-Z]+\] \[[^\]]+\] ")

_GLOG = re.compile(r"[IWEF](\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d+) +\d+ [^\]\s]+\] (.*)")
_TRITON_ISO = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z) [IWEF] \d+ [^\]\s]+\] (.*)")
# A Triton --log-format ISO8601 line whose own time the container-prefix rule already took off.
_TRITON_BARE = re.compile(r"[IWEF] \d+ [^\]\s]+\] (.*)")
_TRITON_REQUEST = re.compile(r'"?HTTP request: (\d+) (\S+?)"?')
# libevhtp's method enum, as Triton prints it.
_EVHTP_METHODS = (
    "GET", "HEAD", "POST", "PUT", "DELETE", "MKCOL", "COPY", "MOVE", "OPTIONS", "PROPFIND",
    "PROPPATCH", "LOCK", "UNLOCK", "TRACE", "CONNECT", "PATCH",
)  # fmt: skip

_QUOTED = r'"(?:[^"\\]|\\.)*"'
_COMBINED = re.compile(
    r"(\S+) (\S+) (\S+) \[(\d{2})/([A-Za-z]{3})/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\] "
    rf"({_QUOTED}) (\d{{3}}) (\d+|-)(?: ({_QUOTED}) ({_QUOTED}))?(.*)"
)
_NGINX_TIMING = re.compile(r"(?:^| )(?:rt|request_time)=(\d+(?:\.\d+)?)(?= |$)")
_ENVOY = re.compile(rf"\[({_RFC3339})\] \"(\S+) (\S+) ([^\"\s]+)\" (\d{{1,3}}) (.*)")
_ENVOY_TOKEN = re.compile(rf"{_QUOTED}|\S+")
_NUMBER_OR_DASH = re.compile(r"\d+|-")


def _dequote(token: str) -> str | None:
    """A quoted log field's text (backslash escapes undone); ``-`` and empty mean missing."""
    if token.startswith('"') and token.endswith('"') and len(token) >= 2:
        inner = token[1:-1]
        if "\\" in inner:
            try:
                inner = json.loads(token)
            except ValueError:
                inner = inner.replace('\\"', '"').replace("\\\\", "\\")
        token = inner
    return None if token in ("", "-") else token


def _count(value: str | None) -> int | None:
    if value is None or not value.isdigit():
        return None
    return int(value)


def go_duration_ms(text: str) -> float:
    """Milliseconds of a Go duration (``971.777µs``, ``1m2.5s``); raises Reject when it is none."""
    total, pos = 0.0, 0
    for m in _GO_DURATION.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _GO_UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        raise Reject(f"latency {text[:40]!r} is not a duration")
    return round(total, 6)  # nanoseconds: no float noise beyond them


def _to_ms(value: str, unit: str) -> float:
    return float(value) * {"s": 1e3, "ms": 1.0}.get(unit, 1e-3)


def client_address(value: str | None, *, port: bool = True) -> str | None:
    """The client's address without ``/`` prefix, brackets or (when the source appends one) port."""
    if not value or value in ("-", "_"):
        return None
    value = value.rsplit("/", 1)[-1]
    if value.startswith("["):  # [::1]:8080
        return value[1:].split("]", 1)[0] or None
    if not port:
        return value
    host, sep, number = value.rpartition(":")
    # ipv4:port, host:port, or an IPv6 address followed by :port (Netty and uvicorn print no brackets)
    return host if sep and host and number.isdigit() else value


def _parse_torchserve(text: str) -> Request | None:
    m = _TORCHSERVE.fullmatch(text)
    if m is None:
        return None
    logger, message = m.group(4), m.group(5)
    access = _TORCHSERVE_ACCESS.fullmatch(message)
    if access is None:
        if logger == "ACCESS_LOG":
            raise Reject('TorchServe ACCESS_LOG message is not /ip:port "METHOD URI PROTOCOL" status ms')
        raise NotRequest("not a request: a TorchServe log or metrics message")
    client, method, target, _protocol, status, millis = access.groups()
    return Request(
        "torchserve",
        method,
        target,
        status,
        client_address(client),
        iso_stamp(m.group(1)),
        duration_ms=float(millis),
        grpc=method == "gRPC",
    )


def _parse_uvicorn(text: str) -> Request | None:
    m = _UVICORN.fullmatch(text)
    if m is None:
        if _UVICORN_MESSAGE.match(text) or _KSERVE_MESSAGE.match(text) or _VLLM_MESSAGE.match(text):
            raise NotRequest("not a request: a uvicorn / KServe / vLLM server message")
        return None
    when, client, _pid, request_line, status = m.groups()
    parts = request_line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise Reject(f"request line {request_line[:80]!r} is not METHOD TARGET HTTP/x")
    return Request(
        "uvicorn", parts[0], parts[1], status, client_address(client), iso_stamp(when) if when else None
    )


def _parse_gin(text: str) -> Request | None:
    m = _GIN.fullmatch(text)
    if m is None:
        if text.startswith("[GIN] "):
            raise Reject("Gin request line of an unknown layout")
        if _GIN_MESSAGE.match(text):
            raise NotRequest("not a request: an Ollama / Gin server message")
        return None
    year, month, day, hh, mm, ss, status, latency, client, method, path = m.groups()
    try:
        ts = datetime(int(year), int(month), int(day), tzinfo=UTC) + _clock(hh, mm, ss)
    except ValueError:
        raise Reject(f"impossible date {year}/{month}/{day}") from None
    target = _dequote(path)
    if target is None:
        raise Reject("the request path is empty")
    return Request(
        "ollama",
        method,
        target,
        status,
        client_address(client, port=False),
        Stamp(ts, zoned=False),
        duration_ms=go_duration_ms(latency),
    )


def _parse_bentoml(text: str) -> Request | None:
    m = _BENTOML.fullmatch(text)
    if m is None:
        if "(scheme=" in text and "(status=" in text:
            raise Reject("BentoML request line of an unknown layout")
        if _BENTOML_MESSAGE.match(text):
            raise NotRequest("not a request: a BentoML server message")
        return None
    when, component, client, _scheme, method, path, _qtype, qlen, status, _rtype, rlen, lat, unit, trace = (
        m.groups()
    )
    ids = dict(part.split("=", 1) for part in (trace or "").split(",") if "=" in part)
    event_id = None
    if ids.get("trace", "0").strip("0") and ids.get("span", "0").strip("0"):
        event_id = f"{ids['trace']}:{ids['span']}"
    name = None
    if component.startswith("runner:"):
        name = component.split(":")[1]
    elif ids.get("service.name"):
        name = ids["service.name"]
    return Request(
        "bentoml",
        method,
        path,
        status,
        client_address(client),
        iso_stamp(when) if when else None,
        bytes_in=_count(qlen),
        bytes_out=_count(rlen),
        duration_ms=_to_ms(lat, unit),
        event_id=event_id,
        component=name,
    )


def _parse_triton(text: str, reference: datetime) -> Request | None:
    m = _GLOG.fullmatch(text)
    iso = None if m else _TRITON_ISO.fullmatch(text)
    bare = None if m or iso else _TRITON_BARE.fullmatch(text)
    if m is None and iso is None and bare is None:
        return None
    message = m.group(7) if m else iso.group(2) if iso else bare.group(1) if bare else ""
    request = _TRITON_REQUEST.fullmatch(message)
    if request is None:
        raise NotRequest("not a request: a Triton server message")
    code, target = int(request.group(1)), request.group(2)
    method = _EVHTP_METHODS[code] if code < len(_EVHTP_METHODS) else f"METHOD{code}"
    stamp: Stamp | None = None
    if m:
        clock = _clock(m.group(3), m.group(4), m.group(5), m.group(6))
        ts = with_year(int(m.group(1)), int(m.group(2)), clock, reference)
        if ts is None:
            raise Reject(f"impossible date {text[:20]!r}")
        stamp = Stamp(ts, zoned=False, yearless=True)
    elif iso:
        stamp = iso_stamp(iso.group(1))
    return Request("triton", method, target, stamp=stamp)


def _parse_combined(text: str) -> Request | None:
    m = _COMBINED.fullmatch(text)
    if m is None:
        return None
    (
        client,
        _ident,
        user,
        day,
        mon,
        year,
        hh,
        mi,
        ss,
        sign,
        oh,
        om,
        request,
        status,
        size,
        _ref,
        agent,
        rest,
    ) = m.groups()
    month = month_number(mon)
    if month is None:
        raise Reject(f"unknown month {mon!r}")
    try:
        local = datetime(int(year), month, int(day), tzinfo=UTC) + _clock(hh, mi, ss)
    except ValueError:
        raise Reject(f"impossible date {day}/{mon}/{year}") from None
    offset = timedelta(hours=int(oh), minutes=int(om))
    ts = local - offset if sign == "+" else local + offset
    line = _dequote(request) or ""
    parts = line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise Reject(f"request {line[:80]!r} is not METHOD TARGET HTTP/x (a malformed or non-HTTP request)")
    timing = _NGINX_TIMING.search(rest or "")
    return Request(
        "nginx",
        parts[0],
        parts[1],
        status,
        client_address(client, port=False),
        Stamp(ts, zoned=True),
        user=None if user == "-" else user,
        user_agent=_dequote(agent) if agent else None,
        bytes_out=_count(size),
        duration_ms=float(timing.group(1)) * 1000 if timing else None,
    )


def _parse_envoy(text: str) -> Request | None:
    m = _ENVOY.fullmatch(text)
    if m is None:
        return None
    when, method, path, _protocol, status, rest = m.groups()
    tokens = _ENVOY_TOKEN.findall(rest)
    # Envoy's default format: flags, then received, sent, duration, upstream time; Istio's adds
    # response details, termination details and a quoted failure reason first. Find the four numbers.
    start = next(
        (i for i in range(len(tokens) - 3) if all(_NUMBER_OR_DASH.fullmatch(t) for t in tokens[i : i + 4])),
        None,
    )
    if start is None:
        raise Reject("Envoy access-log line without bytes and duration fields")
    received, sent, duration = tokens[start : start + 3]
    quoted = tokens[start + 4 : start + 9]
    agent = _dequote(quoted[1]) if len(quoted) > 1 else None
    request_id = _dequote(quoted[2]) if len(quoted) > 2 else None
    # Istio appends cluster, upstream local, downstream local and downstream remote (the client).
    tail = tokens[start + 9 :]
    client = client_address(tail[3]) if len(tail) > 3 else None
    if client is None and quoted and (forwarded := _dequote(quoted[0])):
        client = client_address(forwarded.split(",")[0].strip(), port=False)
    return Request(
        "envoy",
        method,
        path,
        status if status != "0" else None,
        client,
        iso_stamp(when),
        user_agent=agent,
        bytes_in=_count(received),
        bytes_out=_count(sent),
        duration_ms=float(duration) if duration.isdigit() else None,
        event_id=request_id,
    )


def parse_request(text: str, reference: datetime) -> Request | None:
    """The request a server line records; None when the line has no known shape; raises Reject."""
    parsers: tuple[Callable[[str], Request | None], ...] = (
        _parse_torchserve,
        _parse_uvicorn,
        _parse_gin,
        _parse_bentoml,
        _parse_combined,
        _parse_envoy,
    )
    for parser in parsers:
        found = parser(text)
        if found is not None:
            return found
    return _parse_triton(text, reference)


# --------------------------------------------------------------------------------------------- paths


@dataclass(frozen=True)
class Route:
    """What a request path addresses: the inference API, the model and version, and how to name it."""

    api: str | None
    model: str | None
    version: str | None
    template: str
    action_class: ActionClass


_READ_METHODS = ("GET", "HEAD", "OPTIONS")
_SEGMENT = r"([^/]+)"
_INFER_VERBS = frozenset(
    ("predict", "infer", "inference", "generate", "score", "classify", "embed", "explain")
)
_HEALTH = frozenset(
    (
        "",
        "ping",
        "health",
        "healthz",
        "livez",
        "readyz",
        "ready",
        "live",
        "metrics",
        "version",
        "docs",
        "openapi.json",
    )
)


def _by_method(method: str, **classes: ActionClass) -> ActionClass:
    return classes.get(method.lower(), classes.get("other", ActionClass.OTHER))


def _route_torchserve(method: str, path: str) -> Route | None:
    m = re.fullmatch(rf"/(predictions|explanations)/{_SEGMENT}(?:/{_SEGMENT})?/?", path)
    if m:
        kind, model, version = m.groups()
        template = f"/{kind}/{{model}}" + ("/{version}" if version else "")
        return Route("torchserve", model, version, template, ActionClass.INVOKE)
    if re.fullmatch(r"/models/?", path):
        klass = _by_method(method, get=ActionClass.LIST, post=ActionClass.WRITE)
        return Route("torchserve", None, None, "/models", klass)
    m = re.fullmatch(rf"/models/{_SEGMENT}(?:/{_SEGMENT})?(/set-default)?/?", path)
    if m:
        model, version, default = m.groups()
        template = "/models/{model}" + ("/{version}" if version else "") + (default or "")
        klass = _by_method(
            method,
            get=ActionClass.READ,
            delete=ActionClass.DELETE,
            put=ActionClass.ADMIN,
            post=ActionClass.WRITE,
        )
        return Route("torchserve", model, version, template, klass)
    return None


def _route_kserve(method: str, path: str) -> Route | None:
    m = re.fullmatch(r"/v1/models/([^/:]+)(?::(\w+))?/?", path)
    if m:
        model, verb = m.groups()
        if verb:
            klass = ActionClass.INVOKE if verb.startswith(("predict", "explain")) else ActionClass.OTHER
            return Route("kserve-v1", model, None, f"/v1/models/{{model}}:{verb}", klass)
        return Route("kserve-v1", model, None, "/v1/models/{model}", _by_method(method, get=ActionClass.READ))
    m = re.fullmatch(rf"/v2/models/{_SEGMENT}(?:/versions/{_SEGMENT})?(/[\w/]+?)?/?", path)
    if m:
        model, version, rest = m.groups()
        rest = rest or ""
        template = "/v2/models/{model}" + ("/versions/{version}" if version else "") + rest
        if rest in ("/infer", "/generate", "/generate_stream", "/infer_stream"):
            klass = ActionClass.INVOKE
        elif rest.startswith(("/trace", "/log")):
            klass = _by_method(method, get=ActionClass.READ, other=ActionClass.ADMIN)
        elif method in _READ_METHODS:
            klass = ActionClass.READ
        else:
            klass = ActionClass.OTHER
        return Route("kserve-v2", model, version, template, klass)
    m = re.fullmatch(rf"/v2/repository/models/{_SEGMENT}/(load|unload)/?", path)
    if m:
        return Route(
            "kserve-v2", m.group(1), None, f"/v2/repository/models/{{model}}/{m.group(2)}", ActionClass.ADMIN
        )
    if re.fullmatch(r"/v2/repository/index/?", path):
        return Route("kserve-v2", None, None, "/v2/repository/index", ActionClass.LIST)
    if re.fullmatch(r"/v2(/health/(live|ready))?/?", path):
        return Route("kserve-v2", None, None, path.rstrip("/") or "/v2", ActionClass.READ)
    return None


_OLLAMA = {
    "generate": ActionClass.INVOKE,
    "chat": ActionClass.INVOKE,
    "embed": ActionClass.INVOKE,
    "embeddings": ActionClass.INVOKE,
    "tags": ActionClass.LIST,
    "ps": ActionClass.LIST,
    "show": ActionClass.READ,
    "version": ActionClass.READ,
    "pull": ActionClass.WRITE,
    "create": ActionClass.WRITE,
    "copy": ActionClass.WRITE,
    "delete": ActionClass.DELETE,
    "push": ActionClass.READ,  # sends a local model's weights to a registry
}


def _route_other(method: str, path: str) -> Route | None:
    m = re.fullmatch(r"/api/(\w+)/?", path)
    if m and m.group(1) in _OLLAMA:
        return Route("ollama", None, None, path.rstrip("/"), _OLLAMA[m.group(1)])
    if path.startswith("/api/blobs/"):
        klass = _by_method(method, head=ActionClass.READ, get=ActionClass.READ, post=ActionClass.WRITE)
        return Route("ollama", None, None, "/api/blobs/{digest}", klass)
    if re.fullmatch(
        r"/v1/(chat/completions|completions|embeddings|responses|rerank|score|audio/\w+|images/\w+)/?", path
    ):
        return Route("openai", None, None, path.rstrip("/"), ActionClass.INVOKE)
    if re.fullmatch(r"/invocations/?", path):
        return Route("invocations", None, None, "/invocations", ActionClass.INVOKE)
    return None


def route(method: str, target: str) -> Route:
    """Interpret a request target: the API, model and version it names, its action template and class."""
    return _route_path(method.upper(), target.split("?", 1)[0].split("#", 1)[0])


# Servers see the same few paths millions of times: each is interpreted once.
@lru_cache(maxsize=65_536)
def _route_path(method: str, path: str) -> Route:
    if "://" in path:  # an absolute-form target through a forward proxy
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    if "%" in path:  # decoded per segment, so an encoded slash inside a model name stays inside it
        path = "/".join(unquote(part).replace("/", "%2F") for part in path.split("/"))
    for router in (_route_torchserve, _route_kserve, _route_other):
        found = router(method, path)
        if found is not None:
            return found
    if re.fullmatch(r"/v1/models/?", path):
        return Route(None, None, None, "/v1/models", ActionClass.LIST)
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if last.lower() in _HEALTH:
        return Route(None, None, None, path, ActionClass.READ)
    if last.lower() in _INFER_VERBS and method == "POST":
        return Route(None, None, None, path, ActionClass.INVOKE)
    klass = _by_method(method, get=ActionClass.READ, head=ActionClass.READ, delete=ActionClass.DELETE)
    return Route(None, None, None, path, klass)


@lru_cache(maxsize=65_536)
def resource_uri(api: str, model: str | None = None, version: str | None = None) -> str:
    """``model-endpoint://<api>[/<model>[/<version>]]`` with the names percent-encoded where needed."""
    uri = f"{SCHEME}://{api}"
    for part in (model, version):
        if part:
            uri += "/" + quote(part, safe="-._~:@+=,")
    return uri


# ---------------------------------------------------------------------------------------- redaction

# Credentials that clients put in query strings (?token=..., &api_key=...): the value becomes REDACTED.
_SECRET = re.compile(
    r"([?&;](?:[\w.-]*(?:token|key|secret|signature|sig|password|passwd|pwd|auth|credential)[\w.-]*)=)[^&\s\"]*",
    re.IGNORECASE,
)


def redact(line: str) -> str:
    """``line`` with secret-looking query parameters made REDACTED."""
    if "?" not in line:
        return line
    return _SECRET.sub(r"\1REDACTED", line)


# ---------------------------------------------------------------------------------------------- format

_NO_TIME = (
    "no timestamp: {server} writes none on this line; export the log with its collector's time "
    "(kubectl logs --timestamps, docker logs -t, or journalctl -o short-iso-precise)"
)
_UNKNOWN = (
    "not an inference-server access-log line (no known shape: TorchServe, uvicorn, Gin/Ollama, BentoML, "
    "Triton, nginx/Envoy)"
)
_SPECIFIC = frozenset(("torchserve", "ollama", "bentoml", "triton"))


@dataclass
class _FileState:
    """Per-file facts worth one warning each."""

    yearless: int = 0
    naive: int = 0
    seen: set[str] = field(default_factory=set)


def _lines(n: int) -> str:
    return f"{n:,} line" + ("" if n == 1 else "s")


def _choose(*stamps: Stamp | None) -> Stamp | None:
    """The best of the line's own time and the collector's: exact beats naive beats yearless."""
    best: Stamp | None = None
    for stamp in stamps:
        if stamp is not None and (best is None or stamp.rank < best.rank):
            best = stamp
    return best


class InferenceServerLog:
    """Access logs of model servers and the proxies in front of them → access_events."""

    name: ClassVar[str] = "inference_server"
    title: ClassVar[str] = "inference-server access log"
    target_table: ClassVar[str] = "access_events"

    def sniff(self, sample: Sample) -> int:
        text = sample.stripped
        # JSON is another format's, unless it is Docker's json-file log of a server's output.
        if text.startswith("[") or (text.startswith("{") and not text.startswith(('{"log"', '{"time"'))):
            return NO
        lines = sample.lines[:400]
        if not lines:
            return NO
        reference = datetime.now(UTC)
        requests = unknown = 0
        specific = False
        for line in lines:
            try:
                unwrapped = unwrap(line, reference)
                found = parse_request(unwrapped.text, reference)
            except NotRequest:
                continue
            except Reject:
                found = None
                unknown += 1
                continue
            if found is None:
                unknown += 1
                continue
            requests += 1
            if not specific:
                specific = (
                    found.server in _SPECIFIC
                    or found.grpc
                    or route(found.method, found.target).api is not None
                )
        if requests == 0:
            return NO
        if not specific:
            # An ASGI app or a web proxy that shows no inference API in its head: claim it only weakly.
            return MAYBE
        if unknown == 0:
            return CERTAIN if requests == len(lines) else LIKELY
        return LIKELY if requests * 2 >= len(lines) else MAYBE

    def load(self, ctx: LoadContext) -> None:
        writer = EventWriter(ctx)
        reference = datetime.fromtimestamp(ctx.path.stat().st_mtime, UTC)
        state = _FileState()
        for number, raw in ctx.lines(redact):
            try:
                event = self._event(raw, reference, state)
            except Reject as exc:
                ctx.reject(number, "line", str(exc), raw)
                continue
            writer.add(number, event, raw)
        writer.finish()
        if state.naive:
            servers = ", ".join(sorted(state.seen))
            ctx.warn(f"times without a zone ({servers}) were read as UTC on {_lines(state.naive)}")
        if state.yearless:
            ctx.warn(
                f"times without a year (journald short format, glog) on {_lines(state.yearless)} got the latest "
                f"year that puts them no later than two days after the file was modified ({reference:%Y-%m-%d})"
            )

    def _event(self, line: str, reference: datetime, state: _FileState) -> dict[str, object]:
        unwrapped = unwrap(line.strip(), reference)
        request = parse_request(unwrapped.text.strip(), reference)
        if request is None:
            raise Reject(_UNKNOWN)
        stamp = _choose(request.stamp, unwrapped.stamp)
        if stamp is None:
            raise Reject(_NO_TIME.format(server=request.server))
        if stamp.yearless:
            state.yearless += 1
        elif not stamp.zoned:
            state.naive += 1
            state.seen.add(request.server)
        if request.grpc:
            api = "torchserve" if "pytorch" in request.target else None
            where = Route(
                api,
                None,
                None,
                request.target,
                ActionClass.INVOKE if "Predict" in request.target else ActionClass.OTHER,
            )
            outcome = "success" if request.status == "0" else "failure"
        else:
            where = route(request.method, request.target)
            outcome = outcome_from_status(request.status)
        model, version, api, klass = where.model, where.version, where.api, where.action_class
        if request.server == "bentoml" and api is None:
            # BentoML's paths are its API names: a POST to one runs the service's model, which the
            # runner or service names (else the API does).
            api = "bentoml"
            if klass is not ActionClass.READ:
                model = request.component or where.template.strip("/") or None
                klass = ActionClass.INVOKE if request.method == "POST" else klass
        resource = resource_uri(api, model, version) if api else resource_uri(request.server)
        return {
            "event_id": request.event_id,
            "ts": stamp.ts,
            "principal": request.user,
            "principal_type": "User" if request.user else None,
            "source_ip": request.client,
            "user_agent": request.user_agent,
            "service": request.server,
            "action": f"{request.method} {where.template}",
            "action_class": klass.value,
            "resource": resource,
            "outcome": outcome,
            "status_code": request.status,
            "bytes_in": request.bytes_in,
            "bytes_out": request.bytes_out,
            "duration_ms": request.duration_ms,
        }
