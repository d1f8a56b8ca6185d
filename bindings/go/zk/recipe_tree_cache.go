package zk

// TreeCache (zk_tree_cache): a local copy of a subtree (kazoo's TreeCache, Curator's
// CuratorCache), its events on a channel, and reads from memory.

/*
#include <stdlib.h>
#include "shims.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"runtime/cgo"
	"sync"
	"unsafe"
)

// TreeEventKind is what a TreeCache reports.
type TreeEventKind int32

const (
	// TreeNodeAdded: a node came into the cache (with its data and Stat).
	TreeNodeAdded TreeEventKind = 0
	// TreeNodeUpdated: a cached node's data changed: the new data and Stat.
	TreeNodeUpdated TreeEventKind = 1
	// TreeNodeRemoved: a node left the cache, with its last data and Stat; a removed
	// subtree is reported deepest node first.
	TreeNodeRemoved TreeEventKind = 2
	// TreeInitialized: the first full load is in the cache (once, after its
	// TreeNodeAdded events).
	TreeInitialized TreeEventKind = 3
	// TreeSuspended: the connection is down; the cache may fall behind until
	// TreeReconnected.
	TreeSuspended TreeEventKind = 4
	// TreeReconnected: connected again (the same session, or a new one after TreeLost);
	// the cache reads the tree again and reports what changed meanwhile.
	TreeReconnected TreeEventKind = 5
	// TreeLost: the session ended; the cache keeps its content and catches up on the
	// next session.
	TreeLost TreeEventKind = 6
)

// zkclient.h's values: the build fails if one of them changes.
var (
	_ = [1]struct{}{}[TreeNodeAdded-C.ZK_TREE_EVENT_KIND_NODE_ADDED]
	_ = [1]struct{}{}[TreeNodeUpdated-C.ZK_TREE_EVENT_KIND_NODE_UPDATED]
	_ = [1]struct{}{}[TreeNodeRemoved-C.ZK_TREE_EVENT_KIND_NODE_REMOVED]
	_ = [1]struct{}{}[TreeInitialized-C.ZK_TREE_EVENT_KIND_INITIALIZED]
	_ = [1]struct{}{}[TreeSuspended-C.ZK_TREE_EVENT_KIND_SUSPENDED]
	_ = [1]struct{}{}[TreeReconnected-C.ZK_TREE_EVENT_KIND_RECONNECTED]
	_ = [1]struct{}{}[TreeLost-C.ZK_TREE_EVENT_KIND_LOST]
)

func (k TreeEventKind) String() string {
	switch k {
	case TreeNodeAdded:
		return "NodeAdded"
	case TreeNodeUpdated:
		return "NodeUpdated"
	case TreeNodeRemoved:
		return "NodeRemoved"
	case TreeInitialized:
		return "Initialized"
	case TreeSuspended:
		return "Suspended"
	case TreeReconnected:
		return "Reconnected"
	case TreeLost:
		return "Lost"
	}
	return fmt.Sprintf("TreeEventKind(%d)", int32(k))
}

// TreeEvent is one event of a TreeCache. Path, Data and Stat are set for the node
// events; the others have an empty Path, nil Data and a nil Stat.
type TreeEvent struct {
	Kind TreeEventKind
	Path string
	Data []byte
	Stat *Stat
}

// TreeCacheOptions say how a TreeCache follows the tree.
type TreeCacheOptions struct {
	// OneShotWatches uses one-shot watches per node (kazoo's way) even if the server has
	// addWatch; by default one persistent recursive watch on the root (ZooKeeper 3.6+).
	OneShotWatches bool
}

// treeSink is a TreeCache's callback userdata. The library calls it on the cache's own
// thread, where it may block: it waits for the reader of Events, so no event is
// dropped, until Close says nobody will read any more.
type treeSink struct {
	ch     chan TreeEvent
	done   chan struct{}
	panics *panicBox
}

func (s *treeSink) box() *panicBox { return s.panics }

func (s *treeSink) deliver(e TreeEvent) {
	select {
	case s.ch <- e:
	case <-s.done:
	}
}

func (s *treeSink) release() { close(s.ch) }

//export zkgoTreeEvent
func zkgoTreeEvent(h C.uintptr_t, ev *C.zk_tree_event) {
	var b *panicBox
	defer catch(&b)
	s := sinkOf(h).(*treeSink)
	b = s.box()
	e := TreeEvent{Kind: TreeEventKind(ev.kind), Path: C.GoString(ev.path)}
	if ev.stat != nil {
		e.Stat = statFromC(ev.stat)
		e.Data = C.GoBytes(unsafe.Pointer(ev.data), C.int(ev.data_len))
	}
	s.deliver(e)
}

// treeEventBuffer is how many events Events holds before the cache's thread waits for
// its reader.
const treeEventBuffer = 256

// TreeCache is a local copy of the subtree at a path, kept true by watches, with the
// changes on Events: one persistent recursive watch on ZooKeeper 3.6+ (one-shot watches
// per node otherwise, or with TreeCacheOptions.OneShotWatches). After a reconnect, and on
// a new session after an expiry, it reads the tree again and reports exactly what changed
// meanwhile. Reads (Get, Children, Snapshot) come from memory. Safe for concurrent use.
// Read Events until it is closed, or Close the cache: an unread channel holds the
// cache's next full load back. It may outlive its Client, after whose Close it follows
// nothing more.
type TreeCache struct {
	h        *recipeHandle[*C.zk_tree_cache]
	events   chan TreeEvent
	done     chan struct{}
	doneOnce sync.Once
	path     string
	cleanup  runtime.Cleanup
}

// NewTreeCache makes a cache of the subtree at path; nothing is sent before Start.
func NewTreeCache(c *Client, path string, opts TreeCacheOptions) (*TreeCache, error) {
	const op = "tree cache"
	sink := &treeSink{
		ch:     make(chan TreeEvent, treeEventBuffer),
		done:   make(chan struct{}),
		panics: c.core.panics,
	}
	handle := cgo.NewHandle(sink)
	called := false
	p, err := newRecipe(c, op, path, func(cl *C.zk_client, out **C.zk_tree_cache) C.zk_result {
		called = true
		cpath, freePath := cString(path)
		defer freePath()
		return C.zkgo_tree_cache_new(cl, cpath, C.bool(opts.OneShotWatches), C.uintptr_t(handle), out)
	})
	runtime.KeepAlive(c)
	if err != nil {
		if !called {
			handle.Delete() // the library never saw it
		}
		return nil, err
	}
	h := newRecipeHandle(p, func(p *C.zk_tree_cache) { C.zk_tree_cache_free(p) })
	t := &TreeCache{h: h, events: sink.ch, done: sink.done, path: path}
	t.cleanup = runtime.AddCleanup(t, func(a treeCleanup) { a.stop() },
		treeCleanup{h: h, done: sink.done, once: &t.doneOnce})
	return t, nil
}

type treeCleanup struct {
	h    *recipeHandle[*C.zk_tree_cache]
	done chan struct{}
	once *sync.Once
}

func (a treeCleanup) stop() {
	a.once.Do(func() { close(a.done) })
	go a.h.close()
}

// Path is the cache's root.
func (t *TreeCache) Path() string { return t.path }

// Start starts following the tree: the first full load now if connected, or at the
// connection; TreeInitialized follows its TreeNodeAdded events. Starting again is fine;
// ErrClosed after Close.
func (t *TreeCache) Start() error {
	r := C.zk_result(C.ZK_RESULT_CLOSED)
	t.h.peek(func(p *C.zk_tree_cache) {
		if p != nil {
			r = C.zk_tree_cache_start(p)
		}
	})
	runtime.KeepAlive(t)
	return codeError(r, "tree cache start", t.path)
}

// Events receives the cache's events, in order, none dropped. Closed by Close.
func (t *TreeCache) Events() <-chan TreeEvent { return t.events }

// Get is the cached data and Stat of path; ErrNoNode if it is not in the cache. The
// Stat is the node's last data read: its child fields may lag (Children is what the
// cache knows of the children).
func (t *TreeCache) Get(path string) ([]byte, *Stat, error) {
	var data []byte
	var stat *Stat
	r := C.zk_result(C.ZK_RESULT_CLOSED)
	if hasNUL(path) {
		return nil, nil, codeError(C.ZK_RESULT_INVALID_PATH, "tree cache get", path)
	}
	t.h.peek(func(p *C.zk_tree_cache) {
		if p == nil {
			return
		}
		cpath, free := cString(path)
		defer free()
		var buf C.zk_buffer
		var st C.zk_stat
		r = C.zk_tree_cache_get(p, cpath, &buf, &st)
		if r == C.ZK_RESULT_OK {
			data = bufferBytes(&buf)
			stat = statFromC(&st)
		}
	})
	runtime.KeepAlive(t)
	if err := codeError(r, "tree cache get", path); err != nil {
		return nil, nil, err
	}
	return data, stat, nil
}

// Children is the cached children's names of path, sorted; ErrNoNode if it is not in
// the cache.
func (t *TreeCache) Children(path string) ([]string, error) {
	var kids []string
	r := C.zk_result(C.ZK_RESULT_CLOSED)
	if hasNUL(path) {
		return nil, codeError(C.ZK_RESULT_INVALID_PATH, "tree cache children", path)
	}
	t.h.peek(func(p *C.zk_tree_cache) {
		if p == nil {
			return
		}
		cpath, free := cString(path)
		defer free()
		var list *C.zk_string_list
		r = C.zk_tree_cache_children(p, cpath, &list)
		if r == C.ZK_RESULT_OK {
			kids = stringList(list)
		}
	})
	runtime.KeepAlive(t)
	if err := codeError(r, "tree cache children", path); err != nil {
		return nil, err
	}
	if kids == nil {
		kids = []string{}
	}
	return kids, nil
}

// CachedNode is a node of a TreeCache's Snapshot.
type CachedNode struct {
	Data []byte
	Stat *Stat
}

// Snapshot is every cached node by path (nil after Close). It is read path by path: a
// node that leaves the cache meanwhile is left out.
func (t *TreeCache) Snapshot() map[string]CachedNode {
	var paths []string
	t.h.peek(func(p *C.zk_tree_cache) {
		var list *C.zk_string_list
		if p != nil && C.zk_tree_cache_paths(p, &list) == C.ZK_RESULT_OK {
			paths = stringList(list)
		}
	})
	if paths == nil {
		return nil
	}
	out := make(map[string]CachedNode, len(paths))
	for _, p := range paths {
		if data, stat, err := t.Get(p); err == nil {
			out[p] = CachedNode{Data: data, Stat: stat}
		}
	}
	return out
}

// Len is how many nodes the cache holds.
func (t *TreeCache) Len() int {
	n := 0
	t.h.peek(func(p *C.zk_tree_cache) {
		if p != nil {
			n = int(C.zk_tree_cache_len(p))
		}
	})
	runtime.KeepAlive(t)
	return n
}

// Initialized says whether the first full load is done.
func (t *TreeCache) Initialized() bool {
	ok := false
	t.h.peek(func(p *C.zk_tree_cache) {
		ok = p != nil && bool(C.zk_tree_cache_initialized(p))
	})
	runtime.KeepAlive(t)
	return ok
}

// PersistentWatch says whether the cache follows the tree with one persistent recursive
// watch (false: one-shot watches per node, asked for or because the server has no
// addWatch).
func (t *TreeCache) PersistentWatch() bool {
	ok := false
	t.h.peek(func(p *C.zk_tree_cache) {
		ok = p != nil && bool(C.zk_tree_cache_persistent_watch(p))
	})
	runtime.KeepAlive(t)
	return ok
}

// Close stops the cache and frees it; Events is closed (events not read yet are
// dropped). Idempotent.
func (t *TreeCache) Close() error {
	t.cleanup.Stop()
	t.doneOnce.Do(func() { close(t.done) })
	t.h.close()
	return nil
}
