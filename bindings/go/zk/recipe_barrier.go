package zk

// The barrier recipes (zk_barrier, zk_double_barrier), on kazoo's znodes: a Barrier is up
// while its node exists; a DoubleBarrier holds its members at Enter until NumClients have
// entered and at Leave until all have left.

/*
#include <stdlib.h>
#include "zkclient.h"
*/
import "C"

import (
	"context"
	"math"
	"runtime"
	"unsafe"
)

// Barrier is up while the node at its path exists (kazoo's Barrier, Curator's
// DistributedBarrier). Safe for concurrent use. Close it when done (a finalizer does if
// it is dropped); it may outlive its Client, whose Close makes its calls fail with
// ErrClosed.
type Barrier struct {
	h       *recipeHandle[*C.zk_barrier]
	path    string
	cleanup runtime.Cleanup
}

// NewBarrier makes a barrier at path. Nothing is sent.
func NewBarrier(c *Client, path string) (*Barrier, error) {
	p, err := newRecipe(c, "barrier", path, func(cl *C.zk_client, out **C.zk_barrier) C.zk_result {
		cpath := C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
		return C.zk_barrier_new(cl, cpath, out)
	})
	runtime.KeepAlive(c)
	if err != nil {
		return nil, err
	}
	h := newRecipeHandle(p, func(p *C.zk_barrier) { C.zk_barrier_free(p) })
	b := &Barrier{h: h, path: path}
	b.cleanup = runtime.AddCleanup(b, func(h *recipeHandle[*C.zk_barrier]) { go h.close() }, h)
	return b, nil
}

// Path is the barrier's node.
func (b *Barrier) Path() string { return b.path }

// Create puts the barrier up: creates its node, and missing parents, unless it exists.
func (b *Barrier) Create(ctx context.Context) error {
	err := b.h.do(ctx, "barrier create", b.path, func(p *C.zk_barrier, ms C.uint32_t) C.zk_result {
		return C.zk_barrier_create(p, ms)
	})
	runtime.KeepAlive(b)
	return err
}

// Remove takes the barrier down: true if this call deleted its node, false if it was not
// there. ErrNotEmpty if the node has children.
func (b *Barrier) Remove(ctx context.Context) (bool, error) {
	var removed bool
	err := b.h.do(ctx, "barrier remove", b.path, func(p *C.zk_barrier, ms C.uint32_t) C.zk_result {
		var out C.bool
		r := C.zk_barrier_remove(p, ms, &out)
		removed = bool(out)
		return r
	})
	runtime.KeepAlive(b)
	if err != nil {
		return false, err
	}
	return removed, nil
}

// Wait blocks until the barrier is down (its node does not exist), which may be at once,
// or until ctx is done: a wait has no limit but ctx's. Repeated waits share one watch.
func (b *Barrier) Wait(ctx context.Context) error {
	err := b.h.wait(ctx, "barrier wait", b.path, func(p *C.zk_barrier, ms C.int64_t) C.zk_result {
		return C.zk_barrier_wait(p, ms)
	}, func(p *C.zk_barrier) { C.zk_barrier_cancel(p) },
		func(p *C.zk_barrier) { C.zk_barrier_clear_cancel(p) })
	runtime.KeepAlive(b)
	return err
}

// Close frees the barrier (its node stays as it is), once calls in progress have ended.
// Idempotent; always nil.
func (b *Barrier) Close() error {
	b.cleanup.Stop()
	b.h.close()
	return nil
}

// DoubleBarrier is our membership of a double barrier (kazoo's DoubleBarrier): an
// ephemeral <path>/<uuid4 hex> holding the identifier, and <path>/ready made by the member
// that completes the set. Safe for concurrent use. Close it when done: a member that has
// entered and not left then removes its node.
type DoubleBarrier struct {
	h       *recipeHandle[*C.zk_double_barrier]
	path    string
	cleanup runtime.Cleanup
}

// NewDoubleBarrier makes a member of the double barrier at path that opens once
// numClients (at least 1) have entered. identifier is the member node's data; "" gives
// kazoo's default, "<host name>-<pid>". Nothing is sent.
func NewDoubleBarrier(c *Client, path string, numClients int, identifier string) (*DoubleBarrier, error) {
	const op = "double barrier"
	if numClients < 1 || numClients > math.MaxInt32 {
		return nil, codeError(C.ZK_RESULT_INVALID_ARGUMENT, op, path)
	}
	if hasNUL(identifier) {
		return nil, codeError(C.ZK_RESULT_INVALID_ARGUMENT, op, path)
	}
	p, err := newRecipe(c, op, path, func(cl *C.zk_client, out **C.zk_double_barrier) C.zk_result {
		cpath := C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
		var cident *C.char
		if identifier != "" {
			cident = C.CString(identifier)
			defer C.free(unsafe.Pointer(cident))
		}
		return C.zk_double_barrier_new(cl, cpath, C.uint32_t(numClients), cident, out)
	})
	runtime.KeepAlive(c)
	if err != nil {
		return nil, err
	}
	h := newRecipeHandle(p, func(p *C.zk_double_barrier) { C.zk_double_barrier_free(p) })
	d := &DoubleBarrier{h: h, path: path}
	d.cleanup = runtime.AddCleanup(d, func(h *recipeHandle[*C.zk_double_barrier]) { go h.close() }, h)
	return d, nil
}

// Enter adds our member node (and the path, if missing) and blocks until numClients
// members have entered, or until ctx is done. When it fails, ctx's end included, our node
// has been removed: a member that gave up is not counted.
func (d *DoubleBarrier) Enter(ctx context.Context) error {
	err := d.h.wait(ctx, "double barrier enter", d.path, func(p *C.zk_double_barrier, ms C.int64_t) C.zk_result {
		return C.zk_double_barrier_enter(p, ms)
	}, func(p *C.zk_double_barrier) { C.zk_double_barrier_cancel(p) },
		func(p *C.zk_double_barrier) { C.zk_double_barrier_clear_cancel(p) })
	runtime.KeepAlive(d)
	return err
}

// Leave removes <path>/ready and our node and blocks until every member has left, or
// until ctx is done. When it fails, our node has been removed.
func (d *DoubleBarrier) Leave(ctx context.Context) error {
	err := d.h.wait(ctx, "double barrier leave", d.path, func(p *C.zk_double_barrier, ms C.int64_t) C.zk_result {
		return C.zk_double_barrier_leave(p, ms)
	}, func(p *C.zk_double_barrier) { C.zk_double_barrier_cancel(p) },
		func(p *C.zk_double_barrier) { C.zk_double_barrier_clear_cancel(p) })
	runtime.KeepAlive(d)
	return err
}

// NodePath is our member node's path, <path>/<uuid4 hex> ("" after Close).
func (d *DoubleBarrier) NodePath() string {
	var s string
	d.h.peek(func(p *C.zk_double_barrier) {
		var out *C.char
		if p != nil && C.zk_double_barrier_node_path(p, &out) == C.ZK_RESULT_OK {
			s = C.GoString(out)
			C.zk_string_free(out)
		}
	})
	runtime.KeepAlive(d)
	return s
}

// Participating is true between an Enter that succeeded and the next Leave.
func (d *DoubleBarrier) Participating() bool {
	var ok bool
	d.h.peek(func(p *C.zk_double_barrier) { ok = bool(C.zk_double_barrier_participating(p)) })
	runtime.KeepAlive(d)
	return ok
}

// Close frees the member once calls in progress have ended; one that has entered and not
// left has its node removed first. Idempotent; always nil.
func (d *DoubleBarrier) Close() error {
	d.cleanup.Stop()
	d.h.close()
	return nil
}
