module github.com/libzkclient/libzkclient/bindings/go

go 1.24
