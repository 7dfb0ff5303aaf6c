package auth

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// credential is a stored password in one of the forms of Jetty's password
// files (plain, MD5:, OBF:, CRYPT:) or krest's additions (a bcrypt or an
// argon2id hash in their usual string forms).
type credential interface {
	check(password string) bool
}

// parseCredential reads the stored form of a password.
func parseCredential(s string) (credential, error) {
	switch {
	case strings.HasPrefix(s, "MD5:"):
		sum, err := hex.DecodeString(strings.ToLower(s[4:]))
		if err != nil || len(sum) != md5.Size {
			return nil, errors.New("an MD5: credential is not 32 hex digits")
		}
		return md5Credential(sum), nil
	case strings.HasPrefix(s, "OBF:"):
		plain, err := deobfuscate(s[4:])
		if err != nil {
			return nil, err
		}
		return plainCredential(plain), nil
	case strings.HasPrefix(s, "CRYPT:"):
		if len(s) != 6+13 {
			return nil, errors.New("a CRYPT: credential is not 13 characters of crypt(3)")
		}
		return cryptCredential(s[6:]), nil
	case strings.HasPrefix(s, "$2a$"), strings.HasPrefix(s, "$2b$"), strings.HasPrefix(s, "$2y$"):
		if _, err := bcrypt.Cost([]byte(s)); err != nil {
			return nil, fmt.Errorf("a bcrypt credential does not parse: %v", err)
		}
		return bcryptCredential(s), nil
	case strings.HasPrefix(s, "$argon2id$"):
		return parseArgon2(s)
	}
	return plainCredential(s), nil
}

type plainCredential string

func (c plainCredential) check(p string) bool {
	return subtle.ConstantTimeCompare([]byte(c), []byte(p)) == 1
}

type md5Credential []byte

func (c md5Credential) check(p string) bool {
	sum := md5.Sum([]byte(p))
	return subtle.ConstantTimeCompare(c, sum[:]) == 1
}

type bcryptCredential string

func (c bcryptCredential) check(p string) bool {
	return bcrypt.CompareHashAndPassword([]byte(c), []byte(p)) == nil
}

type cryptCredential string

func (c cryptCredential) check(p string) bool {
	return subtle.ConstantTimeCompare([]byte(c), []byte(unixCrypt(p, string(c[:2])))) == 1
}

// argon2Credential is "$argon2id$v=19$m=65536,t=3,p=4$salt$hash"
// (unpadded base64).
type argon2Credential struct {
	memory     uint32
	time       uint32
	threads    uint8
	salt, hash []byte
}

func parseArgon2(s string) (credential, error) {
	parts := strings.Split(s, "$")
	bad := errors.New(`an argon2id credential is not "$argon2id$v=19$m=…,t=…,p=…$salt$hash"`)
	if len(parts) != 6 || parts[2] != "v=19" {
		return nil, bad
	}
	var c argon2Credential
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return nil, bad
		}
		switch k {
		case "m":
			c.memory = uint32(n)
		case "t":
			c.time = uint32(n)
		case "p":
			c.threads = uint8(n)
		}
	}
	var err1, err2 error
	c.salt, err1 = base64.RawStdEncoding.DecodeString(parts[4])
	c.hash, err2 = base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || c.memory == 0 || c.time == 0 || c.threads == 0 || len(c.hash) == 0 || c.memory > 1<<22 {
		return nil, bad
	}
	return c, nil
}

func (c argon2Credential) check(p string) bool {
	got := argon2.IDKey([]byte(p), c.salt, c.time, c.memory, c.threads, uint32(len(c.hash)))
	return subtle.ConstantTimeCompare(got, c.hash) == 1
}

// deobfuscate reverses Jetty's Password.obfuscate (OBF:): a reversible
// encoding for passwords in configuration files, not encryption.
func deobfuscate(s string) (string, error) {
	bad := errors.New("an OBF: credential does not decode")
	var out []byte
	for i := 0; i < len(s); {
		if s[i] == 'U' {
			if i+5 > len(s) {
				return "", bad
			}
			n, err := strconv.ParseInt(s[i+1:i+5], 36, 32)
			if err != nil {
				return "", bad
			}
			out = append(out, byte(n>>8))
			i += 5
			continue
		}
		if i+4 > len(s) {
			return "", bad
		}
		n, err := strconv.ParseInt(s[i:i+4], 36, 32)
		if err != nil {
			return "", bad
		}
		out = append(out, byte((n/256+n%256-254)/2))
		i += 4
	}
	return string(out), nil
}
