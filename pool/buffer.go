package pool

import "sync"

// maxPooledCap is the largest buffer capacity returned to the pool. Larger
// buffers are dropped on Put so that one huge request does not pin its memory
// (golang/go#23199); sync.Pool drops idle buffers at GC anyway. It is sized
// for consumer reads, whose multi-MB responses cycle through fasthttp
// (Response.SwapBody) and back: at 4 MiB every read allocated a fresh buffer
// (bench row 3 peak RSS 310-433 MiB; 218 MiB at 32 MiB).
const maxPooledCap = 32 << 20

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
