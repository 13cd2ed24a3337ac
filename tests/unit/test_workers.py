"""Spreading pure work over worker processes (the import's pass over the whole file)."""

from __future__ import annotations

import os

import pytest

from chalicelib.adapters.workers import WorkerError, ordered_map


def _square_with_pid(batch: list[int]) -> tuple[int, list[int]]:
    return os.getpid(), [n * n for n in batch]


def test_results_come_back_in_the_order_of_the_batches_from_several_processes():
    batches = [list(range(i, i + 3)) for i in range(0, 90, 3)]

    results = list(ordered_map(_square_with_pid, batches, workers=2))

    assert [squares for _, squares in results] == [[n * n for n in b] for b in batches]
    pids = {pid for pid, _ in results}
    assert len(pids) == 2 and os.getpid() not in pids


def test_one_worker_means_this_process():
    results = list(ordered_map(_square_with_pid, [[1], [2]], workers=1))

    assert results == [(os.getpid(), [1]), (os.getpid(), [4])]


def _fails_on_seven(batch: list[int]) -> list[int]:
    if 7 in batch:
        raise ValueError("seven is not allowed")
    return batch


def test_a_failing_batch_raises_in_the_caller_naming_the_error():
    with pytest.raises(WorkerError, match="seven is not allowed"):
        list(ordered_map(_fails_on_seven, [[n] for n in range(20)], workers=2))


def _dies_on_seven(batch: list[int]) -> list[int]:
    if 7 in batch:
        os._exit(9)  # as a process killed for memory would
    return batch


def test_a_worker_that_dies_raises_in_the_caller_instead_of_hanging():
    with pytest.raises(WorkerError, match="died"):
        list(ordered_map(_dies_on_seven, [[n] for n in range(20)], workers=2))
