// Package podsource gathers the pods a kubelet should run from its four sources — the API server
// (pods bound to the node), a manifest directory, a manifest URL and manifests posted to the
// kubelet's HTTP server — and merges them into one desired set handed to a PodSink.
//
// Pods from the last three are static pods: they run without any API server, named
// <pod>-<node>, with a UID hashed from the manifest and the node name, so that the same manifest
// gives the same pod across restarts and an edited manifest gives a new one. A bad manifest is
// reported through a Reporter and skipped; the rest of its source is unaffected.
package podsource
