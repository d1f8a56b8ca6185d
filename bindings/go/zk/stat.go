package zk

// A node's metadata (zk_stat).

/*
#include "zkclient.h"
*/
import "C"

import "time"

// Stat is a node's metadata as the server keeps it.
type Stat struct {
	Czxid          int64     // zxid of the change that created the node
	Mzxid          int64     // zxid of the last change to its data
	Ctime          time.Time // when it was created
	Mtime          time.Time // when its data last changed
	Version        int32     // changes to its data
	Cversion       int32     // changes to its children
	Aversion       int32     // changes to its ACL
	EphemeralOwner int64     // the owning session of an ephemeral node, 0 otherwise
	DataLength     int32
	NumChildren    int32
	Pzxid          int64 // zxid of the last change to its children
}

func statFromC(s *C.zk_stat) *Stat {
	return &Stat{
		Czxid:          int64(s.czxid),
		Mzxid:          int64(s.mzxid),
		Ctime:          time.UnixMilli(int64(s.ctime)),
		Mtime:          time.UnixMilli(int64(s.mtime)),
		Version:        int32(s.version),
		Cversion:       int32(s.cversion),
		Aversion:       int32(s.aversion),
		EphemeralOwner: int64(s.ephemeral_owner),
		DataLength:     int32(s.data_length),
		NumChildren:    int32(s.num_children),
		Pzxid:          int64(s.pzxid),
	}
}
