"""Recorded SageMaker / Bedrock API responses: the placebo recordings, CLI output, lineage, linking."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from mlspm.ingest.formats.aws_ml_api import AwsMlApi
from mlspm.ingest.source import take_sample

PLACEBO = "inventory/aws_api_responses_cloud_custodian_placebo"
ACCOUNT = "644160558196"
ENDPOINT = "kmeans-2018-01-18-19-25-36-887"
ENDPOINT_ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/{ENDPOINT}"
CONFIG_MODEL = "model:kmeans-2018-01-18-19-32-39-784"

NO_RESOURCE = "a tag listing (ListTags/ListTagsForResource) names no resource"
EMPTY = "an empty API response: nothing to inventory"

# Checked by hand against each recording: every file is loaded or rejected, with these reasons
# (identical recordings, such as the many 78-byte TagResource/DeleteModel acknowledgements, are
# skipped as already loaded).
REJECT_REASONS = {
    NO_RESOURCE: 13,  # ListTags / ListTagsForResource: the ARN was a request parameter
    EMPTY: 2,  # TagResource (bedrock) and {"ResponseMetadata": {}} (logging off, DeleteModel...)
    "an API response without SageMaker or Bedrock resources mlspm inventories (keys: AccountAliases)": 1,
    "a recorded error response (HTTP 400): ValidationException: Could not find model": 1,
    "a list response whose TrainingJobSummaries is empty": 1,
    "a list response whose ResourceTagMappingList is empty": 1,
}
ASSETS_BY_KIND = {
    # SageMaker: 1 described + 2 named by an endpoint config and a transform job; 1 AutoML candidate;
    # Bedrock: 1 custom model and 6 foundation models (listed, or named as base/agent/KB/batch model)
    "model": 11,
    "other": 25,  # 21 invocation jobs, 1 endpoint config, 1 processing job, 1 transform job, 1 guardrail
    "dataset": 5,  # 4 training-data S3 locations + 1 knowledge base
    "training_job": 3,  # a training job, a tuning job, an AutoML job
    "service": 3,  # 2 agents + model-invocation logging
    "endpoint": 1,
    "notebook": 1,
}


def _write(path: Path, value: object) -> Path:
    path.write_text(json.dumps(value, indent=2))
    return path


def test_every_recording_is_an_asset_or_a_reject_with_its_reason(real_samples, ingest, query):
    report = ingest(real_samples / PLACEBO)
    assert len(report.files) == 65
    assert Counter(f.status for f in report.files) == {"loaded": 55, "already_loaded": 10}
    assert {f.format for f in report.files if f.status == "loaded"} == {"aws_ml_api"}
    reasons = Counter(str(r[0]) for r in query("SELECT reason FROM rejects"))
    assert report.total("rejected") == sum(REJECT_REASONS.values()) == 19
    for prefix, count in REJECT_REASONS.items():
        assert sum(n for reason, n in reasons.items() if reason.startswith(prefix)) == count, prefix
    assert dict(query("SELECT kind, count(*) FROM assets GROUP BY 1")) == ASSETS_BY_KIND
    assert query("SELECT count(*) FROM lineage") == [(35,)]
    assert query("SELECT count(*) FROM assets WHERE raw IS NULL OR NOT json_valid(raw)") == [(0,)]


def test_endpoint_config_and_endpoint_give_deployed_as_in_either_order(real_samples, ingest, query):
    ingest(real_samples / PLACEBO / "test_sagemaker_endpoints")
    assert query("SELECT count(*) FROM lineage WHERE relation = 'deployed_as'") == [(0,)]
    ingest(real_samples / PLACEBO / "test_sagemaker_endpoint_config")
    edges = set(query("SELECT src_asset, relation, dst_asset FROM lineage"))
    assert edges == {
        (f"endpoint:{ENDPOINT}", "depends_on", f"endpoint_config:{ENDPOINT}"),
        (f"endpoint_config:{ENDPOINT}", "depends_on", CONFIG_MODEL),
        (CONFIG_MODEL, "deployed_as", f"endpoint:{ENDPOINT}"),
    }
    endpoint = query(
        "SELECT uri, json_extract_string(tags, '$.status'), json_extract_string(tags, '$.created') "
        "FROM assets WHERE asset_id = ?",
        [f"endpoint:{ENDPOINT}"],
    )
    # placebo's {"__class__": "datetime", ...} becomes ISO 8601 UTC
    assert endpoint == [(ENDPOINT_ARN, "Creating", "2018-01-18T15:07:36.710000Z")]
    capture = query("SELECT tags->'$.data_capture' FROM assets WHERE asset_id = ?", [f"endpoint:{ENDPOINT}"])
    assert json.loads(str(capture[0][0])) == {"enabled": False, "reason": "no DataCaptureConfig"}
    config = query(
        "SELECT kind, uri, tags->'$.data_capture' FROM assets WHERE asset_id = ?",
        [f"endpoint_config:{ENDPOINT}"],
    )
    assert config[0][:2] == ("other", f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint-config/{ENDPOINT}")
    assert json.loads(str(config[0][2])) == {"enabled": False, "reason": "no DataCaptureConfig"}
    # the model only a config names gets the ARN SageMaker gives it (lower-cased name)
    assert query("SELECT uri FROM assets WHERE asset_id = ?", [CONFIG_MODEL]) == [
        (f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model/kmeans-2018-01-18-19-32-39-784",)
    ]


def test_config_first_then_endpoint_also_deploys(real_samples, ingest, query):
    ingest(real_samples / PLACEBO / "test_sagemaker_endpoint_config")
    ingest(real_samples / PLACEBO / "test_sagemaker_endpoints")
    assert query("SELECT src_asset, dst_asset FROM lineage WHERE relation = 'deployed_as'") == [
        (CONFIG_MODEL, f"endpoint:{ENDPOINT}")
    ]


def test_training_job_reads_a_dataset_and_writes_under_its_output_prefix(real_samples, ingest, query):
    ingest(real_samples / PLACEBO / "test_sagemaker_training_job_query")
    job = "training_job:c7n-job-2018-01-12-18-23-33"
    dataset = "dataset:s3://c7n-sm-test/kmeans_highlevel_example/data"
    assert set(query("SELECT src_asset, relation, dst_asset FROM lineage")) == {(job, "trained_on", dataset)}
    # S3Prefix input: the dataset covers every object under the prefix
    assert query("SELECT locator, kind FROM asset_locators WHERE asset_id = ?", [dataset]) == [
        ("s3://c7n-sm-test/kmeans_highlevel_example/data/", "prefix")
    ]
    assert set(query("SELECT locator, kind FROM asset_locators WHERE asset_id = ?", [job])) == {
        (f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:training-job/c7n-job-2018-01-12-18-23-33", "exact"),
        ("s3://c7n-sm-test/kmeans_example/output/c7n-job-2018-01-12-18-23-33/", "prefix"),
    }
    tags = json.loads(str(query("SELECT tags FROM assets WHERE asset_id = ?", [job])[0][0]))
    assert tags["status"] == "Failed"
    assert tags["role"].endswith("AmazonSageMaker-ExecutionRole-20180108T122369")
    assert tags["created"] == "2018-01-12T13:23:33.406000Z"
    assert tags["failure_reason"].startswith("ClientError: Unable to read input data")
    assert len(tags["failure_reason"]) <= 500  # the stack trace after it is in the raw record


def test_bedrock_custom_model_derives_from_its_base_and_trains_on_s3(real_samples, ingest, query):
    ingest(real_samples / PLACEBO / "test_bedrock_custom_model" / "bedrock.GetCustomModel_1.json")
    base = "model:amazon.titan-text-express-v1:0:8k"
    assert set(query("SELECT src_asset, relation, dst_asset FROM lineage")) == {
        ("model:c7n-test3", "derived_from", base),
        ("model:c7n-test3", "trained_on", "dataset:s3://bedrock-c7n/training.jsonl"),
    }
    assert query("SELECT format FROM assets WHERE asset_id IN ('model:c7n-test3', ?) ORDER BY 1", [base]) == [
        ("bedrock-custom-model",),
        ("bedrock-foundation-model",),
    ]
    # CloudTrail names a foundation model by id or ARN: both are locators
    assert set(query("SELECT locator FROM asset_locators WHERE asset_id = ?", [base])) == {
        ("arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1:0:8k",),
        ("amazon.titan-text-express-v1:0:8k",),
    }


def test_invocation_logging_on_is_a_tagged_asset_and_off_is_an_explained_reject(real_samples, ingest, query):
    on = real_samples / PLACEBO / "test_bedrock_model_invocation_logging"
    off = real_samples / PLACEBO / "test_bedrock_model_invocation_logging_disabled"
    ingest(on / "bedrock.GetModelInvocationLoggingConfiguration_1.json")
    ingest(off / "bedrock.GetModelInvocationLoggingConfiguration_1.json")
    tags = query("SELECT tags->'$.model_invocation_logging' FROM assets")
    assert json.loads(str(tags[0][0])) == {
        "enabled": True,
        "destinations": {"s3": "s3://test-bedrock-1/logging/"},
        "delivery": {"text": True, "image": False, "embedding": True},
    }
    # reads of the delivered logs (prompts) link to it
    assert query("SELECT locator, kind FROM asset_locators") == [("s3://test-bedrock-1/logging/", "prefix")]
    reason = str(query("SELECT reason FROM rejects")[0][0])
    assert reason.startswith(EMPTY) and "GetModelInvocationLoggingConfiguration with logging off" in reason


def test_tag_mappings_set_owner_and_environment_and_keep_the_listed_name(
    tmp_path, real_samples, ingest, query
):
    ingest(
        real_samples
        / PLACEBO
        / "test_sagemaker_transform_job_query"
        / "api.sagemaker.ListTransformJobs_1.json"
    )
    arn = query("SELECT uri FROM assets")[0][0]
    assert (
        arn == f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:transform-job/batch-transform-2018-10-24-20-23-46-100"
    )
    tags = {
        "status_code": 200,
        "data": {
            "ResourceTagMappingList": [
                {
                    "ResourceARN": arn,
                    "Tags": [{"Key": "Owner", "Value": "ml-platform"}, {"Key": "Env", "Value": "Production"}],
                },
                {"ResourceARN": "arn:aws:ec2:us-east-1:644160558196:instance/i-0abc", "Tags": []},
            ]
        },
    }
    result = ingest(_write(tmp_path / "tags.json", tags)).files[0]
    assert (result.format, result.counts.loaded, result.counts.rejected) == ("aws_ml_api", 1, 1)
    # the ARN's lower-cased name does not replace the name the listing gave
    assert query("SELECT asset_id, name, owner, environment FROM assets") == [
        (
            "transform_job:Batch-Transform-2018-10-24-20-23-46-100",
            "Batch-Transform-2018-10-24-20-23-46-100",
            "ml-platform",
            "prod",
        )
    ]
    assert query("SELECT position, reason FROM rejects") == [
        (
            2,
            "arn:aws:ec2:us-east-1:644160558196:instance/i-0abc is not a SageMaker or Bedrock ML resource "
            "(or an S3 bucket) mlspm inventories",
        )
    ]


CLI_DESCRIBE_MODEL = {
    "ModelName": "Fraud-Detector",
    "PrimaryContainer": {
        "Image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fraud:3",
        "ModelDataUrl": "s3://ml-models/fraud/3/model.tar.gz",
        "Environment": {"SAGEMAKER_PROGRAM": "serve.py", "HF_TOKEN": "hf_secret_value"},
    },
    "ExecutionRoleArn": "arn:aws:iam::123456789012:role/fraud-serving",
    "CreationTime": "2025-05-16T11:14:08.493000-07:00",
    "ModelArn": "arn:aws:sagemaker:eu-west-1:123456789012:model/fraud-detector",
    "EnableNetworkIsolation": True,
}


def test_aws_cli_output_is_detected_by_content_and_secrets_are_redacted(tmp_path, ingest, query):
    path = _write(tmp_path / "notes.txt", CLI_DESCRIBE_MODEL)  # the name says nothing
    result = ingest(path).files[0]
    assert (result.status, result.format, result.counts.loaded) == ("loaded", "aws_ml_api", 1)
    row = query("SELECT asset_id, uri, tags, raw FROM assets")[0]
    assert row[:2] == (
        "model:Fraud-Detector",
        "arn:aws:sagemaker:eu-west-1:123456789012:model/fraud-detector",
    )
    tags = json.loads(str(row[2]))
    assert tags["created"] == "2025-05-16T18:14:08.493000Z"  # the CLI's local offset, in UTC
    assert tags["environment_variables"] == ["HF_TOKEN", "SAGEMAKER_PROGRAM"]
    assert tags["network_isolation"] is True
    raw = json.loads(str(row[3]))
    assert raw["PrimaryContainer"]["Environment"] == {
        "SAGEMAKER_PROGRAM": "serve.py",
        "HF_TOKEN": "<redacted>",
    }
    assert "hf_secret_value" not in str(query("SELECT list(tags || raw) FROM assets")[0][0])
    assert set(query("SELECT locator FROM asset_locators")) == {
        ("arn:aws:sagemaker:eu-west-1:123456789012:model/fraud-detector",),
        ("s3://ml-models/fraud/3/model.tar.gz",),
    }


def test_a_training_job_output_joins_the_model_serving_it(tmp_path, ingest, query):
    job = {
        "TrainingJobName": "fraud-train-7",
        "TrainingJobArn": "arn:aws:sagemaker:eu-west-1:123456789012:training-job/fraud-train-7",
        "TrainingJobStatus": "Completed",
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://ml-data/fraud/2025-05"}
                },
            }
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://ml-models/fraud/3", "KmsKeyId": "alias/ml"},
        "ModelArtifacts": {"S3ModelArtifacts": "s3://ml-models/fraud/3/model.tar.gz"},
    }
    # one file with both responses back to back, as a shell loop saves them
    path = tmp_path / "describe.json"
    path.write_text(json.dumps(CLI_DESCRIBE_MODEL) + "\n" + json.dumps(job) + "\n")
    assert ingest(path).files[0].counts.loaded == 3
    assert set(query("SELECT src_asset, relation, dst_asset FROM lineage")) == {
        ("training_job:fraud-train-7", "trained_on", "dataset:s3://ml-data/fraud/2025-05"),
        ("model:Fraud-Detector", "trained_on", "dataset:s3://ml-data/fraud/2025-05"),
        ("model:Fraud-Detector", "derived_from", "training_job:fraud-train-7"),
    }
    assert query("SELECT encrypted FROM assets WHERE asset_id = 'model:Fraud-Detector'") == [(True,)]


def test_a_job_reading_a_known_dataset_uses_that_asset(tmp_path, ingest, query):
    (tmp_path / "assets.csv").write_text("kind,name,uri\ndataset,fraud-transactions,s3://ml-data/fraud/\n")
    ingest(tmp_path / "assets.csv")
    job = {
        "TrainingJobName": "j",
        "TrainingJobArn": "arn:aws:sagemaker:eu-west-1:123456789012:training-job/j",
        "InputDataConfig": [
            {"DataSource": {"S3DataSource": {"S3Uri": "s3://ml-data/fraud/2025-05/part-0.parquet"}}}
        ],
    }
    ingest(_write(tmp_path / "job.json", {"status_code": 200, "data": job}))
    assert query("SELECT src_asset, relation, dst_asset FROM lineage") == [
        ("training_job:j", "trained_on", "dataset:fraud-transactions")
    ]
    # the known dataset is left as its own inventory says
    assert query("SELECT name, source FROM assets WHERE kind = 'dataset'") == [
        ("fraud-transactions", "generic_assets")
    ]


def test_malformed_recordings_are_rejected_with_reasons(tmp_path, ingest, query):
    broken = tmp_path / "broken.json"
    broken.write_text('{"status_code": 200, "data": {"Models": [{"ModelName": "m",\n')
    result = ingest(broken).files[0]
    assert result.status == "failed"
    assert "not valid JSON" in str(result.message) and "line 2" in str(result.message)
    listing = {
        "status_code": 200,
        "data": {
            "Endpoints": [
                {"EndpointName": "ok", "EndpointArn": "arn:aws:sagemaker:us-east-1:1:endpoint/ok"},
                {"EndpointArn": "arn:aws:sagemaker:us-east-1:1:endpoint/nameless"},
                "not an object",
            ]
        },
    }
    result = ingest(_write(tmp_path / "endpoints.json", listing)).files[0]
    assert (result.status, result.counts.loaded, result.counts.rejected) == ("loaded", 1, 2)
    assert query("SELECT position, reason FROM rejects WHERE position IS NOT NULL ORDER BY 1") == [
        (2, "a SageMaker endpoint without EndpointName"),
        (3, "an item of Endpoints is a JSON str, not an object"),
    ]


def test_cloudtrail_event_on_the_endpoint_links_to_the_inventory_asset(tmp_path, real_samples, ingest, query):
    event = {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/ci",
            "accountId": ACCOUNT,
        },
        "eventTime": "2026-03-01T10:00:00Z",
        "eventSource": "sagemaker.amazonaws.com",
        "eventName": "UpdateEndpoint",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.7",
        "userAgent": "aws-cli/2",
        "requestParameters": {"endpointName": ENDPOINT, "endpointConfigName": ENDPOINT},
        "responseElements": {"endpointArn": ENDPOINT_ARN},
        "eventID": "11111111-2222-3333-4444-555555555555",
        "recipientAccountId": ACCOUNT,
    }
    trail = _write(tmp_path / "trail.json", {"Records": [event]})
    # events first, inventory second: loading the inventory links what was already there
    ingest(trail)
    assert query("SELECT asset_id FROM access_events") == [(None,)]
    ingest(real_samples / PLACEBO / "test_sagemaker_endpoints" / "api.sagemaker.DescribeEndpoint_1.json")
    assert query("SELECT resource, asset_id FROM access_events") == [(ENDPOINT_ARN, f"endpoint:{ENDPOINT}")]


def test_sniff_is_strict(tmp_path):
    fmt = AwsMlApi()

    def score(value: object) -> int:
        path = _write(tmp_path / "x.json", value)
        return fmt.sniff(take_sample(path, path.stat().st_size))

    assert score(CLI_DESCRIBE_MODEL) == 100
    assert score({"status_code": 200, "data": {"AccountAliases": ["a"]}}) == 10  # claimed, to say why not
    assert score({"Models": [{"name": "not sagemaker"}]}) == 0
    assert score({"Tags": [{"Key": "a", "Value": "b"}]}) == 0
    assert score({"ResourceTagMappingList": [{"ResourceARN": "arn:aws:ec2:us-east-1:1:instance/i-1"}]}) == 0
    assert score({"Records": [{"eventName": "GetObject"}]}) == 0
    assert score({"jobArn": "arn:aws:glue:us-east-1:1:job/etl"}) == 0
    assert score({"bomFormat": "CycloneDX", "components": []}) == 0
