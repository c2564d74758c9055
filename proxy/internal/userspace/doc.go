// Package userspace is keelson-proxy's userspace mode: for every port of every Service with a
// cluster IP it listens on clusterIP:port (and on nodeIP:nodePort when the port has one) and
// forwards what arrives to the port's ready endpoints, chosen by package balancer.
//
// The Proxier is level-based: Changed says that something may differ, and the run loop then
// rebuilds the wanted rules from the whole current state the Source holds and applies the
// difference. Endpoint changes only swap the balancer's list, so connections already open keep
// running; listeners are opened and closed only when a service's ports or addresses change.
package userspace
