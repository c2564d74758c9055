// Package e2e drives the built binaries in bin/ (run `make build` first; `make test` does) and the
// real kubectl, as a user would.
package e2e
