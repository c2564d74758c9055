// Package events records core/v1 Events about API objects, as client-go's tools/record does for
// Kubernetes' components, so that `kubectl describe` and `kubectl get events` say what a daemon did
// and why.
//
//   - Eventf never blocks its caller: a full buffer drops the event and counts it (Config.OnDrop).
//   - One goroutine, Run, writes the events, paced as a component's API client is (bursts of 100,
//     then 50 a second), so events never crowd out the daemon's real work.
//   - An event that repeats one written within the aggregation window (same object, type, reason
//     and message, from the same component) is not created again: the earlier Event's count and
//     lastTimestamp are bumped through a merge patch.
//   - A per-object token bucket (a burst of 25, then one every five minutes) keeps an object that
//     fails again and again from flooding the API.
//
// Events are best effort: one that cannot be written is logged and dropped.
package events
