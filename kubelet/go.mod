module github.com/keelson-dev/keelson/kubelet

go 1.26.0

replace github.com/keelson-dev/keelson/proto => ../proto
replace github.com/keelson-dev/keelson/pkg => ../pkg
