"""Rendering: rich tables, JSON and error reports. Nothing here computes shapes."""

LONG_STACK = 300  # past this many layers: one line a layer (the table's listing, JSON's records)
