package kubejson

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// smallObjectKeys is how many keys an object may hold before the duplicate check indexes them in a
// map rather than comparing each new key with the ones before it.
const smallObjectKeys = 16

// DuplicateFields returns, in document order, the path of every key that appears more than once in
// one object of doc ("metadata.name", "spec.containers[0].image"), as Kubernetes' strict decoder
// names them. doc must be one valid JSON value: the scan trusts its syntax. It walks the bytes once
// and builds a path only for a duplicate, so a clean body costs one pass and no allocation per key.
func DuplicateFields(doc []byte) []string {
	s := dupScanner{doc: doc}
	s.value()
	return s.dups
}

// pathSegment is one step of the path to the value being scanned: an object key or a list index.
type pathSegment struct {
	key   []byte
	index int
	list  bool
}

type dupScanner struct {
	doc  []byte
	pos  int
	path []pathSegment
	dups []string
}

func (s *dupScanner) space() {
	for s.pos < len(s.doc) {
		switch s.doc[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *dupScanner) value() {
	s.space()
	if s.pos >= len(s.doc) {
		return
	}
	switch s.doc[s.pos] {
	case '{':
		s.object()
	case '[':
		s.list()
	case '"':
		s.str()
	default:
		for s.pos < len(s.doc) && strings.IndexByte(",}] \t\n\r", s.doc[s.pos]) < 0 {
			s.pos++
		}
	}
}

// str skips a string and returns its raw contents, escapes undone when it has any.
func (s *dupScanner) str() []byte {
	start := s.pos + 1
	escaped := false
	for s.pos++; s.pos < len(s.doc); s.pos++ {
		switch s.doc[s.pos] {
		case '\\':
			escaped = true
			s.pos++
		case '"':
			raw := s.doc[start:s.pos]
			s.pos++
			if escaped {
				var u string
				if json.Unmarshal(s.doc[start-1:s.pos], &u) == nil {
					return []byte(u)
				}
			}
			return raw
		}
	}
	return s.doc[start:]
}

func (s *dupScanner) object() {
	s.pos++ // {
	var few [][]byte
	var many map[string]struct{}
	for {
		s.space()
		if s.pos >= len(s.doc) {
			return
		}
		switch s.doc[s.pos] {
		case '}':
			s.pos++
			return
		case ',':
			s.pos++
			continue
		}
		key := s.str()
		if s.seen(key, &few, &many) {
			s.dups = append(s.dups, s.pathTo(key))
		}
		s.space()
		s.pos++ // :
		s.path = append(s.path, pathSegment{key: key})
		s.value()
		s.path = s.path[:len(s.path)-1]
	}
}

// seen records key among an object's keys and reports whether it was there already.
func (s *dupScanner) seen(key []byte, few *[][]byte, many *map[string]struct{}) bool {
	if *many != nil {
		if _, ok := (*many)[string(key)]; ok {
			return true
		}
		(*many)[string(key)] = struct{}{}
		return false
	}
	for _, k := range *few {
		if bytes.Equal(k, key) {
			return true
		}
	}
	*few = append(*few, key)
	if len(*few) > smallObjectKeys {
		*many = make(map[string]struct{}, 2*len(*few))
		for _, k := range *few {
			(*many)[string(k)] = struct{}{}
		}
	}
	return false
}

func (s *dupScanner) list() {
	s.pos++ // [
	s.path = append(s.path, pathSegment{list: true})
	defer func() { s.path = s.path[:len(s.path)-1] }()
	for {
		s.space()
		if s.pos >= len(s.doc) {
			return
		}
		switch s.doc[s.pos] {
		case ']':
			s.pos++
			return
		case ',':
			s.pos++
			s.path[len(s.path)-1].index++
			continue
		}
		s.value()
	}
}

// pathTo returns the path of key in the object being scanned.
func (s *dupScanner) pathTo(key []byte) string {
	var b strings.Builder
	for _, seg := range s.path {
		if seg.list {
			b.WriteString("[" + strconv.Itoa(seg.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.Write(seg.key)
	}
	if b.Len() > 0 {
		b.WriteByte('.')
	}
	b.Write(key)
	return b.String()
}
