"""Three weeks of estate activity: routine human and pipeline traffic, benign look-alikes, incidents."""

from __future__ import annotations

import hashlib
import math
import random
import time

from sample_data.emit import Emitter
from sample_data.estate import (
    ACCOUNT,
    ANON_IPS,
    APP,
    BATCH,
    BEDROCK_MODELS,
    BUCKET_OWNER_ID,
    BULK_IP,
    CAL,
    CI,
    DANA,
    DATA_PIPE,
    DATASETS_BUCKET,
    DEPLOYER,
    DS,
    EP,
    EXTERNAL_CANONICAL_ID,
    HOME_IP_MEI,
    LUCAS,
    MEI,
    MODELS,
    MODELS_BUCKET,
    MV,
    PARTNER,
    PRIYA,
    RAJ,
    REGION,
    REGISTRY,
    SAM,
    SERVING,
    SHADOW_ENDPOINT,
    SHADOW_KEY,
    T_FLAGGED_DOWNLOAD,
    T_HOSTILE_UPLOAD,
    T_NEW_HIRE,
    TRAIN_EXEC,
    TRAIN_ORCH,
    UA_BOTO,
    UA_CLI_LINUX,
    UA_CLI_MAC,
    UA_STUDIO,
    W_ANON,
    W_BULK,
    W_DENIED,
    W_ENUM,
    W_OFF_HOURS,
    W_PERM,
    W_POISON,
    W_PUBLIC,
    W_SHADOW,
    W_SPIKE,
    Actor,
    Deploy,
    Training,
    bedrock_arn,
    endpoint_arn,
    endpoint_config_arn,
    hid,
    training_job_arn,
    ts,
)

DAY = 86400
HOUR = 3600
SM_IMAGE_SKLEARN = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
SM_IMAGE_XGB = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
SM_IMAGE_HF = (
    "763104351884.dkr.ecr.us-east-1.amazonaws.com/"
    "huggingface-pytorch-inference:2.1.0-transformers4.37.0-gpu-py310"
)
POISON_KEYS = (
    ("fraud/transactions/2025/03/12/part-0002.parquet", 52_114_880),
    ("fraud/transactions/2025/03/13/part-0002.parquet", 49_870_336),
    ("fraud/transactions/labels/chargeback-corrections.csv", 1_236_992),
)


def _size(key: str, lo: int, hi: int) -> int:
    """A stable object size for a key, so the same object has the same size in every log line."""
    return lo + int.from_bytes(hashlib.sha256(key.encode()).digest()[:6], "big") % (hi - lo)


def _date(t: int) -> str:
    return time.strftime("%Y/%m/%d", time.gmtime(t))


def _week(t: int) -> str:
    return time.strftime("%G-W%V", time.gmtime(t))


def _poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method; the rates here are small enough for it to be exact and fast."""
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _denied(who: Actor, action: str, resource: str) -> tuple[str, str]:
    return (
        "AccessDeniedException",
        f"User: {who.arn} is not authorized to perform: sagemaker:{action} on resource: {resource} "
        f"because no identity-based policy allows the sagemaker:{action} action",
    )


def _ts_sorted(rng: random.Random, n: int, a: float, b: float) -> list[float]:
    return sorted(rng.uniform(a, b) for _ in range(n))


def dataset_keys(name: str, at: float) -> list[tuple[str, int]]:
    """Objects a training job started at `at` finds under a dataset prefix (the recent partitions)."""
    keys: list[tuple[str, int]] = []
    day0 = int(at) - int(at) % DAY
    if name == "fraud-transactions":
        for back in range(28, 0, -1):
            d = _date(day0 - back * DAY)
            for part in (0, 1):
                k = f"fraud/transactions/{d}/part-{part:04d}.parquet"
                keys.append((k, _size(k, 38 * 2**20, 61 * 2**20)))
        keys += [(k, s) for k, s in POISON_KEYS if W_POISON[0] < at]
    elif name == "churn-features":
        for back in range(8, 0, -1):
            w = _week(day0 - back * 7 * DAY)
            for part in range(4):
                k = f"churn/features/{w}/part-{part:04d}.parquet"
                keys.append((k, _size(k, 20 * 2**20, 35 * 2**20)))
    elif name == "demand-history":
        for back in range(26, 0, -1):
            k = f"demand/history/{_week(day0 - back * 7 * DAY)}/sales.parquet"
            keys.append((k, _size(k, 3 * 2**20, 9 * 2**20)))
    else:
        for back in range(14, 0, -1):
            k = f"support/tickets/{_date(day0 - back * DAY)}/tickets.jsonl.gz"
            keys.append((k, _size(k, 8 * 2**20, 15 * 2**20)))
    return keys


class Simulation:
    """Drives an Emitter over the period; every routine is a method so the schedule reads top to bottom."""

    def __init__(self, em: Emitter, rng: random.Random) -> None:
        self.em = em
        self.rng = rng
        self.start = em.start
        self.end = em.end

    def days(self) -> list[int]:
        return list(range(self.start, self.end, DAY))

    def run(self) -> None:
        for d in self.days():
            weekday = time.gmtime(d).tm_wday
            self.nightly_etl(d, weekday)
            self.batch_scoring(d)
            self.partner_traffic(d)
            self.app_traffic(d, weekday)
            self.service_credentials(d)
            if weekday < 5:
                self.ci_runs(d)
                for who in (DANA, RAJ, MEI, LUCAS, SAM, PRIYA):
                    self.human_day(who, d, weekday)
        for tr in CAL.trainings:
            self.training(tr)
        for dep in CAL.deploys:
            self.deploy(dep)
        self.scripted_routine()
        self.incidents()

    # ------------------------------------------------------------------------------------ pipelines
    def nightly_etl(self, d: int, weekday: int) -> None:
        """Benign look-alike: the data pipeline writes yesterday's partitions every night."""
        em, rng = self.em, self.rng
        t = d + 30 * 60 + rng.randint(0, 240)
        em.assume_role(t - 20, DATA_PIPE, "ecs-tasks.amazonaws.com")
        y = _date(d - DAY)
        for part in (0, 1):
            k = f"fraud/transactions/{y}/part-{part:04d}.parquet"
            em.ds_object(
                t + part * rng.randint(40, 90), DATA_PIPE, "PutObject", k, _size(k, 38 * 2**20, 61 * 2**20)
            )
        k = f"support/tickets/{y}/tickets.jsonl.gz"
        em.ds_object(t + 200 + rng.randint(0, 60), DATA_PIPE, "PutObject", k, _size(k, 8 * 2**20, 15 * 2**20))
        if weekday == 0:  # Monday: last week's sales
            k = f"demand/history/{_week(d - DAY)}/sales.parquet"
            em.ds_object(t + 420, DATA_PIPE, "PutObject", k, _size(k, 3 * 2**20, 9 * 2**20))
        em.ds_object(t + 480, DATA_PIPE, "ListObjects", f"fraud/transactions/{y}/", 0)

    def batch_scoring(self, d: int) -> None:
        """Benign look-alike: nightly re-scoring of the day's transactions, thousands of invocations."""
        rng = self.rng
        t0 = d + HOUR + rng.randint(0, 600)
        self.em.assume_role(t0 - 30, BATCH, "ecs-tasks.amazonaws.com")
        n = rng.randint(2000, 2800)
        dur = rng.randint(85, 110) * 60
        for t in _ts_sorted(rng, n, t0, t0 + dur):
            self.em.invoke(t, BATCH, "fraud-detector-prod", status=200 if rng.random() > 0.002 else 503)

    def partner_traffic(self, d: int) -> None:
        """The partner's steady, modest use of the fraud endpoint (a handful per hour, around the clock)."""
        rng = self.rng
        for h in range(24):
            hs = d + h * HOUR
            self.em.assume_role(hs + rng.randint(0, 240), PARTNER, "partner")
            lam = 5.0 if 13 <= h <= 23 else 3.0
            for t in _ts_sorted(rng, _poisson(rng, lam), hs, hs + HOUR):
                self.em.invoke(t, PARTNER, "fraud-detector-prod")

    def app_traffic(self, d: int, weekday: int) -> None:
        """The support assistant: ticket routing on the endpoint and Bedrock calls, following office hours."""
        em, rng = self.em, self.rng
        bedrock_claude, bedrock_titan = BEDROCK_MODELS[0][0], BEDROCK_MODELS[1][0]
        for h in range(24):
            hs = d + h * HOUR
            busy = weekday < 5 and 8 <= h < 18
            n_inv = rng.randint(55, 90) if busy else rng.randint(6, 16)
            for t in _ts_sorted(rng, n_inv, hs, hs + HOUR):
                em.invoke(t, APP, "ticket-classifier-prod")
            n_br = rng.randint(18, 34) if busy else rng.randint(1, 6)
            for t in _ts_sorted(rng, n_br, hs, hs + HOUR):
                model = bedrock_claude if rng.random() < 0.7 else bedrock_titan
                self._bedrock(t, APP, model)
            if hs >= W_SHADOW_APP_START and busy:  # the app team started trying the unregistered endpoint
                for t in _ts_sorted(rng, rng.randint(3, 9), hs, hs + HOUR):
                    em.invoke(t, APP, SHADOW_ENDPOINT)

    def _bedrock(self, t: float, who: Actor, model: str, ua: str | None = None) -> None:
        self.em.ct_event(
            t,
            who,
            "bedrock.amazonaws.com",
            "InvokeModel",
            {"modelId": model},
            None,
            read_only=True,
            extra={"inferenceRegion": REGION},
            ua=ua,
            resources=[{"accountId": ACCOUNT, "type": "AWS::Bedrock::Model", "ARN": bedrock_arn(model)}],
        )

    def service_credentials(self, d: int) -> None:
        """Instance-profile refreshes for the app: EC2 assumes its role a few times a day."""
        for h in (0, 6, 12, 18):
            self.em.assume_role(d + h * HOUR + self.rng.randint(60, 900), APP, "ec2.amazonaws.com")

    def ci_runs(self, d: int) -> None:
        """CI checks the registry on every merge: read-only, a few distinct packages per run."""
        em, rng = self.em, self.rng
        for _ in range(rng.randint(2, 5)):
            t = d + rng.randint(9 * HOUR, 19 * HOUR)
            em.assume_role_oidc(t, CI, "halyard/ml-platform")
            group = rng.choice(list(REGISTRY))
            em.sagemaker(
                t + 8,
                CI,
                "ListModelPackages",
                {"modelPackageGroupName": group, "maxResults": 10, "sortOrder": "Descending"},
            )
            latest = self._latest_package(group, t)
            em.sagemaker(
                t + 9, CI, "DescribeModelPackage", {"modelPackageName": self._pkg_arn(group, latest)}
            )
            em.s3_list(t + 15, MODELS_BUCKET, CI, f"{group}/")

    def _pkg_arn(self, group: str, n: int) -> str:
        return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{group}/{n}"

    def _latest_package(self, group: str, t: float) -> int:
        """Newest package version of a registry group that exists at time t."""
        return max(n for n in range(1, REGISTRY[group] + 1) if PACKAGE_CREATED.get((group, n), 0) <= t)

    # ------------------------------------------------------------------------------------ humans
    def human_day(self, who: Actor, d: int, weekday: int) -> None:
        em, rng = self.em, self.rng
        if who is PRIYA and d < T_NEW_HIRE:
            return
        if who is not PRIYA and rng.random() < 0.08:  # days off
            return
        ip = rng.choice(who.ips)
        if who is DANA and rng.random() < 0.3:
            ip = "192.0.2.44"  # Dana works from home some days (a known address, seen from week 1)
        begin = d + 8 * HOUR + rng.randint(0, 75 * 60)
        if who.kind == "sso":
            em.assume_role_sso(begin, who, ip)
        times = _ts_sorted(rng, rng.randint(4, 9), begin + 60, d + 17 * HOUR + rng.randint(0, 45 * 60))
        for t in times:
            getattr(self, f"_act_{who.key}")(t, ip, weekday, d)
        if who is RAJ and weekday == 0:
            # Raj publishes the weekly churn feature snapshot by hand on Mondays: a usual, allowed writer.
            t = begin + 2 * HOUR + rng.randint(0, 1800)
            w = _week(d - DAY)
            for part in range(4):
                k = f"churn/features/{w}/part-{part:04d}.parquet"
                em.ds_object(t + part * 35, RAJ, "PutObject", k, _size(k, 20 * 2**20, 35 * 2**20), ip=ip)

    def _read_dataset(
        self, who: Actor, t: float, ip: str, names: tuple[str, ...], ua: str | None = None
    ) -> None:
        ds = DS[self.rng.choice(names)]
        keys = dataset_keys(ds.name, t)[-6:]
        key, size = self.rng.choice(keys)
        if self.rng.random() < 0.4:
            self.em.ds_object(t, who, "ListObjects", ds.prefix, 0, ip=ip, ua=ua)
            t += self.rng.randint(10, 90)
        self.em.ds_object(t, who, "GetObject", key, size, ip=ip, ua=ua)

    def _act_dana(self, t: float, ip: str, weekday: int, d: int) -> None:
        em, rng = self.em, self.rng
        r = rng.random()
        if r < 0.35:
            for tt in _ts_sorted(rng, rng.randint(4, 14), t, t + 900):
                em.invoke(tt, DANA, "churn-predictor-staging", ip=ip, ua=UA_BOTO)
        elif r < 0.55:
            em.sagemaker(t, DANA, "DescribeEndpoint", {"endpointName": rng.choice(list(EP))}, ip=ip)
        elif r < 0.7:
            em.sagemaker(t, DANA, "ListModels", {"maxResults": 50, "sortBy": "CreationTime"}, ip=ip)
        elif r < 0.85:
            m = MV["model:demand-forecast@1.0.0"]
            em.s3_get(t, MODELS_BUCKET, DANA, m.key, m.size, ip=ip)
        else:
            self._read_dataset(DANA, t, ip, ("churn-features", "fraud-transactions"))

    def _act_raj(self, t: float, ip: str, weekday: int, d: int) -> None:
        em, rng = self.em, self.rng
        if rng.random() < 0.8:
            self._read_dataset(RAJ, t, ip, ("fraud-transactions", "churn-features", "demand-history"))
        else:
            em.sagemaker(t, RAJ, "ListTrainingJobs", {"maxResults": 20, "sortBy": "CreationTime"}, ip=ip)

    def _act_mei(self, t: float, ip: str, weekday: int, d: int) -> None:
        em, rng = self.em, self.rng
        r = rng.random()
        if r < 0.4:
            em.sagemaker(t, MEI, "DescribeEndpoint", {"endpointName": rng.choice(list(EP))}, ip=ip)
        elif r < 0.6:
            em.sagemaker(t, MEI, "ListEndpoints", {"maxResults": 10, "sortBy": "CreationTime"}, ip=ip)
        elif r < 0.8:
            group = rng.choice(("fraud-detector", "ticket-classifier"))
            em.sagemaker(
                t,
                MEI,
                "DescribeModelPackage",
                {"modelPackageName": self._pkg_arn(group, self._latest_package(group, t))},
                ip=ip,
            )
        else:
            em.s3_list(t, MODELS_BUCKET, MEI, "fraud-detector/", ip=ip, ua=UA_CLI_MAC)

    def _act_lucas(self, t: float, ip: str, weekday: int, d: int) -> None:
        em, rng = self.em, self.rng
        r = rng.random()
        if r < 0.45:
            self._read_dataset(
                LUCAS, t, ip, ("churn-features", "support-tickets", "fraud-transactions", "demand-history")
            )
        elif r < 0.75:
            for tt in _ts_sorted(rng, rng.randint(2, 8), t, t + 1200):
                self._bedrock(tt, LUCAS, BEDROCK_MODELS[0][0], ua=UA_STUDIO)
        elif r < 0.9:
            em.sagemaker(t, LUCAS, "DescribeModel", {"modelName": "churn-predictor-1-3-2"}, ip=ip)
        else:
            em.sagemaker(t, LUCAS, "ListTrainingJobs", {"nameContains": "churn", "maxResults": 10}, ip=ip)

    def _act_sam(self, t: float, ip: str, weekday: int, d: int) -> None:
        em, rng = self.em, self.rng
        bucket = rng.choice((MODELS_BUCKET, DATASETS_BUCKET))
        host = f"{bucket}.s3.{REGION}.amazonaws.com"
        r = rng.random()
        if r < 0.5:
            name, param = rng.choice(
                (
                    ("GetBucketPolicy", "policy"),
                    ("GetBucketAcl", "acl"),
                    ("GetBucketEncryption", "encryption"),
                    ("GetBucketPublicAccessBlock", "publicAccessBlock"),
                )
            )
            em.ct_event(
                t,
                SAM,
                "s3.amazonaws.com",
                name,
                {"bucketName": bucket, "Host": host, param: ""},
                None,
                read_only=True,
                ip=ip,
                resources=[
                    {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}
                ],
            )
        elif r < 0.8:
            em.ct_event(
                t, SAM, "iam.amazonaws.com", "ListRoles", {"maxItems": 100}, None, read_only=True, ip=ip
            )
        else:
            role = rng.choice(("ml-serving", "ml-training-pipeline", "github-actions-ci"))
            em.ct_event(
                t,
                SAM,
                "iam.amazonaws.com",
                "ListAttachedRolePolicies",
                {"roleName": role},
                None,
                read_only=True,
                ip=ip,
            )

    def _act_priya(self, t: float, ip: str, weekday: int, d: int) -> None:
        """Benign look-alike: the new hire reads a few dataset files in her first week, in office hours."""
        em, rng = self.em, self.rng
        if weekday <= 2 and rng.random() < 0.6:
            self._read_dataset(PRIYA, t, ip, ("support-tickets", "churn-features"))
        elif rng.random() < 0.5:
            em.sagemaker(t, PRIYA, "DescribeModel", {"modelName": "ticket-classifier-2-1-0"}, ip=ip)
        else:
            em.sagemaker(t, PRIYA, "ListEndpoints", {"maxResults": 10}, ip=ip)

    # ------------------------------------------------------------------------------------ training, deploys
    def training(self, tr: Training) -> None:
        em, rng = self.em, self.rng
        ds = DS[tr.dataset]
        model = MV.get(tr.model)
        out = f"s3://{MODELS_BUCKET}/{model.prefix}" if model else f"s3://halyard-ml-sandbox/lucas/{tr.job}/"
        if tr.actor is TRAIN_ORCH:
            em.assume_role(tr.t - 25, TRAIN_ORCH, "ecs-tasks.amazonaws.com")
        req = {
            "trainingJobName": tr.job,
            "hyperParameters": {"max_depth": "8", "eta": "0.1", "num_round": "400"}
            if model
            else {"epochs": "5"},
            "algorithmSpecification": {
                "trainingImage": SM_IMAGE_XGB if tr.dataset == "fraud-transactions" else SM_IMAGE_SKLEARN,
                "trainingInputMode": "File",
                "enableSageMakerMetricsTimeSeries": False,
            },
            "roleArn": TRAIN_EXEC.role_arn,
            "inputDataConfig": [
                {
                    "channelName": "train",
                    "dataSource": {
                        "s3DataSource": {
                            "s3DataType": "S3Prefix",
                            "s3Uri": ds.uri,
                            "s3DataDistributionType": "FullyReplicated",
                        }
                    },
                    "contentType": "application/x-parquet",
                    "compressionType": "None",
                }
            ],
            "outputDataConfig": {"kmsKeyId": "", "s3OutputPath": out},
            "resourceConfig": {"instanceType": "ml.m5.4xlarge", "instanceCount": 1, "volumeSizeInGB": 100},
            "stoppingCondition": {"maxRuntimeInSeconds": 14400},
            "enableNetworkIsolation": False,
            "enableInterContainerTrafficEncryption": False,
            "enableManagedSpotTraining": False,
        }
        em.sagemaker(tr.t, tr.actor, "CreateTrainingJob", req, {"trainingJobArn": training_job_arn(tr.job)})
        # SageMaker reads the whole prefix in File mode, as the execution role.
        em.assume_role(tr.t + 55, TRAIN_EXEC, "sagemaker.amazonaws.com")
        t: float = tr.t + 120
        em.ds_object(t, TRAIN_EXEC, "ListObjects", ds.prefix, 0)
        for key, size in dataset_keys(ds.name, tr.t):
            t += rng.uniform(0.5, 3.0)
            em.ds_object(t, TRAIN_EXEC, "GetObject", key, size)
        for k in range(0, tr.minutes, 10):
            em.sagemaker(tr.t + k * 60 + 30, tr.actor, "DescribeTrainingJob", {"trainingJobName": tr.job})
        done = tr.t + tr.minutes * 60
        if model:
            em.s3_put(done - 40, MODELS_BUCKET, TRAIN_EXEC, model.key, model.size)
            em.sagemaker(
                done + 20,
                TRAIN_ORCH,
                "CreateModelPackage",
                {
                    "modelPackageGroupName": model.name,
                    "modelPackageDescription": f"{model.name} {model.version} from {tr.job}",
                    "modelApprovalStatus": "PendingManualApproval",
                    "inferenceSpecification": {
                        "containers": [
                            {"image": SM_IMAGE_XGB, "modelDataUrl": f"s3://{MODELS_BUCKET}/{model.key}"}
                        ],
                        "supportedContentTypes": ["text/csv"],
                        "supportedResponseMIMETypes": ["text/csv"],
                    },
                },
                {"modelPackageArn": model.package_arn},
            )

    def deploy(self, dep: Deploy) -> None:
        """A regular deploy; the serving role then pulls the weights (benign look-alike of a download)."""
        em, rng = self.em, self.rng
        m = MV[dep.model]
        t = dep.t
        em.assume_role(t - 40, DEPLOYER, "codepipeline.amazonaws.com")
        em.sagemaker(t, DEPLOYER, "DescribeModelPackage", {"modelPackageName": m.package_arn})
        image = SM_IMAGE_HF if m.fmt == "safetensors" else SM_IMAGE_SKLEARN
        if dep.create_model:
            em.sagemaker(
                t + 4,
                DEPLOYER,
                "CreateModel",
                {
                    "modelName": m.sm_name,
                    "primaryContainer": {
                        "image": image,
                        "mode": "SingleModel",
                        "modelDataUrl": f"s3://{MODELS_BUCKET}/{m.key}",
                        "environment": {"SAGEMAKER_PROGRAM": "inference.py"},
                    },
                    "executionRoleArn": SERVING.role_arn,
                    "tags": [{"key": "model-version", "value": m.version}],
                    "enableNetworkIsolation": False,
                },
                {"modelArn": m.sm_arn},
            )
        instances = 3 if EP[dep.endpoint].environment == "prod" else 1
        em.sagemaker(
            t + 7,
            DEPLOYER,
            "CreateEndpointConfig",
            {
                "endpointConfigName": dep.config,
                "productionVariants": [
                    {
                        "variantName": "AllTraffic",
                        "modelName": m.sm_name,
                        "initialInstanceCount": instances,
                        "instanceType": "ml.m5.xlarge",
                        "initialVariantWeight": 1.0,
                    }
                ],
                "dataCaptureConfig": {"enableCapture": False},
            },
            {"endpointConfigArn": endpoint_config_arn(dep.config)},
        )
        em.sagemaker(
            t + 9,
            DEPLOYER,
            "UpdateEndpoint",
            {
                "endpointName": dep.endpoint,
                "endpointConfigName": dep.config,
                "retainAllVariantProperties": False,
            },
            {"endpointArn": endpoint_arn(dep.endpoint)},
        )
        em.assume_role(t + 70, SERVING, "sagemaker.amazonaws.com")
        for i in range(instances):
            em.s3_get(
                t + 150 + i * rng.randint(3, 20), MODELS_BUCKET, SERVING, m.key, m.size, ip=SERVING.ips[i % 2]
            )
        for k in range(1, 5):
            em.sagemaker(t + 9 + k * 120, DEPLOYER, "DescribeEndpoint", {"endpointName": dep.endpoint})

    def scripted_routine(self) -> None:
        """One-off benign events on fixed dates: approvals, the hostile upload, a benign permission change."""
        em = self.em
        # Mei approves each weekly fraud retrain on the Monday after it.
        for tr in CAL.trainings:
            m = MV.get(tr.model)
            if m is None:
                continue
            t = tr.t + DAY + 9 * HOUR + 1337
            em.sagemaker(
                t,
                MEI,
                "UpdateModelPackage",
                {
                    "modelPackageArn": m.package_arn,
                    "modelApprovalStatus": "Approved",
                    "approvalDescription": "metrics within bounds",
                },
                {"modelPackageArn": m.package_arn},
                ip=MEI.ips[0],
            )
        # Mei also checks production weights by hand now and then, in office hours.
        for t in (ts_(5, 11, 2, 9), ts_(13, 15, 31, 40)):
            m = MV["model:fraud-detector@3.2.0"] if t < CAL.deploys[2].t else MV["model:fraud-detector@3.2.1"]
            em.s3_get(t, MODELS_BUCKET, MEI, m.key, m.size, ip=MEI.ips[1], ua=UA_CLI_MAC)
        # The hostile churn model enters the estate: Lucas uploads a notebook's pickle and registers it.
        hostile = MV["model:churn-predictor@1.4.0"]
        em.s3_put(T_HOSTILE_UPLOAD, MODELS_BUCKET, LUCAS, hostile.key, hostile.size, ua=UA_STUDIO)
        em.sagemaker(
            T_HOSTILE_UPLOAD + 95,
            LUCAS,
            "CreateModelPackage",
            {
                "modelPackageGroupName": hostile.name,
                "modelPackageDescription": "churn 1.4.0 (notebook export)",
                "modelApprovalStatus": "Approved",
                "inferenceSpecification": {
                    "containers": [
                        {"image": SM_IMAGE_SKLEARN, "modelDataUrl": f"s3://{MODELS_BUCKET}/{hostile.key}"}
                    ],
                    "supportedContentTypes": ["text/csv"],
                    "supportedResponseMIMETypes": ["text/csv"],
                },
            },
            {"modelPackageArn": hostile.package_arn},
        )
        # Benign look-alike: the platform admin grants CI read-only CloudWatch access (not training data).
        em.ct_event(
            ts_(5, 10, 31, 7),
            SAM,
            "iam.amazonaws.com",
            "AttachRolePolicy",
            {
                "roleName": "github-actions-ci",
                "policyArn": "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess",
            },
            None,
            read_only=False,
            ip=SAM.ips[0],
        )
        # A couple of stray denials in normal work: far below any burst.
        em.sagemaker(
            ts_(17, 9, 12, 44),
            PRIYA,
            "ListModelPackageGroups",
            {"maxResults": 50},
            error=_denied(
                PRIYA, "ListModelPackageGroups", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package-group/*"
            ),
            ip=PRIYA.ips[0],
        )
        em.sagemaker(
            ts_(6, 14, 3, 2),
            RAJ,
            "DescribeEndpoint",
            {"endpointName": "fraud-detector-prod"},
            error=_denied(RAJ, "DescribeEndpoint", endpoint_arn("fraud-detector-prod")),
            ip=RAJ.ips[0],
        )

    # ------------------------------------------------------------------------------------ incidents
    def incidents(self) -> None:
        self.enumeration()
        self.permission_change()
        self.poisoning_write()
        self.denied_burst()
        self.bulk_download()
        self.shadow_endpoint()
        self.flagged_download()
        self.public_policy()
        self.volume_spike()
        self.off_hours()

    def enumeration(self) -> None:
        """Lucas walks the whole registry: 34 packages and the deployed models within 40 minutes."""
        em, rng = self.em, self.rng
        t = float(W_ENUM[0])
        ip, ua = LUCAS.ips[0], UA_STUDIO
        em.sagemaker(t, LUCAS, "ListModelPackageGroups", {"maxResults": 100}, ip=ip, ua=ua)
        for group in REGISTRY:
            t += rng.uniform(20, 40)
            em.sagemaker(
                t,
                LUCAS,
                "ListModelPackages",
                {"modelPackageGroupName": group, "maxResults": 100},
                ip=ip,
                ua=ua,
            )
            for n in range(1, self._latest_package(group, t) + 1):
                t += rng.uniform(25, 45)
                em.sagemaker(
                    t,
                    LUCAS,
                    "DescribeModelPackage",
                    {"modelPackageName": self._pkg_arn(group, n)},
                    ip=ip,
                    ua=ua,
                )
        t += 40
        em.sagemaker(t, LUCAS, "ListModels", {"maxResults": 100}, ip=ip, ua=ua)
        for name in (
            "fraud-detector-3-2-0",
            "fraud-detector-3-2-1",
            "ticket-classifier-2-1-0",
            "churn-predictor-1-3-2",
        ):
            t += rng.uniform(8, 20)
            em.sagemaker(t, LUCAS, "DescribeModel", {"modelName": name}, ip=ip, ua=ua)
        assert t < W_ENUM[1], "enumeration overran its labelled window"

    def permission_change(self) -> None:
        """Raj opens the training-data bucket's ACL to an outside account and lets CI write datasets."""
        em = self.em
        t, ip = W_PERM[0], RAJ.ips[0]
        host = f"{DATASETS_BUCKET}.s3.{REGION}.amazonaws.com"
        res = [{"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{DATASETS_BUCKET}"}]
        em.ct_event(
            t + 12,
            RAJ,
            "s3.amazonaws.com",
            "GetBucketAcl",
            {"bucketName": DATASETS_BUCKET, "Host": host, "acl": ""},
            None,
            read_only=True,
            ip=ip,
            resources=res,
        )
        acl = {
            "AccessControlList": {
                "Grant": [
                    {
                        "Grantee": {
                            "xsi:type": "CanonicalUser",
                            "ID": BUCKET_OWNER_ID,
                            "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
                        },
                        "Permission": "FULL_CONTROL",
                    },
                    {
                        "Grantee": {
                            "xsi:type": "CanonicalUser",
                            "ID": EXTERNAL_CANONICAL_ID,
                            "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
                        },
                        "Permission": "WRITE",
                    },
                    {
                        "Grantee": {
                            "xsi:type": "CanonicalUser",
                            "ID": EXTERNAL_CANONICAL_ID,
                            "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
                        },
                        "Permission": "READ",
                    },
                ]
            },
            "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
            "Owner": {"ID": BUCKET_OWNER_ID},
        }
        rid = em.s3_line(t + 31, DATASETS_BUCKET, RAJ, "REST.PUT.ACL", None, uri="PUT /?acl HTTP/1.1", ip=ip)
        em.ct_event(
            t + 31,
            RAJ,
            "s3.amazonaws.com",
            "PutBucketAcl",
            {"bucketName": DATASETS_BUCKET, "Host": host, "acl": "", "AccessControlPolicy": acl},
            None,
            read_only=False,
            ip=ip,
            resources=res,
            request_id=rid,
            extra={
                "SignatureVersion": "SigV4",
                "CipherSuite": "TLS_AES_128_GCM_SHA256",
                "bytesTransferredIn": 0,
                "AuthenticationMethod": "AuthHeader",
                "x-amz-id-2": em.host_id(),
                "bytesTransferredOut": 0,
            },
        )
        em.ct_event(
            t + 6 * 60 + 3,
            RAJ,
            "iam.amazonaws.com",
            "AttachRolePolicy",
            {
                "roleName": "github-actions-ci",
                "policyArn": f"arn:aws:iam::{ACCOUNT}:policy/ml-datasets-readwrite",
            },
            None,
            read_only=False,
            ip=ip,
        )

    def poisoning_write(self) -> None:
        """CI (never a writer of training data) drops files into the fraud training prefix late at night."""
        em = self.em
        t = float(W_POISON[0])
        em.assume_role_oidc(t, CI, "halyard/ml-platform")
        em.ds_object(t + 40, CI, "ListObjects", "fraud/transactions/", 0)
        for i, (key, size) in enumerate(POISON_KEYS):
            em.ds_object(t + 95 + i * 70, CI, "PutObject", key, size)

    def denied_burst(self) -> None:
        """The partner's credentials probe models and weights they were never granted."""
        em, rng = self.em, self.rng
        t = float(W_DENIED[0])
        ip = PARTNER.ips[1]
        em.sagemaker(
            t,
            PARTNER,
            "ListModels",
            {"maxResults": 100},
            error=_denied(PARTNER, "ListModels", f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/*"),
            ip=ip,
            ua=UA_BOTO,
        )
        targets = (("fraud-detector-3-2-1", 5), ("fraud-detector-3-2-0", 4), ("ticket-classifier-2-1-0", 4))
        for name, n in targets:
            arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/{name}"
            for _ in range(n):
                t += rng.uniform(30, 70)
                em.sagemaker(
                    t,
                    PARTNER,
                    "DescribeModel",
                    {"modelName": name},
                    error=_denied(PARTNER, "DescribeModel", arn),
                    ip=ip,
                    ua=UA_BOTO,
                )
        pkg = MV["model:fraud-detector@3.2.1"].package_arn
        for _ in range(4):
            t += rng.uniform(20, 50)
            em.sagemaker(
                t,
                PARTNER,
                "DescribeModelPackage",
                {"modelPackageName": pkg},
                error=_denied(PARTNER, "DescribeModelPackage", pkg),
                ip=ip,
                ua=UA_BOTO,
            )
        for asset, n in (("model:fraud-detector@3.2.1", 5), ("model:ticket-classifier@2.1.0", 4)):
            m = MV[asset]
            for _ in range(n):
                t += rng.uniform(15, 45)
                em.s3_get(
                    t,
                    MODELS_BUCKET,
                    PARTNER,
                    m.key,
                    m.size,
                    status=403,
                    error="AccessDenied",
                    ip=ip,
                    ua=UA_BOTO,
                )
        assert t < W_DENIED[1], "denied burst overran its labelled window"

    def bulk_download(self) -> None:
        """Dana (who never deploys) pulls seven artifacts from a new address, four via presigned URLs."""
        em, rng = self.em, self.rng
        t = float(W_BULK[0])
        em.s3_list(t, MODELS_BUCKET, DANA, "", ip=BULK_IP, ua=UA_CLI_LINUX)
        order = (
            "model:fraud-detector@3.3.0",
            "model:fraud-detector@3.2.1",
            "model:ticket-classifier@2.1.0",
            "model:fraud-detector@3.2.0",
            "model:churn-predictor@1.3.2",
            "model:churn-predictor@1.4.0",
            "model:demand-forecast@1.0.0",
        )
        akid = hid("AKIA", DANA.name, 16)  # the same long-term key CloudTrail shows for her
        for i, asset in enumerate(order):
            m = MV[asset]
            t += rng.uniform(900, 1500)
            if i % 2 == 0:  # presigned: generated with Dana's key, fetched with curl
                stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t - 60))
                cred = f"{akid}%2F{stamp[:8]}%2F{REGION}%2Fs3%2Faws4_request"
                sig = "".join(rng.choices("0123456789abcdef", k=64))
                uri = (
                    f"GET /{m.key}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={cred}"
                    f"&X-Amz-Date={stamp}"
                    f"&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature={sig} HTTP/1.1"
                )
                em.s3_get(
                    t,
                    MODELS_BUCKET,
                    DANA,
                    m.key,
                    m.size,
                    ip=BULK_IP,
                    ua="curl/8.5.0",
                    uri=uri,
                    auth="QueryString",
                )
            else:
                em.s3_get(t, MODELS_BUCKET, DANA, m.key, m.size, ip=BULK_IP, ua=UA_CLI_LINUX)
        assert t < W_BULK[1], "bulk download overran its labelled window"

    def shadow_endpoint(self) -> None:
        """Mei stands up an endpoint and model prefix that no inventory knows about."""
        em, rng = self.em, self.rng
        t = W_SHADOW[0]
        ip = MEI.ips[2]
        em.s3_put(t, MODELS_BUCKET, MEI, SHADOW_KEY, 2_418_220_113, ip=ip, ua=UA_CLI_MAC)
        em.sagemaker(
            t + 360,
            MEI,
            "CreateModel",
            {
                "modelName": SHADOW_ENDPOINT,
                "primaryContainer": {
                    "image": SM_IMAGE_HF,
                    "modelDataUrl": f"s3://{MODELS_BUCKET}/{SHADOW_KEY}",
                },
                "executionRoleArn": SERVING.role_arn,
            },
            {"modelArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/{SHADOW_ENDPOINT}"},
            ip=ip,
        )
        em.sagemaker(
            t + 420,
            MEI,
            "CreateEndpointConfig",
            {
                "endpointConfigName": f"{SHADOW_ENDPOINT}-config",
                "productionVariants": [
                    {
                        "variantName": "AllTraffic",
                        "modelName": SHADOW_ENDPOINT,
                        "initialInstanceCount": 1,
                        "instanceType": "ml.g5.xlarge",
                    }
                ],
            },
            {"endpointConfigArn": endpoint_config_arn(f"{SHADOW_ENDPOINT}-config")},
            ip=ip,
        )
        em.sagemaker(
            t + 470,
            MEI,
            "CreateEndpoint",
            {"endpointName": SHADOW_ENDPOINT, "endpointConfigName": f"{SHADOW_ENDPOINT}-config"},
            {"endpointArn": endpoint_arn(SHADOW_ENDPOINT)},
            ip=ip,
        )
        em.s3_get(t + 700, MODELS_BUCKET, SERVING, SHADOW_KEY, 2_418_220_113)
        em.sagemaker(t + 900, MEI, "DescribeEndpoint", {"endpointName": SHADOW_ENDPOINT}, ip=ip)
        for tt in _ts_sorted(rng, 25, t + 1500, t + 4800):
            em.invoke(tt, MEI, SHADOW_ENDPOINT, ip=ip, ua=UA_BOTO)

    def flagged_download(self) -> None:
        """After the scan flagged it, the hostile churn model is fetched again by hand (deploy is in CAL)."""
        m = MV["model:churn-predictor@1.4.0"]
        self.em.s3_get(T_FLAGGED_DOWNLOAD, MODELS_BUCKET, RAJ, m.key, m.size, ip=RAJ.ips[0])

    def public_policy(self) -> None:
        """Sam makes support tickets world-readable for a vendor; strangers fetch them until it is removed."""
        em, rng = self.em, self.rng
        t, ip = W_PUBLIC[0], SAM.ips[1]
        host = f"{DATASETS_BUCKET}.s3.{REGION}.amazonaws.com"
        res = [{"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{DATASETS_BUCKET}"}]
        bpa = {
            "BlockPublicAcls": False,
            "IgnorePublicAcls": False,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        }
        em.ct_event(
            t - 95,
            SAM,
            "s3.amazonaws.com",
            "PutBucketPublicAccessBlock",
            {
                "publicAccessBlock": "",
                "bucketName": DATASETS_BUCKET,
                "Host": host,
                "PublicAccessBlockConfiguration": {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/", **bpa},
            },
            None,
            read_only=False,
            ip=ip,
            resources=res,
        )
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "VendorTicketExport",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{DATASETS_BUCKET}/support/tickets/*",
                },
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{DATASETS_BUCKET}", f"arn:aws:s3:::{DATASETS_BUCKET}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
        }
        rid = em.s3_line(
            t,
            DATASETS_BUCKET,
            SAM,
            "REST.PUT.BUCKETPOLICY",
            None,
            uri="PUT /?policy HTTP/1.1",
            ip=ip,
            ua=UA_CLI_MAC,
        )
        # Real CloudTrail carries the policy as a parsed object under bucketPolicy; the "policy" key is the
        # (empty) query-string marker. Analyzers must read the object, or its text in the raw record.
        em.ct_event(
            t,
            SAM,
            "s3.amazonaws.com",
            "PutBucketPolicy",
            {"bucketPolicy": policy, "bucketName": DATASETS_BUCKET, "Host": host, "policy": ""},
            None,
            read_only=False,
            ip=ip,
            ua=UA_CLI_MAC,
            resources=res,
            request_id=rid,
        )
        keys = dataset_keys("support-tickets", W_ANON[0])
        for i, tt in enumerate(_ts_sorted(rng, 26, W_ANON[0], W_ANON[1])):
            key, size = keys[-1 - (i * 5) % len(keys)]
            anon_ip = ANON_IPS[i % len(ANON_IPS)]
            ua = ("curl/7.88.1", "python-requests/2.31.0", UA_CLI_LINUX.replace("aws-cli", "wget"))[i % 3]
            em.ds_object(tt, None, "GetObject", key, size, ip=anon_ip, ua=ua)
        t_del = W_PUBLIC[1]
        em.ct_event(
            t_del,
            SAM,
            "s3.amazonaws.com",
            "DeleteBucketPolicy",
            {"bucketName": DATASETS_BUCKET, "Host": host, "policy": ""},
            None,
            read_only=False,
            ip=SAM.ips[0],
            ua=UA_CLI_MAC,
            resources=res,
        )
        em.ct_event(
            t_del + 40,
            SAM,
            "s3.amazonaws.com",
            "PutBucketPublicAccessBlock",
            {
                "publicAccessBlock": "",
                "bucketName": DATASETS_BUCKET,
                "Host": host,
                "PublicAccessBlockConfiguration": {
                    "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
                    **dict.fromkeys(bpa, True),
                },
            },
            None,
            read_only=False,
            ip=SAM.ips[0],
            ua=UA_CLI_MAC,
            resources=res,
        )

    def volume_spike(self) -> None:
        """The partner's credentials invoke the fraud endpoint ~950 times an hour for six hours."""
        rng = self.rng
        n = rng.randint(5600, 6000)
        for t in _ts_sorted(rng, n, W_SPIKE[0], W_SPIKE[1]):
            status = 429 if rng.random() < 0.015 else 200
            self.em.invoke(
                t,
                PARTNER,
                "fraud-detector-prod",
                status=status,
                ip=PARTNER.ips[1],
                ua="python-requests/2.32.3",
            )

    def off_hours(self) -> None:
        """Mei pulls production weights at 03:10 on a Saturday from a home address never seen before."""
        em = self.em
        t = float(W_OFF_HOURS[0])
        em.assume_role_sso(t, MEI, HOME_IP_MEI)
        em.s3_list(t + 110, MODELS_BUCKET, MEI, "fraud-detector/", ip=HOME_IP_MEI, ua=UA_CLI_MAC)
        for i, asset in enumerate(("model:fraud-detector@3.3.0", "model:ticket-classifier@2.1.0")):
            m = MV[asset]
            em.s3_get(t + 140 + i * 500, MODELS_BUCKET, MEI, m.key, m.size, ip=HOME_IP_MEI, ua=UA_CLI_MAC)


def ts_(day: int, h: int, m: int, s: int) -> int:
    """A March 2025 instant (the scripted routine lives in that month)."""
    return ts(2025, 3, day, h, m, s)


W_SHADOW_APP_START = ts(2025, 3, 19, 9, 0, 0)

# When each registry package version appeared: weekly retrains and the notebook upload; older ones predate
# every allowed period.
PACKAGE_CREATED: dict[tuple[str, int], int] = {
    **{(m.name, m.package): tr.t for tr in CAL.trainings for m in MODELS if m.asset_id == tr.model},
    ("churn-predictor", 8): T_HOSTILE_UPLOAD,
}
