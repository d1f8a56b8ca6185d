package zk

// Election (zk_election): kazoo's Election on the same znodes, or Curator's LeaderLatch
// names.

/*
#include "shims.h"
*/
import "C"

import (
	"context"
	"runtime"
	"unsafe"
)

// Election is a contender in the leader election on a path, with kazoo's Election (and,
// with LayoutCurator, Curator's LeaderLatch names) on the same path. Safe for concurrent
// use; Close it when done (it resigns).
type Election struct {
	r       *recipeCore
	path    string
	cleanup runtime.Cleanup
}

// NewElection makes a contender on path; WithIdentifier sets what Contenders lists.
// Nothing is sent until Run or Campaign.
func (c *Client) NewElection(path string, opts ...RecipeOption) (*Election, error) {
	cfg := recipeOptions(opts)
	r, err := newRecipe(c, "election", path,
		func(cp *C.zk_client) (unsafe.Pointer, C.zk_result) {
			cpath, freePath := cString(path)
			defer freePath()
			cid, freeID := cString(cfg.identifier)
			defer freeID()
			var e *C.zk_election
			res := C.zk_election_new(cp, cpath, cid, C.uint32_t(cfg.layout), &e)
			return unsafe.Pointer(e), res
		},
		func(p unsafe.Pointer, h C.uintptr_t) C.zk_result {
			return C.zkgo_election_set_state_callback((*C.zk_election)(p), h)
		},
		func(p unsafe.Pointer) { C.zk_election_free((*C.zk_election)(p)) })
	if err != nil {
		return nil, err
	}
	e := &Election{r: r, path: path}
	e.cleanup = runtime.AddCleanup(e, func(r *recipeCore) { go r.close() }, r)
	return e, nil
}

// Run waits to be elected until ctx is done, then calls lead as the leader and resigns
// when it returns; it returns lead's error. The context lead gets is done when ctx is, and
// when leadership is lost (the session ended): lead should return then. While the
// connection is down, States says LockSuspended: leadership may be lost without our
// hearing of it.
func (e *Election) Run(ctx context.Context, lead func(ctx context.Context) error) error {
	defer runtime.KeepAlive(e)
	if err := e.Campaign(ctx); err != nil {
		return err
	}
	e.r.mu.RLock()
	defer e.r.mu.RUnlock()
	p := (*C.zk_election)(e.r.ptr)
	if p == nil {
		return codeError(C.ZK_RESULT_CLOSED, "election", e.path)
	}
	leadCtx, stop := context.WithCancel(ctx)
	defer stop()
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		// Returns on each change of state, and for good once we should stop: leadership
		// lost, or the cancel below.
		for !C.zk_election_wait(p, -1) {
		}
		stop()
	}()
	err := lead(leadCtx)
	C.zk_election_cancel(p)
	<-watched
	C.zk_election_resign(p) // forgets the cancel too
	e.r.panics.rethrow()
	return err
}

// Campaign waits to be elected until ctx is done, as Lock.Acquire waits, and returns
// leading; Resign ends it. Nil at once if already leading.
func (e *Election) Campaign(ctx context.Context) error {
	defer runtime.KeepAlive(e)
	return e.r.wait(ctx, "election", e.path,
		func(p unsafe.Pointer, ms C.int64_t) C.zk_result {
			return C.zk_election_campaign((*C.zk_election)(p), ms)
		},
		func(p unsafe.Pointer) { C.zk_election_cancel((*C.zk_election)(p)) },
		func(p unsafe.Pointer) { C.zk_election_clear_cancel((*C.zk_election)(p)) })
}

// Resign stops leading (or forgets a lost leadership); nil when not leading.
func (e *Election) Resign(ctx context.Context) error {
	defer runtime.KeepAlive(e)
	return e.r.call(ctx, "resign", e.path, func(p unsafe.Pointer) C.zk_result {
		return C.zk_election_resign((*C.zk_election)(p))
	})
}

// State is LockHeld while we lead; LockSuspended, LockLost as a lock's; LockNotHeld
// otherwise.
func (e *Election) State() LockState {
	s := LockNotHeld
	e.r.peek(func(p unsafe.Pointer) {
		s = LockState(C.zk_election_get_state((*C.zk_election)(p)))
	})
	runtime.KeepAlive(e)
	return s
}

// States receives what the session does to our leadership: LockSuspended (we may no
// longer lead), LockHeld again, LockLost (we do not). As Lock.States.
func (e *Election) States() <-chan LockState { return e.r.states }

// Contenders are the identifiers of the contenders, the leader first.
func (e *Election) Contenders(ctx context.Context) ([]string, error) {
	defer runtime.KeepAlive(e)
	var out []string
	err := e.r.call(ctx, "contenders", e.path, func(p unsafe.Pointer) C.zk_result {
		var list *C.zk_string_list
		res := C.zk_election_contenders((*C.zk_election)(p), &list)
		if res == C.ZK_RESULT_OK {
			out = stringList(list)
		}
		return res
	})
	return out, err
}

// Close resigns and frees the election, as Lock.Close.
func (e *Election) Close() error {
	e.cleanup.Stop()
	e.r.close()
	e.r.panics.rethrow()
	return nil
}
