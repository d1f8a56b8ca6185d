// Command configwatch prints a ZooKeeper node's data, then every change to it, until it is
// interrupted. It waits for the node if it does not exist yet, and keeps watching across
// lost connections and session expiry.
//
//	configwatch [-hosts 127.0.0.1:2181] /config/app
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"time"

	"github.com/libzkclient/libzkclient/bindings/go/zk"
)

func main() {
	hosts := flag.String("hosts", envOr("ZK_HOSTS", "127.0.0.1:2181"), "ZooKeeper connect string")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: configwatch [-hosts HOSTS] PATH")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	connectCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	c, err := zk.Connect(connectCtx, *hosts)
	cancel()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	go func() {
		for s := range c.States() {
			log.Printf("session: %v", s)
		}
	}()
	err = watch(ctx, c, flag.Arg(0), func(line string) { fmt.Println(line) })
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}
}

// watch reports the node's data and then each new version, re-arming its one-shot watch
// every time, until ctx is done or the client is closed.
func watch(ctx context.Context, c *zk.Client, path string, report func(string)) error {
	for {
		data, stat, changed, err := c.GetW(ctx, path)
		switch {
		case errors.Is(err, zk.ErrNoNode):
			var exists bool
			exists, _, changed, err = c.ExistsW(ctx, path)
			if err != nil {
				return err
			}
			if exists { // created in between: read it
				continue
			}
			report(fmt.Sprintf("%s: no such node; waiting", path))
		case err != nil:
			return err
		default:
			report(fmt.Sprintf("%s v%d: %s", path, stat.Version, data))
		}
		select {
		case ev := <-changed:
			// A session event means the watch is gone: an expired session is replaced by a
			// new one (read again); a closed client is the end.
			if ev.Type == zk.EventNone && ev.State == zk.KeeperClosed {
				return zk.ErrClosed
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
