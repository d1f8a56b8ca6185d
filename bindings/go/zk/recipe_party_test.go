package zk

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestPartyMembersJoinListAndLeave(t *testing.T) {
	c := connect(t)
	ctx := context.Background()
	path := testRoot(t, c) + "/party"
	p, err := NewParty(c, path, "alice")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	q, err := NewParty(c, path, "bob")
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	for _, m := range []*Party{p, p, q} { // joining twice is fine
		if err := m.Join(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.HasSuffix(p.NodePath(), "__party__") || !strings.HasPrefix(p.NodePath(), path+"/") {
		t.Fatalf("node path %q", p.NodePath())
	}
	members, err := q.Members(ctx)
	if err != nil || !slices.Equal(members, []string{"alice", "bob"}) {
		t.Fatalf("members %v %v", members, err)
	}
	if n, err := p.Len(ctx); err != nil || n != 2 {
		t.Fatalf("len %d %v", n, err)
	}
	if removed, err := p.Leave(ctx); err != nil || !removed || p.Participating() {
		t.Fatalf("Leave: %v %v", removed, err)
	}
	if removed, err := p.Leave(ctx); err != nil || removed {
		t.Fatalf("Leave again: %v %v, want false", removed, err)
	}
	// Close leaves.
	q.Close()
	if kids, _, err := c.Children(ctx, path); err != nil || len(kids) != 0 {
		t.Fatalf("after Close: %v %v", kids, err)
	}
	if err := q.Join(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Join after Close: %v", err)
	}
}

func TestShallowPartyMembersAreTheirNodeNames(t *testing.T) {
	c := connect(t)
	ctx := context.Background()
	path := testRoot(t, c) + "/shallow"
	var ms []*Party
	for _, id := range []string{"host-1", "host-2"} {
		m, err := NewShallowParty(c, path, id)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if err := m.Join(ctx); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	if !strings.HasSuffix(ms[0].NodePath(), "-host-1") {
		t.Fatalf("node path %q", ms[0].NodePath())
	}
	members, err := ms[1].Members(ctx)
	if err != nil || !slices.Equal(members, []string{"host-1", "host-2"}) {
		t.Fatalf("members %v %v", members, err)
	}
	if _, err := NewShallowParty(c, path, "a/b"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("identifier with a slash: %v", err)
	}
}

// A recipe keeps its own reference to the session: after the client's Close its calls say
// ErrClosed, and its own Close is still fine.
func TestRecipesOfAClosedClientSayClosed(t *testing.T) {
	c := connect(t)
	path := testRoot(t, c) + "/p"
	p, err := NewParty(c, path, "x")
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewCounter(c, path, CounterInt)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	ctx := context.Background()
	if err := p.Join(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Join: %v", err)
	}
	if _, _, err := n.Add(ctx, 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("Add: %v", err)
	}
	if _, err := NewBarrier(c, path); !errors.Is(err, ErrClosed) {
		t.Fatalf("NewBarrier on a closed client: %v", err)
	}
	p.Close()
	n.Close()
}
