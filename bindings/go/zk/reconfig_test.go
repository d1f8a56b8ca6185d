package zk

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

func TestParseConfigReadsTheMembers(t *testing.T) {
	text := "server.1=10.0.0.1:2888:3888:participant;10.0.0.1:2181\n" +
		"server.2=10.0.0.2:2888:3888:observer;2181\n" +
		"server.3=[::1]:2888:3888\n" +
		"version=10000000a\n"
	cfg, err := ParseConfig([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Version != 0x10000000a {
		t.Errorf("version %#x", cfg.Version)
	}
	want := []Member{
		{ID: 1, Role: Participant, Host: "10.0.0.1", QuorumPort: 2888, ElectionPort: 3888, ClientHost: "10.0.0.1", ClientPort: 2181},
		{ID: 2, Role: Observer, Host: "10.0.0.2", QuorumPort: 2888, ElectionPort: 3888, ClientHost: "0.0.0.0", ClientPort: 2181},
		{ID: 3, Role: Participant, Host: "::1", QuorumPort: 2888, ElectionPort: 3888},
	}
	if len(cfg.Members) != len(want) {
		t.Fatalf("members %+v", cfg.Members)
	}
	for i := range want {
		if cfg.Members[i] != want[i] {
			t.Errorf("member %d: %+v, want %+v", i, cfg.Members[i], want[i])
		}
	}
	// A port alone goes with the member's host; a member without one is left out.
	if cfg.ConnectString != "10.0.0.1:2181,10.0.0.2:2181" {
		t.Errorf("connect string %q", cfg.ConnectString)
	}
	if Observer.String() != "observer" {
		t.Errorf("%v", Observer)
	}
}

func TestParseConfigOfNothingAndOfNonsense(t *testing.T) {
	cfg, err := ParseConfig(nil)
	if err != nil || len(cfg.Members) != 0 || cfg.Version != AnyConfig || cfg.ConnectString != "" {
		t.Errorf("ParseConfig(nil) = %+v, %v", cfg, err)
	}
	for _, bad := range []string{"nonsense", "server.1=h:1", "server.1=h:1:2:boss", "version=xyz"} {
		if _, err := ParseConfig([]byte(bad)); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ParseConfig(%q): %v, want ErrInvalidArgument", bad, err)
		}
	}
}

func TestStandaloneServerHasAnEmptyConfigAndReconfigDisabled(t *testing.T) {
	c := connect(t)
	ctx := context.Background()
	data, stat, err := c.GetConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != 0 || stat.DataLength != 0 {
		t.Errorf("config %q, stat %+v", data, stat)
	}
	if _, _, err := c.Reconfig(ctx, nil, []uint64{1}, AnyConfig); !errors.Is(err, ErrReconfigDisabled) {
		t.Errorf("Reconfig: %v, want ErrReconfigDisabled", err)
	}
	line := "server.1=127.0.0.1:1:2:participant;127.0.0.1:3"
	if _, _, err := c.ReconfigMembers(ctx, []string{line}, AnyConfig); !errors.Is(err, ErrReconfigDisabled) {
		t.Errorf("ReconfigMembers: %v, want ErrReconfigDisabled", err)
	}
	// Following a standalone server keeps the host list it was given.
	f := connect(t, WithFollowEnsemble(true))
	if _, _, err := f.GetConfig(ctx); err != nil { // after the follower's own read
		t.Fatal(err)
	}
	if f.Hosts() != zkHosts(t) {
		t.Errorf("Hosts() = %q, want %q", f.Hosts(), zkHosts(t))
	}
}

func TestReconfigRefusesBadChangesBeforeSending(t *testing.T) {
	c := connect(t)
	ctx := context.Background()
	line := "server.1=127.0.0.1:1:2:participant;127.0.0.1:3"
	for name, call := range map[string]func() error{
		"no change":     func() error { _, _, err := c.Reconfig(ctx, nil, nil, AnyConfig); return err },
		"no members":    func() error { _, _, err := c.ReconfigMembers(ctx, nil, AnyConfig); return err },
		"two in a line": func() error { _, _, err := c.Reconfig(ctx, []string{line + "," + line}, nil, AnyConfig); return err },
		"NUL":           func() error { _, _, err := c.ReconfigMembers(ctx, []string{line + "\x00"}, AnyConfig); return err },
		"bad version":   func() error { _, _, err := c.Reconfig(ctx, nil, []uint64{1}, -2); return err },
	} {
		if err := call(); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: %v, want ErrInvalidArgument", name, err)
		}
	}
}

// On the one-server quorum with reconfig enabled that scripts/go-test.sh starts
// (ZK_RECONFIG_HOSTS, and ZK_RECONFIG_MEMBER its server line).
func TestReconfigOnAQuorum(t *testing.T) {
	hosts, member := os.Getenv("ZK_RECONFIG_HOSTS"), os.Getenv("ZK_RECONFIG_MEMBER")
	if hosts == "" || member == "" {
		t.Skip("ZK_RECONFIG_HOSTS is not set: run scripts/go-test.sh")
	}
	c := connectTo(t, hosts)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	data, _, changed, err := c.GetConfigW(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before, err := ParseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(before.Members) != 1 || before.ConnectString != hosts || before.Version <= 0 {
		t.Fatalf("config %+v, want the one member at %s", before, hosts)
	}

	// The same member again: a new config with a new version, which fires the watch.
	data, stat, err := c.ReconfigMembers(ctx, []string{member}, before.Version)
	if err != nil {
		t.Fatal(err)
	}
	after, err := ParseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	if after.Version <= before.Version || after.Version != stat.Mzxid || after.ConnectString != hosts {
		t.Errorf("after: %+v (stat mzxid %#x), before version %#x", after, stat.Mzxid, before.Version)
	}
	ev, _ := recv(t, changed, 10*time.Second, "config watch event")
	if ev.Type != EventNodeDataChanged || ev.Path != "/zookeeper/config" {
		t.Errorf("event %v", ev)
	}

	// The old version is stale now; servers that do not run make no quorum; the server
	// cannot read nonsense.
	if _, _, err := c.ReconfigMembers(ctx, []string{member}, before.Version); !errors.Is(err, ErrBadVersion) {
		t.Errorf("stale version: %v, want ErrBadVersion", err)
	}
	nobody := []string{"server.8=127.0.0.1:1:2:participant;127.0.0.1:3", "server.9=127.0.0.1:4:5:participant;127.0.0.1:6"}
	if _, _, err := c.ReconfigMembers(ctx, nobody, AnyConfig); !errors.Is(err, ErrNewConfigNoQuorum) {
		t.Errorf("no quorum: %v, want ErrNewConfigNoQuorum", err)
	}
	if _, _, err := c.Reconfig(ctx, []string{"server.9=nonsense"}, nil, AnyConfig); !errors.Is(err, ErrBadArguments) {
		t.Errorf("nonsense: %v, want ErrBadArguments", err)
	}
}
