package zk

// What the recipes (Lock, Semaphore, Election) share: their options, their state and its
// channel, and the plumbing around a recipe handle of the library: one blocking wait at a
// time that the caller's context cancels, and a handle freed once no call uses it.

/*
#include <stdlib.h>
#include "shims.h"
*/
import "C"

import (
	"context"
	"fmt"
	"runtime/cgo"
	"sync"
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
// without ever blocking the event thread, dropping the oldest change when full (as
// stateSink does), and closes it when the recipe is freed.
type recipeStateSink struct {
	ch     chan LockState
	panics *panicBox
}

func (s *recipeStateSink) box() *panicBox { return s.panics }

func (s *recipeStateSink) deliver(v LockState) {
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

func (s *recipeStateSink) release() { close(s.ch) }

// recipeCore holds a recipe handle of the library (a *C.zk_lock, *C.zk_semaphore or
// *C.zk_election) and what every recipe does with it.
type recipeCore struct {
	// client keeps the Client (and its finalizer) alive as long as the recipe.
	client *Client
	// mu is read-held across every C call that uses ptr and write-held to free it.
	mu     sync.RWMutex
	ptr    unsafe.Pointer
	free   func(unsafe.Pointer)
	once   sync.Once
	turn   chan struct{}
	states chan LockState
	panics *panicBox
}

// newRecipe makes the handle with create (on the client's pointer, under the client's read
// lock) and sets its state callback with setCallback.
func newRecipe(c *Client, op, path string,
	create func(*C.zk_client) (unsafe.Pointer, C.zk_result),
	setCallback func(unsafe.Pointer, C.uintptr_t) C.zk_result,
	free func(unsafe.Pointer)) (*recipeCore, error) {
	var p unsafe.Pointer
	r := C.zk_result(C.ZK_RESULT_CLOSED)
	c.core.peek(func(cp *C.zk_client) {
		if cp != nil {
			p, r = create(cp)
		}
	})
	if r != C.ZK_RESULT_OK {
		return nil, codeError(r, op, path)
	}
	rc := &recipeCore{
		client: c,
		ptr:    p,
		free:   free,
		turn:   make(chan struct{}, 1),
		states: make(chan LockState, recipeStateBuffer),
		panics: c.core.panics,
	}
	h := cgo.NewHandle(&recipeStateSink{ch: rc.states, panics: rc.panics})
	if r := setCallback(p, C.uintptr_t(h)); r != C.ZK_RESULT_OK {
		free(p) // the library ran the finalizer: h is gone
		return nil, codeError(r, op, path)
	}
	return rc, nil
}

// close frees the handle (which releases what it holds) once no call uses it.
func (r *recipeCore) close() {
	r.once.Do(func() {
		r.mu.Lock()
		p := r.ptr
		r.ptr = nil
		r.mu.Unlock()
		if p != nil {
			r.free(p)
		}
	})
}

// recipeMillis derives a recipe wait's timeout_ms from the context: its deadline, rounded
// up, or -1 (no deadline) without one.
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

// wait runs one blocking wait of the recipe (call) until it ends or ctx is done: ctx's
// deadline is the wait's, and ctx's cancellation calls cancel from another goroutine, so
// the wait returns at once, leaving nothing behind. One wait at a time per recipe, so a
// context's cancel ends its own wait; a cancel that came too late (the wait had ended) is
// forgotten with clear, so it cannot end the next one.
func (r *recipeCore) wait(ctx context.Context, op, path string,
	call func(unsafe.Pointer, C.int64_t) C.zk_result,
	cancel, clear func(unsafe.Pointer)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case r.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-r.turn }()
	ms, deadline, err := recipeMillis(ctx)
	if err != nil {
		return err
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	p := r.ptr
	if p == nil {
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
	r.panics.rethrow()
	if res == C.ZK_RESULT_CANCELLED && ctx.Err() != nil {
		return ctx.Err()
	}
	return newError(res, op, path, deadline)
}

// call runs one short C call (bounded by the client's operation timeout) under the read
// lock. A context cancelled meanwhile returns ctx.Err() at once, as Client calls do; the
// C call ends in the background and its outcome is dropped, so f must convert and free
// what the library returned itself and write only what the caller reads after nil.
func (r *recipeCore) call(ctx context.Context, op, path string, f func(unsafe.Pointer) C.zk_result) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.mu.RLock()
	p := r.ptr
	if p == nil {
		r.mu.RUnlock()
		return codeError(C.ZK_RESULT_CLOSED, op, path)
	}
	if ctx.Done() == nil {
		res := f(p)
		r.mu.RUnlock()
		r.panics.rethrow()
		return codeError(res, op, path)
	}
	done := make(chan C.zk_result, 1)
	go func() {
		defer r.mu.RUnlock()
		done <- f(p)
	}()
	select {
	case res := <-done:
		r.panics.rethrow()
		return codeError(res, op, path)
	case <-ctx.Done():
		select {
		case res := <-done:
			r.panics.rethrow()
			return codeError(res, op, path)
		default:
			return ctx.Err()
		}
	}
}

// peek runs a non-blocking C call (a getter) under the read lock; p is nil once freed,
// which every getter accepts.
func (r *recipeCore) peek(f func(unsafe.Pointer)) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	f(r.ptr)
}

// stringList converts and frees a zk_string_list.
func stringList(l *C.zk_string_list) []string {
	defer C.zk_string_list_free(l)
	n := int(C.zk_string_list_len(l))
	out := make([]string, n)
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
