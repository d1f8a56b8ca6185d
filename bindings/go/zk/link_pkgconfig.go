//go:build zkclient_pkgconfig

package zk

// With -tags zkclient_pkgconfig the package links the library that `make install` put under
// a prefix, found through pkg-config (set PKG_CONFIG_PATH to PREFIX/lib/pkgconfig).

/*
#cgo pkg-config: zkclient
*/
import "C"
