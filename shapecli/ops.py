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


class stall_guard:
    """For a loop of small matrix products, the recurrent steps: `with stall_guard() as guard:` and
    `guard.tick()` after each step. OpenBLAS keeps its threads — on a quiet machine a second one makes
    such a loop ~1.2× faster — until steps stall: a second step over 3× the fastest one yet is the mark
    of a thread the scheduler puts aside because another program keeps its core busy (a loop that goes on
    like that is 2–3× slower). From there on, and in every loop that starts in the next 10 seconds, the
    loop runs on one thread; the count comes back when the block ends (README, "Speed"). Nothing changes
    when OPENBLAS_NUM_THREADS is set (the user's choice) or when NumPy uses another BLAS."""

    STALL, STALLS, MEMORY = 3.0, 2, 10.0
    stalled_at = float("-inf")  # when steps last stalled (time.monotonic)

    def __enter__(self):
        import os
        import time

        self.controls = () if "OPENBLAS_NUM_THREADS" in os.environ else _openblas()
        self.threads = self.controls[1]() if self.controls else 1
        self.watching, self.capped = self.threads > 1, False
        self.clock, self.fastest, self.stalls = time.perf_counter, float("inf"), 0
        if self.watching and time.monotonic() - stall_guard.stalled_at < self.MEMORY:
            self.cap()
        self.last = self.clock()
        return self

    def cap(self) -> None:
        self.controls[0](1)
        self.watching, self.capped = False, True

    def tick(self) -> None:
        if not self.watching:
            return
        now = self.clock()
        took, self.last = now - self.last, now
        if took < self.fastest:
            self.fastest = took
        elif took > self.STALL * self.fastest:
            self.stalls += 1
            if self.stalls == self.STALLS:
                import time

                stall_guard.stalled_at = time.monotonic()
                self.cap()

    def __exit__(self, *exc) -> None:
        if self.capped:
            self.controls[0](self.threads)
