package zk

// Semaphore (zk_semaphore): kazoo's Semaphore on the same znodes.

/*
#include "shims.h"
*/
import "C"

import (
	"context"
	"runtime"
	"unsafe"
)

// Semaphore hands out at most maxLeases leases on a path at once, counted with kazoo's
// Semaphore on the same path. Safe for concurrent use; Close it when done (it releases
// our lease).
type Semaphore struct {
	r       *recipeCore
	path    string
	cleanup runtime.Cleanup
}

// NewSemaphore makes a semaphore of maxLeases (at least 1) on path. Every user of the
// path must say the same number: the path records it, and another one makes Acquire
// fail with ErrMismatch. WithIdentifier sets our lease's data; the layout is kazoo's.
func (c *Client) NewSemaphore(path string, maxLeases int, opts ...RecipeOption) (*Semaphore, error) {
	if maxLeases < 1 || maxLeases > 1<<31-1 {
		return nil, codeError(C.ZK_RESULT_INVALID_ARGUMENT, "semaphore", path)
	}
	cfg := recipeOptions(opts)
	r, err := newRecipe(c, "semaphore", path,
		func(cp *C.zk_client) (unsafe.Pointer, C.zk_result) {
			cpath, freePath := cString(path)
			defer freePath()
			cid, freeID := cString(cfg.identifier)
			defer freeID()
			var s *C.zk_semaphore
			res := C.zk_semaphore_new(cp, cpath, cid, C.uint32_t(maxLeases), &s)
			return unsafe.Pointer(s), res
		},
		func(p unsafe.Pointer, h C.uintptr_t) C.zk_result {
			return C.zkgo_semaphore_set_state_callback((*C.zk_semaphore)(p), h)
		},
		func(p unsafe.Pointer) { C.zk_semaphore_free((*C.zk_semaphore)(p)) })
	if err != nil {
		return nil, err
	}
	s := &Semaphore{r: r, path: path}
	s.cleanup = runtime.AddCleanup(s, func(r *recipeCore) { go r.close() }, r)
	return s, nil
}

// Acquire waits for a lease until ctx is done, as Lock.Acquire waits for a lock.
func (s *Semaphore) Acquire(ctx context.Context) error {
	defer runtime.KeepAlive(s)
	return s.r.wait(ctx, "semaphore", s.path,
		func(p unsafe.Pointer, ms C.int64_t) C.zk_result {
			return C.zk_semaphore_acquire((*C.zk_semaphore)(p), ms)
		},
		func(p unsafe.Pointer) { C.zk_semaphore_cancel((*C.zk_semaphore)(p)) },
		func(p unsafe.Pointer) { C.zk_semaphore_clear_cancel((*C.zk_semaphore)(p)) })
}

// TryAcquire takes a lease if one is free now, and says whether it did.
func (s *Semaphore) TryAcquire(ctx context.Context) (bool, error) {
	defer runtime.KeepAlive(s)
	var got C.bool
	err := s.r.call(ctx, "semaphore", s.path, func(p unsafe.Pointer) C.zk_result {
		return C.zk_semaphore_try_acquire((*C.zk_semaphore)(p), &got)
	})
	return err == nil && bool(got), err
}

// Release gives our lease back; nil when we hold none.
func (s *Semaphore) Release(ctx context.Context) error {
	defer runtime.KeepAlive(s)
	return s.r.call(ctx, "semaphore release", s.path, func(p unsafe.Pointer) C.zk_result {
		return C.zk_semaphore_release((*C.zk_semaphore)(p))
	})
}

// State is our lease's state now.
func (s *Semaphore) State() LockState {
	st := LockNotHeld
	s.r.peek(func(p unsafe.Pointer) {
		st = LockState(C.zk_semaphore_get_state((*C.zk_semaphore)(p)))
	})
	runtime.KeepAlive(s)
	return st
}

// States receives what the session does to our lease, as Lock.States.
func (s *Semaphore) States() <-chan LockState { return s.r.states }

// LeaseHolders are the identifiers of the lease holders, in no order.
func (s *Semaphore) LeaseHolders(ctx context.Context) ([]string, error) {
	defer runtime.KeepAlive(s)
	var out []string
	err := s.r.call(ctx, "lease holders", s.path, func(p unsafe.Pointer) C.zk_result {
		var list *C.zk_string_list
		res := C.zk_semaphore_lease_holders((*C.zk_semaphore)(p), &list)
		if res == C.ZK_RESULT_OK {
			out = stringList(list)
		}
		return res
	})
	return out, err
}

// Close releases our lease and frees the semaphore, as Lock.Close.
func (s *Semaphore) Close() error {
	s.cleanup.Stop()
	s.r.close()
	s.r.panics.rethrow()
	return nil
}
