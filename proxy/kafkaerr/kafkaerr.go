// Package kafkaerr classifies the failures of franz-go clients that krest
// reports apart from other Kafka errors: authentication failures (SASL
// refused, a TLS handshake that fails either way) and authorization
// failures (ACLs), as the Java client's AuthenticationException and
// AuthorizationException. It also watches a client's connections, because
// franz-go keeps retrying some of these failures (a produce to a topic it
// has no metadata for waits out its whole deadline) where the Java client
// gives up.
package kafkaerr

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// IsAuthentication reports whether err is an authentication failure:
// SASL refused by the broker or a failed TLS handshake.
func IsAuthentication(err error) bool {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke == kerr.SaslAuthenticationFailed || ke == kerr.IllegalSaslState || ke == kerr.UnsupportedSaslMechanism
	}
	return tlsFailure(err) != ""
}

// IsAuthorization reports whether err is an ACL refusal.
func IsAuthorization(err error) bool {
	var ke *kerr.Error
	if !errors.As(err, &ke) {
		return false
	}
	switch ke {
	case kerr.TopicAuthorizationFailed, kerr.GroupAuthorizationFailed, kerr.ClusterAuthorizationFailed,
		kerr.TransactionalIDAuthorizationFailed, kerr.DelegationTokenAuthorizationFailed:
		return true
	}
	return false
}

// Message describes an authentication or authorization failure for the
// HTTP client: the broker's own message when it sent one, else Kafka's
// description of the code; for TLS, what failed in the handshake.
func Message(err error) string {
	if m := tlsFailure(err); m != "" {
		return m
	}
	var ke *kerr.Error
	if !errors.As(err, &ke) {
		return err.Error()
	}
	// franz-go writes a broker's message as "<code>: <description>: <message>".
	s := err.Error()
	if i := strings.Index(s, ke.Error()+": "); i >= 0 {
		if m := s[i+len(ke.Error())+2:]; m != "" {
			return m
		}
	}
	return ke.Description
}

// tlsFailure describes a failed TLS handshake, or returns "".
func tlsFailure(err error) string {
	var (
		host x509.HostnameError
		auth x509.UnknownAuthorityError
		inv  x509.CertificateInvalidError
		rec  tls.RecordHeaderError
		op   *net.OpError
	)
	const prefix = "SSL handshake failed: "
	switch {
	case errors.As(err, &host):
		names := append([]string{}, host.Certificate.DNSNames...)
		for _, ip := range host.Certificate.IPAddresses {
			names = append(names, ip.String())
		}
		if len(names) == 0 {
			names = []string{host.Certificate.Subject.CommonName}
		}
		return fmt.Sprintf("%sthe broker's certificate is for %s, not %s (ssl.endpoint.identification.algorithm= turns host name verification off)", prefix, strings.Join(names, ", "), host.Host)
	case errors.As(err, &auth):
		return prefix + "the broker's certificate is not signed by a trusted authority (see ssl.truststore.*)"
	case errors.As(err, &inv):
		return prefix + "the broker's certificate is not valid: " + inv.Error()
	case errors.As(err, &rec):
		return prefix + "the broker did not answer with TLS: is its listener PLAINTEXT or SASL_PLAINTEXT?"
	case errors.As(err, &op) && op.Op == "remote error":
		return prefix + "the broker refused the handshake (" + op.Err.Error() + "): check the client certificate (ssl.keystore.*)"
	}
	return ""
}

// Watch is a franz-go hook that tracks whether a client's connections fail
// authentication. Install it with kgo.WithHooks; Failed wakes callers when
// the next connection attempt is refused.
type Watch struct {
	mu     sync.Mutex
	last   error // the latest authentication failure, nil once a connection succeeds
	failed chan struct{}
}

// NewWatch returns a Watch.
func NewWatch() *Watch { return &Watch{failed: make(chan struct{})} }

var _ kgo.HookBrokerConnect = (*Watch)(nil)

// OnBrokerConnect implements kgo.HookBrokerConnect: franz-go calls it after
// every connection attempt, TLS handshake and SASL included.
func (w *Watch) OnBrokerConnect(_ kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case err == nil:
		w.last = nil
	case IsAuthentication(err):
		w.last = err
		close(w.failed)
		w.failed = make(chan struct{})
	}
}

// Failed returns a channel closed at the next authentication failure.
func (w *Watch) Failed() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failed
}

// Err returns the latest authentication failure, or nil if a connection
// has succeeded since.
func (w *Watch) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last
}
