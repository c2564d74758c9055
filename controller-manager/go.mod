module github.com/keelson-dev/keelson/controller-manager

go 1.26.0
