package keystore

import (
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"sort"

	jks "github.com/pavlo-v-chernykh/keystore-go/v4"
	"github.com/youmark/pkcs8"
	"software.sslmate.com/src/go-pkcs12"
)

// format is the encoding of a store, read from its content.
type format int

const (
	formatPKCS12 format = iota
	formatJKS
	formatPEM
)

const jksMagic = 0xFEEDFEED

func sniff(data []byte) format {
	switch {
	case len(data) >= 4 && binary.BigEndian.Uint32(data) == jksMagic:
		return formatJKS
	case bytes.Contains(data, []byte("-----BEGIN")):
		return formatPEM
	}
	return formatPKCS12
}

// errWrongPassword is the message for every failed integrity check or
// decryption, since the libraries cannot tell a wrong password from a
// damaged file.
func errWrongPassword(passName string) error {
	return fmt.Errorf("wrong password (%s) or a damaged store", passName)
}

// trustCertificates reads the trusted certificates of a JKS, PKCS12 or PEM
// trust store.
func trustCertificates(data []byte, pass, passName string) ([]*x509.Certificate, error) {
	switch sniff(data) {
	case formatPEM:
		return pemCertificates(data)
	case formatJKS:
		ks, err := loadJKS(data, pass, passName)
		if err != nil {
			return nil, err
		}
		var out []*x509.Certificate
		for _, alias := range ks.Aliases() {
			e, err := ks.GetTrustedCertificateEntry(alias)
			if err != nil {
				continue // a key entry: Java's trust manager uses trusted entries only
			}
			c, err := x509.ParseCertificate(e.Certificate.Content)
			if err != nil {
				return nil, fmt.Errorf("entry %q does not parse: %w", alias, err)
			}
			out = append(out, c)
		}
		return out, nil
	}
	certs, err := pkcs12.DecodeTrustStore(data, pass)
	if err == nil {
		return certs, nil
	}
	if errors.Is(err, pkcs12.ErrIncorrectPassword) || errors.Is(err, pkcs12.ErrDecryption) {
		return nil, errWrongPassword(passName)
	}
	// A PKCS12 file made by openssl marks no certificate as trusted: take
	// the chain of its key entry, as a trust store of its CA.
	if _, cert, cas, chainErr := pkcs12.DecodeChain(data, pass); chainErr == nil {
		return append([]*x509.Certificate{cert}, cas...), nil
	}
	return nil, fmt.Errorf("not a readable PKCS12 trust store: %v", err)
}

// storeKeyPair reads the private key and its chain from a JKS, PKCS12 or
// PEM key store. The key password defaults to the store password, as in
// Java.
func storeKeyPair(data []byte, pass, passName, keyPass, keyPassName string) (*tls.Certificate, error) {
	switch sniff(data) {
	case formatPEM:
		return pemKeyPair(data, keyPass, keyPassName)
	case formatJKS:
		return jksKeyPair(data, pass, passName, keyPass, keyPassName)
	}
	key, cert, cas, err := pkcs12.DecodeChain(data, pass)
	if err != nil && keyPass != "" && keyPass != pass {
		key, cert, cas, err = pkcs12.DecodeChain(data, keyPass)
	}
	switch {
	case errors.Is(err, pkcs12.ErrIncorrectPassword), errors.Is(err, pkcs12.ErrDecryption):
		return nil, errWrongPassword(passName)
	case err != nil && bytes.Contains([]byte(err.Error()), []byte("private key")):
		return nil, errors.New("holds no private key: a key store needs the client's key and certificate")
	case err != nil:
		return nil, fmt.Errorf("not a readable PKCS12 key store: %v", err)
	}
	pair := &tls.Certificate{PrivateKey: key, Certificate: [][]byte{cert.Raw}}
	for _, c := range cas {
		pair.Certificate = append(pair.Certificate, c.Raw)
	}
	return pair, checkKeyMatches(pair)
}

func loadJKS(data []byte, pass, passName string) (jks.KeyStore, error) {
	ks := jks.New()
	if err := ks.Load(bytes.NewReader(data), []byte(pass)); err != nil {
		if bytes.Contains([]byte(err.Error()), []byte("digest")) {
			return ks, errWrongPassword(passName)
		}
		return ks, fmt.Errorf("not a readable JKS store: %v", err)
	}
	return ks, nil
}

func jksKeyPair(data []byte, pass, passName, keyPass, keyPassName string) (*tls.Certificate, error) {
	ks, err := loadJKS(data, pass, passName)
	if err != nil {
		return nil, err
	}
	var aliases []string
	for _, a := range ks.Aliases() {
		if ks.IsPrivateKeyEntry(a) {
			aliases = append(aliases, a)
		}
	}
	if len(aliases) == 0 {
		return nil, errors.New("holds no private key: a key store needs the client's key and certificate")
	}
	sort.Strings(aliases)
	if keyPass == "" {
		keyPass, keyPassName = pass, passName
	}
	e, err := ks.GetPrivateKeyEntry(aliases[0], []byte(keyPass))
	if err != nil {
		return nil, fmt.Errorf("key %q: %w", aliases[0], errWrongPassword(keyPassName))
	}
	key, err := x509.ParsePKCS8PrivateKey(e.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("key %q is not a PKCS#8 private key: %v", aliases[0], err)
	}
	pair := &tls.Certificate{PrivateKey: key}
	for _, c := range e.CertificateChain {
		pair.Certificate = append(pair.Certificate, c.Content)
	}
	if len(pair.Certificate) == 0 {
		return nil, fmt.Errorf("key %q has no certificate", aliases[0])
	}
	return pair, checkKeyMatches(pair)
}

// pemCertificates reads every CERTIFICATE block of data.
func pemCertificates(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return out, nil
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("a PEM certificate does not parse: %v", err)
		}
		out = append(out, c)
	}
}

// pemKeyPair reads a PEM private key (PKCS#8, encrypted with keyPass or
// not, or the traditional PKCS#1 and SEC 1 forms) and its certificate chain.
func pemKeyPair(data []byte, keyPass, keyPassName string) (*tls.Certificate, error) {
	pair := &tls.Certificate{}
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		switch b.Type {
		case "CERTIFICATE":
			pair.Certificate = append(pair.Certificate, b.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			if keyPass == "" {
				return nil, fmt.Errorf("the private key is encrypted: set %s", keyPassName)
			}
			key, err := pkcs8.ParsePKCS8PrivateKey(b.Bytes, []byte(keyPass))
			if err != nil {
				return nil, fmt.Errorf("the private key does not decrypt: %w", errWrongPassword(keyPassName))
			}
			pair.PrivateKey = key
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			key, err := parsePlainKey(b)
			if err != nil {
				return nil, err
			}
			pair.PrivateKey = key
		}
	}
	switch {
	case pair.PrivateKey == nil:
		return nil, errors.New("holds no private key: a key store needs the client's key and certificate")
	case len(pair.Certificate) == 0:
		return nil, errors.New("holds no certificate for its private key")
	}
	return pair, checkKeyMatches(pair)
}

func parsePlainKey(b *pem.Block) (crypto.PrivateKey, error) {
	var key crypto.PrivateKey
	var err error
	switch b.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	default:
		key, err = x509.ParseECPrivateKey(b.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("the %s does not parse: %v", b.Type, err)
	}
	return key, nil
}

// checkKeyMatches verifies that the first certificate is the private key's.
func checkKeyMatches(pair *tls.Certificate) error {
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return fmt.Errorf("the certificate does not parse: %v", err)
	}
	pub, ok := pair.PrivateKey.(interface{ Public() crypto.PublicKey })
	if !ok {
		return errors.New("unsupported private key type")
	}
	eq, ok := pub.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !eq.Equal(leaf.PublicKey) {
		return fmt.Errorf("the private key does not belong to certificate %q", leaf.Subject.String())
	}
	return nil
}
