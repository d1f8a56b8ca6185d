package zk_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/libzkclient/libzkclient/bindings/go/zk"
)

func ExampleConnect() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := zk.Connect(ctx, "127.0.0.1:2181/app",
		zk.WithSessionTimeout(10*time.Second),
		zk.WithAuth("digest", []byte("alice:s3cret")))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	path, stat, err := c.Create(ctx, "/config/db", []byte("primary=db1"), zk.MakePath)
	if errors.Is(err, zk.ErrNodeExists) {
		log.Print("already configured")
	} else if err != nil {
		log.Fatal(err)
	}
	fmt.Println(path, stat.Version)
}

// A configuration watcher: read the node, wait for its one-shot watch, read it again.
func ExampleClient_GetW() {
	var c *zk.Client // from zk.Connect
	ctx := context.Background()
	for {
		data, stat, changed, err := c.GetW(ctx, "/config/db")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("config v%d: %s\n", stat.Version, data)
		ev := <-changed
		if ev.Type == zk.EventNone { // the session ended
			return
		}
	}
}

// Leader election with ephemeral sequential nodes: the lowest sequence number leads.
func ExampleClient_Create() {
	var c *zk.Client // from zk.Connect
	ctx := context.Background()
	me, _, err := c.Create(ctx, "/election/n-", nil, zk.Ephemeral|zk.Sequence|zk.MakePath)
	if err != nil {
		log.Fatal(err)
	}
	candidates, _, err := c.Children(ctx, "/election") // sorted
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("leader:", "/election/"+candidates[0] == me)
}

func ExampleClient_States() {
	var c *zk.Client // from zk.Connect
	go func() {
		for s := range c.States() { // closed by Close
			if s.State == zk.StateSuspended {
				log.Print("connection lost; calls wait for a reconnect")
			}
		}
	}()
}

func ExampleDigestACL() {
	acl, err := zk.DigestACL(zk.PermRead|zk.PermWrite, "alice", "s3cret")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(acl.Scheme, acl.ID)
	// Output: digest alice:uLxpHc/uhT86OXPoSjJTp1M8CJY=
}

func ExampleError() {
	err := error(zk.ErrNoNode) // as returned by c.Get(ctx, "/missing")
	var zerr *zk.Error
	if errors.Is(err, zk.ErrNoNode) && errors.As(err, &zerr) {
		fmt.Println(zerr.Code.Name(), int32(zerr.Code))
	}
	// Output: NO_NODE -101
}

// A lock shared with kazoo's zk.Lock("/locks/report") on the same path: one holder at a
// time, whichever client library it uses.
func ExampleLock() {
	var c *zk.Client // from zk.Connect
	lock, err := zk.NewLock(c, "/locks/report", zk.WithIdentifier("worker-1"))
	if err != nil {
		log.Fatal(err)
	}
	defer lock.Close() // releases it if held
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := lock.Acquire(ctx); err != nil {
		log.Fatal(err) // context.DeadlineExceeded: not ours within a minute
	}
	defer lock.Release(context.Background())
	// The lock is only as good as the session: stop when it may be lost.
	select {
	case s := <-lock.States():
		log.Printf("lock %v: stopping", s) // LockSuspended or LockLost
	case <-time.After(time.Second): // the work, done while holding the lock
	}
}

// Leader election shared with kazoo's zk.Election("/election/report"): Run leads until
// its context ends or leadership is lost.
func ExampleElection() {
	var c *zk.Client // from zk.Connect
	e, err := zk.NewElection(c, "/election/report", zk.WithIdentifier("host-a"))
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	err = e.Run(context.Background(), func(ctx context.Context) error {
		for {
			select {
			case <-ctx.Done(): // leadership lost, or Run's context done
				return ctx.Err()
			case s := <-e.States():
				log.Printf("leadership %v", s) // Suspended: hold off until Held again
			case <-time.After(time.Second):
				fmt.Println("leading")
			}
		}
	})
	log.Print(err)
}
