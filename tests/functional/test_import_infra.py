"""The import function's deployment: its queue, time, memory and data policy."""

from __future__ import annotations

import json
from pathlib import Path

from app import app

ROOT = Path(__file__).resolve().parents[2]


def test_the_import_handler_listens_on_the_import_queue_with_time_and_policy():
    from chalice.app import SQSEventConfig

    sources = [
        s for s in app.event_sources if isinstance(s, SQSEventConfig) and s.name == "run_import"
    ]
    assert [(s.queue, s.batch_size) for s in sources] == [("crm-imports", 1)]
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    function = config["lambda_functions"]["run_import"]
    assert (function["lambda_timeout"], function["lambda_memory_size"]) == (900, 3008)
    template = json.loads((ROOT / "infra" / "template.json").read_text())["Resources"]
    assert template["ImportQueue"]["Properties"]["VisibilityTimeout"] > 900
    assert {"Ref": "RunImportRole"} in template["CrmDataAccess"]["Properties"]["Roles"]
