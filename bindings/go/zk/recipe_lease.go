// The lease recipes: kazoo's NonBlockingLease and MultiNonBlockingLease over the C
// library's zk_lease_obtain and zk_multi_lease_obtain, on kazoo's znodes and JSON record.

package zk

/*
#include <stdlib.h>
#include "zkclient.h"
*/
import "C"

import (
	"context"
	"time"
)

// ObtainLease tries once to obtain (or, with the same identifier, renew) the lease at path
// for duration, and says whether identifier holds it now (false: another identifier's
// lease has not ended). An empty identifier is the host name, kazoo's default. The lease
// is kazoo's (path/lease_holder, a JSON record), so kazoo programs and ours compete for
// one lease. A lease ends at its end time, not with the session: renew it well before,
// and stop the leased work when a renewal fails. ctx's deadline bounds the attempt.
func ObtainLease(ctx context.Context, c *Client, path string, duration time.Duration, identifier string) (bool, error) {
	const op = "lease"
	if err := pathArg(op, path); err != nil {
		return false, err
	}
	var got C.bool
	err := c.lease(ctx, op, path, identifier, func(p *C.zk_client, cpath, ident *C.char, ms C.uint32_t) C.zk_result {
		return C.zk_lease_obtain(p, cpath, leaseMillis(duration), ident, ms, &got)
	})
	return bool(got) && err == nil, err
}

// ObtainMultiLease tries the leases path/0 .. path/<count-1> in order, as ObtainLease
// each, and returns the index of the one obtained (or renewed), or -1 when every one is
// held by another identifier (kazoo's MultiNonBlockingLease).
func ObtainMultiLease(ctx context.Context, c *Client, count int, path string, duration time.Duration, identifier string) (int, error) {
	const op = "multi lease"
	if err := pathArg(op, path); err != nil {
		return -1, err
	}
	if count <= 0 || count > 1<<31 {
		return -1, codeError(C.ZK_RESULT_INVALID_ARGUMENT, op, path)
	}
	var slot C.int64_t = -1
	err := c.lease(ctx, op, path, identifier, func(p *C.zk_client, cpath, ident *C.char, ms C.uint32_t) C.zk_result {
		return C.zk_multi_lease_obtain(p, C.uint32_t(count), cpath, leaseMillis(duration), ident, ms, &slot)
	})
	if err != nil {
		return -1, err
	}
	return int(slot), nil
}

// lease runs one lease attempt with the path and identifier as C strings (an empty
// identifier as NULL), ctx's deadline as the lock's timeout.
func (c *Client) lease(ctx context.Context, op, path, identifier string,
	call func(p *C.zk_client, cpath, ident *C.char, ms C.uint32_t) C.zk_result) error {
	return c.core.do(ctx, op, path, func(p *C.zk_client, ms C.uint32_t) C.zk_result {
		cpath, freePath := cString(path)
		defer freePath()
		var ident *C.char
		if identifier != "" {
			var freeIdent func()
			ident, freeIdent = cString(identifier)
			defer freeIdent()
		}
		return call(p, cpath, ident, ms)
	})
}

// leaseMillis is a duration in whole milliseconds, negative ones as zero.
func leaseMillis(d time.Duration) C.uint64_t {
	if d < 0 {
		return 0
	}
	return C.uint64_t(d / time.Millisecond)
}
