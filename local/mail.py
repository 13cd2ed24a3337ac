"""Print the latest emails the local stack's embedded SES accepted (`make mail`).

moto keeps every sent message; `GET /moto-api/data.json` lists them (raw MIME for the
reminder emails). Shows the headers, the text part and the names of the attachments.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import os
import sys
import urllib.error
import urllib.request
from email.message import EmailMessage
from typing import Any

HOST = "127.0.0.1"


def sent_messages(moto_port: int) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"http://{HOST}:{moto_port}/moto-api/data.json", timeout=10) as r:
        data = json.load(r)
    ses = data.get("ses", {})
    return list(ses.get("RawMessage", [])) + list(ses.get("Message", []))


def show(message: dict[str, Any]) -> str:
    raw = message.get("raw_data")
    if raw is None:  # a plain (non-raw) SendEmail
        return json.dumps(message, indent=2, ensure_ascii=False)
    parsed = email.message_from_string(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    lines = [f"{h}: {parsed[h]}" for h in ("From", "To", "Subject") if parsed[h]]
    lines.append(f"SES message id: {message.get('id')}")
    body = parsed.get_body(preferencelist=("plain", "html"))
    if body is not None:
        lines += ["", str(body.get_content()).rstrip()]
    attachments = [a.get_filename() or a.get_content_type() for a in parsed.iter_attachments()]
    if attachments:
        lines += ["", f"attachments: {', '.join(attachments)}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moto-port", type=int, default=int(os.environ.get("MOTO_PORT") or 5000))
    parser.add_argument("-n", type=int, default=3, help="how many of the latest (default 3)")
    options = parser.parse_args(argv)
    try:
        messages = sent_messages(options.moto_port)
    except (urllib.error.URLError, OSError):
        print(
            f"No local stack on {HOST}:{options.moto_port}: start it with `make run`.",
            file=sys.stderr,
        )
        return 1
    if not messages:
        print("No emails sent yet (`make jobs` sends whatever is due now).")
        return 0
    latest = messages[-options.n :]
    print(f"{len(messages)} emails sent; the latest {len(latest)}:")
    for message in latest:
        print("\n" + "=" * 78)
        print(show(message))
    return 0


if __name__ == "__main__":
    sys.exit(main())
