"""The sections of make bench (bench/bench.py), one module each, and what
they share (common.py).  They drive httpd with the test harness."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))), "tests"))
