package servertest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Seed is one input of a fuzz target's seed corpus: a name for its file and the target's arguments
// in order (int, bool, string or []byte).
type Seed struct {
	Name   string
	Values []any
}

// CheckCorpus keeps the seed corpus of fuzz target in testdata/fuzz/<target>/ the same as seeds,
// in Go's corpus file format, so that `go test` runs every seed and `go test -fuzz` starts from
// them. With update it writes the files; otherwise it fails for a seed whose file is missing or
// differs. Other files there (inputs the fuzzer found and saved) are left alone.
func CheckCorpus(t *testing.T, target string, seeds []Seed, update bool) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", target)
	if update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	names := make(map[string]bool, len(seeds))
	for _, s := range seeds {
		if names[s.Name] {
			t.Fatalf("%s: two seeds are named %q", target, s.Name)
		}
		names[s.Name] = true
		want, err := corpusFile(s.Values)
		if err != nil {
			t.Fatalf("%s/%s: %v", target, s.Name, err)
		}
		path := filepath.Join(dir, s.Name)
		if update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is missing or out of date (err %v); rerun with the update flag", path, err)
		}
	}
}

// corpusFile encodes values as a corpus file of `go test fuzz v1`.
func corpusFile(values []any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for _, v := range values {
		switch v := v.(type) {
		case int:
			fmt.Fprintf(&b, "int(%d)\n", v)
		case bool:
			fmt.Fprintf(&b, "bool(%t)\n", v)
		case string:
			fmt.Fprintf(&b, "string(%q)\n", v)
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", v)
		default:
			return nil, fmt.Errorf("a seed value of type %T: fuzz targets here take int, bool, string and []byte", v)
		}
	}
	return b.Bytes(), nil
}
