#!/usr/bin/python3
"""make demo: a private httpd on 127.0.0.1 that shows mod_tlsinterop at work.

    demo.py start [--port 8443]    (re)start it and print what clients see
    demo.py stop

It serves one vhost that requests client certificates and trusts 300 CAs,
twice: on PORT with the module's defaults, and on PORT+1 with
TLSInteropCAListLimit off, which is what mod_ssl alone sends.
"""

import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import httpd as httpd_mod  # noqa: E402
from harness import names, pki as pki_mod, tls, vhosts  # noqa: E402

DEMO_DIR = os.environ.get("TLSI_DEMO_DIR", "/tmp/tlsinterop-demo")
CA_COUNT = 300


def apachectl(server, action):
    return subprocess.run([httpd_mod.APACHE2, "-f", server.conf_path, "-k", action],
                          capture_output=True, text=True)


def stop(quiet=False):
    conf = os.path.join(DEMO_DIR, "httpd.conf")
    pidfile = os.path.join(DEMO_DIR, "run", "httpd.pid")
    if not os.path.exists(pidfile):
        if not quiet:
            print("No demo server is running.")
        return
    subprocess.run([httpd_mod.APACHE2, "-f", conf, "-k", "stop"],
                   capture_output=True)
    for _ in range(100):
        if not os.path.exists(pidfile):
            break
        subprocess.run(["sleep", "0.1"])
    if not quiet:
        print("Demo server stopped.")


def make_pki():
    pki = pki_mod.Pki(os.path.join(DEMO_DIR, "pki"))
    server_ca = pki.ca("demo-server-ca", [("O", "mod_tlsinterop demo"),
                                          ("CN", "Demo Server CA")])
    server = pki.leaf("demo-server", [("CN", "localhost")], server_ca,
                      dns=["localhost"])
    cas = pki.filler_cas("ca", names.subjects(CA_COUNT))
    return server, pki.bundle("trusted-cas.pem", cas)


def describe(cr):
    return "%3d names, %6d bytes" % (len(cr.names), cr.size)


def start(port):
    stop(quiet=True)
    print("Generating a demo PKI: a server certificate and %d CAs..." % CA_COUNT)
    server_cert, bundle = make_pki()
    plain = port + 1
    server = httpd_mod.Httpd(DEMO_DIR, loglevel="notice")
    body = vhosts.listen(port, plain)
    body += vhosts.ssl_vhost(port, server_cert, bundle)
    body += vhosts.ssl_vhost(plain, server_cert, bundle,
                             extra="TLSInteropCAListLimit off")
    server.write_config(body)
    with open(server.path("htdocs", "index.html"), "w") as f:
        f.write("mod_tlsinterop demo\n")
    res = apachectl(server, "start")
    if res.returncode != 0:
        sys.exit("httpd did not start:\n%s%s" % (res.stdout, res.stderr))
    for p in (port, plain):
        if not httpd_mod.wait_port(p, 20):
            sys.exit("httpd is not answering on port %d; see %s"
                     % (p, server.error_log_path))

    rows = []
    for label, p in (("mod_ssl alone (TLSInteropCAListLimit off)", plain),
                     ("with mod_tlsinterop (defaults)", port)):
        crs = [tls.certreq(p, v) for v in ("1.2", "1.3")]
        status, out = tls.splitcheck(p, "1.2")
        rows.append((label, p, crs, out.strip().splitlines()[-1]))

    print()
    print("mod_tlsinterop demo: a vhost that requests client certificates and")
    print("trusts %d CAs, %s" % (CA_COUNT, bundle))
    print()
    print("CertificateRequest as openssl s_client -msg sees it (one TLS record "
          "holds 16384 bytes):")
    print("  %-54s %-24s %s" % ("", "TLS 1.2", "TLS 1.3"))
    for label, p, crs, _ in rows:
        print("  %-54s %-24s %s" % ("port %d, %s" % (p, label),
                                     describe(crs[0]), describe(crs[1])))
    print()
    print("A client that refuses handshake messages split across records")
    print("(tests/clients/splitcheck, like SChannel before Windows 7):")
    for label, p, _, verdict in rows:
        print("  port %d: %s" % (p, verdict))
    print()
    print("The module's start-up line (%s):" % server.error_log_path)
    for line in server.error_log().splitlines():
        if "[tlsinterop:" in line:
            print("  " + line.split("] ", 3)[-1])
    print()
    print("Try it yourself:")
    print("  openssl s_client -connect 127.0.0.1:%d -msg </dev/null "
          "| grep CertificateRequest" % port)
    print("  tests/clients/splitcheck -v 127.0.0.1 %d" % plain)
    print("Stop the demo server with: make demo-stop")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--port", type=int, default=8443)
    args = parser.parse_args()
    if args.action == "stop":
        stop()
    else:
        start(args.port)


if __name__ == "__main__":
    main()
