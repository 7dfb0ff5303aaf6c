package pool

import "sync"

// maxPooledCap is the largest buffer capacity returned to the pool. Larger
// buffers are dropped on Put so that one huge request does not pin its memory
// for the life of the process (golang/go#23199).
const maxPooledCap = 4 << 20

// Buffer is a growable byte slice that can be reused through GetBuffer and
// PutBuffer. It is not safe for concurrent use.
type Buffer struct {
	B []byte
}

var buffers = sync.Pool{New: func() any { return &Buffer{B: make([]byte, 0, 4096)} }}

// GetBuffer returns an empty Buffer from the pool.
func GetBuffer() *Buffer {
	return buffers.Get().(*Buffer)
}

// PutBuffer resets b and returns it to the pool. b and every slice of b.B must
// not be used after PutBuffer.
func PutBuffer(b *Buffer) {
	if cap(b.B) > maxPooledCap {
		return
	}
	b.B = b.B[:0]
	buffers.Put(b)
}

// Grow makes room for at least n more bytes in B. Slices taken from B before
// a Grow that reallocates keep pointing at the old array; keep offsets instead.
func (b *Buffer) Grow(n int) {
	if cap(b.B)-len(b.B) >= n {
		return
	}
	nb := make([]byte, len(b.B), 2*cap(b.B)+n)
	copy(nb, b.B)
	b.B = nb
}
