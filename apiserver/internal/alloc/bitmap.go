package alloc

import (
	"fmt"
	"math/bits"
)

// Bitmap is a set of offsets 0..Size()-1 in a range, one bit each. It is not safe for concurrent
// use.
type Bitmap struct {
	size  int
	words []uint64
	count int
}

// NewBitmap returns an empty bitmap of size offsets.
func NewBitmap(size int) *Bitmap {
	return &Bitmap{size: size, words: make([]uint64, (size+63)/64)}
}

// Size returns how many offsets the bitmap covers.
func (b *Bitmap) Size() int { return b.size }

// Used returns how many offsets are set.
func (b *Bitmap) Used() int { return b.count }

// Free returns how many offsets are clear.
func (b *Bitmap) Free() int { return b.size - b.count }

// Has reports whether offset i is set; an offset outside the range is not.
func (b *Bitmap) Has(i int) bool {
	if i < 0 || i >= b.size {
		return false
	}
	return b.words[i/64]&(1<<(i%64)) != 0
}

// Set sets offset i and reports whether it was clear before. An offset outside the range is
// never set.
func (b *Bitmap) Set(i int) bool {
	if i < 0 || i >= b.size || b.Has(i) {
		return false
	}
	b.words[i/64] |= 1 << (i % 64)
	b.count++
	return true
}

// Clear clears offset i and reports whether it was set.
func (b *Bitmap) Clear(i int) bool {
	if !b.Has(i) {
		return false
	}
	b.words[i/64] &^= 1 << (i % 64)
	b.count--
	return true
}

// NextFree returns the first clear offset at or after start, wrapping around at the end, and false
// when every offset is set.
func (b *Bitmap) NextFree(start int) (int, bool) {
	if b.Free() == 0 {
		return 0, false
	}
	if start < 0 || start >= b.size {
		start = 0
	}
	// The last round revisits start's word whole, for the offsets before start.
	for n := 0; n <= len(b.words); n++ {
		w := (start/64 + n) % len(b.words)
		free := ^b.words[w]
		if n == 0 {
			free &^= (1 << (start % 64)) - 1 // offsets before start in its own word come last
		}
		if free != 0 {
			if i := w*64 + bits.TrailingZeros64(free); i < b.size {
				return i, true
			}
		}
	}
	return 0, false
}

// Offsets returns every set offset in order.
func (b *Bitmap) Offsets() []int {
	out := make([]int, 0, b.count)
	for w, word := range b.words {
		for word != 0 {
			i := bits.TrailingZeros64(word)
			out = append(out, w*64+i)
			word &^= 1 << i
		}
	}
	return out
}

// Clone returns an independent copy.
func (b *Bitmap) Clone() *Bitmap {
	return &Bitmap{size: b.size, words: append([]uint64(nil), b.words...), count: b.count}
}

// Bytes returns the stored form: bit i of the range is bit i%8 of byte i/8.
func (b *Bitmap) Bytes() []byte {
	out := make([]byte, (b.size+7)/8)
	for i := range out {
		out[i] = byte(b.words[i/8] >> (8 * (i % 8)))
	}
	return out
}

// LoadBitmap decodes a bitmap of size offsets from its stored form. Bits past size must be clear.
func LoadBitmap(size int, data []byte) (*Bitmap, error) {
	if len(data) > (size+7)/8 {
		return nil, fmt.Errorf("bitmap of %d bytes is larger than a range of %d", len(data), size)
	}
	b := NewBitmap(size)
	for i, c := range data {
		b.words[i/8] |= uint64(c) << (8 * (i % 8))
	}
	for w, word := range b.words {
		if end := (w + 1) * 64; end > size && word>>(64-(end-size)) != 0 {
			return nil, fmt.Errorf("bitmap sets offsets past the range's %d", size)
		}
		b.count += bits.OnesCount64(word)
	}
	return b, nil
}
