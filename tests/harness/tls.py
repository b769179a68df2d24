"""Real TLS clients: openssl s_client, curl, and our own C clients."""

import os
import re
import subprocess

from .httpd import REPO

# The C clients, as make builds them (sources in tests/clients).
CLIENTS = os.path.join(REPO, "build", "bin")
CERTREQ = re.compile(r"^<<< (TLS 1\.[0-3]), Handshake \[length ([0-9a-f]+)\], "
                     r"CertificateRequest", re.M)
VERSION_FLAGS = {"1.2": "-tls1_2", "1.3": "-tls1_3"}
# The versions every CertificateRequest test covers.
VERSIONS = ["1.2", "1.3"]
# The most plaintext one TLS record carries (RFC 8446 5.1).
RECORD = 16384


class CertReq:
    """What a CertificateRequest held, as s_client saw it."""

    def __init__(self, size, names):
        self.size = size            # whole message, header included
        self.names = names          # RFC 2253 text, in order

    def __repr__(self):
        return "CertReq(size=%d, names=%d)" % (self.size, len(self.names))


# The certificate_request_context of a TLS 1.3 post-handshake
# CertificateRequest (OpenSSL's): a budget holds that request too.
PHA_CONTEXT = 32


# How an OpenSSL-based client (curl, splitcheck, s_client) reports that the
# server refused its certificate, or its lack of one: a fatal alert, in the
# handshake (TLS 1.2) or at the first read (TLS 1.3).  Any other failure
# (a refused port, a timeout, a split message) is not a refusal.
CERT_REFUSAL = re.compile(r"alert (unknown ca|certificate required|bad "
                          r"certificate|certificate unknown|handshake "
                          r"failure)", re.I)


def refused_certificate(output):
    """Whether output shows the server refusing the client's certificate."""
    return bool(CERT_REFUSAL.search(output))


def budgeted_size(crs):
    """The size a budget must hold for {version: CertReq} measured in the
    handshake: TLS 1.3's post-handshake request is PHA_CONTEXT larger."""
    return max(cr.size + (PHA_CONTEXT if version == "1.3" else 0)
               for version, cr in crs.items())


def s_client(port, version=None, servername=None, args=(), stdin=b"",
             timeout=20):
    cmd = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
           "-nameopt", "RFC2253"]
    if version:
        cmd.append(VERSION_FLAGS[version])
    if servername:
        cmd += ["-servername", servername]
    cmd += list(args)
    res = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout)
    return res.returncode, res.stdout.decode(errors="replace"), \
        res.stderr.decode(errors="replace")


def ca_names(output):
    """The names under "Acceptable client certificate CA names"."""
    lines = output.splitlines()
    try:
        start = lines.index("Acceptable client certificate CA names") + 1
    except ValueError:
        return []
    names = []
    for line in lines[start:]:
        if line.startswith(("Requested Signature", "Client Certificate Types",
                            "Shared Requested", "---")):
            break
        names.append(line)
    return names


SERVER_MESSAGE = re.compile(r"^<<< (TLS 1\.[0-3]), Handshake \[length ([0-9a-f]+)\]"
                            r", (\w+)", re.M)


def server_messages(port, version, servername=None, args=()):
    """{message name: size} for the server's handshake messages."""
    _, out, _ = s_client(port, version, servername, ["-msg", *args])
    return {name: int(size, 16) for _, size, name in SERVER_MESSAGE.findall(out)}


def certreq(port, version, servername=None, args=(), timeout=20):
    """Connect, and report the CertificateRequest the server sent."""
    _, out, err = s_client(port, version, servername, ["-msg", *args],
                           timeout=timeout)
    found = CERTREQ.findall(out)
    if not found:
        raise AssertionError("no CertificateRequest seen:\n%s\n%s"
                             % (out[-3000:], err[-2000:]))
    seen_version, size = found[0]
    assert seen_version == "TLS " + version, seen_version
    return CertReq(int(size, 16), ca_names(out))


def splitcheck(port, version=None, servername=None, args=()):
    """Our client that refuses split handshake messages: (status, output)."""
    cmd = [os.path.join(CLIENTS, "splitcheck")]
    if version:
        cmd.append(VERSION_FLAGS[version])
    if servername:
        cmd += ["-servername", servername]
    cmd += list(args) + ["127.0.0.1", str(port)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    return res.returncode, res.stdout + res.stderr


def curl(url, *args, timeout=20):
    """curl -sS; returns (status, stdout, stderr)."""
    res = subprocess.run(["curl", "-sS", "--max-time", str(timeout), *args, url],
                         capture_output=True, text=True, timeout=timeout + 5)
    return res.returncode, res.stdout, res.stderr


GOFILTER_SRC = os.path.join(REPO, "tests", "clients", "gofilter", "main.go")


def build_gofilter(directory):
    """Build tests/clients/gofilter with Debian's Go; returns its path."""
    os.makedirs(directory, exist_ok=True)
    out = os.path.join(directory, "gofilter")
    env = dict(os.environ, GOCACHE=os.path.join(directory, "cache"),
               GOPATH=os.path.join(directory, "gopath"), GO111MODULE="off", HOME=directory, CGO_ENABLED="0")
    res = subprocess.run(["go", "build", "-o", out, GOFILTER_SRC],
                         capture_output=True, text=True, timeout=600, env=env)
    if res.returncode != 0:
        raise RuntimeError("go build failed:\n" + res.stdout + res.stderr)
    return out


class GoResult:
    def __init__(self, status, output):
        self.status = status
        self.output = output
        self.offered = "certificate: offered" in output
        self.ok = status == 0 and "status: 200" in output

    def __repr__(self):
        return "GoResult(%d, %r)" % (self.status, self.output)


def gofilter(binary, port, cert, key, version=None, servername="localhost",
             path="/index.html"):
    """Run the Go client with a certificate chain file (leaf first)."""
    cmd = [binary, "-addr", "127.0.0.1:%d" % port, "-servername", servername,
           "-cert", cert, "-key", key, "-path", path]
    if version:
        cmd += ["-tls", version]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    return GoResult(res.returncode, res.stdout + res.stderr)
