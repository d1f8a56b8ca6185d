package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/libzkclient/libzkclient/bindings/go/zk"
)

// The watcher reports a missing node, its creation and each change, and stops at Close.
func TestWatchReportsEveryVersion(t *testing.T) {
	hosts := os.Getenv("ZK_HOSTS")
	if hosts == "" {
		t.Skip("ZK_HOSTS is not set: run scripts/go-test.sh")
	}
	ctx := t.Context()
	c, err := zk.Connect(ctx, hosts)
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/gotest/configwatch-%d", os.Getpid())
	defer func() {
		admin, err := zk.Connect(context.Background(), hosts)
		if err == nil {
			admin.Delete(context.Background(), path, zk.AnyVersion)
			admin.Close()
		}
	}()

	lines := make(chan string, 16)
	done := make(chan error, 1)
	go func() { done <- watch(ctx, c, path, func(s string) { lines <- s }) }()
	next := func(want string) {
		t.Helper()
		select {
		case got := <-lines:
			if got != want {
				t.Fatalf("reported %q, want %q", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no report %q", want)
		}
	}
	next(path + ": no such node; waiting")
	if _, _, err := c.Create(ctx, path, []byte("a=1"), zk.MakePath); err != nil {
		t.Fatal(err)
	}
	next(path + " v0: a=1")
	if _, err := c.Set(ctx, path, []byte("a=2"), zk.AnyVersion); err != nil {
		t.Fatal(err)
	}
	next(path + " v1: a=2")
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, zk.ErrClosed) {
			t.Fatalf("watch ended with %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("watch did not end at Close")
	}
}
