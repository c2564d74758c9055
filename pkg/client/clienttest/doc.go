// Package clienttest is where tests of controllers, informers and daemons get an API without an
// apiserver: Start serves the generic resource service from memory on a loopback port, and
// Client hands out the real typed *client.Client connected to it.
//
//	srv := clienttest.Start(t, pod, node) // seeded objects
//	c := srv.Client()
//	... run the code under test with c ...
//	require.Equal(t, 1, srv.Calls(clienttest.Watch, "pods"))
//	got, _ := clienttest.Stored[*corev1.Pod](srv, "default", "p")
//
// Why this shape. Code that talks to the API takes a *client.Client, as it does in production;
// tests do not swap it for narrow per-resource interfaces with a hand-written fake behind each,
// because (1) a *client.Watcher is a concrete type fed by the client's own stream handling, so a
// fake ListerWatcher would skip the very code informers depend on (headers before events, Gone,
// resume); (2) a generic consumer such as informer.For[T] must mint a client for any kind, which
// only the real client can do without a table of kinds kept in sync by hand; (3) one fake of the
// one generic service covers every kind and every verb, where per-resource fakes multiply. And
// tests do not start the apiserver and etcd from test/framework either: that is for integration
// tests, costs seconds per test and cannot live in pkg (daemons may not be imported). So the fake
// sits at the process edge — an in-memory storage speaking the real wire protocol — which is the
// STYLE rule "small hand-written fakes (an in-memory storage) or, better, the real thing started
// in-process" applied to the client: the client is the real thing, the storage is the fake.
//
// What the fake does, as the apiserver does: resourceVersions from one counter, Conflict on a stale
// resourceVersion, AlreadyExists and NotFound, status written only through UpdateStatus (and kept
// by Update), uid and creationTimestamp set on create, label and field selectors (any field by its
// JSON path, e.g. spec.nodeName), watches that start from the current state or resume after a
// resourceVersion (Gone once Compact has dropped it), the pods/binding subresource, finalizers (a
// delete of an object with metadata.finalizers, or of a namespace with spec.finalizers, only sets
// deletionTimestamp — and a namespace's Terminating phase — and the update that removes the last
// one removes the object) and the namespaces/finalize subresource. What it does not do: patches
// and dry runs (refused with an error rather than pretended), paging (List returns everything),
// admission, defaulting, validation, graceful deletion of pods (a delete without finalizers
// removes at once), and bookmarks. Intercept injects failures, EndWatches cuts every watch
// stream as a restarting apiserver would, Compact makes old resourceVersions Gone, and Calls
// counts calls per verb and resource.
package clienttest
