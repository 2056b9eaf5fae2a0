"""Small NumPy helpers shared by the layers' forwards."""

from __future__ import annotations

from .lazy_numpy import np


def dot_last(x, w):
    """x · w over x's last axis, for any rank: one 2D matrix product (BLAS), not a batch of small ones."""
    return (x.reshape(-1, x.shape[-1]) @ w).reshape(*x.shape[:-1], w.shape[-1])


def sigmoid_(z):
    """In place: z ← 1 / (1 + e^(−z)). Cheaper than 0.5·tanh(z/2) + 0.5: NumPy's float32 exp costs about
    two thirds of its tanh per value (README, "Speed")."""
    np.negative(z, out=z)
    np.exp(z, out=z)
    z += 1
    np.reciprocal(z, out=z)
    return z


def tanh_(x):
    """In place: x ← tanh(x), NumPy's own (one SIMD pass). The five-pass 2·sigmoid(2x) − 1 it replaces is no
    faster per value on large blocks and 2–4× slower on a step's small ones (NumPy 2.4; README, "Speed")."""
    return np.tanh(x, out=x)


_OPENBLAS: tuple | None = None  # (set_num_threads, get_num_threads) of NumPy's own OpenBLAS; () when not found


def _openblas() -> tuple:
    """NumPy's bundled OpenBLAS thread controls, through ctypes (no dependency), found once: the
    libraries its wheels ship beside it (numpy.libs, numpy/.libs, numpy/.dylibs). () for another BLAS."""
    global _OPENBLAS
    if _OPENBLAS is None:
        _OPENBLAS = ()
        try:
            import ctypes
            import glob
            import os

            root = os.path.dirname(np.__file__)
            paths = [path for folder in (os.path.join(root, os.pardir, "numpy.libs"), os.path.join(root, ".libs"),
                                         os.path.join(root, ".dylibs"))
                     for path in sorted(glob.glob(os.path.join(folder, "*openblas*")))]
            for path in paths:
                library = ctypes.CDLL(path)
                for name in ("scipy_openblas%s64_", "scipy_openblas%s", "openblas%s64_", "openblas%s"):
                    setter = getattr(library, name % "_set_num_threads", None)
                    getter = getattr(library, name % "_get_num_threads", None)
                    if setter is not None and getter is not None:
                        setter.argtypes, setter.restype, getter.restype = [ctypes.c_int], None, ctypes.c_int
                        _OPENBLAS = (setter, getter)
                        return _OPENBLAS
        except (OSError, ValueError):
            pass
    return _OPENBLAS


class one_blas_thread:
    """`with one_blas_thread():` runs its block with OpenBLAS held to one thread, then gives back the count
    it had. For the recurrent loops' small per-step products: on a quiet machine a second thread makes
    them ~1.1–1.25× faster, but as soon as another program keeps a core busy every product waits for a
    thread the scheduler has put aside, and the loop gets 2–5× slower (README, "Speed"). Nothing changes
    when OPENBLAS_NUM_THREADS is set (the user's choice: 2 on a quiet 2-core machine, say) or when NumPy
    uses another BLAS."""

    def __enter__(self):
        import os

        self.restore = None
        controls = () if "OPENBLAS_NUM_THREADS" in os.environ else _openblas()
        if controls:
            setter, getter = controls
            threads = getter()
            if threads > 1:
                setter(1)
                self.restore = lambda: setter(threads)
        return self

    def __exit__(self, *exc) -> None:
        if self.restore is not None:
            self.restore()


# From what size two loops run side by side: each loop's time step must multiply-add this much (below, the
# threads mostly wait for each other's Python, the GIL: LSTM(64) at batch 64 split in two halves of 0.8M each
# ran 5-10% slower, LSTM(128) at batch 32, halves of 1.3M, 1.35x faster) — or read weights of this many
# values, whose product is bound by memory rather than by Python (Bidirectional(LSTM(256)) at batch 1:
# 296k values, 1.7x faster; GRU(256) at batch 2 as two halves of one sample, 222k values, 1.3x faster).
SIDE_BY_SIDE_WORK = 2 ** 20
SIDE_BY_SIDE_WEIGHTS = 2 ** 17
SIDE_BY_SIDE_TOTAL = 2 ** 24  # multiply-adds of a whole loop


def side_by_side_pays(work: int, weights: int, steps: int) -> bool:
    """Whether two loops gain by running side by side: two cores, OpenBLAS held to one thread a product
    (OPENBLAS_NUM_THREADS unset or 1: several would be oversubscribed), a time step large enough — `work`
    its multiply-adds in each loop, `weights` the values its product reads — and enough of them to pay
    for starting a thread (~0.5 ms: LSTM(256) at batch 2 for 10 steps took 2.1 ms in two, 1.6 in one)."""
    import os

    large = (work >= SIDE_BY_SIDE_WORK or weights >= SIDE_BY_SIDE_WEIGHTS) and steps * work >= SIDE_BY_SIDE_TOTAL
    return large and (os.cpu_count() or 1) >= 2 and os.environ.get("OPENBLAS_NUM_THREADS", "1") == "1"


def side_by_side(first, second):
    """(first(), second()): two recurrent loops that do not depend on each other (Bidirectional's two
    directions, two halves of a batch), the first in a thread of its own beside the second, OpenBLAS on
    one thread for both. NumPy lets go of the GIL inside its products and element-wise passes, so on two
    cores the pair takes about the time of one (README, "Speed"). Callers ask side_by_side_pays first."""
    import threading

    result: dict = {}

    def run() -> None:
        try:
            result["value"] = first()
        except BaseException as problem:  # handed to the caller, below
            result["error"] = problem

    with one_blas_thread():
        thread = threading.Thread(target=run, name="shapecli-side-by-side", daemon=True)
        thread.start()
        try:
            other = second()
        finally:
            thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"], other
