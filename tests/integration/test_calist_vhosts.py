"""Trimming per name-based vhost, and afresh on every restart."""

import shutil
import time

from harness import tls, vhosts
from harness.httpd import free_port

RECORD = tls.RECORD


def names_of(certs):
    return {c.rfc2253 for c in certs}


def test_sni_vhosts_each_advertise_their_own_list(make_httpd, pki):
    port = free_port()
    body = vhosts.listen(port)
    body += vhosts.ssl_vhost(port, pki.server, pki.bundle200, servername="a.test")
    body += vhosts.ssl_vhost(port, pki.server, pki.bundle60, servername="b.test",
                             extra="TLSInteropCAListLimit 4096")
    body += vhosts.ssl_vhost(port, pki.server, pki.bundle_alt, servername="c.test",
                             extra="TLSInteropCAListLimit off")
    make_httpd().start(body)

    for version in ("1.2", "1.3"):
        a = tls.certreq(port, version, "a.test")
        b = tls.certreq(port, version, "b.test")
        c = tls.certreq(port, version, "c.test")
        assert a.size <= RECORD and set(a.names) < names_of(pki.list200)
        assert b.size <= 4096 and set(b.names) < names_of(pki.list60)
        assert len(b.names) < len(a.names)
        # c.test asked for no trimming: all 150 names, well over a record.
        assert c.size > RECORD and set(c.names) == names_of(pki.list_alt)
        # Without SNI the first vhost on the address answers.
        assert tls.certreq(port, version).names == a.names


def wait_for_names(port, expected_pool, timeout=10):
    """The names a new connection sees, once they come from expected_pool
    (old children may serve a connection or two after a restart)."""
    deadline = time.monotonic() + timeout
    while True:
        cr = tls.certreq(port, "1.2")
        if set(cr.names) <= expected_pool or time.monotonic() > deadline:
            return cr
        time.sleep(0.2)


def test_graceful_and_full_restarts_trim_afresh(make_httpd, pki):
    port = free_port()
    server = make_httpd()
    live = server.path("live-bundle.pem")
    shutil.copy(pki.bundle200, live)
    body = vhosts.listen(port) + vhosts.ssl_vhost(port, pki.server, live)
    server.start(body)
    first = tls.certreq(port, "1.2")
    assert first.size <= RECORD and set(first.names) < names_of(pki.list200)

    # A graceful restart with a different bundle of 150 CAs.
    shutil.copy(pki.bundle_alt, live)
    server.graceful()
    second = wait_for_names(port, names_of(pki.list_alt))
    assert set(second.names) < names_of(pki.list_alt)
    assert second.size <= RECORD
    assert second.names != first.names

    # A full restart with a bundle that fits: nothing carried over.
    shutil.copy(pki.bundle60, live)
    server.restart()
    third = wait_for_names(port, names_of(pki.list60))
    assert set(third.names) == names_of(pki.list60)
    assert server.error_log().count("CA list trimmed from 150 names") == 1
