package zk

// Retry policies (zk_retry_policy) for WithConnectionRetry and WithCommandRetry.

/*
#include "zkclient.h"
*/
import "C"

import (
	"math"
	"time"
)

// RetryPolicy is a back-off policy, as kazoo's KazooRetry. Start from DefaultRetryPolicy.
type RetryPolicy struct {
	MaxTries  int           // attempts in all: 1 = no retry, -1 = unbounded
	Delay     time.Duration // the first delay
	Backoff   float64       // factor applied to the delay after each sleep (>= 1)
	MaxJitter float64       // relative jitter in [0, 1): 0.4 = each sleep is 60%..140% of the delay
	MaxDelay  time.Duration // ceiling of the delay
	Deadline  time.Duration // total time allowed from the first attempt; 0 = no limit
}

// DefaultRetryPolicy is the library's default: unbounded tries, 100 ms doubling, 40%
// jitter, a 60 s ceiling, no deadline.
func DefaultRetryPolicy() RetryPolicy {
	var p C.zk_retry_policy
	C.zk_retry_policy_init(&p)
	r := RetryPolicy{
		MaxTries:  int(p.max_tries),
		Delay:     time.Duration(p.delay_ms) * time.Millisecond,
		Backoff:   float64(p.backoff),
		MaxJitter: float64(p.max_jitter),
		MaxDelay:  time.Duration(p.max_delay_ms) * time.Millisecond,
	}
	if p.deadline_ms >= 0 {
		r.Deadline = time.Duration(p.deadline_ms) * time.Millisecond
	}
	return r
}

func (r RetryPolicy) toC() C.zk_retry_policy {
	tries := r.MaxTries
	if tries > math.MaxInt32 || tries < math.MinInt32 {
		tries = -1
	}
	deadline := C.int64_t(-1)
	if r.Deadline > 0 {
		deadline = C.int64_t(r.Deadline.Milliseconds())
	}
	return C.zk_retry_policy{
		max_tries:    C.int32_t(tries),
		delay_ms:     millis(r.Delay),
		backoff:      C.double(r.Backoff),
		max_jitter:   C.double(r.MaxJitter),
		max_delay_ms: millis(r.MaxDelay),
		deadline_ms:  deadline,
	}
}

// millis converts a duration to whole milliseconds for the C API: rounded up (so a small
// positive duration is not 0, which often means "default"), negative as 0, too long as
// the largest value, which the library then checks like any other.
func millis(d time.Duration) C.uint32_t {
	if d <= 0 {
		return 0
	}
	ms := (d + time.Millisecond - 1) / time.Millisecond
	if ms > math.MaxUint32 {
		return math.MaxUint32
	}
	return C.uint32_t(ms)
}
