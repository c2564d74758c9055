// Package bench holds the apiserver's throughput and latency benchmarks. Each reports its figures
// next to a baseline measured in the same run against the same etcd (raw etcd puts for writes), so
// the ratios hold whatever machine runs them: `make bench` runs them with -benchtime=1x, since
// every benchmark times a fixed amount of work itself.
package bench
