"""Tests that need root say so, and skip with a visible reason without it.

Building and most tests run as any user; root is needed to install
packages (make deps) and by the few tests marked here.
"""

import os

import pytest


def needs_root(why):
    """Mark a test that cannot run without root, saying why."""
    return pytest.mark.skipif(os.geteuid() != 0, reason="needs root: " + why)
