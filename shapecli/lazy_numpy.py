"""NumPy, imported on first use, so that `explain` never loads it.

Layer classes keep their NumPy forward beside their shape rule; they write
`np.tanh(...)` as usual, and NumPy is imported the first time any of it runs.
"""

from __future__ import annotations

import importlib
from typing import Any


class _LazyNumpy:
    _module: Any = None

    def __getattr__(self, name: str) -> Any:
        if _LazyNumpy._module is None:
            _LazyNumpy._module = importlib.import_module("numpy")
        return getattr(_LazyNumpy._module, name)


np: Any = _LazyNumpy()
