package main

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
)

// loadCellRoots reads the certificate authorities of --cell-ca-file: the
// PEM CERTIFICATE blocks of path (other blocks, such as a key, are
// skipped). A file that cannot be read, holds no certificate or a
// certificate that does not parse is refused.
func loadCellRoots(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--cell-ca-file: %w; give a readable PEM file of the CA certificates the cells' certificates are issued by", err)
	}
	pool := x509.NewCertPool()
	n := 0
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("--cell-ca-file %s: certificate %d: %w; give PEM certificates as openssl writes them", path, n+1, err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("--cell-ca-file %s holds no PEM certificate (-----BEGIN CERTIFICATE-----); give the CA certificates the cells' certificates are issued by", path)
	}
	return pool, nil
}
