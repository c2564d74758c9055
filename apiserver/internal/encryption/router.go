package encryption

import "strings"

// Router picks a transformer by the storage key's resource prefix (such as "/registry/secrets/");
// keys under no listed prefix are stored as they are. It implements storage.Transformer and is
// safe for concurrent use.
type Router struct {
	byPrefix map[string]*Transformer
	// depths are the slash counts of the prefixes, so a key is looked up once per depth.
	depths []int
}

// NewRouter returns a router over byPrefix, whose keys each end in "/".
func NewRouter(byPrefix map[string]*Transformer) *Router {
	r := &Router{byPrefix: byPrefix}
	seen := map[int]bool{}
	for p := range byPrefix {
		if d := strings.Count(p, "/"); !seen[d] {
			seen[d] = true
			r.depths = append(r.depths, d)
		}
	}
	return r
}

func (r *Router) lookup(key string) *Transformer {
	for _, d := range r.depths {
		// The prefix of key that ends at its d-th slash.
		n, end := 0, -1
		for i := 0; i < len(key); i++ {
			if key[i] == '/' {
				if n++; n == d {
					end = i
					break
				}
			}
		}
		if end < 0 {
			continue
		}
		if t, ok := r.byPrefix[key[:end+1]]; ok {
			return t
		}
	}
	return nil
}

// TransformToStorage encrypts data when key's resource is configured.
func (r *Router) TransformToStorage(key string, data []byte) ([]byte, error) {
	if t := r.lookup(key); t != nil {
		return t.TransformToStorage(key, data)
	}
	return data, nil
}

// TransformFromStorage decrypts value when key's resource is configured; see
// Transformer.TransformFromStorage.
func (r *Router) TransformFromStorage(key string, value []byte) ([]byte, bool, error) {
	if t := r.lookup(key); t != nil {
		return t.TransformFromStorage(key, value)
	}
	return value, false, nil
}
