package zk

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestQueueGivesEntriesInPriorityThenPutOrder(t *testing.T) {
	c := connect(t)
	ctx := context.Background()
	path := testRoot(t, c) + "/q"
	q, err := NewQueue(c, path)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if _, ok, err := q.Get(ctx); ok || err != nil {
		t.Fatalf("empty queue: %v %v", ok, err)
	}
	name, err := q.Put(ctx, []byte("a"), DefaultQueuePriority)
	if err != nil || !strings.HasPrefix(name, "entry-100-") || len(name) != 20 {
		t.Fatalf("Put: %q %v", name, err)
	}
	if _, err := q.Put(ctx, []byte("b"), 2); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Put(ctx, []byte("x"), 1000); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("priority 1000: %v", err)
	}
	if n, err := q.Len(ctx); n != 2 || err != nil {
		t.Fatalf("Len: %d %v", n, err)
	}
	for _, want := range []string{"b", "a"} {
		if v, ok, err := q.Get(ctx); string(v) != want || !ok || err != nil {
			t.Fatalf("Get: %q %v %v, want %q", v, ok, err, want)
		}
	}
	if _, ok, err := q.Get(ctx); ok || err != nil {
		t.Fatalf("drained queue: %v %v", ok, err)
	}
}

func TestLockingQueueTakesConsumesAndReleases(t *testing.T) {
	c, c2 := connect(t), connect(t)
	ctx := context.Background()
	path := testRoot(t, c) + "/lq"
	q, err := NewLockingQueue(c, path)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	other, err := NewLockingQueue(c2, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	names, err := q.PutAll(ctx, [][]byte{[]byte("one"), []byte("two"), {}}, 5)
	if err != nil || len(names) != 3 || !strings.HasPrefix(names[0], "entry-005-") {
		t.Fatalf("PutAll: %q %v", names, err)
	}
	if n, err := q.Len(ctx); n != 3 || err != nil {
		t.Fatalf("Len: %d %v", n, err)
	}
	if v, err := q.Get(ctx); string(v) != "one" || err != nil {
		t.Fatalf("Get: %q %v", v, err)
	}
	if data, _, err := c.Get(ctx, path+"/taken/"+names[0]); len(data) != 32 || err != nil {
		t.Fatalf("taken node: %q %v", data, err)
	}
	if held, err := q.HoldsLock(ctx); !held || err != nil {
		t.Fatalf("HoldsLock: %v %v", held, err)
	}
	if v, err := other.Get(ctx); string(v) != "two" || err != nil {
		t.Fatalf("other Get: %q %v", v, err)
	}
	if done, err := other.Release(ctx); !done || err != nil {
		t.Fatalf("Release: %v %v", done, err)
	}
	if done, err := q.Consume(ctx); !done || err != nil {
		t.Fatalf("Consume: %v %v", done, err)
	}
	if done, err := q.Consume(ctx); done || err != nil {
		t.Fatalf("Consume with nothing in hand: %v %v", done, err)
	}
	for _, want := range []string{"two", ""} {
		if v, err := q.Get(ctx); string(v) != want || err != nil {
			t.Fatalf("Get: %q %v, want %q", v, err, want)
		}
		if done, err := q.Consume(ctx); !done || err != nil {
			t.Fatalf("Consume: %v %v", done, err)
		}
	}
	if n, err := q.Len(ctx); n != 0 || err != nil {
		t.Fatalf("Len after: %d %v", n, err)
	}
}

func TestLockingQueueGetWaitsForAPutAndEndsWithItsContext(t *testing.T) {
	c, c2 := connect(t), connect(t)
	path := testRoot(t, c) + "/lq"
	q, err := NewLockingQueue(c, path)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	producer, err := NewLockingQueue(c2, path)
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	short, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := q.Get(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get on an empty queue: %v", err)
	}
	got := make(chan string, 1)
	go func() {
		v, err := q.Get(context.Background())
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		got <- string(v)
	}()
	time.Sleep(200 * time.Millisecond)
	if _, err := producer.Put(context.Background(), []byte("late"), DefaultQueuePriority); err != nil {
		t.Fatal(err)
	}
	if v := <-got; v != "late" {
		t.Fatalf("waiting Get: %s", v)
	}
	if done, err := q.Consume(context.Background()); !done || err != nil {
		t.Fatalf("Consume: %v %v", done, err)
	}
	ctx, stop := context.WithCancel(context.Background())
	ended := make(chan error, 1)
	go func() {
		_, err := q.Get(ctx)
		ended <- err
	}()
	time.Sleep(200 * time.Millisecond)
	stop()
	if err := <-ended; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Get: %v", err)
	}
}

// Consumers on their own clients drain one queue while one of them dies holding an entry:
// every entry is consumed exactly once.
func TestLockingQueueConsumersShareEntriesAndADeadOnesGoesBack(t *testing.T) {
	const n = 20
	c := connect(t)
	ctx := context.Background()
	path := testRoot(t, c) + "/lq"
	q, err := NewLockingQueue(c, path)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	var values [][]byte
	var want []string
	for i := 0; i < n; i++ {
		want = append(want, fmt.Sprintf("e%d", i))
		values = append(values, []byte(want[i]))
	}
	if _, err := q.PutAll(ctx, values, DefaultQueuePriority); err != nil {
		t.Fatal(err)
	}
	doomedClient := connect(t)
	doomed, err := NewLockingQueue(doomedClient, path)
	if err != nil {
		t.Fatal(err)
	}
	defer doomed.Close()
	first, err := doomed.Get(ctx)
	if err != nil || string(first) != "e0" {
		t.Fatalf("doomed Get: %q %v", first, err)
	}
	doomedClient.Close() // its session ends without a consume

	var mu sync.Mutex
	var got []string
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		cl := connect(t)
		lq, err := NewLockingQueue(cl, path)
		if err != nil {
			t.Fatal(err)
		}
		defer lq.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				v, err := lq.Get(wctx)
				cancel()
				if errors.Is(err, context.DeadlineExceeded) {
					return
				}
				if err != nil {
					t.Errorf("Get: %v", err)
					return
				}
				if done, err := lq.Consume(ctx); !done || err != nil {
					t.Errorf("Consume: %v %v", done, err)
					return
				}
				mu.Lock()
				got = append(got, string(v))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("consumed %v, want each of %v once", got, want)
	}
}
