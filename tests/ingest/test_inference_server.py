"""Inference-server access logs: every documented line shape, collector prefixes, strict rejects, detection."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mlspm.enums import ActionClass
from mlspm.ingest.formats.base import CERTAIN, MAYBE, NO
from mlspm.ingest.formats.inference_server import InferenceServerLog, client_address, redact, route
from mlspm.ingest.source import take_sample

# The file's modification time: the year of lines that carry none (journald short format, glog).
MTIME = datetime(2025, 1, 25, tzinfo=UTC)

# (line, service, action, class, resource, status, client, UTC time, duration ms)
SHAPES: list[tuple[str, str, str, str, str, str | None, str | None, str, float | None]] = [
    (
        '2022-03-01T00:19:27,304 - /172.17.0.1:55078 "PUT /predictions/BERTSeqClassification/2.0 HTTP/1.1" 200 39',
        "torchserve", "PUT /predictions/{model}/{version}", "invoke",
        "model-endpoint://torchserve/BERTSeqClassification/2.0", "200", "172.17.0.1", "2022-03-01T00:19:27.304", 39.0,
    ),
    (
        '2022-03-01T00:19:28,001 [INFO ] epollEventLoopGroup-3-2 ACCESS_LOG - /0:0:0:0:0:0:0:1:5432 '
        '"gRPC org.pytorch.serve.grpc.inference.InferenceAPIsService/Predictions HTTP/2.0" 0 12',
        "torchserve", "gRPC org.pytorch.serve.grpc.inference.InferenceAPIsService/Predictions", "invoke",
        "model-endpoint://torchserve", "0", "0:0:0:0:0:0:0:1", "2022-03-01T00:19:28.001", 12.0,
    ),
    (
        '2024-07-21T15:52:51.123456789Z INFO:     10.0.0.5:34658 - "POST /v1/models/sklearn-iris%3Apredict HTTP/1.1" '
        "200 OK",
        "uvicorn", "POST /v1/models/{model}:predict", "invoke", "model-endpoint://kserve-v1/sklearn-iris", "200",
        "10.0.0.5", "2024-07-21T15:52:51.123456", None,
    ),
    (
        "2024-07-21T15:52:52.5+02:00 stdout F INFO:     10.0.0.5:34659 - "
        '"POST /v2/models/densenet/versions/3/infer HTTP/1.1" 500 Internal Server Error',
        "uvicorn", "POST /v2/models/{model}/versions/{version}/infer", "invoke",
        "model-endpoint://kserve-v2/densenet/3", "500", "10.0.0.5", "2024-07-21T13:52:52.500", None,
    ),
    (
        "2024-07-21 15:52:53.123 uvicorn.access INFO:     192.168.22.0:0 1 - "
        '"POST /v1/models/model%3Apredict_binary HTTP/1.1" 200 OK',
        "uvicorn", "POST /v1/models/{model}:predict_binary", "invoke", "model-endpoint://kserve-v1/model", "200",
        "192.168.22.0", "2024-07-21T15:52:53.123", None,
    ),
    (
        '2024-07-21T15:52:54Z (APIServer pid=1) INFO:     [::1]:40000 - "POST /v1/chat/completions HTTP/1.1" 200 OK',
        "uvicorn", "POST /v1/chat/completions", "invoke", "model-endpoint://openai", "200", "::1",
        "2024-07-21T15:52:54", None,
    ),
    (
        "janv. 20 23:15:37 gpu1 ollama[1232]: [GIN] 2025/01/20 - 23:15:37 | 200 |  971.777µs |       127.0.0.1 | "
        'POST     "/api/generate"',
        "ollama", "POST /api/generate", "invoke", "model-endpoint://ollama", "200", "127.0.0.1",
        "2025-01-20T23:15:37", 0.971777,
    ),
    (
        '[GIN] 2024/07/21 - 15:52:51 | 403 |    1m2.5s |       ::1 | DELETE   "/api/delete"',
        "ollama", "DELETE /api/delete", "delete", "model-endpoint://ollama", "403", "::1", "2024-07-21T15:52:51",
        62500.0,
    ),
    (
        "2022-06-28T18:07:35-0700 [INFO] [api_server] 127.0.0.1:37386 (scheme=http,method=POST,path=/classify,"
        "type=application/json,length=20) (status=200,type=application/json,length=3) 0.005ms "
        "(trace=67131233608323295915755120473254509377,span=4151694932783368069,sampled=0)",
        "bentoml", "POST /classify", "invoke", "model-endpoint://bentoml/classify", "200", "127.0.0.1",
        "2022-06-29T01:07:35", 0.005,
    ),
    (
        "2024-03-12T10:20:30+0000 [INFO] [entry_service:Summarization:1] 127.0.0.1:58224 (scheme=http,method=POST,"
        "path=/summarize,type=application/json,length=2319) (status=200,type=text/plain; charset=utf-8,length=413) "
        "3411.652ms (trace=1,span=2,sampled=0,service.name=Summarization)",
        "bentoml", "POST /summarize", "invoke", "model-endpoint://bentoml/Summarization", "200", "127.0.0.1",
        "2024-03-12T10:20:30", 3411.652,
    ),
    (
        "I0721 15:52:51.123456 1 http_server.cc:4093] HTTP request: 2 /v2/models/simple/infer",
        "triton", "POST /v2/models/{model}/infer", "invoke", "model-endpoint://kserve-v2/simple", None, None,
        "2024-07-21T15:52:51.123456", None,
    ),
    (
        '2024-07-21T15:52:55Z I 1 http_server.cc:4093] "HTTP request: 0 /v2/repository/index"',
        "triton", "GET /v2/repository/index", "list", "model-endpoint://kserve-v2", None, None,
        "2024-07-21T15:52:55", None,
    ),
    (
        '10.1.2.3 - alice [21/Jul/2024:15:52:51 +0200] "POST /predictions/resnet-18 HTTP/1.1" 200 118 "-" '
        '"curl/8.0" "-" rt=0.042',
        "nginx", "POST /predictions/{model}", "invoke", "model-endpoint://torchserve/resnet-18", "200", "10.1.2.3",
        "2024-07-21T13:52:51", 42.0,
    ),
    (
        '2001:db8::7 - - [21/Jul/2024:15:52:52 +0000] "GET /v2/models/densenet?token=s3cr3t&x=1 HTTP/1.1" 200 97',
        "nginx", "GET /v2/models/{model}", "read", "model-endpoint://kserve-v2/densenet", "200", "2001:db8::7",
        "2024-07-21T15:52:52", None,
    ),
    (
        '[2024-07-21T15:52:51.310Z] "POST /v1/models/sklearn-iris:predict HTTP/1.1" 200 - via_upstream - "-" 154 64 '
        '226 100 "10.0.35.28" "python-requests/2.31" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" '
        '"sklearn-iris.default.example.com" "10.0.2.1:8080" outbound|80||sklearn-iris.default.svc.cluster.local '
        "10.0.1.5:41234 10.0.1.7:8080 10.0.35.28:51234 - default",
        "envoy", "POST /v1/models/{model}:predict", "invoke", "model-endpoint://kserve-v1/sklearn-iris", "200",
        "10.0.35.28", "2024-07-21T15:52:51.310", 226.0,
    ),
    (
        '{"log":"INFO:     10.0.0.9:1234 - \\"GET /health HTTP/1.1\\" 200 OK\\n","stream":"stdout",'
        '"time":"2024-07-21T15:52:56.5Z"}',
        "uvicorn", "GET /health", "read", "model-endpoint://uvicorn", "200", "10.0.0.9", "2024-07-21T15:52:56.500",
        None,
    ),
    (
        'Jan 24 08:00:01 host1 mlflow[77]: INFO:     10.0.0.3:5000 - "POST /invocations HTTP/1.1" 200 OK',
        "uvicorn", "POST /invocations", "invoke", "model-endpoint://invocations", "200", "10.0.0.3",
        "2025-01-24T08:00:01", None,
    ),
]  # fmt: skip


def _write(path: Path, lines: list[str], mtime: datetime = MTIME) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


def test_real_torchserve_sample(real_samples, ingest, query):
    report = ingest(real_samples / "inference_access_logs" / "torchserve_docs_access_log.log")
    result = report.files[0]
    assert (result.format, result.counts.loaded, result.counts.rejected) == ("inference_server", 1, 0)
    assert any("read as UTC" in w for w in result.warnings)
    assert query(
        "SELECT ts, principal, source_ip, service, action, action_class, resource, outcome, status_code, duration_ms"
        " FROM access_events"
    ) == [
        (
            datetime(2018, 10, 15, 13, 56, 18, 976000, tzinfo=UTC), None, "127.0.0.1", "torchserve",
            "POST /predictions/{model}", "invoke", "model-endpoint://torchserve/resnet-18", "success", "200", 118.0,
        )
    ]  # fmt: skip


def test_every_line_shape(tmp_path, ingest, query):
    report = ingest(_write(tmp_path / "access.log", [s[0] for s in SHAPES]))
    assert (report.files[0].counts.loaded, report.files[0].counts.rejected) == (len(SHAPES), 0)
    rows = query(
        "SELECT service, action, action_class, resource, status_code, source_ip, ts, duration_ms"
        " FROM access_events ORDER BY source_pos"
    )
    for got, want in zip(rows, SHAPES, strict=True):
        service, action, klass, resource, status, client, when, millis = want[1:]
        assert got[:6] == (service, action, klass, resource, status, client), want[0]
        assert got[6] == datetime.fromisoformat(when).replace(tzinfo=UTC), want[0]
        assert got[7] == (pytest.approx(millis) if millis is not None else None), want[0]
    outcomes = [r[0] for r in query("SELECT outcome FROM access_events ORDER BY source_pos")]
    assert outcomes[1] == "success" and outcomes[3] == "failure" and outcomes[10] == "unknown"
    # Envoy's x-request-id and BentoML's trace/span are the events' ids; the rest get content ids.
    ids = [r[0] for r in query("SELECT event_id FROM access_events ORDER BY source_pos")]
    assert ids[14] == "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" and ids[9] == "1:2" and ids[0].startswith("h:")
    assert query(
        "SELECT principal, principal_type, user_agent FROM access_events WHERE service = 'nginx'"
    ) == [
        ("alice", "User", "curl/8.0"),
        (None, None, None),
    ]
    raws = " ".join(r[0] for r in query("SELECT raw FROM access_events"))
    assert "s3cr3t" not in raws and "token=REDACTED&x=1" in raws
    warnings = " ".join(report.files[0].warnings)
    assert "read as UTC" in warnings and "2025-01-25" in warnings


def test_malformed_lines_are_rejected_with_reasons_and_the_rest_loads(tmp_path, ingest, query, config):
    good = SHAPES[0][0]
    lines = [
        good,
        'INFO:     127.0.0.1:34658 - "POST /v1/chat/completions HTTP/1.1" 200 OK',  # no time at all
        "INFO:     Started server process [1]",
        "2022-03-01T00:19:29,000 - Requests2XX.Count:1|#Level:Host|#hostname:abc,timestamp:1646093969",
        '2022-03-01T00:19:30,000 [INFO ] W-9000 ACCESS_LOG - 127.0.0.1 "POST /predictions/m HTTP/1.1" 200 fast',
        '[GIN] 2024/07/21 - 15:52:51 | 200 |  12parsecs |  127.0.0.1 | POST  "/api/chat"',
        "Traceback (most recent call last):",
        '10.1.2.3 - - [31/Feb/2024:15:52:51 +0200] "POST /predictions/m HTTP/1.1" 200 1 "-" "curl"',
        '10.1.2.3 - - [21/Jul/2024:15:52:51 +0200] "\\x16\\x03\\x01" 400 157 "-" "-"',
        "I0721 15:52:51.223456 1 model_repository_manager.cc:1077] loading: simple:1",
        "x" * 3000,
        good.replace("00:19:27", "00:19:31"),
    ]
    report = ingest(_write(tmp_path / "messy.log", lines), cfg=config.with_(max_record_bytes=2000))
    assert (report.files[0].format, report.files[0].counts.loaded, report.files[0].counts.rejected) == (
        "inference_server",
        2,
        10,
    )
    rejects = dict(query("SELECT position, reason FROM rejects"))
    assert (
        rejects[2].startswith("no timestamp: uvicorn writes none")
        and "kubectl logs --timestamps" in rejects[2]
    )
    assert rejects[3] == "not a request: a uvicorn / KServe / vLLM server message"
    assert rejects[4] == "not a request: a TorchServe log or metrics message"
    assert rejects[5].startswith("TorchServe ACCESS_LOG message is not")
    assert rejects[6] == "latency '12parsecs' is not a duration"
    assert rejects[7].startswith("not an inference-server access-log line")
    assert rejects[8] == "impossible date 31/Feb/2024"
    assert rejects[9].endswith("is not METHOD TARGET HTTP/x (a malformed or non-HTTP request)")
    assert rejects[10] == "not a request: a Triton server message"
    assert rejects[11].startswith("line is 3,000 bytes")
    assert query("SELECT raw FROM rejects WHERE position = 2")[0][0] == lines[1]  # the raw line is kept


def test_yearless_times_take_the_year_from_the_file_date(tmp_path, ingest, query):
    lines = [
        'Dec 31 23:59:59 gpu1 uvicorn[9]: INFO:     10.0.0.1:1 - "POST /v1/models/m:predict HTTP/1.1" 200 OK',
        'Jan  2 00:00:01 gpu1 uvicorn[9]: INFO:     10.0.0.1:2 - "POST /v1/models/m:predict HTTP/1.1" 200 OK',
        'Mär  3 10:00:00 gpu1 uvicorn[9]: INFO:     10.0.0.1:3 - "POST /v1/models/m:predict HTTP/1.1" 200 OK',
        "2025-01-02T00:00:02.250+0100 gpu1 uvicorn[9]: INFO:     10.0.0.1:4 - "
        '"POST /v1/models/m:predict HTTP/1.1" 200 OK',
    ]
    ingest(_write(tmp_path / "journal.txt", lines, mtime=datetime(2025, 1, 3, tzinfo=UTC)))
    assert [r[0] for r in query("SELECT ts FROM access_events ORDER BY source_pos")] == [
        datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(2025, 1, 2, 0, 0, 1, tzinfo=UTC),
        datetime(2024, 3, 3, 10, 0, 0, tzinfo=UTC),
        datetime(2025, 1, 1, 23, 0, 2, 250000, tzinfo=UTC),
    ]


@pytest.mark.parametrize(
    ("method", "target", "api", "model", "version", "klass"),
    [
        ("POST", "/predictions/bert/1.0?x=1", "torchserve", "bert", "1.0", ActionClass.INVOKE),
        ("DELETE", "/models/bert/1.0", "torchserve", "bert", "1.0", ActionClass.DELETE),
        ("GET", "/models", "torchserve", None, None, ActionClass.LIST),
        ("POST", "/v1/models/iris%3Aexplain", "kserve-v1", "iris", None, ActionClass.INVOKE),
        ("GET", "/v2/models/llama/versions/2/ready", "kserve-v2", "llama", "2", ActionClass.READ),
        ("POST", "/v2/repository/models/llama/load", "kserve-v2", "llama", None, ActionClass.ADMIN),
        ("POST", "/api/push", "ollama", None, None, ActionClass.READ),
        ("POST", "/v1/embeddings", "openai", None, None, ActionClass.INVOKE),
        ("GET", "/v1/models", None, None, None, ActionClass.LIST),
        ("GET", "/metrics", None, None, None, ActionClass.READ),
        ("POST", "/predict", None, None, None, ActionClass.INVOKE),
        ("POST", "/v2/models/a%2Fb/infer", "kserve-v2", "a%2Fb", None, ActionClass.INVOKE),
    ],
)
def test_routes(method, target, api, model, version, klass):
    found = route(method, target)
    assert (found.api, found.model, found.version, found.action_class) == (api, model, version, klass)


def test_client_addresses_and_redaction():
    assert client_address("/127.0.0.1:64003") == "127.0.0.1"
    assert client_address("localhost/10.0.0.1:80") == "10.0.0.1"
    assert client_address("[::1]:8080") == "::1"
    assert client_address("2001:db8::1", port=False) == "2001:db8::1"
    assert client_address("-") is None
    assert redact('"GET /x?api_key=abc&AUTH_TOKEN=def&q=ok HTTP/1.1"') == (
        '"GET /x?api_key=REDACTED&AUTH_TOKEN=REDACTED&q=ok HTTP/1.1"'
    )


def test_detected_by_content_not_name(tmp_path, real_samples, ingest):
    fmt = InferenceServerLog()
    misleading = _write(tmp_path / "cloudtrail_2024.json", [s[0] for s in SHAPES[:2]])
    assert fmt.sniff(take_sample(misleading, misleading.stat().st_size)) == CERTAIN
    assert ingest(misleading).files[0].format == "inference_server"
    # An ASGI app or web server that shows no inference API is claimed only weakly.
    plain = _write(
        tmp_path / "web.log", ['10.0.0.1 - - [21/Jul/2024:15:52:51 +0000] "GET /index.html HTTP/1.1" 200 5']
    )
    assert fmt.sniff(take_sample(plain, plain.stat().st_size)) == MAYBE
    for other in (
        "s3_access_logs/awsdocs_LogFormat_example_5records.log",
        "panther_tests/aws_cloudtrail.tests.jsonl",
        "scanners/picklescan/readme_cli_output_huggingface.txt",
    ):
        path = real_samples / other
        assert fmt.sniff(take_sample(path, path.stat().st_size)) == NO, other
