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


def create_resources(settings: Any, session: Any = None) -> None:
    """The table and the buckets named by `settings`, as the template declares them."""
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


@lru_cache(maxsize=4)
def _clients(session: Any) -> tuple[Any, Any]:
    """Building clients is slow; the tests pass one session for the whole run."""
    return session.client("dynamodb"), session.client("s3")
