package zk

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// nextEvent reads one event of a persistent watch, which must still be open.
func nextEvent(t *testing.T, ch <-chan Event, want Event) {
	t.Helper()
	ev, ok := recv(t, ch, 5*time.Second, "persistent watch event "+want.String())
	ev.Zxid = want.Zxid // compared by the tests about it (3.8 sends -1, 3.9 the change's)
	if !ok || ev != want {
		t.Fatalf("persistent watch got %v (open=%v), want %v", ev, ok, want)
	}
}

// noEvent checks that nothing more is queued after a Sync has flushed the server's events.
func noEvent(t *testing.T, c *Client, ch <-chan Event, path string) {
	t.Helper()
	if err := c.Sync(t.Context(), path); err != nil {
		t.Fatal(err)
	}
	select {
	case ev, ok := <-ch:
		t.Fatalf("unexpected %v (open=%v)", ev, ok)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestAddWatchSeesEveryChangeAndChildEvents(t *testing.T) {
	c := connect(t)
	root := testRoot(t, c)
	ctx := t.Context()
	p := root + "/n"
	mustCreate(t, c, p, []byte("a"))
	ch, err := c.AddWatch(ctx, p, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"b", "c"} {
		if _, err := c.Set(ctx, p, []byte(d), AnyVersion); err != nil {
			t.Fatal(err)
		}
	}
	mustCreate(t, c, p+"/kid", nil)
	nextEvent(t, ch, Event{Type: EventNodeDataChanged, State: KeeperConnected, Path: p})
	nextEvent(t, ch, Event{Type: EventNodeDataChanged, State: KeeperConnected, Path: p})
	nextEvent(t, ch, Event{Type: EventNodeChildrenChanged, State: KeeperConnected, Path: p})
	// Not recursive: a change below the node is not seen.
	if _, err := c.Set(ctx, p+"/kid", []byte("x"), AnyVersion); err != nil {
		t.Fatal(err)
	}
	noEvent(t, c, ch, p)
	if c.DroppedWatchEvents() != 0 {
		t.Fatalf("DroppedWatchEvents = %d", c.DroppedWatchEvents())
	}
}

func TestRecursiveWatchSeesDescendantsButNoChildEvents(t *testing.T) {
	c := connect(t)
	root := testRoot(t, c)
	ctx := t.Context()
	ch, err := c.AddWatch(ctx, root, true)
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, c, root+"/a", nil)
	mustCreate(t, c, root+"/a/b", nil)
	if _, err := c.Set(ctx, root+"/a/b", []byte("x"), AnyVersion); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, ch, Event{Type: EventNodeCreated, State: KeeperConnected, Path: root + "/a"})
	nextEvent(t, ch, Event{Type: EventNodeCreated, State: KeeperConnected, Path: root + "/a/b"})
	nextEvent(t, ch, Event{Type: EventNodeDataChanged, State: KeeperConnected, Path: root + "/a/b"})
	noEvent(t, c, ch, root)
}

func TestRemoveWatchesEndsAPersistentWatch(t *testing.T) {
	c := connect(t)
	root := testRoot(t, c)
	ctx := t.Context()
	ch, err := c.AddWatch(ctx, root, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveWatches(ctx, root, WatchPersistent, false); !errors.Is(err, ErrNoWatcher) {
		t.Fatalf("RemoveWatches of the other mode = %v, want ErrNoWatcher", err)
	}
	// Its own type: 3.9 removes that mode alone; 3.8, with only this watch on the path,
	// is asked for WatchAny.
	if err := c.RemoveWatches(ctx, root, WatchPersistentRecursive, false); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, ch, Event{Type: EventPersistentWatchRemoved, State: KeeperConnected, Path: root})
	if err := c.RemoveWatches(ctx, root, WatchAny, false); !errors.Is(err, ErrNoWatcher) {
		t.Fatalf("second RemoveWatches = %v, want ErrNoWatcher", err)
	}
}

func TestRemoveWatchesWithNoneIsErrNoWatcher(t *testing.T) {
	c := connect(t)
	root := testRoot(t, c)
	for _, kind := range []WatcherType{WatchChildren, WatchData, WatchAny} {
		if err := c.RemoveWatches(t.Context(), root, kind, false); !errors.Is(err, ErrNoWatcher) {
			t.Fatalf("RemoveWatches(%v) with no watch = %v, want ErrNoWatcher", kind, err)
		}
	}
	// A one-shot watch removed gets its removal event.
	_, _, ch, err := c.GetW(t.Context(), root)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveWatches(t.Context(), root, WatchData, true); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, ch, Event{Type: EventDataWatchRemoved, State: KeeperConnected, Path: root})
}

func TestCloseEndsAPersistentWatch(t *testing.T) {
	c := connect(t)
	root := testRoot(t, c)
	ch, err := c.AddWatch(t.Context(), root, true)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	expectEvent(t, ch, Event{Type: EventNone, State: KeeperClosed, Path: ""})
}

// A failed AddWatch returns no channel; the library ran the finalizer before returning
// (the internal channel is already closed, the handle deleted) and no goroutine is left.
func TestAddWatchInvalidPathLeaksNothing(t *testing.T) {
	c := connect(t)
	if ch, err := c.AddWatch(t.Context(), "no-slash", false); !errors.Is(err, ErrInvalidPath) || ch != nil {
		t.Fatalf("AddWatch(no-slash) = %v %v, want nil and ErrInvalidPath", ch, err)
	}
	if ch, err := c.AddWatch(t.Context(), "/nul\x00", false); !errors.Is(err, ErrInvalidPath) || ch != nil {
		t.Fatalf("AddWatch(NUL) = %v %v, want nil and ErrInvalidPath", ch, err)
	}
	before := runtime.NumGoroutine()
	for i := 0; i < 50; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ch, err := c.addWatch(ctx, "/bad//path", i%2 == 0)
		cancel()
		if !errors.Is(err, ErrInvalidPath) {
			t.Fatalf("addWatch(/bad//path) = %v", err)
		}
		select {
		case _, ok := <-ch:
			if ok {
				t.Fatal("a failed watch delivered an event")
			}
		default:
			t.Fatal("the finalizer of a failed AddWatch had not run when it returned")
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines before, %d after", before, runtime.NumGoroutine())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if c.DroppedWatchEvents() != 0 {
		t.Fatal("events dropped")
	}
}

// A slow reader loses ordinary events beyond the buffer, counted, but never the final
// event or the close; the sender never blocks.
func TestPersistentSinkDropsWhenFullButKeepsTheFinalEvent(t *testing.T) {
	var dropped atomic.Uint64
	ch := make(chan Event, PersistentWatchBuffer+1)
	s := &persistentSink{ch: ch, panics: &panicBox{}, dropped: &dropped}
	for i := 0; i < PersistentWatchBuffer+10; i++ {
		s.deliver(Event{Type: EventNodeDataChanged, State: KeeperConnected, Path: "/n"})
	}
	s.deliver(Event{Type: EventPersistentWatchRemoved, State: KeeperConnected, Path: "/n"})
	s.release()
	if n := dropped.Load(); n != 10 {
		t.Fatalf("dropped = %d, want 10", n)
	}
	var got []Event
	for ev := range ch {
		got = append(got, ev)
	}
	if len(got) != PersistentWatchBuffer+1 || got[len(got)-1].Type != EventPersistentWatchRemoved {
		t.Fatalf("read %d events, last %v", len(got), got[len(got)-1])
	}
}

func TestWatcherTypeStrings(t *testing.T) {
	if WatchAny.String() != "Any" || WatcherType(9).String() != "WatcherType(9)" {
		t.Fatal("WatcherType.String")
	}
}

// One-shot and persistent watches on one path coexist on 3.8 too, where the server keeps
// one mode per path and the library adds the persistent mode back.
func TestOneShotWatchBesidePersistentOneLeavesItInPlace(t *testing.T) {
	c := connect(t)
	root := testRoot(t, c)
	ctx := t.Context()
	p := root + "/mix"
	mustCreate(t, c, p, []byte("a"))
	ch, err := c.AddWatch(ctx, p, false)
	if err != nil {
		t.Fatal(err)
	}
	_, _, once, err := c.GetW(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"b", "c"} {
		if _, err := c.Set(ctx, p, []byte(d), AnyVersion); err != nil {
			t.Fatal(err)
		}
	}
	if ev, ok := recv(t, once, 5*time.Second, "one-shot event"); !ok || ev.Type != EventNodeDataChanged {
		t.Fatalf("one-shot watch got %v (open=%v)", ev, ok)
	}
	nextEvent(t, ch, Event{Type: EventNodeDataChanged, State: KeeperConnected, Path: p})
	nextEvent(t, ch, Event{Type: EventNodeDataChanged, State: KeeperConnected, Path: p})
	if err := c.RemoveWatches(ctx, p, WatchAny, false); err != nil {
		t.Fatal(err)
	}
}
