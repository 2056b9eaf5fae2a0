"""Rendering: rich tables, JSON and error reports. Nothing here computes shapes."""
