package zk

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

var partitionItems = []string{"q1", "q2", "q3", "q4", "q5"}

func newMember(t *testing.T, c *Client, path, id string) *SetPartitioner {
	t.Helper()
	p, err := NewSetPartitioner(c, path, partitionItems, PartitionerOptions{
		Identifier:      id,
		TimeBoundary:    200 * time.Millisecond,
		MaxReactionTime: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// settle runs the members as kazoo's docs run one (ReleaseSet on Release, WaitForAcquire
// while Allocating) until each is Acquired with its share in want.
func settle(t *testing.T, ps []*SetPartitioner, want [][]string) {
	t.Helper()
	ctx := context.Background()
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		done := 0
		for i, p := range ps {
			switch p.State() {
			case PartitionRelease:
				if err := p.ReleaseSet(ctx); err != nil {
					t.Fatal(err)
				}
			case PartitionAllocating:
				short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
				p.WaitForAcquire(short)
				cancel()
			case PartitionAcquired:
				if slices.Equal(p.Items(), want[i]) {
					done++
				}
			case PartitionFailure:
				t.Fatalf("member %d failed: %v", i, p.Failure())
			}
		}
		if done == len(ps) {
			return
		}
	}
	for i, p := range ps {
		t.Errorf("member %d: %v %v, want %v", i, p.State(), p.Items(), want[i])
	}
	t.FailNow()
}

// sawState reads states until want comes, or fails the test after the wait.
func sawState(t *testing.T, ch <-chan PartitionState, want PartitionState) {
	t.Helper()
	for {
		s, ok := recv(t, ch, 10*time.Second, "a state change")
		if !ok || s == want {
			return
		}
	}
}

// Members split the set as kazoo does; a join and a leave ask for a release and split the
// set again; every item's lock has one holder; Close leaves nothing.
func TestSetPartitionerMembersSplitTheSetAsKazoo(t *testing.T) {
	c1, c2 := connect(t), connect(t)
	path := testRoot(t, c1) + "/part"
	ctx := context.Background()
	a := newMember(t, c1, path, "a")
	if st, err := a.WaitForAcquire(ctx); err != nil || st != PartitionAcquired {
		t.Fatalf("WaitForAcquire: %v %v", st, err)
	}
	sawState(t, a.States(), PartitionAcquired)
	if !slices.Equal(a.Items(), partitionItems) {
		t.Fatalf("alone: %v", a.Items())
	}
	party := children(t, c1, path+"/party")
	if len(party) != 1 || !strings.HasSuffix(party[0], "-a") || len(party[0]) != 34 {
		t.Fatalf("party %v", party)
	}

	b := newMember(t, c2, path, "b")
	sawState(t, a.States(), PartitionRelease)
	settle(t, []*SetPartitioner{a, b}, [][]string{{"q1", "q3", "q5"}, {"q2", "q4"}})
	for _, item := range partitionItems {
		if holders := children(t, c1, path+"/locks/"+item); len(holders) != 1 {
			t.Fatalf("%s: %v", item, holders)
		}
	}

	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if b.State() != PartitionFailure {
		t.Fatalf("closed: %v", b.State())
	}
	for deadline, open := time.After(10*time.Second), true; open; {
		select {
		case _, open = <-b.States():
		case <-deadline:
			t.Fatal("States not closed by Close")
		}
	}
	sawState(t, a.States(), PartitionRelease)
	settle(t, []*SetPartitioner{a}, [][]string{partitionItems})
	if err := a.Finish(ctx); err != nil || a.State() != PartitionFailure || a.Failure() != nil {
		t.Fatalf("Finish: %v %v %v", err, a.State(), a.Failure())
	}
	if kids := children(t, c1, path+"/party"); len(kids) != 0 {
		t.Fatalf("party after Finish: %v", kids)
	}
	if kids := children(t, c1, path+"/locks/q1"); len(kids) != 0 {
		t.Fatalf("lock after Finish: %v", kids)
	}
}

// A context's deadline or cancellation ends WaitForAcquire at once; the allocation goes
// on, and Close stops it and leaves the party.
func TestSetPartitionerAContextEndsTheWait(t *testing.T) {
	c := connect(t)
	path := testRoot(t, c) + "/part"
	ctx := context.Background()
	p, err := NewSetPartitioner(c, path, partitionItems, PartitionerOptions{
		Identifier: "slow", TimeBoundary: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	st, err := p.WaitForAcquire(short)
	cancel()
	if !errors.Is(err, ErrTimedOut) || !errors.Is(err, context.DeadlineExceeded) || st != PartitionAllocating {
		t.Fatalf("at the deadline: %v %v", st, err)
	}
	// A cancelled context ends its own wait at once; another goroutine's wait goes on.
	other := make(chan error, 1)
	go func() {
		long, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		_, err := p.WaitForAcquire(long)
		other <- err
	}()
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	if _, err := p.WaitForAcquire(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Fatalf("the cancel took %v", d)
	}
	if err := <-other; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the other wait: %v, want its own deadline", err)
	}
	// The next wait is not ended by that cancel.
	short, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := p.WaitForAcquire(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the next wait: %v", err)
	}
	waitChildren(t, c, path+"/party", 1)
	p.Close()
	if kids := children(t, c, path+"/party"); len(kids) != 0 {
		t.Fatalf("party after Close: %v", kids)
	}
	if _, err := p.WaitForAcquire(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	if err := p.ReleaseSet(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("ReleaseSet after Close: %v", err)
	}
	if p.State() != PartitionFailure || p.Items() != nil {
		t.Fatalf("after Close: %v %v", p.State(), p.Items())
	}
	p.Close()
}

func TestSetPartitionerRefusesBadInput(t *testing.T) {
	c := connect(t)
	path := testRoot(t, c) + "/part"
	for _, tc := range []struct {
		items []string
		id    string
	}{
		{[]string{""}, "m"},
		{[]string{"a/"}, "m"},
		{[]string{"a\x00b"}, "m"},
		{[]string{"a"}, "x/y"},
		{[]string{"a"}, "x\x00"},
	} {
		if _, err := NewSetPartitioner(c, path, tc.items, PartitionerOptions{Identifier: tc.id}); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%q %q: %v", tc.items, tc.id, err)
		}
	}
	if _, err := NewSetPartitioner(c, "no-slash", nil, PartitionerOptions{}); !errors.Is(err, ErrInvalidPath) {
		t.Errorf("bad path: %v", err)
	}
	// No items is an empty share, and the default identifier is <host>-<pid>.
	p, err := NewSetPartitioner(c, path, nil, PartitionerOptions{TimeBoundary: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if st, err := p.WaitForAcquire(context.Background()); err != nil || st != PartitionAcquired || len(p.Items()) != 0 {
		t.Fatalf("no items: %v %v %v", st, err, p.Items())
	}
	if party := children(t, c, path+"/party"); len(party) != 1 || !strings.Contains(party[0], "-") {
		t.Fatalf("party %v", party)
	}
}
