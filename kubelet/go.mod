module github.com/keelson-dev/keelson/kubelet

go 1.26.0
