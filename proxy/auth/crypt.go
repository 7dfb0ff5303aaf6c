package auth

// unixCrypt is the traditional DES-based crypt(3) of Unix V7, which Jetty's
// CRYPT: credentials use (its UnixCrypt class): the first 8 characters of
// the password are a DES key, the 2-character salt perturbs DES's
// expansion, and 25 encryptions of a zero block give the 11 characters
// after the salt. No Go module that implements it is available here, so it
// is written out, bit by bit as in V7, and checked against published
// results in crypt_test.go. It only checks stored CRYPT: passwords; new
// ones should be bcrypt or argon2id.
func unixCrypt(password, salt string) string {
	var block [66]byte
	for i, k := 0, 0; k < len(password) && i < 64; k++ {
		c := password[k]
		for j := 0; j < 7; j++ {
			block[i] = (c >> (6 - j)) & 1
			i++
		}
		i++
	}
	var ks keySchedule
	ks.set(block[:64])

	e := desE
	out := make([]byte, 0, 13)
	for i := 0; i < 2; i++ {
		var c byte = '.'
		if i < len(salt) {
			c = salt[i]
		}
		out = append(out, c)
		v := saltValue(c)
		for j := 0; j < 6; j++ {
			if (v>>j)&1 == 1 {
				e[6*i+j], e[6*i+j+24] = e[6*i+j+24], e[6*i+j]
			}
		}
	}

	block = [66]byte{}
	for range 25 {
		desEncrypt(block[:64], &ks, &e)
	}
	for i := 0; i < 11; i++ {
		var c byte
		for j := 0; j < 6; j++ {
			c = c<<1 | block[6*i+j]
		}
		c += '.'
		if c > '9' {
			c += 7
		}
		if c > 'Z' {
			c += 6
		}
		out = append(out, c)
	}
	return string(out)
}

// saltValue is V7's mapping of a salt character to 6 bits.
func saltValue(c byte) byte {
	if c > 'Z' {
		c -= 6
	}
	if c > '9' {
		c -= 7
	}
	return c - '.'
}

type keySchedule [16][48]byte

// set is V7's setkey: PC-1, then per round the left rotations of C and D
// and PC-2.
func (ks *keySchedule) set(key []byte) {
	var c, d [28]byte
	for i := 0; i < 28; i++ {
		c[i] = key[pc1C[i]-1]
		d[i] = key[pc1D[i]-1]
	}
	for r := 0; r < 16; r++ {
		for k := 0; k < desShifts[r]; k++ {
			c0, d0 := c[0], d[0]
			copy(c[:], c[1:])
			copy(d[:], d[1:])
			c[27], d[27] = c0, d0
		}
		for j := 0; j < 24; j++ {
			ks[r][j] = c[pc2C[j]-1]
			ks[r][j+24] = d[pc2D[j]-28-1]
		}
	}
}

// desEncrypt is V7's encrypt: IP, 16 rounds with the (salted) expansion e,
// the final swap and FP, in place on 64 one-bit bytes.
func desEncrypt(block []byte, ks *keySchedule, e *[48]byte) {
	var lr [64]byte
	for j := 0; j < 64; j++ {
		lr[j] = block[desIP[j]-1]
	}
	l, r := lr[:32], lr[32:]
	var preS [48]byte
	var f [32]byte
	for round := 0; round < 16; round++ {
		var tmp [32]byte
		copy(tmp[:], r)
		for j := 0; j < 48; j++ {
			preS[j] = r[e[j]-1] ^ ks[round][j]
		}
		for j := 0; j < 8; j++ {
			t := 6 * j
			k := desS[j][preS[t]<<5|preS[t+1]<<3|preS[t+2]<<2|preS[t+3]<<1|preS[t+4]<<0|preS[t+5]<<4]
			t = 4 * j
			f[t] = (k >> 3) & 1
			f[t+1] = (k >> 2) & 1
			f[t+2] = (k >> 1) & 1
			f[t+3] = k & 1
		}
		for j := 0; j < 32; j++ {
			r[j] = l[j] ^ f[desP[j]-1]
		}
		copy(l, tmp[:])
	}
	for j := 0; j < 32; j++ {
		l[j], r[j] = r[j], l[j]
	}
	for j := 0; j < 64; j++ {
		block[j] = lr[desFP[j]-1]
	}
}

var (
	desIP = [64]byte{
		58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4,
		62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8,
		57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3,
		61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7,
	}
	desFP = [64]byte{
		40, 8, 48, 16, 56, 24, 64, 32, 39, 7, 47, 15, 55, 23, 63, 31,
		38, 6, 46, 14, 54, 22, 62, 30, 37, 5, 45, 13, 53, 21, 61, 29,
		36, 4, 44, 12, 52, 20, 60, 28, 35, 3, 43, 11, 51, 19, 59, 27,
		34, 2, 42, 10, 50, 18, 58, 26, 33, 1, 41, 9, 49, 17, 57, 25,
	}
	pc1C = [28]byte{
		57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18,
		10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
	}
	pc1D = [28]byte{
		63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22,
		14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
	}
	desShifts = [16]int{1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1}
	pc2C      = [24]byte{14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2}
	pc2D      = [24]byte{41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32}
	desE      = [48]byte{
		32, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9, 8, 9, 10, 11, 12, 13, 12, 13, 14, 15, 16, 17,
		16, 17, 18, 19, 20, 21, 20, 21, 22, 23, 24, 25, 24, 25, 26, 27, 28, 29, 28, 29, 30, 31, 32, 1,
	}
	desP = [32]byte{16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25}
	desS = [8][64]byte{
		{14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
			4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13},
		{15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
			0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9},
		{10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
			13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12},
		{7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
			10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14},
		{2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
			4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3},
		{12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
			9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13},
		{4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
			1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12},
		{13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
			7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11},
	}
)
