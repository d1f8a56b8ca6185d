package zk

// Watch events (zk_event) and the channel each one-shot watch (zk_watcher) is delivered on.

/*
#include "shims.h"
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
)

// EventType is the kind of a watch event, with ZooKeeper's numbers.
type EventType int32

const (
	// EventNone ends a watch without a node event: the session was closed or expired, or
	// auth failed. Event.State says which.
	EventNone                   EventType = -1
	EventNodeCreated            EventType = 1
	EventNodeDeleted            EventType = 2
	EventNodeDataChanged        EventType = 3
	EventNodeChildrenChanged    EventType = 4
	EventDataWatchRemoved       EventType = 5
	EventChildWatchRemoved      EventType = 6
	EventPersistentWatchRemoved EventType = 7
)

// zkclient.h's values: the build fails if one of them changes.
var (
	_ = [1]struct{}{}[EventNone-C.ZK_EVENT_TYPE_NONE]
	_ = [1]struct{}{}[EventNodeCreated-C.ZK_EVENT_TYPE_CREATED]
	_ = [1]struct{}{}[EventNodeDeleted-C.ZK_EVENT_TYPE_DELETED]
	_ = [1]struct{}{}[EventNodeDataChanged-C.ZK_EVENT_TYPE_CHANGED]
	_ = [1]struct{}{}[EventNodeChildrenChanged-C.ZK_EVENT_TYPE_CHILD]
	_ = [1]struct{}{}[EventDataWatchRemoved-C.ZK_EVENT_TYPE_DATA_WATCH_REMOVED]
	_ = [1]struct{}{}[EventChildWatchRemoved-C.ZK_EVENT_TYPE_CHILD_WATCH_REMOVED]
	_ = [1]struct{}{}[EventPersistentWatchRemoved-C.ZK_EVENT_TYPE_PERSISTENT_WATCH_REMOVED]
)

var eventTypeNames = map[EventType]string{
	EventNone:                   "None",
	EventNodeCreated:            "NodeCreated",
	EventNodeDeleted:            "NodeDeleted",
	EventNodeDataChanged:        "NodeDataChanged",
	EventNodeChildrenChanged:    "NodeChildrenChanged",
	EventDataWatchRemoved:       "DataWatchRemoved",
	EventChildWatchRemoved:      "ChildWatchRemoved",
	EventPersistentWatchRemoved: "PersistentWatchRemoved",
}

func (t EventType) String() string {
	if s, ok := eventTypeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("EventType(%d)", int32(t))
}

// Event is what a watch channel receives, once.
type Event struct {
	Type EventType
	// State is the client's detailed state when the event was queued; for EventNone it
	// says why the watch ended (KeeperClosed, KeeperExpiredSession, KeeperAuthFailed).
	State KeeperState
	// Path is the node's path relative to the chroot; "" for EventNone.
	Path string
	// Zxid is the zxid of the change that triggered the event: ZooKeeper 3.9 sends it;
	// 3.8 sends -1, as do EventNone and watch removals (-1 = unknown).
	Zxid int64
}

func (e Event) String() string {
	return fmt.Sprintf("%v %q (%v)", e.Type, e.Path, e.State)
}

func eventFromC(ev *C.zk_event) Event {
	return Event{
		Type:  EventType(ev.event_type),
		State: KeeperState(ev.state),
		Path:  C.GoString(ev.path),
		Zxid:  int64(ev.zxid),
	}
}

// watchSink is one watch's userdata. The library calls deliver at most once and release
// exactly once, after deliver: so the channel gets its one event and is then closed, or is
// closed empty when the call that would have set the watch failed.
type watchSink struct {
	ch     chan Event
	panics *panicBox
}

func (w *watchSink) box() *panicBox { return w.panics }

// deliver never blocks the event thread: the channel has room for the one event.
func (w *watchSink) deliver(e Event) {
	select {
	case w.ch <- e:
	default:
	}
}

func (w *watchSink) release() { close(w.ch) }

// newWatch makes the channel of a watch and the zk_watcher that feeds it. The library owns
// the handle from the call on: its finalizer deletes it.
func newWatch(panics *panicBox) (chan Event, C.zk_watcher) {
	ch := make(chan Event, 1)
	h := cgo.NewHandle(&watchSink{ch: ch, panics: panics})
	return ch, C.zkgo_watcher(C.uintptr_t(h))
}
