"""`terraform apply` of infrastructure/ from scratch, against moto's server (issue 20).

A new user's first deployment, as DEPLOY.md describes it, on an emulated AWS
account on 127.0.0.1:

1. moto's server starts empty; an ACM certificate is requested there and waited
   for until ISSUED (DEPLOY.md step 1);
2. terraform.tfvars is terraform.tfvars.example, copied as it is; the test adds
   only what a disposable deployment against an emulator needs (TEST_VARIABLES
   and the addresses of its servers), and a provider override file sends every
   AWS API to moto (PROVIDER_OVERRIDE);
3. ``terraform apply`` creates everything; boto3 then reads the key resources
   back from moto (buckets, queue and dead-letter queue, tables, ECS services
   and task definitions);
4. a second ``terraform plan`` must want nothing but KNOWN_EMULATOR_DRIFT;
5. the resources moto cannot host (ISOLATED) are planned against the live
   account, so their arguments are checked against the real resource names;
6. a worker started with the environment and secrets of the worker's task
   definition, as ECS would start it, processes the sample recording through
   the provisioned queue, table and bucket, with minutes from an
   OpenAI-compatible endpoint and search in Pinecone (both doubles on
   127.0.0.1, their keys read from Secrets Manager);
7. ``terraform destroy`` leaves the account empty.

Nothing leaves 127.0.0.1: the provider's endpoints all point at moto, it never
validates credentials or asks the instance metadata service, and every process
gets HTTP(S)_PROXY pointing at OutboundGuard, a loopback listener that records
and refuses any connection meant for another host (the tests fail on any).

Adding infrastructure: a resource of a service not in EMULATED_SERVICES fails at
once with "tried to reach <host>"; add the service's endpoint name there. A
resource moto cannot create goes behind a variable (see enable_autoscaling),
set in TEST_VARIABLES and listed in ISOLATED. New tables and buckets are
checked by the invariants below without any change here.

Runs where a terraform binary and a local AWS provider mirror exist (see
tests/terraform_tools.py); about 5-6 minutes on a loaded 2-core machine.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from lifestream.web.auth import new_token
from tests.doubles.llm import LlmDouble
from tests.doubles.pinecone import API_KEY as PINECONE_API_KEY
from tests.doubles.pinecone import PineconeDouble
from tests.infra.terraform_tools import (
    INFRA,
    ROOT,
    copy_configuration,
    init,
    provider_mirror,
    require_version,
    terraform_binary,
    terraform_env,
)
from tests.support.servers import free_port, wait_for_port
from tests.support.web_server import LiveServer

REGION = "us-east-1"

# Provider endpoint names (the AWS provider's `endpoints` block) sent to moto: what the
# configuration uses today, and services moto emulates that it is likely to use next.
EMULATED_SERVICES = (
    "acm", "apigateway", "applicationautoscaling", "autoscaling", "backup", "cloudformation", "cloudfront",
    "cloudtrail", "cloudwatch", "dynamodb", "ec2", "ecr", "ecs", "efs", "elasticache", "elb", "elbv2", "events",
    "firehose", "iam", "kinesis", "kms", "lambda", "logs", "rds", "route53", "s3", "scheduler", "secretsmanager",
    "servicediscovery", "ses", "sesv2", "sfn", "sns", "sqs", "ssm", "sts", "wafv2",
)

PROVIDER_OVERRIDE = """\
# Written by tests/test_terraform_apply.py: every AWS API goes to moto's server.
provider "aws" {{
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true # no STS call to check the keys
  skip_metadata_api_check     = true # never ask 169.254.169.254 for credentials
  skip_region_validation      = true
  s3_use_path_style           = true # http://127.0.0.1:port/bucket, not bucket.127.0.0.1
  max_retries                 = 3    # an API moto lacks fails in seconds, not after 25 retries

  endpoints {{
{endpoints}
  }}
}}
"""

# On top of terraform.tfvars.example, why each is needed here.
TEST_VARIABLES: dict[str, Any] = {
    # A disposable deployment: destroy must be able to delete everything (DEPLOY.md, Tear down).
    "alb_deletion_protection": False,
    "table_deletion_protection": False,
    "force_destroy": True,
    # What moto cannot emulate (DEPLOY.md, "What CI checks"): Application Auto Scaling has no
    # ListTagsForResource in moto, and its GetQueueAttributes never returns RedriveAllowPolicy,
    # so the provider waits for both forever.
    "enable_autoscaling": False,
    "enable_dlq_redrive_allow_policy": False,
}

# What the two switches above leave out; planned (not applied) by test_isolated_resources_plan_against_the_account.
ISOLATED = {
    "module.ecs.aws_appautoscaling_target.bot[0]", "module.ecs.aws_appautoscaling_policy.bot_cpu[0]",
    "module.ecs.aws_appautoscaling_target.worker[0]", "module.ecs.aws_appautoscaling_policy.worker_out[0]",
    "module.ecs.aws_appautoscaling_policy.worker_in[0]", "module.ecs.aws_cloudwatch_metric_alarm.worker_jobs_waiting[0]",
    "module.ecs.aws_cloudwatch_metric_alarm.worker_idle[0]", "module.queue.aws_sqs_queue_redrive_allow_policy.dlq[0]",
}

# (resource type, attribute): why a plan right after apply shows it against moto. AWS returns these
# as written; moto 5.2 does not. Anything else a second plan wants to change fails the test.
KNOWN_EMULATOR_DRIFT = {
    ("aws_ecs_service", "availability_zone_rebalancing"): "moto's DescribeServices leaves it out",
    ("aws_ecs_service", "health_check_grace_period_seconds"): "moto does not store it",
    ("aws_vpc_security_group_ingress_rule", "description"):
        "moto drops the description of a rule that references a security group",
    ("aws_sqs_queue_policy", "policy"):
        "re-read after apply, as its policy document depends on the queue's redrive_policy, which moto "
        "returns with different whitespace (JSON-equal, tolerated below)",
}


def setting(name: str) -> Any:
    """A root variable as this deployment sets it: terraform.tfvars.example, else the variable's default."""
    import hcl2

    def unquote(value: Any) -> Any:  # python-hcl2 8 keeps the quotes of string literals
        return value[1:-1] if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"' else value

    example = hcl2.loads((INFRA / "terraform.tfvars.example").read_text())
    if name in example:
        return unquote(example[name])
    for block in hcl2.load((INFRA / "variables.tf").open())["variable"]:
        for var_name, body in block.items():
            if unquote(var_name) == name:
                return unquote(body["default"])
    raise KeyError(name)


# --------------------------------------------------------------------------- loopback servers
class OutboundGuard:
    """An HTTP(S) proxy on 127.0.0.1 that refuses everything.

    Every process of the test gets it as HTTP(S)_PROXY (loopback excepted), so a
    request for any other host lands here: it is recorded and the connection
    closed, and the test fails with the host it tried.
    """

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self.attempts: list[str] = []
        self._thread = threading.Thread(target=self._serve, name="outbound-guard", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    first = conn.recv(4096).split(b"\r\n", 1)[0].decode(errors="replace")
                except OSError:
                    first = "(nothing sent)"
                self.attempts.append(first)

    @property
    def env(self) -> dict[str, str]:
        url = f"http://127.0.0.1:{self.port}"
        loopback = "127.0.0.1,localhost"
        return {"HTTP_PROXY": url, "HTTPS_PROXY": url, "http_proxy": url, "https_proxy": url,
                "NO_PROXY": loopback, "no_proxy": loopback}

    def close(self) -> None:
        self._sock.close()


class Moto:
    """moto's server in a process of its own: a fresh, empty AWS account on 127.0.0.1.

    With the fix in tests/support/moto_fixes.py, without which moto crashes when destroy empties a
    bucket that holds delete markers.
    """

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # A requested certificate validates at once (moto's default pretends DNS validation takes 60 s).
        env = {**os.environ, "MOTO_ACM_VALIDATION_WAIT": "0"}
        self._log = log.open("wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.support.moto_fixes", "-H", "127.0.0.1",
                                      "-p", str(self.port)], cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT,
                                     env=env)
        wait_for_port(self.port, 60)

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=20)
        self._log.close()


def _aws_free_env() -> dict[str, str]:
    """This process's environment without AWS credentials, profiles or LifeStream settings."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("AWS_", "LIFESTREAM_")) and k.lower() not in ("http_proxy", "https_proxy",
                                                                                 "no_proxy", "all_proxy")}


DUMMY_AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": REGION,
             "AWS_DEFAULT_REGION": REGION, "AWS_EC2_METADATA_DISABLED": "true",
             "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}


# --------------------------------------------------------------------------- the deployment
@dataclass
class Deployment:
    workdir: Path
    binary: str
    env: dict[str, str]
    moto: Moto
    guard: OutboundGuard
    llm: LlmDouble
    pinecone: PineconeDouble
    timings: dict[str, float] = field(default_factory=dict)

    def terraform(self, *args: str, step: str, timeout: float = 900) -> subprocess.CompletedProcess:
        started = time.monotonic()
        proc = subprocess.run([self.binary, *args], cwd=self.workdir, capture_output=True, text=True,
                              timeout=timeout, env=self.env, check=False)
        self.timings[step] = round(time.monotonic() - started, 1)
        (self.workdir / f"{step}.log").write_text(proc.stdout + proc.stderr)
        attempts = f"\nrequests meant for other hosts: {self.guard.attempts}" if self.guard.attempts else ""
        if proc.returncode != 0:
            pytest.fail(f"terraform {' '.join(args)} failed (log: {self.workdir / step}.log):\n"
                        f"{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}{attempts}")
        return proc

    def outputs(self) -> dict[str, Any]:
        proc = self.terraform("output", "-json", step="output")
        return {name: o["value"] for name, o in json.loads(proc.stdout).items()}

    def plan(self, *args: str, step: str) -> dict:
        """`terraform plan` as JSON (terraform show -json of the saved plan)."""
        self.terraform("plan", "-input=false", "-no-color", "-lock=false", f"-out={step}.tfplan", *args, step=step)
        return json.loads(self.terraform("show", "-json", f"{step}.tfplan", step=f"{step}-show").stdout)

    def state_resources(self) -> list[dict]:
        state = json.loads(self.terraform("show", "-json", step="state").stdout)
        found: list[dict] = []

        def walk(module: dict) -> None:
            found.extend(module.get("resources", []))
            for child in module.get("child_modules", []):
                walk(child)

        walk(state.get("values", {}).get("root_module", {}))
        return [r for r in found if r["mode"] == "managed"]


def _request_certificate(moto: Moto, domain: str) -> str:
    """DEPLOY.md step 1: request a certificate for the public name, wait until it is ISSUED."""
    acm = moto.client("acm")
    arn = acm.request_certificate(DomainName=domain, ValidationMethod="DNS")["CertificateArn"]
    deadline = time.monotonic() + 30
    while acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] != "ISSUED":
        assert time.monotonic() < deadline, "the certificate was never issued"
        time.sleep(0.5)
    return arn


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[Deployment]:
    binary = terraform_binary()
    root = tmp_path_factory.mktemp("terraform-apply")
    require_version(binary, terraform_env(root))
    provider_mirror()  # skips here, before anything starts, where there is none
    with ExitStack() as stack:
        guard = OutboundGuard()
        stack.callback(guard.close)
        env = {**_aws_free_env(), **DUMMY_AWS, **guard.env, "TF_CLI_CONFIG_FILE": str(root / "terraformrc"),
               "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
        workdir = copy_configuration(root / "infrastructure")
        init(binary, workdir, env)
        moto = Moto(root / "moto.log")
        stack.callback(moto.stop)  # the account goes with it: no need to destroy what a test left behind
        llm = stack.enter_context(LlmDouble())
        pinecone = PineconeDouble().start()
        stack.callback(pinecone.stop)
        dep = Deployment(workdir, binary, env, moto, guard, llm, pinecone)
        stack.callback(lambda: print(f"\nterraform apply test, seconds per step: {dep.timings}"))

        endpoints = "\n".join(f'    {name} = "{moto.url}"' for name in EMULATED_SERVICES)
        (workdir / "moto_override.tf").write_text(PROVIDER_OVERRIDE.format(endpoints=endpoints))
        # A new user's settings: the example, copied as it is (DEPLOY.md step 2) ...
        (workdir / "terraform.tfvars").write_text((INFRA / "terraform.tfvars.example").read_text())
        # ... and what this disposable deployment on loopback changes (loaded after terraform.tfvars).
        variables = {**TEST_VARIABLES,
                     "certificate_arn": _request_certificate(moto, setting("domain_name")),
                     "llm_base_url": llm.base_url, "index_backend": "pinecone", "pinecone_host": pinecone.host}
        (workdir / "zz-apply-test.auto.tfvars.json").write_text(json.dumps(variables, indent=2))
        dep.terraform("apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=20", step="apply")
        yield dep


@pytest.fixture(scope="module")
def outputs(deployment) -> dict[str, Any]:
    return deployment.outputs()


def _no_outbound(deployment: Deployment) -> None:
    assert not deployment.guard.attempts, f"requests meant for hosts other than 127.0.0.1: {deployment.guard.attempts}"


# --------------------------------------------------------------------------- the test's own instruments
def test_outbound_guard_records_and_refuses_other_hosts():
    import urllib.error

    guard = OutboundGuard()
    try:
        proxy = urllib.request.ProxyHandler({"https": guard.env["HTTPS_PROXY"]})
        with pytest.raises(urllib.error.URLError):
            urllib.request.build_opener(proxy).open("https://example.com/", timeout=10)
        assert [a.rsplit(" ", 1)[0] for a in guard.attempts] == ["CONNECT example.com:443"]
    finally:
        guard.close()


def test_plan_filter_lets_through_only_known_emulator_drift():
    def change(rtype: str, actions: list[str], before: dict, after: dict, unknown: dict | None = None) -> dict:
        return {"address": f"module.x.{rtype}.this", "mode": "managed", "type": rtype,
                "change": {"actions": actions, "before": before, "after": after, "after_unknown": unknown or {}}}

    plan = {"resource_changes": [
        change("aws_ecs_service", ["update"], {"health_check_grace_period_seconds": 0},
               {"health_check_grace_period_seconds": 90}),
        change("aws_sqs_queue", ["update"], {"redrive_policy": '{"a": 1, "b": 2}'}, {"redrive_policy": '{"b":2,"a":1}'}),
        change("aws_sqs_queue_policy", ["update"], {"policy": "{}"}, {}, {"policy": True}),
    ]}
    assert _unexpected_changes(plan) == []
    plan["resource_changes"] += [
        change("aws_ecs_service", ["update"], {"desired_count": 1}, {"desired_count": 2}),
        change("aws_s3_bucket", ["delete", "create"], {}, {}),
        change("aws_sqs_queue", ["create"], {}, {}),
    ]
    assert _unexpected_changes(plan) == ["module.x.aws_ecs_service.this: update ['desired_count']",
                                         "module.x.aws_s3_bucket.this: ['delete', 'create']",
                                         "module.x.aws_sqs_queue.this: ['create']"]
    assert _unexpected_changes(plan, frozenset({"module.x.aws_sqs_queue.this"}))[-1].startswith("module.x.aws_s3")


# --------------------------------------------------------------------------- apply
def test_apply_creates_every_resource_on_loopback_only(deployment):
    log = (deployment.workdir / "apply.log").read_text()
    created = re.search(r"Apply complete! Resources: (\d+) added, 0 changed, 0 destroyed", log)
    assert created, log[-3000:]
    managed = deployment.state_resources()
    assert int(created.group(1)) == len(managed) >= 80, (created.group(0), len(managed))
    _no_outbound(deployment)


def test_buckets_encrypted_versioned_private_with_lifecycle(deployment, outputs):
    s3 = deployment.moto.client("s3")
    data, logs = outputs["bucket_name"], outputs["logs_bucket_name"]
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert {data, logs} <= buckets

    for bucket in buckets:  # every bucket the deployment has, today's two and any added later
        rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("aws:kms", "AES256"), (bucket, rule)
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled", bucket
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(block.values()) and len(block) == 4, (bucket, block)
        ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
        assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}], (bucket, ownership)
        rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
        assert rules and all(r["Status"] == "Enabled" and r["AbortIncompleteMultipartUpload"] for r in rules), rules
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        assert any(s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
                   for s in policy["Statement"]), (bucket, policy)

    # The data bucket: SSE-KMS with the app's key, uploads expire; access logs go to the log bucket.
    default = s3.get_bucket_encryption(Bucket=data)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert default["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms",
                                                             "KMSMasterKeyID": outputs["kms_key_arn"]}
    assert default["BucketKeyEnabled"] is True
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=data)["Rules"]}
    assert rules["expire-uploads"]["Filter"] == {"Prefix": "uploads/"}
    # The retention rules (lifestream/retention.py): recordings and meetings at the app's own periods.
    assert rules["expire-uploads"]["Expiration"] == {"Days": min(setting("recording_retention_days"),
                                                                 setting("meeting_retention_days"))}
    assert rules["expire-results"]["Filter"] == {"Prefix": "results/"}
    assert rules["expire-results"]["Expiration"] == {"Days": setting("meeting_retention_days")}
    for rule in ("expire-uploads", "expire-results"):
        assert rules[rule]["NoncurrentVersionExpiration"]["NoncurrentDays"] == setting("deleted_object_days"), rule
    logging = s3.get_bucket_logging(Bucket=data)["LoggingEnabled"]
    assert logging == {"TargetBucket": logs, "TargetPrefix": f"s3-access/{data}/"}

    # The log bucket: SSE-S3 (the only encryption log delivery accepts), kept log_retention_days.
    logs_default = s3.get_bucket_encryption(Bucket=logs)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert logs_default["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    (logs_rule,) = s3.get_bucket_lifecycle_configuration(Bucket=logs)["Rules"]
    assert logs_rule["Expiration"] == {"Days": setting("log_retention_days")}


def test_queue_redrives_to_its_dead_letter_queue(deployment, outputs):
    sqs = deployment.moto.client("sqs")
    assert outputs["broker_url"] == f"sqs://{setting('name')}-jobs"
    queue_name = outputs["broker_url"].removeprefix("sqs://")
    # dramatiq-sqs finds both queues by name: <queue> and <queue>_dlq.
    url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    dlq_url = sqs.get_queue_url(QueueName=f"{queue_name}_dlq")["QueueUrl"]
    assert url == outputs["queue_url"] and outputs["dlq_name"] == f"{queue_name}_dlq"
    main = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    dlq = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["All"])["Attributes"]
    assert json.loads(main["RedrivePolicy"]) == {"deadLetterTargetArn": dlq["QueueArn"],
                                                 "maxReceiveCount": setting("queue_max_receive_count")}
    assert int(main["VisibilityTimeout"]) == setting("queue_visibility_timeout_seconds")
    assert int(main["ReceiveMessageWaitTimeSeconds"]) == 20
    for attrs in (main, dlq):
        assert attrs["KmsMasterKeyId"] == outputs["kms_key_arn"]
        policy = json.loads(attrs["Policy"])
        assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert int(dlq["MessageRetentionPeriod"]) == 14 * 24 * 3600


def test_tables_keys_ttl_encryption(deployment, outputs):
    ddb = deployment.moto.client("dynamodb")
    jobs, idempotency = outputs["jobs_table_name"], outputs["idempotency_table_name"]
    tables = set(ddb.list_tables()["TableNames"])
    assert {jobs, idempotency} <= tables
    for name in tables:  # every table, including any added later
        table = ddb.describe_table(TableName=name)["Table"]
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST", name
        assert table["SSEDescription"]["Status"] == "ENABLED" and table["SSEDescription"]["SSEType"] == "KMS", name
        assert table["SSEDescription"]["KMSMasterKeyArn"] == outputs["kms_key_arn"], name
        ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": setting("ttl_attribute")}, (name, ttl)
        backups = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED", name
    # The keys the app reads and writes (lifestream/workers/jobstore/dynamodb.py: a string hash key "id").
    for name in (jobs, idempotency):
        table = ddb.describe_table(TableName=name)["Table"]
        assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}], table["KeySchema"]
        assert {"AttributeName": "id", "AttributeType": "S"} in table["AttributeDefinitions"]
    # The job store's indexes, as it queries them (lifestream/workers/jobstore/dynamodb_schema.py).
    from lifestream.workers.jobstore.dynamodb_schema import INDEXES, RANGE_KEY

    indexes = {i["IndexName"]: (i["KeySchema"], i["Projection"]["ProjectionType"])
               for i in ddb.describe_table(TableName=jobs)["Table"].get("GlobalSecondaryIndexes", [])}
    assert indexes == {name: ([{"AttributeName": key, "KeyType": "HASH"},
                               {"AttributeName": RANGE_KEY, "KeyType": "RANGE"}], "ALL")
                       for name, key in INDEXES.items()}, indexes
    assert not ddb.describe_table(TableName=idempotency)["Table"].get("GlobalSecondaryIndexes")


def test_installations_bucket_with_least_privilege(deployment, outputs):
    """Slack installations (bot tokens) and workspace settings: the bot may change them, workers only read."""
    s3, iam = deployment.moto.client("s3"), deployment.moto.client("iam")
    bucket, logs = outputs["installations_bucket_name"], outputs["logs_bucket_name"]
    default = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert default["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms",
                                                             "KMSMasterKeyID": outputs["kms_key_arn"]}
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == 1  # replaced or revoked tokens do not linger
    assert s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"] == {"TargetBucket": logs,
                                                                       "TargetPrefix": f"s3-access/{bucket}/"}
    arn = f"arn:aws:s3:::{bucket}"

    def grants(role_arn: str, name: str) -> dict[str, set[str]]:
        """action -> resources the role's inline policy ``name`` allows."""
        role = role_arn.rsplit("/", 1)[-1]
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        document = json.loads(document) if isinstance(document, str) else document
        out: dict[str, set[str]] = {}
        for statement in document["Statement"]:
            assert statement["Effect"] == "Allow"
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for action in actions:
                out.setdefault(action, set()).update(resources)
        return out

    roles = outputs["task_role_arns"]
    bot = grants(roles["bot"], "bot-installations")
    assert all(bot[a] == {f"{arn}/*"} for a in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")), bot
    assert bot["s3:ListBucket"] == {arn} and bot["kms:Decrypt"] == {outputs["kms_key_arn"]}
    worker = grants(roles["worker"], "worker-installations")
    # terraform.tfvars.example installs Slack with one static token: workers read workspace settings only.
    assert worker["s3:GetObject"] == {f"{arn}/workspaces/*"}, worker
    assert not {"s3:PutObject", "s3:DeleteObject"} & set(worker), worker
    # ...and no other policy of either role reaches the bucket
    for role_arn in roles.values():
        role = role_arn.rsplit("/", 1)[-1]
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            if name.endswith("-installations"):
                continue
            assert bucket not in json.dumps(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])


def test_ecs_services_run_their_task_definitions(deployment, outputs):
    ecs, secretsmanager, logs = (deployment.moto.client(s) for s in ("ecs", "secretsmanager", "logs"))
    ecr_image = f"{outputs['ecr_repository_url']}:{setting('image_tag')}"
    services = ecs.describe_services(cluster=outputs["cluster_name"],
                                     services=[outputs["bot_service_name"], outputs["worker_service_name"]])["services"]
    assert [s["serviceName"] for s in services] == ["bot", "worker"] and all(s["status"] == "ACTIVE" for s in services)
    expected = {kind: (["lifestream", "serve" if kind == "bot" else "worker"], setting(f"{kind}_cpu"),
                       setting(f"{kind}_memory")) for kind in ("bot", "worker")}
    for service in services:
        kind = service["serviceName"]
        assert service["launchType"] == "FARGATE", service
        vpc = service["networkConfiguration"]["awsvpcConfiguration"]
        assert sorted(vpc["subnets"]) == sorted(outputs["private_subnet_ids"]) and vpc["assignPublicIp"] == "DISABLED"
        task = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
        command, cpu, memory = expected[kind]
        assert task["family"] == f"{setting('name')}-{kind}" and task["networkMode"] == "awsvpc"
        assert task["requiresCompatibilities"] == ["FARGATE"] and (int(task["cpu"]), int(task["memory"])) == (cpu, memory)
        (container,) = task["containerDefinitions"]
        assert container["command"] == command and container["image"] == ecr_image
        assert container["readonlyRootFilesystem"] is True
        env = {e["name"]: e["value"] for e in container["environment"]}
        assert env["LIFESTREAM_BROKER_URL"] == outputs["broker_url"]
        assert env["LIFESTREAM_JOBS_TABLE"] == outputs["jobs_table_name"]
        assert env["LIFESTREAM_IDEMPOTENCY_TABLE"] == outputs["idempotency_table_name"]
        assert env["LIFESTREAM_DYNAMODB_TTL_ATTRIBUTE"] == setting("ttl_attribute")
        assert env["LIFESTREAM_S3_BUCKET"] == outputs["bucket_name"]
        assert env["LIFESTREAM_INSTALLATIONS_BUCKET"] == outputs["installations_bucket_name"]
        for secret in container["secrets"]:  # each one a secret that exists
            assert secretsmanager.describe_secret(SecretId=secret["valueFrom"])["ARN"] == secret["valueFrom"]
        log_group = container["logConfiguration"]["options"]["awslogs-group"]
        assert log_group == outputs["log_group_names"][kind]
        assert logs.describe_log_groups(logGroupNamePrefix=log_group)["logGroups"][0]["retentionInDays"] == \
            setting("log_retention_days")
        if kind == "bot":
            (lb,) = service["loadBalancers"]
            assert lb["containerName"] == "bot" and lb["containerPort"] == 8080
        else:
            assert not service["loadBalancers"] and service["desiredCount"] == 0
    # The worker gets no secret that only verifies inbound requests.
    worker_task = ecs.describe_task_definition(taskDefinition=outputs["worker_task_definition_arn"])["taskDefinition"]
    worker_secrets = {s["name"] for s in worker_task["containerDefinitions"][0]["secrets"]}
    assert not worker_secrets & {"LIFESTREAM_SLACK_SIGNING_SECRET", "LIFESTREAM_API_TOKENS"}, worker_secrets

    # The retention sweeper: lifestream sweep with the app's retention settings, started on a schedule.
    sweep_task = ecs.describe_task_definition(taskDefinition=outputs["sweep_task_definition_arn"])["taskDefinition"]
    (sweeper,) = sweep_task["containerDefinitions"]
    assert sweeper["command"] == ["lifestream", "sweep"] and sweeper["image"] == ecr_image
    sweep_env = {e["name"]: e["value"] for e in sweeper["environment"]}
    assert sweep_env["LIFESTREAM_RECORDING_RETENTION_DAYS"] == str(setting("recording_retention_days"))
    assert sweep_env["LIFESTREAM_RETENTION_DAYS"] == str(setting("meeting_retention_days"))
    assert sweep_env["LIFESTREAM_KEEP_RECORDINGS"] == str(setting("keep_recordings")).lower()
    assert not {s["name"] for s in sweeper.get("secrets", [])} - {"LIFESTREAM_PINECONE_API_KEY"}
    schedule = deployment.moto.client("scheduler").get_schedule(Name=outputs["sweep_schedule_arn"].rsplit("/", 1)[-1])
    assert schedule["ScheduleExpression"] == setting("retention_sweep_schedule")
    assert schedule["Target"]["EcsParameters"]["TaskDefinitionArn"] == outputs["sweep_task_definition_arn"]

    # The HTTPS listener serves the certificate requested for the public name.
    elbv2 = deployment.moto.client("elbv2")
    (alb,) = elbv2.describe_load_balancers()["LoadBalancers"]
    assert alb["DNSName"] == outputs["alb_dns_name"]
    listeners = {lst["Port"]: lst for lst in elbv2.describe_listeners(LoadBalancerArn=alb["LoadBalancerArn"])["Listeners"]}
    variables = json.loads((deployment.workdir / "zz-apply-test.auto.tfvars.json").read_text())
    assert listeners[443]["Certificates"][0]["CertificateArn"] == variables["certificate_arn"]
    assert listeners[80]["DefaultActions"][0]["Type"] == "redirect"


# --------------------------------------------------------------------------- plans
def _changed_attributes(change: dict) -> set[str]:
    before, after, unknown = change.get("before") or {}, change.get("after") or {}, change.get("after_unknown") or {}
    changed = set()
    for key in set(before) | set(after) | {k for k, v in unknown.items() if v}:
        if unknown.get(key) is True or before.get(key) != after.get(key):
            if _json_equal(before.get(key), after.get(key)):
                continue  # the same JSON written with other whitespace or key order
            changed.add(key)
    return changed


def _json_equal(a: Any, b: Any) -> bool:
    if not (isinstance(a, str) and isinstance(b, str)):
        return False
    try:
        return json.loads(a) == json.loads(b)
    except ValueError:
        return False


def _unexpected_changes(plan: dict, allowed_creates: frozenset[str] = frozenset()) -> list[str]:
    """Planned changes other than the emulator drift in KNOWN_EMULATOR_DRIFT (and allowed_creates)."""
    problems = []
    for rc in plan.get("resource_changes", []):
        actions, address = rc["change"]["actions"], rc["address"]
        if actions == ["no-op"] or rc["mode"] == "data":  # a data source re-read follows a change found below
            continue
        if actions == ["create"] and address in allowed_creates:
            continue
        if actions != ["update"]:
            problems.append(f"{address}: {actions}")
            continue
        unexpected = {a for a in _changed_attributes(rc["change"]) if (rc["type"], a) not in KNOWN_EMULATOR_DRIFT}
        if unexpected:
            problems.append(f"{address}: update {sorted(unexpected)}")
    return problems


def test_second_plan_wants_no_changes(deployment):
    plan = deployment.plan(step="plan-again")
    assert not _unexpected_changes(plan), "\n".join(_unexpected_changes(plan))


def test_isolated_resources_plan_against_the_account(deployment, outputs):
    """What moto cannot host, planned with the production switches against the deployed account."""
    plan = deployment.plan("-var", "enable_autoscaling=true", "-var", "enable_dlq_redrive_allow_policy=true",
                           step="plan-isolated")
    creates = {rc["address"]: rc["change"]["after"] for rc in plan["resource_changes"]
               if rc["change"]["actions"] == ["create"]}
    assert set(creates) == ISOLATED, set(creates) ^ ISOLATED
    assert not _unexpected_changes(plan, frozenset(ISOLATED)), _unexpected_changes(plan, frozenset(ISOLATED))

    ecs, sqs = deployment.moto.client("ecs"), deployment.moto.client("sqs")
    cluster = outputs["cluster_name"]
    for kind, (low, high) in {"bot": (setting("bot_min_count"), setting("bot_max_count")),
                              "worker": (0, setting("worker_max_count"))}.items():
        target = creates[f"module.ecs.aws_appautoscaling_target.{kind}[0]"]
        # The scalable target names a service that exists in the account.
        assert target["resource_id"] == f"service/{cluster}/{kind}"
        assert ecs.describe_services(cluster=cluster, services=[kind])["services"][0]["status"] == "ACTIVE"
        assert (target["min_capacity"], target["max_capacity"]) == (low, high)
        assert target["scalable_dimension"] == "ecs:service:DesiredCount"
    bot_cpu = creates["module.ecs.aws_appautoscaling_policy.bot_cpu[0]"]
    assert bot_cpu["policy_type"] == "TargetTrackingScaling"
    out = creates["module.ecs.aws_appautoscaling_policy.worker_out[0]"]["step_scaling_policy_configuration"][0]
    assert sorted(step["scaling_adjustment"] for step in out["step_adjustment"]) == [1, 2, 4]
    to_zero = creates["module.ecs.aws_appautoscaling_policy.worker_in[0]"]["step_scaling_policy_configuration"][0]
    assert to_zero["adjustment_type"] == "ExactCapacity" and to_zero["step_adjustment"][0]["scaling_adjustment"] == 0
    # The alarms watch the queue that exists.
    queue_name = outputs["broker_url"].removeprefix("sqs://")
    waiting = creates["module.ecs.aws_cloudwatch_metric_alarm.worker_jobs_waiting[0]"]
    assert waiting["dimensions"] == {"QueueName": queue_name}
    idle = creates["module.ecs.aws_cloudwatch_metric_alarm.worker_idle[0]"]
    idle_queues = {q["metric"][0]["dimensions"]["QueueName"] for q in idle["metric_query"] if q["metric"]}
    assert idle_queues == {queue_name}
    # Only the jobs queue may use the dead-letter queue.
    allow = creates["module.queue.aws_sqs_queue_redrive_allow_policy.dlq[0]"]
    main_arn = sqs.get_queue_attributes(QueueUrl=outputs["queue_url"], AttributeNames=["QueueArn"])["Attributes"]
    assert allow["queue_url"] == sqs.get_queue_url(QueueName=outputs["dlq_name"])["QueueUrl"]
    assert json.loads(allow["redrive_allow_policy"]) == {"redrivePermission": "byQueue",
                                                          "sourceQueueArns": [main_arn["QueueArn"]]}


# --------------------------------------------------------------------------- the app on the provisioned names
WORKSPACE = "apply-test"


def _fill_secrets(deployment: Deployment, outputs: dict[str, Any], api_token_entry: str) -> None:
    """DEPLOY.md step 4: put a value in every secret the deployment created."""
    values = {"LIFESTREAM_LINK_SECRET": secrets.token_hex(32), "LIFESTREAM_LLM_API_KEY": "sk-apply-test",
              "LIFESTREAM_PINECONE_API_KEY": PINECONE_API_KEY, "LIFESTREAM_API_TOKENS": json.dumps([api_token_entry])}
    client = deployment.moto.client("secretsmanager")
    for env, secret_id in outputs["secret_ids"].items():
        # Chat tokens: placeholders, as DEPLOY.md says for apps created later. A job from the API
        # has no chat thread, so nothing is ever sent with them (the guard would see it).
        client.put_secret_value(SecretId=secret_id, SecretString=values.get(env, f"placeholder-{env.lower()}"))


def _container_env(deployment: Deployment, task_definition: str) -> dict[str, str]:
    """What ECS gives the container: its environment, and its secrets resolved from Secrets Manager."""
    ecs, sm = deployment.moto.client("ecs"), deployment.moto.client("secretsmanager")
    (container,) = ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]["containerDefinitions"]
    env = {e["name"]: e["value"] for e in container["environment"]}
    for secret in container["secrets"]:
        env[secret["name"]] = sm.get_secret_value(SecretId=secret["valueFrom"])["SecretString"]
    return env


def _task_env(deployment: Deployment, task_definition: str, data_dir: Path) -> dict[str, str]:
    """A task's environment, as ECS would start it, plus what differs on this machine."""
    moto_url = deployment.moto.url
    return {**_aws_free_env(), **DUMMY_AWS, **deployment.guard.env, **_container_env(deployment, task_definition),
            # Where the real AWS endpoints and the task's scratch volume would be:
            "LIFESTREAM_S3_ENDPOINT_URL": moto_url, "LIFESTREAM_SQS_ENDPOINT_URL": moto_url,
            "LIFESTREAM_DYNAMODB_ENDPOINT_URL": moto_url, "LIFESTREAM_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}


@contextmanager
def _conditions_moto_cannot_evaluate(s3: Any, *buckets: str) -> Iterator[None]:
    """The app's buckets without their policies, for as long as the app uses them.

    moto applies the Deny statements of a bucket policy without evaluating their
    conditions, so the bucket's policy (deny if aws:SecureTransport is false, deny
    if s3:TlsVersion < 1.2) refuses every object request. On AWS neither applies to
    the app, which speaks HTTPS with TLS >= 1.2. The policies are put back afterwards.
    """
    policies = {bucket: s3.get_bucket_policy(Bucket=bucket)["Policy"] for bucket in buckets}
    for bucket in buckets:
        s3.delete_bucket_policy(Bucket=bucket)
    try:
        yield
    finally:
        for bucket, policy in policies.items():
            s3.put_bucket_policy(Bucket=bucket, Policy=policy)


def _wait(predicate: Callable[[], Any], timeout: float, what: str, log: Path) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}\n--- log ---\n{log.read_text(errors='replace')[-4000:]}")


@contextmanager
def _running(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """A `lifestream` process; stopped with SIGTERM, as ECS stops a task, and it must exit cleanly."""
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "lifestream", "-v", *command], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=90)
    output = log.read_text(errors="replace")
    assert rc == 0, f"lifestream {command[0]} exited with {rc}:\n{output[-4000:]}"
    assert "Traceback" not in output, output[-6000:]  # e.g. progress the jobs table would not take


def test_bot_and_worker_process_the_sample_on_the_provisioned_names(deployment, outputs, sample_wav, tmp_path):
    """The API (bot task) takes the sample, the worker task processes it, the API answers questions on it."""
    token, entry = new_token(WORKSPACE)
    _fill_secrets(deployment, outputs, entry)
    (bot_service,) = deployment.moto.client("ecs").describe_services(
        cluster=outputs["cluster_name"], services=[outputs["bot_service_name"]])["services"]
    port = free_port()
    bot_env = {**_task_env(deployment, bot_service["taskDefinition"], tmp_path / "bot"),
               "LIFESTREAM_HOST": "127.0.0.1", "LIFESTREAM_PORT": str(port)}
    worker_env = _task_env(deployment, outputs["worker_task_definition_arn"], tmp_path / "worker")
    resources_before = _app_resources(deployment)
    bucket, s3 = outputs["bucket_name"], deployment.moto.client("s3")
    installations = outputs["installations_bucket_name"]

    with (_conditions_moto_cannot_evaluate(s3, bucket, installations),
          _running(["worker"], worker_env, tmp_path / "worker.log") as worker,
          _running(["serve"], bot_env, tmp_path / "bot.log") as bot):
        api = LiveServer(url=f"http://127.0.0.1:{port}", data_dir=tmp_path / "bot", log=tmp_path / "bot.log",
                         proc=bot)
        _wait(lambda: "lifestream worker: ready" in (tmp_path / "worker.log").read_text() or worker.poll() is not None,
              120, "the worker to start", tmp_path / "worker.log")
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()

        def healthy() -> bool:
            try:
                return api.request("GET", "/healthz", timeout=2).status == 200
            except OSError:
                return False

        api.wait_for(healthy, 120, "the bot to start")
        # The workspace chooses a setting (kept in the installations bucket, which the worker reads for the job).
        chosen = api.request("PATCH", "/api/v1/settings", token=token, json_body={"set": {"retention_days": 30}})
        assert chosen.status == 200 and chosen.json()["settings"]["retention_days"] == 30, chosen.text
        # Upload as an API client does: a presigned PUT straight into the provisioned bucket, then confirm.
        ticket = api.request("POST", "/api/v1/upload/presigned-url", token=token,
                             json_body={"filename": "sample.wav", "size": sample_wav.stat().st_size}).json()
        job_id = ticket["job_id"]
        assert ticket["upload_url"].startswith(f"{deployment.moto.url}/{bucket}/uploads/"), ticket
        put = urllib.request.Request(ticket["upload_url"], data=sample_wav.read_bytes(), method="PUT",
                                     headers=ticket["headers"])
        with urllib.request.urlopen(put, timeout=60) as response:
            assert response.status == 200
        confirmed = api.request("POST", "/api/v1/upload/confirm", token=token,
                                json_body={"upload_token": ticket["upload_token"]})
        assert confirmed.status == 201, confirmed.text

        def finished() -> dict | None:
            status = api.request("GET", f"/api/v1/status/{job_id}", token=token).json()
            assert status["state"] not in ("failed", "cancelled"), \
                f"{status}\n{(tmp_path / 'worker.log').read_text()[-4000:]}"
            return status if status["state"] == "completed" else None

        api.wait_for(finished, 600, "the job to complete")
        minutes = api.request("GET", f"/api/v1/summary/{job_id}?format=md", token=token)
        assert minutes.status == 200 and minutes.text.startswith("# "), minutes.text
        # Written by the configured LLM endpoint (the double's title), with the key from Secrets Manager.
        assert minutes.text.startswith("# Double minutes"), minutes.text[:300]
        answer = api.request("POST", "/api/v1/query", token=token, json_body={"question": "Where is Diane?"}).json()
        assert answer["found"] is True and {c["meeting_id"] for c in answer["citations"]} == {job_id}, answer
        assert "New Jersey" in " ".join(c["quote"] for c in answer["citations"]), answer

        # The job's record is in the provisioned table, its recording and results in the provisioned bucket.
        item = deployment.moto.client("dynamodb").get_item(TableName=outputs["jobs_table_name"],
                                                           Key={"id": {"S": job_id}})["Item"]
        assert item["state"]["S"] == "completed"
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
        assert f"uploads/api/{job_id}/sample.wav" in keys, keys
        assert {f"results/{job_id}/{name}" for name in ("minutes.md", "meeting.json", "transcript.vtt")} <= keys, keys
        # Published as a staged version switched in, whose staged copies went for good (no version, no marker).
        history = s3.list_object_versions(Bucket=bucket, Prefix=f"results/{job_id}/")
        staged = [v["Key"] for v in history.get("Versions", []) + history.get("DeleteMarkers", [])
                  if "/.versions/" in v["Key"]]
        assert not staged, staged
        # The workspace's settings in the installations bucket, encrypted with the app's key.
        stored = s3.head_object(Bucket=installations, Key=f"workspaces/{WORKSPACE}/settings.json")
        assert stored["ServerSideEncryption"] == "aws:kms", stored
        assert api.request("GET", "/api/v1/settings", token=token).json()["chosen"] == ["retention_days"]

    # The meeting in the Pinecone index, in its workspace.
    indexed = {(ns, r["metadata"]["meeting_id"]) for ns, records in deployment.pinecone.namespaces.items()
               for r in records.values()}
    assert indexed == {(WORKSPACE, job_id)}, indexed
    # Through the provisioned queue, empty again, no dead letters, and nothing the app made on the side.
    sqs = deployment.moto.client("sqs")
    for url in (outputs["queue_url"], sqs.get_queue_url(QueueName=outputs["dlq_name"])["QueueUrl"]):
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert attrs["ApproximateNumberOfMessages"] == attrs["ApproximateNumberOfMessagesNotVisible"] == "0", url
    assert _app_resources(deployment) == resources_before
    _no_outbound(deployment)


def _app_resources(deployment: Deployment) -> dict[str, set[str]]:
    """Queues, tables and buckets in the account: the app must use the provisioned ones, never make its own."""
    moto = deployment.moto
    return {"queues": set(moto.client("sqs").list_queues().get("QueueUrls", [])),
            "tables": set(moto.client("dynamodb").list_tables()["TableNames"]),
            "buckets": {b["Name"] for b in moto.client("s3").list_buckets()["Buckets"]}}


# --------------------------------------------------------------------------- destroy
def _replaced_and_deleted_in_every_bucket(s3: Any) -> None:
    """What a bucket in use holds besides its objects: replaced and deleted ones, as versions and delete markers.

    Destroy must take those too (force_destroy), whatever the app's run above happened to leave.
    """
    buckets = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    with _conditions_moto_cannot_evaluate(s3, *buckets):
        for bucket in buckets:
            s3.put_object(Bucket=bucket, Key="destroy-test/history", Body=b"first")
            s3.put_object(Bucket=bucket, Key="destroy-test/history", Body=b"second")
            s3.delete_object(Bucket=bucket, Key="destroy-test/history")
    for bucket in buckets:
        held = s3.list_object_versions(Bucket=bucket)
        assert len(held.get("Versions", [])) >= 2 and held.get("DeleteMarkers"), (bucket, held)


def test_destroy_leaves_the_account_empty(deployment, outputs):
    _replaced_and_deleted_in_every_bucket(deployment.moto.client("s3"))
    managed = len(deployment.state_resources())
    proc = deployment.terraform("destroy", "-auto-approve", "-input=false", "-no-color", "-parallelism=20",
                                step="destroy")
    assert f"Destroy complete! Resources: {managed} destroyed." in proc.stdout, proc.stdout[-3000:]
    assert not deployment.state_resources()

    moto = deployment.moto
    assert _app_resources(deployment) == {"queues": set(), "tables": set(), "buckets": set()}
    clusters = moto.client("ecs").describe_clusters(clusters=[outputs["cluster_name"]])["clusters"]
    assert all(c["status"] == "INACTIVE" for c in clusters), clusters
    assert not moto.client("elbv2").describe_load_balancers()["LoadBalancers"]
    assert not moto.client("ecr").describe_repositories()["repositories"]
    assert not moto.client("logs").describe_log_groups()["logGroups"]
    assert not moto.client("cloudwatch").describe_alarms()["MetricAlarms"]
    assert not moto.client("sns").list_topics()["Topics"]
    assert not moto.client("secretsmanager").list_secrets()["SecretList"]  # scheduled for deletion: hidden
    assert not [r for r in moto.client("iam").list_roles()["Roles"] if r["RoleName"].startswith(setting("name"))]
    vpcs = moto.client("ec2").describe_vpcs(Filters=[{"Name": "tag:Project", "Values": [setting("name")]}])["Vpcs"]
    assert not vpcs
    key = moto.client("kms").describe_key(KeyId=outputs["kms_key_arn"])["KeyMetadata"]
    assert key["KeyState"] == "PendingDeletion"
    _no_outbound(deployment)
