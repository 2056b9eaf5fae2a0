"""ops.one_blas_thread: one OpenBLAS thread inside the recurrent loop, the count given back after."""

from __future__ import annotations

import pytest

from shapecli import ops


def test_one_blas_thread_holds_one_and_gives_the_count_back(monkeypatch):
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    count = {"threads": 4}
    monkeypatch.setattr(ops, "_openblas", lambda: (lambda n: count.update(threads=n), lambda: count["threads"]))
    with ops.one_blas_thread():
        assert count["threads"] == 1
    assert count["threads"] == 4
    with pytest.raises(ValueError):
        with ops.one_blas_thread():
            raise ValueError("a failing step")
    assert count["threads"] == 4  # given back even when the block fails


def test_one_blas_thread_leaves_a_users_setting_alone(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")
    monkeypatch.setattr(ops, "_openblas", lambda: pytest.fail("OpenBLAS must not be touched"))
    with ops.one_blas_thread():
        pass


def test_side_by_side_runs_the_first_in_a_thread_and_gives_both_results():
    import threading

    where = {}
    first = lambda: where.setdefault("first", threading.current_thread().name) and "a"  # noqa: E731
    second = lambda: where.setdefault("second", threading.current_thread().name) and "b"  # noqa: E731
    assert ops.side_by_side(first, second) == ("a", "b")
    assert where == {"first": "shapecli-side-by-side", "second": threading.current_thread().name}


def test_side_by_side_pays_for_a_large_step_or_large_weights_over_a_long_loop(monkeypatch):
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert ops.side_by_side_pays(ops.SIDE_BY_SIDE_WORK, 0, 10**6)
    assert not ops.side_by_side_pays(ops.SIDE_BY_SIDE_WORK - 1, 0, 10**6)  # small: one after the other
    assert ops.side_by_side_pays(1, ops.SIDE_BY_SIDE_WEIGHTS, ops.SIDE_BY_SIDE_TOTAL)  # bound by memory
    assert not ops.side_by_side_pays(ops.SIDE_BY_SIDE_WORK, 0, 1)  # too few steps to pay for a thread
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert not ops.side_by_side_pays(ops.SIDE_BY_SIDE_WORK, 0, 10**6)  # one core
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")  # several threads a product: not two loops besides
    assert not ops.side_by_side_pays(ops.SIDE_BY_SIDE_WORK, 0, 10**6)


def test_side_by_side_hands_on_the_threads_error():
    def failing():
        raise ValueError("a failing direction")

    with pytest.raises(ValueError, match="a failing direction"):
        ops.side_by_side(failing, lambda: 1)
