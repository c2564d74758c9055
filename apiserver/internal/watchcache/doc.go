// Package watchcache keeps one resource's current state and recent history in memory, fed by a
// single etcd watch, and serves every client watch and cached list of that resource from it. However
// many clients watch pods, etcd sees one watch for pods.
//
// The cache holds a ring of the most recent events. A watch may start from any resourceVersion still
// in the ring; older ones fail with Gone and the client relists. Each watcher gets a bounded buffer:
// one that falls behind is cut off (its channel closed, Err reporting why) instead of holding up the
// dispatcher or any other watcher, and resumes with a new watch from the last version it saw.
//
// Objects handed out by the cache are shared and must not be modified; clone before changing one.
package watchcache
