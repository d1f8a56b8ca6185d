package zk

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// saslServer is a ZooKeeper of these tests' own, with SASL DIGEST-MD5 user bob (password
// pw) and the sasl ACL scheme, started once by scripts/zkharness.py; one test restarts it.
// Its watchdog stops it when the test process ends.
type saslServer struct {
	dir, hosts string
	mu         sync.Mutex // one test at a time: one of them restarts the server
}

var (
	saslOnce sync.Once
	saslSrv  *saslServer
	saslErr  error
)

func harness(args ...string) ([]byte, error) {
	script := filepath.Join("..", "..", "..", "scripts", "zkharness.py")
	out, err := exec.Command("python3", append([]string{script}, args...)...).CombinedOutput()
	if err != nil {
		return out, errors.New(string(out))
	}
	return out, nil
}

// sasl returns the server, held for the test (unlocked when it ends).
func sasl(t *testing.T) *saslServer {
	t.Helper()
	zkHosts(t) // no ZooKeeper environment: skip like the others
	saslOnce.Do(func() {
		dir, err := os.MkdirTemp("", "zkclient-gosasl")
		if err != nil {
			saslErr = err
			return
		}
		_, saslErr = harness("start", "--dir", dir, "--sasl-digest", "bob=pw",
			"--parent-pid", strconv.Itoa(os.Getpid()), "--cleanup")
		if saslErr != nil {
			return
		}
		f, err := os.Open(filepath.Join(dir, "cluster.env"))
		if err != nil {
			saslErr = err
			return
		}
		defer f.Close()
		s := &saslServer{dir: dir}
		for sc := bufio.NewScanner(f); sc.Scan(); {
			if h, ok := strings.CutPrefix(sc.Text(), "ZK_HOSTS="); ok {
				s.hosts = h
			}
		}
		saslSrv = s
	})
	if saslErr != nil {
		t.Fatalf("starting the SASL server: %v", saslErr)
	}
	saslSrv.mu.Lock()
	t.Cleanup(saslSrv.mu.Unlock)
	return saslSrv
}

var bob = WithSASL(DigestMD5{Username: "bob", Password: "pw"})

// bobsNode makes a node of the test's own that only the SASL user bob may use.
func bobsNode(t *testing.T, c *Client, name string) string {
	t.Helper()
	path := "/gosasl-" + name
	ctx := context.Background()
	if err := c.DeleteRecursive(ctx, path, AnyVersion); err != nil && !errors.Is(err, ErrNoNode) {
		t.Fatal(err)
	}
	if _, _, err := c.Create(ctx, path, []byte("bob's"), WithACL(ACL{PermAll, "sasl", "bob"})); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSASLACLAdmitsTheUserAndNoOneElse(t *testing.T) {
	s := sasl(t)
	ctx := t.Context()
	c := connectTo(t, s.hosts, bob)
	p := bobsNode(t, c, "acl")
	if data, _, err := c.Get(ctx, p); err != nil || string(data) != "bob's" {
		t.Fatalf("bob reads his node: %q, %v", data, err)
	}
	nobody := connectTo(t, s.hosts)
	if _, _, err := nobody.Get(ctx, p); !errors.Is(err, ErrNoAuth) {
		t.Fatalf("without SASL: %v, want ErrNoAuth", err)
	}
	// kazoo's legacy form: a "sasl" credential "user:password".
	legacy := connectTo(t, s.hosts, WithAuth("sasl", []byte("bob:pw")))
	if _, _, err := legacy.Get(ctx, p); err != nil {
		t.Fatalf("the legacy form: %v", err)
	}
}

func TestSASLWrongPasswordIsAuthFailed(t *testing.T) {
	s := sasl(t)
	for _, opt := range []Option{
		WithSASL(DigestMD5{Username: "bob", Password: "wrong"}),
		WithAuth("sasl", []byte("bob:wrong")),
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		start := time.Now()
		c, err := Connect(ctx, s.hosts, opt)
		cancel()
		if err == nil {
			c.Close()
			t.Fatal("connected with a wrong password")
		}
		if !errors.Is(err, ErrAuthFailed) || !strings.Contains(err.Error(), "SASL DIGEST-MD5: the server refused the credentials") {
			t.Fatalf("Connect: %v, want ErrAuthFailed saying why", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("AUTH_FAILED took %v: it is final, not retried", d)
		}
	}
}

func TestSASLExchangeIsMadeAgainAfterAServerRestart(t *testing.T) {
	s := sasl(t)
	ctx := t.Context()
	c := connectTo(t, s.hosts, bob, WithSessionTimeout(10*time.Second))
	p := bobsNode(t, c, "restart")
	id := c.SessionID()
	states := c.States()
	if out, err := harness("restart", "--dir", s.dir, "--id", "1"); err != nil {
		t.Fatalf("restart: %v %s", err, out)
	}
	waitState(t, states, StateChange{State: StateSuspended, KeeperState: KeeperConnecting}, 10*time.Second)
	waitState(t, states, StateChange{State: StateConnected, KeeperState: KeeperConnected}, 20*time.Second)
	if got := c.SessionID(); got != id {
		t.Fatalf("session %x after the restart, want %x", got, id)
	}
	// Only bob may read it: the new connection is bob's again.
	if data, _, err := c.Get(ctx, p); err != nil || string(data) != "bob's" {
		t.Fatalf("after the restart: %q, %v", data, err)
	}
}

func TestSASLOptionsAreChecked(t *testing.T) {
	ctx := t.Context()
	for _, d := range []DigestMD5{
		{Username: "", Password: "pw"},
		{Username: "b\x00b", Password: "pw"},
		{Username: "bob", Password: "p\x00w"},
		{Username: "bob", Password: "pw", AuthzID: "a\x00"},
		{Username: strings.Repeat("u", 513), Password: "pw"},
	} {
		if _, err := Connect(ctx, "127.0.0.1:1", WithSASL(d)); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%q: %v, want ErrInvalidArgument", d.Username, err)
		}
	}
	both := []Option{bob, WithAuth("sasl", []byte("bob:pw"))}
	if _, err := Connect(ctx, "127.0.0.1:1", both...); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("both forms: %v, want ErrInvalidArgument", err)
	}
}
