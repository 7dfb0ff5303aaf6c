package kafkaerr

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestClassify(t *testing.T) {
	cert := &x509.Certificate{DNSNames: []string{"wrong.invalid"}}
	tests := []struct {
		name           string
		err            error
		authn, authz   bool
		wantMessage    string
		messageChecked bool
	}{
		{"sasl refused with the broker's message", fmt.Errorf("%w: %s", kerr.SaslAuthenticationFailed, "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512"),
			true, false, "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512", true},
		{"sasl refused bare", kerr.SaslAuthenticationFailed, true, false, kerr.SaslAuthenticationFailed.Description, true},
		{"mechanism not enabled", fmt.Errorf("wrapped: %w", kerr.UnsupportedSaslMechanism), true, false, "", false},
		{"wrong host", &tls.CertificateVerificationError{Err: x509.HostnameError{Certificate: cert, Host: "127.0.0.1"}},
			true, false, "SSL handshake failed: the broker's certificate is for wrong.invalid, not 127.0.0.1 (ssl.endpoint.identification.algorithm= turns host name verification off)", true},
		{"unknown authority", fmt.Errorf("unable to dial: %w", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}),
			true, false, "SSL handshake failed: the broker's certificate is not signed by a trusted authority (see ssl.truststore.*)", true},
		{"client certificate refused", &net.OpError{Op: "remote error", Err: errors.New("tls: certificate required")},
			true, false, "SSL handshake failed: the broker refused the handshake (tls: certificate required): check the client certificate (ssl.keystore.*)", true},
		{"plaintext listener", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"},
			true, false, "SSL handshake failed: the broker did not answer with TLS: is its listener PLAINTEXT or SASL_PLAINTEXT?", true},
		{"topic ACL", kerr.TopicAuthorizationFailed, false, true, kerr.TopicAuthorizationFailed.Description, true},
		{"group ACL", fmt.Errorf("join: %w", kerr.GroupAuthorizationFailed), false, true, "", false},
		{"broker gone", io.EOF, false, false, "", false},
		{"first read EOF is not taken for a refusal", &kgo.ErrFirstReadEOF{}, false, false, "", false},
		{"retriable", kerr.NotLeaderForPartition, false, false, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsAuthentication(tt.err); got != tt.authn {
				t.Errorf("IsAuthentication = %v", got)
			}
			if got := IsAuthorization(tt.err); got != tt.authz {
				t.Errorf("IsAuthorization = %v", got)
			}
			if tt.messageChecked {
				if got := Message(tt.err); got != tt.wantMessage {
					t.Errorf("Message\n got %q\nwant %q", got, tt.wantMessage)
				}
			}
		})
	}
}

func TestWatch(t *testing.T) {
	w := NewWatch()
	failed := w.Failed()
	w.OnBrokerConnect(kgo.BrokerMetadata{}, 0, nil, io.EOF) // a network error is not a refusal
	select {
	case <-failed:
		t.Fatal("woken by a network error")
	default:
	}
	if w.Err() != nil {
		t.Fatal("Err set by a network error")
	}
	w.OnBrokerConnect(kgo.BrokerMetadata{}, 0, nil, kerr.SaslAuthenticationFailed)
	select {
	case <-failed:
	default:
		t.Fatal("not woken by a refusal")
	}
	if !errors.Is(w.Err(), kerr.SaslAuthenticationFailed) {
		t.Fatalf("Err = %v", w.Err())
	}
	next := w.Failed()
	if next == failed {
		t.Fatal("Failed returns the closed channel again")
	}
	w.OnBrokerConnect(kgo.BrokerMetadata{}, 0, nil, nil)
	if w.Err() != nil {
		t.Fatal("Err kept after a successful connection")
	}
}
