"""Config snippets for the private httpd."""


def listen(*ports):
    return "".join("Listen 127.0.0.1:%d\n" % p for p in ports)


def ssl_vhost(port, server_cert, ca_file=None, extra="", servername="localhost",
              verify="optional"):
    """An SSL vhost that asks for client certificates.

    ca_file is SSLCACertificateFile: both the trust store and, unless extra
    says otherwise, the advertised CA names.
    """
    lines = [
        "<VirtualHost 127.0.0.1:%d>" % port,
        "    ServerName %s" % servername,
        "    SSLEngine on",
        "    SSLCertificateFile %s" % server_cert.path,
        "    SSLCertificateKeyFile %s" % server_cert.key,
    ]
    if ca_file:
        lines.append("    SSLCACertificateFile %s" % ca_file)
    if verify:
        lines += ["    SSLVerifyClient %s" % verify, "    SSLVerifyDepth 3"]
    lines += ["    " + line for line in extra.strip().splitlines()]
    lines.append("</VirtualHost>")
    return "\n".join(lines) + "\n"
