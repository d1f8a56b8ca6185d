package zk

import (
	"context"
	"errors"
	"sync"
	"testing"
)

func TestCounterWritesKazoosTextAndReportsPreAndPost(t *testing.T) {
	c := connect(t)
	ctx := context.Background()
	path := testRoot(t, c) + "/n"
	n, err := NewCounter(c, path, CounterInt)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if v, err := n.Value(ctx); err != nil || v != 0 {
		t.Fatalf("new counter: %d %v", v, err)
	}
	if pre, post, err := n.Add(ctx, 5); err != nil || pre != 0 || post != 5 {
		t.Fatalf("Add(5): %d %d %v", pre, post, err)
	}
	if pre, post, err := n.Add(ctx, -7); err != nil || pre != 5 || post != -2 {
		t.Fatalf("Add(-7): %d %d %v", pre, post, err)
	}
	if data, _, _ := c.Get(ctx, path); string(data) != "-2" {
		t.Fatalf("node data %q, want kazoo's \"-2\"", data)
	}
	if _, _, err := n.AddFloat(ctx, 1); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("AddFloat on an int counter: %v", err)
	}
	if _, err := c.Set(ctx, path, []byte("twelve"), AnyVersion); err != nil {
		t.Fatal(err)
	}
	if _, _, err := n.Add(ctx, 1); !errors.Is(err, ErrMarshallingError) {
		t.Fatalf("Add over text that is no number: %v", err)
	}
}

func TestFloatAndCuratorCountersWriteTheirForms(t *testing.T) {
	c := connect(t)
	ctx := context.Background()
	root := testRoot(t, c)
	f, err := NewCounter(c, root+"/f", CounterFloat)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, post, err := f.AddFloat(ctx, 3); err != nil || post != 3 {
		t.Fatalf("AddFloat: %v %v", post, err)
	}
	if data, _, _ := c.Get(ctx, root+"/f"); string(data) != "3.0" {
		t.Fatalf("float node %q, want Python's repr \"3.0\"", data)
	}
	k, err := NewCounter(c, root+"/k", CounterCurator)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if _, _, err := k.Add(ctx, 258); err != nil {
		t.Fatal(err)
	}
	if data, _, _ := c.Get(ctx, root+"/k"); string(data) != "\x00\x00\x01\x02" {
		t.Fatalf("Curator node %q, want 4 big-endian bytes", data)
	}
	if _, _, err := k.Add(ctx, 1<<31); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("past int32: %v", err)
	}
	if _, err := NewCounter(c, root+"/x", CounterForm(99)); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("unknown form: %v", err)
	}
}

// Goroutines add to one counter at once, through one Counter and through Counters of
// their own: every add is counted once.
func TestCounterAddsFromManyGoroutinesAreAllCounted(t *testing.T) {
	const workers, each = 6, 30
	c := connect(t)
	ctx := context.Background()
	path := testRoot(t, c) + "/n"
	shared, err := NewCounter(c, path, CounterInt)
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Close()
	var wg sync.WaitGroup
	for w := range workers {
		n := shared
		if w%2 == 1 {
			if n, err = NewCounter(c, path, CounterInt); err != nil {
				t.Fatal(err)
			}
			defer n.Close()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, _, err := n.Add(ctx, 1); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if v, err := shared.Value(ctx); err != nil || v != workers*each {
		t.Fatalf("value %d %v, want %d", v, err, workers*each)
	}
}
