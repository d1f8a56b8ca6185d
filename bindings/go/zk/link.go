//go:build !zkclient_pkgconfig

package zk

// Links the static library from this checkout, so that a Go program is one binary with no
// run-time dependency on libzkclient.so. Build it first: `cargo build --release` at the top
// of the repository. Build with -tags zkclient_pkgconfig to link an installed library instead.

/*
#cgo CFLAGS: -I${SRCDIR}/../../../include
#cgo LDFLAGS: ${SRCDIR}/../../../target/release/libzkclient.a -lpthread -ldl -lm
*/
import "C"
