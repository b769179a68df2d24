"""The test harness's own promises: the error-log check reads every line a
server wrote, from its first start-up line, once."""

from harness.httpd import INSTANCES, Httpd

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
