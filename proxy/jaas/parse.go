// Package jaas turns a Kafka client's SASL settings, as Java clients and
// Confluent's proxy take them, into a franz-go SASL mechanism:
// sasl.mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER,
// AWS_MSK_IAM), the
// credentials of the JAAS login-module line in sasl.jaas.config, and for
// OAUTHBEARER either the client-credentials flow against
// sasl.oauthbearer.token.endpoint.url (tokens cached and refreshed before
// they expire) or Kafka's unsecured JWTs.
//
// franz-go's pkg/sasl packages do the protocol work. Errors name the
// setting at fault and never carry its value: a JAAS line holds passwords.
package jaas

import (
	"errors"
	"fmt"
	"strings"
)

// Module is one parsed JAAS login-module entry:
//
//	org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="…";
type Module struct {
	Class   string            // the login module's class name
	Flag    string            // required, requisite, sufficient or optional
	Options map[string]string // option name to value
}

// Parse reads a sasl.jaas.config value, which for a Kafka client holds
// exactly one login module. It follows Java's tokenizer (which Kafka's
// JaasConfig uses): double-quoted or bare values, backslash escapes in
// quotes, // and /* */ comments. Its errors say where the text is wrong but
// never quote it.
func Parse(s string) (Module, error) {
	p := parser{s: s}
	m, err := p.module()
	if err != nil {
		return m, err
	}
	p.skip()
	if !p.eof() {
		return m, errors.New("holds more than one login module; a Kafka client takes exactly one")
	}
	return m, nil
}

// ParseFile reads a JAAS configuration file (the file of
// -Djava.security.auth.login.config): named sections of login modules,
//
//	KafkaRest {
//	  org.eclipse.jetty.jaas.spi.PropertyFileLoginModule required file="/etc/krest/password.properties";
//	};
//
// Its errors say where the text is wrong but never quote it.
func ParseFile(s string) (map[string][]Module, error) {
	p := parser{s: s}
	out := map[string][]Module{}
	for {
		p.skip()
		if p.eof() {
			return out, nil
		}
		name, ok := p.word()
		if !ok || strings.HasSuffix(name, "{") {
			name = strings.TrimSuffix(name, "{")
			if name == "" {
				return nil, p.fail("a section name")
			}
			p.i--
		}
		p.skip()
		if p.peek() != '{' {
			return nil, p.fail("'{' after a section name")
		}
		p.i++
		var mods []Module
		for {
			p.skip()
			if p.peek() == '}' {
				p.i++
				break
			}
			if p.eof() {
				return nil, p.fail("'}' closing a section")
			}
			m, err := p.module()
			if err != nil {
				return nil, fmt.Errorf("section %d: %w", len(out)+1, err)
			}
			mods = append(mods, m)
		}
		p.skip()
		if p.peek() == ';' {
			p.i++
		}
		out[name] = mods
	}
}

// module reads one "class flag options;" entry.
func (p *parser) module() (Module, error) {
	m := Module{Options: map[string]string{}}
	var ok bool
	if m.Class, ok = p.word(); !ok {
		return m, p.fail("a login module class name")
	}
	if m.Flag, ok = p.word(); !ok {
		return m, p.fail("a control flag (required, requisite, sufficient or optional)")
	}
	switch strings.ToLower(m.Flag) {
	case "required", "requisite", "sufficient", "optional":
		m.Flag = strings.ToLower(m.Flag)
	default:
		return m, p.failAt("the control flag must be required, requisite, sufficient or optional")
	}
	for {
		p.skip()
		if p.peek() == ';' {
			p.i++
			break
		}
		if p.eof() {
			return m, p.fail("';' at the end of the login module")
		}
		name, ok := p.word()
		if !ok {
			return m, p.fail("an option name")
		}
		p.skip()
		if p.peek() != '=' {
			return m, p.fail("'=' after an option name")
		}
		p.i++
		v, ok := p.value()
		if !ok {
			return m, p.fail("a value for an option")
		}
		m.Options[name] = v
	}
	return m, nil
}

type parser struct {
	s   string
	i   int
	err error
}

func (p *parser) eof() bool { return p.i >= len(p.s) }

func (p *parser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.s[p.i]
}

// skip passes white space and comments.
func (p *parser) skip() {
	for !p.eof() {
		switch c := p.s[p.i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			p.i++
		case strings.HasPrefix(p.s[p.i:], "//"):
			if j := strings.IndexByte(p.s[p.i:], '\n'); j >= 0 {
				p.i += j + 1
			} else {
				p.i = len(p.s)
			}
		case strings.HasPrefix(p.s[p.i:], "/*"):
			if j := strings.Index(p.s[p.i+2:], "*/"); j >= 0 {
				p.i += j + 4
			} else {
				p.err = errors.New("a /* comment is not closed")
				p.i = len(p.s)
			}
		default:
			return
		}
	}
}

func isWordByte(c byte) bool {
	return c > ' ' && c != '=' && c != ';' && c != '"' && c != '\''
}

// word reads a bare token.
func (p *parser) word() (string, bool) {
	p.skip()
	start := p.i
	for !p.eof() && isWordByte(p.s[p.i]) && !strings.HasPrefix(p.s[p.i:], "//") && !strings.HasPrefix(p.s[p.i:], "/*") {
		p.i++
	}
	return p.s[start:p.i], p.i > start
}

// value reads a quoted string or a bare token.
func (p *parser) value() (string, bool) {
	p.skip()
	q := p.peek()
	if q != '"' && q != '\'' {
		return p.word()
	}
	p.i++
	var b strings.Builder
	for !p.eof() {
		c := p.s[p.i]
		p.i++
		switch {
		case c == q:
			return b.String(), true
		case c == '\\' && !p.eof():
			e := p.s[p.i]
			p.i++
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'f':
				b.WriteByte('\f')
			case 'b':
				b.WriteByte('\b')
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	p.err = errors.New("a quoted value is not closed")
	return "", false
}

// fail reports what was expected at the current position.
func (p *parser) fail(want string) error {
	if p.err != nil {
		return p.err
	}
	return fmt.Errorf("expected %s at character %d", want, p.i+1)
}

func (p *parser) failAt(msg string) error { return errors.New(msg) }
