package auth

import "testing"

func TestUnixCrypt(t *testing.T) {
	for _, tc := range []struct{ password, salt, want string }{
		{"testtest", "es", "esDRYJnY4VaGM"},        // go-crypt's README
		{"password", "ab", "abJnggxhB/yWI"},        // glibc crypt(3), through perl
		{"krest-secret-pw", "Kx", "KxRTGJFSwuqd."}, // only 8 characters count
	} {
		if got := unixCrypt(tc.password, tc.salt); got != tc.want {
			t.Errorf("crypt(%q, %q) = %q, want %q", tc.password, tc.salt, got, tc.want)
		}
	}
}
