package controller

import (
	"fmt"
	"strings"
)

// SplitKey splits a work queue key into namespace and name: "ns/name" gives ("ns", "name"), and a
// cluster-scoped "name" gives ("", "name"). A key with more than one slash, or an empty name or
// namespace around its slash, is an error.
func SplitKey(key string) (namespace, name string, err error) {
	parts := strings.Split(key, "/")
	switch {
	case len(parts) == 1 && parts[0] != "":
		return "", parts[0], nil
	case len(parts) == 2 && parts[0] != "" && parts[1] != "":
		return parts[0], parts[1], nil
	default:
		return "", "", fmt.Errorf("controller: unexpected key format %q: want namespace/name or name", key)
	}
}
