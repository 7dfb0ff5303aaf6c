package keystore

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// ReloadCheck is how often a server re-checks its key store file.
const ReloadCheck = time.Second

// Server returns the configuration of a TLS server (an https listener)
// from the ssl.* keys: its certificate from the key store, re-read when the
// store's file changes (checked at most every ReloadCheck, so certificates
// rotate without a restart; a store that no longer loads leaves the old
// certificate in place), the trust store as the CAs of client certificates,
// ssl.enabled.protocols and ssl.cipher.suites. The caller sets ClientAuth.
func Server(get Lookup, now time.Time) (*tls.Config, error) {
	pair, _, err := KeyPair(get, now)
	if err != nil {
		return nil, err
	}
	if pair == nil {
		return nil, errors.New("an https listener needs a key store: set ssl.keystore.location (or ssl.keystore.certificate.chain and ssl.keystore.key)")
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if err := Protocols(get, cfg); err != nil {
		return nil, err
	}
	if err := CipherSuites(get, cfg); err != nil {
		return nil, err
	}
	if cfg.ClientCAs, _, err = Trust(get, now); err != nil {
		return nil, err
	}
	r := &reloader{get: get, cert: pair}
	if path, _, ok := get("ssl.keystore.location"); ok && path != "" {
		r.path = path
		r.stamp, _ = stat(path)
	}
	cfg.GetCertificate = r.certificate
	return cfg, nil
}

// reloader serves the key store's certificate, reloading it when the file
// changes.
type reloader struct {
	get  Lookup
	path string

	mu      sync.Mutex
	cert    *tls.Certificate
	stamp   string
	checked time.Time
}

func (r *reloader) certificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.path == "" || time.Since(r.checked) < ReloadCheck {
		return r.cert, nil
	}
	r.checked = time.Now()
	stamp, err := stat(r.path)
	if err != nil || stamp == r.stamp {
		return r.cert, nil
	}
	if pair, _, err := KeyPair(r.get, time.Now()); err == nil && pair != nil {
		r.cert, r.stamp = pair, stamp
	}
	return r.cert, nil
}

// stat identifies a version of a file by its modification time and size.
func stat(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d/%d", fi.ModTime().UnixNano(), fi.Size()), nil
}
