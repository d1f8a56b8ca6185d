package zk

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestBarrierWaitReturnsWhenTheNodeIsRemoved(t *testing.T) {
	c := connect(t)
	ctx := context.Background()
	b, err := NewBarrier(c, testRoot(t, c)+"/barrier")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Wait(ctx); err != nil {
		t.Fatalf("no node: the barrier is down, got %v", err)
	}
	if err := b.Create(ctx); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	err = b.Wait(short)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait on an up barrier: %v, want a deadline", err)
	}
	waited := make(chan error, 1)
	go func() { waited <- b.Wait(ctx) }() // no deadline: until the barrier is down
	time.Sleep(200 * time.Millisecond)
	select {
	case err := <-waited:
		t.Fatalf("Wait returned while the barrier was up: %v", err)
	default:
	}
	if removed, err := b.Remove(ctx); err != nil || !removed {
		t.Fatalf("Remove: %v %v", removed, err)
	}
	if err, _ := recv(t, waited, 10*time.Second, "the end of Wait"); err != nil {
		t.Fatal(err)
	}
	if removed, err := b.Remove(ctx); err != nil || removed {
		t.Fatalf("Remove again: %v %v, want false", removed, err)
	}
}

func TestBarrierWaitEndsWhenItsContextIsCancelled(t *testing.T) {
	c := connect(t)
	b, err := NewBarrier(c, testRoot(t, c)+"/barrier")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Create(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	waited := make(chan error, 1)
	go func() { waited <- b.Wait(ctx) }()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	cancel()
	err, _ = recv(t, waited, 5*time.Second, "the end of Wait")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Wait took %v to see its context end", d)
	}
	// The barrier is usable afterwards, and Close does not wait for anything.
	if _, err := b.Remove(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestDoubleBarrierMembersEnterAndLeaveTogether(t *testing.T) {
	c := connect(t)
	path := testRoot(t, c) + "/double"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, err := NewDoubleBarrier(c, path, 2, "member-a")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := NewDoubleBarrier(c, path, 2, "")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	// Alone, a member gives up at its deadline and leaves no node behind.
	short, stop := context.WithTimeout(ctx, 200*time.Millisecond)
	err = a.Enter(short)
	stop()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Enter alone: %v, want a deadline", err)
	}
	if kids, _, err := c.Children(ctx, path); err != nil || len(kids) != 0 {
		t.Fatalf("after a failed Enter: %v %v, want no member", kids, err)
	}

	entered := make(chan error, 1)
	go func() { entered <- a.Enter(ctx) }()
	if err := b.Enter(ctx); err != nil {
		t.Fatal(err)
	}
	if err, _ := recv(t, entered, 10*time.Second, "a's Enter"); err != nil {
		t.Fatal(err)
	}
	if !a.Participating() || !b.Participating() {
		t.Fatal("both entered, not both participating")
	}
	data, _, err := c.Get(ctx, a.NodePath())
	if err != nil || string(data) != "member-a" {
		t.Fatalf("a's node: %q %v", data, err)
	}

	left := make(chan error, 1)
	go func() { left <- a.Leave(ctx) }()
	time.Sleep(300 * time.Millisecond)
	select {
	case err := <-left:
		t.Fatalf("a left while b was in: %v", err)
	default:
	}
	if err := b.Leave(ctx); err != nil {
		t.Fatal(err)
	}
	if err, _ := recv(t, left, 10*time.Second, "a's Leave"); err != nil {
		t.Fatal(err)
	}
	if kids, _, err := c.Children(ctx, path); err != nil || len(kids) != 0 {
		t.Fatalf("after everyone left: %v %v", kids, err)
	}
}

func TestDoubleBarrierEnterCancelledRemovesOurNode(t *testing.T) {
	c := connect(t)
	path := testRoot(t, c) + "/double"
	d, err := NewDoubleBarrier(c, path, 3, "")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx, cancel := context.WithCancel(context.Background())
	entered := make(chan error, 1)
	go func() { entered <- d.Enter(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		kids, _, _ := c.Children(context.Background(), path)
		if len(kids) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("our member node never appeared")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err, _ := recv(t, entered, 5*time.Second, "the end of Enter"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Enter: %v, want context.Canceled", err)
	}
	// The cancel ended the C call, which removed our node before Enter returned.
	if kids, _, err := c.Children(context.Background(), path); err != nil || len(kids) != 0 {
		t.Fatalf("after a cancelled Enter: %v %v", kids, err)
	}
}

func TestBarrierRecipesRefuseBadArguments(t *testing.T) {
	c := connect(t)
	if _, err := NewBarrier(c, "no-slash"); !errors.Is(err, ErrInvalidPath) {
		t.Fatalf("NewBarrier: %v", err)
	}
	if _, err := NewDoubleBarrier(c, "/d", 0, ""); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("NewDoubleBarrier(0): %v", err)
	}
	if _, err := NewDoubleBarrier(c, "/d", 2, "a\x00b"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("NewDoubleBarrier(NUL): %v", err)
	}
}

// One Wait's context ending ends that Wait alone: another on the same Barrier goes on.
func TestBarrierWaitEndedByItsContextLeavesOtherWaitsWaiting(t *testing.T) {
	c := connect(t)
	b, err := NewBarrier(c, testRoot(t, c)+"/barrier")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Create(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ended, other := make(chan error, 1), make(chan error, 1)
	go func() { ended <- b.Wait(ctx) }()
	go func() { other <- b.Wait(context.Background()) }()
	time.Sleep(200 * time.Millisecond)
	cancel()
	if err, _ := recv(t, ended, 5*time.Second, "the cancelled Wait"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Wait: %v", err)
	}
	time.Sleep(200 * time.Millisecond)
	select {
	case err := <-other:
		t.Fatalf("the other Wait returned while the barrier was up: %v", err)
	default:
	}
	if _, err := b.Remove(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err, _ := recv(t, other, 10*time.Second, "the other Wait"); err != nil {
		t.Fatal(err)
	}
}
