package zk

// The client (zk_client): Connect, Close, and every operation on a session.

/*
#include <stdlib.h>
#include "shims.h"
*/
import "C"

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"runtime/cgo"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// AnyVersion matches every version in Set, Delete and SetACL.
const AnyVersion int32 = -1

// Client is a ZooKeeper session. It is safe for concurrent use: share one between any
// number of goroutines; their requests are pipelined on one connection. Close it when done;
// a Client that is dropped without Close is closed by a finalizer.
type Client struct {
	core    *clientCore
	cleanup runtime.Cleanup
}

// clientCore holds what the library owns on behalf of a Client. Callbacks hold only pieces
// of it (a panicBox, a channel), never the Client, so a forgotten Client can become
// unreachable and be finalized.
type clientCore struct {
	// mu is read-held across every C call that uses ptr (which may end on another
	// goroutine, see do) and write-held to free it, so ptr is never freed under a call.
	mu        sync.RWMutex
	ptr       *C.zk_client
	closeOnce sync.Once
	states    chan StateChange
	panics    *panicBox
	// dropped counts the events of persistent watches dropped on a full channel.
	dropped atomic.Uint64
}

// ClientID is a session id and its password, to resume the session in another client
// with WithClientID.
type ClientID struct {
	SessionID int64
	Password  [16]byte
}

func (id ClientID) toC() C.zk_client_id {
	var c C.zk_client_id
	c.session_id = C.int64_t(id.SessionID)
	for i, b := range id.Password {
		c.passwd[i] = C.uint8_t(b)
	}
	return c
}

// Connect makes a client for hosts ("host[:port][,host[:port]...][/chroot]"), starts it
// and waits for a session until ctx is done; without a deadline it gives up after the
// operation timeout (WithOperationTimeout, 10 s by default).
// When it fails, the error says why connecting failed, per address ("zk: connect:
// TIMED_OUT: no server could be reached: 127.0.0.1:2181: connection refused"), and still
// matches errors.Is(err, ErrTimedOut), context.DeadlineExceeded, ... as before.
func Connect(ctx context.Context, hosts string, opts ...Option) (*Client, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	panics := &panicBox{}
	o, err := cfg.build(hosts, panics)
	if err != nil {
		return nil, err
	}
	var p *C.zk_client
	r := C.zk_client_new(o, &p)
	C.zk_options_free(o) // the client keeps a copy, logger included
	if r != C.ZK_RESULT_OK {
		return nil, codeError(r, "connect", "")
	}
	core := &clientCore{ptr: p, states: make(chan StateChange, stateBuffer), panics: panics}
	h := cgo.NewHandle(&stateSink{ch: core.states, panics: panics})
	if r := C.zkgo_add_listener(p, C.uintptr_t(h), nil); r != C.ZK_RESULT_OK {
		// The library ran the finalizer: h is gone.
		C.zk_client_free(p)
		return nil, codeError(r, "connect", "")
	}
	c := &Client{core: core}
	c.cleanup = runtime.AddCleanup(c, func(core *clientCore) { go core.close() }, core)
	err = core.do(ctx, "connect", "", func(p *C.zk_client, ms C.uint32_t) C.zk_result {
		return C.zk_start(p, ms)
	})
	runtime.KeepAlive(c)
	if err != nil {
		c.cleanup.Stop()
		err = withConnectError(core, err)
		if ctx.Err() != nil {
			// zk_start may still be running: close once it is done, off this goroutine.
			go core.close()
		} else {
			core.close()
		}
		return nil, err
	}
	return c, nil
}

// withConnectError adds why connecting failed (zk_connect_error: the last failure of each
// address, "127.0.0.1:2181: connection refused") to err, which stays what errors.Is and
// errors.As find.
func withConnectError(core *clientCore, err error) error {
	var why *C.char
	core.peek(func(p *C.zk_client) {
		if p != nil && C.zk_connect_error(p, &why) != C.ZK_RESULT_OK {
			why = nil
		}
	})
	if why == nil {
		return err
	}
	defer C.zk_string_free(why)
	return fmt.Errorf("%w: %s", err, C.GoString(why))
}

// Close ends the session (its ephemeral nodes go at once) and frees the client. Every
// pending watch gets an EventNone with KeeperClosed, the States channel is closed, and
// calls from then on fail with ErrClosed. Calls in flight on other goroutines end first.
// Close is idempotent and always returns nil.
func (c *Client) Close() error {
	c.cleanup.Stop()
	c.core.close()
	c.core.panics.rethrow()
	return nil
}

func (c *clientCore) close() {
	c.closeOnce.Do(func() {
		// zk_close ends the session and fails the calls in flight, so that taking the
		// write lock, which waits for them, does not wait long.
		c.mu.RLock()
		C.zk_close(c.ptr)
		c.mu.RUnlock()
		c.mu.Lock()
		p := c.ptr
		c.ptr = nil
		c.mu.Unlock()
		C.zk_client_free(p)
	})
}

// timeoutMillis derives a call's timeout_ms from the context: its deadline, rounded up, or
// 0 (the client's default) without one.
func timeoutMillis(ctx context.Context) (C.uint32_t, time.Time, error) {
	d, ok := ctx.Deadline()
	if !ok {
		return 0, time.Time{}, nil
	}
	left := time.Until(d)
	if left <= 0 {
		return 0, d, context.DeadlineExceeded
	}
	return millis(left), d, nil
}

// do runs one blocking C call under the read lock and turns its result into an error.
//
// When ctx can be cancelled, the call runs on its own goroutine and do returns ctx.Err() as
// soon as ctx is done; the C call goes on in the background until it ends on its own (by
// its timeout, derived from ctx's deadline or the client's operation timeout) and its
// outcome is dropped. So call must do all its work itself — convert and free what the
// library returned — and write only to variables that the caller reads after a nil error.
func (c *clientCore) do(ctx context.Context, op, path string, call func(*C.zk_client, C.uint32_t) C.zk_result) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ms, deadline, err := timeoutMillis(ctx)
	if err != nil {
		return err
	}
	c.mu.RLock()
	p := c.ptr
	if p == nil {
		c.mu.RUnlock()
		return codeError(C.ZK_RESULT_CLOSED, op, path)
	}
	if ctx.Done() == nil {
		r := call(p, ms)
		c.mu.RUnlock()
		c.panics.rethrow()
		return newError(r, op, path, deadline)
	}
	done := make(chan C.zk_result, 1)
	go func() {
		defer c.mu.RUnlock()
		done <- call(p, ms)
	}()
	select {
	case r := <-done:
		c.panics.rethrow()
		return newError(r, op, path, deadline)
	case <-ctx.Done():
		select {
		case r := <-done: // finished as well: its outcome is the better answer
			c.panics.rethrow()
			return newError(r, op, path, deadline)
		default:
			return ctx.Err()
		}
	}
}

// peek runs a non-blocking C call (a state getter) under the read lock; p is nil once the
// client is closed, which every getter accepts.
func (c *clientCore) peek(f func(p *C.zk_client)) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	f(c.ptr)
}

// State is the coarse state of the session.
func (c *Client) State() State {
	var s State
	c.core.peek(func(p *C.zk_client) { s = State(C.zk_get_state(p)) })
	runtime.KeepAlive(c)
	return s
}

// KeeperState is the detailed state of the session.
func (c *Client) KeeperState() KeeperState {
	var s KeeperState
	c.core.peek(func(p *C.zk_client) { s = KeeperState(C.zk_get_keeper_state(p)) })
	runtime.KeepAlive(c)
	return s
}

// Connected reports whether the client has a session and a connection (read-write or
// read-only).
func (c *Client) Connected() bool {
	var ok bool
	c.core.peek(func(p *C.zk_client) { ok = bool(C.zk_is_connected(p)) })
	runtime.KeepAlive(c)
	return ok
}

// ClientID is the session id and password, for WithClientID. ErrConnectionLoss when not
// connected, ErrClosed after Close.
func (c *Client) ClientID() (ClientID, error) {
	var id ClientID
	var r C.zk_result = C.ZK_RESULT_CLOSED
	c.core.peek(func(p *C.zk_client) {
		if p == nil {
			return
		}
		var cid C.zk_client_id
		if r = C.zk_get_client_id(p, &cid); r == C.ZK_RESULT_OK {
			id.SessionID = int64(cid.session_id)
			for i := range id.Password {
				id.Password[i] = byte(cid.passwd[i])
			}
		}
	})
	runtime.KeepAlive(c)
	return id, codeError(r, "client id", "")
}

// SessionID is the id of the current session, 0 when there is none.
func (c *Client) SessionID() int64 {
	id, _ := c.ClientID()
	return id.SessionID
}

// SessionTimeout is the session timeout the server granted.
func (c *Client) SessionTimeout() time.Duration {
	var ms C.uint32_t
	c.core.peek(func(p *C.zk_client) { ms = C.zk_session_timeout_ms(p) })
	runtime.KeepAlive(c)
	return time.Duration(ms) * time.Millisecond
}

// SetHosts replaces the host list (same syntax as Connect's; the chroot must stay the
// same, else ErrInvalidArgument). If the current server is not in the new list, the client
// moves to one of the new servers now, keeping its session.
func (c *Client) SetHosts(hosts string) error {
	const op = "set hosts"
	if hasNUL(hosts) {
		return codeError(C.ZK_RESULT_INVALID_ARGUMENT, op, "")
	}
	ch := C.CString(hosts)
	defer C.free(unsafe.Pointer(ch))
	var r C.zk_result = C.ZK_RESULT_CLOSED
	c.core.peek(func(p *C.zk_client) {
		if p != nil {
			r = C.zk_set_hosts(p, ch)
		}
	})
	runtime.KeepAlive(c)
	return codeError(r, op, "")
}

// WatchCount is the number of watches the client holds that have not ended yet.
func (c *Client) WatchCount() int {
	var n C.size_t
	c.core.peek(func(p *C.zk_client) { n = C.zk_watch_count(p) })
	runtime.KeepAlive(c)
	return int(n)
}

// States delivers every change of the session's state, in order, starting with the
// Connecting and Connected of Connect. It is one channel, the same on every call, with a
// buffer of 32: when the buffer is full the oldest change is dropped (the library's event
// thread never waits), so the newest is always there to read. It is closed by Close.
func (c *Client) States() <-chan StateChange {
	return c.core.states
}

// A CreateOption modifies Create: the CreateFlag constants, TTL, WithACL.
type CreateOption interface {
	applyCreate(*createConfig)
}

type createConfig struct {
	flags C.uint32_t
	ttl   time.Duration
	acl   []ACL
}

// CreateFlag says what kind of node Create makes; combine them with |.
type CreateFlag uint32

const (
	// Ephemeral nodes go away with the session that made them.
	Ephemeral CreateFlag = 1
	// Sequence appends a 10-digit counter of the parent to the name; Create returns the
	// actual path.
	Sequence CreateFlag = 2
	// Container nodes are deleted by the server once their last child is gone.
	Container CreateFlag = 4
	// MakePath creates missing parents first, with the same ACL.
	MakePath CreateFlag = 8
)

// zkclient.h's values: the build fails if one of them changes.
var (
	_ = [1]struct{}{}[Ephemeral-C.ZK_CREATE_FLAG_EPHEMERAL]
	_ = [1]struct{}{}[Sequence-C.ZK_CREATE_FLAG_SEQUENCE]
	_ = [1]struct{}{}[Container-C.ZK_CREATE_FLAG_CONTAINER]
	_ = [1]struct{}{}[MakePath-C.ZK_CREATE_FLAG_MAKEPATH]
)

func (f CreateFlag) applyCreate(c *createConfig) { c.flags |= C.uint32_t(f) }

type ttlOption time.Duration

func (t ttlOption) applyCreate(c *createConfig) { c.ttl = time.Duration(t) }

// TTL makes a persistent node that the server deletes once it has had no children and no
// change for d (the server needs extendedTypesEnabled, else ErrUnimplemented).
func TTL(d time.Duration) CreateOption { return ttlOption(d) }

type aclOption []ACL

func (a aclOption) applyCreate(c *createConfig) { c.acl = []ACL(a) }

// WithACL gives the new node this ACL instead of the client's default.
func WithACL(acl ...ACL) CreateOption { return aclOption(append([]ACL(nil), acl...)) }

// pathArg rejects what C cannot carry: a Go string with a NUL byte in it.
func pathArg(op, path string) error {
	if hasNUL(path) {
		return codeError(C.ZK_RESULT_INVALID_PATH, op, path)
	}
	return nil
}

// Every operation below follows one pattern: check the Go arguments, copy the mutable ones
// (the C call may outlive the method, see do), and do all C allocation, the call, the
// conversion of its outputs and every free inside the function handed to do.

// cData copies data to C memory for one call; free with C.free (nil is fine).
func cData(data []byte) (*C.uint8_t, C.size_t) {
	if len(data) == 0 {
		return nil, 0
	}
	return (*C.uint8_t)(C.CBytes(data)), C.size_t(len(data))
}

// Create makes a node with data and returns its path (with the sequence suffix, if any)
// and Stat.
func (c *Client) Create(ctx context.Context, path string, data []byte, opts ...CreateOption) (string, *Stat, error) {
	const op = "create"
	if err := pathArg(op, path); err != nil {
		return "", nil, err
	}
	var cfg createConfig
	for _, o := range opts {
		o.applyCreate(&cfg)
	}
	if !validACL(cfg.acl) {
		return "", nil, codeError(C.ZK_RESULT_INVALID_ACL, op, path)
	}
	var ttl C.int64_t
	if cfg.ttl > 0 {
		ttl = C.int64_t(max(cfg.ttl.Milliseconds(), 1))
	}
	data = bytes.Clone(data)
	var created string
	var stat *Stat
	err := c.core.do(ctx, op, path, func(p *C.zk_client, ms C.uint32_t) C.zk_result {
		cpath := C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
		cdata, n := cData(data)
		defer C.free(unsafe.Pointer(cdata))
		acl := newCACL(cfg.acl)
		defer acl.free()
		var out *C.char
		var st C.zk_stat
		r := C.zk_create(p, cpath, cdata, n, acl.ptr, acl.n, cfg.flags, ttl, ms, &out, &st)
		if r == C.ZK_RESULT_OK {
			created = C.GoString(out)
			C.zk_string_free(out)
			stat = statFromC(&st)
		}
		return r
	})
	runtime.KeepAlive(c)
	if err != nil {
		return "", nil, err
	}
	return created, stat, nil
}

// EnsurePath creates path and every missing parent, with acl or else the client's default
// ACL; an existing node is fine.
func (c *Client) EnsurePath(ctx context.Context, path string, acl ...ACL) error {
	const op = "ensure path"
	if err := pathArg(op, path); err != nil {
		return err
	}
	if !validACL(acl) {
		return codeError(C.ZK_RESULT_INVALID_ACL, op, path)
	}
	acl = slices.Clone(acl)
	err := c.core.do(ctx, op, path, func(p *C.zk_client, ms C.uint32_t) C.zk_result {
		cpath := C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
		ca := newCACL(acl)
		defer ca.free()
		return C.zk_ensure_path(p, cpath, ca.ptr, ca.n, ms)
	})
	runtime.KeepAlive(c)
	return err
}

// Exists reports whether the node exists, with its Stat if it does.
func (c *Client) Exists(ctx context.Context, path string) (bool, *Stat, error) {
	ok, stat, _, err := c.exists(ctx, path, false)
	return ok, stat, err
}

// ExistsW is Exists that also sets a watch, whether the node exists or not. The channel
// gets one Event — the node was created, changed or deleted, or the session ended
// (EventNone) — and is then closed.
func (c *Client) ExistsW(ctx context.Context, path string) (bool, *Stat, <-chan Event, error) {
	return c.exists(ctx, path, true)
}

func (c *Client) exists(ctx context.Context, path string, watch bool) (bool, *Stat, <-chan Event, error) {
	const op = "exists"
	if err := pathArg(op, path); err != nil {
		return false, nil, nil, err
	}
	var found bool
	var stat *Stat
	var events chan Event
	err := c.core.do(ctx, op, path, func(p *C.zk_client, ms C.uint32_t) C.zk_result {
		cpath := C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
		var w *C.zk_watcher
		if watch {
			var cw C.zk_watcher
			events, cw = newWatch(c.core.panics)
			w = &cw
		}
		var st C.zk_stat
		r := C.zk_exists(p, cpath, w, ms, &st)
		switch r {
		case C.ZK_RESULT_OK:
			found, stat = true, statFromC(&st)
		case C.ZK_RESULT_NO_NODE: // the watch is set all the same
			r = C.ZK_RESULT_OK
		}
		return r
	})
	runtime.KeepAlive(c)
	if err != nil {
		return false, nil, nil, err
	}
	return found, stat, events, nil
}

// Get reads a node's data and Stat.
func (c *Client) Get(ctx context.Context, path string) ([]byte, *Stat, error) {
	data, stat, _, err := c.get(ctx, path, false)
	return data, stat, err
}

// GetW is Get that also sets a watch. The channel gets one Event — the node's data changed
// or it was deleted, or the session ended (EventNone) — and is then closed.
func (c *Client) GetW(ctx context.Context, path string) ([]byte, *Stat, <-chan Event, error) {
	return c.get(ctx, path, true)
}

func (c *Client) get(ctx context.Context, path string, watch bool) ([]byte, *Stat, <-chan Event, error) {
	const op = "get"
	if err := pathArg(op, path); err != nil {
		return nil, nil, nil, err
	}
	var data []byte
	var stat *Stat
	var events chan Event
	err := c.core.do(ctx, op, path, func(p *C.zk_client, ms C.uint32_t) C.zk_result {
		cpath := C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
		var w *C.zk_watcher
		if watch {
			var cw C.zk_watcher
			events, cw = newWatch(c.core.panics)
			w = &cw
		}
		var buf C.zk_buffer
		var st C.zk_stat
		r := C.zk_get(p, cpath, w, ms, &buf, &st)
		if r == C.ZK_RESULT_OK {
			data, stat = bufferBytes(&buf), statFromC(&st)
		}
		return r
	})
	runtime.KeepAlive(c)
	if err != nil {
		return nil, nil, nil, err
	}
	return data, stat, events, nil
}

// Children lists a node's children, sorted, with the node's Stat.
func (c *Client) Children(ctx context.Context, path string) ([]string, *Stat, error) {
	children, stat, _, err := c.children(ctx, path, false)
	return children, stat, err
}

// ChildrenW is Children that also sets a watch. The channel gets one Event — a child was
// added or removed, or the node was deleted, or the session ended (EventNone) — and is
// then closed.
func (c *Client) ChildrenW(ctx context.Context, path string) ([]string, *Stat, <-chan Event, error) {
	return c.children(ctx, path, true)
}

func (c *Client) children(ctx context.Context, path string, watch bool) ([]string, *Stat, <-chan Event, error) {
	const op = "children"
	if err := pathArg(op, path); err != nil {
		return nil, nil, nil, err
	}
	var children []string
	var stat *Stat
	var events chan Event
	err := c.core.do(ctx, op, path, func(p *C.zk_client, ms C.uint32_t) C.zk_result {
		cpath := C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
		var w *C.zk_watcher
		if watch {
			var cw C.zk_watcher
			events, cw = newWatch(c.core.panics)
			w = &cw
		}
		var list *C.zk_string_list
		var st C.zk_stat
		r := C.zk_get_children(p, cpath, w, ms, &list, &st)
		if r == C.ZK_RESULT_OK {
			n := int(C.zk_string_list_len(list))
			children = make([]string, n)
			for i := range children {
				children[i] = C.GoString(C.zk_string_list_get(list, C.size_t(i)))
			}
			C.zk_string_list_free(list)
			slices.Sort(children)
			stat = statFromC(&st)
		}
		return r
	})
	runtime.KeepAlive(c)
	if err != nil {
		return nil, nil, nil, err
	}
	return children, stat, events, nil
}

// Ephemerals lists, sorted, the ephemeral nodes this session owns whose path starts with
// prefix (a path; "/" for all), relative to the chroot. The match is the server's, a string
// prefix: "/a" also finds "/ab". ZooKeeper 3.6+.
func (c *Client) Ephemerals(ctx context.Context, prefix string) ([]string, error) {
	const op = "ephemerals"
	if err := pathArg(op, prefix); err != nil {
		return nil, err
	}
	var paths []string
	err := c.core.do(ctx, op, prefix, func(p *C.zk_client, ms C.uint32_t) C.zk_result {
		cprefix := C.CString(prefix)
		defer C.free(unsafe.Pointer(cprefix))
		var list *C.zk_string_list
		r := C.zk_get_ephemerals(p, cprefix, ms, &list)
		if r == C.ZK_RESULT_OK {
			paths = make([]string, int(C.zk_string_list_len(list)))
			for i := range paths {
				paths[i] = C.GoString(C.zk_string_list_get(list, C.size_t(i)))
			}
			C.zk_string_list_free(list)
			slices.Sort(paths)
		}
		return r
	})
	runtime.KeepAlive(c)
	if err != nil {
		return nil, err
	}
	return paths, nil
}

// AllChildrenNumber counts the nodes below path at any depth, path itself not counted.
// ZooKeeper 3.6+.
func (c *Client) AllChildrenNumber(ctx context.Context, path string) (int, error) {
	const op = "all children number"
	if err := pathArg(op, path); err != nil {
		return 0, err
	}
	var n C.uint32_t
	err := c.core.do(ctx, op, path, func(p *C.zk_client, ms C.uint32_t) C.zk_result {
		cpath := C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
		return C.zk_get_all_children_number(p, cpath, ms, &n)
	})
	runtime.KeepAlive(c)
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// Set replaces a node's data if its version is version (AnyVersion matches any) and
// returns its new Stat.
func (c *Client) Set(ctx context.Context, path string, data []byte, version int32) (*Stat, error) {
	const op = "set"
	if err := pathArg(op, path); err != nil {
		return nil, err
	}
	data = bytes.Clone(data)
	var stat *Stat
	err := c.core.do(ctx, op, path, func(p *C.zk_client, ms C.uint32_t) C.zk_result {
		cpath := C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
		cdata, n := cData(data)
		defer C.free(unsafe.Pointer(cdata))
		var st C.zk_stat
		r := C.zk_set(p, cpath, cdata, n, C.int32_t(version), ms, &st)
		if r == C.ZK_RESULT_OK {
			stat = statFromC(&st)
		}
		return r
	})
	runtime.KeepAlive(c)
	if err != nil {
		return nil, err
	}
	return stat, nil
}

// Delete deletes a node if its version is version (AnyVersion matches any). A node with
// children is ErrNotEmpty.
func (c *Client) Delete(ctx context.Context, path string, version int32) error {
	return c.delete(ctx, "delete", path, version, false)
}

// DeleteRecursive deletes a node's descendants, depth first, then the node if its version
// is version. It is not atomic: a failure can leave part of the tree deleted — a version
// that does not match, too, is found only at the end, after the descendants are gone.
func (c *Client) DeleteRecursive(ctx context.Context, path string, version int32) error {
	return c.delete(ctx, "delete recursive", path, version, true)
}

func (c *Client) delete(ctx context.Context, op, path string, version int32, recursive bool) error {
	if err := pathArg(op, path); err != nil {
		return err
	}
	err := c.core.do(ctx, op, path, func(p *C.zk_client, ms C.uint32_t) C.zk_result {
		cpath := C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
		return C.zk_delete(p, cpath, C.int32_t(version), C.bool(recursive), ms)
	})
	runtime.KeepAlive(c)
	return err
}

// Sync waits until the server this client is connected to has caught up with the leader
// for path, so that a read that follows sees every write committed before the Sync.
func (c *Client) Sync(ctx context.Context, path string) error {
	const op = "sync"
	if err := pathArg(op, path); err != nil {
		return err
	}
	err := c.core.do(ctx, op, path, func(p *C.zk_client, ms C.uint32_t) C.zk_result {
		cpath := C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
		return C.zk_sync(p, cpath, ms)
	})
	runtime.KeepAlive(c)
	return err
}

// GetACL reads a node's ACL and Stat.
func (c *Client) GetACL(ctx context.Context, path string) ([]ACL, *Stat, error) {
	const op = "get acl"
	if err := pathArg(op, path); err != nil {
		return nil, nil, err
	}
	var acl []ACL
	var stat *Stat
	err := c.core.do(ctx, op, path, func(p *C.zk_client, ms C.uint32_t) C.zk_result {
		cpath := C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
		var list *C.zk_acl_list
		var st C.zk_stat
		r := C.zk_get_acl(p, cpath, ms, &list, &st)
		if r == C.ZK_RESULT_OK {
			acl = aclsFromC(list)
			stat = statFromC(&st)
		}
		return r
	})
	runtime.KeepAlive(c)
	if err != nil {
		return nil, nil, err
	}
	return acl, stat, nil
}

// SetACL replaces a node's ACL if its ACL version (Stat.Aversion) is version (AnyVersion
// matches any) and returns its new Stat. An empty acl is ErrInvalidACL.
func (c *Client) SetACL(ctx context.Context, path string, acl []ACL, version int32) (*Stat, error) {
	const op = "set acl"
	if err := pathArg(op, path); err != nil {
		return nil, err
	}
	if len(acl) == 0 || !validACL(acl) {
		return nil, codeError(C.ZK_RESULT_INVALID_ACL, op, path)
	}
	acl = slices.Clone(acl)
	var stat *Stat
	err := c.core.do(ctx, op, path, func(p *C.zk_client, ms C.uint32_t) C.zk_result {
		cpath := C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
		ca := newCACL(acl)
		defer ca.free()
		var st C.zk_stat
		r := C.zk_set_acl(p, cpath, ca.ptr, ca.n, C.int32_t(version), ms, &st)
		if r == C.ZK_RESULT_OK {
			stat = statFromC(&st)
		}
		return r
	})
	runtime.KeepAlive(c)
	if err != nil {
		return nil, err
	}
	return stat, nil
}

// AddAuth adds a credential to the session, for example AddAuth(ctx, "digest",
// []byte("user:password")), and waits for the server's verdict. It is sent again after
// every reconnect. A refused one is ErrAuthFailed, and the client becomes
// KeeperAuthFailed for good.
func (c *Client) AddAuth(ctx context.Context, scheme string, credential []byte) error {
	const op = "add auth"
	if hasNUL(scheme) {
		return codeError(C.ZK_RESULT_INVALID_ARGUMENT, op, "")
	}
	credential = bytes.Clone(credential)
	err := c.core.do(ctx, op, "", func(p *C.zk_client, ms C.uint32_t) C.zk_result {
		cscheme := C.CString(scheme)
		defer C.free(unsafe.Pointer(cscheme))
		cred, n := cData(credential)
		defer C.free(unsafe.Pointer(cred))
		return C.zk_add_auth(p, cscheme, cred, n, ms)
	})
	runtime.KeepAlive(c)
	return err
}

// Command sends a four-letter command ("ruok", "srvr", "stat", "conf", "mntr", "isro", ...)
// to the server this client is connected to (or the first host that answers) and returns
// its reply. The server answers only the commands its 4lw.commands.whitelist allows.
func (c *Client) Command(ctx context.Context, cmd string) (string, error) {
	const op = "command"
	if hasNUL(cmd) {
		return "", codeError(C.ZK_RESULT_INVALID_ARGUMENT, op, "")
	}
	var reply string
	err := c.core.do(ctx, op, "", func(p *C.zk_client, ms C.uint32_t) C.zk_result {
		ccmd := C.CString(cmd)
		defer C.free(unsafe.Pointer(ccmd))
		var out *C.char
		r := C.zk_command(p, ccmd, ms, &out)
		if r == C.ZK_RESULT_OK {
			reply = C.GoString(out)
			C.zk_string_free(out)
		}
		return r
	})
	runtime.KeepAlive(c)
	if err != nil {
		return "", err
	}
	return reply, nil
}

// Version is a server's version.
type Version struct {
	Major, Minor, Patch int
}

func (v Version) String() string {
	return strconv.Itoa(v.Major) + "." + strconv.Itoa(v.Minor) + "." + strconv.Itoa(v.Patch)
}

// ServerVersion asks the server for its version (with "srvr").
func (c *Client) ServerVersion(ctx context.Context) (Version, error) {
	var v Version
	err := c.core.do(ctx, "server version", "", func(p *C.zk_client, ms C.uint32_t) C.zk_result {
		var major, minor, patch C.uint32_t
		r := C.zk_server_version(p, ms, &major, &minor, &patch)
		if r == C.ZK_RESULT_OK {
			v = Version{int(major), int(minor), int(patch)}
		}
		return r
	})
	runtime.KeepAlive(c)
	if err != nil {
		return Version{}, err
	}
	return v, nil
}

// LibraryVersion is the version of libzkclient that this package is linked with.
func LibraryVersion() string {
	return C.GoString(C.zk_version())
}
