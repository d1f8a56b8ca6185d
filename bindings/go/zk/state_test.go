package zk

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestStatesStartWithConnectingThenConnected(t *testing.T) {
	c := connect(t)
	seen := waitState(t, c.States(), StateChange{StateConnected, KeeperConnected}, 5*time.Second)
	// Before the first session the coarse view is Lost: there is no session to suspend.
	if seen[0] != (StateChange{StateLost, KeeperConnecting}) || len(seen) != 2 {
		t.Fatalf("first states %v, want Lost/Connecting, Connected/Connected", seen)
	}
}

// A lost connection is Suspended/Connecting; the same session comes back Connected, and a
// watch set before is still there and fires.
func TestStatesFollowALostConnectionAndWatchesSurviveIt(t *testing.T) {
	p := newProxy(t)
	c := connectTo(t, p.addr(), WithConnectionRetry(fastRetry), WithSessionTimeout(10*time.Second))
	states := c.States()
	waitState(t, states, StateChange{StateConnected, KeeperConnected}, 5*time.Second)
	root := testRoot(t, c)
	_, _, ch, err := c.GetW(t.Context(), root)
	if err != nil {
		t.Fatal(err)
	}
	session := c.SessionID()

	p.cut()
	waitState(t, states, StateChange{StateSuspended, KeeperConnecting}, 5*time.Second)
	if c.Connected() {
		t.Fatal("Connected() with the connection down")
	}
	other := connect(t)
	if _, err := other.Set(t.Context(), root, []byte("while away"), AnyVersion); err != nil {
		t.Fatal(err)
	}
	p.restore()
	waitState(t, states, StateChange{StateConnected, KeeperConnected}, 5*time.Second)
	if c.SessionID() != session {
		t.Fatalf("session %x became %x across a short disconnect", session, c.SessionID())
	}
	expectEvent(t, ch, Event{Type: EventNodeDataChanged, State: KeeperConnected, Path: root})
}

// Away longer than the session timeout: the session expires, pending watches end with
// EventNone/ExpiredSession, and the client makes a new session by default — or, with
// WithExpiryFinal, stays expired.
func TestSessionExpiry(t *testing.T) {
	for _, final := range []bool{false, true} {
		t.Run(map[bool]string{false: "new session", true: "expiry final"}[final], func(t *testing.T) {
			p := newProxy(t)
			c := connectTo(t, p.addr(), WithConnectionRetry(fastRetry),
				WithSessionTimeout(time.Second), WithExpiryFinal(final))
			states := c.States()
			waitState(t, states, StateChange{StateConnected, KeeperConnected}, 5*time.Second)
			_, _, ch, err := c.ExistsW(t.Context(), "/zookeeper")
			if err != nil {
				t.Fatal(err)
			}
			old := c.SessionID()
			p.cut()
			time.Sleep(c.SessionTimeout() + 500*time.Millisecond)
			p.restore()
			waitState(t, states, StateChange{StateLost, KeeperExpiredSession}, 10*time.Second)
			expectEvent(t, ch, Event{Type: EventNone, State: KeeperExpiredSession, Path: ""})
			if final {
				if _, _, err := c.Get(t.Context(), "/"); !errors.Is(err, ErrSessionExpired) {
					t.Fatalf("Get after a final expiry: %v", err)
				}
				return
			}
			waitState(t, states, StateChange{StateConnected, KeeperConnected}, 10*time.Second)
			if id := c.SessionID(); id == old || id == 0 {
				t.Fatalf("session %x after expiry of %x", id, old)
			}
			if _, _, err := c.Get(context.Background(), "/"); err != nil {
				t.Fatalf("Get on the new session: %v", err)
			}
		})
	}
}

// The listener never blocks the event thread: with nobody reading, the buffer keeps the
// newest changes and drops the oldest.
func TestStateBufferDropsTheOldest(t *testing.T) {
	s := &stateSink{ch: make(chan StateChange, stateBuffer)}
	for i := 0; i < stateBuffer+5; i++ {
		s.deliver(StateChange{State(i), KeeperConnected})
	}
	if len(s.ch) != stateBuffer {
		t.Fatalf("buffer holds %d, want %d", len(s.ch), stateBuffer)
	}
	if first := <-s.ch; first.State != 5 {
		t.Fatalf("oldest kept is %d, want 5", first.State)
	}
	s.release()
	n := 0
	for range s.ch {
		n++
	}
	if n != stateBuffer-1 {
		t.Fatalf("read %d after the first, want %d", n, stateBuffer-1)
	}
}

func TestStateStrings(t *testing.T) {
	if s := (StateChange{StateSuspended, KeeperConnecting}).String(); s != "Suspended/Connecting" {
		t.Fatal(s)
	}
	if State(9).String() != "State(9)" || KeeperState(9).String() != "KeeperState(9)" || KeeperConnectedReadOnly.String() != "ConnectedReadOnly" {
		t.Fatal("state strings")
	}
}
