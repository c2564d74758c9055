// Package nodeipam is the node IPAM controller: with --allocate-node-cidrs it gives every node
// without one a spec.podCIDR (and podCIDRs, one per cluster range and IP family) carved out of
// --cluster-cidr, never hands the same range to two nodes, takes a range back when its node is
// deleted, and at start learns the ranges existing nodes already hold.
package nodeipam
