#!/usr/bin/python3
"""make bench: what mod_tlsinterop costs, and what a trimmed list saves.

    bench.py [--quick] [--only STEP,...] [--out FILE]

Every comparison runs both of its sides in this one run, alternating them
over several rounds, and reports medians.  The baseline is the same httpd
with the same configuration and mod_tlsinterop not loaded (its directives
sit in <IfModule tlsinterop_module>); section 6 (learning) compares vhosts
of one httpd instead.  Writes bench/RESULTS.md: machine, versions, the
exact commands, and the tables.  --quick (make bench QUICK=1) runs a short
version of every comparison.  --only runs some steps and puts their
sections into an existing --out, keeping the others.
"""

import argparse
import os
import shutil
import time

from benchlib.requests import Requests
from benchlib.instructions import Instructions
from benchlib.handshakes import Handshakes
from benchlib.latency import Latency
from benchlib.startup import Startup
from benchlib.learning import Learning
from benchlib.vhostmem import VhostMemory
from benchlib.classify import Classify
from benchlib.common import BENCH, STEPS, H, BenchBase


class Bench(Requests, Instructions, Handshakes, Latency, Startup, Learning,
            VhostMemory, Classify, BenchBase):
    """Every section (one module of benchlib/ each, a method per step that
    writes its part of RESULTS.md); main() runs them by name."""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=os.path.join(BENCH, "RESULTS.md"))
    parser.add_argument("--only", default=",".join(STEPS),
                        help="comma-separated steps: " + ", ".join(STEPS)
                        + "; an existing --out keeps its other sections")
    args = parser.parse_args()
    steps = args.only.split(",")
    for step in steps:
        if step not in STEPS:
            parser.error("unknown step %r" % step)
    bench = Bench(args.quick)
    started = time.monotonic()
    # The module as it is now, so that a rebuild during the run changes
    # nothing (valgrind aborts when a loaded library changes under it).
    snapshot = os.path.join(bench.root, "mod_tlsinterop.so")
    shutil.copy2(H.MODULE_SO, snapshot)
    H.MODULE_SO = snapshot
    try:
        bench.make_pki()
        for step in steps:
            getattr(bench, step)()
    finally:
        bench.stop_all()
    bench.write(args.out, time.monotonic() - started, steps)
    shutil.rmtree(bench.root, ignore_errors=True)
    print("wrote %s in %.0f s" % (args.out, time.monotonic() - started))


if __name__ == "__main__":
    main()
