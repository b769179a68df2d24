"""The architecture holds: the core includes no httpd header, and every
hook is registered in the module's main file."""

import glob
import os
import re
import shutil
import subprocess

from harness.httpd import REPO

CORE = os.path.join(REPO, "mod_tlsinterop", "core")
CHECK = os.path.join(REPO, "tests", "check-core.sh")


def check_core(directory):
    res = subprocess.run([CHECK, directory], capture_output=True, text=True)
    return res.returncode, res.stdout + res.stderr


def test_the_core_includes_no_httpd_header():
    status, out = check_core(CORE)
    assert status == 0, out


def test_check_core_names_an_httpd_include(tmp_path):
    for path in glob.glob(os.path.join(CORE, "*.[ch]")):
        shutil.copy(path, tmp_path)
    with open(tmp_path / "tlsi_hint.c", "a") as f:
        f.write('\n#include "http_log.h"\n')
    status, out = check_core(str(tmp_path))
    assert status == 1, out
    assert "tlsi_hint.c" in out and "http_log.h" in out, out


def test_hooks_are_registered_in_the_main_file_only():
    registration = re.compile(r"\bap_hook_\w+\s*\(|APR_OPTIONAL_HOOK\s*\(")
    glue = glob.glob(os.path.join(REPO, "mod_tlsinterop", "*.c"))
    where = {os.path.basename(p) for p in glue
             if registration.search(open(p).read())}
    assert where == {"mod_tlsinterop.c"}, where
