package jwt

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/MicahParks/jwkset"
)

// errUnsupportedKey is a public key of a type no accepted algorithm uses.
var errUnsupportedKey = errors.New("unsupported public key type")

// publicKey turns an RSA or ECDSA public key into an RS256 or ES256 Key and
// checks it (checkKey). Every public key the package uses, from a PEM file
// or a JWKS, goes through it, so the key's type decides its algorithm.
func publicKey(id string, pub any) (Key, error) {
	var k Key
	switch p := pub.(type) {
	case *rsa.PublicKey:
		k = Key{ID: id, Alg: RS256, Key: p}
	case *ecdsa.PublicKey:
		k = Key{ID: id, Alg: ES256, Key: p}
	default:
		return Key{}, fmt.Errorf("%w %T; want RSA or P-256", errUnsupportedKey, pub)
	}
	if err := checkKey(k); err != nil {
		return Key{}, err
	}
	return k, nil
}

// ParsePublicKeyPEM reads one PEM "PUBLIC KEY" (PKIX) block holding an RSA
// or P-256 key and returns it as an RS256 or ES256 Key with the given id.
func ParsePublicKeyPEM(id string, data []byte) (Key, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PUBLIC KEY" {
		return Key{}, errors.New("no PEM \"PUBLIC KEY\" block")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return Key{}, fmt.Errorf("parsing public key: %w", err)
	}
	return publicKey(id, pub)
}

// ParseJWKS reads the RS256 and ES256 signing keys of a JWKS document, with
// jwkset, by the rule the JWKS cache applies. Keys of other types, for
// other uses or algorithms, are skipped; a malformed or weak key of a
// supported type is an error.
func ParseJWKS(data []byte) ([]Key, error) {
	var doc jwkset.JWKSMarshal
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	var keys []Key
	for i, m := range doc.Keys {
		if m.USE != "" && m.USE != jwkset.UseSig {
			continue
		}
		var alg string
		switch {
		case m.KTY == jwkset.KtyRSA:
			alg = RS256
		case m.KTY == jwkset.KtyEC && m.CRV == jwkset.CrvP256:
			alg = ES256
		default:
			continue
		}
		if m.ALG != "" && m.ALG.String() != alg {
			continue
		}
		j, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
		if err != nil {
			return nil, fmt.Errorf("jwks: keys[%d]: %w", i, err)
		}
		k, err := publicKey(m.KID, j.Key())
		if err != nil {
			return nil, fmt.Errorf("jwks: keys[%d]: %w", i, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}
