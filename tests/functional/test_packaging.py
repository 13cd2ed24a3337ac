"""`chalice package` merges infra/ into a CloudFormation template that cfn-lint accepts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("package")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_DEFAULT_REGION="eu-west-1", AWS_ACCESS_KEY_ID="none", AWS_SECRET_ACCESS_KEY="none"
    )
    subprocess.run(
        [
            str(BIN / "chalice"),
            "package",
            "--stage",
            "prod",
            "--merge-template",
            "infra/template.json",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out / "sam.json"


def test_the_packaged_template_passes_cfn_lint(packaged):
    result = subprocess.run(
        [str(BIN / "cfn-lint"), str(packaged)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_functions_get_their_resources_from_the_template(packaged):
    template = json.loads(packaged.read_text())
    resources = template["Resources"]
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["TABLE_NAME"] == {"Ref": "CrmTable"}
    assert resources["APIHandler"]["Type"] == "AWS::Serverless::Function"
    infra = json.loads((ROOT / "infra" / "template.json").read_text())
    assert resources["CrmTable"] == infra["Resources"]["CrmTable"]
    queue = resources["ImportBucket"]["Properties"]["NotificationConfiguration"]
    assert queue["QueueConfigurations"][0]["Queue"] == {"Fn::GetAtt": ["ImportQueue", "Arn"]}


def test_the_email_templates_ship_in_the_deployment_package(packaged):
    import zipfile

    with zipfile.ZipFile(packaged.parent / "deployment.zip") as bundle:
        names = set(bundle.namelist())
    for kind in ("task_reminder", "work_order_reminder", "digest"):
        assert {f"chalicelib/templates/{kind}.html", f"chalicelib/templates/{kind}.txt"} <= names
