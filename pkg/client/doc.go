// Package client is Keelson's typed Go client over the generic gRPC resource service.
//
//	c, err := client.New(client.Config{Endpoints: []string{"10.0.0.1:6443", "10.0.0.2:6443"}})
//	pod, err := c.Pods("default").Create(ctx, &corev1.Pod{...})
//
// Beside the verbs every kind has, a Resource serves server-side apply (Apply), the scale
// subresource of workloads (GetScale, UpdateScale) and pod eviction (Evict).
//
// A client takes several apiserver endpoints and balances calls round robin over those whose gRPC
// health check reports SERVING; a dead endpoint is skipped. Calls that fail because no server
// answered are retried on another endpoint when a retry cannot do harm: reads always; creates,
// updates, patches and deletes only where the outcome of the failed attempt can be told from the
// retry's answer (see Resource). Errors are *apierrors.StatusError, tested with apierrors.IsNotFound
// and friends.
package client
