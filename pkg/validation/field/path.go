package field

import (
	"strconv"
	"strings"
)

// Path is the path to a field of an object, built from the root down:
//
//	NewPath("spec").Child("containers").Index(0).Child("name") // spec.containers[0].name
//	NewPath("metadata", "labels").Key("app")                   // metadata.labels[app]
//
// A Path is immutable; each step returns a new Path that shares its parent.
type Path struct {
	name      string
	subscript bool // name is an index or map key, printed in brackets
	parent    *Path
}

// NewPath returns the path of a root field and, optionally, of fields below it.
func NewPath(name string, moreNames ...string) *Path {
	return (*Path)(nil).Child(name, moreNames...)
}

// Root returns the first element of the path.
func (p *Path) Root() *Path {
	for p != nil && p.parent != nil {
		p = p.parent
	}
	return p
}

// Child returns the path of a field below p, and optionally of fields below that. On a nil Path it
// starts a new path.
func (p *Path) Child(name string, moreNames ...string) *Path {
	r := &Path{name: name, parent: p}
	for _, n := range moreNames {
		r = &Path{name: n, parent: r}
	}
	return r
}

// Index returns the path of the i-th element of the list at p.
func (p *Path) Index(i int) *Path {
	return &Path{name: strconv.Itoa(i), subscript: true, parent: p}
}

// Key returns the path of the entry with key k of the map at p.
func (p *Path) Key(k string) *Path {
	return &Path{name: k, subscript: true, parent: p}
}

// String returns the path as Kubernetes prints it, e.g. "spec.containers[0].name"; a nil Path
// prints "<nil>".
func (p *Path) String() string {
	if p == nil {
		return "<nil>"
	}
	var elems []*Path
	for e := p; e != nil; e = e.parent {
		elems = append(elems, e)
	}
	var b strings.Builder
	for i := len(elems) - 1; i >= 0; i-- {
		e := elems[i]
		switch {
		case e.subscript:
			b.WriteByte('[')
			b.WriteString(e.name)
			b.WriteByte(']')
		case e.parent != nil:
			b.WriteByte('.')
			b.WriteString(e.name)
		default:
			b.WriteString(e.name)
		}
	}
	return b.String()
}
