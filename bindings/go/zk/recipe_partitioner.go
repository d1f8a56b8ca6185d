package zk

// SetPartitioner (zk_partitioner): kazoo's division of a set among the members of a
// party, on kazoo's znodes, so Go members and kazoo members divide one set together.

/*
#include <stdlib.h>
#include "shims.h"
*/
import "C"

import (
	"context"
	"fmt"
	"runtime"
	"runtime/cgo"
	"time"
	"unsafe"
)

// PartitionState is where a SetPartitioner is (kazoo's PartitionState).
type PartitionState int32

const (
	// PartitionAllocating: waiting for the party to settle, then taking the locks of our
	// share.
	PartitionAllocating PartitionState = 0
	// PartitionAcquired: our share is ours (Items lists it); every lock of it is held.
	PartitionAcquired PartitionState = 1
	// PartitionRelease: the party or the connection changed. Stop working on the share
	// and call ReleaseSet, which releases it and allocates again.
	PartitionRelease PartitionState = 2
	// PartitionFailure: final. The session ended, a request failed (Failure says which),
	// or Finish was called. Make a new SetPartitioner to take part again.
	PartitionFailure PartitionState = 3
)

// zkclient.h's values: the build fails if one of them changes.
var (
	_ = [1]struct{}{}[PartitionAllocating-C.ZK_PARTITION_STATE_ALLOCATING]
	_ = [1]struct{}{}[PartitionAcquired-C.ZK_PARTITION_STATE_ACQUIRED]
	_ = [1]struct{}{}[PartitionRelease-C.ZK_PARTITION_STATE_RELEASE]
	_ = [1]struct{}{}[PartitionFailure-C.ZK_PARTITION_STATE_FAILURE]
)

func (s PartitionState) String() string {
	switch s {
	case PartitionAllocating:
		return "Allocating"
	case PartitionAcquired:
		return "Acquired"
	case PartitionRelease:
		return "Release"
	case PartitionFailure:
		return "Failure"
	}
	return fmt.Sprintf("PartitionState(%d)", int32(s))
}

// PartitionerOptions are kazoo's SetPartitioner arguments. The zero value is kazoo's
// defaults with our default identifier.
type PartitionerOptions struct {
	// Identifier is our name in the party: part of our party node's name, so no '/'.
	// "" is "<host name>-<pid>" (kazoo's default uses the fully qualified name). Members
	// must have different identifiers.
	Identifier string
	// TimeBoundary is how long the party must stay unchanged before we allocate; 0 is
	// kazoo's 30 s (for a party that need not settle, give a millisecond).
	TimeBoundary time.Duration
	// MaxReactionTime is the longest one lock is waited for before we look whether the
	// party changed, and wait again; 0 is kazoo's 1 s.
	MaxReactionTime time.Duration
}

// durationMillis is d in milliseconds, rounded up; -1 (the library's default) for 0.
func durationMillis(d time.Duration) C.int64_t {
	if d <= 0 {
		return -1
	}
	return C.int64_t((d + time.Millisecond - 1) / time.Millisecond)
}

// SetPartitioner is a member of the partition of a set of items at a path (kazoo's
// SetPartitioner, on the same znodes: a shallow party at <path>/party and a lock at
// <path>/locks/<item> per item). It starts allocating when made, on a thread of the
// library's: it joins the party, waits for the party to settle, takes kazoo's share
// (the sorted items from its place among the sorted identifiers, every n-th) and holds
// a lock per item of it. Run it as kazoo's docs do: ReleaseSet on PartitionRelease,
// WaitForAcquire while PartitionAllocating, work on Items while PartitionAcquired.
// Safe for concurrent use. Close it when done: Close finishes it. It may outlive its
// Client, whose Close fails it.
type SetPartitioner struct {
	h       *recipeHandle[*C.zk_partitioner]
	states  chan PartitionState
	path    string
	cleanup runtime.Cleanup
}

// NewSetPartitioner makes a member of the partition of items (duplicates count once) at
// path, which starts allocating at once. ErrInvalidArgument when the identifier cannot be
// part of a node name or an item cannot be part of a lock's path (empty, "." or "..", a
// '/' at either end).
func NewSetPartitioner(c *Client, path string, items []string, opts PartitionerOptions) (*SetPartitioner, error) {
	const op = "partitioner"
	if hasNUL(opts.Identifier) {
		return nil, codeError(C.ZK_RESULT_INVALID_ARGUMENT, op, path)
	}
	for _, it := range items {
		if hasNUL(it) {
			return nil, codeError(C.ZK_RESULT_INVALID_ARGUMENT, op, path)
		}
	}
	p, err := newRecipe(c, op, path, func(cl *C.zk_client, out **C.zk_partitioner) C.zk_result {
		cpath, freePath := cString(path)
		defer freePath()
		var cid *C.char
		if opts.Identifier != "" {
			id, freeID := cString(opts.Identifier)
			defer freeID()
			cid = id
		}
		var citems **C.char
		if len(items) > 0 {
			size := C.size_t(len(items)) * C.size_t(unsafe.Sizeof((*C.char)(nil)))
			citems = (**C.char)(C.malloc(size))
			defer C.free(unsafe.Pointer(citems))
			arr := unsafe.Slice(citems, len(items))
			for i, it := range items {
				s, free := cString(it)
				defer free()
				arr[i] = s
			}
		}
		return C.zk_partitioner_new(cl, cpath, citems, C.size_t(len(items)), cid,
			durationMillis(opts.TimeBoundary), durationMillis(opts.MaxReactionTime), out)
	})
	runtime.KeepAlive(c)
	if err != nil {
		return nil, err
	}
	states := make(chan PartitionState, recipeStateBuffer)
	handle := cgo.NewHandle(&recipeStateSink[PartitionState]{ch: states, panics: c.core.panics})
	if r := C.zkgo_partitioner_set_state_callback(p, C.uintptr_t(handle)); r != C.ZK_RESULT_OK {
		C.zk_partitioner_free(p) // the library ran the finalizer: handle is gone
		return nil, codeError(r, op, path)
	}
	h := newRecipeHandle(p, func(p *C.zk_partitioner) { C.zk_partitioner_free(p) })
	s := &SetPartitioner{h: h, states: states, path: path}
	s.cleanup = runtime.AddCleanup(s, func(h *recipeHandle[*C.zk_partitioner]) { go h.close() }, h)
	return s, nil
}

// Path is the partition's node.
func (s *SetPartitioner) Path() string { return s.path }

// WaitForAcquire waits until the partitioner is no longer allocating, until ctx is done,
// and returns the state it is in: PartitionAcquired, or PartitionRelease or
// PartitionFailure if that came first. ctx's deadline (ErrTimedOut, also
// context.DeadlineExceeded) or its cancellation (ctx.Err()) ends the wait at once; the
// allocation goes on. Waits on other goroutines go on meanwhile.
func (s *SetPartitioner) WaitForAcquire(ctx context.Context) (PartitionState, error) {
	defer runtime.KeepAlive(s)
	state := PartitionFailure
	err := s.h.wait(ctx, "partitioner wait", s.path,
		func(p *C.zk_partitioner, ms C.int64_t) C.zk_result {
			var out C.zk_partition_state
			r := C.zk_partitioner_wait_for_acquire(p, ms, &out)
			if r == C.ZK_RESULT_OK {
				state = PartitionState(out)
			}
			return r
		},
		func(p *C.zk_partitioner) { C.zk_partitioner_cancel(p) },
		func(p *C.zk_partitioner) { C.zk_partitioner_clear_cancel(p) })
	if err != nil {
		return s.State(), err
	}
	return state, nil
}

// State is the partitioner's state now (PartitionFailure after Close).
func (s *SetPartitioner) State() PartitionState {
	st := PartitionFailure
	s.h.peek(func(p *C.zk_partitioner) {
		if p != nil {
			st = PartitionState(C.zk_partitioner_get_state(p))
		}
	})
	runtime.KeepAlive(s)
	return st
}

// States receives every change of the partitioner's state, the caller's own ReleaseSet
// and Finish included. Buffered; when nobody reads, the oldest changes are dropped.
// Closed by Close.
func (s *SetPartitioner) States() <-chan PartitionState { return s.states }

// Items is our share, sorted: the items whose locks we hold while PartitionAcquired, and
// in the PartitionRelease that follows until ReleaseSet; empty otherwise.
func (s *SetPartitioner) Items() []string {
	var out []string
	s.h.peek(func(p *C.zk_partitioner) {
		var list *C.zk_string_list
		if p != nil && C.zk_partitioner_items(p, &list) == C.ZK_RESULT_OK {
			out = stringList(list)
		}
	})
	runtime.KeepAlive(s)
	return out
}

// ReleaseSet releases our share (every lock we hold) and allocates again: the call to
// make on PartitionRelease. After PartitionFailure it releases what is left and changes
// nothing. A lock that cannot be released fails the partitioner and is returned.
func (s *SetPartitioner) ReleaseSet(ctx context.Context) error {
	defer runtime.KeepAlive(s)
	return s.h.do(ctx, "partitioner release", s.path, func(p *C.zk_partitioner, _ C.uint32_t) C.zk_result {
		return C.zk_partitioner_release_set(p)
	})
}

// Finish releases our share, leaves the party and goes to PartitionFailure for good.
// Idempotent.
func (s *SetPartitioner) Finish(ctx context.Context) error {
	defer runtime.KeepAlive(s)
	return s.h.do(ctx, "partitioner finish", s.path, func(p *C.zk_partitioner, _ C.uint32_t) C.zk_result {
		return C.zk_partitioner_finish(p)
	})
}

// Failure says why the partitioner failed when a request it made failed; nil while it
// has not failed, or when its session ended, its client was closed or it was finished.
func (s *SetPartitioner) Failure() error {
	var err error
	s.h.peek(func(p *C.zk_partitioner) {
		if p != nil {
			err = codeError(C.zk_partitioner_get_failure(p), "partitioner", s.path)
		}
	})
	runtime.KeepAlive(s)
	return err
}

// Close finishes the partitioner (releases our share and leaves the party) and frees it;
// States is closed. Idempotent. It waits for calls in progress: cancel their contexts
// first.
func (s *SetPartitioner) Close() error {
	s.cleanup.Stop()
	s.h.close()
	return nil
}
