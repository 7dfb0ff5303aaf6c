package auth

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/krest-dev/krest/proxy/jaas"
)

// propertyFileModules are the login modules whose "file" option names a
// Jetty password file: Jetty 9's and later Jetty's class names.
var propertyFileModules = map[string]bool{
	"org.eclipse.jetty.jaas.spi.PropertyFileLoginModule":          true,
	"org.eclipse.jetty.security.jaas.spi.PropertyFileLoginModule": true,
}

// user is one entry of a password file.
type user struct {
	cred  credential
	roles []string
}

// passwordFile is a Jetty password file, "user: password[,role…]" per
// line, re-read when it changes (checked at most every ReloadCheck).
type passwordFile struct {
	path string

	mu      sync.Mutex
	users   map[string]user
	decoy   credential // the costliest credential of users, for unknown names
	gen     uint64     // counts the reads of the file
	stamp   string
	checked time.Time
	onError func(error)
}

// ReloadCheck is how often the password and key files are checked for
// changes.
const ReloadCheck = time.Second

// usersFile finds the password file of realm in a JAAS file.
func usersFile(jaasFile, realm string) (string, error) {
	text, err := os.ReadFile(jaasFile)
	if err != nil {
		return "", fmt.Errorf("java.security.auth.login.config: %w", err)
	}
	sections, err := jaas.ParseFile(string(text))
	if err != nil {
		return "", fmt.Errorf("java.security.auth.login.config %s: %w", jaasFile, err)
	}
	mods, ok := sections[realm]
	if !ok {
		return "", fmt.Errorf("java.security.auth.login.config %s has no section %q (authentication.realm)", jaasFile, realm)
	}
	for _, m := range mods {
		if propertyFileModules[m.Class] {
			if f := m.Options["file"]; f != "" {
				return f, nil
			}
			return "", fmt.Errorf("java.security.auth.login.config %s: %s in section %s has no file option", jaasFile, m.Class, realm)
		}
	}
	return "", fmt.Errorf("java.security.auth.login.config %s: section %s has no PropertyFileLoginModule, the only login module krest reads", jaasFile, realm)
}

func loadPasswordFile(path string) (*passwordFile, error) {
	f := &passwordFile{path: path}
	users, stamp, err := readPasswordFile(path)
	if err != nil {
		return nil, err
	}
	f.users, f.decoy, f.stamp, f.checked = users, costliest(users), stamp, time.Now()
	return f, nil
}

// lookup returns a user (or, for a name not in the file, ok false and the
// decoy credential to check instead, which costs what a known user's
// check costs) and the file's generation, re-reading the file when it
// changed; a file that no longer parses leaves the old users in place.
func (f *passwordFile) lookup(name string) (u user, ok bool, gen uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if time.Since(f.checked) >= ReloadCheck {
		f.checked = time.Now()
		if stamp, err := fileStamp(f.path); err == nil && stamp != f.stamp {
			users, stamp, err := readPasswordFile(f.path)
			if err == nil {
				f.users, f.decoy, f.stamp = users, costliest(users), stamp
				f.gen++
			} else if f.onError != nil {
				f.onError(err)
			}
		}
	}
	u, ok = f.users[name]
	if !ok {
		u.cred = f.decoy
	}
	return u, ok, f.gen
}

// costliest returns the credential of users whose check takes longest
// (argon2id, then bcrypt by cost, then CRYPT:, MD5:, plain): checking a
// name that is not in the file against it takes as long as checking the
// slowest user, so the time of an answer does not tell which names exist.
func costliest(users map[string]user) credential {
	var best credential = decoy
	bestCost := -1
	for _, u := range users {
		if c := checkCost(u.cred); c > bestCost {
			best, bestCost = u.cred, c
		}
	}
	return best
}

// checkCost ranks credentials by the work of one check.
func checkCost(c credential) int {
	switch c := c.(type) {
	case argon2Credential:
		return 1<<40 + int(c.time)*int(c.memory)
	case bcryptCredential:
		cost, _ := bcrypt.Cost([]byte(c))
		return 1<<30 + cost
	case cryptCredential:
		return 3
	case md5Credential:
		return 2
	}
	return 1
}

func readPasswordFile(path string) (map[string]user, string, error) {
	stamp, err := fileStamp(path)
	if err != nil {
		return nil, "", fmt.Errorf("password file: %w", err)
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("password file: %w", err)
	}
	defer fh.Close()
	users := map[string]user{}
	sc := bufio.NewScanner(fh)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' || text[0] == '!' {
			continue
		}
		i := strings.IndexAny(text, ":=")
		if i <= 0 {
			return nil, "", fmt.Errorf("password file %s line %d: want user: password[,role...]", path, line)
		}
		name := strings.TrimSpace(text[:i])
		fields := strings.Split(text[i+1:], ",")
		cred, err := parseCredential(strings.TrimSpace(fields[0]))
		if err != nil {
			return nil, "", fmt.Errorf("password file %s line %d (user %s): %w", path, line, name, err)
		}
		u := user{cred: cred}
		for _, r := range fields[1:] {
			if r = strings.TrimSpace(r); r != "" {
				u.roles = append(u.roles, r)
			}
		}
		users[name] = u
	}
	if err := sc.Err(); err != nil {
		return nil, "", fmt.Errorf("password file %s: %w", path, err)
	}
	return users, stamp, nil
}

func fileStamp(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d/%d", fi.ModTime().UnixNano(), fi.Size()), nil
}

// decoy is checked when a user is unknown and the file has no users at
// all.
var decoy = plainCredential("\x00krest-no-such-user\x00")

var errBadBasic = errors.New("malformed Basic credentials")

// readKafkaCredentials reads "principal: user:password" lines (# comments),
// the Kafka credentials of certificate principals.
func readKafkaCredentials(path string) (map[string][2]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("authentication.propagate.credentials.location: %w", err)
	}
	out := map[string][2]string{}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		principal, creds, ok := strings.Cut(line, ": ")
		user, pass, ok2 := strings.Cut(strings.TrimSpace(creds), ":")
		if !ok || !ok2 || principal == "" || user == "" {
			return nil, fmt.Errorf("authentication.propagate.credentials.location %s line %d: want principal: user:password", path, i+1)
		}
		out[strings.TrimSpace(principal)] = [2]string{user, pass}
	}
	return out, nil
}
