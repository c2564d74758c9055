module github.com/keelson-dev/keelson/proxy

go 1.26.0
