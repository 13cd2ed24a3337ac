"""Items DynamoDB reads per page of each client filter and quick search, in a big tenant.

Loads one tenant with 20,000 clients (and a small second tenant) into an in-process moto,
then asks `ClientService.search` — what `GET /clients` calls — for the first two pages of 50
of every filter, combination, sort and quick-search kind, as an admin and as a sales user.
For each it prints the requests sent and the items DynamoDB read (the Queries'
`ScannedCount` plus the items BatchGetItem/GetItem fetched): the figures DynamoDB bills,
which moto reports exactly (its clock, which scans internally, says nothing).

Target: at most 2x the page size read per page, and one request per page for single filters.

    python bench/listing.py [--clients 20000]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
for name in [v for v in os.environ if v.startswith("AWS_ENDPOINT_URL")]:
    os.environ.pop(name)
os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_DEFAULT_REGION="eu-west-1")
os.environ["AWS_SECRET_ACCESS_KEY"] = "bench"  # noqa: S105 (moto's fake AWS)

from moto import mock_aws  # noqa: E402

from local.tokens import stage_env  # noqa: E402

os.environ.update(stage_env("test"))

TENANT = "big"
PAGE = 50
FIRST = ["José", "Ana", "Luis", "María", "Carmen", "Javier", "Lucía", "Pablo", "Elena", "Diego"]
LAST = ["García", "Martín", "López", "Sánchez", "Pérez", "Gómez", "Ruiz", "Díaz", "Núñez", "Vidal"]
TYPES = ["lead"] * 5 + ["prospect"] * 3 + ["client"] * 2 + ["vip"]
STAGES = ["contact", "prospect", "visiting", "negotiation", "won", "lost"]
SOURCES = ["referral", "web", "direct", "competition", "other", None]
OWNERS = [f"u-sales-{n}" for n in range(8)] + ["u-admin"]
GROUPS = ["north", "south", "east"]


class Reads:
    """Requests and items read, from botocore's parsed replies."""

    def __init__(self) -> None:
        self.requests = 0
        self.items = 0

    def __call__(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        self.requests += 1
        if model.name == "Query":
            self.items += int(parsed.get("ScannedCount", 0))
        elif model.name == "BatchGetItem":
            self.items += sum(len(v) for v in parsed.get("Responses", {}).values())
        elif model.name == "GetItem":
            self.items += 1 if parsed.get("Item") else 0


def load(clients: int) -> dict[str, Any]:
    """Items straight into the table with BatchWriteItem (the service's transactions would
    take moto hours at this size); the same item builders the repository writes with."""
    from chalicelib.adapters import keys
    from chalicelib.adapters.clients_repo import client_to_item, search_items
    from chalicelib.adapters.dynamo import ClientTagItem, GroupItem, GuardItem, Item, bind
    from chalicelib.domain.clients import Client

    bind()
    rng = random.Random(7)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    sample: dict[str, Any] = {}
    with Item.batch_write() as batch:
        for group in GROUPS:
            users = ["u-sales-0"] if group == "north" else []
            batch.save(
                GroupItem(
                    keys.tenant_pk(TENANT),
                    keys.group_sk(group),
                    group_id=group,
                    name=group.title(),
                    user_ids=users or None,
                    created_at=start.isoformat(),
                    version=1,
                )
            )
        for n in range(1, clients + 1):
            created = start + timedelta(minutes=50 * n)
            ctype = rng.choice(TYPES)
            converted = created + timedelta(days=3) if ctype in ("client", "vip") else None
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"
            client = Client(
                id=f"c{n:07d}",
                number=n,
                name=name,
                email=f"client{n}@example{n % 97}.com",
                phone=f"+346{n:08d}",
                type=ctype,
                kind=rng.choice(["customer"] * 8 + ["collaborator", "other"]),
                stage=rng.choice(STAGES),
                source=rng.choice(SOURCES),
                status="active" if rng.random() < 0.85 else "inactive",
                owner_id=rng.choice(OWNERS),
                group_id=rng.choice(GROUPS) if rng.random() < 0.2 else None,
                converted_at=converted,
                created_at=created,
                updated_at=created,
                created_by="u-admin",
                version=1,
            )
            batch.save(client_to_item(TENANT, client))
            for entry in search_items(TENANT, client).values():
                batch.save(entry)
            batch.save(
                GuardItem(
                    keys.number_guard_pk(TENANT, n), keys.GUARD_SK, client_id=client.id, field="n"
                )
            )
            if n % 10 == 0:
                batch.save(
                    ClientTagItem(
                        keys.client_pk(TENANT, client.id),
                        keys.client_tag_sk("premium"),
                        gsi3pk=keys.clients_with_tag(TENANT, "premium"),
                        gsi3sk=keys.created_sort(created.isoformat(), client.id),
                        tag_id="premium",
                        client_id=client.id,
                        name="Premium",
                        color="#ff0000",
                    )
                )
            if n == clients // 2:
                sample = {"number": n, "name": name, "email": client.email}
    return sample


def cases(sample: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    words = sample["name"].split()
    short = f"{words[0][:3]} {words[1][:3]}"
    return [
        ("admin", "all, newest first", {}),
        ("admin", "type=lead", {"type": "lead"}),
        ("admin", "stage=visiting", {"stage": "visiting"}),
        ("admin", "status=inactive", {"status": "inactive"}),
        ("admin", "kind=collaborator", {"kind": "collaborator"}),
        ("admin", "source=web", {"source": "web"}),
        ("admin", "owner=u-sales-3", {"owner": "u-sales-3"}),
        ("admin", "group=north", {"group": "north"}),
        ("admin", "tag=premium", {"tag": "premium"}),
        (
            "admin",
            "created in March 2025",
            {"created_from": date(2025, 3, 1), "created_to": date(2025, 3, 31)},
        ),
        ("admin", "sort=name", {"sort": "name"}),
        ("admin", "sort=-converted_at (won)", {"sort": "-converted_at"}),
        ("admin", "type=lead & source=web", {"type": "lead", "source": "web"}),
        ("admin", "owner & stage", {"owner": "u-sales-3", "stage": "visiting"}),
        ("admin", "tag & type=lead", {"tag": "premium", "type": "lead"}),
        ("admin", f"q={short} (words)", {"q": short}),
        ("admin", "q=jose (one word)", {"q": "jose"}),
        ("admin", "q=<email prefix>", {"q": sample["email"][:12]}),
        ("admin", "q=<phone, national>", {"q": f"6{sample['number']:08d}"}),
        ("admin", "q=<number>", {"q": str(sample["number"])}),
        ("sales", "sales: own + group", {}),
        ("sales", "sales: own + group, type=lead", {"type": "lead"}),
        ("sales", "sales: owner=me", {"owner": "me"}),
    ]


def run(clients: int) -> None:
    from chalicelib.adapters.dynamo import GuardItem, Item, bind
    from chalicelib.api import deps
    from chalicelib.config import get_settings
    from chalicelib.domain.principal import Principal, Role
    from chalicelib.domain.search import ClientQuery
    from local.infra import create_resources

    get_settings.cache_clear()
    deps.reset()
    create_resources(get_settings())
    began = time.perf_counter()
    sample = load(clients)
    print(f"loaded {clients:,} clients into moto in {time.perf_counter() - began:.0f} s\n")

    service = deps.client_service()
    service.tenant_settings(TENANT)  # the settings cache, as a warm container has it
    reads = Reads()
    bind()
    for model in (Item, GuardItem):
        model._get_connection().connection.client.meta.events.register("after-call.dynamodb", reads)
    admin = Principal(TENANT, "u-admin", Role.ADMIN)
    sales = Principal(TENANT, "u-sales-0", Role.SALES, assigned_groups=("north",))
    header = f"{'listing':34} {'page':>4} {'items':>5} {'requests':>8} {'read':>6} {'read/page':>9}"
    print(header)
    print("-" * len(header))
    for role, label, params in cases(sample):
        who = admin if role == "admin" else sales
        query = ClientQuery.model_validate(params)
        cursor = None
        for page in (1, 2):
            reads.requests = reads.items = 0
            items, cursor = service.search(who, query, PAGE, cursor)
            ratio = reads.items / PAGE
            print(
                f"{label:34} {page:>4} {len(items):>5} {reads.requests:>8} {reads.items:>6} "
                f"{ratio:>8.2f}x"
            )
            if cursor is None:
                break


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20_000)
    args = parser.parse_args()
    with mock_aws():
        run(args.clients)


if __name__ == "__main__":
    main()
