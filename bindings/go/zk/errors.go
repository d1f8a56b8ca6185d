package zk

/*
#include "zkclient.h"
*/
import "C"

import (
	"context"
	"fmt"
	"time"
)

// Code is a result code of the C library (zk_result): ZooKeeper's own codes keep their
// numbers (NONODE is -101); client-side codes are -1000 and below.
type Code int32

// String is the library's message for the code.
func (c Code) String() string {
	// Only codes of the header may cross: zk_result_message takes a Rust enum, and any
	// other value crashes the library (reported; see the package's README).
	if _, known := byCode[c]; !known && c != C.ZK_RESULT_OK {
		return fmt.Sprintf("unknown result code %d", int32(c))
	}
	return C.GoString(C.zk_result_message(C.zk_result(c)))
}

// Name is the code's name in zkclient.h without the ZK_RESULT_ prefix ("NO_NODE"), or ""
// for a code this package does not know.
func (c Code) Name() string {
	if e, ok := byCode[c]; ok {
		return e.name
	}
	return ""
}

// Error is every error that a call into the library returns. Test it with errors.Is
// against the Err* values, which compare by Code only:
//
//	if errors.Is(err, zk.ErrNoNode) { ... }
//
// A call that ran out of its context's deadline returns an Error with Code TIMED_OUT that
// is also errors.Is(err, context.DeadlineExceeded).
type Error struct {
	Code Code
	Op   string // the method, "get", "create", ...; "" for the Err* values
	Path string // the node, when the call had one

	cause error // context.DeadlineExceeded when the context's deadline was the timeout
	name  string
}

func (e *Error) Error() string {
	s := "zk: "
	if e.Op != "" {
		s += e.Op + ": "
	}
	if e.Path != "" {
		s += e.Path + ": "
	}
	return s + e.Code.String()
}

// Is reports whether target is an *Error with the same Code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Unwrap gives context.DeadlineExceeded for a call that ran out of its context's deadline.
func (e *Error) Unwrap() error { return e.cause }

var byCode = map[Code]*Error{}

func sentinel(code C.zk_result, name string) error {
	e := &Error{Code: Code(code), name: name}
	byCode[e.Code] = e
	return e
}

// One value per zk_result code of zkclient.h; errors_test.go checks that none is missing.
var (
	ErrSystemError                  = sentinel(-1, "SYSTEM_ERROR")
	ErrRuntimeInconsistency         = sentinel(-2, "RUNTIME_INCONSISTENCY")
	ErrDataInconsistency            = sentinel(-3, "DATA_INCONSISTENCY")
	ErrConnectionLoss               = sentinel(-4, "CONNECTION_LOSS")
	ErrMarshallingError             = sentinel(-5, "MARSHALLING_ERROR")
	ErrUnimplemented                = sentinel(-6, "UNIMPLEMENTED")
	ErrOperationTimeout             = sentinel(-7, "OPERATION_TIMEOUT")
	ErrBadArguments                 = sentinel(-8, "BAD_ARGUMENTS")
	ErrInvalidState                 = sentinel(-9, "INVALID_STATE")
	ErrUnknownSession               = sentinel(-12, "UNKNOWN_SESSION")
	ErrNewConfigNoQuorum            = sentinel(-13, "NEW_CONFIG_NO_QUORUM")
	ErrReconfigInProgress           = sentinel(-14, "RECONFIG_IN_PROGRESS")
	ErrAPIError                     = sentinel(-100, "API_ERROR")
	ErrNoNode                       = sentinel(-101, "NO_NODE")
	ErrNoAuth                       = sentinel(-102, "NO_AUTH")
	ErrBadVersion                   = sentinel(-103, "BAD_VERSION")
	ErrNoChildrenForEphemerals      = sentinel(-108, "NO_CHILDREN_FOR_EPHEMERALS")
	ErrNodeExists                   = sentinel(-110, "NODE_EXISTS")
	ErrNotEmpty                     = sentinel(-111, "NOT_EMPTY")
	ErrSessionExpired               = sentinel(-112, "SESSION_EXPIRED")
	ErrInvalidCallback              = sentinel(-113, "INVALID_CALLBACK")
	ErrInvalidACL                   = sentinel(-114, "INVALID_ACL")
	ErrAuthFailed                   = sentinel(-115, "AUTH_FAILED")
	ErrSessionMoved                 = sentinel(-118, "SESSION_MOVED")
	ErrNotReadOnly                  = sentinel(-119, "NOT_READ_ONLY")
	ErrEphemeralOnLocalSession      = sentinel(-120, "EPHEMERAL_ON_LOCAL_SESSION")
	ErrNoWatcher                    = sentinel(-121, "NO_WATCHER")
	ErrRequestTimeout               = sentinel(-122, "REQUEST_TIMEOUT")
	ErrReconfigDisabled             = sentinel(-123, "RECONFIG_DISABLED")
	ErrSessionClosedRequireSASLAuth = sentinel(-124, "SESSION_CLOSED_REQUIRE_SASL_AUTH")
	ErrQuotaExceeded                = sentinel(-125, "QUOTA_EXCEEDED")
	ErrThrottledOp                  = sentinel(-127, "THROTTLED_OP")
	ErrNullArgument                 = sentinel(-1001, "NULL_ARGUMENT")
	ErrInvalidArgument              = sentinel(-1002, "INVALID_ARGUMENT")
	ErrInvalidPath                  = sentinel(-1003, "INVALID_PATH")
	ErrInvalidUTF8                  = sentinel(-1004, "INVALID_UTF8")
	ErrTooLarge                     = sentinel(-1005, "TOO_LARGE")
	ErrClosed                       = sentinel(-1006, "CLOSED")
	ErrTimedOut                     = sentinel(-1007, "TIMED_OUT")
	ErrPanic                        = sentinel(-1008, "PANIC")
	ErrRetriesExhausted             = sentinel(-1009, "RETRIES_EXHAUSTED")
	ErrProtocol                     = sentinel(-1010, "PROTOCOL")
	ErrBadReply                     = sentinel(-1011, "BAD_REPLY")
	ErrTLS                          = sentinel(-1012, "TLS")
	ErrCancelled                    = sentinel(-1013, "CANCELLED")
	ErrMismatch                     = sentinel(-1014, "MISMATCH")
)

// newError turns a library result into an error (nil for OK). deadline is the context's
// deadline, if it had one: a TIMED_OUT at or after it also says context.DeadlineExceeded.
func newError(r C.zk_result, op, path string, deadline time.Time) error {
	if r == C.ZK_RESULT_OK {
		return nil
	}
	e := &Error{Code: Code(r), Op: op, Path: path}
	if s, ok := byCode[e.Code]; ok {
		e.name = s.name
	}
	if r == C.ZK_RESULT_TIMED_OUT && !deadline.IsZero() && !time.Now().Before(deadline) {
		e.cause = context.DeadlineExceeded
	}
	return e
}

// codeError is an error made on the Go side, before anything reached the library.
func codeError(r C.zk_result, op, path string) error {
	return newError(r, op, path, time.Time{})
}
