"""Every supported Keras layer, registered by its Keras class name."""

from . import convolutional, core, normalization, pooling, recurrent, reshaping, wrappers  # noqa: F401  (registers)
from .base import REGISTRY, Context, Layer

__all__ = ["REGISTRY", "Context", "Layer"]
