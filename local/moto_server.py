"""`python -m local.moto_server --port 5000`: the embedded AWS of the local stack.

moto in server mode (with the fixes of local/moto_fixes.py) in a process of its own, so the
seeding and `chalice local` do not share one interpreter lock with it. Stops on SIGTERM or
Ctrl-C; all data is in memory and goes with it.
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
import threading
from types import FrameType

HOST = "127.0.0.1"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="moto in server mode on 127.0.0.1.")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is free
        try:  # moto's own server would wait forever for a port it cannot bind
            probe.bind((HOST, args.port))
        except OSError as exc:
            sys.exit(f"moto: cannot listen on {HOST}:{args.port}: {exc}")

    from moto.server import ThreadedMotoServer

    from local import moto_fixes

    moto_fixes.apply()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per AWS request
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server = ThreadedMotoServer(ip_address=HOST, port=args.port, verbose=False)
    server.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
