"""Rendering: rich tables, JSON and error reports. Nothing here computes shapes."""

# Past this many layers: a row a layer (the table's listing, JSON's records). A rich table lays out every
# cell, ~1-1.6 ms a layer: 0.1 s at 100 layers, 0.5 s at 300; the listing takes ~20 µs a layer.
LONG_STACK = 100
