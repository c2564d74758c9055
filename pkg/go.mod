module github.com/keelson-dev/keelson/pkg

go 1.26.0
