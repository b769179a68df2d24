"""Many vhosts: the module's memory grows with the SSL vhosts, not with
all servers.  Its per-server hint tables were once sized by the number of
servers for every server: +80 MB for 2,000 plain vhosts, +183 MB for
3,000.  The bound here is generous (the module itself needs well under a
megabyte); what it catches is growth of that order.  Exact figures, side by
side, are in make bench (section 7)."""

import os

from harness import vhosts
from harness.httpd import Httpd, free_ports

VHOSTS = 3000
BOUND_KIB = 8 * 1024


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_memory_is_flat_in_the_number_of_vhosts(tmp_root, pki):
    rss = {}
    for module in (True, False):
        plain, ssl = free_ports(2)
        body = vhosts.listen(plain, ssl) + vhosts.ssl_vhost(
            ssl, pki.server, pki.bundle200, verify="optional")
        body += "".join("<VirtualHost 127.0.0.1:%d>\n    ServerName "
                        "v%05d.example\n    KeepAliveTimeout %d\n"
                        "</VirtualHost>\n" % (plain, n, 2 + n % 3)
                        for n in range(VHOSTS))
        server = Httpd(os.path.join(tmp_root, "scale-%s" % module),
                       load_module=module, loglevel="warn")
        try:
            server.start(body, timeout=120)
            rss[module] = rss_kib(server.proc.pid)
        finally:
            server.stop()
    assert rss[True] - rss[False] < BOUND_KIB, rss
