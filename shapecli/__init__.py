"""shapecli: shapes, words and proof for Keras sequence models."""

__version__ = "0.1.0"
