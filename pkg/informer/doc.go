// Package informer keeps a local, indexed copy of one resource in sync with the API and tells
// handlers what changed, as client-go's SharedInformer does. It lists, then watches from the list's
// resourceVersion; when the watch ends it resumes from the last version seen, and when that version
// is gone (410) it lists again and reports the difference as adds, updates and deletes. A periodic
// resync replays every object to the handlers as an update so level-based controllers re-check.
//
// Objects handed out by the store and to handlers are shared: treat them as read-only and clone
// before changing one.
package informer
