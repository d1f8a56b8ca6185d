package zk

// DataWatch and ChildrenWatch from Go: every change in order with its event, deletion and
// re-creation, the end of a children watch with its node, a change made while the
// connection was cut reported after the reconnect, and the context and Stop closing the
// channel.

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

const watchWait = 10 * time.Second

func nextData(t *testing.T, d *DataWatch) NodeData {
	t.Helper()
	v, ok := recv(t, d.Values(), watchWait, "data value")
	if !ok {
		t.Fatalf("Values closed: %v", d.Err())
	}
	return v
}

func nextChildren(t *testing.T, cw *ChildrenWatch) Children {
	t.Helper()
	v, ok := recv(t, cw.Values(), watchWait, "children value")
	if !ok {
		t.Fatalf("Values closed: %v", cw.Err())
	}
	slices.Sort(v.Names)
	return v
}

func wantData(t *testing.T, d *DataWatch, data string, ev EventType) {
	t.Helper()
	v := nextData(t, d)
	got := "-"
	if v.Stat != nil {
		got = string(v.Data)
	}
	if got != data || v.Event != ev {
		t.Fatalf("got %q %v, want %q %v", got, v.Event, data, ev)
	}
}

func TestDataWatchReportsEveryChangeInOrder(t *testing.T) {
	c := connect(t)
	ctx := context.Background()
	path := testRoot(t, c) + "/node"
	d, err := NewDataWatch(ctx, c, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop()
	wantData(t, d, "-", EventNone)
	mustCreate(t, c, path, []byte("a"))
	wantData(t, d, "a", EventNodeCreated)
	if _, err := c.Set(ctx, path, []byte("b"), AnyVersion); err != nil {
		t.Fatal(err)
	}
	wantData(t, d, "b", EventNodeDataChanged)
	if err := c.Delete(ctx, path, AnyVersion); err != nil {
		t.Fatal(err)
	}
	wantData(t, d, "-", EventNodeDeleted)
	mustCreate(t, c, path, []byte("c"))
	wantData(t, d, "c", EventNodeCreated)
	d.Stop()
	if _, ok := <-d.Values(); ok {
		t.Fatal("a value after Stop")
	}
	if d.Err() != nil {
		t.Fatalf("Err after Stop: %v", d.Err())
	}
}

func TestChildrenWatchEndsWithItsNodeAndTheContextStopsIt(t *testing.T) {
	c := connect(t)
	ctx := context.Background()
	path := testRoot(t, c) + "/parent"
	if _, err := NewChildrenWatch(ctx, c, path); !errors.Is(err, ErrNoNode) {
		t.Fatalf("on a missing node: %v, want ErrNoNode", err)
	}
	mustCreate(t, c, path, nil)
	cw, err := NewChildrenWatch(ctx, c, path)
	if err != nil {
		t.Fatal(err)
	}
	defer cw.Stop()
	if v := nextChildren(t, cw); len(v.Names) != 0 || v.Event != EventNone {
		t.Fatalf("first %v", v)
	}
	mustCreate(t, c, path+"/x", nil)
	if v := nextChildren(t, cw); !slices.Equal(v.Names, []string{"x"}) || v.Event != EventNodeChildrenChanged {
		t.Fatalf("after x: %v", v)
	}
	mustCreate(t, c, path+"/y", nil)
	if v := nextChildren(t, cw); !slices.Equal(v.Names, []string{"x", "y"}) {
		t.Fatalf("after y: %v", v)
	}
	if err := c.DeleteRecursive(ctx, path, AnyVersion); err != nil {
		t.Fatal(err)
	}
	for v := range cw.Values() {
		if len(v.Names) > 1 {
			t.Fatalf("%v after the deletion began", v)
		}
	}
	if !errors.Is(cw.Err(), ErrNoNode) {
		t.Fatalf("Err %v, want ErrNoNode", cw.Err())
	}

	// A context that ends stops the watch and closes the channel.
	mustCreate(t, c, path, nil)
	cctx, cancel := context.WithCancel(ctx)
	cw2, err := NewChildrenWatch(cctx, c, path)
	if err != nil {
		t.Fatal(err)
	}
	nextChildren(t, cw2)
	cancel()
	if _, ok := recv(t, cw2.Values(), watchWait, "close"); ok {
		t.Fatal("a value after the context ended")
	}
	if cw2.Err() != nil {
		t.Fatalf("Err after the context ended: %v", cw2.Err())
	}
}

func TestAWatchReportsAChangeMadeWhileTheConnectionWasCut(t *testing.T) {
	p := newProxy(t)
	c := connectTo(t, p.addr(), WithSessionTimeout(10*time.Second))
	writer := connect(t)
	ctx := context.Background()
	path := testRoot(t, writer) + "/node"
	mustCreate(t, writer, path, []byte("before"))
	d, err := NewDataWatch(ctx, c, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop()
	wantData(t, d, "before", EventNone)
	p.cut()
	waitFor(t, func() bool { return !c.Connected() })
	if _, err := writer.Set(ctx, path, []byte("while cut"), AnyVersion); err != nil {
		t.Fatal(err)
	}
	p.restore()
	if v := nextData(t, d); string(v.Data) != "while cut" {
		t.Fatalf("after the reconnect: %q", v.Data)
	}
	if _, err := writer.Set(ctx, path, []byte("after"), AnyVersion); err != nil {
		t.Fatal(err)
	}
	wantData(t, d, "after", EventNodeDataChanged)
}

func TestAWatchEndsWhenItsClientCloses(t *testing.T) {
	c := connect(t)
	d, err := NewDataWatch(context.Background(), c, testRoot(t, c)+"/node")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop()
	wantData(t, d, "-", EventNone)
	c.Close()
	if _, ok := recv(t, d.Values(), watchWait, "close"); ok {
		t.Fatal("a value after Close")
	}
	if !errors.Is(d.Err(), ErrClosed) {
		t.Fatalf("Err %v, want ErrClosed", d.Err())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	end := time.Now().Add(watchWait)
	for !cond() {
		if time.Now().After(end) {
			t.Fatal("condition not met within the wait")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
