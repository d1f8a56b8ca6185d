package zk

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"testing"
	"time"
)

// nextTree reads the next event of a tree cache, failing the test after 10 s.
func nextTree(t *testing.T, tc *TreeCache) TreeEvent {
	t.Helper()
	e, ok := recv(t, tc.Events(), 10*time.Second, "tree event")
	if !ok {
		t.Fatal("Events closed")
	}
	return e
}

// quietTree returns what comes on Events before 400 ms of quiet.
func quietTree(tc *TreeCache) []TreeEvent {
	var out []TreeEvent
	for {
		select {
		case e := <-tc.Events():
			out = append(out, e)
		case <-time.After(400 * time.Millisecond):
			return out
		}
	}
}

type kindPath struct {
	Kind TreeEventKind
	Path string
}

func kindPaths(evs []TreeEvent) []kindPath {
	out := make([]kindPath, 0, len(evs))
	for _, e := range evs {
		out = append(out, kindPath{e.Kind, e.Path})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Path < out[j].Path
	})
	return out
}

func testTreeCache(t *testing.T, oneShot bool) {
	c := connect(t)
	ctx := context.Background()
	root := testRoot(t, c)
	mustCreate(t, c, root+"/a", []byte("A"))
	tc, err := NewTreeCache(c, root, TreeCacheOptions{OneShotWatches: oneShot})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if err := tc.Start(); err != nil {
		t.Fatal(err)
	}
	var load []TreeEvent
	for e := nextTree(t, tc); e.Kind != TreeInitialized; e = nextTree(t, tc) {
		load = append(load, e)
	}
	if got, want := kindPaths(load), []kindPath{{TreeNodeAdded, root}, {TreeNodeAdded, root + "/a"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("load %v, want %v", got, want)
	}
	if !tc.Initialized() || tc.PersistentWatch() == oneShot || tc.Len() != 2 {
		t.Fatalf("initialized %v, persistent %v, len %d", tc.Initialized(), tc.PersistentWatch(), tc.Len())
	}

	if _, err := c.Set(ctx, root+"/a", []byte("A2"), AnyVersion); err != nil {
		t.Fatal(err)
	}
	if e := nextTree(t, tc); e.Kind != TreeNodeUpdated || e.Path != root+"/a" || string(e.Data) != "A2" || e.Stat.Version != 1 {
		t.Fatalf("got %+v", e)
	}
	mustCreate(t, c, root+"/b", []byte("B"))
	if e := nextTree(t, tc); e.Kind != TreeNodeAdded || e.Path != root+"/b" || string(e.Data) != "B" {
		t.Fatalf("got %+v", e)
	}
	data, stat, err := tc.Get(root + "/a")
	if err != nil || string(data) != "A2" || stat.Version != 1 {
		t.Fatalf("Get: %q %+v %v", data, stat, err)
	}
	if kids, err := tc.Children(root); err != nil || !reflect.DeepEqual(kids, []string{"a", "b"}) {
		t.Fatalf("Children: %v %v", kids, err)
	}
	if _, _, err := tc.Get(root + "/nope"); !errors.Is(err, ErrNoNode) {
		t.Fatalf("Get of a node not cached: %v", err)
	}
	snap := tc.Snapshot()
	if len(snap) != 3 || string(snap[root+"/b"].Data) != "B" {
		t.Fatalf("Snapshot: %v", snap)
	}
	if err := c.Delete(ctx, root+"/b", AnyVersion); err != nil {
		t.Fatal(err)
	}
	if e := nextTree(t, tc); e.Kind != TreeNodeRemoved || e.Path != root+"/b" || string(e.Data) != "B" {
		t.Fatalf("got %+v", e)
	}
	if evs := quietTree(tc); len(evs) != 0 {
		t.Fatalf("more events: %v", kindPaths(evs))
	}
	tc.Close()
	if _, ok := <-tc.Events(); ok {
		t.Fatal("Events open after Close")
	}
	if err := tc.Start(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Start after Close: %v", err)
	}
}

func TestTreeCacheLoadsAndFollowsATree(t *testing.T) { testTreeCache(t, false) }

func TestTreeCacheOnOneShotWatches(t *testing.T) { testTreeCache(t, true) }

func TestTreeCacheReportsExactlyTheChangesMadeDuringACut(t *testing.T) {
	other := connect(t)
	ctx := context.Background()
	root := testRoot(t, other)
	mustCreate(t, other, root+"/keep", []byte("k"))
	mustCreate(t, other, root+"/gone", []byte("g"))
	p := newProxy(t)
	c := connectTo(t, p.addr(), WithConnectionRetry(fastRetry), WithSessionTimeout(10*time.Second))
	tc, err := NewTreeCache(c, root, TreeCacheOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if err := tc.Start(); err != nil {
		t.Fatal(err)
	}
	for e := nextTree(t, tc); e.Kind != TreeInitialized; e = nextTree(t, tc) {
	}
	p.cut()
	if e := nextTree(t, tc); e.Kind != TreeSuspended {
		t.Fatalf("got %+v", e)
	}
	if _, err := other.Set(ctx, root+"/keep", []byte("k2"), AnyVersion); err != nil {
		t.Fatal(err)
	}
	if err := other.Delete(ctx, root+"/gone", AnyVersion); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, other, root+"/new", nil)
	p.restore()
	if e := nextTree(t, tc); e.Kind != TreeReconnected {
		t.Fatalf("got %+v", e)
	}
	want := []kindPath{{TreeNodeAdded, root + "/new"}, {TreeNodeUpdated, root + "/keep"}, {TreeNodeRemoved, root + "/gone"}}
	if got := kindPaths(quietTree(tc)); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the cut %v, want %v", got, want)
	}
}

func TestTreeCacheRefusesBadPaths(t *testing.T) {
	c := connect(t)
	for _, p := range []string{"", "x", "/a/", "/a\x00b"} {
		if _, err := NewTreeCache(c, p, TreeCacheOptions{}); err == nil {
			t.Errorf("NewTreeCache(%q) made a cache", p)
		}
	}
}
