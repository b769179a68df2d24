#!/usr/bin/python3
"""make demo: a private httpd on 127.0.0.1 that shows mod_tlsinterop at work.

    demo.py start [--port 8443]    (re)start it and print what clients see
    demo.py stop

It serves one vhost that requests client certificates and trusts 300 CAs,
twice: on PORT with the module's defaults, and on PORT+1 with TLSInterop
off, which is mod_ssl alone.  On PORT+2 a vhost that requires a client
certificate trusts a hierarchical bundle (12 roots, 240 intermediates):
there a Go client, which offers its certificate only when an advertised
name issued one in its chain, shows which clients the trimmed list
covers, and how learning covers one it did not.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests"))

from harness import httpd as httpd_mod  # noqa: E402
from harness import http1, names, pki as pki_mod, tls, vhosts  # noqa: E402

DEMO_DIR = os.environ.get("TLSI_DEMO_DIR", "/tmp/tlsinterop-demo")
CA_COUNT = 300
IDLE = 3        # the demo vhosts' KeepAliveTimeout
ROOTS = 12      # the hierarchical bundle: ROOTS roots,
PER_ROOT = 20   # each issuing PER_ROOT intermediates
PROBE = os.path.join(httpd_mod.REPO, "build", "bin", "tlsinterop-probe")


def apachectl(server, action):
    return subprocess.run([httpd_mod.APACHE2, "-f", server.conf_path, "-k", action],
                          capture_output=True, text=True,
                          env=httpd_mod.apache_env())


def stop(quiet=False):
    conf = os.path.join(DEMO_DIR, "httpd.conf")
    pidfile = os.path.join(DEMO_DIR, "run", "httpd.pid")
    if not os.path.exists(pidfile):
        if not quiet:
            print("No demo server is running.")
        return
    subprocess.run([httpd_mod.APACHE2, "-f", conf, "-k", "stop"],
                   capture_output=True, env=httpd_mod.apache_env())
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
    return pki, server, pki.bundle("trusted-cas.pem", cas)


class Hierarchy:
    """A client-auth bundle as enterprises and governments have: ROOTS
    roots with long names, each issuing PER_ROOT intermediates; their
    names take more than one TLS record.  The intermediate with the
    longest name, the first that trimming leaves out (after the roots,
    names go in mod_ssl's order, shortest first), issues the client
    certificate."""

    def __init__(self, pki):
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            self.roots = list(pool.map(
                lambda item: pki.ca("hier-root-%02d" % item[0], item[1]),
                enumerate(names.subjects(ROOTS, seed=4242))))
        plan = []
        for root in self.roots:
            subject = dict(root.subject)
            org = subject["O"]
            if len(org) > 40:       # CN holds 64 characters
                org = org[:41].rsplit(" ", 1)[0]
            for k in range(PER_ROOT):
                plan.append((root, [("C", subject["C"]), ("O", subject["O"]),
                                    ("OU", "Client Authentication"),
                                    ("CN", "%s Issuing CA %02d" % (org, k))]))
        longest = max(range(len(plan)),
                      key=lambda i: len(names.openssl_subject(plan[i][1])))
        root, subject = plan[longest]
        plan[longest] = (root, subject[:3]
                         + [("OU", "Remote Access Smart Cards")] + subject[3:])

        def make(i):
            issuer, subj = plan[i]
            key = None if i == longest else pki.filler_key()
            return pki.ca("hier-int-%03d" % i, subj, key=key, issuer=issuer)
        pki.filler_key()            # made once, before the threads share it
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            self.intermediates = list(pool.map(make, range(len(plan))))
        self.issuer = self.intermediates[longest]
        self.issuer_root = root
        self.client = pki.leaf("hier-client", [("O", dict(subject)["O"]),
                                               ("CN", "Demo Remote User")],
                               self.issuer, client=True)
        self.key = self.client.key
        self.leaf = self.client.path          # the leaf alone
        self.chain = pki.bundle("hier-client-chain.pem",
                                [self.client, self.issuer])
        self.cas = self.roots + self.intermediates
        self.bundle = pki.bundle("hier-cas.pem", self.cas)


def describe(cr):
    return "%3d names, %6d bytes" % (len(cr.names), cr.size)


def graceful(server):
    """apache2 -k graceful, then wait for the new generation."""
    before = server.error_log().count(httpd_mod.READY)
    res = apachectl(server, "graceful")
    if res.returncode != 0:
        sys.exit("graceful restart failed:\n%s%s" % (res.stdout, res.stderr))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.error_log().count(httpd_mod.READY) > before:
            return
        time.sleep(0.1)
    sys.exit("httpd did not restart within 60 s; see %s"
             % server.error_log_path)


def module_lines(log, port=None):
    """The module's messages in log, of the vhost on port, or of none."""
    out = []
    for line in log.splitlines():
        if "[tlsinterop:" not in line:
            continue
        message = line.split("] ", 3)[-1]
        vhost = "localhost:%d " % port if port else "localhost:"
        # after the message ID (TLSI0032: ...)
        body = re.sub(r"^TLSI\d{4}: ", "", message)
        if body.startswith(vhost) == bool(port):
            out.append(message)
    return out


def start(port):
    stop(quiet=True)
    # Learned names from an earlier run would cover the demo's client.
    shutil.rmtree(os.path.join(DEMO_DIR, "state"), ignore_errors=True)
    print("Generating a demo PKI: a server certificate, %d CAs, and %d root "
          "CAs with %d intermediates..." % (CA_COUNT, ROOTS, ROOTS * PER_ROOT))
    with ThreadPoolExecutor(1) as pool:
        go = pool.submit(tls.build_gofilter, os.path.join(DEMO_DIR, "go"))
        pki, server_cert, bundle = make_pki()
        hier = Hierarchy(pki)
        try:
            gofilter = go.result()
        except (RuntimeError, OSError) as e:
            sys.exit("could not build tests/clients/gofilter (make deps "
                     "installs golang-go): %s" % e)
    plain, hport = port + 1, port + 2
    server = httpd_mod.Httpd(DEMO_DIR, loglevel="notice")
    for name in os.listdir(server.path("logs")):
        os.remove(server.path("logs", name))
    body = vhosts.listen(port, plain, hport)
    keepalive = "KeepAliveTimeout %d" % IDLE
    body += vhosts.ssl_vhost(port, server_cert, bundle, extra=keepalive)
    body += vhosts.ssl_vhost(plain, server_cert, bundle,
                             extra=keepalive + "\nTLSInterop off")
    body += vhosts.ssl_vhost(hport, server_cert, hier.bundle, verify="require")
    server.write_config(body)
    with open(server.path("htdocs", "index.html"), "w") as f:
        f.write("mod_tlsinterop demo\n")
    res = apachectl(server, "start")
    if res.returncode != 0:
        sys.exit("httpd did not start:\n%s%s" % (res.stdout, res.stderr))
    for p in (port, plain, hport):
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
    log = server.error_log()
    for message in module_lines(log, port) + module_lines(log):
        print("  " + message)
    print()
    show_connections(port, plain)
    print()
    show_coverage(server, hport, hier, gofilter)
    print()
    print("Try it yourself:")
    print("  openssl s_client -connect 127.0.0.1:%d -msg </dev/null "
          "| grep CertificateRequest" % port)
    print("  build/bin/splitcheck -v 127.0.0.1 %d" % plain)
    print("  curl -sk -D - -o /dev/null https://127.0.0.1:%d/index.html" % port)
    print("  build/bin/ie6client -wait %d -path /index.html 127.0.0.1 %d"
          % (IDLE + 1, plain))
    print("  %s -addr 127.0.0.1:%d -cert %s -key %s -path /index.html"
          % (gofilter, hport, hier.leaf, hier.key))
    print("  build/bin/tlsinterop-probe -k --idle 0 --cert %s 127.0.0.1:%d"
          % (hier.leaf, hport))
    print("Stop the demo server with: make demo-stop")


def go_verdict(result):
    """What the Go client did, in a few words."""
    offered = "offered" if result.offered else "not offered"
    if result.ok:
        return "certificate %s, HTTP 200: authenticated" % offered
    status = [line for line in result.output.splitlines()
              if line.startswith("status: ")]
    why = status[-1][len("status: "):] if status else result.output.strip()
    if '": ' in why:                # none (Get "URL": the error)
        why = why.rsplit('": ', 1)[-1].rstrip(")")
    return "certificate %s, refused (%s)" % (offered, why)


def probe_cert(port, cert):
    """tlsinterop-probe --cert: (exit status, offered, the fix's names)."""
    res = subprocess.run([PROBE, "-k", "--idle", "0", "--json", "--cert", cert,
                          "127.0.0.1:%d" % port],
                         capture_output=True, text=True, timeout=60)
    try:
        report = json.loads(res.stdout)["client_certificate"]
    except (ValueError, KeyError, TypeError):
        return res.returncode, None, [(res.stdout + res.stderr).strip()]
    return res.returncode, report.get("offered"), report.get("fix") or []


def learned_entries(path, labels):
    """The entries of a learned file: "label (issued=N above=M)"."""
    out, counts = [], None
    with open(path) as f:
        for line in f:
            if line.startswith("TLSInteropLearned:"):
                counts = " ".join(line.split()[1:3])
            elif line.startswith("subject=") and counts:
                subject = line.strip()[len("subject="):]
                out.append("%s (%s)" % (labels.get(subject, subject), counts))
                counts = None
    return out


def show_coverage(server, hport, hier, gofilter):
    def log_line(log, text):
        found = [m for m in module_lines(log, hport) if text in m]
        return found[-1].split("): ", 1)[-1] if found else "(not logged)"

    learned = server.path("state", "tlsinterop", "localhost_%d.pem" % hport)
    cr = tls.certreq(hport, "1.3")
    roots = {r.rfc2253 for r in hier.roots}
    where = "the %d roots first" % ROOTS if set(cr.names[:ROOTS]) == roots \
        else "%d of the %d roots among them" % (len(roots & set(cr.names)),
                                                ROOTS)
    print("Port %d requires a client certificate and trusts %d CAs: %d roots"
          % (hport, len(hier.cas), ROOTS))
    print("and the %d intermediates they issued (%s)."
          % (len(hier.intermediates), hier.bundle))
    print("Go's crypto/tls (tests/clients/gofilter), like .NET and browsers,")
    print("offers its certificate only if an advertised CA name issued one in")
    print("the chain it presents. The module orders the list by coverage:")
    print("  CertificateRequest: %s, %s"
          % (" ".join(describe(cr).split()), where))
    print("  " + log_line(server.error_log(), "coverage of the"))
    print()
    print("A client certificate whose issuing CA is %s:"
          % ("not advertised" if hier.issuer.rfc2253 not in cr.names
             else "advertised (unexpected)"))
    print("  issuer: %s" % hier.issuer.rfc2253)

    def row(label, text):
        print("  %-20s%s" % (label, text))

    leaf = os.path.basename(hier.leaf)
    result = tls.gofilter(gofilter, hport, hier.chain, hier.key)
    row("1. covered:", "Go client presenting leaf + intermediate: %s"
        % go_verdict(result))
    row("", "(the intermediate's issuer, a root, is advertised)")
    result = tls.gofilter(gofilter, hport, hier.leaf, hier.key)
    row("2. uncovered:", "Go client presenting its leaf alone: %s"
        % go_verdict(result))
    status, offered, fix = probe_cert(hport, hier.leaf)
    row("", "tlsinterop-probe --cert %s: exit status %d, %s"
        % (leaf, status, "a client would offer it" if offered
           else "a client would NOT offer it; the fix, advertise:"))
    for name in ([] if offered else fix[:1]):
        row("", "  " + name)
    status, out, err = tls.curl("https://127.0.0.1:%d/index.html" % hport,
                                "-k", "--cert", hier.leaf, "--key", hier.key,
                                "-o", "/dev/null", "-w", "%{http_code}")
    row("3. learning:", "curl --cert %s (curl does not filter): %s"
        % (leaf, "HTTP %s" % out if status == 0
           else "failed: " + err.strip()))
    mark = len(server.error_log())
    graceful(server)
    if os.path.exists(learned):
        labels = {hier.issuer.rfc2253: "the issuing CA",
                  hier.issuer_root.rfc2253: "its root"}
        row("", "apachectl -k graceful; the module saved what it learned in")
        row("", "  " + learned)
        row("", "  " + ", ".join(learned_entries(learned, labels)))
    else:
        row("", "apachectl -k graceful; nothing learned: no file %s" % learned)
    cr = tls.certreq(hport, "1.3")
    row("", "CertificateRequest: %s, %s"
        % (" ".join(describe(cr).split()),
           "the issuing CA first" if cr.names[:1] == [hier.issuer.rfc2253]
           else "the issuing CA not first"))
    row("", log_line(server.error_log()[mark:], "coverage of the"))
    result = tls.gofilter(gofilter, hport, hier.leaf, hier.key)
    row("   after learning:", "Go client presenting its leaf alone: %s"
        % go_verdict(result))


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
