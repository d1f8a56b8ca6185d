package zk

import (
	"testing"
	"time"
)

// Every field of Stat follows the node's history.
func TestStatFieldsFollowTheNode(t *testing.T) {
	c := connect(t)
	root := testRoot(t, c)
	ctx := t.Context()
	p := root + "/s"
	_, created, err := c.Create(ctx, p, []byte("abc"))
	if err != nil {
		t.Fatal(err)
	}
	if created.Czxid != created.Mzxid || created.Czxid != created.Pzxid || !created.Ctime.Equal(created.Mtime) {
		t.Fatalf("fresh node: %+v", created)
	}
	time.Sleep(5 * time.Millisecond)
	set, _ := c.Set(ctx, p, []byte("abcdef"), AnyVersion)
	mustCreate(t, c, p+"/kid", nil)
	_, _ = c.SetACL(ctx, p, []ACL{WorldACL(PermAll)}, AnyVersion)
	_, st, err := c.Get(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case st.Czxid != created.Czxid || !st.Ctime.Equal(created.Ctime):
		t.Errorf("creation changed: %+v", st)
	case st.Mzxid != set.Mzxid || st.Mzxid <= st.Czxid || !st.Mtime.After(st.Ctime):
		t.Errorf("modification not recorded: %+v", st)
	case st.Version != 1 || st.Cversion != 1 || st.Aversion != 1:
		t.Errorf("versions %d/%d/%d, want 1/1/1", st.Version, st.Cversion, st.Aversion)
	case st.DataLength != 6 || st.NumChildren != 1 || st.Pzxid <= st.Mzxid || st.EphemeralOwner != 0:
		t.Errorf("sizes or pzxid: %+v", st)
	}
}
