"""Test harness for mod_tlsinterop: PKI, a private httpd, and TLS clients."""
