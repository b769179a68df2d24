"""Certificates and CA bundles made at run time with the openssl command.

Filler CAs, which only lend their names to a bundle, share one key so a
bundle of hundreds is quick to make.  CAs that issue test certificates get
keys of their own.
"""

import os
import secrets
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

from . import der, names

OPENSSL = "openssl"


def run(*args, stdin=None):
    res = subprocess.run([OPENSSL, *args], input=stdin, capture_output=True)
    if res.returncode != 0:
        raise RuntimeError("openssl %s failed: %s"
                           % (" ".join(args), res.stderr.decode(errors="replace")))
    return res.stdout


class Cert:
    def __init__(self, path, key, subject):
        self.path = path
        self.key = key
        self.subject = subject          # list of (attribute, value)

    @property
    def pem(self):
        with open(self.path, "rb") as f:
            return f.read()

    @property
    def name_wire_len(self):
        return der.name_wire_len(der.pem_certs(self.pem)[0])

    @property
    def rfc2253(self):
        return names.rfc2253(self.subject)


class Pki:
    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self._filler_key = None
        self._filler_lock = threading.Lock()

    def path(self, name):
        return os.path.join(self.dir, name)

    def key(self, name, kind="ec"):
        """A new key file, written whole before anyone can read it."""
        path = self.path(name + ".key")
        if kind == "rsa":
            run("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                "-out", path + ".tmp")
        else:
            run("genpkey", "-algorithm", "EC", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-out", path + ".tmp")
        os.replace(path + ".tmp", path)
        return path

    def _certificate(self, name, key, subject, issuer, days, extensions):
        """Write name.pem: subject's certificate for key with extensions
        (lines of an OpenSSL extension section), signed by issuer or
        self-signed.  Only commands that OpenSSL 1.1.1 has too: a request,
        then x509 -req (req -x509 -CA is 3.0 only)."""
        path = self.path(name + ".pem")
        ext = self.path(name + ".ext")
        with open(ext, "w") as f:
            f.write("subjectKeyIdentifier = hash\n")
            if issuer is not None:
                f.write("authorityKeyIdentifier = keyid:always\n")
            f.write("".join(line + "\n" for line in extensions))
        csr = run("req", "-new", "-key", key,
                  "-subj", names.openssl_subject(subject))
        run("x509", "-req", "-days", str(days), "-sha256",
            "-set_serial", str(secrets.randbits(63)), "-extfile", ext,
            "-out", path,
            *(["-CA", issuer.path, "-CAkey", issuer.key] if issuer is not None
              else ["-signkey", key]),
            stdin=csr)
        os.unlink(ext)
        return Cert(path, key, subject)

    def ca(self, name, subject, key=None, issuer=None, kind="ec"):
        """A CA certificate; self-signed unless issuer is given."""
        key = key or self.key(name, kind)
        return self._certificate(name, key, subject, issuer, 3650, [
            "basicConstraints = critical,CA:TRUE",
            "keyUsage = critical,keyCertSign,cRLSign"])

    def leaf(self, name, subject, issuer, dns=(), client=False, days=30,
             kind="ec"):
        """A server (dns names) or client certificate signed by issuer, or
        self-signed when issuer is None."""
        key = self.key(name, kind)
        extensions = ["basicConstraints = critical,CA:FALSE",
                      "extendedKeyUsage = "
                      + ("clientAuth" if client else "serverAuth")]
        if dns:
            extensions.append("subjectAltName = "
                              + ",".join("DNS:" + d for d in dns))
        return self._certificate(name, key, subject, issuer, days, extensions)

    def filler_key(self):
        """The key that CAs which only lend their names share; made once,
        also when worker threads ask for it at the same time."""
        with self._filler_lock:
            if self._filler_key is None:
                self._filler_key = self.key("filler")
        return self._filler_key

    def filler_cas(self, prefix, subjects):
        """Self-signed CAs for the given subjects, sharing one key."""
        self.filler_key()

        def make(item):
            index, subject = item
            return self.ca("%s-%04d" % (prefix, index), subject,
                           key=self._filler_key)
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            return list(pool.map(make, enumerate(subjects)))

    def bundle(self, name, certs):
        """A PEM file holding certs in order."""
        path = self.path(name)
        with open(path, "wb") as out:
            for cert in certs:
                out.write(cert.pem)
        return path
