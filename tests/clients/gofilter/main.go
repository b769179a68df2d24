// gofilter: a TLS client that picks its certificate the way Go's
// crypto/tls does, by the CA names the server advertises
// (CertificateRequestInfo.SupportsCertificate), then makes one request.
//
//	gofilter -addr 127.0.0.1:8443 -cert chain.pem -key key.pem [-tls 1.3]
//
// It prints "certificate: offered" or "certificate: not offered", then
// "status: <code>" and exits 0 if the server answered 200, else 1.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"net/http"
	"os"
	"time"
)

func main() {
	addr := flag.String("addr", "", "host:port to connect to")
	serverName := flag.String("servername", "localhost", "SNI and the name to verify")
	certFile := flag.String("cert", "", "PEM chain to offer: the leaf, then what the client presents")
	keyFile := flag.String("key", "", "the leaf's private key")
	caFile := flag.String("cafile", "", "CA that signed the server's certificate (none: do not verify)")
	version := flag.String("tls", "", "1.2 or 1.3 only")
	path := flag.String("path", "/", "path to request")
	flag.Parse()

	config := &tls.Config{ServerName: *serverName, InsecureSkipVerify: *caFile == ""}
	if *caFile != "" {
		pem, err := ioutil.ReadFile(*caFile) // os.ReadFile needs Go 1.16; Debian 11 has 1.15
		if err != nil {
			fail(err)
		}
		config.RootCAs = x509.NewCertPool()
		config.RootCAs.AppendCertsFromPEM(pem)
	}
	switch *version {
	case "1.2":
		config.MinVersion, config.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	case "1.3":
		config.MinVersion, config.MaxVersion = tls.VersionTLS13, tls.VersionTLS13
	}
	if *certFile != "" {
		chain, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			fail(err)
		}
		// What crypto/tls does with Config.Certificates, made visible.
		config.GetClientCertificate = func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			if err := cri.SupportsCertificate(&chain); err != nil {
				fmt.Printf("certificate: not offered (%v; %d CA names advertised)\n",
					err, len(cri.AcceptableCAs))
				return &tls.Certificate{}, nil
			}
			fmt.Printf("certificate: offered (%d CA names advertised)\n", len(cri.AcceptableCAs))
			return &chain, nil
		}
	}
	client := &http.Client{
		Timeout:   20 * time.Second,
		Transport: &http.Transport{TLSClientConfig: config, DisableKeepAlives: true},
	}
	resp, err := client.Get("https://" + *addr + *path)
	if err != nil {
		fmt.Printf("status: none (%v)\n", err)
		os.Exit(1)
	}
	defer resp.Body.Close()
	io.Copy(ioutil.Discard, resp.Body)
	fmt.Printf("status: %d\n", resp.StatusCode)
	if resp.StatusCode != http.StatusOK {
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gofilter:", err)
	os.Exit(2)
}
