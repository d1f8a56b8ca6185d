package zk

// The ensemble's configuration (zk_get_config, zk_reconfig, zk_config): reading it, with
// or without a watch, changing the membership, and the parsed form.

/*
#include <stdlib.h>
#include "shims.h"
*/
import "C"

import (
	"context"
	"runtime"
	"unsafe"
)

// AnyConfig matches every config version in Reconfig and ReconfigMembers.
const AnyConfig int64 = -1

// GetConfig reads the ensemble's configuration as the server the client talks to knows it:
// the text of the servers' /zookeeper/config (ParseConfig reads it) and its Stat. The node
// lies outside any chroot. A standalone server's config is empty. Like any read it may lag
// the leader: Sync first for the latest.
func (c *Client) GetConfig(ctx context.Context) ([]byte, *Stat, error) {
	data, stat, _, err := c.getConfig(ctx, false)
	return data, stat, err
}

// GetConfigW is GetConfig that also sets a watch. The channel gets one Event — the config
// changed (EventNodeDataChanged on "/zookeeper/config"), or the session ended (EventNone) —
// and is then closed.
func (c *Client) GetConfigW(ctx context.Context) ([]byte, *Stat, <-chan Event, error) {
	return c.getConfig(ctx, true)
}

func (c *Client) getConfig(ctx context.Context, watch bool) ([]byte, *Stat, <-chan Event, error) {
	const op = "get config"
	var data []byte
	var stat *Stat
	var events chan Event
	err := c.core.do(ctx, op, "", func(p *C.zk_client, ms C.uint32_t) C.zk_result {
		var w *C.zk_watcher
		if watch {
			var cw C.zk_watcher
			events, cw = newWatch(c.core.panics)
			w = &cw
		}
		var buf C.zk_buffer
		var st C.zk_stat
		r := C.zk_get_config(p, w, ms, &buf, &st)
		if r == C.ZK_RESULT_OK {
			data, stat = bufferBytes(&buf), statFromC(&st)
		}
		return r
	})
	runtime.KeepAlive(c)
	if err != nil {
		return nil, nil, nil, err
	}
	return data, stat, events, nil
}

// Reconfig changes the ensemble's membership incrementally, if its config version is
// fromConfig (AnyConfig: any; EnsembleConfig.Version is a version): the joining servers
// are added (or changed, when their id is a member: ports, role) and the members whose
// ids are in leaving removed; one of the two may be empty. A server is one config line,
// "server.<id>=<host>:<quorum port>:<election port>[:participant|:observer];[<host>:]<client
// port>". It returns the new config and its Stat. The servers need reconfigEnabled=true,
// else ErrReconfigDisabled; and the right to write /zookeeper/config (the super user, or
// servers with skipACL), else ErrNoAuth. A stale fromConfig is ErrBadVersion; a membership
// whose quorum is not connected and in sync with the leader ErrNewConfigNoQuorum; another
// reconfig running ErrReconfigInProgress; one the server cannot take ErrBadArguments. No
// change, or a line with ',' or a line break, is ErrInvalidArgument.
func (c *Client) Reconfig(ctx context.Context, joining []string, leaving []uint64, fromConfig int64) ([]byte, *Stat, error) {
	return c.reconfig(ctx, joining, leaving, nil, fromConfig)
}

// ReconfigMembers makes members, one config line each (as Reconfig's), the whole
// membership, if the config version is fromConfig; it returns and fails as Reconfig does.
// No members is ErrInvalidArgument.
func (c *Client) ReconfigMembers(ctx context.Context, members []string, fromConfig int64) ([]byte, *Stat, error) {
	return c.reconfig(ctx, nil, nil, members, fromConfig)
}

func (c *Client) reconfig(ctx context.Context, joining []string, leaving []uint64, members []string, fromConfig int64) ([]byte, *Stat, error) {
	const op = "reconfig"
	for _, s := range append(append([]string(nil), joining...), members...) {
		if hasNUL(s) {
			return nil, nil, codeError(C.ZK_RESULT_INVALID_ARGUMENT, op, "")
		}
	}
	var data []byte
	var stat *Stat
	err := c.core.do(ctx, op, "", func(p *C.zk_client, ms C.uint32_t) C.zk_result {
		cj, cm := newCStrings(joining), newCStrings(members)
		defer cj.free()
		defer cm.free()
		var cl *C.uint64_t
		if len(leaving) > 0 {
			cl = (*C.uint64_t)(C.calloc(C.size_t(len(leaving)), C.size_t(unsafe.Sizeof(C.uint64_t(0)))))
			defer C.free(unsafe.Pointer(cl))
			ids := unsafe.Slice(cl, len(leaving))
			for i, id := range leaving {
				ids[i] = C.uint64_t(id)
			}
		}
		var buf C.zk_buffer
		var st C.zk_stat
		r := C.zk_reconfig(p, cj.ptr, cj.n, cl, C.size_t(len(leaving)), cm.ptr, cm.n,
			C.int64_t(fromConfig), ms, &buf, &st)
		if r == C.ZK_RESULT_OK {
			data, stat = bufferBytes(&buf), statFromC(&st)
		}
		return r
	})
	runtime.KeepAlive(c)
	if err != nil {
		return nil, nil, err
	}
	return data, stat, nil
}

// Hosts is the host list the client uses now, as a connect string without the chroot
// ("host:port,host:port"): Connect's, or the last SetHosts', or the ensemble follower's
// (WithFollowEnsemble).
func (c *Client) Hosts() string {
	var out *C.char
	var r C.zk_result = C.ZK_RESULT_CLOSED
	c.core.peek(func(p *C.zk_client) {
		if p != nil {
			r = C.zk_get_hosts(p, &out)
		}
	})
	runtime.KeepAlive(c)
	if r != C.ZK_RESULT_OK {
		return ""
	}
	defer C.zk_string_free(out)
	return C.GoString(out)
}

// bufferBytes copies and frees bytes the library allocated.
func bufferBytes(buf *C.zk_buffer) []byte {
	data := make([]byte, int(buf.len))
	if buf.len > 0 {
		copy(data, unsafe.Slice((*byte)(unsafe.Pointer(buf.data)), int(buf.len)))
	}
	C.zk_buffer_free(buf)
	return data
}

// cStrings is a string list copied to C memory for one call; empty is {nil, 0}.
type cStrings struct {
	ptr **C.char
	n   C.size_t
}

func newCStrings(list []string) cStrings {
	if len(list) == 0 {
		return cStrings{}
	}
	p := (**C.char)(C.calloc(C.size_t(len(list)), C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	items := unsafe.Slice(p, len(list))
	for i, s := range list {
		items[i] = C.CString(s)
	}
	return cStrings{ptr: p, n: C.size_t(len(list))}
}

func (c cStrings) free() {
	if c.ptr == nil {
		return
	}
	for _, s := range unsafe.Slice(c.ptr, int(c.n)) {
		C.free(unsafe.Pointer(s))
	}
	C.free(unsafe.Pointer(c.ptr))
}

// MemberRole is a member's part in the quorum.
type MemberRole int

const (
	// Participant votes.
	Participant MemberRole = 1
	// Observer follows the leader without voting.
	Observer MemberRole = 2
)

// zkclient.h's values: the build fails if one of them changes.
var (
	_ = [1]struct{}{}[Participant-C.ZK_MEMBER_ROLE_PARTICIPANT]
	_ = [1]struct{}{}[Observer-C.ZK_MEMBER_ROLE_OBSERVER]
)

func (r MemberRole) String() string {
	switch r {
	case Participant:
		return "participant"
	case Observer:
		return "observer"
	}
	return "MemberRole(?)"
}

// Member is one "server.<id>=..." line of an ensemble config.
type Member struct {
	ID   uint64
	Role MemberRole
	// Host, QuorumPort and ElectionPort are where the other members reach it (the first
	// address when the line gives several, ZooKeeper 3.6's "a|b").
	Host         string
	QuorumPort   uint16
	ElectionPort uint16
	// ClientHost and ClientPort are where clients connect, as the line says ("0.0.0.0"
	// for a port alone); "" and 0 when the line names no client port.
	ClientHost string
	ClientPort uint16
}

// EnsembleConfig is a parsed ensemble configuration.
type EnsembleConfig struct {
	// Version is the zxid of the reconfig that made it (Reconfig's fromConfig), or
	// AnyConfig when the text has none (a standalone server's).
	Version int64
	Members []Member
	// ConnectString is the members' client addresses as a host list, "host:port,..." (a
	// port alone goes with the member's host): what the ensemble follower uses. "" when
	// no member names a client port.
	ConnectString string
}

// ParseConfig reads the bytes of GetConfig or Reconfig. Empty bytes are a config without
// members. Text that is not a configuration is ErrInvalidArgument.
func ParseConfig(data []byte) (*EnsembleConfig, error) {
	const op = "parse config"
	var p unsafe.Pointer
	if len(data) > 0 {
		p = C.CBytes(data)
		defer C.free(p)
	}
	var cfg *C.zk_config
	if r := C.zk_config_parse((*C.uint8_t)(p), C.size_t(len(data)), &cfg); r != C.ZK_RESULT_OK {
		return nil, codeError(r, op, "")
	}
	defer C.zk_config_free(cfg)
	out := &EnsembleConfig{
		Version:       int64(C.zk_config_version(cfg)),
		ConnectString: C.GoString(C.zk_config_connect_string(cfg)),
	}
	n := int(C.zk_config_member_count(cfg))
	for i := 0; i < n; i++ {
		var m C.zk_config_member
		if r := C.zk_config_member_get(cfg, C.size_t(i), &m); r != C.ZK_RESULT_OK {
			return nil, codeError(r, op, "")
		}
		member := Member{
			ID:           uint64(m.id),
			Role:         MemberRole(m.role),
			Host:         C.GoString(m.host),
			QuorumPort:   uint16(m.quorum_port),
			ElectionPort: uint16(m.election_port),
			ClientPort:   uint16(m.client_port),
		}
		if m.client_host != nil {
			member.ClientHost = C.GoString(m.client_host)
		}
		out.Members = append(out.Members, member)
	}
	return out, nil
}
