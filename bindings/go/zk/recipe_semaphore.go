package zk

// Semaphore (zk_semaphore): kazoo's Semaphore on the same znodes.

/*
#include "shims.h"
*/
import "C"

import (
	"context"
	"runtime"
)

// Semaphore hands out at most maxLeases leases on a path at once, counted with kazoo's
// Semaphore on the same path. Safe for concurrent use; Close it when done (it releases
// our lease).
type Semaphore struct {
	x       *holder[*C.zk_semaphore]
	path    string
	cleanup runtime.Cleanup
}

// NewSemaphore makes a semaphore of maxLeases (at least 1) on path. Every user of the
// path must say the same number: the path records it, and another one makes Acquire
// fail with ErrMismatch. WithIdentifier sets our lease's data; the layout is kazoo's.
func NewSemaphore(c *Client, path string, maxLeases int, opts ...RecipeOption) (*Semaphore, error) {
	if maxLeases < 1 || maxLeases > 1<<31-1 {
		return nil, codeError(C.ZK_RESULT_INVALID_ARGUMENT, "semaphore", path)
	}
	cfg := recipeOptions(opts)
	x, err := newHolder(c, "semaphore", path, cfg.identifier,
		func(cl *C.zk_client, out **C.zk_semaphore) C.zk_result {
			cpath, freePath := cString(path)
			defer freePath()
			cid, freeID := cString(cfg.identifier)
			defer freeID()
			return C.zk_semaphore_new(cl, cpath, cid, C.uint32_t(maxLeases), out)
		},
		func(p *C.zk_semaphore, h C.uintptr_t) C.zk_result {
			return C.zkgo_semaphore_set_state_callback(p, h)
		},
		func(p *C.zk_semaphore) { C.zk_semaphore_free(p) })
	runtime.KeepAlive(c)
	if err != nil {
		return nil, err
	}
	s := &Semaphore{x: x, path: path}
	s.cleanup = runtime.AddCleanup(s, func(h *recipeHandle[*C.zk_semaphore]) { go h.close() }, x.h)
	return s, nil
}

// Path is the semaphore's node.
func (s *Semaphore) Path() string { return s.path }

// Acquire waits for a lease until ctx is done, as Lock.Acquire waits for a lock.
func (s *Semaphore) Acquire(ctx context.Context) error {
	defer runtime.KeepAlive(s)
	return s.x.wait(ctx, "semaphore", s.path,
		func(p *C.zk_semaphore, ms C.int64_t) C.zk_result { return C.zk_semaphore_acquire(p, ms) },
		func(p *C.zk_semaphore) { C.zk_semaphore_cancel(p) },
		func(p *C.zk_semaphore) { C.zk_semaphore_clear_cancel(p) })
}

// TryAcquire takes a lease if one is free now, and says whether it did.
func (s *Semaphore) TryAcquire(ctx context.Context) (bool, error) {
	defer runtime.KeepAlive(s)
	var acquired bool
	err := s.x.h.do(ctx, "semaphore", s.path, func(p *C.zk_semaphore, _ C.uint32_t) C.zk_result {
		var got C.bool
		r := C.zk_semaphore_try_acquire(p, &got)
		acquired = bool(got)
		return r
	})
	return err == nil && acquired, err
}

// Release gives our lease back; nil when we hold none.
func (s *Semaphore) Release(ctx context.Context) error {
	defer runtime.KeepAlive(s)
	return s.x.h.do(ctx, "semaphore release", s.path, func(p *C.zk_semaphore, _ C.uint32_t) C.zk_result {
		return C.zk_semaphore_release(p)
	})
}

// State is our lease's state now.
func (s *Semaphore) State() LockState {
	st := LockNotHeld
	s.x.h.peek(func(p *C.zk_semaphore) { st = LockState(C.zk_semaphore_get_state(p)) })
	runtime.KeepAlive(s)
	return st
}

// States receives what the session does to our lease, as Lock.States.
func (s *Semaphore) States() <-chan LockState { return s.x.states }

// LeaseHolders are the identifiers of the lease holders, in no order.
func (s *Semaphore) LeaseHolders(ctx context.Context) ([]string, error) {
	defer runtime.KeepAlive(s)
	var out []string
	err := s.x.h.do(ctx, "semaphore lease holders", s.path, func(p *C.zk_semaphore, _ C.uint32_t) C.zk_result {
		var list *C.zk_string_list
		r := C.zk_semaphore_lease_holders(p, &list)
		if r == C.ZK_RESULT_OK {
			out = stringList(list)
		}
		return r
	})
	return out, err
}

// Close releases our lease and frees the semaphore, as Lock.Close.
func (s *Semaphore) Close() error {
	s.cleanup.Stop()
	s.x.h.close()
	return nil
}
