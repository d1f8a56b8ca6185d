package zk

import (
	"errors"
	"testing"
	"time"
)

func TestDefaultRetryPolicyIsKazoos(t *testing.T) {
	want := RetryPolicy{MaxTries: -1, Delay: 100 * time.Millisecond, Backoff: 2, MaxJitter: 0.4, MaxDelay: time.Minute}
	if got := DefaultRetryPolicy(); got != want {
		t.Fatalf("DefaultRetryPolicy = %+v, want %+v", got, want)
	}
}

// A connection retry that runs out ends Connect with ErrRetriesExhausted.
func TestConnectionRetryRunsOut(t *testing.T) {
	p := newProxy(t)
	p.cut()
	start := time.Now()
	_, err := Connect(t.Context(), p.addr(),
		WithConnectionRetry(RetryPolicy{MaxTries: 3, Delay: 10 * time.Millisecond, Backoff: 1}))
	if !errors.Is(err, ErrRetriesExhausted) || time.Since(start) > 5*time.Second {
		t.Fatalf("Connect with 3 tries to a dead server: %v after %v", err, time.Since(start))
	}
}

func TestRetryPoliciesAreChecked(t *testing.T) {
	bad := RetryPolicy{MaxTries: 2, Delay: time.Millisecond, Backoff: 0.5}
	if _, err := Connect(t.Context(), "127.0.0.1:1", WithConnectionRetry(bad)); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("backoff < 1 for connections: %v", err)
	}
	if _, err := Connect(t.Context(), "127.0.0.1:1", WithCommandRetry(bad)); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("backoff < 1 for commands: %v", err)
	}
}

// A read in flight when the connection drops fails with ErrConnectionLoss, unless a
// command retry sends it again after the reconnect. Writes are never retried.
func TestCommandRetryResendsReadsLostInFlight(t *testing.T) {
	for _, retry := range []bool{false, true} {
		t.Run(map[bool]string{false: "no retry", true: "retry"}[retry], func(t *testing.T) {
			p := newProxy(t)
			opts := []Option{WithConnectionRetry(fastRetry), WithCommandRetry(fastRetry)}
			if !retry { // the default retries reads: turn it off
				opts[1] = WithCommandRetry(RetryPolicy{MaxTries: 1, Delay: time.Millisecond, Backoff: 1})
			}
			c := connectTo(t, p.addr(), opts...)
			p.blackhole.Store(true) // requests go out but never reach the server
			read, write := make(chan error, 1), make(chan error, 1)
			go func() { _, _, err := c.Get(t.Context(), "/zookeeper"); read <- err }()
			go func() { _, err := c.Set(t.Context(), "/gotest-no-such-node", nil, AnyVersion); write <- err }()
			time.Sleep(300 * time.Millisecond)
			p.cut()
			p.restore()
			rerr, _ := recv(t, read, 10*time.Second, "Get result")
			werr, _ := recv(t, write, 10*time.Second, "Set result")
			if !errors.Is(werr, ErrConnectionLoss) {
				t.Errorf("Set in flight: %v, want ErrConnectionLoss", werr)
			}
			if retry && rerr != nil {
				t.Errorf("Get in flight with command retry: %v, want success", rerr)
			}
			if !retry && !errors.Is(rerr, ErrConnectionLoss) {
				t.Errorf("Get in flight without retry: %v, want ErrConnectionLoss", rerr)
			}
		})
	}
}
