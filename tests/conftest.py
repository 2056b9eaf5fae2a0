"""Hypothesis explores with fresh random examples on every run, except in CI: there SHAPECLI_CI=1 (set by
.ci/run) selects a fixed set of examples, so that a commit passes or fails the same way each time it is
tested. A failure found while exploring is kept in .hypothesis/ and replayed first until it is fixed."""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True)
if os.environ.get("SHAPECLI_CI"):
    settings.load_profile("ci")
