// Package informer keeps a local, indexed copy of one resource in sync with the API and tells
// handlers what changed, as client-go's SharedInformer does. It lists, then watches from the list's
// resourceVersion; when the watch ends it resumes from the last version seen, and when that version
// is gone (410) it lists again and reports the difference as adds, updates and deletes. A periodic
// resync replays every object to the handlers as an update so level-based controllers re-check.
//
// A process gets its informers from one Factory, as client-go's SharedInformerFactory hands them
// out: For[T](f) returns the one informer of T's kind (per Selection of namespace and selectors)
// however many consumers ask, so each resource is listed and watched once per process; each
// consumer adds its own handlers and indexers (AddIndexers). The factory's owner runs it (Start and
// Shutdown, or Run in a run group) and consumers wait with WaitForSync before they read:
//
//	f := informer.NewFactory(c, informer.FactoryOptions{Logger: lg})
//	pods := informer.For[*corev1.Pod](f)
//	pods.AddHandler(informer.Handler[*corev1.Pod]{OnAdd: enqueue})
//	go f.Run(ctx)
//	if !f.WaitForSync(ctx) { return nil }
//
// Objects handed out by the store and to handlers are shared: treat them as read-only and clone
// before changing one.
package informer
