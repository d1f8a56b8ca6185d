package zk

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestOptionsAreCheckedBeforeConnecting(t *testing.T) {
	ctx := t.Context()
	cases := []struct {
		name  string
		hosts string
		opt   Option
		want  error
	}{
		{"bad port", "127.0.0.1:notaport", nil, ErrInvalidArgument},
		{"bad chroot", "127.0.0.1:2181/trailing/", nil, ErrInvalidPath},
		{"NUL in hosts", "127.0.0.1\x00", nil, ErrInvalidArgument},
		{"session timeout too long", "127.0.0.1:1", WithSessionTimeout(2 * time.Hour), ErrInvalidArgument},
		{"max frame too small", "127.0.0.1:1", WithMaxFrame(10), ErrInvalidArgument},
		{"unknown log level", "127.0.0.1:1", func(c *config) { WithLogger(func(LogLevel, string) {})(c); WithLogLevel(7)(c) }, ErrInvalidArgument},
		{"NUL in an auth scheme", "127.0.0.1:1", WithAuth("x\x00", nil), ErrInvalidArgument},
		{"NUL in a default ACL", "127.0.0.1:1", WithDefaultACL(ACL{PermAll, "world", "any\x00one"}), ErrInvalidACL},
	}
	for _, tc := range cases {
		var opts []Option
		if tc.opt != nil {
			opts = append(opts, tc.opt)
		}
		_, err := Connect(ctx, tc.hosts, opts...)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestWithDefaultACLAppliesToCreateAndEnsurePath(t *testing.T) {
	c := connect(t, WithDefaultACL(WorldACL(PermRead|PermCreate|PermDelete|PermAdmin)))
	root := testRoot(t, c)
	ctx := t.Context()
	mustCreate(t, c, root+"/ro", []byte("x"))
	if err := c.EnsurePath(ctx, root+"/e/f"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{root + "/ro", root + "/e/f"} {
		if _, err := c.Set(ctx, p, []byte("y"), AnyVersion); !errors.Is(err, ErrNoAuth) {
			t.Errorf("Set on %s without write permission: %v", p, err)
		}
	}
}

func TestWithMaxFrameRefusesLargeData(t *testing.T) {
	c := connect(t, WithMaxFrame(4096))
	root := testRoot(t, c)
	if _, _, err := c.Create(t.Context(), root+"/big", make([]byte, 8192)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("8 KiB with a 4 KiB frame: %v", err)
	}
	mustCreate(t, c, root+"/small", make([]byte, 1024))
}

// A second client resumes the first one's session with its ClientID. (The first is cut
// off first: two live clients on one session would take it from each other.)
func TestWithClientIDResumesTheSession(t *testing.T) {
	p := newProxy(t)
	first := connectTo(t, p.addr())
	id, err := first.ClientID()
	if err != nil {
		t.Fatal(err)
	}
	p.cut()
	second := connect(t, WithClientID(id))
	if second.SessionID() != id.SessionID {
		t.Fatalf("resumed session %x, want %x", second.SessionID(), id.SessionID)
	}
	root := testRoot(t, second)
	_, st, err := second.Create(t.Context(), root+"/e", nil, Ephemeral)
	if err != nil || st.EphemeralOwner != id.SessionID {
		t.Fatalf("ephemeral owner %v (%v), want the first client's session", st, err)
	}
}

// WithRandomizeHosts(false) tries the hosts in order: a dead first host is passed over.
// WithReadOnly(true) still gives a read-write session on a server with a quorum.
func TestWithRandomizeHostsAndReadOnly(t *testing.T) {
	c := connectTo(t, "127.0.0.1:1,"+zkHosts(t), WithRandomizeHosts(false), WithReadOnly(true),
		WithConnectionRetry(fastRetry))
	if c.KeeperState() != KeeperConnected {
		t.Fatalf("KeeperState = %v", c.KeeperState())
	}
	if _, _, err := c.Get(t.Context(), "/"); err != nil {
		t.Fatal(err)
	}
}

func TestWithOperationTimeoutBoundsCallsWithoutDeadline(t *testing.T) {
	p := newProxy(t)
	c := connectTo(t, p.addr(), WithOperationTimeout(300*time.Millisecond), WithConnectionRetry(fastRetry))
	p.blackhole.Store(true)
	start := time.Now()
	_, _, err := c.Get(context.Background(), "/")
	if !errors.Is(err, ErrTimedOut) || time.Since(start) > 2*time.Second {
		t.Fatalf("Get with a 300ms operation timeout: %v after %v", err, time.Since(start))
	}
	p.cut() // so that Close does not wait for a closeSession reply that cannot come
}

type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (r *logRecorder) log(level LogLevel, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, level.String()+" "+msg)
}

func (r *logRecorder) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

func TestWithLoggerReceivesTheLibrarysMessages(t *testing.T) {
	var rec logRecorder
	c := connect(t, WithLogger(rec.log), WithLogLevel(LogDebug))
	c.Close()
	if !strings.Contains(rec.text(), "DEBUG") && !strings.Contains(rec.text(), "INFO") {
		t.Fatalf("a debug logger saw nothing of a connect and close:\n%s", rec.text())
	}
	var quiet logRecorder
	q := connect(t, WithLogger(quiet.log), WithLogLevel(LogError))
	q.Close()
	if s := quiet.text(); s != "" {
		t.Fatalf("an error-level logger saw:\n%s", s)
	}
}

// A panic in the logger is recovered on the library's thread and re-raised by the client's
// next method on the caller's goroutine, with the original value.
func TestALoggerPanicIsReRaisedOnTheCallersGoroutine(t *testing.T) {
	type boom struct{ n int }
	var once sync.Once
	logger := func(LogLevel, string) { once.Do(func() { panic(boom{42}) }) }
	var got any
	func() {
		defer func() { got = recover() }()
		c, err := Connect(t.Context(), zkHosts(t), WithLogger(logger), WithLogLevel(LogDebug))
		if err == nil {
			defer c.Close()
			for i := 0; i < 50; i++ { // the first message may come from another thread
				c.Exists(t.Context(), "/")
				time.Sleep(10 * time.Millisecond)
			}
		}
	}()
	if got != (boom{42}) {
		t.Fatalf("recovered %#v, want boom{42}", got)
	}
}

func TestLogLevelStrings(t *testing.T) {
	var b bytes.Buffer
	for _, l := range []LogLevel{LogError, LogWarn, LogInfo, LogDebug, 9} {
		b.WriteString(l.String() + " ")
	}
	if b.String() != "ERROR WARN INFO DEBUG LogLevel(9) " {
		t.Fatal(b.String())
	}
}

// SetHosts moves a live session to another address of the same ensemble.
func TestSetHostsMovesTheSession(t *testing.T) {
	p := newProxy(t)
	c := connectTo(t, p.addr(), WithConnectionRetry(fastRetry))
	session := c.SessionID()
	if err := c.SetHosts(zkHosts(t)); err != nil {
		t.Fatal(err)
	}
	p.close() // the old address is gone for good
	if _, _, err := c.Get(t.Context(), "/"); err != nil {
		t.Fatalf("Get after SetHosts: %v", err)
	}
	if c.SessionID() != session {
		t.Fatalf("session %x became %x", session, c.SessionID())
	}
	if err := c.SetHosts(zkHosts(t) + "/other-chroot"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("SetHosts with another chroot: %v", err)
	}
	if err := c.SetHosts("127.0.0.1:bad"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("SetHosts(bad): %v", err)
	}
}

// WithTLS: the secure port of a TLS-enabled server (scripts/go-test.sh starts one, and sets
// ZK_SECURE_HOSTS and ZK_TLS_DIR), which wants a client certificate (ZooKeeper's default
// ssl.clientAuth=need); files that cannot be read are ErrTLS.
func TestWithTLS(t *testing.T) {
	if _, err := Connect(t.Context(), "127.0.0.1:1", WithTLS(TLSConfig{CAFile: "/nonexistent/ca.pem"})); !errors.Is(err, ErrTLS) {
		t.Fatalf("unreadable CA file: %v", err)
	}
	if _, err := Connect(t.Context(), "127.0.0.1:1", WithTLS(TLSConfig{CertFile: "/x.pem"})); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("certificate without a key: %v", err)
	}
	hosts, dir := os.Getenv("ZK_SECURE_HOSTS"), os.Getenv("ZK_TLS_DIR")
	if hosts == "" || dir == "" {
		t.Skip("ZK_SECURE_HOSTS/ZK_TLS_DIR not set: no TLS server")
	}
	mine := TLSConfig{CAFile: dir + "/ca.pem", CertFile: dir + "/client.pem", KeyFile: dir + "/client-key.pem"}
	noHostname := mine
	noHostname.SkipHostnameCheck = true
	for _, cfg := range []TLSConfig{mine, noHostname} {
		c := connectTo(t, hosts, WithTLS(cfg))
		if r, err := c.Command(t.Context(), "ruok"); err != nil || r != "imok" {
			t.Errorf("%+v: ruok over TLS = %q %v", cfg, r, err)
		}
		if _, _, err := c.Get(t.Context(), "/"); err != nil {
			t.Errorf("%+v: Get over TLS: %v", cfg, err)
		}
	}
	// Refused handshakes — the plain port, no client certificate, a server whose CA is not
	// trusted — use up the connection retry.
	twice := WithConnectionRetry(RetryPolicy{MaxTries: 2, Delay: 10 * time.Millisecond, Backoff: 1})
	for what, tc := range map[string]struct {
		hosts string
		cfg   TLSConfig
	}{
		"plain port":     {zkHosts(t), mine},
		"no client cert": {hosts, TLSConfig{CAFile: dir + "/ca.pem"}},
		"untrusted CA":   {hosts, TLSConfig{CAFile: dir + "/client.pem", CertFile: mine.CertFile, KeyFile: mine.KeyFile}},
	} {
		if _, err := Connect(t.Context(), tc.hosts, WithTLS(tc.cfg), twice); !errors.Is(err, ErrRetriesExhausted) {
			t.Errorf("%s: %v, want ErrRetriesExhausted", what, err)
		}
	}
}
