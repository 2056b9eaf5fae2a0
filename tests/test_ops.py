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
