"""Every bad directive argument fails apache2 -t, naming the directive, the
file and line, and what is accepted."""

import os
import re
import subprocess

import pytest

from harness import vhosts
from harness.httpd import APACHE2, apache_env, free_port
from harness.root import needs_root

LIMIT_ACCEPTS = "use auto, none, off, or a whole number of bytes from 256 to 16384"
PREFER_HINT = "it must hold the PEM certificates"


@pytest.fixture(scope="module")
def files(tmp_root):
    d = os.path.join(tmp_root, "bad-files")
    os.makedirs(d, exist_ok=True)

    def write(name, text):
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write(text)
        return path
    return {
        "dir": d,
        "empty": write("empty.pem", ""),
        "text": write("text.pem", "not a certificate\n"),
        "garbage": write("garbage.pem", "-----BEGIN CERTIFICATE-----\n"
                         "bm90IGEgY2VydA==!!\n-----END CERTIFICATE-----\n"),
        "key": write("key.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n"
                     "-----END PRIVATE KEY-----\n"),
    }


BAD_LIMITS = ["abc", "255", "16385", "-1", "0", "4k", "0x1000", "1e4", "yes",
              "99999999999999999999999", "on"]


def check_fails(server, body, directive, *expected, at=None):
    """apache2 -t fails naming directive, and the file and line of the
    first config line holding at (default: the directive)."""
    status, out = server.configtest(body)
    assert status != 0, out
    assert directive in out, out
    # httpd names the file and line of the offending directive.
    line = next(i for i, text in enumerate(open(server.conf_path), 1)
                if (at or directive) in text
                and not text.lstrip().startswith("#"))
    assert re.search(r"line %d of %s" % (line, re.escape(server.conf_path)), out), out
    for text in expected:
        assert text in out, out


@pytest.mark.parametrize("value", BAD_LIMITS)
def test_bad_ca_limit_value(make_httpd, value):
    server = make_httpd()
    check_fails(server, "TLSInteropCAListLimit %s\n" % value,
                "TLSInteropCAListLimit", "'%s' is not valid" % value,
                LIMIT_ACCEPTS)


@pytest.mark.parametrize("args", ["", '""', "auto 4096"])
def test_ca_limit_takes_one_argument(make_httpd, args):
    server = make_httpd()
    check_fails(server, "TLSInteropCAListLimit %s\n" % args,
                "TLSInteropCAListLimit", "takes one argument",
                "auto|<bytes>|none|off")


def test_ca_limit_in_a_vhost_is_checked_too(make_httpd, pki):
    server = make_httpd()
    port = free_port()
    body = vhosts.listen(port) + vhosts.ssl_vhost(
        port, pki.server, pki.bundle200, extra="TLSInteropCAListLimit 99999")
    check_fails(server, body, "TLSInteropCAListLimit", LIMIT_ACCEPTS)


@pytest.mark.parametrize("kind,why", [
    ("missing", "cannot read"),
    ("dir", "is not a regular file"),
    ("empty", "holds no PEM certificate"),
    ("text", "holds no PEM certificate"),
    ("key", "holds no PEM certificate"),
    ("garbage", "holds a malformed PEM certificate"),
])
def test_bad_prefer_file(make_httpd, files, kind, why):
    path = files.get(kind, os.path.join(files["dir"], "missing.pem"))
    server = make_httpd()
    check_fails(server, "TLSInteropCAListPrefer %s\n" % path,
                "TLSInteropCAListPrefer", why, "'%s'" % path, PREFER_HINT)


@pytest.mark.parametrize("directive", ["TLSInteropKeepAliveMargin",
                                       "TLSInteropCAListPrefer"])
@pytest.mark.parametrize("args", ['""', "1 2"])
def test_one_argument_directives(make_httpd, directive, args):
    server = make_httpd()
    check_fails(server, "%s %s\n" % (directive, args), directive,
                "takes one argument")


@needs_root("setpriv runs apache2 -t as www-data, as root reads any file")
def test_unreadable_prefer_file(make_httpd, files):
    """root reads any file, so the check runs as www-data, as a
    non-root admin's apache2ctl -t would."""
    path = os.path.join(files["dir"], "unreadable.pem")
    with open(path, "w") as f:
        f.write("-----BEGIN CERTIFICATE-----\n")
    os.chmod(path, 0)
    server = make_httpd()
    server.write_config("TLSInteropCAListPrefer %s\n" % path)
    res = subprocess.run(["setpriv", "--reuid=www-data", "--regid=www-data",
                          "--clear-groups", APACHE2, "-t", "-f",
                          server.conf_path], capture_output=True, text=True,
                         timeout=60, env=apache_env())
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    assert re.search(r"line \d+ of %s" % re.escape(server.conf_path), out), out
    assert "TLSInteropCAListPrefer: cannot open '%s'" % path in out, out
    assert "Permission denied" in out and PREFER_HINT in out, out


@pytest.mark.parametrize("lines,at,expected", [
    (["TLSInteropCAListLimit off", "TLSInteropCAListPrefer {bundle}"],
     "TLSInteropCAListPrefer", ["conflicts with TLSInteropCAListLimit off",
                                "auto or a number of bytes"]),
    (["TLSInteropCAListPrefer {bundle}", "TLSInteropCAListLimit none"],
     "TLSInteropCAListLimit", ["TLSInteropCAListLimit none: conflicts with "
                               "TLSInteropCAListPrefer",
                               "use auto or a number of bytes"]),
    (["TLSInteropLegacyAgent Bot", "TLSInteropLegacyAgent none"],
     "TLSInteropLegacyAgent none", ["conflicts with the rules above it"]),
    (['TLSInteropLegacyAgent "MSIE [2-6]\\."',
      'TLSInteropLegacyAgent "MSIE [2-6]\\." shutdown=unclean'],
     "shutdown=unclean", ["is already listed in this context "
                          "(with shutdown=standard)"]),
])
def test_conflicting_directives(make_httpd, pki, lines, at, expected):
    """Two directives in one context that cannot both hold: the second
    fails, named with its file and line."""
    server = make_httpd()
    body = "\n".join(lines).format(bundle=pki.bundle60) + "\n"
    check_fails(server, body, at.split()[0] if at.startswith("TLS")
                else "TLSInteropLegacyAgent", *expected, at=at)


def test_the_same_directives_in_different_contexts_pass(make_httpd, pki):
    server = make_httpd()
    port = free_port()
    body = "TLSInteropCAListLimit off\nTLSInteropLegacyAgent Bot\n"
    body += vhosts.listen(port) + vhosts.ssl_vhost(
        port, pki.server, pki.bundle60, extra="""
        TLSInteropCAListLimit 8192
        TLSInteropCAListPrefer %s
        TLSInteropLegacyAgent none""" % pki.bundle60)
    status, out = server.configtest(body)
    assert status == 0, out


def test_prefer_takes_a_file(make_httpd):
    server = make_httpd()
    check_fails(server, "TLSInteropCAListPrefer\n", "TLSInteropCAListPrefer",
                "takes one argument")


@pytest.mark.parametrize("directive", ["TLSInteropCAListLimit auto",
                                       "TLSInteropCAListPrefer /dev/null",
                                       "TLSInteropLegacyAgent none",
                                       "TLSInteropKeepAliveMargin 1",
                                       "TLSInteropCAListFitFragment off",
                                       "TLSInterop on"])
def test_not_allowed_in_directory_context(make_httpd, directive):
    server = make_httpd()
    body = '<Directory "/">\n    %s\n</Directory>\n' % directive
    check_fails(server, body, directive.split()[0],
                "not allowed in <Directory> context")


@pytest.mark.parametrize("args,expected", [
    ('"("', ["invalid regular expression '('", "missing closing parenthesis"]),
    ('"MSIE [2-6"', ["invalid regular expression 'MSIE [2-6'"]),
    ('"(?<bad"', ["invalid regular expression '(?<bad'"]),
    ("Bot shutdown=bogus", ["'shutdown=bogus' is not valid",
                            "shutdown=standard, shutdown=accurate or "
                            "shutdown=unclean"]),
    ("Bot fast", ["'fast' is not valid", "shutdown=standard"]),
    ("none shutdown=unclean", ["none takes no option"]),
    ("", ["takes 1-2 arguments", "<regex> [shutdown=standard|accurate|unclean]"]),
    ('""', ["takes 1-2 arguments", "<regex> [shutdown=standard|accurate|unclean]"]),
    ('"" shutdown=unclean', ["takes 1-2 arguments"]),
    ("Bot shutdown=unclean extra", ["takes 1-2 arguments"]),
    ('"' + "(" * 5000 + '"', ["invalid regular expression"]),
])
def test_bad_legacy_agent(make_httpd, args, expected):
    server = make_httpd()
    check_fails(server, "TLSInteropLegacyAgent %s\n" % args,
                "TLSInteropLegacyAgent", *expected)


@pytest.mark.parametrize("value", ["abc", "-1", "3601", "1.5", "1s", "on",
                                   "99999999999999999999999", "auto"])
def test_bad_keepalive_margin(make_httpd, value):
    server = make_httpd()
    check_fails(server, "TLSInteropKeepAliveMargin %s\n" % value,
                "TLSInteropKeepAliveMargin", "'%s' is not valid" % value,
                "use off, or a whole number of seconds from 0 to 3600")


@pytest.mark.parametrize("directive", ["TLSInterop", "TLSInteropCAListFitFragment"])
@pytest.mark.parametrize("value", ["maybe", "1", ""])
def test_bad_flag(make_httpd, directive, value):
    server = make_httpd()
    check_fails(server, "%s %s\n" % (directive, value), directive,
                "must be On or Off")


def test_good_values_pass(make_httpd, pki):
    server = make_httpd()
    port = free_port()
    body = "TLSInteropCAListLimit 12288\nTLSInteropKeepAliveMargin 0\n"
    body += 'TLSInteropLegacyAgent "MSIE [2-6]\\." shutdown=unclean\n'
    body += vhosts.listen(port)
    body += vhosts.ssl_vhost(port, pki.server, pki.bundle200, extra="""
        TLSInterop off
        TLSInteropCAListFitFragment off
        TLSInteropCAListLimit 4096
        TLSInteropCAListPrefer %s
        TLSInteropLegacyAgent none
        TLSInteropLegacyAgent "^$" shutdown=accurate
        TLSInteropLegacyAgent "(?i)curl/" SHUTDOWN=Standard
        TLSInteropKeepAliveMargin off""" % pki.bundle60)
    status, out = server.configtest(body)
    assert status == 0, out
    assert "Syntax OK" in out


@pytest.mark.parametrize("args,expected", [
    ("nss 511", "512 to 131071 bytes, or off"),
    ("nss 131072", "512 to 131071 bytes, or off"),
    ("boringssl lots", "512 to 131071 bytes, or off"),
    ("T13D1516H2 32768", "boringssl, nss, a JA4 fingerprint"),
    ("t13d1516h2_8daaf6152771_e5627efa2ab1x 32768", "a JA4 fingerprint"),
    ("java! 32768", "a JA4 fingerprint"),
])
def test_bad_client_class(make_httpd, args, expected):
    server = make_httpd()
    check_fails(server, "TLSInteropClientClass %s\n" % args,
                "TLSInteropClientClass", expected)


@pytest.mark.parametrize("args", ["nss", "nss 32768 extra"])
def test_client_class_takes_two_arguments(make_httpd, args):
    server = make_httpd()
    check_fails(server, "TLSInteropClientClass %s\n" % args,
                "TLSInteropClientClass", "takes two arguments")


def test_good_client_classes(make_httpd):
    status, out = make_httpd().configtest(
        "TLSInteropClientClass nss off\n"
        "TLSInteropClientClass boringssl 65536\n"
        "TLSInteropClientClass t13d1516h2_8daaf6152771_e5627efa2ab1 32768\n"
        "TLSInteropClientClass t12i 20000\n")
    assert status == 0, out
