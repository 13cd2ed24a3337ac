"""DynamoDB requests of the settings routes: what each costs, counted, not timed (see
bench/dynamo_requests.py for the method).

    python bench/settings_requests.py            (or: make bench)
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dynamo_requests import Bench, counting, mock_aws

ICON = "https://cdn.example.com/fair.svg"


def refused(b: Bench, label: str, method: str, path: str) -> None:
    """A call that must answer 409 (Bench.call wants a 2xx)."""
    headers = {"Authorization": f"Bearer {b.tokens['admin']}"}
    with counting() as counts:
        response = b.client.http.request(method, path, headers=headers, body=b"")
    assert response.status_code == 409, (label, response.status_code, response.body)
    print(f"  ({json.loads(response.body)['detail']})")
    b.rows.append((label, f"{method} {path}", counts))


def scenario(b: Bench) -> None:
    b.call("read the settings (admin)", "GET", "/settings")
    b.call("change the settings", "PATCH", "/settings", {"visit_recency": {"recent_days": 14}})
    b.call("list the stages (sales)", "GET", "/settings/stages", user="luis")
    b.call("add a stage", "POST", "/settings/stages", {"key": "paused", "label": "Paused"})
    b.call("change a stage", "PATCH", "/settings/stages/paused", {"color": "#123456"})
    b.call("delete a stage no client is in", "DELETE", "/settings/stages/paused")
    source = {"key": "fair", "name_es": "Feria", "name_en": "Fair", "icon_url": ICON}
    b.call("add a source", "POST", "/settings/sources", source)
    b.call("set the type icons", "PUT", "/settings/type-icons", {"vip": ICON})
    field = {"key": "level", "label": "Level", "type": "select", "options": ["A1", "B2"]}
    b.call("define a custom field", "POST", "/settings/custom-fields", field)
    b.call("list the custom fields (sales)", "GET", "/settings/custom-fields", user="luis")
    body = {"name": "Ana", "stage": "visiting", "source": "fair", "custom": {"level": "b2"}}
    c = b.call("create a client with custom values", "POST", "/clients", body)
    b.call("change a custom value", "PATCH", f"/clients/{c['id']}", {"custom": {"level": "A1"}})
    refused(b, "delete a stage a client is in (409)", "DELETE", "/settings/stages/visiting")


def main() -> None:
    with mock_aws():
        from chalicelib.config import get_settings
        from local.infra import create_resources

        get_settings.cache_clear()
        create_resources(get_settings())
        bench = Bench()
        scenario(bench)
    print(f"{'call':42} {'route':40} requests  operations")
    for label, route, counts in bench.rows:
        ops = ", ".join(f"{n} x {op}" if n > 1 else op for op, n in sorted(Counter(counts).items()))
        print(f"{label:42} {route:40} {sum(counts.values()):>8}  {ops}")


if __name__ == "__main__":
    main()
