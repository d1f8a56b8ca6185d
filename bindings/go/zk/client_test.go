package zk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestConnectReportsSessionAndState(t *testing.T) {
	c := connect(t, WithSessionTimeout(4*time.Second))
	if c.State() != StateConnected || c.KeeperState() != KeeperConnected || !c.Connected() {
		t.Fatalf("after Connect: %v/%v connected=%v", c.State(), c.KeeperState(), c.Connected())
	}
	id, err := c.ClientID()
	if err != nil {
		t.Fatal(err)
	}
	if id.SessionID == 0 || id.SessionID != c.SessionID() || id.Password == [16]byte{} {
		t.Fatalf("ClientID %+v, SessionID %d", id, c.SessionID())
	}
	if got := c.SessionTimeout(); got != 4*time.Second {
		t.Fatalf("SessionTimeout = %v, asked for 4s", got)
	}
	if !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(LibraryVersion()) {
		t.Fatalf("LibraryVersion = %q", LibraryVersion())
	}
}

func TestCreateGetSetWithVersions(t *testing.T) {
	c := connect(t)
	root := testRoot(t, c)
	ctx := t.Context()
	path, stat, err := c.Create(ctx, root+"/n", []byte("v1"))
	if err != nil || path != root+"/n" || stat.Version != 0 || stat.DataLength != 2 || stat.EphemeralOwner != 0 {
		t.Fatalf("Create = %q %+v %v", path, stat, err)
	}
	if time.Since(stat.Ctime) > time.Minute || stat.Ctime.After(time.Now().Add(time.Minute)) || stat.Czxid == 0 {
		t.Fatalf("Ctime %v, Czxid %d: not a fresh node", stat.Ctime, stat.Czxid)
	}
	if _, _, err := c.Create(ctx, root+"/n", nil); !errors.Is(err, ErrNodeExists) {
		t.Fatalf("second Create: %v, want ErrNodeExists", err)
	}
	data, got, err := c.Get(ctx, root+"/n")
	if err != nil || string(data) != "v1" || got.Mzxid != stat.Mzxid {
		t.Fatalf("Get = %q %+v %v", data, got, err)
	}
	st, err := c.Set(ctx, root+"/n", []byte("v2"), 0)
	if err != nil || st.Version != 1 || !st.Mtime.After(stat.Mtime.Add(-time.Second)) {
		t.Fatalf("Set(version 0) = %+v %v", st, err)
	}
	if _, err := c.Set(ctx, root+"/n", []byte("v3"), 0); !errors.Is(err, ErrBadVersion) {
		t.Fatalf("Set(stale version): %v, want ErrBadVersion", err)
	}
	if _, err := c.Set(ctx, root+"/n", nil, AnyVersion); err != nil {
		t.Fatalf("Set(AnyVersion, empty): %v", err)
	}
	if data, _, _ := c.Get(ctx, root+"/n"); data == nil || len(data) != 0 {
		t.Fatalf("empty data reads back as %#v, want empty non-nil", data)
	}
	if _, _, err := c.Get(ctx, root+"/missing"); !errors.Is(err, ErrNoNode) {
		t.Fatalf("Get(missing): %v, want ErrNoNode", err)
	}
	big := bytes.Repeat([]byte{0, 1, 2, 255}, 64<<10) // 256 KiB, NUL bytes included
	if _, err := c.Set(ctx, root+"/n", big, AnyVersion); err != nil {
		t.Fatal(err)
	}
	if data, _, _ := c.Get(context.Background(), root+"/n"); !bytes.Equal(data, big) {
		t.Fatalf("256 KiB of binary data came back as %d bytes", len(data))
	}
}

func TestCreateFlags(t *testing.T) {
	c := connect(t)
	root := testRoot(t, c)
	ctx := t.Context()

	p, st, err := c.Create(ctx, root+"/eph", nil, Ephemeral)
	if err != nil || p != root+"/eph" || st.EphemeralOwner != c.SessionID() {
		t.Fatalf("Ephemeral: %q %+v %v (session %d)", p, st, err, c.SessionID())
	}
	if _, _, err := c.Create(ctx, root+"/eph/child", nil); !errors.Is(err, ErrNoChildrenForEphemerals) {
		t.Fatalf("child of an ephemeral: %v", err)
	}
	seq := regexp.MustCompile(`^` + regexp.QuoteMeta(root) + `/job-\d{10}$`)
	p1, _, err := c.Create(ctx, root+"/job-", nil, Sequence)
	if err != nil || !seq.MatchString(p1) {
		t.Fatalf("Sequence: %q %v", p1, err)
	}
	p2, st2, err := c.Create(ctx, root+"/job-", nil, Ephemeral|Sequence)
	if err != nil || !seq.MatchString(p2) || p2 <= p1 || st2.EphemeralOwner == 0 {
		t.Fatalf("Ephemeral|Sequence after %q: %q %v", p1, p2, err)
	}
	if _, _, err := c.Create(ctx, root+"/box", nil, Container); err != nil {
		t.Fatalf("Container: %v", err)
	}
	deep := root + "/a/b/c"
	if p, _, err := c.Create(ctx, deep, []byte("x"), MakePath); err != nil || p != deep {
		t.Fatalf("MakePath: %q %v", p, err)
	}
	if _, _, err := c.Create(ctx, root+"/x/y", nil); !errors.Is(err, ErrNoNode) {
		t.Fatalf("missing parent without MakePath: %v", err)
	}
	_, _, err = c.Create(ctx, root+"/ttl", nil, TTL(time.Hour))
	switch {
	case os.Getenv("ZK_EXTENDED_TYPES") == "1" && err != nil:
		t.Fatalf("TTL on a server with extendedTypesEnabled: %v", err)
	case err != nil && !errors.Is(err, ErrUnimplemented):
		t.Fatalf("TTL: %v, want success or ErrUnimplemented", err)
	}
	if _, _, err := c.Create(ctx, root+"/ttl-eph", nil, TTL(time.Hour), Ephemeral); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("TTL with Ephemeral: %v, want ErrInvalidArgument", err)
	}
	acl := []ACL{WorldACL(PermRead | PermAdmin)}
	if _, _, err := c.Create(ctx, root+"/ro", nil, WithACL(acl...)); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := c.GetACL(ctx, root+"/ro"); fmt.Sprint(got) != fmt.Sprint(acl) {
		t.Fatalf("WithACL: node has %v, want %v", got, acl)
	}
}

func TestPathsAreCheckedBeforeSending(t *testing.T) {
	c := connect(t)
	ctx := t.Context()
	for _, p := range []string{"", "relative", "/trailing/", "/a//b", "/a/./b", "/nul\x00byte"} {
		if _, _, err := c.Get(ctx, p); !errors.Is(err, ErrInvalidPath) {
			t.Errorf("Get(%q): %v, want ErrInvalidPath", p, err)
		}
	}
	if _, _, err := c.Get(ctx, "/bad\xffutf8"); !errors.Is(err, ErrInvalidUTF8) && !errors.Is(err, ErrInvalidPath) {
		t.Errorf("Get(invalid UTF-8): %v", err)
	}
}

func TestChildrenAreSortedWithParentStat(t *testing.T) {
	c := connect(t)
	root := testRoot(t, c)
	ctx := t.Context()
	for _, n := range []string{"c", "a", "b"} {
		mustCreate(t, c, root+"/"+n, nil)
	}
	kids, st, err := c.Children(ctx, root)
	if err != nil || strings.Join(kids, ",") != "a,b,c" || st.NumChildren != 3 || st.Cversion != 3 {
		t.Fatalf("Children = %v %+v %v", kids, st, err)
	}
	if kids, _, err := c.Children(ctx, root+"/a"); err != nil || kids == nil || len(kids) != 0 {
		t.Fatalf("Children(leaf) = %#v %v", kids, err)
	}
	if _, _, err := c.Children(ctx, root+"/none"); !errors.Is(err, ErrNoNode) {
		t.Fatalf("Children(missing): %v", err)
	}
}

func TestEphemeralsAndAllChildrenNumber(t *testing.T) {
	c := connect(t)
	other := connect(t)
	root := testRoot(t, c)
	ctx := t.Context()
	mustCreate(t, c, root+"/a", nil)
	mustCreate(t, c, root+"/a/e2", nil, Ephemeral)
	mustCreate(t, c, root+"/a/e1", nil, Ephemeral)
	mustCreate(t, other, root+"/a/theirs", nil, Ephemeral)
	eph, err := c.Ephemerals(ctx, root+"/a")
	if err != nil || strings.Join(eph, ",") != root+"/a/e1,"+root+"/a/e2" {
		t.Fatalf("Ephemerals = %v %v", eph, err)
	}
	if _, err := c.Ephemerals(ctx, "a"); !errors.Is(err, ErrInvalidPath) {
		t.Fatalf("Ephemerals(bad path): %v", err)
	}
	if n, err := c.AllChildrenNumber(ctx, root); err != nil || n != 4 {
		t.Fatalf("AllChildrenNumber = %d %v", n, err)
	}
	if _, err := c.AllChildrenNumber(ctx, root+"/none"); !errors.Is(err, ErrNoNode) {
		t.Fatalf("AllChildrenNumber(missing): %v", err)
	}
}

func TestExists(t *testing.T) {
	c := connect(t)
	root := testRoot(t, c)
	ctx := t.Context()
	ok, st, err := c.Exists(ctx, root)
	if err != nil || !ok || st == nil {
		t.Fatalf("Exists(root) = %v %v %v", ok, st, err)
	}
	ok, st, err = c.Exists(ctx, root+"/none")
	if err != nil || ok || st != nil {
		t.Fatalf("Exists(missing) = %v %v %v, want false nil nil", ok, st, err)
	}
}

func TestDeleteVersionsNotEmptyAndRecursive(t *testing.T) {
	c := connect(t)
	root := testRoot(t, c)
	ctx := t.Context()
	mustCreate(t, c, root+"/t/a/b", nil, MakePath)
	if err := c.Delete(ctx, root+"/t", AnyVersion); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("Delete(non-empty): %v", err)
	}
	if err := c.Delete(ctx, root+"/t/a/b", 7); !errors.Is(err, ErrBadVersion) {
		t.Fatalf("Delete(wrong version): %v", err)
	}
	if err := c.Delete(ctx, root+"/t/a/b", 0); err != nil {
		t.Fatalf("Delete(version 0): %v", err)
	}
	mustCreate(t, c, root+"/t/a/b2/c", nil, MakePath)
	if err := c.DeleteRecursive(ctx, root+"/t", AnyVersion); err != nil {
		t.Fatalf("DeleteRecursive: %v", err)
	}
	if ok, _, _ := c.Exists(ctx, root+"/t"); ok {
		t.Fatal("DeleteRecursive left the node")
	}
	if err := c.Delete(ctx, root+"/t", AnyVersion); !errors.Is(err, ErrNoNode) {
		t.Fatalf("Delete(missing): %v", err)
	}
}

func TestEnsurePathIsIdempotentAndTakesAnACL(t *testing.T) {
	c := connect(t)
	root := testRoot(t, c)
	ctx := t.Context()
	p := root + "/x/y/z"
	for i := 0; i < 2; i++ {
		if err := c.EnsurePath(ctx, p); err != nil {
			t.Fatalf("EnsurePath #%d: %v", i+1, err)
		}
	}
	if err := c.EnsurePath(ctx, root+"/acl/q", WorldACL(PermAll&^PermWrite)); err != nil {
		t.Fatal(err)
	}
	acl, _, _ := c.GetACL(ctx, root+"/acl/q")
	if len(acl) != 1 || acl[0].Perms != PermAll&^PermWrite {
		t.Fatalf("EnsurePath ACL: %v", acl)
	}
}

func TestSyncThenReadSeesTheWrite(t *testing.T) {
	writer, reader := connect(t), connect(t)
	root := testRoot(t, writer)
	ctx := t.Context()
	mustCreate(t, writer, root+"/s", []byte("new"))
	if err := reader.Sync(ctx, root+"/s"); err != nil {
		t.Fatal(err)
	}
	if data, _, err := reader.Get(ctx, root+"/s"); err != nil || string(data) != "new" {
		t.Fatalf("after Sync: %q %v", data, err)
	}
	if err := reader.Sync(ctx, "no-slash"); !errors.Is(err, ErrInvalidPath) {
		t.Fatalf("Sync(bad path): %v", err)
	}
}

func TestCommandAndServerVersion(t *testing.T) {
	c := connect(t)
	ctx := t.Context()
	if r, err := c.Command(ctx, "ruok"); err != nil || r != "imok" {
		t.Fatalf("ruok = %q %v", r, err)
	}
	srvr, err := c.Command(ctx, "srvr")
	if err != nil || !strings.Contains(srvr, "Zookeeper version:") {
		t.Fatalf("srvr = %q %v", srvr, err)
	}
	v, err := c.ServerVersion(ctx)
	if err != nil || v.Major != 3 || !strings.Contains(srvr, v.String()) {
		t.Fatalf("ServerVersion = %v %v; srvr says %q", v, err, srvr)
	}
	// The package's parse agrees with the test's own (3.8.0 or 3.9.5).
	if want := serverVersion(t); v != want || !want.atLeast(3, 8) || want.atLeast(3, 10) {
		t.Fatalf("ServerVersion = %v, the harness's server is %v", v, want)
	}
}

func TestContextBeforeTheCall(t *testing.T) {
	c := connect(t)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := c.Get(cancelled, "/"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	if _, _, err := c.Get(expired, "/"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("expired context: %v", err)
	}
	if _, err := Connect(cancelled, zkHosts(t)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Connect(cancelled): %v", err)
	}
}

// With the connection down, calls wait for a reconnect: cancelling the context ends the
// wait at once, and a deadline ends it with an error that is both ErrTimedOut-or-context
// and context.DeadlineExceeded.
func TestContextCancelAndDeadlineDuringABlockedCall(t *testing.T) {
	p := newProxy(t)
	c := connectTo(t, p.addr(), WithConnectionRetry(fastRetry), WithOperationTimeout(time.Second))
	p.cut()

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, _, err := c.Get(ctx, "/")
	if !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Fatalf("cancel after 100ms: %v after %v", err, time.Since(start))
	}

	dctx, dcancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer dcancel()
	start = time.Now()
	_, _, err = c.Get(dctx, "/")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Fatalf("200ms deadline: %v after %v", err, time.Since(start))
	}

	// Without a deadline the client's operation timeout applies: ErrTimedOut alone.
	start = time.Now()
	_, _, err = c.Get(context.Background(), "/")
	if !errors.Is(err, ErrTimedOut) || errors.Is(err, context.DeadlineExceeded) || time.Since(start) < 900*time.Millisecond {
		t.Fatalf("no deadline: %v after %v, want ErrTimedOut after the 1s operation timeout", err, time.Since(start))
	}

	p.restore()
	if _, _, err := c.Get(t.Context(), "/"); err != nil {
		t.Fatalf("after the proxy is back: %v", err)
	}
}

func TestCloseIsIdempotentAndEndsEverything(t *testing.T) {
	c := connect(t)
	root := testRoot(t, c)
	ctx := t.Context()
	_, _, events, err := c.GetW(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	states := c.States()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	ev, ok := recv(t, events, 5*time.Second, "watch event at Close")
	if !ok || ev.Type != EventNone || ev.State != KeeperClosed {
		t.Fatalf("pending watch at Close got %v (ok=%v), want EventNone/Closed", ev, ok)
	}
	if _, ok := recv(t, events, time.Second, "watch channel close"); ok {
		t.Fatal("watch channel not closed after its event")
	}
	var last StateChange
	for s := range states { // must end: Close closes it
		last = s
	}
	if last != (StateChange{StateLost, KeeperClosed}) {
		t.Fatalf("last state before States closed: %v", last)
	}
	if _, _, err := c.Get(ctx, root); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
	if _, err := c.ClientID(); !errors.Is(err, ErrClosed) {
		t.Fatalf("ClientID after Close: %v", err)
	}
	if c.State() != StateLost || c.KeeperState() != KeeperClosed || c.Connected() || c.SessionID() != 0 || c.WatchCount() != 0 {
		t.Fatalf("after Close: %v/%v", c.State(), c.KeeperState())
	}
}

// Close while other goroutines are inside calls: they end (with a result or ErrClosed),
// and nothing touches the freed client.
func TestCloseWhileCallsAreInFlight(t *testing.T) {
	p := newProxy(t)
	c := connectTo(t, p.addr(), WithConnectionRetry(fastRetry))
	p.cut() // calls now wait for a reconnect that does not come
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := c.Get(context.Background(), "/")
			errs <- err
		}()
	}
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	c.Close()
	wg.Wait()
	close(errs)
	if time.Since(start) > 3*time.Second {
		t.Fatalf("Close took %v with calls in flight", time.Since(start))
	}
	for err := range errs {
		if err == nil {
			t.Fatal("a call waiting for a reconnect succeeded across Close")
		}
	}
}

// A Client dropped without Close is closed by its finalizer: its session ends (so its
// ephemeral node goes) and its States channel is closed.
func TestForgottenClientIsFinalized(t *testing.T) {
	watcher := connect(t)
	root := testRoot(t, watcher)
	ctx := t.Context()
	states, eph := func() (<-chan StateChange, string) {
		c, err := Connect(ctx, zkHosts(t))
		if err != nil {
			t.Fatal(err)
		}
		p, _, err := c.Create(ctx, root+"/owned", nil, Ephemeral)
		if err != nil {
			t.Fatal(err)
		}
		return c.States(), p
	}()
	deadline := time.Now().Add(10 * time.Second)
	for closed := false; !closed; {
		runtime.GC()
		select {
		case _, ok := <-states:
			closed = !ok
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the forgotten client was not finalized within 10s")
		}
	}
	if ok, _, err := watcher.Exists(ctx, eph); ok || err != nil {
		t.Fatalf("the forgotten client's ephemeral node is still there (%v)", err)
	}
}

func TestConcurrentCallsShareOneClient(t *testing.T) {
	c := connect(t)
	root := testRoot(t, c)
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := fmt.Sprintf("%s/g%d", root, g)
			if _, _, err := c.Create(ctx, p, nil); err != nil {
				errs <- err
				return
			}
			for i := 0; i < 25; i++ {
				want := fmt.Sprint(i)
				if _, err := c.Set(ctx, p, []byte(want), int32(i)); err != nil {
					errs <- err
					return
				}
				if got, _, err := c.Get(context.Background(), p); err != nil || string(got) != want {
					errs <- fmt.Errorf("get %s = %q %v, want %q", p, got, err, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if kids, _, _ := c.Children(ctx, root); len(kids) != 16 {
		t.Fatalf("%d children, want 16", len(kids))
	}
}

// Container and TTL nodes are what they say: the server's reaper deletes an emptied
// container and an expired TTL node. The reaper runs once a minute by default, so this
// needs a server started with -Dznode.container.checkIntervalMs (scripts/go-test.sh sets
// it to 100 and says so with ZK_FAST_REAPER=1).
func TestTheServerReapsContainersAndTTLNodes(t *testing.T) {
	if os.Getenv("ZK_FAST_REAPER") != "1" {
		t.Skip("ZK_FAST_REAPER is not 1: the server reaps only once a minute")
	}
	c := connect(t)
	root := testRoot(t, c)
	ctx := t.Context()
	mustCreate(t, c, root+"/container", nil, Container)
	mustCreate(t, c, root+"/container/item", nil)
	if err := c.Delete(ctx, root+"/container/item", AnyVersion); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, c, root+"/ttl", nil, TTL(200*time.Millisecond))
	mustCreate(t, c, root+"/plain", nil)
	deadline := time.Now().Add(10 * time.Second)
	for {
		container, _, _ := c.Exists(ctx, root+"/container")
		ttl, _, _ := c.Exists(ctx, root+"/ttl")
		if !container && !ttl {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10s: container exists=%v, TTL node exists=%v", container, ttl)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if ok, _, _ := c.Exists(ctx, root+"/plain"); !ok {
		t.Fatal("the reaper took a plain node")
	}
}

// Connect returns at once when its context is cancelled while it waits for a server; the
// client it had made is closed in the background (zk_close while zk_start runs).
func TestConnectCancelledWhileWaitingForAServer(t *testing.T) {
	p := newProxy(t)
	p.cut()
	before := runtime.NumGoroutine()
	for i := 0; i < 5; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		c, err := Connect(ctx, p.addr(), WithConnectionRetry(fastRetry))
		if !errors.Is(err, context.Canceled) || c != nil || time.Since(start) > time.Second {
			t.Fatalf("Connect cancelled after 50ms: %v %v after %v", c, err, time.Since(start))
		}
	}
	// The background closes end: no goroutine is left waiting on a zk_start.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines before, %d after", before, runtime.NumGoroutine())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A failed Connect says why, per address: a refused port is "no server could be reached",
// a server that refuses our TLS was reached and says what the TLS step said. The error
// still matches its code.
func TestConnectErrorSaysWhyConnectingFailed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	_, err = Connect(ctx, dead, WithConnectionRetry(fastRetry))
	want := "no server could be reached: " + dead + ": connection refused"
	if !(errors.Is(err, ErrTimedOut) || errors.Is(err, context.DeadlineExceeded)) ||
		!strings.HasSuffix(err.Error(), ": "+want) {
		t.Fatalf("refused port: %v, want a timeout that ends %q", err, want)
	}

	hosts, dir := os.Getenv("ZK_SECURE_HOSTS"), os.Getenv("ZK_TLS_DIR")
	if hosts == "" || dir == "" {
		t.Skip("ZK_SECURE_HOSTS/ZK_TLS_DIR not set: no TLS server")
	}
	// A CA that did not sign the server's certificate.
	cfg := TLSConfig{CAFile: dir + "/client.pem", CertFile: dir + "/client.pem", KeyFile: dir + "/client-key.pem"}
	twice := WithConnectionRetry(RetryPolicy{MaxTries: 2, Delay: 10 * time.Millisecond, Backoff: 1})
	_, err = Connect(t.Context(), hosts, WithTLS(cfg), twice)
	if !errors.Is(err, ErrRetriesExhausted) || !strings.Contains(err.Error(), ": "+hosts+": TLS handshake ") ||
		strings.Contains(err.Error(), "no server could be reached") {
		t.Fatalf("untrusted server certificate: %v, want ErrRetriesExhausted and the TLS step's reason", err)
	}
}
