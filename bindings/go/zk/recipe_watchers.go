package zk

// DataWatch and ChildrenWatch (zk_data_watch, zk_children_watch): kazoo's self-renewing
// watches as channels of values, closed when the watch ends.

/*
#include "shims.h"
*/
import "C"

import (
	"context"
	"runtime"
	"runtime/cgo"
	"sync"
	"unsafe"
)

// NodeData is what a DataWatch reports: the node's data and Stat, or a nil Stat while the
// node does not exist; and the type of the watch event that led to this read
// (EventNodeCreated, EventNodeDataChanged, EventNodeDeleted), or EventNone for the first
// value and for a read made after a reconnect or a session expiry.
type NodeData struct {
	Data  []byte
	Stat  *Stat
	Event EventType
}

// Children is what a ChildrenWatch reports: the node's children (in the server's order)
// and the event that led to this read (EventNodeChildrenChanged, or EventNone as for
// NodeData).
type Children struct {
	Names []string
	Event EventType
}

// valueSink is a watch's callback userdata: the library's watcher thread hands each value
// to the channel, waiting for the reader (the watch's thread is its own: waiting there
// holds back nothing else), until the watch is stopped. The channel is closed when the
// library is done with the callback.
type valueSink[T any] struct {
	ch     chan T
	done   chan struct{}
	ended  chan struct{}
	panics *panicBox
}

func (s *valueSink[T]) box() *panicBox { return s.panics }

func (s *valueSink[T]) deliver(v T) bool {
	select {
	case s.ch <- v:
		return true
	case <-s.done:
		return false
	}
}

func (s *valueSink[T]) release() {
	close(s.ch)
	close(s.ended)
}

//export zkgoDataWatch
func zkgoDataWatch(h C.uintptr_t, data *C.uint8_t, n C.size_t, stat *C.zk_stat, ev C.zk_event_type) C.bool {
	var b *panicBox
	defer catch(&b)
	s := sinkOf(h).(*valueSink[NodeData])
	b = s.box()
	v := NodeData{Event: EventType(ev)}
	if stat != nil {
		v.Stat = statFromC(stat)
		v.Data = C.GoBytes(unsafe.Pointer(data), C.int(n))
	}
	return C.bool(s.deliver(v))
}

//export zkgoChildrenWatch
func zkgoChildrenWatch(h C.uintptr_t, kids **C.char, n C.size_t, ev C.zk_event_type) C.bool {
	var b *panicBox
	defer catch(&b)
	s := sinkOf(h).(*valueSink[Children])
	b = s.box()
	v := Children{Names: make([]string, 0, int(n)), Event: EventType(ev)}
	if n > 0 {
		for _, k := range unsafe.Slice(kids, int(n)) {
			v.Names = append(v.Names, C.GoString(k))
		}
	}
	return C.bool(s.deliver(v))
}

// watcher is what DataWatch and ChildrenWatch share: the C handle, the stop signal the
// sink waits on, and why the watch ended once the handle is gone.
type watcher[P comparable] struct {
	h        *recipeHandle[P]
	done     chan struct{}
	stopOnce sync.Once
	failure  func(P) C.zk_result
	op, path string
	mu       sync.Mutex
	err      error
}

// stop ends the watch: the sink stops waiting for a reader, the C handle is freed (which
// waits for a callback in progress), and the channel is closed.
func (w *watcher[P]) stop() {
	w.stopOnce.Do(func() {
		close(w.done)
		w.h.peek(func(p P) {
			var none P
			if p != none {
				w.setErr(w.failure(p))
			}
		})
		w.h.close()
	})
}

func (w *watcher[P]) setErr(r C.zk_result) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if r != C.ZK_RESULT_OK {
		w.err = codeError(r, w.op, w.path)
	}
}

// result is why the watch ended: nil while it runs or once stopped, the failure
// otherwise (ErrNoNode for a ChildrenWatch whose node was deleted, ErrClosed after the
// Client's Close).
func (w *watcher[P]) result() error {
	var r C.zk_result = C.ZK_RESULT_OK
	live := false
	w.h.peek(func(p P) {
		var none P
		if p != none {
			live = true
			r = w.failure(p)
		}
	})
	if live {
		if r == C.ZK_RESULT_OK {
			return nil
		}
		return codeError(r, w.op, w.path)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// startWatch makes the C watch with mk and ties its end to ctx.
func startWatch[P comparable, T any](ctx context.Context, c *Client, op, path string,
	mk func(cl *C.zk_client, path *C.char, handle C.uintptr_t, out *P) C.zk_result,
	free func(P), failure func(P) C.zk_result) (*watcher[P], chan T, error) {
	if hasNUL(path) {
		return nil, nil, codeError(C.ZK_RESULT_INVALID_PATH, op, path)
	}
	ch := make(chan T)
	done, ended := make(chan struct{}), make(chan struct{})
	handle := cgo.NewHandle(&valueSink[T]{ch: ch, done: done, ended: ended, panics: c.core.panics})
	created := false
	p, err := newRecipe(c, op, path, func(cl *C.zk_client, out *P) C.zk_result {
		created = true
		cpath, freePath := cString(path)
		defer freePath()
		return mk(cl, cpath, C.uintptr_t(handle), out)
	})
	runtime.KeepAlive(c)
	if err != nil {
		if !created {
			// The library never saw the handle: nothing ran its finalizer.
			handle.Delete()
		}
		return nil, nil, err
	}
	w := &watcher[P]{h: newRecipeHandle(p, free), done: done, failure: failure, op: op, path: path}
	if ctx.Done() != nil {
		go func() {
			select {
			case <-ctx.Done():
				w.stop()
			case <-done:
			case <-ended:
			}
		}()
	}
	return w, ch, nil
}

// DataWatch watches a node's data (kazoo's DataWatch): Values gets the data and Stat, or
// "no node" (the node need not exist), at once and after every change of the node (a
// set, its creation, its deletion). The library re-arms the one-shot watch each time,
// reads again after a reconnect (a change made while away is reported then) and after a
// session expiry (on the new session). Values is closed when the watch ends: Stop, ctx
// done, or a failure that reading again cannot mend (Err says which). Safe for
// concurrent use; it may outlive its Client, whose Close ends it. Stop it (or end ctx)
// when done, also after it ended by itself: that frees it. It is not stopped when
// unreferenced, so a loop over Values alone keeps it running.
type DataWatch struct {
	w      *watcher[*C.zk_data_watch]
	values chan NodeData
}

// NewDataWatch reads path and watches it until ctx is done or Stop. It returns once the
// first read is done (its error if it failed); the first value is then waiting on Values.
func NewDataWatch(ctx context.Context, c *Client, path string) (*DataWatch, error) {
	w, ch, err := startWatch[*C.zk_data_watch, NodeData](ctx, c, "data watch", path,
		func(cl *C.zk_client, cpath *C.char, h C.uintptr_t, out **C.zk_data_watch) C.zk_result {
			return C.zkgo_data_watch_new(cl, cpath, h, out)
		},
		func(p *C.zk_data_watch) { C.zk_data_watch_free(p) },
		func(p *C.zk_data_watch) C.zk_result { return C.zk_data_watch_get_failure(p) })
	if err != nil {
		return nil, err
	}
	return &DataWatch{w: w, values: ch}, nil
}

// Values delivers each value in the order of the changes, and is closed when the watch
// ends. A value waits for its reader: the watch reads on only once it is taken.
func (d *DataWatch) Values() <-chan NodeData { return d.values }

// Stop ends the watch and closes Values (once the value being delivered, if any, is
// dropped). Idempotent.
func (d *DataWatch) Stop() { d.w.stop() }

// Err is why the watch ended by itself: nil while it runs and after Stop; ErrClosed after
// the Client's Close, or another failure.
func (d *DataWatch) Err() error { return d.w.result() }

// ChildrenWatch watches a node's children (kazoo's ChildrenWatch): Values gets them at
// once and whenever they change (a list equal to the last one is not sent again), with
// the same re-arming, reconnect and expiry handling as DataWatch. The node must exist;
// when it is deleted the watch ends, Values is closed and Err is ErrNoNode, as kazoo's
// ends.
type ChildrenWatch struct {
	w      *watcher[*C.zk_children_watch]
	values chan Children
}

// NewChildrenWatch reads path's children and watches them until ctx is done or Stop.
// ErrNoNode if the node does not exist.
func NewChildrenWatch(ctx context.Context, c *Client, path string) (*ChildrenWatch, error) {
	w, ch, err := startWatch[*C.zk_children_watch, Children](ctx, c, "children watch", path,
		func(cl *C.zk_client, cpath *C.char, h C.uintptr_t, out **C.zk_children_watch) C.zk_result {
			return C.zkgo_children_watch_new(cl, cpath, h, out)
		},
		func(p *C.zk_children_watch) { C.zk_children_watch_free(p) },
		func(p *C.zk_children_watch) C.zk_result { return C.zk_children_watch_get_failure(p) })
	if err != nil {
		return nil, err
	}
	return &ChildrenWatch{w: w, values: ch}, nil
}

// Values delivers each list in the order of the changes, and is closed when the watch
// ends.
func (cw *ChildrenWatch) Values() <-chan Children { return cw.values }

// Stop ends the watch and closes Values. Idempotent.
func (cw *ChildrenWatch) Stop() { cw.w.stop() }

// Err is why the watch ended by itself: nil while it runs and after Stop; ErrNoNode once
// the node was deleted, ErrClosed after the Client's Close.
func (cw *ChildrenWatch) Err() error { return cw.w.result() }
