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
)

// Election is a contender in the leader election on a path, with kazoo's Election (and,
// with LayoutCurator, Curator's LeaderLatch names) on the same path. Safe for concurrent
// use; Close it when done (it resigns).
type Election struct {
	x       *holder[*C.zk_election]
	path    string
	cleanup runtime.Cleanup
}

// NewElection makes a contender on path; WithIdentifier sets what Contenders lists.
// Nothing is sent until Run or Campaign.
func NewElection(c *Client, path string, opts ...RecipeOption) (*Election, error) {
	cfg := recipeOptions(opts)
	x, err := newHolder(c, "election", path, cfg.identifier,
		func(cl *C.zk_client, out **C.zk_election) C.zk_result {
			cpath, freePath := cString(path)
			defer freePath()
			cid, freeID := cString(cfg.identifier)
			defer freeID()
			return C.zk_election_new(cl, cpath, cid, C.uint32_t(cfg.layout), out)
		},
		func(p *C.zk_election, h C.uintptr_t) C.zk_result {
			return C.zkgo_election_set_state_callback(p, h)
		},
		func(p *C.zk_election) { C.zk_election_free(p) })
	runtime.KeepAlive(c)
	if err != nil {
		return nil, err
	}
	e := &Election{x: x, path: path}
	e.cleanup = runtime.AddCleanup(e, func(h *recipeHandle[*C.zk_election]) { go h.close() }, x.h)
	return e, nil
}

// Path is the election's node.
func (e *Election) Path() string { return e.path }

// Run waits to be elected until ctx is done, then calls lead as the leader and resigns
// when it returns; it returns lead's error. The context lead gets is done when ctx is, and
// when leadership is lost (the session ended): lead should return then. While the
// connection is down, States says LockSuspended: leadership may be lost without our
// hearing of it. lead must not Close the election.
func (e *Election) Run(ctx context.Context, lead func(ctx context.Context) error) error {
	defer runtime.KeepAlive(e)
	if err := e.Campaign(ctx); err != nil {
		return err
	}
	e.x.h.mu.RLock()
	defer e.x.h.mu.RUnlock()
	p := e.x.h.ptr
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
	return err
}

// Campaign waits to be elected until ctx is done, as Lock.Acquire waits, and returns
// leading; Resign ends it. Nil at once if already leading.
func (e *Election) Campaign(ctx context.Context) error {
	defer runtime.KeepAlive(e)
	return e.x.wait(ctx, "election", e.path,
		func(p *C.zk_election, ms C.int64_t) C.zk_result { return C.zk_election_campaign(p, ms) },
		func(p *C.zk_election) { C.zk_election_cancel(p) },
		func(p *C.zk_election) { C.zk_election_clear_cancel(p) })
}

// Resign stops leading (or forgets a lost leadership); nil when not leading.
func (e *Election) Resign(ctx context.Context) error {
	defer runtime.KeepAlive(e)
	return e.x.h.do(ctx, "election resign", e.path, func(p *C.zk_election, _ C.uint32_t) C.zk_result {
		return C.zk_election_resign(p)
	})
}

// State is LockHeld while we lead; LockSuspended, LockLost as a lock's; LockNotHeld
// otherwise.
func (e *Election) State() LockState {
	s := LockNotHeld
	e.x.h.peek(func(p *C.zk_election) { s = LockState(C.zk_election_get_state(p)) })
	runtime.KeepAlive(e)
	return s
}

// States receives what the session does to our leadership: LockSuspended (we may no
// longer lead), LockHeld again, LockLost (we do not). As Lock.States.
func (e *Election) States() <-chan LockState { return e.x.states }

// Contenders are the identifiers of the contenders, the leader first.
func (e *Election) Contenders(ctx context.Context) ([]string, error) {
	defer runtime.KeepAlive(e)
	var out []string
	err := e.x.h.do(ctx, "election contenders", e.path, func(p *C.zk_election, _ C.uint32_t) C.zk_result {
		var list *C.zk_string_list
		r := C.zk_election_contenders(p, &list)
		if r == C.ZK_RESULT_OK {
			out = stringList(list)
		}
		return r
	})
	return out, err
}

// Close resigns and frees the election, as Lock.Close.
func (e *Election) Close() error {
	e.cleanup.Stop()
	e.x.h.close()
	return nil
}
