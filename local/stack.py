"""`python -m local.stack` (`make run`): the whole API on this machine, until Ctrl-C.

1. moto in server mode on 127.0.0.1:MOTO_PORT is the embedded AWS (local/moto_server.py,
   a process of its own, with the fixes of local/moto_fixes.py);
2. the table and buckets of infra/template.json are created in it;
3. `chalice local` serves the API on 127.0.0.1:PORT (stage `dev`, AWS_ENDPOINT_URL → moto,
   AUTH_JWKS → the public half of .local/signing-key.json);
4. meanwhile two demo tenants are seeded through the service layer (local/seed.py);
5. the event pump (local/events.py) feeds queue messages and schedules to their handlers;
6. one bearer token per demo user is printed and written to .local/tokens.json.

Ctrl-C or SIGTERM stops both processes; if either dies, the stack stops and exits 1.

Options: --moto-port / MOTO_PORT (5000), --port / PORT (8000), --tokens-file /
LOCAL_TOKENS_FILE (.local/tokens.json), --clients (200 per tenant).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from local.events import EventPump
from local.seed import CLIENTS_PER_TENANT, DemoUser, SeedReport
from local.tokens import LOCAL_DIR, SigningKey, load_or_create_key, mint, stage_env

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parent.parent
STAGE = "dev"
REGION = "eu-west-1"
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0
TOKEN_HOURS = 12


class StackError(Exception):
    """The stack cannot start; the message says why and what to do."""


@dataclass(frozen=True)
class Options:
    moto_port: int
    port: int
    tokens_file: Path
    clients: int


def parse_options(argv: list[str] | None = None) -> Options:
    env = os.environ
    parser = argparse.ArgumentParser(description="Run the CRM API locally on an embedded AWS.")
    parser.add_argument("--moto-port", type=int, default=int(env.get("MOTO_PORT") or 5000))
    parser.add_argument("--port", type=int, default=int(env.get("PORT") or 8000))
    parser.add_argument(
        "--tokens-file",
        type=Path,
        default=Path(env.get("LOCAL_TOKENS_FILE") or LOCAL_DIR / "tokens.json"),
        help="where to write the demo users' tokens (JSON)",
    )
    parser.add_argument("--clients", type=int, default=CLIENTS_PER_TENANT, help="per tenant")
    args = parser.parse_args(argv)
    return Options(args.moto_port, args.port, args.tokens_file.resolve(), args.clients)


def say(message: str = "") -> None:
    print(message, flush=True)


# --- environment ----------------------------------------------------------------------------


def ensure_free(port: int, what: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is free
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            raise StackError(
                f"{HOST}:{port} ({what}) is already in use: is another `make run` still "
                f"running? See `ss -ltnp | grep :{port}`, or pick other ports "
                f"(make run PORT=8001 MOTO_PORT=5001)."
            ) from exc


def stack_env(moto_port: int, key: SigningKey) -> dict[str, str]:
    """This process's environment pointed at moto: without the caller's AWS_* variables or
    app settings (TABLE_NAME, CURSOR_SECRET, …), with the `dev` stage's instead."""
    from chalicelib.config import Settings

    settings = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in settings}
    env.update(
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local-secret",  # noqa: S106 (moto accepts any)
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        AWS_ENDPOINT_URL=f"http://{HOST}:{moto_port}",
        AWS_CONFIG_FILE=os.devnull,  # no profile, region or endpoint from ~/.aws
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    env.update(stage_env(STAGE))
    env["AUTH_JWKS"] = key.jwks_json
    return env


def use_env(env: dict[str, str]) -> None:
    """Make `env` this process's environment, so the seeding talks to moto too."""
    for name in [n for n in os.environ if n not in env]:
        del os.environ[name]
    os.environ.update(env)
    from chalicelib.adapters import dynamo
    from chalicelib.config import get_settings

    get_settings.cache_clear()
    dynamo.reset()


# --- the processes ----------------------------------------------------------------------------


@dataclass
class Child:
    """A process of the stack; its output goes to the stack's terminal."""

    name: str
    process: subprocess.Popen[bytes]

    def check(self) -> None:
        code = self.process.poll()
        if code is not None:
            raise StackError(f"{self.name} exited with code {code} (see its output above).")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_moto(port: int, env: dict[str, str]) -> Child:
    command = [sys.executable, "-m", "local.moto_server", "--port", str(port)]
    return Child("the embedded AWS (moto)", subprocess.Popen(command, cwd=ROOT, env=env))


def chalice_command(port: int) -> list[str]:
    beside = Path(sys.executable).parent / "chalice"
    executable = str(beside) if beside.exists() else shutil.which("chalice")
    if executable is None:
        raise StackError("chalice is not installed: run `make run` (it installs .venv).")
    args = ["local", "--no-autoreload", "--stage", STAGE, "--host", HOST, "--port", str(port)]
    return [executable, *args]


def start_chalice(port: int, env: dict[str, str]) -> Child:
    return Child("chalice local", subprocess.Popen(chalice_command(port), cwd=ROOT, env=env))


def wait_until_listening(child: Child, port: int) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        child.check()
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise StackError(f"{child.name} did not listen on {HOST}:{port} within {READY_TIMEOUT:.0f} s.")


def wait_until_healthy(child: Child, url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    last = "no answer yet"
    while time.monotonic() < deadline:
        child.check()
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:  # noqa: S310 (our own URL)
                if reply.status == 200:
                    return
                last = f"HTTP {reply.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}: {exc.read().decode(errors='replace')}"
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        time.sleep(0.05)
    raise StackError(f"{url} did not answer 200 within {READY_TIMEOUT:.0f} s ({last}).")


def start_event_pump() -> EventPump:
    """Queue messages and schedules reach the same handlers as in AWS (local/events.py)."""
    import boto3

    from app import app

    pump = EventPump(app, boto3.session.Session(region_name=REGION))
    pump.start()
    return pump


def watch(children: list[Child]) -> None:
    """Until a child exits (an error: StackError) or Ctrl-C / SIGTERM (KeyboardInterrupt)."""
    while True:
        for child in children:
            child.check()
        time.sleep(0.2)


# --- tokens --------------------------------------------------------------------------------


Tokens = list[dict[str, str]]


def mint_tokens(key: SigningKey, env: dict[str, str], users: list[DemoUser]) -> Tokens:
    return [
        {
            "tenant": user.tenant,
            "user": user.user_id,
            "role": user.role.value,
            "name": user.name,
            "token": mint(
                key,
                issuer=env["AUTH_ISSUER"],
                audience=env["AUTH_AUDIENCE"],
                tenant=user.tenant,
                user=user.user_id,
                role=user.role.value,
                name=user.name,
                email=user.email,
                ttl_seconds=TOKEN_HOURS * 3600,
            ),
        }
        for user in users
    ]


def write_tokens(path: Path, tokens: Tokens) -> None:
    """Atomically: whoever waits for the file never reads half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(tokens, indent=2, ensure_ascii=False) + "\n")
    partial.chmod(0o600)
    partial.replace(path)


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


@dataclass
class Timings:
    started: float = field(default_factory=time.perf_counter)
    marks: dict[str, float] = field(default_factory=dict)

    def mark(self, name: str) -> None:
        self.marks[name] = time.perf_counter() - self.started


def print_banner(options: Options, tokens: Tokens, seeded: SeedReport, timings: Timings) -> None:
    api = f"http://{HOST}:{options.port}"
    say()
    say(
        f"CRM local stack ready in {timings.marks['ready']:.1f} s "
        f"(embedded AWS {timings.marks['aws']:.1f} s; {seeded.clients} demo clients seeded "
        f"in {seeded.seconds:.1f} s)"
    )
    for tenant in seeded.tenants:
        say(f"  {tenant.line()}")
    say()
    say(f"  API           {api}   (OpenAPI: {api}/openapi.json)")
    say(f"  Embedded AWS  http://{HOST}:{options.moto_port}   (moto)")
    say(f"  Tokens        {_shown(options.tokens_file)}   (valid {TOKEN_HOURS} h)")
    say()
    for row in tokens:
        say(f"  {row['tenant']:<9} {row['user']:<17} {row['role']:<8} {row['name']}")
        say(f"    {row['token']}")
    first = tokens[0]
    say()
    say(f"Try it (as {first['user']}):")
    say(f"  export TOKEN='{first['token']}'")
    say(f'  curl -H "Authorization: Bearer $TOKEN" {api}/clients')
    say()
    say("Ctrl-C stops the stack (the data lives in memory only).")


# --- main ----------------------------------------------------------------------------------


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def serve(options: Options, timings: Timings) -> None:
    """Start everything, then wait for Ctrl-C / SIGTERM or for a child process to die."""
    ensure_free(options.moto_port, "embedded AWS, MOTO_PORT")
    ensure_free(options.port, "API, PORT")
    key = load_or_create_key()
    env = stack_env(options.moto_port, key)
    use_env(env)
    children: list[Child] = []
    try:
        children.append(start_moto(options.moto_port, env))
        from chalicelib.config import Settings
        from local.infra import create_resources
        from local.seed import seed_demo

        wait_until_listening(children[0], options.moto_port)
        create_resources(Settings.from_env(env))
        timings.mark("aws")
        children.append(start_chalice(options.port, env))  # starts while the data is written
        seeded = seed_demo(options.clients)
        wait_until_healthy(children[1], f"http://{HOST}:{options.port}/health")
        timings.mark("ready")
        pump = start_event_pump()
        tokens = mint_tokens(key, env, seeded.users)
        write_tokens(options.tokens_file, tokens)
        print_banner(options, tokens, seeded, timings)
        watch(children)
        pump.stop()
    finally:
        for child in reversed(children):
            child.stop()


def main(argv: list[str] | None = None) -> int:
    timings = Timings()
    options = parse_options(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    # Also when started in the background (`make run &`), where SIGINT starts out ignored.
    signal.signal(signal.SIGINT, _interrupt)
    try:
        serve(options, timings)
    except KeyboardInterrupt:
        say("\nStopped.")
        return 0
    except StackError as exc:
        print(f"local stack: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
