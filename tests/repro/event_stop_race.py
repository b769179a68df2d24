#!/usr/bin/python3
"""httpd's event MPM crashes a child now and then when it is stopped at once
(SIGTERM) just after a connection: the child's main thread closes the
sockets its workers hold (close_worker_sockets()) while a worker finishes
its connection and frees the socket.  This counts such crashes over many
start, connect, stop cycles, with or without mod_tlsinterop loaded, and
with the harness's graceful stop for comparison (tests/README.md).

    tests/repro/event_stop_race.py [--cycles N] [--no-module] [--graceful]
"""

import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from harness.httpd import Httpd, free_ports  # noqa: E402
from harness.vhosts import listen  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--no-module", action="store_true")
    parser.add_argument("--graceful", action="store_true",
                        help="stop as the test harness does")
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="tlsi-stop-race-")
    os.chmod(root, 0o755)
    crashes = 0
    try:
        for cycle in range(args.cycles):
            server = Httpd(os.path.join(root, "s%d" % cycle),
                           load_module=not args.no_module, loglevel="warn")
            # start() connects to each port to see that it answers: the
            # connection the stop then races with.
            server.start(listen(*free_ports(2)))
            server.stop(graceful=args.graceful)
            if "exit signal Segmentation fault" in server.error_log():
                crashes += 1
            shutil.rmtree(server.dir, ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("%d child crash(es) in %d cycles (module %s, %s stop)" % (
        crashes, args.cycles, "not loaded" if args.no_module else "loaded",
        "graceful" if args.graceful else "immediate"))
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
