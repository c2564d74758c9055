module github.com/keelson-dev/keelson/apiserver

go 1.26.0
