// Package events records core/v1 Events about pods, as client-go's event recorder does for
// kube-scheduler: Eventf never blocks the caller (a full buffer drops the event and counts it);
// one goroutine, Run, writes them; an event repeating one already written (same object, type,
// reason and message) increments that event's count instead of creating another; and a
// per-object token bucket (a burst of 25, then one every five minutes) keeps a pod that fails
// again and again from flooding the API.
package events
