// Package zk is a ZooKeeper client for Go over libzkclient, the Rust library with a C ABI
// (include/zkclient.h) at the top of this repository.
//
// # Building
//
// Build the library once, then use the go command as usual:
//
//	cargo build --release   # at the top of the repository: target/release/libzkclient.a
//	go build ./...          # links the static library: the program is one binary
//
// To link an installed libzkclient.so instead (make install), build with
// -tags zkclient_pkgconfig and PKG_CONFIG_PATH set to PREFIX/lib/pkgconfig. The go
// command's cache does not see a changed include/zkclient.h: after one, build with -a.
//
// # Calls and contexts
//
// Every call that talks to the server takes a context.Context. Its deadline becomes the
// library's timeout for the call; without one, the client's operation timeout applies
// (WithOperationTimeout, 10 s by default). A context that is already done returns
// ctx.Err() without calling the library. A context cancelled during a call returns
// ctx.Err() at once: the blocking C call goes on in the background until it ends by
// itself — with its reply, or at its timeout — and its outcome is dropped. For a write
// that means what ErrConnectionLoss means: it may or may not have been applied. Running
// out of the deadline gives an error that is both context.DeadlineExceeded and, when the
// library noticed first, ErrTimedOut.
//
// # Errors
//
// Errors are *Error values with the library's result Code; test them with errors.Is
// against ErrNoNode, ErrNodeExists, ErrBadVersion, ... (one per code of zkclient.h).
//
// # Watches and states
//
// GetW, ExistsW and ChildrenW set a one-shot watch and return a channel that receives
// exactly one Event and is then closed. When the session ends first (Close, expiry, auth
// failure), the event is an EventNone whose State says why. Watches survive connection
// loss within a session.
//
// Client.States delivers every change of the session's state on one buffered channel that
// never makes the library wait: when nobody reads, the oldest changes are dropped and the
// newest kept. It is closed by Close.
//
// # Callbacks, panics and memory
//
// The library calls back into Go on its own threads: watch events, state changes and the
// logger of WithLogger. Only the logger runs user code. A panic there is recovered before
// it can unwind into the library, kept, and raised again — with its original value — by
// the next method of the client that returns on a Go goroutine (or by Close). A client
// left to the garbage collector without Close is closed by a finalizer, and then the
// panic is dropped.
//
// Callback userdata crosses the boundary as runtime/cgo.Handle values, deleted by the
// finalizers the library runs exactly once per registration.
package zk
