"""Run every scheduled job once, now, against the running local stack (`make jobs`).

The stack's event pump runs them on their periods already; this is the on-demand form: it
points this process at the stack's embedded AWS (MOTO_PORT) exactly as the stack does and
calls `local.events.run_schedules_once(app)`.
"""

from __future__ import annotations

import argparse
import os
import sys
import urllib.error
import urllib.request

from local.events import run_schedules_once
from local.stack import HOST, stack_env, use_env
from local.tokens import load_or_create_key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moto-port", type=int, default=int(os.environ.get("MOTO_PORT") or 5000))
    options = parser.parse_args(argv)
    try:
        urllib.request.urlopen(f"http://{HOST}:{options.moto_port}/moto-api/", timeout=3)
    except (urllib.error.URLError, OSError):
        print(
            f"No local stack on {HOST}:{options.moto_port}: start it with `make run` "
            "(or give MOTO_PORT).",
            file=sys.stderr,
        )
        return 1
    use_env(stack_env(options.moto_port, load_or_create_key()))
    from app import app

    ran: list[str] = []
    failures: list[str] = []

    def say(line: str) -> None:
        failures.append(line)
        print(line, file=sys.stderr)

    for config in app.event_sources:
        name = getattr(config, "name", "")
        if getattr(config, "schedule_expression", None) is not None:
            ran.append(name)
    run_schedules_once(app, say)
    print(f"ran {', '.join(ran) or 'no scheduled jobs'}{' (with failures)' if failures else ''}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
