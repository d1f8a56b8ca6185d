package zk

// Lock, ReadLock and WriteLock (zk_lock): kazoo's locks on the same znodes, or Curator's.

/*
#include "shims.h"
*/
import "C"

import (
	"context"
	"runtime"
)

// Lock is a distributed lock on a path, shared with kazoo (and, with LayoutCurator,
// Curator) programs on the same path. Safe for concurrent use. Close it when done: Close
// releases it; a Lock dropped without Close is closed by a finalizer. It may outlive its
// Client, whose Close makes its calls fail with ErrClosed.
//
// Not re-entrant: Acquire on a held lock returns nil at once, and one Release releases.
type Lock struct {
	x       *holder[*C.zk_lock]
	path    string
	cleanup runtime.Cleanup
}

func newLock(c *Client, path string, kind C.uint32_t, opts []RecipeOption) (*Lock, error) {
	cfg := recipeOptions(opts)
	x, err := newHolder(c, "lock", path, cfg.identifier,
		func(cl *C.zk_client, out **C.zk_lock) C.zk_result {
			cpath, freePath := cString(path)
			defer freePath()
			cid, freeID := cString(cfg.identifier)
			defer freeID()
			return C.zk_lock_new(cl, cpath, cid, kind, C.uint32_t(cfg.layout), out)
		},
		func(p *C.zk_lock, h C.uintptr_t) C.zk_result { return C.zkgo_lock_set_state_callback(p, h) },
		func(p *C.zk_lock) { C.zk_lock_free(p) })
	runtime.KeepAlive(c)
	if err != nil {
		return nil, err
	}
	l := &Lock{x: x, path: path}
	l.cleanup = runtime.AddCleanup(l, func(h *recipeHandle[*C.zk_lock]) { go h.close() }, x.h)
	return l, nil
}

// NewLock makes an exclusive lock on path (kazoo's Lock; Curator's InterProcessMutex with
// WithLayout(LayoutCurator)). Nothing is sent until Acquire; the path is made then.
func NewLock(c *Client, path string, opts ...RecipeOption) (*Lock, error) {
	return newLock(c, path, C.ZK_LOCK_KIND_EXCLUSIVE, opts)
}

// NewReadLock makes the read side of a shared lock on path (kazoo's ReadLock): held with
// other readers, never with a writer before it.
func NewReadLock(c *Client, path string, opts ...RecipeOption) (*Lock, error) {
	return newLock(c, path, C.ZK_LOCK_KIND_READ, opts)
}

// NewWriteLock makes the write side of a shared lock on path (kazoo's WriteLock): held
// alone, after every reader and writer before it.
func NewWriteLock(c *Client, path string, opts ...RecipeOption) (*Lock, error) {
	return newLock(c, path, C.ZK_LOCK_KIND_WRITE, opts)
}

// Path is the lock's node.
func (l *Lock) Path() string { return l.path }

// Acquire waits for the lock until ctx is done: ctx's deadline (ErrTimedOut, also
// context.DeadlineExceeded) or its cancellation (ctx.Err()) ends the wait at once, and our
// node is gone (or, with the connection down, goes as soon as it is back). Without a
// deadline it waits for as long as it takes. One Acquire at a time per Lock.
func (l *Lock) Acquire(ctx context.Context) error {
	defer runtime.KeepAlive(l)
	return l.x.wait(ctx, "lock", l.path,
		func(p *C.zk_lock, ms C.int64_t) C.zk_result { return C.zk_lock_acquire(p, ms) },
		func(p *C.zk_lock) { C.zk_lock_cancel(p) },
		func(p *C.zk_lock) { C.zk_lock_clear_cancel(p) })
}

// TryAcquire takes the lock if nobody holds it or waits before us, and says whether it
// did. A few round trips, bounded by the client's operation timeout.
func (l *Lock) TryAcquire(ctx context.Context) (bool, error) {
	defer runtime.KeepAlive(l)
	var acquired bool
	err := l.x.h.do(ctx, "lock", l.path, func(p *C.zk_lock, _ C.uint32_t) C.zk_result {
		var got C.bool
		r := C.zk_lock_try_acquire(p, &got)
		acquired = bool(got)
		return r
	})
	return err == nil && acquired, err
}

// Release releases the lock (deletes our node; with the connection down, as soon as it is
// back). Nil when not held; after LockLost it forgets the lost lock.
func (l *Lock) Release(ctx context.Context) error {
	defer runtime.KeepAlive(l)
	return l.x.h.do(ctx, "unlock", l.path, func(p *C.zk_lock, _ C.uint32_t) C.zk_result {
		return C.zk_lock_release(p)
	})
}

// State is the lock's state now.
func (l *Lock) State() LockState {
	s := LockNotHeld
	l.x.h.peek(func(p *C.zk_lock) { s = LockState(C.zk_lock_get_state(p)) })
	runtime.KeepAlive(l)
	return s
}

// States receives what the session does to the lock while it is acquired: LockSuspended
// (it may be lost: stop relying on it), LockHeld again, LockLost (it is gone). Never the
// caller's own Acquire and Release. Buffered; when nobody reads, the oldest changes are
// dropped. Closed by Close.
func (l *Lock) States() <-chan LockState { return l.x.states }

// Node is our node's path while the lock is acquired, "" otherwise.
func (l *Lock) Node() string {
	var node string
	l.x.h.peek(func(p *C.zk_lock) {
		var s *C.char
		if p != nil && C.zk_lock_node(p, &s) == C.ZK_RESULT_OK && s != nil {
			node = C.GoString(s)
			C.zk_string_free(s)
		}
	})
	runtime.KeepAlive(l)
	return node
}

// Contenders are the identifiers of the holder and the waiters, in order.
func (l *Lock) Contenders(ctx context.Context) ([]string, error) {
	defer runtime.KeepAlive(l)
	var out []string
	err := l.x.h.do(ctx, "lock contenders", l.path, func(p *C.zk_lock, _ C.uint32_t) C.zk_result {
		var list *C.zk_string_list
		r := C.zk_lock_contenders(p, &list)
		if r == C.ZK_RESULT_OK {
			out = stringList(list)
		}
		return r
	})
	return out, err
}

// Close releases the lock if held and frees it; States is closed. Idempotent. It waits
// for calls in progress: cancel their contexts first.
func (l *Lock) Close() error {
	l.cleanup.Stop()
	l.x.h.close()
	return nil
}
