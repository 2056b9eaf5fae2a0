"""Every supported Keras layer, registered by its Keras class name."""

from . import convolutional, core, normalization, pooling, recurrent, reshaping, wrappers  # noqa: F401  (registers)
from . import attention, merging  # noqa: F401  (layers called on several tensors: merging.GRAPH_LAYERS)
from .base import REGISTRY, Context, Layer

__all__ = ["REGISTRY", "Context", "Layer"]
