package zk

// The counter recipe (zk_counter): a number in one node changed by compare-and-set, in
// kazoo's text form or Curator's 4-byte form.

/*
#include <stdlib.h>
#include "zkclient.h"
*/
import "C"

import (
	"context"
	"runtime"
	"unsafe"
)

// CounterForm is how a Counter writes its value, and its type.
type CounterForm uint32

const (
	// CounterInt is kazoo's Counter: the integer as decimal ASCII text ("5", "-2").
	CounterInt CounterForm = C.ZK_COUNTER_FORM_INT
	// CounterFloat is kazoo's Counter with a float default: Python's repr of the value
	// ("3.0", "1e+16"). Use AddFloat and ValueFloat.
	CounterFloat CounterForm = C.ZK_COUNTER_FORM_FLOAT
	// CounterCurator is Curator's SharedCount (kazoo's support_curator=True): a 4-byte
	// big-endian int; values in int32's range.
	CounterCurator CounterForm = C.ZK_COUNTER_FORM_CURATOR
)

// Counter is a shared number in one node (kazoo's Counter). Safe for concurrent use.
// Close it when done; it may outlive its Client, whose Close makes its calls fail with
// ErrClosed.
type Counter struct {
	h       *recipeHandle[*C.zk_counter]
	path    string
	cleanup runtime.Cleanup
}

// NewCounter makes a counter at path in form. Its value is 0 while the node is missing or
// empty; the first read or change makes the node. Nothing is sent here.
func NewCounter(c *Client, path string, form CounterForm) (*Counter, error) {
	p, err := newRecipe(c, "counter", path, func(cl *C.zk_client, out **C.zk_counter) C.zk_result {
		cpath := C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
		return C.zk_counter_new(cl, cpath, C.uint32_t(form), out)
	})
	runtime.KeepAlive(c)
	if err != nil {
		return nil, err
	}
	h := newRecipeHandle(p, func(p *C.zk_counter) { C.zk_counter_free(p) })
	n := &Counter{h: h, path: path}
	n.cleanup = runtime.AddCleanup(n, func(h *recipeHandle[*C.zk_counter]) { go h.close() }, h)
	return n, nil
}

// Path is the counter's node.
func (n *Counter) Path() string { return n.path }

// Add adds delta (negative to subtract) to a CounterInt or CounterCurator counter by
// compare-and-set, tried again while other clients change the node, and returns the
// values before and after (kazoo's pre_value and post_value). ErrInvalidArgument for a
// result beyond the form's range (nothing written) or a CounterFloat counter;
// ErrMarshallingError when the node holds something else. ErrConnectionLoss when the
// connection was lost during the write: the change may or may not have been made, and is
// not retried (a retry could count it twice).
func (n *Counter) Add(ctx context.Context, delta int64) (pre, post int64, err error) {
	// Written by the call, read only after it returned nil (see recipeHandle.do).
	var a, b int64
	err = n.h.do(ctx, "counter add", n.path, func(p *C.zk_counter, ms C.uint32_t) C.zk_result {
		var cpre, cpost C.int64_t
		r := C.zk_counter_add(p, C.int64_t(delta), ms, &cpre, &cpost)
		a, b = int64(cpre), int64(cpost)
		return r
	})
	runtime.KeepAlive(n)
	if err != nil {
		return 0, 0, err
	}
	return a, b, nil
}

// Value reads a CounterInt or CounterCurator counter.
func (n *Counter) Value(ctx context.Context) (int64, error) {
	var v int64
	err := n.h.do(ctx, "counter value", n.path, func(p *C.zk_counter, ms C.uint32_t) C.zk_result {
		var out C.int64_t
		r := C.zk_counter_value(p, ms, &out)
		v = int64(out)
		return r
	})
	runtime.KeepAlive(n)
	if err != nil {
		return 0, err
	}
	return v, nil
}

// AddFloat is Add for a CounterFloat counter.
func (n *Counter) AddFloat(ctx context.Context, delta float64) (pre, post float64, err error) {
	// Written by the call, read only after it returned nil (see recipeHandle.do).
	var a, b float64
	err = n.h.do(ctx, "counter add", n.path, func(p *C.zk_counter, ms C.uint32_t) C.zk_result {
		var cpre, cpost C.double
		r := C.zk_counter_add_float(p, C.double(delta), ms, &cpre, &cpost)
		a, b = float64(cpre), float64(cpost)
		return r
	})
	runtime.KeepAlive(n)
	if err != nil {
		return 0, 0, err
	}
	return a, b, nil
}

// ValueFloat reads a CounterFloat counter.
func (n *Counter) ValueFloat(ctx context.Context) (float64, error) {
	var v float64
	err := n.h.do(ctx, "counter value", n.path, func(p *C.zk_counter, ms C.uint32_t) C.zk_result {
		var out C.double
		r := C.zk_counter_value_float(p, ms, &out)
		v = float64(out)
		return r
	})
	runtime.KeepAlive(n)
	if err != nil {
		return 0, err
	}
	return v, nil
}

// Close frees the counter (its node stays) once calls in progress have ended.
// Idempotent; always nil.
func (n *Counter) Close() error {
	n.cleanup.Stop()
	n.h.close()
	return nil
}
