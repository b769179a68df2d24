"""HTTP/1.x over TLS with Python's ssl module, byte for byte under our control.

Unlike http.client it never closes or retries on its own, and it tells how
the server ended the connection: with a close_notify alert, with a bare
TCP FIN (an unclean close: "unexpected eof while reading"), or with a reset.
"""

import os
import socket
import ssl
import time

IE6 = "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)"
MODERN = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def client_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    # Python 3.10 and later set this by default with OpenSSL 3, which makes
    # a bare EOF look like a close_notify: the very difference these tests
    # look for.  (OpenSSL 1.1.1 and Python 3.9 have no such option.)
    ctx.options &= ~getattr(ssl, "OP_IGNORE_UNEXPECTED_EOF", 0)
    return ctx


class Response:
    def __init__(self, status_line, headers, body):
        self.status_line = status_line
        self.status = int(status_line.split()[1])
        self.headers = headers          # list of (name, value), as sent
        self.body = body

    def get_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def get(self, name):
        values = self.get_all(name)
        return ", ".join(values) if values else None

    def connection_tokens(self):
        value = self.get("Connection") or ""
        return {t.strip().lower() for t in value.split(",") if t.strip()}

    def __repr__(self):
        return "Response(%r, %r)" % (self.status_line, self.headers)


class Conn:
    def __init__(self, port, servername="localhost", timeout=20):
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock = client_context().wrap_socket(
            raw, server_hostname=servername, suppress_ragged_eofs=False)
        self.servername = servername
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        self.sock.sendall(data)

    def request(self, method="GET", path="/index.html", agent=MODERN,
                headers=(), body=b"", version="HTTP/1.1"):
        lines = ["%s %s %s" % (method, path, version),
                 "Host: %s" % self.servername]
        if agent is not None:
            lines.append("User-Agent: %s" % agent)
        lines += ["%s: %s" % h for h in headers]
        if body:
            lines.append("Content-Length: %d" % len(body))
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        return self.read_response(head_only=(method == "HEAD"))

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed")
        self.buf += data

    def read_head(self):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = [tuple(x.strip() for x in line.split(":", 1)) for line in lines[1:]]
        return lines[0], headers

    def read_exactly(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _read_chunked(self):
        body = b""
        while True:
            while b"\r\n" not in self.buf:
                self._fill()
            size_line, self.buf = self.buf.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                while b"\r\n\r\n" not in b"\r\n" + self.buf:
                    self._fill()
                self.buf = (b"\r\n" + self.buf).split(b"\r\n\r\n", 1)[1]
                return body
            body += self.read_exactly(size)
            self.read_exactly(2)

    def read_response(self, head_only=False):
        status_line, headers = self.read_head()
        resp = Response(status_line, headers, b"")
        if head_only or resp.status in (204, 304) or resp.status < 200:
            return resp
        if "chunked" in (resp.get("Transfer-Encoding") or "").lower():
            resp.body = self._read_chunked()
        elif resp.get("Content-Length") is not None:
            resp.body = self.read_exactly(int(resp.get("Content-Length")))
        else:
            resp.body = self.read_until_close()[1]
        return resp

    def read_until_close(self, timeout=20):
        """Read to the end: ("close_notify" | "eof" | "reset" | "timeout",
        data, seconds waited)."""
        start = time.monotonic()
        self.sock.settimeout(timeout)
        data, self.buf = self.buf, b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return "close_notify", data, time.monotonic() - start
                data += chunk
        except ssl.SSLError as e:
            if isinstance(e, ssl.SSLEOFError) \
                    or e.reason == "UNEXPECTED_EOF_WHILE_READING":
                return "eof", data, time.monotonic() - start
            raise
        except (ConnectionResetError, BrokenPipeError):
            return "reset", data, time.monotonic() - start
        except socket.timeout:
            return "timeout", data, time.monotonic() - start

    def tcp_closed_within(self, seconds):
        """After a close_notify: does the server's FIN follow within seconds
        (it is not waiting for ours)?"""
        raw = socket.socket(fileno=os.dup(self.sock.fileno()))
        try:
            raw.settimeout(seconds)
            return raw.recv(1, socket.MSG_PEEK) == b""
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
        finally:
            raw.close()     # the duplicate only

    def send_close_notify(self):
        self.sock.unwrap()
