"""The test harness's own promises: the error-log check reads every line a
server wrote, from its first start-up line, once; a crashed child leaves a
core file that the check turns into a backtrace; stop() lets workers finish
what they hold."""

import os
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from harness import httpd as httpd_mod
from harness.httpd import INSTANCES, Httpd, free_port
from harness.vhosts import listen

EMERG = ("[Mon Dec 07 03:00:00.000000 2026] [ssl:emerg] [pid 1:tid 1] "
         "AH02572: Failed to configure at least one certificate and key\n")
CRASH = ("[Mon Dec 07 03:00:01.000000 2026] [core:notice] [pid 1:tid 1] "
         "AH00052: child pid 7 exit signal Segmentation fault (11)\n")


def test_the_log_check_reads_from_the_first_line_once(tmp_path):
    server = Httpd(str(tmp_path / "h"))
    try:
        # Lines written before any check, as a module-scoped fixture's
        # server writes them at start-up before the first test's check.
        with open(server.error_log_path, "w") as f:
            f.write(EMERG)
        lines = server.unexpected_log_lines()
        assert len(lines) == 1 and "ssl:emerg" in lines[0], lines
        assert server.unexpected_log_lines() == []
        with open(server.error_log_path, "a") as f:
            f.write(CRASH)
        lines = server.unexpected_log_lines()
        assert len(lines) == 1 and "exit signal" in lines[0], lines
        # A log started afresh is read from its start again.
        server.new_log()
        with open(server.error_log_path, "w") as f:
            f.write(EMERG)
        assert len(server.unexpected_log_lines()) == 1
        # A declared line is not unexpected.
        with open(server.error_log_path, "a") as f:
            f.write(CRASH)
        server.expect_log(r"exit signal Segmentation fault")
        assert server.unexpected_log_lines() == []
    finally:
        INSTANCES.remove(server)


def test_a_crashed_child_leaves_a_core_the_check_reports(make_httpd):
    """A child killed by SIGSEGV is a crash line in the log, and its core
    file becomes a backtrace in the failure (where gdb is installed)."""
    server = make_httpd()
    server.write_index()
    server.start(listen(free_port()))
    server.expect_log(r"exit signal Segmentation fault")
    children = subprocess.run(["pgrep", "-P", str(server.proc.pid)],
                              capture_output=True, text=True).stdout.split()
    assert children
    os.kill(int(children[0]), signal.SIGSEGV)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "exit signal Segmentation" \
            not in server.error_log():
        time.sleep(0.1)
    assert "exit signal Segmentation fault" in server.error_log()
    reports = httpd_mod.crash_reports()
    if not reports:
        pytest.skip("this kernel's core_pattern sends core files elsewhere")
    assert "core file" in reports[0]
    if shutil.which("gdb"):
        assert "#0" in reports[0], reports[0]
    assert httpd_mod.crash_reports() == []


def test_stop_lets_a_request_in_flight_finish(make_httpd):
    """stop() is a graceful stop: a request still arriving when it begins
    gets its response.  An immediate stop (SIGTERM) closes the sockets the
    workers hold, and that is where httpd's event MPM crashes now and then
    (tests/README.md), with or without the module."""
    server = make_httpd()
    server.write_index()
    port = free_port()
    server.start(listen(port))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n")
        stopping = threading.Thread(target=server.stop)
        stopping.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(
                w in server.error_log() for w in ("AH00491", "AH00492")):
            time.sleep(0.05)
        assert "AH00492" in server.error_log()   # caught SIGWINCH
        sock.sendall(b"\r\n")
        reply = b""
        while True:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            reply += data
        stopping.join()
    assert reply.startswith(b"HTTP/1.1 200 "), reply[:200]
