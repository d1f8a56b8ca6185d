package zk

// The Go functions the library calls, through the trampolines in shims.c. Each runs on a
// library thread (the event thread; for the logger, any library thread) and must neither
// block nor let a panic unwind into Rust: every one recovers, and keeps the value in the
// client's panicBox for the client to re-raise on a Go goroutine (see panicBox).

/*
#include "shims.h"
*/
import "C"

import (
	"fmt"
	"os"
	"runtime/cgo"
	"sync/atomic"
)

// panicBox keeps the first panic recovered in a callback of one client until a method of
// that client, running on an ordinary goroutine after its C call has returned, re-raises it.
type panicBox struct {
	v atomic.Pointer[recovered]
}

type recovered struct{ value any }

func (b *panicBox) store(v any) {
	b.v.CompareAndSwap(nil, &recovered{v})
}

// rethrow re-raises a stored panic, once.
func (b *panicBox) rethrow() {
	if p := b.v.Swap(nil); p != nil {
		panic(p.value)
	}
}

// catch is deferred by every export (it must be the deferred function itself for recover
// to work) with the address of the box the export finds once it knows its sink. A callback
// that panics before that has no box: a bug in the binding or the library, reported on
// stderr since there is no caller to tell.
func catch(b **panicBox) {
	if r := recover(); r != nil {
		if *b != nil {
			(*b).store(r)
			return
		}
		fmt.Fprintf(os.Stderr, "zk: panic in a library callback: %v\n", r)
	}
}

// A sink is what a callback's cgo.Handle holds. release runs once, from the finalizer the
// library calls when it is done with the userdata, which also deletes the handle.
type sink interface {
	box() *panicBox
	release()
}

// An eventSink is the userdata of a watch: a one-shot watchSink or a persistentSink.
type eventSink interface {
	sink
	deliver(Event)
}

func sinkOf(h C.uintptr_t) sink {
	return cgo.Handle(h).Value().(sink)
}

//export zkgoWatch
func zkgoWatch(h C.uintptr_t, ev *C.zk_event) {
	var b *panicBox
	defer catch(&b)
	w := sinkOf(h).(eventSink)
	b = w.box()
	w.deliver(eventFromC(ev))
}

//export zkgoListen
func zkgoListen(h C.uintptr_t, state C.zk_state, keeper C.zk_keeper_state) {
	var b *panicBox
	defer catch(&b)
	s := sinkOf(h).(*stateSink)
	b = s.box()
	s.deliver(StateChange{State: State(state), KeeperState: KeeperState(keeper)})
}

//export zkgoLog
func zkgoLog(h C.uintptr_t, level C.zk_log_level, msg *C.char) {
	var b *panicBox
	defer catch(&b)
	l := sinkOf(h).(*logSink)
	b = l.box()
	l.fn(LogLevel(level), C.GoString(msg))
}

//export zkgoRecipeState
func zkgoRecipeState(h C.uintptr_t, state C.zk_lock_state) {
	var b *panicBox
	defer catch(&b)
	s := sinkOf(h).(*recipeStateSink[LockState])
	b = s.box()
	s.deliver(LockState(state))
}

//export zkgoPartitionState
func zkgoPartitionState(h C.uintptr_t, state C.zk_partition_state) {
	var b *panicBox
	defer catch(&b)
	s := sinkOf(h).(*recipeStateSink[PartitionState])
	b = s.box()
	s.deliver(PartitionState(state))
}

//export zkgoRelease
func zkgoRelease(h C.uintptr_t) {
	var b *panicBox
	defer catch(&b)
	s := sinkOf(h)
	b = s.box()
	cgo.Handle(h).Delete()
	s.release()
}
