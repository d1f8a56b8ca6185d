package zk

// What the recipe types share: the C handle of one recipe (zk_barrier, zk_counter, ...),
// kept alive across the calls that use it and freed once, and the two ways a blocking
// recipe call meets its context.

/*
#include "zkclient.h"
*/
import "C"

import (
	"context"
	"sync"
)

// recipeHandle owns one C recipe handle. mu is read-held across every C call that uses
// ptr (which may end on another goroutine, see do) and write-held to free it, so ptr is
// never freed under a call. The C handle keeps its own reference to the client's session:
// it stays valid after the Client is closed (its calls then fail with ErrClosed).
type recipeHandle[P comparable] struct {
	mu        sync.RWMutex
	ptr       P
	free      func(P)
	closeOnce sync.Once
}

func newRecipeHandle[P comparable](ptr P, free func(P)) *recipeHandle[P] {
	return &recipeHandle[P]{ptr: ptr, free: free}
}

// close frees the C handle once no call uses it (what the free does, leaving a party for
// one, happens then).
func (h *recipeHandle[P]) close() {
	h.closeOnce.Do(func() {
		var none P
		h.mu.Lock()
		p := h.ptr
		h.ptr = none
		h.mu.Unlock()
		h.free(p)
	})
}

// peek runs a non-blocking C call under the read lock; p is nil once closed.
func (h *recipeHandle[P]) peek(f func(p P)) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	f(h.ptr)
}

// do runs one blocking C call and turns its result into an error: its timeout is ctx's
// deadline or, without one, the client's operation timeout; when ctx is cancelled, do
// returns ctx.Err() at once and the C call goes on in the background until it ends by
// itself (as Client calls do).
func (h *recipeHandle[P]) do(ctx context.Context, op, path string, call func(p P, ms C.uint32_t) C.zk_result) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ms, deadline, err := timeoutMillis(ctx)
	if err != nil {
		return err
	}
	var none P
	h.mu.RLock()
	p := h.ptr
	if p == none {
		h.mu.RUnlock()
		return codeError(C.ZK_RESULT_CLOSED, op, path)
	}
	if ctx.Done() == nil {
		defer h.mu.RUnlock()
		return newError(call(p, ms), op, path, deadline)
	}
	done := make(chan C.zk_result, 1)
	go func() {
		r := call(p, ms)
		h.mu.RUnlock()
		done <- r
	}()
	select {
	case r := <-done:
		return newError(r, op, path, deadline)
	case <-ctx.Done():
	}
	select {
	case r := <-done: // finished as well: its outcome is the better answer
		return newError(r, op, path, deadline)
	default:
		return ctx.Err()
	}
}

// wait runs one recipe wait (a barrier's Wait, a double barrier's Enter and Leave): ctx's
// deadline is the wait's (none without one), and ctx's cancellation calls cancel (the
// recipe's zk_*_cancel) from another goroutine, so the wait cleans up after itself and
// returns before wait returns ctx.Err(). The library's cancel is sticky (one sent after
// the wait ended would end the next), so it is then forgotten with clear; and it ends
// every wait in progress on the recipe, so a wait ended by another goroutine's context
// goes on.
func (h *recipeHandle[P]) wait(ctx context.Context, op, path string,
	call func(P, C.int64_t) C.zk_result, cancel, clear func(P)) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		ms, deadline, err := recipeMillis(ctx)
		if err != nil {
			return err
		}
		var none P
		h.mu.RLock()
		p := h.ptr
		if p == none {
			h.mu.RUnlock()
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
		h.mu.RUnlock()
		if res == C.ZK_RESULT_CANCELLED {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		}
		return newError(res, op, path, deadline)
	}
}

// newRecipe makes a recipe's C handle with mk, given the client's C handle; ErrClosed
// once the client is closed.
func newRecipe[P comparable](c *Client, op, path string, mk func(p *C.zk_client, out *P) C.zk_result) (P, error) {
	var out P
	if err := pathArg(op, path); err != nil {
		return out, err
	}
	var r C.zk_result = C.ZK_RESULT_CLOSED
	c.core.peek(func(p *C.zk_client) {
		if p != nil {
			r = mk(p, &out)
		}
	})
	if r != C.ZK_RESULT_OK {
		var none P
		return none, codeError(r, op, path)
	}
	return out, nil
}
