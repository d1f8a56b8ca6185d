package zk

// What the lock-like recipes (Lock, Semaphore, Election) share beside recipeHandle: their
// options, their state and its channel, and one blocking wait at a time that the caller's
// context cancels.

/*
#include <stdlib.h>
#include "shims.h"
*/
import "C"

import (
	"context"
	"fmt"
	"runtime/cgo"
	"time"
	"unsafe"
)

// Layout is whose znode names a recipe writes.
type Layout uint32

const (
	// LayoutKazoo writes kazoo's names: <uuid4 hex>__lock__<seq> (__rlock__ for a reader).
	LayoutKazoo Layout = 0
	// LayoutCurator writes Curator's protected names: _c_<uuid>-lock-<seq>
	// (InterProcessMutex), -__READ__ / -__WRIT__ (InterProcessReadWriteLock), -latch-
	// (LeaderLatch, for an election).
	LayoutCurator Layout = 1
)

// LockState is what a lock, a semaphore lease or a leadership is, as its holder should
// see it.
type LockState int32

const (
	// LockNotHeld: not acquired, or released.
	LockNotHeld LockState = 0
	// LockHeld: acquired, and the session that owns our node is connected.
	LockHeld LockState = 1
	// LockSuspended: acquired, but the connection is down: the lock may be lost without
	// our hearing of it. Stop relying on it until it is LockHeld again.
	LockSuspended LockState = 2
	// LockLost: the session that owned our node ended; someone else may hold the lock.
	// Final for this acquisition: Release forgets it.
	LockLost LockState = 3
)

// zkclient.h's values: the build fails if one of them changes.
var (
	_ = [1]struct{}{}[LockNotHeld-C.ZK_LOCK_STATE_NOT_HELD]
	_ = [1]struct{}{}[LockHeld-C.ZK_LOCK_STATE_HELD]
	_ = [1]struct{}{}[LockSuspended-C.ZK_LOCK_STATE_SUSPENDED]
	_ = [1]struct{}{}[LockLost-C.ZK_LOCK_STATE_LOST]
	_ = [1]struct{}{}[LayoutKazoo-C.ZK_LAYOUT_KAZOO]
	_ = [1]struct{}{}[LayoutCurator-C.ZK_LAYOUT_CURATOR]
)

func (s LockState) String() string {
	switch s {
	case LockNotHeld:
		return "NotHeld"
	case LockHeld:
		return "Held"
	case LockSuspended:
		return "Suspended"
	case LockLost:
		return "Lost"
	}
	return fmt.Sprintf("LockState(%d)", int32(s))
}

// RecipeOption sets how a recipe is made.
type RecipeOption func(*recipeConfig)

type recipeConfig struct {
	identifier string
	layout     Layout
}

// WithIdentifier sets our node's data, which Contenders (or LeaseHolders) lists: kazoo's
// identifier; "" by default.
func WithIdentifier(id string) RecipeOption {
	return func(c *recipeConfig) { c.identifier = id }
}

// WithLayout sets whose znode names the recipe writes (LayoutKazoo by default). A
// Semaphore has kazoo's layout only.
func WithLayout(l Layout) RecipeOption {
	return func(c *recipeConfig) { c.layout = l }
}

func recipeOptions(opts []RecipeOption) recipeConfig {
	var cfg recipeConfig
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// recipeStateBuffer is how many changes a recipe's States channel holds before it drops
// the oldest.
const recipeStateBuffer = 16

// recipeStateSink is a recipe's state callback userdata: it feeds a buffered channel
// without ever blocking the library's thread, dropping the oldest change when full (as
// stateSink does), and closes it when the recipe is freed. S is the recipe's state type
// (LockState, PartitionState).
type recipeStateSink[S any] struct {
	ch     chan S
	panics *panicBox
}

func (s *recipeStateSink[S]) box() *panicBox { return s.panics }

func (s *recipeStateSink[S]) deliver(v S) {
	for {
		select {
		case s.ch <- v:
			return
		default:
		}
		select {
		case <-s.ch:
		default:
		}
	}
}

func (s *recipeStateSink[S]) release() { close(s.ch) }

// holder is a lock-like recipe (Lock, Semaphore, Election): its C handle (a
// recipeHandle, as every recipe's), the channel its state callback feeds, and the turn
// that lets one wait at a time run, so that a context's cancel ends its own wait.
type holder[P comparable] struct {
	h      *recipeHandle[P]
	turn   chan struct{}
	states chan LockState
}

// newHolder makes the C handle with mk (newRecipe), sets its state callback with
// setCallback, and frees it with free.
func newHolder[P comparable](c *Client, op, path string, identifier string,
	mk func(cl *C.zk_client, out *P) C.zk_result,
	setCallback func(P, C.uintptr_t) C.zk_result,
	free func(P)) (*holder[P], error) {
	if hasNUL(identifier) {
		return nil, codeError(C.ZK_RESULT_INVALID_ARGUMENT, op, path)
	}
	p, err := newRecipe(c, op, path, mk)
	if err != nil {
		return nil, err
	}
	states := make(chan LockState, recipeStateBuffer)
	handle := cgo.NewHandle(&recipeStateSink[LockState]{ch: states, panics: c.core.panics})
	if r := setCallback(p, C.uintptr_t(handle)); r != C.ZK_RESULT_OK {
		free(p) // the library ran the finalizer: handle is gone
		return nil, codeError(r, op, path)
	}
	return &holder[P]{h: newRecipeHandle(p, free), turn: make(chan struct{}, 1), states: states}, nil
}

// recipeMillis derives a lock-like wait's timeout_ms from the context: its deadline,
// rounded up, or -1 (no deadline) without one.
func recipeMillis(ctx context.Context) (C.int64_t, time.Time, error) {
	d, ok := ctx.Deadline()
	if !ok {
		return -1, time.Time{}, nil
	}
	left := time.Until(d)
	if left <= 0 {
		return 0, d, context.DeadlineExceeded
	}
	return C.int64_t((left + time.Millisecond - 1) / time.Millisecond), d, nil
}

// wait runs one blocking wait (call) until it ends or ctx is done: ctx's deadline is the
// wait's, and ctx's cancellation calls cancel from another goroutine, so the wait returns
// at once, leaving nothing behind. The library's cancel is sticky (a cancel while no wait
// runs ends the next one), so a cancel sent after the wait had ended is forgotten with
// clear; and one wait runs at a time per recipe, so each context ends its own.
func (x *holder[P]) wait(ctx context.Context, op, path string,
	call func(P, C.int64_t) C.zk_result, cancel, clear func(P)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case x.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-x.turn }()
	ms, deadline, err := recipeMillis(ctx)
	if err != nil {
		return err
	}
	var none P
	x.h.mu.RLock()
	defer x.h.mu.RUnlock()
	p := x.h.ptr
	if p == none {
		return codeError(C.ZK_RESULT_CLOSED, op, path)
	}
	sent := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		cancel(p)
		close(sent)
	})
	res := call(p, ms)
	if !stop() {
		<-sent
		clear(p)
	}
	if res == C.ZK_RESULT_CANCELLED && ctx.Err() != nil {
		return ctx.Err()
	}
	return newError(res, op, path, deadline)
}

// stringList converts and frees a zk_string_list.
func stringList(l *C.zk_string_list) []string {
	defer C.zk_string_list_free(l)
	out := make([]string, int(C.zk_string_list_len(l)))
	for i := range out {
		out[i] = C.GoString(C.zk_string_list_get(l, C.size_t(i)))
	}
	return out
}

// cString is C.CString(s), and the function that frees it.
func cString(s string) (*C.char, func()) {
	p := C.CString(s)
	return p, func() { C.free(unsafe.Pointer(p)) }
}
