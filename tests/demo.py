#!/usr/bin/python3
"""make demo: a private httpd on 127.0.0.1 that shows mod_tlsinterop at work.

    demo.py start [--port 8443]    (re)start it and print what clients see
    demo.py stop

It serves one vhost that requests client certificates and trusts 300 CAs,
twice: on PORT with the module's defaults, and on PORT+1 with TLSInterop
off, which is mod_ssl alone.
"""

import argparse
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import httpd as httpd_mod  # noqa: E402
from harness import http1, names, pki as pki_mod, tls, vhosts  # noqa: E402

DEMO_DIR = os.environ.get("TLSI_DEMO_DIR", "/tmp/tlsinterop-demo")
CA_COUNT = 300
IDLE = 3        # the demo vhosts' KeepAliveTimeout


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
    for name in os.listdir(server.path("logs")):
        os.remove(server.path("logs", name))
    body = vhosts.listen(port, plain)
    keepalive = "KeepAliveTimeout %d" % IDLE
    body += vhosts.ssl_vhost(port, server_cert, bundle, extra=keepalive)
    body += vhosts.ssl_vhost(plain, server_cert, bundle,
                             extra=keepalive + "\nTLSInterop off")
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
    for label, p in (("mod_ssl alone (TLSInterop off)", plain),
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
    show_connections(port, plain)
    print()
    print("Try it yourself:")
    print("  openssl s_client -connect 127.0.0.1:%d -msg </dev/null "
          "| grep CertificateRequest" % port)
    print("  tests/clients/splitcheck -v 127.0.0.1 %d" % plain)
    print("  curl -sk -D - -o /dev/null https://127.0.0.1:%d/index.html" % port)
    print("  tests/clients/ie6client -wait %d -path /index.html 127.0.0.1 %d"
          % (IDLE + 1, plain))
    print("Stop the demo server with: make demo-stop")


def connection_headers(port, agent):
    conn = http1.Conn(port)
    try:
        resp = conn.request(agent=agent, path="/index.html")
    finally:
        conn.close()
    said = ["%s: %s" % (k, v) for k, v in resp.headers
            if k.lower() in ("connection", "keep-alive")]
    return ", ".join(said) or "(no Connection or Keep-Alive header)"


def ie6(port):
    res = subprocess.run([os.path.join(tls.CLIENTS, "ie6client"), "-wait",
                          str(IDLE + 1), "-path", "/index.html", "127.0.0.1",
                          str(port)],
                         capture_output=True, text=True, timeout=60)
    return res.stdout.strip().splitlines()[-1]


def show_connections(port, plain):
    print("Response headers about the connection (KeepAliveTimeout %d):" % IDLE)
    for p in (plain, port):
        for name, agent in (("modern browser", http1.MODERN),
                            ("MSIE 6.0", http1.IE6)):
            print("  port %d, %-15s %s" % (p, name + ":",
                                            connection_headers(p, agent)))
    print()
    print("An emulated IE 6 (tests/clients/ie6client) that waits %d s, then"
          % (IDLE + 1))
    print("reuses a keep-alive connection, as IE 6 did:")
    with ThreadPoolExecutor(2) as pool:
        verdicts = list(pool.map(ie6, (plain, port)))
    for p, verdict in zip((plain, port), verdicts):
        print("  port %d: %s" % (p, verdict))


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
