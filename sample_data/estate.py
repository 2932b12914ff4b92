"""The fictional estate: account, principals, buckets, datasets, models, endpoints, incident calendar."""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass, field

ACCOUNT = "418207365112"
PARTNER_ACCOUNT = "730335218406"
REGION = "us-east-1"
DOMAIN = "halyard.example"

# The estate always ends on the same instant; --days only moves the start back. The planted incidents sit
# in the last 14 days so that every allowed period holds all of them plus at least some baseline before them.
END_YMD = (2025, 3, 24)
MIN_DAYS = 14
MAX_DAYS = 60

MODELS_BUCKET = "halyard-ml-models"
DATASETS_BUCKET = "halyard-ml-datasets"
DEMO_BUCKET = "halyard-ml-demo-public"
SCAN_ROOT = "/srv/ml-artifacts"


def ts(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> int:
    """Epoch seconds of a UTC wall-clock time."""
    return calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))


def hid(prefix: str, seed: str, n: int = 17) -> str:
    """A stable AWS-looking id (AIDA…, AROA…, AKIA…) derived from a name, so ids never depend on run order."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    digest = hashlib.sha256(seed.encode()).digest()
    return prefix + "".join(alphabet[b % 32] for b in digest[:n])


END = ts(*END_YMD)


# --------------------------------------------------------------------------------------------- principals
@dataclass(frozen=True)
class Actor:
    """One identity as AWS logs show it; `kind` decides the userIdentity shape."""

    key: str
    kind: str  # iam_user | sso | role
    name: str  # IAM user name, or role name
    session: str = ""  # role session name (e-mail for SSO)
    human: bool = False
    ips: tuple[str, ...] = ()
    ua: str = ""
    path: str = "/"
    assumed_by: str = ""  # AWS service principal or "partner" that assumes the role

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{ACCOUNT}:role{self.path}{self.name}"

    @property
    def arn(self) -> str:
        if self.kind == "iam_user":
            return f"arn:aws:iam::{ACCOUNT}:user/{self.name}"
        return f"arn:aws:sts::{ACCOUNT}:assumed-role/{self.name}/{self.session}"

    @property
    def principal_type(self) -> str:
        return "IAMUser" if self.kind == "iam_user" else "AssumedRole"

    @property
    def unique_id(self) -> str:
        return hid("AIDA" if self.kind == "iam_user" else "AROA", self.name)

    @property
    def allow_ref(self) -> str:
        """How an inventory names this identity in allowed readers/writers: the user or role ARN."""
        return self.arn if self.kind == "iam_user" else self.role_arn


UA_BOTO = (
    "Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#5.10.227-219.884.amzn2.x86_64 md/arch#x86_64 "
    "lang/python#3.11.10 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.36"
)
UA_CLI_MAC = (
    "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.6 "
    "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off"
)
UA_CLI_LINUX = (
    "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-45-generic md/arch#x86_64 lang/python#3.12.6 "
    "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off"
)
UA_CONSOLE = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.6 Safari/605.1.15"
)
UA_S3_CONSOLE = (
    "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.750 Linux/5.10.226-192.879.amzn2int.x86_64 "
    "OpenJDK_64-Bit_Server_VM/25.412-b09 java/1.8.0_412 vendor/Oracle_Corporation cfg/retry-mode/standard]"
)
UA_STUDIO = (
    "Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#4.14.352-268.569.amzn2.x86_64 md/arch#x86_64 "
    "lang/python#3.11.9 md/pyimpl#CPython exec-env/AmazonSageMakerStudio cfg/retry-mode#legacy "
    "Botocore/1.35.36"
)
UA_GO = "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/sts#1.30.3"
UA_AIRFLOW = (
    "Boto3/1.34.131 md/Botocore#1.34.131 ua/2.0 os/linux#5.10.225-213.878.amzn2.x86_64 md/arch#x86_64 "
    "lang/python#3.11.9 md/pyimpl#CPython exec-env/AWS_ECS_FARGATE cfg/retry-mode#adaptive "
    "Botocore/1.34.131 Airflow/2.9.2"
)
UA_GHA = (
    "aws-cli/2.22.2 md/awscrt#0.22.0 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.12.6 "
    "md/pyimpl#CPython exec-env/GitHubActions cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22"
)
UA_SAGEMAKER = "sagemaker.amazonaws.com"
UA_PARTNER_HTTP = "orbitpay-risk-client/4.2.1 python-requests/2.32.3"
UA_BATCH = "batch-scorer/1.8.0 aiohttp/3.10.5 Python/3.11"
UA_APP = "support-assistant/2.14.0 httpx/0.27.2"

OFFICE_IPS = ("198.51.100.10", "198.51.100.11", "198.51.100.12")
SSO_PATH = "/aws-reserved/sso.amazonaws.com/"
SSO_ML = "AWSReservedSSO_MLEngineer_4f1c2a9b7d3e6a10"
SSO_DS = "AWSReservedSSO_DataScientist_b7e2c91d0a4f3358"
SSO_ADMIN = "AWSReservedSSO_PlatformAdmin_0c5d8e2f19a7b461"

DANA = Actor("dana", "iam_user", "dana.okafor", human=True, ips=(*OFFICE_IPS, "192.0.2.44"), ua=UA_CLI_MAC)
RAJ = Actor("raj", "iam_user", "raj.patel", human=True, ips=OFFICE_IPS, ua=UA_CLI_LINUX)
MEI = Actor(
    "mei", "sso", SSO_ML, f"mei.tanaka@{DOMAIN}", human=True, ips=OFFICE_IPS, ua=UA_CONSOLE, path=SSO_PATH
)
LUCAS = Actor(
    "lucas",
    "sso",
    SSO_DS,
    f"lucas.moreau@{DOMAIN}",
    human=True,
    ips=("10.40.7.23",),
    ua=UA_STUDIO,
    path=SSO_PATH,
)
SAM = Actor(
    "sam",
    "sso",
    SSO_ADMIN,
    f"sam.whitfield@{DOMAIN}",
    human=True,
    ips=OFFICE_IPS,
    ua=UA_CONSOLE,
    path=SSO_PATH,
)
PRIYA = Actor(
    "priya", "sso", SSO_DS, f"priya.nair@{DOMAIN}", human=True, ips=OFFICE_IPS, ua=UA_CLI_MAC, path=SSO_PATH
)
HUMANS = (DANA, RAJ, MEI, LUCAS, SAM, PRIYA)

DATA_PIPE = Actor(
    "data_pipeline",
    "role",
    "ml-data-pipeline",
    "airflow-etl",
    ips=("10.40.21.15",),
    ua=UA_AIRFLOW,
    assumed_by="ecs-tasks.amazonaws.com",
)
TRAIN_ORCH = Actor(
    "train_orch",
    "role",
    "ml-training-pipeline",
    "airflow-train",
    ips=("10.40.21.15",),
    ua=UA_AIRFLOW,
    assumed_by="ecs-tasks.amazonaws.com",
)
TRAIN_EXEC = Actor(
    "train_exec",
    "role",
    "ml-training-pipeline",
    "SageMaker",
    ips=("10.40.88.17",),
    ua=UA_SAGEMAKER,
    assumed_by="sagemaker.amazonaws.com",
)
DEPLOYER = Actor(
    "deployer",
    "role",
    "ml-serving",
    "codepipeline-deploy",
    ips=("10.40.30.9",),
    ua=UA_BOTO,
    assumed_by="codepipeline.amazonaws.com",
)
SERVING = Actor(
    "serving",
    "role",
    "ml-serving",
    "SageMaker",
    ips=("10.40.91.40", "10.40.91.41"),
    ua=UA_SAGEMAKER,
    assumed_by="sagemaker.amazonaws.com",
)
BATCH = Actor(
    "batch",
    "role",
    "batch-scoring",
    "nightly-fraud-rescore",
    ips=("10.40.44.8",),
    ua=UA_BATCH,
    assumed_by="ecs-tasks.amazonaws.com",
)
CI = Actor(
    "ci",
    "role",
    "github-actions-ci",
    "GitHubActions",
    ips=("192.0.2.130", "192.0.2.131"),
    ua=UA_GHA,
    assumed_by="token.actions.githubusercontent.com",
)
APP = Actor(
    "app",
    "role",
    "support-assistant-app",
    "i-0a1b2c3d4e5f60718",
    ips=("10.40.12.31",),
    ua=UA_APP,
    assumed_by="ec2.amazonaws.com",
)
PARTNER = Actor(
    "partner",
    "role",
    "partner-orbitpay-inference",
    "orbitpay-prod",
    ips=("198.51.100.200", "198.51.100.201"),
    ua=UA_PARTNER_HTTP,
    assumed_by="partner",
)
SERVICES = (DATA_PIPE, TRAIN_ORCH, TRAIN_EXEC, DEPLOYER, SERVING, BATCH, CI, APP, PARTNER)

# Addresses the estate has never seen before the incident that uses them.
BULK_IP = "203.0.113.199"
ANON_IPS = ("203.0.113.57", "203.0.113.81", "203.0.113.140", "192.0.2.201")
HOME_IP_MEI = "192.0.2.77"
EXTERNAL_CANONICAL_ID = hashlib.sha256(b"unknown-external-account").hexdigest()
BUCKET_OWNER_ID = hashlib.sha256(b"halyard-ml-platform").hexdigest()


# --------------------------------------------------------------------------------------------- assets
@dataclass(frozen=True)
class Dataset:
    name: str
    prefix: str  # key prefix inside the datasets bucket
    owner: str
    environment: str
    classification: str
    writers: tuple[Actor, ...]
    readers: tuple[Actor, ...]
    description: str

    @property
    def asset_id(self) -> str:
        return f"dataset:{self.name}"

    @property
    def uri(self) -> str:
        return f"s3://{DATASETS_BUCKET}/{self.prefix}"


@dataclass(frozen=True)
class Endpoint:
    name: str
    environment: str
    owner: str
    classification: str
    configs: tuple[str, ...] = ()

    @property
    def asset_id(self) -> str:
        return f"endpoint:{self.name}"

    @property
    def arn(self) -> str:
        return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{self.name}"


@dataclass(frozen=True)
class ModelVersion:
    name: str
    version: str
    file: str  # artifact file name under the version prefix
    fmt: str  # pickle | safetensors
    environment: str  # "" = deliberately missing in the inventory
    owner: str
    classification: str
    dataset: str  # dataset name it was trained on
    package: int  # model-package version number in the registry group
    size: int  # artifact size as logs report it (the generated file is a small stand-in)
    endpoint: str = ""  # endpoint it was deployed as, if any
    description: str = ""
    kind_of_file: str = "benign"  # benign | hostile | mismatch
    framework: str = "sklearn"

    @property
    def asset_id(self) -> str:
        return f"model:{self.name}@{self.version}"

    @property
    def prefix(self) -> str:
        return f"{self.name}/{self.version}/"

    @property
    def key(self) -> str:
        return f"{self.prefix}{self.file}"

    @property
    def uri(self) -> str:
        return f"s3://{MODELS_BUCKET}/{self.prefix}"

    @property
    def sm_name(self) -> str:
        """SageMaker model name (dots are not allowed there)."""
        return f"{self.name}-{self.version.replace('.', '-')}"

    @property
    def sm_arn(self) -> str:
        return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/{self.sm_name}"

    @property
    def package_arn(self) -> str:
        return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{self.name}/{self.package}"


FRAUD_TEAM = f"fraud-ml@{DOMAIN}"
SUPPORT_TEAM = f"support-ml@{DOMAIN}"
GROWTH_TEAM = f"growth-analytics@{DOMAIN}"
PLATFORM_TEAM = f"ml-platform@{DOMAIN}"

DATASETS = (
    Dataset(
        "fraud-transactions",
        "fraud/transactions/",
        FRAUD_TEAM,
        "prod",
        "restricted",
        (DATA_PIPE,),
        (TRAIN_EXEC, LUCAS, MEI, RAJ, PRIYA, DANA),
        "Card transactions with chargeback labels, one folder per day, written nightly by the ETL.",
    ),
    Dataset(
        "support-tickets",
        "support/tickets/",
        SUPPORT_TEAM,
        "prod",
        "confidential",
        (DATA_PIPE,),
        (TRAIN_EXEC, LUCAS, MEI, PRIYA),
        "Customer support tickets (free text, contains personal data), exported nightly.",
    ),
    Dataset(
        "churn-features",
        "churn/features/",
        GROWTH_TEAM,
        "staging",
        "internal",
        (DATA_PIPE, RAJ),
        (TRAIN_EXEC, LUCAS, RAJ, PRIYA, DANA),
        "Weekly customer feature snapshots for churn modelling.",
    ),
    Dataset(
        "demand-history",
        "demand/history/",
        "",
        "dev",
        "internal",
        (DATA_PIPE,),
        (TRAIN_EXEC, LUCAS, RAJ),
        "Weekly sales history for the demand forecast (no owner recorded).",
    ),
)
DS = {d.name: d for d in DATASETS}

ENDPOINTS = (
    Endpoint(
        "fraud-detector-prod",
        "prod",
        FRAUD_TEAM,
        "restricted",
        (
            "fraud-detector-prod-3-2-0-20250218",
            "fraud-detector-prod-3-2-0-20250304",
            "fraud-detector-prod-3-2-1-20250311",
            "fraud-detector-prod-3-3-0-20250318",
        ),
    ),
    Endpoint(
        "ticket-classifier-prod",
        "prod",
        SUPPORT_TEAM,
        "confidential",
        ("ticket-classifier-prod-2-1-0-20250204", "ticket-classifier-prod-2-1-0-20250304"),
    ),
    Endpoint(
        "churn-predictor-staging",
        "staging",
        GROWTH_TEAM,
        "internal",
        ("churn-predictor-staging-1-3-2-20250225", "churn-predictor-staging-1-4-0-20250318"),
    ),
)
EP = {e.name: e for e in ENDPOINTS}

GB = 1024**3
MB = 1024**2
MODELS = (
    ModelVersion(
        "fraud-detector",
        "3.2.0",
        "model.pkl",
        "pickle",
        "prod",
        FRAUD_TEAM,
        "restricted",
        "fraud-transactions",
        12,
        874 * MB + 123_457,
        "fraud-detector-prod",
        "Gradient-boosted fraud scorer, serialized with pickle (joblib).",
    ),
    ModelVersion(
        "fraud-detector",
        "3.2.1",
        "model.pkl",
        "pickle",
        "prod",
        FRAUD_TEAM,
        "restricted",
        "fraud-transactions",
        13,
        881 * MB + 40_961,
        "fraud-detector-prod",
        "Weekly retrain.",
    ),
    ModelVersion(
        "fraud-detector",
        "3.3.0",
        "model.pkl",
        "pickle",
        "prod",
        FRAUD_TEAM,
        "restricted",
        "fraud-transactions",
        14,
        902 * MB + 7_309,
        "fraud-detector-prod",
        "Weekly retrain.",
    ),
    ModelVersion(
        "fraud-detector",
        "3.3.1",
        "model.pkl",
        "pickle",
        "prod",
        FRAUD_TEAM,
        "restricted",
        "fraud-transactions",
        15,
        899 * MB + 66_001,
        "",
        "Weekly retrain, registered, not yet deployed.",
    ),
    ModelVersion(
        "ticket-classifier",
        "2.1.0",
        "model.safetensors",
        "safetensors",
        "prod",
        SUPPORT_TEAM,
        "confidential",
        "support-tickets",
        9,
        1_338 * MB + 512,
        "ticket-classifier-prod",
        "Fine-tuned encoder that routes support tickets.",
        framework="pytorch",
    ),
    ModelVersion(
        "churn-predictor",
        "1.3.2",
        "model.pkl",
        "pickle",
        "",
        GROWTH_TEAM,
        "internal",
        "churn-features",
        7,
        117 * MB + 9_001,
        "churn-predictor-staging",
        "Churn classifier (environment not recorded).",
    ),
    ModelVersion(
        "churn-predictor",
        "1.4.0",
        "model.pkl",
        "pickle",
        "staging",
        GROWTH_TEAM,
        "internal",
        "churn-features",
        8,
        121 * MB + 77,
        "churn-predictor-staging",
        "Churn classifier uploaded from a notebook.",
        kind_of_file="hostile",
    ),
    ModelVersion(
        "demand-forecast",
        "1.0.0",
        "model.pkl",
        "pickle",
        "dev",
        PLATFORM_TEAM,
        "internal",
        "demand-history",
        4,
        63 * MB + 311,
        "",
        "Weekly demand forecast (batch, not deployed).",
        kind_of_file="mismatch",
    ),
)
MV = {m.asset_id: m for m in MODELS}

# Registry groups and how many package versions each holds (old ones are not separate inventory models).
REGISTRY = {"fraud-detector": 15, "ticket-classifier": 9, "churn-predictor": 8, "demand-forecast": 4}

# (model id, inventory name, version, title, provider)
BEDROCK_MODELS = (
    (
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        "anthropic.claude-3-5-haiku",
        "20241022-v1:0",
        "Claude 3.5 Haiku",
        "Anthropic",
    ),
    ("amazon.titan-embed-text-v2:0", "amazon.titan-embed-text-v2", "0", "Titan Text Embeddings V2", "Amazon"),
)

SHADOW_ENDPOINT = "summarizer-poc"
SHADOW_KEY = "experiments/summarizer-poc/model.tar.gz"


def bedrock_arn(model_id: str) -> str:
    return f"arn:aws:bedrock:{REGION}::foundation-model/{model_id}"


def endpoint_arn(name: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{name}"


def endpoint_config_arn(name: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint-config/{name}"


def training_job_arn(name: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{name}"


# --------------------------------------------------------------------------------------------- calendar
@dataclass(frozen=True)
class Training:
    job: str
    t: int
    model: str  # asset id of the version it produced ("" for experiments)
    dataset: str
    actor: Actor
    minutes: int


@dataclass(frozen=True)
class Deploy:
    t: int
    model: str  # asset id
    endpoint: str
    config: str
    create_model: bool  # False = reuse an existing SageMaker model, new config only


@dataclass
class Calendar:
    """Fixed instants of the scripted activity (routine schedules are generated, these are not)."""

    trainings: list[Training] = field(default_factory=list)
    deploys: list[Deploy] = field(default_factory=list)


CAL = Calendar(
    trainings=[
        Training(
            "fraud-detector-weekly-20250309",
            ts(2025, 3, 9, 1, 0, 12),
            "model:fraud-detector@3.2.1",
            "fraud-transactions",
            TRAIN_ORCH,
            74,
        ),
        Training(
            "fraud-detector-weekly-20250316",
            ts(2025, 3, 16, 1, 0, 9),
            "model:fraud-detector@3.3.0",
            "fraud-transactions",
            TRAIN_ORCH,
            77,
        ),
        Training(
            "fraud-detector-weekly-20250323",
            ts(2025, 3, 23, 1, 0, 14),
            "model:fraud-detector@3.3.1",
            "fraud-transactions",
            TRAIN_ORCH,
            75,
        ),
        Training(
            "churn-exp-lmoreau-20250305-1412", ts(2025, 3, 5, 14, 12, 40), "", "churn-features", LUCAS, 38
        ),
        Training(
            "churn-exp-lmoreau-20250313-1047", ts(2025, 3, 13, 10, 47, 3), "", "churn-features", LUCAS, 41
        ),
        Training(
            "demand-exp-lmoreau-20250319-1520", ts(2025, 3, 19, 15, 20, 55), "", "demand-history", LUCAS, 22
        ),
    ],
    deploys=[
        Deploy(
            ts(2025, 3, 4, 14, 0, 5),
            "model:fraud-detector@3.2.0",
            "fraud-detector-prod",
            "fraud-detector-prod-3-2-0-20250304",
            False,
        ),
        Deploy(
            ts(2025, 3, 4, 14, 21, 40),
            "model:ticket-classifier@2.1.0",
            "ticket-classifier-prod",
            "ticket-classifier-prod-2-1-0-20250304",
            False,
        ),
        Deploy(
            ts(2025, 3, 11, 14, 0, 7),
            "model:fraud-detector@3.2.1",
            "fraud-detector-prod",
            "fraud-detector-prod-3-2-1-20250311",
            True,
        ),
        Deploy(
            ts(2025, 3, 18, 14, 0, 3),
            "model:fraud-detector@3.3.0",
            "fraud-detector-prod",
            "fraud-detector-prod-3-3-0-20250318",
            True,
        ),
        Deploy(
            ts(2025, 3, 18, 14, 35, 12),
            "model:churn-predictor@1.4.0",
            "churn-predictor-staging",
            "churn-predictor-staging-1-4-0-20250318",
            True,
        ),
    ],
)

# Planted incidents: (start, end) of each scripted window.
T_HOSTILE_UPLOAD = ts(2025, 3, 10, 15, 22, 31)
T_SCAN = ts(2025, 3, 12, 6, 0, 41)
W_ENUM = (ts(2025, 3, 12, 15, 5), ts(2025, 3, 12, 15, 41))
W_PERM = (ts(2025, 3, 13, 16, 42), ts(2025, 3, 13, 16, 49))
W_POISON = (ts(2025, 3, 13, 23, 38), ts(2025, 3, 13, 23, 45))
W_DENIED = (ts(2025, 3, 15, 22, 10), ts(2025, 3, 15, 22, 52))
W_BULK = (ts(2025, 3, 17, 19, 30), ts(2025, 3, 17, 22, 40))
T_NEW_HIRE = ts(2025, 3, 17)
W_SHADOW = (ts(2025, 3, 18, 15, 40), END)
T_FLAGGED_DOWNLOAD = ts(2025, 3, 19, 10, 5, 18)
W_PUBLIC = (ts(2025, 3, 19, 11, 20, 4), ts(2025, 3, 20, 9, 32, 50))
W_ANON = (ts(2025, 3, 19, 11, 52), ts(2025, 3, 19, 18, 10))
W_SPIKE = (ts(2025, 3, 20, 13, 0), ts(2025, 3, 20, 19, 0))
W_OFF_HOURS = (ts(2025, 3, 22, 3, 8), ts(2025, 3, 22, 3, 25))
