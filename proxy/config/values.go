package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

func parseListeners(s string) ([]Listener, error) {
	var out []Listener
	for _, l := range splitList(s) {
		u, err := url.Parse(l)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("listeners: %q is not a URL like http://0.0.0.0:8082", l)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return nil, fmt.Errorf("listeners: %q: a listener is http:// or https://", l)
		}
		host, port := u.Hostname(), u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		out = append(out, Listener{Scheme: u.Scheme, Addr: net.JoinHostPort(host, port)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("listeners: no listener configured")
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func positiveInt(get func(string) string, key string) (int64, error) {
	n, err := strconv.ParseInt(get(key), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive integer", key, get(key))
	}
	return n, nil
}

func millis(get func(string) string, key string) (time.Duration, error) {
	n, err := strconv.ParseInt(get(key), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s: %q is not a non-negative number of milliseconds", key, get(key))
	}
	return time.Duration(n) * time.Millisecond, nil
}

func positiveMillis(get func(string) string, key string) (time.Duration, error) {
	d, err := millis(get, key)
	if err != nil || d == 0 {
		return 0, fmt.Errorf("%s: %q is not a positive number of milliseconds", key, get(key))
	}
	return d, nil
}
