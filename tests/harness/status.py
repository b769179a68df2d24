"""mod_status's server-status page, where the module shows its counters."""

import re
import time
import urllib.request


def vhost(port, extra=""):
    """Config for a plain-HTTP vhost on port that serves /server-status
    (and what extra adds)."""
    return """<VirtualHost 127.0.0.1:%d>
    ServerName admin.test
    <Location "/server-status">
        SetHandler server-status
    </Location>%s
</VirtualHost>
""" % (port, extra)


def page(port, path="/server-status?auto"):
    url = "http://127.0.0.1:%d%s" % (port, path)
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.read().decode()


def counters(port):
    """{(counter, vhost or None for the total): value} from ?auto."""
    values = {}
    for line in page(port).splitlines():
        m = re.match(r"TLSInterop(\w+)(?:\[(.+)\])?: (\d+)$", line)
        if m:
            values[(m.group(1), m.group(2))] = int(m.group(3))
    return values


def vhost_counters(port, vhost_port):
    """The counters of the vhost on vhost_port (any host name), by name."""
    return {name: value for (name, vhost), value in counters(port).items()
            if vhost and vhost.endswith(":%d" % vhost_port)}


def settled(read, expected, timeout=10):
    """read() once it returns expected, or its last value after timeout
    seconds.  For a counter of something the client has already seen
    happen: OpenSSL calls the server's info callback for an alert after
    writing it, so a refused client can ask before the count is made."""
    deadline = time.monotonic() + timeout
    value = read()
    while value != expected and time.monotonic() < deadline:
        time.sleep(0.05)
        value = read()
    return value
