package zk

// The queue recipes (zk_queue, zk_locking_queue): work handed from producers to consumers
// through persistent sequential nodes, on kazoo's Queue and LockingQueue znodes.

/*
#include <stdlib.h>
#include "zkclient.h"
*/
import "C"

import (
	"bytes"
	"context"
	"runtime"
	"unsafe"
)

// DefaultQueuePriority is kazoo's default priority of a queue entry. Priorities are 0 to
// 999; lower values are taken first.
const DefaultQueuePriority = 100

// Queue is kazoo's Queue: each entry is path/entry-<priority, 3 digits>-<sequence>, and
// Get removes the first by name. Consumption is not reliable (an entry is gone before it
// is processed); LockingQueue is. Safe for concurrent use. Close it when done; it may
// outlive its Client, whose Close makes its calls fail with ErrClosed.
type Queue struct {
	h       *recipeHandle[*C.zk_queue]
	path    string
	cleanup runtime.Cleanup
}

// NewQueue makes a queue at path. Nothing is sent; the first Put makes the path.
func NewQueue(c *Client, path string) (*Queue, error) {
	p, err := newRecipe(c, "queue", path, func(cl *C.zk_client, out **C.zk_queue) C.zk_result {
		cpath := C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
		return C.zk_queue_new(cl, cpath, out)
	})
	runtime.KeepAlive(c)
	if err != nil {
		return nil, err
	}
	h := newRecipeHandle(p, func(p *C.zk_queue) { C.zk_queue_free(p) })
	q := &Queue{h: h, path: path}
	q.cleanup = runtime.AddCleanup(q, func(h *recipeHandle[*C.zk_queue]) { go h.close() }, h)
	return q, nil
}

// Path is the queue's node.
func (q *Queue) Path() string { return q.path }

// createdName converts and frees an entry's name.
func createdName(out *C.char) string {
	s := C.GoString(out)
	C.zk_string_free(out)
	return s
}

// Put adds value with priority (0 to 999, else ErrInvalidArgument) and returns the
// entry's name. ErrConnectionLoss when the reply was lost: the entry may or may not have
// been added, and is not sent again.
func (q *Queue) Put(ctx context.Context, value []byte, priority int) (string, error) {
	value = bytes.Clone(value)
	var name string
	err := q.h.do(ctx, "queue put", q.path, func(p *C.zk_queue, ms C.uint32_t) C.zk_result {
		cdata, n := cData(value)
		defer C.free(unsafe.Pointer(cdata))
		var out *C.char
		r := C.zk_queue_put(p, cdata, n, C.int32_t(clampPriority(priority)), ms, &out)
		if r == C.ZK_RESULT_OK {
			name = createdName(out)
		}
		return r
	})
	runtime.KeepAlive(q)
	return name, err
}

// clampPriority keeps an out-of-range priority out of range in 32 bits, so the library
// refuses it rather than a conversion making it valid.
func clampPriority(p int) int32 {
	if p < 0 || p > 999 {
		return -1
	}
	return int32(p)
}

// Get removes the first entry (lowest priority number, then oldest) and returns its
// value, with ok false when the queue is empty (it does not wait). Entries other
// consumers take first are skipped. ErrConnectionLoss when the reply to our delete was
// lost and the entry was then gone: it is not returned (never to two consumers).
func (q *Queue) Get(ctx context.Context) (value []byte, ok bool, err error) {
	err = q.h.do(ctx, "queue get", q.path, func(p *C.zk_queue, ms C.uint32_t) C.zk_result {
		var buf C.zk_buffer
		var found C.bool
		r := C.zk_queue_get(p, ms, &buf, &found)
		if r == C.ZK_RESULT_OK {
			value, ok = bufferBytes(&buf), bool(found)
		}
		return r
	})
	runtime.KeepAlive(q)
	if err != nil || !ok {
		return nil, false, err
	}
	return value, true, nil
}

// Len is the number of entries (the path's child count, as kazoo's len).
func (q *Queue) Len(ctx context.Context) (int, error) {
	var n int
	err := q.h.do(ctx, "queue len", q.path, func(p *C.zk_queue, ms C.uint32_t) C.zk_result {
		var out C.size_t
		r := C.zk_queue_len(p, ms, &out)
		n = int(out)
		return r
	})
	runtime.KeepAlive(q)
	return n, err
}

// Close frees the queue (its entries stay) once calls in progress have ended.
// Idempotent; always nil.
func (q *Queue) Close() error {
	q.cleanup.Stop()
	q.h.close()
	return nil
}

// LockingQueue is kazoo's LockingQueue: entries are path/entries/entry-<prio>-<seq>, and a
// consumer takes one by creating path/taken/<entry name>, ephemeral, holding its id, so an
// entry whose consumer's session ends goes back to the queue. It holds one entry at a
// time: Get takes it, Consume removes it, Release gives it back. Safe for concurrent use;
// Close it when done.
//
// On a lost connection the entry stays ours while the session lives; once the session
// has expired it is back in the queue, maybe taken by another consumer: HoldsLock says
// whether it is still ours, and Consume and Release then return false.
type LockingQueue struct {
	h       *recipeHandle[*C.zk_locking_queue]
	path    string
	cleanup runtime.Cleanup
}

// NewLockingQueue makes a locking queue at path with a fresh consumer id. Nothing is
// sent; the first call makes path/entries and path/taken.
func NewLockingQueue(c *Client, path string) (*LockingQueue, error) {
	p, err := newRecipe(c, "locking queue", path, func(cl *C.zk_client, out **C.zk_locking_queue) C.zk_result {
		cpath := C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
		return C.zk_locking_queue_new(cl, cpath, out)
	})
	runtime.KeepAlive(c)
	if err != nil {
		return nil, err
	}
	h := newRecipeHandle(p, func(p *C.zk_locking_queue) { C.zk_locking_queue_free(p) })
	q := &LockingQueue{h: h, path: path}
	q.cleanup = runtime.AddCleanup(q, func(h *recipeHandle[*C.zk_locking_queue]) { go h.close() }, h)
	return q, nil
}

// Path is the queue's node.
func (q *LockingQueue) Path() string { return q.path }

// Put adds one entry, as Queue.Put.
func (q *LockingQueue) Put(ctx context.Context, value []byte, priority int) (string, error) {
	value = bytes.Clone(value)
	var name string
	err := q.h.do(ctx, "locking queue put", q.path, func(p *C.zk_locking_queue, ms C.uint32_t) C.zk_result {
		cdata, n := cData(value)
		defer C.free(unsafe.Pointer(cdata))
		var out *C.char
		r := C.zk_locking_queue_put(p, cdata, n, C.int32_t(clampPriority(priority)), ms, &out)
		if r == C.ZK_RESULT_OK {
			name = createdName(out)
		}
		return r
	})
	runtime.KeepAlive(q)
	return name, err
}

// PutAll adds every value with one priority in one transaction, all or none, and returns
// the entries' names in order.
func (q *LockingQueue) PutAll(ctx context.Context, values [][]byte, priority int) ([]string, error) {
	copied := make([][]byte, len(values))
	for i, v := range values {
		copied[i] = bytes.Clone(v)
	}
	var names []string
	err := q.h.do(ctx, "locking queue put all", q.path, func(p *C.zk_locking_queue, ms C.uint32_t) C.zk_result {
		n := len(copied)
		var ptrs **C.uint8_t
		var lens *C.size_t
		if n > 0 {
			ptrs = (**C.uint8_t)(C.calloc(C.size_t(n), C.size_t(unsafe.Sizeof(uintptr(0)))))
			lens = (*C.size_t)(C.calloc(C.size_t(n), C.size_t(unsafe.Sizeof(C.size_t(0)))))
			ps := unsafe.Slice(ptrs, n)
			ls := unsafe.Slice(lens, n)
			for i, v := range copied {
				ps[i], ls[i] = cData(v)
			}
			defer func() {
				for _, d := range ps {
					C.free(unsafe.Pointer(d))
				}
				C.free(unsafe.Pointer(ptrs))
				C.free(unsafe.Pointer(lens))
			}()
		}
		var list *C.zk_string_list
		r := C.zk_locking_queue_put_all(p, ptrs, lens, C.size_t(n), C.int32_t(clampPriority(priority)), ms, &list)
		if r == C.ZK_RESULT_OK {
			names = stringList(list)
		}
		return r
	})
	runtime.KeepAlive(q)
	return names, err
}

// Get takes the first entry no consumer has taken and returns its value, waiting for one
// until ctx is done (a wait has no limit but ctx's). The wait is on child watches, not
// polling. While an entry is in hand (taken, not consumed or released) it returns that
// entry again, as kazoo's.
func (q *LockingQueue) Get(ctx context.Context) ([]byte, error) {
	var value []byte
	err := q.h.wait(ctx, "locking queue get", q.path, func(p *C.zk_locking_queue, ms C.int64_t) C.zk_result {
		var buf C.zk_buffer
		r := C.zk_locking_queue_get(p, ms, &buf)
		if r == C.ZK_RESULT_OK {
			value = bufferBytes(&buf)
		}
		return r
	}, func(p *C.zk_locking_queue) { C.zk_locking_queue_cancel(p) },
		func(p *C.zk_locking_queue) { C.zk_locking_queue_clear_cancel(p) })
	runtime.KeepAlive(q)
	if err != nil {
		return nil, err
	}
	return value, nil
}

// finish runs consume or release.
func (q *LockingQueue) finish(ctx context.Context, op string,
	f func(*C.zk_locking_queue, C.uint32_t, *C.bool) C.zk_result) (bool, error) {
	var done bool
	err := q.h.do(ctx, op, q.path, func(p *C.zk_locking_queue, ms C.uint32_t) C.zk_result {
		var out C.bool
		r := f(p, ms, &out)
		done = bool(out)
		return r
	})
	runtime.KeepAlive(q)
	return done && err == nil, err
}

// Consume removes the entry in hand from the queue (entries/ and taken/ in one
// transaction): false when none is in hand, or it is no longer ours (it is let go).
// ErrConnectionLoss when the reply was lost: call again.
func (q *LockingQueue) Consume(ctx context.Context) (bool, error) {
	return q.finish(ctx, "locking queue consume", func(p *C.zk_locking_queue, ms C.uint32_t, out *C.bool) C.zk_result {
		return C.zk_locking_queue_consume(p, ms, out)
	})
}

// Release gives the entry in hand back to the queue; false as Consume's.
func (q *LockingQueue) Release(ctx context.Context) (bool, error) {
	return q.finish(ctx, "locking queue release", func(p *C.zk_locking_queue, ms C.uint32_t, out *C.bool) C.zk_result {
		return C.zk_locking_queue_release(p, ms, out)
	})
}

// HoldsLock says whether an entry is in hand and its taken/ node still holds our id.
func (q *LockingQueue) HoldsLock(ctx context.Context) (bool, error) {
	return q.finish(ctx, "locking queue holds lock", func(p *C.zk_locking_queue, ms C.uint32_t, out *C.bool) C.zk_result {
		return C.zk_locking_queue_holds_lock(p, ms, out)
	})
}

// Len is the number of entries, taken ones included (as kazoo's len).
func (q *LockingQueue) Len(ctx context.Context) (int, error) {
	var n int
	err := q.h.do(ctx, "locking queue len", q.path, func(p *C.zk_locking_queue, ms C.uint32_t) C.zk_result {
		var out C.size_t
		r := C.zk_locking_queue_len(p, ms, &out)
		n = int(out)
		return r
	})
	runtime.KeepAlive(q)
	return n, err
}

// Close frees the queue once calls in progress have ended. An entry in hand stays taken
// until the session ends: Consume or Release it first. Idempotent; always nil.
func (q *LockingQueue) Close() error {
	q.cleanup.Stop()
	q.h.close()
	return nil
}
