module github.com/keelson-dev/keelson/scheduler

go 1.26.0
