package zk

import (
	"errors"
	"testing"
	"time"
)

// Each watch channel gets exactly one event and is then closed.
func expectEvent(t *testing.T, ch <-chan Event, want Event) {
	t.Helper()
	ev, ok := recv(t, ch, 5*time.Second, "watch event "+want.String())
	ev.Zxid = want.Zxid // compared by the tests about it (3.8 sends -1, 3.9 the change's)
	if !ok || ev != want {
		t.Fatalf("watch got %v (open=%v), want %v", ev, ok, want)
	}
	if _, ok := recv(t, ch, time.Second, "watch channel close"); ok {
		t.Fatal("watch channel still open after its event")
	}
}

func TestGetWFiresOnceOnChangeAndOnDelete(t *testing.T) {
	c := connect(t)
	root := testRoot(t, c)
	ctx := t.Context()
	p := root + "/n"
	mustCreate(t, c, p, []byte("a"))
	data, st, ch, err := c.GetW(ctx, p)
	if err != nil || string(data) != "a" || st.Version != 0 {
		t.Fatalf("GetW = %q %v %v", data, st, err)
	}
	if c.WatchCount() != 1 {
		t.Fatalf("WatchCount = %d with one watch set", c.WatchCount())
	}
	if _, err := c.Set(ctx, p, []byte("b"), AnyVersion); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, ch, Event{Type: EventNodeDataChanged, State: KeeperConnected, Path: p})
	if c.WatchCount() != 0 {
		t.Fatalf("WatchCount = %d after the watch fired", c.WatchCount())
	}

	_, _, ch, err = c.GetW(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, p, AnyVersion); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, ch, Event{Type: EventNodeDeleted, State: KeeperConnected, Path: p})
}

func TestAFailedWatchedCallReturnsNoChannelAndLeavesNoWatch(t *testing.T) {
	c := connect(t)
	root := testRoot(t, c)
	_, _, ch, err := c.GetW(t.Context(), root+"/missing")
	if !errors.Is(err, ErrNoNode) || ch != nil {
		t.Fatalf("GetW(missing) = %v %v, want nil channel and ErrNoNode", ch, err)
	}
	_, _, ch, err = c.ChildrenW(t.Context(), root+"/missing")
	if !errors.Is(err, ErrNoNode) || ch != nil {
		t.Fatalf("ChildrenW(missing) = %v %v", ch, err)
	}
	if n := c.WatchCount(); n != 0 {
		t.Fatalf("WatchCount = %d after failed watched calls", n)
	}
}

func TestExistsWFiresOnCreateOfAMissingNode(t *testing.T) {
	c := connect(t)
	root := testRoot(t, c)
	p := root + "/later"
	ok, st, ch, err := c.ExistsW(t.Context(), p)
	if err != nil || ok || st != nil || ch == nil {
		t.Fatalf("ExistsW(missing) = %v %v %v %v, want a watch", ok, st, ch, err)
	}
	mustCreate(t, c, p, nil)
	expectEvent(t, ch, Event{Type: EventNodeCreated, State: KeeperConnected, Path: p})

	ok, _, ch, err = c.ExistsW(t.Context(), p)
	if err != nil || !ok {
		t.Fatalf("ExistsW(existing) = %v %v", ok, err)
	}
	if err := c.Delete(t.Context(), p, AnyVersion); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, ch, Event{Type: EventNodeDeleted, State: KeeperConnected, Path: p})
}

func TestChildrenWFiresOnANewChild(t *testing.T) {
	c := connect(t)
	root := testRoot(t, c)
	kids, st, ch, err := c.ChildrenW(t.Context(), root)
	if err != nil || len(kids) != 0 || st.NumChildren != 0 {
		t.Fatalf("ChildrenW = %v %v %v", kids, st, err)
	}
	mustCreate(t, c, root+"/kid", nil)
	expectEvent(t, ch, Event{Type: EventNodeChildrenChanged, State: KeeperConnected, Path: root})
}

// Watches of another client see the change too, and every channel of several watches on
// one node gets its own event.
func TestEveryWatchOnANodeFires(t *testing.T) {
	c, other := connect(t), connect(t)
	root := testRoot(t, c)
	var chans []<-chan Event
	for i := 0; i < 3; i++ {
		_, _, ch, err := other.GetW(t.Context(), root)
		if err != nil {
			t.Fatal(err)
		}
		chans = append(chans, ch)
	}
	if _, err := c.Set(t.Context(), root, []byte("x"), AnyVersion); err != nil {
		t.Fatal(err)
	}
	for _, ch := range chans {
		expectEvent(t, ch, Event{Type: EventNodeDataChanged, State: KeeperConnected, Path: root})
	}
}

func TestEventStrings(t *testing.T) {
	if s := (Event{Type: EventNodeCreated, State: KeeperConnected, Path: "/a"}).String(); s != `NodeCreated "/a" (Connected)` {
		t.Fatalf("Event.String = %s", s)
	}
	if EventType(99).String() != "EventType(99)" || EventNone.String() != "None" {
		t.Fatal("EventType.String")
	}
}

// Every one of many pending watches ends at Close with one EventNone, then its channel is
// closed: the library runs each finalizer exactly once.
func TestManyPendingWatchesAllEndAtClose(t *testing.T) {
	c := connect(t)
	root := testRoot(t, c)
	var chans []<-chan Event
	for i := 0; i < 200; i++ {
		var ch <-chan Event
		var err error
		switch i % 3 {
		case 0:
			_, _, ch, err = c.GetW(t.Context(), root)
		case 1:
			_, _, ch, err = c.ExistsW(t.Context(), root+"/missing")
		case 2:
			_, _, ch, err = c.ChildrenW(t.Context(), root)
		}
		if err != nil {
			t.Fatal(err)
		}
		chans = append(chans, ch)
	}
	if n := c.WatchCount(); n != 200 {
		t.Fatalf("WatchCount = %d, want 200", n)
	}
	c.Close()
	for _, ch := range chans {
		expectEvent(t, ch, Event{Type: EventNone, State: KeeperClosed, Path: ""})
	}
}

// With a chroot, paths and event paths are relative to it.
func TestChrootPathsAreRelative(t *testing.T) {
	admin := connect(t)
	root := testRoot(t, admin)
	c := connectTo(t, zkHosts(t)+root)
	_, _, ch, err := c.ExistsW(t.Context(), "/x")
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := c.Create(t.Context(), "/x", []byte("in chroot"))
	if err != nil || p != "/x" {
		t.Fatalf("Create in chroot = %q %v", p, err)
	}
	expectEvent(t, ch, Event{Type: EventNodeCreated, State: KeeperConnected, Path: "/x"})
	if data, _, err := admin.Get(t.Context(), root+"/x"); err != nil || string(data) != "in chroot" {
		t.Fatalf("outside the chroot: %q %v", data, err)
	}
}
