module github.com/keelson-dev/keelson/pkg

go 1.26.0

require (
	github.com/stretchr/testify v1.12.1 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20261026165753-2ffab32bce7e // indirect
)
