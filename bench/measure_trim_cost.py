#!/usr/bin/python3
"""How long mod_tlsinterop takes at start-up to fit a large CA list.

    bench/measure_trim_cost.py [COUNT]     (default 10000)

Makes a bundle of COUNT CAs, starts a private httpd whose vhost trusts it,
and prints what the module logs at debug level: the time its init_server
hook spent on the vhost (ordering, size model, trimming, logging), measured
inside httpd.  The first run of a start-up also probes the CertificateRequest
layout once; that is included.
"""

import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests"))

from harness import httpd as httpd_mod  # noqa: E402
from harness import names, pki as pki_mod, vhosts  # noqa: E402


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    root = tempfile.mkdtemp(prefix="tlsi-cost-")
    os.chmod(root, 0o755)
    pki = pki_mod.Pki(os.path.join(root, "pki"))
    t0 = time.monotonic()
    ca = pki.ca("server-ca", [("CN", "cost server CA")])
    server_cert = pki.leaf("server", [("CN", "localhost")], ca, dns=["localhost"])
    bundle = pki.bundle("bundle.pem", pki.filler_cas("ca", names.subjects(count)))
    print("made %d CAs in %.1f s" % (count, time.monotonic() - t0))

    server = httpd_mod.Httpd(os.path.join(root, "httpd"),
                             loglevel="warn tlsinterop:debug")
    port = httpd_mod.free_port()
    body = vhosts.listen(port) + vhosts.ssl_vhost(port, server_cert, bundle)
    try:
        t0 = time.monotonic()
        server.start(body, timeout=120)
        print("httpd started in %.2f s (mod_ssl loading %d CAs included)"
              % (time.monotonic() - t0, count))
    finally:
        server.stop()
    for line in server.error_log().splitlines():
        m = re.search(r"CA list of (\d+) names handled in (\d+) us", line)
        if m:
            print("mod_tlsinterop: %s names handled in %.1f ms"
                  % (m.group(1), int(m.group(2)) / 1000.0))
        elif "CA list trimmed" in line:
            print(line.split("] ", 3)[-1])


if __name__ == "__main__":
    main()
