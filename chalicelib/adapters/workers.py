"""CPU-bound pure work on batches, spread over worker processes (one per vCPU).

A Lambda function with more than 1,769 MB has more than one vCPU, but Python runs one at a
time. Lambda has no /dev/shm, so multiprocessing's Pool and Queue (which need semaphores)
fail there; forked processes that talk over pipes work. `ordered_map` is that: each worker
takes batches from its own pipe and answers in the order it got them, so the results come
back in the order of the batches, with at most a few batches in flight per worker (bounded
memory). The work must be pure (no I/O, no AWS clients): a forked child shares nothing
with the parent but a copy of its memory.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection
from typing import Any, TypeVar

log = logging.getLogger(__name__)

Batch = TypeVar("Batch")
Result = TypeVar("Result")

IN_FLIGHT = 2  # batches sent to a worker and not yet answered


class WorkerError(RuntimeError):
    """A worker failed or died; the caller may do the work in-process instead."""


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def ordered_map(
    func: Callable[[Batch], Result], batches: Iterable[Batch], workers: int
) -> Iterator[Result]:
    """`func(batch)` for every batch, in order, computed by `workers` forked processes (in
    this one when `workers` < 2). A failing `func` or a dying worker raises WorkerError."""
    if workers < 2:
        yield from map(func, batches)
        return
    context = multiprocessing.get_context("fork")
    pipes: list[Connection] = []
    processes = []
    try:
        for _ in range(workers):
            ours, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(func, theirs, pipes), daemon=True)
            process.start()
            theirs.close()
            pipes.append(ours)
            processes.append(process)
        yield from _exchange(pipes, iter(batches))
    finally:
        _stop(pipes, processes)


def _exchange(pipes: list[Connection], batches: Iterator[Any]) -> Iterator[Any]:
    waiting: deque[int] = deque()  # the worker of each batch sent and not answered, in order
    for sent, batch in enumerate(batches):
        worker = sent % len(pipes)
        try:
            pipes[worker].send(batch)
        except OSError as exc:  # its end is closed: it died
            raise WorkerError(f"a worker process died ({exc!r})") from exc
        waiting.append(worker)
        if len(waiting) >= IN_FLIGHT * len(pipes):
            yield _answer(pipes[waiting.popleft()])
    while waiting:
        yield _answer(pipes[waiting.popleft()])


def _answer(pipe: Connection) -> Any:
    try:
        ok, value = pipe.recv()
    except (EOFError, OSError) as exc:
        raise WorkerError(f"a worker process died ({exc!r})") from exc
    if not ok:
        raise WorkerError(f"a worker process failed: {value}")
    return value


def _serve(func: Callable[[Any], Any], pipe: Connection, inherited: list[Connection]) -> None:
    for other in inherited:  # the other workers' pipes, copied by fork: not ours to hold
        other.close()
    while True:
        try:
            batch = pipe.recv()
        except (EOFError, OSError):
            return
        if batch is None:
            return
        try:
            pipe.send((True, func(batch)))
        except Exception as exc:  # reported to the parent, which raises WorkerError
            pipe.send((False, repr(exc)))


def _stop(pipes: list[Connection], processes: list[Any]) -> None:
    for pipe in pipes:
        with contextlib.suppress(OSError):
            pipe.send(None)
        pipe.close()
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():
            log.warning("worker %s did not stop; killing it", process.pid)
            process.kill()
            process.join()
