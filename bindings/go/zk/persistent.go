package zk

// Persistent watches (zk_add_watch) and the removal of watches (zk_remove_watches).

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
	"sync/atomic"
	"unsafe"
)

// WatcherType says which of a path's watches RemoveWatches removes, with ZooKeeper's numbers.
type WatcherType uint32

const (
	// WatchChildren: the child watches (ChildrenW).
	WatchChildren WatcherType = 1
	// WatchData: the data and exists watches (GetW, ExistsW).
	WatchData WatcherType = 2
	// WatchAny: all of the above and the persistent watches (AddWatch).
	WatchAny WatcherType = 3
	// WatchPersistent: the persistent watches (AddWatch, not recursive). ZooKeeper 3.9;
	// on older servers only where the path holds no other kind of watch of this client,
	// else ErrUnimplemented.
	WatchPersistent WatcherType = 4
	// WatchPersistentRecursive: the persistent recursive watches; as WatchPersistent.
	WatchPersistentRecursive WatcherType = 5
)

// zkclient.h's values: the build fails if one of them changes.
var (
	_ = [1]struct{}{}[WatchChildren-C.ZK_WATCHER_TYPE_CHILDREN]
	_ = [1]struct{}{}[WatchData-C.ZK_WATCHER_TYPE_DATA]
	_ = [1]struct{}{}[WatchAny-C.ZK_WATCHER_TYPE_ANY]
	_ = [1]struct{}{}[WatchPersistent-C.ZK_WATCHER_TYPE_PERSISTENT]
	_ = [1]struct{}{}[WatchPersistentRecursive-C.ZK_WATCHER_TYPE_PERSISTENT_RECURSIVE]
)

func (t WatcherType) String() string {
	switch t {
	case WatchChildren:
		return "Children"
	case WatchData:
		return "Data"
	case WatchAny:
		return "Any"
	case WatchPersistent:
		return "Persistent"
	case WatchPersistentRecursive:
		return "PersistentRecursive"
	}
	return fmt.Sprintf("WatcherType(%d)", uint32(t))
}

// PersistentWatchBuffer is how many events the channel of AddWatch holds before it drops
// new ones; one more slot is kept free for the final event.
const PersistentWatchBuffer = 1024

// persistentSink is a persistent watch's userdata. The library calls deliver for every
// event, the last being EventPersistentWatchRemoved or EventNone, then release once. Only
// the event thread sends, so len(ch) can only shrink under it: ordinary events fill at
// most PersistentWatchBuffer slots and the last slot stays free for the final event.
type persistentSink struct {
	ch      chan Event
	panics  *panicBox
	dropped *atomic.Uint64
}

func (w *persistentSink) box() *panicBox { return w.panics }

// deliver never blocks the event thread: an ordinary event that finds the buffer full is
// dropped and counted.
func (w *persistentSink) deliver(e Event) {
	final := e.Type == EventPersistentWatchRemoved || e.Type == EventNone
	if final || len(w.ch) < PersistentWatchBuffer {
		select {
		case w.ch <- e:
			return
		default:
		}
	}
	w.dropped.Add(1)
}

func (w *persistentSink) release() { close(w.ch) }

// newPersistentWatch makes the channel of a persistent watch and the zk_watcher that feeds
// it. The library owns the handle from the call on: its finalizer deletes it.
func newPersistentWatch(core *clientCore) (chan Event, C.zk_watcher) {
	ch := make(chan Event, PersistentWatchBuffer+1)
	h := cgo.NewHandle(&persistentSink{ch: ch, panics: core.panics, dropped: &core.dropped})
	return ch, C.zkgo_watcher(C.uintptr_t(h))
}

// AddWatch sets a persistent watch on path (ZooKeeper 3.6+; the node need not exist). The
// channel receives every event on path — with recursive, on path and every node below
// it, except EventNodeChildrenChanged — until RemoveWatches(ctx, path, WatchAny, ...)
// (then EventPersistentWatchRemoved) or the end of the session (then EventNone, as for
// one-shot watches), and is closed after that final event. The watch survives lost
// connections, but events from while the client was away are not replayed.
//
// The library's event thread never waits on the channel: it holds PersistentWatchBuffer
// events, and while it is full further events are dropped (and counted by
// DroppedWatchEvents); the final event and the close are never lost. Read it promptly.
//
// One-shot watches (GetW, ExistsW, ChildrenW) and persistent ones on one path coexist on
// every server (3.8 keeps one watch mode per path and session, so there the library adds
// its persistent mode back after each one-shot watch set or removed on the path). Both
// persistent modes on one path do not coexist on 3.8: the recursive one is kept, and the
// non-recursive one then gets no EventNodeChildrenChanged. If ctx is done while the
// call is in flight the watch may still be set; RemoveWatches removes it.
func (c *Client) AddWatch(ctx context.Context, path string, recursive bool) (<-chan Event, error) {
	ch, err := c.addWatch(ctx, path, recursive)
	if err != nil {
		return nil, err
	}
	return ch, nil
}

// addWatch returns the channel even on error (closed then, if the library got it), for tests.
func (c *Client) addWatch(ctx context.Context, path string, recursive bool) (<-chan Event, error) {
	const op = "add watch"
	if err := pathArg(op, path); err != nil {
		return nil, err
	}
	var events chan Event
	err := c.core.do(ctx, op, path, func(p *C.zk_client, ms C.uint32_t) C.zk_result {
		cpath := C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
		var cw C.zk_watcher
		events, cw = newPersistentWatch(c.core)
		return C.zk_add_watch(p, cpath, C.bool(recursive), &cw, ms)
	})
	runtime.KeepAlive(c)
	return events, err
}

// RemoveWatches removes this client's watches of kind on path; with local, even if the
// server cannot be told. Each removed watch gets its removal event (EventDataWatchRemoved,
// EventChildWatchRemoved, EventPersistentWatchRemoved) and its channel is then closed.
// ErrNoWatcher if the client holds no such watch.
func (c *Client) RemoveWatches(ctx context.Context, path string, kind WatcherType, local bool) error {
	const op = "remove watches"
	if err := pathArg(op, path); err != nil {
		return err
	}
	err := c.core.do(ctx, op, path, func(p *C.zk_client, ms C.uint32_t) C.zk_result {
		cpath := C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
		return C.zk_remove_watches(p, cpath, C.uint32_t(kind), C.bool(local), ms)
	})
	runtime.KeepAlive(c)
	return err
}

// DroppedWatchEvents is the number of events of this client's persistent watches that were
// dropped because their channel was full (see AddWatch).
func (c *Client) DroppedWatchEvents() uint64 {
	n := c.core.dropped.Load()
	runtime.KeepAlive(c)
	return n
}
