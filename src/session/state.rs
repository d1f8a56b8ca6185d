//! Client states (both of kazoo's views) and the events handed to watch callbacks.

use crate::proto::consts::EventType;

/// The coarse view, for listeners that only care whether they can rely on the session.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// No session: never started, stopped, expired, or auth failed.
    Lost = 0,
    /// The connection is down but the session may still be alive; requests wait.
    Suspended = 1,
    /// Connected with a live session (read-write or read-only).
    Connected = 2,
}

/// The detailed view.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeeperState {
    /// Looking for a server.
    Connecting = 0,
    /// Connected to a read-write server.
    Connected = 1,
    /// Connected to a read-only server: reads work, writes fail with NOTREADONLY.
    ConnectedRo = 2,
    /// A credential was refused. Final until the client is started again.
    AuthFailed = 3,
    /// Not started, or stopped.
    Closed = 4,
    /// The server expired the session (or it was away longer than the session timeout).
    ExpiredSession = 5,
}

impl KeeperState {
    /// kazoo's mapping from the detailed state to the coarse one. `previous` matters: leaving
    /// a terminal state for CONNECTING stays LOST, as in kazoo, since there is no session to
    /// be suspended yet.
    pub fn coarse(self, previous: State) -> State {
        match self {
            KeeperState::Connected | KeeperState::ConnectedRo => State::Connected,
            KeeperState::Connecting => {
                if previous == State::Lost {
                    State::Lost
                } else {
                    State::Suspended
                }
            }
            KeeperState::AuthFailed | KeeperState::Closed | KeeperState::ExpiredSession => {
                State::Lost
            }
        }
    }

    /// Whether requests can be sent now.
    pub fn is_connected(self) -> bool {
        matches!(self, KeeperState::Connected | KeeperState::ConnectedRo)
    }

    /// ZooKeeper's wire value of this state, as Java watchers see it.
    pub fn wire(self) -> i32 {
        match self {
            KeeperState::Connecting => 0,
            KeeperState::Connected => 3,
            KeeperState::ConnectedRo => 5,
            KeeperState::AuthFailed => 4,
            KeeperState::Closed => 7,
            KeeperState::ExpiredSession => -112,
        }
    }
}

/// What a watch callback receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedEvent {
    pub event_type: EventType,
    /// The client's state when the event was queued.
    pub keeper_state: KeeperState,
    /// The path relative to the chroot; empty for session events.
    pub path: String,
    /// The zxid of the change that triggered the event, as the server sent it. ZooKeeper
    /// 3.9 sends it; 3.8 and older send -1, which is also what events the client makes
    /// itself (session events, watch removals) carry: -1 means unknown.
    pub zxid: i64,
}

/// A one-shot watch callback. It is called exactly once (with its event, or with a
/// session event of type `None` when the registration ends without one), then dropped;
/// dropping it is where an FFI wrapper runs the user's finalizer.
pub type WatchFn = Box<dyn FnOnce(WatchedEvent) + Send + 'static>;

/// A persistent watch callback: called on the event thread for every event until the watch
/// is removed or the session ends (then once more, with the removal or session event), and
/// dropped after that last call.
pub type PersistentFn = std::sync::Arc<dyn Fn(WatchedEvent) + Send + Sync + 'static>;

/// A state listener: called on the event thread on every change of the detailed state.
pub type ListenerFn = Box<dyn Fn(State, KeeperState) + Send + Sync + 'static>;
