package alloc

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBitmapSetClearNextFree(t *testing.T) {
	tests := []struct {
		name  string
		size  int
		set   []int
		start int
		want  int
		ok    bool
	}{
		{name: "empty takes start", size: 10, start: 3, want: 3, ok: true},
		{name: "skips set offsets", size: 10, set: []int{3, 4}, start: 3, want: 5, ok: true},
		{name: "wraps around", size: 10, set: []int{8, 9}, start: 8, want: 0, ok: true},
		{name: "wraps within the start word", size: 130, set: []int{129, 128, 64, 65}, start: 64, want: 66, ok: true},
		{name: "only before start", size: 70, set: []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
			21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48,
			49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69}, start: 5, want: 0, ok: true},
		{name: "start out of range", size: 10, start: 99, want: 0, ok: true},
		{name: "full", size: 3, set: []int{0, 1, 2}, start: 1, ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBitmap(tt.size)
			for _, i := range tt.set {
				require.True(t, b.Set(i))
			}
			got, ok := b.NextFree(tt.start)
			require.Equal(t, tt.ok, ok)
			if ok {
				require.Equal(t, tt.want, got)
			}
			require.Equal(t, len(tt.set), b.Used())
		})
	}
}

func TestBitmapRefusesTwiceAndOutOfRange(t *testing.T) {
	b := NewBitmap(5)
	require.True(t, b.Set(4))
	require.False(t, b.Set(4), "set twice")
	require.False(t, b.Set(5), "past the end")
	require.False(t, b.Set(-1))
	require.False(t, b.Has(5))
	require.True(t, b.Clear(4))
	require.False(t, b.Clear(4), "cleared twice")
	require.Equal(t, 5, b.Free())
}

func TestBitmapExhausts(t *testing.T) {
	b := NewBitmap(100)
	seen := map[int]bool{}
	for range 100 {
		i, ok := b.NextFree(37)
		require.True(t, ok)
		require.True(t, b.Set(i))
		require.False(t, seen[i])
		seen[i] = true
	}
	_, ok := b.NextFree(0)
	require.False(t, ok, "a full bitmap has nothing free")
}

func TestBitmapBytesRoundTrip(t *testing.T) {
	for _, size := range []int{1, 7, 8, 63, 64, 65, 2768, 65534} {
		b := NewBitmap(size)
		for i := 0; i < size; i += 3 {
			b.Set(i)
		}
		b.Set(size - 1)
		got, err := LoadBitmap(size, b.Bytes())
		require.NoError(t, err, "size %d", size)
		require.Equal(t, b.Offsets(), got.Offsets(), "size %d", size)
		require.Equal(t, b.Used(), got.Used())
		require.True(t, equalBitmaps(b, got))
	}
}

func TestLoadBitmapRejectsBitsPastTheRange(t *testing.T) {
	_, err := LoadBitmap(6, []byte{0x40})
	require.Error(t, err, "bit 6 of a 6-offset range")
	_, err = LoadBitmap(6, []byte{0x01, 0x00})
	require.Error(t, err, "more bytes than the range needs")
	b, err := LoadBitmap(6, []byte{0x21})
	require.NoError(t, err)
	require.Equal(t, []int{0, 5}, b.Offsets())
}
