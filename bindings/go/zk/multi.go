package zk

// Batches of operations in one request: transactions (Multi: writes applied all or
// nothing, zk_txn) and read batches (MultiRead: reads answered together, zk_read_batch).

/*
#include <stdlib.h>
#include "shims.h"
*/
import "C"

import (
	"bytes"
	"context"
	"runtime"
	"slices"
	"time"
	"unsafe"
)

// Op is one write of a transaction: a CreateOp, DeleteOp, SetOp or CheckOp.
type Op interface {
	// add appends the op to a C transaction.
	add(t *C.zk_txn) C.zk_result
	opPath() string
}

// CreateOp creates a node, as Create does (MakePath is refused inside a transaction).
type CreateOp struct {
	Path  string
	Data  []byte
	Flags CreateFlag
	// ACL is the node's ACL; nil means the client's default.
	ACL []ACL
	// TTL makes a TTL node (see the TTL create option); 0 for none.
	TTL time.Duration
}

// DeleteOp deletes a node if its version is Version (AnyVersion: any).
type DeleteOp struct {
	Path    string
	Version int32
}

// SetOp sets a node's data if its version is Version (AnyVersion: any).
type SetOp struct {
	Path    string
	Data    []byte
	Version int32
}

// CheckOp fails the transaction unless the node's version is Version.
type CheckOp struct {
	Path    string
	Version int32
}

func (o CreateOp) opPath() string { return o.Path }
func (o DeleteOp) opPath() string { return o.Path }
func (o SetOp) opPath() string    { return o.Path }
func (o CheckOp) opPath() string  { return o.Path }

func (o CreateOp) add(t *C.zk_txn) C.zk_result {
	if !validACL(o.ACL) {
		return C.ZK_RESULT_INVALID_ACL
	}
	cpath := C.CString(o.Path)
	defer C.free(unsafe.Pointer(cpath))
	cdata, n := cData(o.Data)
	defer C.free(unsafe.Pointer(cdata))
	acl := newCACL(o.ACL)
	defer acl.free()
	var ttl C.int64_t
	if o.TTL > 0 {
		ttl = C.int64_t(max(o.TTL.Milliseconds(), 1))
	}
	return C.zk_txn_create(t, cpath, cdata, n, acl.ptr, acl.n, C.uint32_t(o.Flags), ttl)
}

func (o DeleteOp) add(t *C.zk_txn) C.zk_result {
	cpath := C.CString(o.Path)
	defer C.free(unsafe.Pointer(cpath))
	return C.zk_txn_delete(t, cpath, C.int32_t(o.Version))
}

func (o SetOp) add(t *C.zk_txn) C.zk_result {
	cpath := C.CString(o.Path)
	defer C.free(unsafe.Pointer(cpath))
	cdata, n := cData(o.Data)
	defer C.free(unsafe.Pointer(cdata))
	return C.zk_txn_set(t, cpath, cdata, n, C.int32_t(o.Version))
}

func (o CheckOp) add(t *C.zk_txn) C.zk_result {
	cpath := C.CString(o.Path)
	defer C.free(unsafe.Pointer(cpath))
	return C.zk_txn_check(t, cpath, C.int32_t(o.Version))
}

// OpResult is what one op of a transaction did.
type OpResult struct {
	// Path is a create's path (with its sequence suffix); "" for the other ops.
	Path string
	// Stat is a set's new Stat, and a create's on servers that send it (ZooKeeper 3.9;
	// 3.8 only for container and TTL nodes); nil otherwise.
	Stat *Stat
	// Err is nil for an applied op. In a failed transaction the failing op has its error
	// and every other op ErrRuntimeInconsistency: nothing was applied.
	Err error
}

// Multi applies ops atomically (ZooKeeper's multi; kazoo's transaction). When the server
// answers, the results have one entry per op, whether or not the transaction was applied;
// the error is nil when it was, and the failing op's error when it was not. Other errors
// (connection loss, a bad argument) come with nil results. An empty transaction sends
// nothing.
func (c *Client) Multi(ctx context.Context, ops ...Op) ([]OpResult, error) {
	const op = "multi"
	for _, o := range ops {
		if err := pathArg(op, o.opPath()); err != nil {
			return nil, err
		}
	}
	ops = cloneOps(ops)
	var results []OpResult
	var failedPath string
	err := c.core.do(ctx, op, "", func(p *C.zk_client, ms C.uint32_t) C.zk_result {
		t := C.zk_txn_new()
		defer C.zk_txn_free(t)
		for i, o := range ops {
			if r := o.add(t); r != C.ZK_RESULT_OK {
				failedPath = ops[i].opPath()
				return r
			}
		}
		var out *C.zk_txn_results
		r := C.zk_txn_commit(p, t, ms, &out)
		if out != nil {
			results = txnResults(out, ops, &failedPath)
			C.zk_txn_results_free(out)
		}
		return r
	})
	runtime.KeepAlive(c)
	if e, ok := err.(*Error); ok && failedPath != "" {
		e.Path = failedPath
	}
	return results, err
}

// cloneOps copies the ops' byte slices and ACLs: the C call may outlive Multi (see do).
func cloneOps(ops []Op) []Op {
	out := make([]Op, len(ops))
	for i, o := range ops {
		switch v := o.(type) {
		case CreateOp:
			v.Data = bytes.Clone(v.Data)
			v.ACL = slices.Clone(v.ACL)
			out[i] = v
		case *CreateOp:
			w := *v
			w.Data = bytes.Clone(w.Data)
			w.ACL = slices.Clone(w.ACL)
			out[i] = w
		case SetOp:
			v.Data = bytes.Clone(v.Data)
			out[i] = v
		case *SetOp:
			w := *v
			w.Data = bytes.Clone(w.Data)
			out[i] = w
		default:
			out[i] = o
		}
	}
	return out
}

// txnResults converts a commit's results; failedPath gets the failing op's path.
func txnResults(out *C.zk_txn_results, ops []Op, failedPath *string) []OpResult {
	n := int(C.zk_txn_results_len(out))
	results := make([]OpResult, n)
	for i := range results {
		var rc C.zk_result
		var path *C.char
		var st C.zk_stat
		if C.zk_txn_results_get(out, C.size_t(i), &rc, &path, &st) != C.ZK_RESULT_OK {
			continue
		}
		if path != nil {
			results[i].Path = C.GoString(path)
		}
		if st.czxid != 0 {
			results[i].Stat = statFromC(&st)
		}
		if rc != C.ZK_RESULT_OK {
			opPath := ""
			if i < len(ops) {
				opPath = ops[i].opPath()
			}
			results[i].Err = codeError(rc, "multi", opPath)
			if rc != C.ZK_RESULT_RUNTIME_INCONSISTENCY && *failedPath == "" {
				*failedPath = opPath
			}
		}
	}
	return results
}

// ReadOp is one read of a read batch: a GetDataOp or a GetChildrenOp.
type ReadOp interface {
	addRead(b *C.zk_read_batch) C.zk_result
	opPath() string
}

// GetDataOp reads a node's data and Stat, as Get does (without a watch).
type GetDataOp struct{ Path string }

// GetChildrenOp lists a node's children, as Children does (without a watch).
type GetChildrenOp struct{ Path string }

func (o GetDataOp) opPath() string     { return o.Path }
func (o GetChildrenOp) opPath() string { return o.Path }

func (o GetDataOp) addRead(b *C.zk_read_batch) C.zk_result {
	cpath := C.CString(o.Path)
	defer C.free(unsafe.Pointer(cpath))
	return C.zk_read_batch_get(b, cpath)
}

func (o GetChildrenOp) addRead(b *C.zk_read_batch) C.zk_result {
	cpath := C.CString(o.Path)
	defer C.free(unsafe.Pointer(cpath))
	return C.zk_read_batch_get_children(b, cpath)
}

// ReadResult is what one read of a read batch gave.
type ReadResult struct {
	// Data and Stat of a GetDataOp.
	Data []byte
	Stat *Stat
	// Children of a GetChildrenOp, sorted.
	Children []string
	// Err is this read's own error (ErrNoNode, ErrNoAuth, ...); the others are unaffected.
	Err error
}

// MultiRead reads ops in one request and round trip (multiRead, ZooKeeper 3.6+; Curator
// and the Java client have it, kazoo does not). Each read has its own result, in order; the
// error is for the request as a whole (connection loss, a bad argument). An empty batch
// sends nothing.
func (c *Client) MultiRead(ctx context.Context, ops ...ReadOp) ([]ReadResult, error) {
	const op = "multi read"
	for _, o := range ops {
		if err := pathArg(op, o.opPath()); err != nil {
			return nil, err
		}
	}
	ops = slices.Clone(ops)
	var results []ReadResult
	var failedPath string
	err := c.core.do(ctx, op, "", func(p *C.zk_client, ms C.uint32_t) C.zk_result {
		b := C.zk_read_batch_new()
		defer C.zk_read_batch_free(b)
		for _, o := range ops {
			if r := o.addRead(b); r != C.ZK_RESULT_OK {
				failedPath = o.opPath()
				return r
			}
		}
		var out *C.zk_read_results
		r := C.zk_multi_read(p, b, ms, &out)
		if r == C.ZK_RESULT_OK {
			results = readResults(out, ops)
			C.zk_read_results_free(out)
		}
		return r
	})
	runtime.KeepAlive(c)
	if err != nil {
		if e, ok := err.(*Error); ok && failedPath != "" {
			e.Path = failedPath
		}
		return nil, err
	}
	return results, nil
}

func readResults(out *C.zk_read_results, ops []ReadOp) []ReadResult {
	results := make([]ReadResult, int(C.zk_read_results_len(out)))
	for i := range results {
		var rc C.zk_result
		var data *C.uint8_t
		var n C.size_t
		var st C.zk_stat
		var kids *C.zk_string_list
		if C.zk_read_results_get(out, C.size_t(i), &rc, &data, &n, &st, &kids) != C.ZK_RESULT_OK {
			continue
		}
		if rc != C.ZK_RESULT_OK {
			path := ""
			if i < len(ops) {
				path = ops[i].opPath()
			}
			results[i].Err = codeError(rc, "multi read", path)
			continue
		}
		if kids != nil {
			names := make([]string, int(C.zk_string_list_len(kids)))
			for j := range names {
				names[j] = C.GoString(C.zk_string_list_get(kids, C.size_t(j)))
			}
			slices.Sort(names)
			results[i].Children = names
			continue
		}
		results[i].Data = C.GoBytes(unsafe.Pointer(data), C.int(n))
		results[i].Stat = statFromC(&st)
	}
	return results
}

// Identity is one identity the server has for a connection (WhoAmI).
type Identity struct {
	// Scheme is "ip", "digest", "sasl", "x509", ...
	Scheme string
	User   string
}

// WhoAmI lists the identities the server has for this connection: "ip" with the client's
// address, "digest" with the user after AddAuth, "sasl" after SASL, "x509" with the
// certificate's name over TLS. ZooKeeper 3.7+.
func (c *Client) WhoAmI(ctx context.Context) ([]Identity, error) {
	var ids []Identity
	err := c.core.do(ctx, "who am i", "", func(p *C.zk_client, ms C.uint32_t) C.zk_result {
		var list *C.zk_identity_list
		r := C.zk_who_am_i(p, ms, &list)
		if r == C.ZK_RESULT_OK {
			ids = make([]Identity, int(C.zk_identity_list_len(list)))
			for i := range ids {
				var id C.zk_identity
				if C.zk_identity_list_get(list, C.size_t(i), &id) == C.ZK_RESULT_OK {
					ids[i] = Identity{Scheme: C.GoString(id.scheme), User: C.GoString(id.user)}
				}
			}
			C.zk_identity_list_free(list)
		}
		return r
	})
	runtime.KeepAlive(c)
	if err != nil {
		return nil, err
	}
	return ids, nil
}
