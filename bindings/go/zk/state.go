package zk

// Client states (zk_state, zk_keeper_state) and the state listener (zk_add_listener) that
// feeds Client.States.

/*
#include "zkclient.h"
*/
import "C"

import "fmt"

// State is the coarse view of the session, for code that only cares whether it can rely on
// it.
type State int32

const (
	// StateLost: no session (never started, closed, expired, or auth failed).
	StateLost State = 0
	// StateSuspended: the connection is down, the session may still be alive; calls wait.
	StateSuspended State = 1
	// StateConnected: connected with a live session (read-write or read-only).
	StateConnected State = 2
)

// zkclient.h's values: the build fails if one of them changes.
var (
	_ = [1]struct{}{}[StateLost-C.ZK_STATE_LOST]
	_ = [1]struct{}{}[StateSuspended-C.ZK_STATE_SUSPENDED]
	_ = [1]struct{}{}[StateConnected-C.ZK_STATE_CONNECTED]
	_ = [1]struct{}{}[KeeperConnecting-C.ZK_KEEPER_STATE_CONNECTING]
	_ = [1]struct{}{}[KeeperConnected-C.ZK_KEEPER_STATE_CONNECTED]
	_ = [1]struct{}{}[KeeperConnectedReadOnly-C.ZK_KEEPER_STATE_CONNECTED_RO]
	_ = [1]struct{}{}[KeeperAuthFailed-C.ZK_KEEPER_STATE_AUTH_FAILED]
	_ = [1]struct{}{}[KeeperClosed-C.ZK_KEEPER_STATE_CLOSED]
	_ = [1]struct{}{}[KeeperExpiredSession-C.ZK_KEEPER_STATE_EXPIRED_SESSION]
)

func (s State) String() string {
	switch s {
	case StateLost:
		return "Lost"
	case StateSuspended:
		return "Suspended"
	case StateConnected:
		return "Connected"
	}
	return fmt.Sprintf("State(%d)", int32(s))
}

// KeeperState is the detailed view of the session.
type KeeperState int32

const (
	KeeperConnecting        KeeperState = 0
	KeeperConnected         KeeperState = 1
	KeeperConnectedReadOnly KeeperState = 2
	// KeeperAuthFailed: a credential was refused; final for this client.
	KeeperAuthFailed KeeperState = 3
	KeeperClosed     KeeperState = 4
	// KeeperExpiredSession: the session expired. Unless WithExpiryFinal, the client then
	// makes a new session on its own.
	KeeperExpiredSession KeeperState = 5
)

var keeperStateNames = map[KeeperState]string{
	KeeperConnecting:        "Connecting",
	KeeperConnected:         "Connected",
	KeeperConnectedReadOnly: "ConnectedReadOnly",
	KeeperAuthFailed:        "AuthFailed",
	KeeperClosed:            "Closed",
	KeeperExpiredSession:    "ExpiredSession",
}

func (s KeeperState) String() string {
	if n, ok := keeperStateNames[s]; ok {
		return n
	}
	return fmt.Sprintf("KeeperState(%d)", int32(s))
}

// StateChange is one change of the detailed state, with both views.
type StateChange struct {
	State       State
	KeeperState KeeperState
}

func (s StateChange) String() string {
	return s.State.String() + "/" + s.KeeperState.String()
}

// stateBuffer is how many changes Client.States holds before it drops the oldest.
const stateBuffer = 32

// stateSink is the listener's userdata: it feeds a buffered channel without ever blocking
// the event thread. When the buffer is full the oldest change is dropped, so the newest,
// which says what the client is now, is always there to read.
type stateSink struct {
	ch     chan StateChange
	panics *panicBox
}

func (s *stateSink) box() *panicBox { return s.panics }

func (s *stateSink) deliver(c StateChange) {
	// Only the event thread sends, so each pass either sends or makes room; readers can
	// only make more room.
	for {
		select {
		case s.ch <- c:
			return
		default:
		}
		select {
		case <-s.ch:
		default:
		}
	}
}

// release runs when the client is freed: no change comes after it.
func (s *stateSink) release() { close(s.ch) }
