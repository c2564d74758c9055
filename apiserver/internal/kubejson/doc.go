// Package kubejson converts Keelson's objects to and from the JSON that Kubernetes' own Go types
// read and write, and to those types themselves. The REST edge speaks this form on the wire; the
// registry uses it where Kubernetes' schemas decide the semantics: server-side apply and the
// managedFields every write records.
package kubejson
