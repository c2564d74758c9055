// Package kubejson converts Keelson's objects to and from the JSON that Kubernetes' own Go types
// read and write, and to those types themselves. The apiserver's REST edge speaks this form on the
// wire and its registry uses it where Kubernetes' schemas decide the semantics (server-side apply,
// managedFields); the kubelet decodes the static pod manifests it reads from files, URLs and its
// HTTP endpoint with DecodeManifest, so a manifest means the same to every daemon.
package kubejson
