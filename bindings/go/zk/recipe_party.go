package zk

// The party recipes (zk_party): a set of live members, each an ephemeral node under the
// party's path, as kazoo's Party and ShallowParty write them.

/*
#include <stdlib.h>
#include "zkclient.h"
*/
import "C"

import (
	"context"
	"runtime"
	"slices"
	"unsafe"
)

// Party is our membership of a party (kazoo's Party: <path>/<uuid4 hex>__party__,
// ephemeral, holding the identifier) or of a shallow party (kazoo's ShallowParty:
// <path>/<uuid4 hex>-<identifier>, without data). Safe for concurrent use. Close it when
// done: a member that has joined leaves then. It may outlive its Client, whose Close makes
// its calls fail with ErrClosed (and ends the session, which takes our node with it).
type Party struct {
	h       *recipeHandle[*C.zk_party]
	path    string
	cleanup runtime.Cleanup
}

// NewParty makes our membership of the party at path, with identifier as our node's
// data. Nothing is sent until Join.
func NewParty(c *Client, path, identifier string) (*Party, error) {
	return newParty(c, path, identifier, false)
}

// NewShallowParty makes our membership of the shallow party at path as identifier, which
// is part of our node's name: ErrInvalidArgument when it cannot be (a '/', a character
// the server refuses). Nothing is sent until Join.
func NewShallowParty(c *Client, path, identifier string) (*Party, error) {
	return newParty(c, path, identifier, true)
}

func newParty(c *Client, path, identifier string, shallow bool) (*Party, error) {
	const op = "party"
	if hasNUL(identifier) {
		return nil, codeError(C.ZK_RESULT_INVALID_ARGUMENT, op, path)
	}
	p, err := newRecipe(c, op, path, func(cl *C.zk_client, out **C.zk_party) C.zk_result {
		cpath := C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
		cident := C.CString(identifier)
		defer C.free(unsafe.Pointer(cident))
		if shallow {
			return C.zk_party_new_shallow(cl, cpath, cident, out)
		}
		return C.zk_party_new(cl, cpath, cident, out)
	})
	runtime.KeepAlive(c)
	if err != nil {
		return nil, err
	}
	h := newRecipeHandle(p, func(p *C.zk_party) { C.zk_party_free(p) })
	party := &Party{h: h, path: path}
	party.cleanup = runtime.AddCleanup(party, func(h *recipeHandle[*C.zk_party]) { go h.close() }, h)
	return party, nil
}

// Path is the party's node.
func (m *Party) Path() string { return m.path }

// Join joins (makes the path if missing). Joining again is fine, and so is a join whose
// reply was lost: either way there is one node, found by its unique name.
func (m *Party) Join(ctx context.Context) error {
	err := m.h.do(ctx, "party join", m.path, func(p *C.zk_party, ms C.uint32_t) C.zk_result {
		return C.zk_party_join(p, ms)
	})
	runtime.KeepAlive(m)
	return err
}

// Leave leaves the party: true if our node was removed, false if it was not there.
func (m *Party) Leave(ctx context.Context) (bool, error) {
	var removed bool
	err := m.h.do(ctx, "party leave", m.path, func(p *C.zk_party, ms C.uint32_t) C.zk_result {
		var out C.bool
		r := C.zk_party_leave(p, ms, &out)
		removed = bool(out)
		return r
	})
	runtime.KeepAlive(m)
	if err != nil {
		return false, err
	}
	return removed, nil
}

// Members lists the members' identifiers, sorted: a party's node data (data that is not
// UTF-8 is read lossily), a shallow party's node names after their first '-'. None while
// the path does not exist.
func (m *Party) Members(ctx context.Context) ([]string, error) {
	var members []string
	err := m.h.do(ctx, "party members", m.path, func(p *C.zk_party, ms C.uint32_t) C.zk_result {
		var list *C.zk_string_list
		r := C.zk_party_members(p, ms, &list)
		if r == C.ZK_RESULT_OK {
			members = make([]string, int(C.zk_string_list_len(list)))
			for i := range members {
				members[i] = C.GoString(C.zk_string_list_get(list, C.size_t(i)))
			}
			C.zk_string_list_free(list)
			slices.Sort(members)
		}
		return r
	})
	runtime.KeepAlive(m)
	if err != nil {
		return nil, err
	}
	return members, nil
}

// Len is the number of members (one read; kazoo's len).
func (m *Party) Len(ctx context.Context) (int, error) {
	var n int
	err := m.h.do(ctx, "party len", m.path, func(p *C.zk_party, ms C.uint32_t) C.zk_result {
		var out C.size_t
		r := C.zk_party_len(p, ms, &out)
		n = int(out)
		return r
	})
	runtime.KeepAlive(m)
	if err != nil {
		return 0, err
	}
	return n, nil
}

// NodePath is our node's path ("" after Close).
func (m *Party) NodePath() string {
	var s string
	m.h.peek(func(p *C.zk_party) {
		var out *C.char
		if p != nil && C.zk_party_node_path(p, &out) == C.ZK_RESULT_OK {
			s = C.GoString(out)
			C.zk_string_free(out)
		}
	})
	runtime.KeepAlive(m)
	return s
}

// Participating is true between a Join that succeeded and the next Leave. It says
// nothing of the session: an expired session took our node with it.
func (m *Party) Participating() bool {
	var ok bool
	m.h.peek(func(p *C.zk_party) { ok = bool(C.zk_party_participating(p)) })
	runtime.KeepAlive(m)
	return ok
}

// Close leaves the party if we joined (a blocking delete, up to the operation timeout)
// and frees the membership, once calls in progress have ended. Idempotent; always nil.
func (m *Party) Close() error {
	m.cleanup.Stop()
	m.h.close()
	return nil
}
