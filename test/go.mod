module github.com/keelson-dev/keelson/test

go 1.26.0
