package zk

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMultiAppliesEveryOpAndReportsEach(t *testing.T) {
	c := connect(t)
	root := testRoot(t, c)
	ctx := t.Context()
	mustCreate(t, c, root+"/old", []byte("x"))
	res, err := c.Multi(ctx,
		CreateOp{Path: root + "/a", Data: []byte("1")},
		&CreateOp{Path: root + "/seq-", Flags: Sequence | Ephemeral},
		SetOp{Path: root + "/a", Data: []byte("2"), Version: 0},
		CheckOp{Path: root + "/old", Version: 0},
		DeleteOp{Path: root + "/old", Version: 0},
	)
	if err != nil || len(res) != 5 {
		t.Fatalf("Multi = %v, %v", res, err)
	}
	if res[0].Path != root+"/a" || res[0].Err != nil {
		t.Fatalf("create result %+v", res[0])
	}
	// A create's Stat comes from 3.9, not from 3.8.
	if got39 := res[0].Stat != nil; got39 != serverVersion(t).atLeast(3, 9) {
		t.Fatalf("create Stat %+v from a server where 3.9 = %v", res[0].Stat, !got39)
	}
	if res[0].Stat != nil && (res[0].Stat.Version != 0 || res[0].Stat.DataLength != 1) {
		t.Fatalf("create Stat %+v", res[0].Stat)
	}
	if !strings.HasPrefix(res[1].Path, root+"/seq-") || len(res[1].Path) != len(root+"/seq-")+10 {
		t.Fatalf("sequential create result %+v", res[1])
	}
	if res[2].Stat == nil || res[2].Stat.Version != 1 || res[2].Path != "" {
		t.Fatalf("set result %+v", res[2])
	}
	if res[3] != (OpResult{}) || res[4] != (OpResult{}) {
		t.Fatalf("check, delete results %+v %+v", res[3], res[4])
	}
	data, _, err := c.Get(ctx, root+"/a")
	if err != nil || string(data) != "2" {
		t.Fatalf("Get = %q, %v", data, err)
	}
	if ok, _, _ := c.Exists(ctx, root+"/old"); ok {
		t.Fatal("deleted node still there")
	}
	if res, err := c.Multi(ctx); err != nil || len(res) != 0 {
		t.Fatalf("empty Multi = %v, %v", res, err)
	}
}

func TestAFailedMultiAppliesNothingAndNamesTheFailingOp(t *testing.T) {
	c := connect(t)
	root := testRoot(t, c)
	ctx := t.Context()
	res, err := c.Multi(ctx,
		CreateOp{Path: root + "/a"},
		CheckOp{Path: root, Version: 7},
		CreateOp{Path: root + "/b"},
	)
	if !errors.Is(err, ErrBadVersion) {
		t.Fatalf("Multi error %v, want ErrBadVersion", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Path != root || e.Op != "multi" {
		t.Fatalf("error %#v does not name the failing op", err)
	}
	if len(res) != 3 || !errors.Is(res[0].Err, ErrRuntimeInconsistency) ||
		!errors.Is(res[1].Err, ErrBadVersion) || !errors.Is(res[2].Err, ErrRuntimeInconsistency) {
		t.Fatalf("results %+v", res)
	}
	if ok, _, _ := c.Exists(ctx, root+"/a"); ok {
		t.Fatal("a failed transaction applied its create")
	}
	// Refused before anything is sent: a bad path, MakePath, a NUL byte.
	if _, err := c.Multi(ctx, CreateOp{Path: "no-slash"}); !errors.Is(err, ErrInvalidPath) {
		t.Fatalf("bad path: %v", err)
	}
	if _, err := c.Multi(ctx, CreateOp{Path: root + "/m/x", Flags: MakePath}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("MakePath: %v", err)
	}
	if _, err := c.Multi(ctx, DeleteOp{Path: root + "/\x00"}); !errors.Is(err, ErrInvalidPath) {
		t.Fatalf("NUL: %v", err)
	}
}

func TestMultiReadAnswersEachReadOnItsOwn(t *testing.T) {
	c := connect(t)
	root := testRoot(t, c)
	ctx := t.Context()
	mustCreate(t, c, root+"/a", []byte("alpha"))
	mustCreate(t, c, root+"/a/y", nil)
	mustCreate(t, c, root+"/a/x", nil)
	res, err := c.MultiRead(ctx,
		GetDataOp{Path: root + "/a"},
		GetChildrenOp{Path: root + "/a"},
		GetDataOp{Path: root + "/missing"},
	)
	if err != nil || len(res) != 3 {
		t.Fatalf("MultiRead = %v, %v", res, err)
	}
	_, st, _ := c.Get(ctx, root+"/a")
	if string(res[0].Data) != "alpha" || res[0].Stat == nil || *res[0].Stat != *st || res[0].Err != nil {
		t.Fatalf("get result %+v", res[0])
	}
	if !slices.Equal(res[1].Children, []string{"x", "y"}) || res[1].Err != nil {
		t.Fatalf("children result %+v", res[1])
	}
	if !errors.Is(res[2].Err, ErrNoNode) || res[2].Data != nil {
		t.Fatalf("missing result %+v", res[2])
	}
	if _, err := c.MultiRead(ctx, GetDataOp{Path: "bad"}); !errors.Is(err, ErrInvalidPath) {
		t.Fatalf("bad path: %v", err)
	}
	if res, err := c.MultiRead(ctx); err != nil || len(res) != 0 {
		t.Fatalf("empty MultiRead = %v, %v", res, err)
	}
}

func TestWhoAmINamesTheAddressThenTheDigestUser(t *testing.T) {
	c := connect(t)
	ctx := t.Context()
	ids, err := c.WhoAmI(ctx)
	if err != nil || !slices.Equal(ids, []Identity{{"ip", "127.0.0.1"}}) {
		t.Fatalf("WhoAmI = %v, %v", ids, err)
	}
	if err := c.AddAuth(ctx, "digest", []byte("gouser:pw")); err != nil {
		t.Fatal(err)
	}
	ids, err = c.WhoAmI(ctx)
	if err != nil || !slices.Contains(ids, Identity{"digest", "gouser"}) || len(ids) != 2 {
		t.Fatalf("WhoAmI after AddAuth = %v, %v", ids, err)
	}
	c.Close()
	if _, err := c.WhoAmI(ctx); !errors.Is(err, ErrClosed) {
		t.Fatalf("WhoAmI after Close: %v", err)
	}
}

func TestEventsCarryTheZxidOfTheirChangeOn39(t *testing.T) {
	c := connect(t)
	root := testRoot(t, c)
	ctx := t.Context()
	p := root + "/n"
	mustCreate(t, c, p, nil)
	_, _, ch, err := c.GetW(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Set(ctx, p, []byte("b"), AnyVersion)
	if err != nil {
		t.Fatal(err)
	}
	ev, ok := recv(t, ch, 5*time.Second, "data watch")
	want := int64(-1)
	if serverVersion(t).atLeast(3, 9) {
		want = st.Mzxid
	}
	if !ok || ev.Type != EventNodeDataChanged || ev.Zxid != want {
		t.Fatalf("event %+v, want zxid %d", ev, want)
	}
}
