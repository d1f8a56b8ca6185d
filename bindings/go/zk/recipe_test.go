package zk

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func children(t *testing.T, c *Client, path string) []string {
	t.Helper()
	kids, _, err := c.Children(context.Background(), path)
	if errors.Is(err, ErrNoNode) {
		return nil
	}
	if err != nil {
		t.Fatalf("children %s: %v", path, err)
	}
	return kids
}

func waitChildren(t *testing.T, c *Client, path string, n int) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if len(children(t, c, path)) == n {
			return
		}
	}
	t.Fatalf("%s: not %d children within 10s: %v", path, n, children(t, c, path))
}

// A lock excludes another; a deadline or a cancelled context ends a wait at once and
// leaves no node.
func TestLockExcludesAndAContextEndsTheWaitLeavingNoNode(t *testing.T) {
	c1, c2 := connect(t), connect(t)
	path := testRoot(t, c1) + "/lock"
	ctx := context.Background()
	a, err := NewLock(c1, path, WithIdentifier("a"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := NewLock(c2, path, WithIdentifier("b"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := a.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if a.State() != LockHeld || a.Node() == "" {
		t.Fatalf("state %v node %q", a.State(), a.Node())
	}
	if got, err := b.TryAcquire(ctx); got || err != nil {
		t.Fatalf("TryAcquire on a held lock: %v, %v", got, err)
	}

	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	err = b.Acquire(short)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Acquire past its deadline: %v", err)
	}
	if n := len(children(t, c1, path)); n != 1 {
		t.Fatalf("%d nodes after the deadline", n)
	}

	cctx, cancelWait := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- b.Acquire(cctx) }()
	waitChildren(t, c1, path, 2)
	start := time.Now()
	cancelWait()
	if err, _ := recv(t, done, 10*time.Second, "the cancelled Acquire"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Acquire: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("cancel took %v", d)
	}
	waitChildren(t, c1, path, 1)

	// A cancel does not outlive its own wait: the next Acquire waits, and holds.
	go func() { done <- b.Acquire(ctx) }()
	waitChildren(t, c1, path, 2)
	who, err := a.Contenders(ctx)
	if err != nil || !slices.Equal(who, []string{"a", "b"}) {
		t.Fatalf("contenders %v, %v", who, err)
	}
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err, _ := recv(t, done, 10*time.Second, "Acquire"); err != nil {
		t.Fatal(err)
	}
	if b.State() != LockHeld {
		t.Fatalf("b: %v", b.State())
	}
	// Close releases.
	b.Close()
	waitChildren(t, c1, path, 0)
	if err := b.Acquire(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("Acquire after Close: %v", err)
	}
}

// The holder hears of the session: suspended while cut off, held again after, lost when
// the session ends.
func TestLockStatesTellTheHolderWhatTheSessionDoes(t *testing.T) {
	p := newProxy(t)
	c := connectTo(t, p.addr(), WithConnectionRetry(fastRetry), WithSessionTimeout(10*time.Second))
	l, err := NewLock(c, testRoot(t, connect(t))+"/lock")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	if err := l.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	p.cut()
	if s, _ := recv(t, l.States(), 10*time.Second, "Suspended"); s != LockSuspended {
		t.Fatalf("got %v, want Suspended", s)
	}
	p.restore()
	if s, _ := recv(t, l.States(), 10*time.Second, "Held"); s != LockHeld {
		t.Fatalf("got %v, want Held", s)
	}
	c.Close()
	if s, _ := recv(t, l.States(), 10*time.Second, "Lost"); s != LockLost {
		t.Fatalf("got %v, want Lost", s)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatalf("Release of a lost lock: %v", err)
	}
	l.Close()
	if _, open := recv(t, l.States(), time.Second, "the close"); open {
		t.Fatal("States is open after Close")
	}
}

func TestSemaphoreCountsLeasesAndChecksMaxLeases(t *testing.T) {
	c := connect(t)
	path := testRoot(t, c) + "/sem"
	ctx := context.Background()
	var sems []*Semaphore
	for i := 0; i < 3; i++ {
		s, err := NewSemaphore(c, path, 2, WithIdentifier(string(rune('a'+i))))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		sems = append(sems, s)
	}
	for _, s := range sems[:2] {
		if err := s.Acquire(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := sems[2].TryAcquire(ctx); got || err != nil {
		t.Fatalf("a third lease: %v, %v", got, err)
	}
	holders, err := sems[0].LeaseHolders(ctx)
	slices.Sort(holders)
	if err != nil || !slices.Equal(holders, []string{"a", "b"}) {
		t.Fatalf("holders %v, %v", holders, err)
	}
	if err := sems[0].Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sems[2].Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	other, err := NewSemaphore(c, path, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.Acquire(ctx); !errors.Is(err, ErrMismatch) {
		t.Fatalf("another max_leases: %v", err)
	}
	if _, err := NewSemaphore(c, path, 0); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("max 0: %v", err)
	}
}

// One leader at a time, in the order of joining; the leader's context ends when it is
// told to stop, and the next one leads.
func TestElectionRunsOneLeaderAndHandsOverInOrder(t *testing.T) {
	c1, c2 := connect(t), connect(t)
	path := testRoot(t, c1) + "/election"
	e1, err := NewElection(c1, path, WithIdentifier("one"))
	if err != nil {
		t.Fatal(err)
	}
	defer e1.Close()
	e2, err := NewElection(c2, path, WithIdentifier("two"), WithLayout(LayoutCurator))
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	var leaders atomic.Int32
	led := make(chan string, 2)
	lead := func(name string) func(context.Context) error {
		return func(ctx context.Context) error {
			if leaders.Add(1) != 1 {
				t.Error("two leaders")
			}
			led <- name
			<-ctx.Done()
			leaders.Add(-1)
			return ctx.Err()
		}
	}
	ctx1, stop1 := context.WithCancel(context.Background())
	done1 := make(chan error, 1)
	go func() { done1 <- e1.Run(ctx1, lead("one")) }()
	if name, _ := recv(t, led, 10*time.Second, "a leader"); name != "one" {
		t.Fatalf("leader %s", name)
	}
	ctx2, stop2 := context.WithCancel(context.Background())
	done2 := make(chan error, 1)
	go func() { done2 <- e2.Run(ctx2, lead("two")) }()
	waitChildren(t, c1, path, 2)
	who, err := e2.Contenders(context.Background())
	if err != nil || !slices.Equal(who, []string{"one", "two"}) {
		t.Fatalf("contenders %v, %v", who, err)
	}
	select {
	case name := <-led:
		t.Fatalf("%s leads beside one", name)
	case <-time.After(100 * time.Millisecond):
	}
	stop1()
	if err, _ := recv(t, done1, 10*time.Second, "one's Run"); !errors.Is(err, context.Canceled) {
		t.Fatalf("one's Run: %v", err)
	}
	if name, _ := recv(t, led, 10*time.Second, "the next leader"); name != "two" {
		t.Fatalf("leader %s", name)
	}
	if e2.State() != LockHeld {
		t.Fatalf("two: %v", e2.State())
	}
	stop2()
	recv(t, done2, 10*time.Second, "two's Run")
	waitChildren(t, c1, path, 0)

	// Leadership lost ends the leader's context.
	c3 := connect(t)
	e3, err := NewElection(c3, path)
	if err != nil {
		t.Fatal(err)
	}
	defer e3.Close()
	done3 := make(chan error, 1)
	go func() { done3 <- e3.Run(context.Background(), lead("three")) }()
	recv(t, led, 10*time.Second, "three leads")
	c3.Close()
	if err, _ := recv(t, done3, 10*time.Second, "three's Run"); !errors.Is(err, context.Canceled) {
		t.Fatalf("three's Run after the session ended: %v", err)
	}
}
