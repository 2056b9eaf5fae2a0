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


def test_side_by_side_runs_the_first_in_a_thread_and_gives_both_results(monkeypatch):
    import threading

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    where = {}
    first = lambda: where.setdefault("first", threading.current_thread().name) and "a"  # noqa: E731
    second = lambda: where.setdefault("second", threading.current_thread().name) and "b"  # noqa: E731
    assert ops.side_by_side(first, second, work=ops.SIDE_BY_SIDE_WORK, weights=0, steps=10**6) == ("a", "b")
    assert where == {"first": "shapecli-side-by-side", "second": threading.current_thread().name}
    where.clear()
    assert ops.side_by_side(first, second, work=ops.SIDE_BY_SIDE_WORK - 1, weights=0, steps=10**6) == ("a", "b")  # small: one after the other
    assert where["first"] == threading.current_thread().name
    where.clear()  # a small step over large weights: bound by memory, worth a thread
    ops.side_by_side(first, second, work=1, weights=ops.SIDE_BY_SIDE_WEIGHTS, steps=ops.SIDE_BY_SIDE_TOTAL)
    assert where["first"] == "shapecli-side-by-side"
    where.clear()  # too few steps to pay for a thread
    ops.side_by_side(first, second, work=ops.SIDE_BY_SIDE_WORK, weights=0, steps=1)
    assert where["first"] == threading.current_thread().name
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")  # several threads a product: not two loops besides
    where.clear()
    ops.side_by_side(first, second, work=ops.SIDE_BY_SIDE_WORK, weights=0, steps=10**6)
    assert where["first"] == threading.current_thread().name


def test_side_by_side_hands_on_the_threads_error(monkeypatch):
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)

    def failing():
        raise ValueError("a failing direction")

    with pytest.raises(ValueError, match="a failing direction"):
        ops.side_by_side(failing, lambda: 1, work=ops.SIDE_BY_SIDE_WORK, weights=0, steps=10**6)
