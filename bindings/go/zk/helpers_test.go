package zk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The tests run against the real ZooKeeper in $ZK_HOSTS (scripts/go-test.sh starts one);
// without it the tests that need a server skip.
func zkHosts(t testing.TB) string {
	t.Helper()
	h := os.Getenv("ZK_HOSTS")
	if h == "" {
		t.Skip("ZK_HOSTS is not set: run scripts/go-test.sh, which starts a ZooKeeper")
	}
	return h
}

// serverVersion is the release of the server at $ZK_HOSTS's first host (3.8 or 3.9, as
// ZK_VERSION chose in the harness), from the first line of its srvr ("Zookeeper version:
// 3.9.5-<sha>, ...") read over a connection of its own, not through the package under test.
// For tests whose expectation differs by version.
func serverVersion(t testing.TB) Version {
	t.Helper()
	addr := strings.Split(strings.Split(zkHosts(t), "/")[0], ",")[0]
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("srvr: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte("srvr")); err != nil {
		t.Fatalf("srvr: %v", err)
	}
	reply, _ := io.ReadAll(conn)
	var v Version
	_, rest, _ := strings.Cut(string(reply), "Zookeeper version: ")
	if _, err := fmt.Sscanf(rest, "%d.%d.%d", &v.Major, &v.Minor, &v.Patch); err != nil {
		t.Fatalf("srvr: no version in %q", reply)
	}
	return v
}

// atLeast says whether v is major.minor or later.
func (v Version) atLeast(major, minor int) bool {
	return v.Major > major || (v.Major == major && v.Minor >= minor)
}

// fastRetry reconnects within tens of milliseconds, to keep fault tests short.
var fastRetry = RetryPolicy{MaxTries: -1, Delay: 20 * time.Millisecond, Backoff: 1.5, MaxDelay: 200 * time.Millisecond}

// connect makes a client for the test, closed when it ends.
func connect(t testing.TB, opts ...Option) *Client {
	t.Helper()
	return connectTo(t, zkHosts(t), opts...)
}

func connectTo(t testing.TB, hosts string, opts ...Option) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Connect(ctx, hosts, opts...)
	if err != nil {
		t.Fatalf("Connect(%s): %v", hosts, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

var rootSeq atomic.Int64

// testRoot makes an empty node of the test's own, removed with its subtree at the end.
func testRoot(t testing.TB, c *Client) string {
	t.Helper()
	name := strings.NewReplacer("/", "-", " ", "_").Replace(t.Name())
	root := fmt.Sprintf("/gotest/%s-%d-%d", name, os.Getpid(), rootSeq.Add(1))
	ctx := context.Background()
	if _, _, err := c.Create(ctx, root, nil, MakePath); err != nil {
		t.Fatalf("create %s: %v", root, err)
	}
	t.Cleanup(func() {
		cleaner, err := Connect(context.Background(), zkHosts(t))
		if err != nil {
			t.Errorf("cleanup connect: %v", err)
			return
		}
		defer cleaner.Close()
		if err := cleaner.DeleteRecursive(ctx, root, AnyVersion); err != nil && !errors.Is(err, ErrNoNode) {
			t.Errorf("cleanup %s: %v", root, err)
		}
	})
	return root
}

func mustCreate(t testing.TB, c *Client, path string, data []byte, opts ...CreateOption) {
	t.Helper()
	if _, _, err := c.Create(context.Background(), path, data, opts...); err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
}

// recv waits for one value of ch, failing the test after d.
func recv[T any](t testing.TB, ch <-chan T, d time.Duration, what string) (T, bool) {
	t.Helper()
	select {
	case v, ok := <-ch:
		return v, ok
	case <-time.After(d):
		var zero T
		t.Fatalf("no %s within %v", what, d)
		return zero, false
	}
}

// waitState reads ch until it gives want, failing after d. It returns what it read.
func waitState(t testing.TB, ch <-chan StateChange, want StateChange, d time.Duration) []StateChange {
	t.Helper()
	var seen []StateChange
	deadline := time.After(d)
	for {
		select {
		case s, ok := <-ch:
			if !ok {
				t.Fatalf("States closed waiting for %v; saw %v", want, seen)
			}
			seen = append(seen, s)
			if s == want {
				return seen
			}
		case <-deadline:
			t.Fatalf("no %v within %v; saw %v", want, d, seen)
		}
	}
}

// proxy is a TCP relay between clients and the server that tests use to lose connections
// on purpose: cut closes every connection and refuses new ones until restore; blackhole
// keeps connections open but drops what clients send, so requests stay in flight.
type proxy struct {
	ln        net.Listener
	target    string
	mu        sync.Mutex
	conns     map[net.Conn]bool
	down      bool
	blackhole atomic.Bool
	wg        sync.WaitGroup
}

func newProxy(t testing.TB) *proxy {
	t.Helper()
	target := strings.Split(strings.Split(zkHosts(t), "/")[0], ",")[0]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[s] = true, true
		p.mu.Unlock()
		go p.pump(s, c, true)
		go p.pump(c, s, false)
	}
}

func (p *proxy) pump(dst, src net.Conn, fromClient bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !(fromClient && p.blackhole.Load()) {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	dst.Close()
	src.Close()
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *proxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
	p.blackhole.Store(false)
}

func (p *proxy) close() {
	p.ln.Close()
	p.cut()
	p.wg.Wait()
}
