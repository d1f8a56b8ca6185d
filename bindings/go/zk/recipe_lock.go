package zk

// Lock, ReadLock and WriteLock (zk_lock): kazoo's locks on the same znodes, or Curator's.

/*
#include "shims.h"
*/
import "C"

import (
	"context"
	"runtime"
	"unsafe"
)

// Lock is a distributed lock on a path, shared with kazoo (and, with LayoutCurator,
// Curator) programs on the same path. Safe for concurrent use. Close it when done: Close
// releases it; a Lock dropped without Close is closed by a finalizer.
//
// Not re-entrant: Acquire on a held lock returns nil at once, and one Release releases.
type Lock struct {
	r       *recipeCore
	path    string
	cleanup runtime.Cleanup
}

func (c *Client) newLock(path string, kind C.uint32_t, opts []RecipeOption) (*Lock, error) {
	cfg := recipeOptions(opts)
	r, err := newRecipe(c, "lock", path,
		func(cp *C.zk_client) (unsafe.Pointer, C.zk_result) {
			cpath, freePath := cString(path)
			defer freePath()
			cid, freeID := cString(cfg.identifier)
			defer freeID()
			var l *C.zk_lock
			res := C.zk_lock_new(cp, cpath, cid, kind, C.uint32_t(cfg.layout), &l)
			return unsafe.Pointer(l), res
		},
		func(p unsafe.Pointer, h C.uintptr_t) C.zk_result {
			return C.zkgo_lock_set_state_callback((*C.zk_lock)(p), h)
		},
		func(p unsafe.Pointer) { C.zk_lock_free((*C.zk_lock)(p)) })
	if err != nil {
		return nil, err
	}
	l := &Lock{r: r, path: path}
	l.cleanup = runtime.AddCleanup(l, func(r *recipeCore) { go r.close() }, r)
	return l, nil
}

// NewLock makes an exclusive lock on path (kazoo's Lock; Curator's InterProcessMutex with
// WithLayout(LayoutCurator)). Nothing is sent until Acquire; the path is made then.
func (c *Client) NewLock(path string, opts ...RecipeOption) (*Lock, error) {
	return c.newLock(path, C.ZK_LOCK_KIND_EXCLUSIVE, opts)
}

// NewReadLock makes the read side of a shared lock on path (kazoo's ReadLock): held with
// other readers, never with a writer before it.
func (c *Client) NewReadLock(path string, opts ...RecipeOption) (*Lock, error) {
	return c.newLock(path, C.ZK_LOCK_KIND_READ, opts)
}

// NewWriteLock makes the write side of a shared lock on path (kazoo's WriteLock): held
// alone, after every reader and writer before it.
func (c *Client) NewWriteLock(path string, opts ...RecipeOption) (*Lock, error) {
	return c.newLock(path, C.ZK_LOCK_KIND_WRITE, opts)
}

// Acquire waits for the lock until ctx is done: ctx's deadline (ErrTimedOut, also
// context.DeadlineExceeded) or its cancellation (ctx.Err()) ends the wait at once, and our
// node is gone (or, with the connection down, goes as soon as it is back). Without a
// deadline it waits for as long as it takes. One Acquire at a time per Lock.
func (l *Lock) Acquire(ctx context.Context) error {
	defer runtime.KeepAlive(l)
	return l.r.wait(ctx, "lock", l.path,
		func(p unsafe.Pointer, ms C.int64_t) C.zk_result {
			return C.zk_lock_acquire((*C.zk_lock)(p), ms)
		},
		func(p unsafe.Pointer) { C.zk_lock_cancel((*C.zk_lock)(p)) },
		func(p unsafe.Pointer) { C.zk_lock_clear_cancel((*C.zk_lock)(p)) })
}

// TryAcquire takes the lock if nobody holds it or waits before us, and says whether it
// did. A few round trips, bounded by the client's operation timeout.
func (l *Lock) TryAcquire(ctx context.Context) (bool, error) {
	defer runtime.KeepAlive(l)
	var got C.bool
	err := l.r.call(ctx, "lock", l.path, func(p unsafe.Pointer) C.zk_result {
		return C.zk_lock_try_acquire((*C.zk_lock)(p), &got)
	})
	return err == nil && bool(got), err
}

// Release releases the lock (deletes our node; with the connection down, as soon as it is
// back). Nil when not held; after LockLost it forgets the lost lock.
func (l *Lock) Release(ctx context.Context) error {
	defer runtime.KeepAlive(l)
	return l.r.call(ctx, "unlock", l.path, func(p unsafe.Pointer) C.zk_result {
		return C.zk_lock_release((*C.zk_lock)(p))
	})
}

// State is the lock's state now.
func (l *Lock) State() LockState {
	s := LockNotHeld
	l.r.peek(func(p unsafe.Pointer) { s = LockState(C.zk_lock_get_state((*C.zk_lock)(p))) })
	runtime.KeepAlive(l)
	return s
}

// States receives what the session does to the lock while it is acquired: LockSuspended
// (it may be lost: stop relying on it), LockHeld again, LockLost (it is gone). Never the
// caller's own Acquire and Release. Buffered; when nobody reads, the oldest changes are
// dropped. Closed by Close.
func (l *Lock) States() <-chan LockState { return l.r.states }

// Node is our node's path while the lock is acquired, "" otherwise.
func (l *Lock) Node() string {
	var node string
	l.r.peek(func(p unsafe.Pointer) {
		var s *C.char
		if p != nil && C.zk_lock_node((*C.zk_lock)(p), &s) == C.ZK_RESULT_OK && s != nil {
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
	err := l.r.call(ctx, "contenders", l.path, func(p unsafe.Pointer) C.zk_result {
		var list *C.zk_string_list
		res := C.zk_lock_contenders((*C.zk_lock)(p), &list)
		if res == C.ZK_RESULT_OK {
			out = stringList(list)
		}
		return res
	})
	return out, err
}

// Close releases the lock if held and frees it; States is closed. Idempotent. It waits
// for calls in progress: cancel their contexts first.
func (l *Lock) Close() error {
	l.cleanup.Stop()
	l.r.close()
	l.r.panics.rethrow()
	return nil
}
