"""Create the resources of infra/template.json in an embedded AWS (moto).

The table definition is read from the template, never copied: the local stack and the
tests build exactly the schema that `make package` deploys.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parent.parent / "infra" / "template.json"
_TABLE_KEYS = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode")


@lru_cache(maxsize=1)
def template() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(TEMPLATE.read_text())
    return data


def table_definition(logical_id: str = "CrmTable") -> dict[str, Any]:
    """`create_table` arguments for a table of the template (without its name)."""
    props = template()["Resources"][logical_id]["Properties"]
    return {k: props[k] for k in _TABLE_KEYS if k in props}


def resources(kind: str) -> dict[str, dict[str, Any]]:
    """The template's resources of one type (`AWS::SQS::Queue`), by logical id."""
    found = template()["Resources"].items()
    return {name: res.get("Properties", {}) for name, res in found if res["Type"] == kind}


def queue_name(logical_id: str) -> str:
    return str(resources("AWS::SQS::Queue")[logical_id].get("QueueName", logical_id))


def _bucket_names(settings: Any) -> dict[str, str]:
    """Logical bucket id → the name `settings` gives it (the Globals env var that Refs it)."""
    variables = template()["Globals"]["Function"]["Environment"]["Variables"]
    names = {}
    for var, value in variables.items():
        ref = value.get("Ref") if isinstance(value, dict) else None
        if ref in resources("AWS::S3::Bucket") and getattr(settings, var.lower(), ""):
            names[ref] = getattr(settings, var.lower())
    return names


def create_queues(session: Any) -> dict[str, str]:
    """Every queue of the template (dead-letter queues first), by logical id → URL."""
    sqs = session.client("sqs")
    queues = resources("AWS::SQS::Queue")
    urls: dict[str, str] = {}
    arns: dict[str, str] = {}
    for logical, props in sorted(queues.items(), key=lambda kv: "RedrivePolicy" in kv[1]):
        attributes = {
            k: str(props[k]) for k in ("VisibilityTimeout", "MessageRetentionPeriod") if k in props
        }
        redrive = props.get("RedrivePolicy")
        if redrive:
            target = arns[redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]]
            policy = {"deadLetterTargetArn": target, "maxReceiveCount": redrive["maxReceiveCount"]}
            attributes["RedrivePolicy"] = json.dumps(policy)
        url = sqs.create_queue(QueueName=queue_name(logical), Attributes=attributes)["QueueUrl"]
        urls[logical] = url
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        arns[logical] = arn["Attributes"]["QueueArn"]
    return urls


def create_resources(settings: Any, session: Any = None) -> None:
    """The table, the buckets named by `settings` and the queues, as the template declares
    them, with the buckets' notifications to the queues."""
    import boto3

    session = session or boto3.session.Session(region_name=settings.aws_region)
    dynamodb, s3 = _clients(session)
    dynamodb.create_table(TableName=settings.table_name, **table_definition())
    ttl = template()["Resources"]["CrmTable"]["Properties"].get("TimeToLiveSpecification")
    if ttl:
        dynamodb.update_time_to_live(TableName=settings.table_name, TimeToLiveSpecification=ttl)
    location = {"LocationConstraint": settings.aws_region}
    for bucket in (settings.import_bucket, settings.export_bucket):
        if bucket:
            if settings.aws_region == "us-east-1":
                s3.create_bucket(Bucket=bucket)
            else:
                s3.create_bucket(Bucket=bucket, CreateBucketConfiguration=location)
    urls = create_queues(session)
    _notify(session, settings, urls)
    verify_sender(session, settings)


def verify_sender(session: Any, settings: Any) -> None:
    """SES sends only from a verified identity: the reminder emails' sender (MAIL_FROM)."""
    from email.utils import parseaddr

    address = parseaddr(getattr(settings, "mail_from", ""))[1]
    if address:
        _ses(session).create_email_identity(EmailIdentity=address)


@lru_cache(maxsize=4)
def _ses(session: Any) -> Any:
    return session.client("sesv2")


def _notify(session: Any, settings: Any, urls: dict[str, str]) -> None:
    sqs, s3 = session.client("sqs"), _clients(session)[1]
    for logical, bucket in _bucket_names(settings).items():
        config = resources("AWS::S3::Bucket")[logical].get("NotificationConfiguration", {})
        queue_configs = []
        for entry in config.get("QueueConfigurations", []):
            url = urls[entry["Queue"]["Fn::GetAtt"][0]]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
            item = {"Events": [entry["Event"]], "QueueArn": arn["Attributes"]["QueueArn"]}
            rules = entry.get("Filter", {}).get("S3Key", {}).get("Rules")
            if rules:
                item["Filter"] = {"Key": {"FilterRules": rules}}
            queue_configs.append(item)
        if queue_configs:
            s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration={"QueueConfigurations": queue_configs}
            )


@lru_cache(maxsize=4)
def _clients(session: Any) -> tuple[Any, Any]:
    """Building clients is slow; the tests pass one session for the whole run."""
    return session.client("dynamodb"), session.client("s3")
