"""Load and faults: wrk with 256 connections for 60 s mixing legacy and
modern User-Agents, and graceful restarts under a client that honours
Connection, Keep-Alive and close_notify without retrying.

Each test prints its figures (run pytest with -s to see them); the
Reliability section of docs/operations.md reports them.
"""

import os
import random
import re
import select
import subprocess
import threading
import time

import pytest

from harness import http1, vhosts
from harness.http1 import IE6, MODERN
from harness.httpd import SANITIZE, free_port

LOAD_SECONDS = int(os.environ.get("TLSI_LOAD_SECONDS", "60"))
CONNECTIONS = 256
IDLE = 5

# Every fourth request comes from a legacy agent, whose connection closes.
MIXED_AGENTS_LUA = """
local agents = { "%s", "%s" }
local n = 0
request = function()
    n = n + 1
    local agent = agents[(n %% 4 == 0) and 2 or 1]
    return wrk.format(nil, nil, { ["User-Agent"] = agent })
end
""" % (MODERN, IE6)


@pytest.fixture(scope="module")
def loaded(make_module_httpd, pki):
    port = free_port()
    server = make_module_httpd(loglevel="warn")
    # Workers for every connection: the MPM then never closes keep-alive
    # connections early because it ran out of them.
    body = ("StartServers 6\nServerLimit 8\nThreadsPerChild 64\n"
            "MaxRequestWorkers 512\nMinSpareThreads 384\n"
            "MaxSpareThreads 512\n")
    body += vhosts.listen(port) + vhosts.ssl_vhost(
        port, pki.server, verify=None, extra="KeepAliveTimeout %d" % IDLE)
    with open(server.path("htdocs", "small.html"), "w") as f:
        f.write("x" * 256)
    server.start(body)
    return server, port


def children(server):
    """{pid: resident set in KiB} of the parent's children, from /proc."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid != server.proc.pid:
                continue
            with open("/proc/%s/status" % entry) as f:
                rss = re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M)
        except (OSError, IndexError, ValueError):
            continue
        if rss:
            found[int(entry)] = int(rss.group(1))
    return found


def run_honest_clients(port, count, think):
    stop = threading.Event()
    clients = [HonestClient(port, stop, think) for _ in range(count)]
    for c in clients:
        c.start()
    return stop, clients


def stop_honest_clients(stop, clients):
    stop.set()
    for c in clients:
        c.join(30)
    return (sum(c.sent for c in clients), sum(c.failed for c in clients),
            sum(c.reconnects for c in clients),
            sorted(f for c in clients for f in c.failures))


def test_256_connections_for_60_seconds(loaded, tmp_path):
    """wrk counts a "read" socket error whenever httpd closes a keep-alive
    connection wrk was about to reuse: wrk honours neither Keep-Alive nor
    close_notify, and does the same against httpd without the module.  The
    server has a worker for every connection, so the MPM has no reason to
    close one early.  Alongside wrk, clients that do honour the headers and
    close_notify run for the whole minute."""
    server, port = loaded
    script = tmp_path / "mixed.lua"
    script.write_text(MIXED_AGENTS_LUA)
    # Warm up, so that every child has its threads, pools and TLS state.
    subprocess.run(["wrk", "-t2", "-c%d" % CONNECTIONS, "-d3s", "-s",
                    str(script), "https://127.0.0.1:%d/small.html" % port],
                   capture_output=True, timeout=60)
    rss_start = children(server)
    stop, honest = run_honest_clients(port, 8, (0.005, 0.05))
    wrk = subprocess.Popen(
        ["wrk", "-t2", "-c%d" % CONNECTIONS, "-d%ds" % LOAD_SECONDS,
         "--timeout", "10s", "-s", str(script),
         "https://127.0.0.1:%d/small.html" % port],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    # Memory once the children have settled, and at the end.
    time.sleep(LOAD_SECONDS / 3)
    rss_settled = children(server)
    out, _ = wrk.communicate(timeout=LOAD_SECONDS + 120)
    rss_end = children(server)
    sent, failed, _, failures = stop_honest_clients(stop, honest)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), "
                       r"write (\d+), timeout (\d+)", out)
    connect, read, write, timeout = (int(x) for x in errors.groups()) \
        if errors else (0, 0, 0, 0)
    both = sorted(set(rss_start) & set(rss_settled) & set(rss_end))
    growth = [rss_end[p] - rss_settled[p] for p in both]
    print("\nload: wrk %d requests in %d s over %d connections, non-2xx %s, "
          "socket errors connect %d, write %d, timeout %d, read %d (%.3f %%); "
          "honouring clients %d requests, %d failed; children's RSS (KiB) "
          "at start %s, after %d s %s, at end %s"
          % (requests, LOAD_SECONDS, CONNECTIONS, bad.group(1) if bad else 0,
             connect, write, timeout, read, 100.0 * read / max(requests, 1),
             sent, failed, [rss_start[p] for p in both], LOAD_SECONDS // 3,
             [rss_settled[p] for p in both], [rss_end[p] for p in both]))
    assert wrk.returncode == 0, out
    assert requests > 1000, out
    assert bad is None, out
    assert (connect, write, timeout) == (0, 0, 0), out
    assert read < requests / 100, out
    # A client that honours the headers and close_notify fails only where
    # httpd closes an idle keep-alive connection just as a request is on
    # its way (the MPM's housekeeping): rare, and on a reused connection.
    # The rate of that race depends on the machine's load, so the bound is
    # loose (1 %); what must hold on any machine is that every failure is
    # on a reused connection.
    assert sent > 1000, failures
    assert all(reused for _, reused, _ in failures), failures
    assert failed <= sent / 100, failures
    assert both, "no child lived through the run: %s %s" % (rss_start, rss_end)
    # Stable once settled: a leak of even 100 bytes a request would add
    # megabytes over the last 40 s.  (ASan holds freed memory back on
    # purpose, so under make test SANITIZE=1 its RSS says nothing.)
    assert SANITIZE or max(growth) < 2 * 1024, (rss_settled, rss_end)
    log = server.error_log()
    assert not re.search(r"exit signal|\[core:(crit|alert|emerg)\]", log), \
        log[-3000:]


class HonestClient(threading.Thread):
    """Sends requests on a keep-alive connection the way a careful client
    does, without ever retrying: a new connection when the response said
    close, when the advertised idle timeout has passed, or when the server's
    close_notify has arrived (the socket turned readable)."""

    def __init__(self, port, stop, think):
        super().__init__(daemon=True)
        self.port, self.stop, self.think = port, stop, think
        self.conn = None
        self.deadline = 0
        self.sent = self.failed = self.reconnects = 0
        self.failures = []          # (monotonic time, reused?, error)

    def usable(self):
        if self.conn is None or time.monotonic() >= self.deadline:
            return False
        readable, _, _ = select.select([self.conn.sock], [], [], 0)
        return not readable

    def run(self):
        agents = [MODERN, MODERN, MODERN, IE6]
        while not self.stop.is_set():
            if not self.usable():
                if self.conn is not None:
                    self.conn.close()
                    self.reconnects += 1
                try:
                    self.conn = http1.Conn(self.port)
                except OSError as e:
                    # The server should never refuse a connection.
                    self.failures.append((time.monotonic(), False,
                                          "connect: %r" % e))
                    self.failed += 1
                    self.conn = None
                    time.sleep(0.05)
                    continue
                self.deadline = time.monotonic() + IDLE
                self.fresh = True
            self.sent += 1
            try:
                resp = self.conn.request(agent=random.choice(agents),
                                         path="/small.html")
                assert resp.status == 200, resp
            except (OSError, EOFError, AssertionError) as e:
                self.failures.append((time.monotonic(), not self.fresh,
                                      repr(e)))
                self.failed += 1
                self.conn.close()
                self.conn = None
                continue
            self.fresh = False
            timeout = re.match(r"timeout=(\d+)", resp.get("Keep-Alive") or "")
            if "close" in resp.connection_tokens() or not timeout:
                self.conn.close()
                self.conn = None
            else:
                self.deadline = time.monotonic() + int(timeout.group(1))
            time.sleep(random.uniform(*self.think))


def test_graceful_restarts_under_load(loaded):
    """Five graceful restarts while 16 honouring clients, retries off, send
    requests.  What fails is only the race httpd's graceful restart leaves:
    the old child closes its idle keep-alive connections at once (with
    close_notify), and a request already on its way on one of them meets
    the close.  Such a failure is on a reused connection, within moments
    of a restart; a client that retries an idempotent request once after a
    close on a reused connection (RFC 9112, 9.3.1) recovers from each."""
    server, port = loaded
    stop, clients = run_honest_clients(port, 16, (0.005, 0.05))
    time.sleep(1)
    restarts = []       # (signalled, new generation ready)
    for _ in range(5):
        signalled = time.monotonic()
        server.graceful()
        restarts.append((signalled, time.monotonic()))
        time.sleep(3)
    sent, failed, reconnects, failures = stop_honest_clients(stop, clients)
    # A restart's closes come after its signal and are over soon after the
    # new generation is ready: a second's margin holds on two busy cores,
    # and still leaves two seconds between restarts where a failure would
    # be one the module caused.
    late = [f for f in failures if not f[1] or not any(
        signalled <= f[0] < ready + 1.0 for signalled, ready in restarts)]
    print("\ngraceful x5: %d requests from 16 clients, %d new connections, "
          "%d failed (each on a reused connection during a restart; %d "
          "otherwise)" % (sent, reconnects, failed, len(late)))
    assert sent > 500
    assert not late, late
    # At most one in-flight request per client per restart can meet a close.
    assert failed <= 16 * 5
