package zk

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestObtainLeaseGoesToOneIdentifierAndIsRenewedByIt(t *testing.T) {
	c := connect(t)
	ctx := context.Background()
	path := testRoot(t, c) + "/lease"
	for _, step := range []struct {
		id   string
		want bool
	}{{"a", true}, {"b", false}, {"a", true}} {
		got, err := ObtainLease(ctx, c, path, time.Hour, step.id)
		if err != nil || got != step.want {
			t.Fatalf("ObtainLease(%s) = %v, %v; want %v", step.id, got, err, step.want)
		}
	}
	data, _, err := c.Get(ctx, path+"/lease_holder")
	if err != nil || !strings.HasPrefix(string(data), `{"version": 1, "holder": "a", "end": "`) {
		t.Fatalf("record %q, %v", data, err)
	}
	if _, err := ObtainLease(ctx, c, "/", time.Hour, "a"); err == nil {
		t.Fatal("a lease at the root was taken")
	}
}

func TestObtainMultiLeaseHandsOutEachSlotOnce(t *testing.T) {
	c := connect(t)
	ctx := context.Background()
	path := testRoot(t, c) + "/multi"
	for _, step := range []struct {
		id   string
		want int
	}{{"a", 0}, {"b", 1}, {"c", -1}, {"b", 1}} {
		got, err := ObtainMultiLease(ctx, c, 2, path, time.Hour, step.id)
		if err != nil || got != step.want {
			t.Fatalf("ObtainMultiLease(%s) = %v, %v; want %v", step.id, got, err, step.want)
		}
	}
	if _, err := ObtainMultiLease(ctx, c, 0, path, time.Hour, "a"); err == nil {
		t.Fatal("a count of 0 was taken")
	}
}
