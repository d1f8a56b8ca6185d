package zk

// ACL entries (zk_acl, zk_acl_list) and the helpers that make them.

/*
#include <stdlib.h>
#include "zkclient.h"
*/
import "C"

import (
	"strings"
	"unsafe"
)

// Perm is a set of permission bits of an ACL entry.
type Perm uint32

const (
	PermRead   Perm = 1
	PermWrite  Perm = 2
	PermCreate Perm = 4
	PermDelete Perm = 8
	PermAdmin  Perm = 16
	PermAll    Perm = 31
)

// zkclient.h's values: the build fails if one of them changes.
var (
	_ = [1]struct{}{}[PermRead-C.ZK_PERM_READ]
	_ = [1]struct{}{}[PermWrite-C.ZK_PERM_WRITE]
	_ = [1]struct{}{}[PermCreate-C.ZK_PERM_CREATE]
	_ = [1]struct{}{}[PermDelete-C.ZK_PERM_DELETE]
	_ = [1]struct{}{}[PermAdmin-C.ZK_PERM_ADMIN]
	_ = [1]struct{}{}[PermAll-C.ZK_PERM_ALL]
)

// ACL is one entry of a node's access control list: permissions for an identity.
type ACL struct {
	Perms  Perm
	Scheme string // "world", "auth", "digest", "ip", ...
	ID     string // "anyone", "user:hash", "10.0.0.0/8", ...
}

// WorldACL gives perms to everyone.
func WorldACL(perms Perm) ACL {
	return ACL{Perms: perms, Scheme: "world", ID: "anyone"}
}

// AuthACL gives perms to every identity the creating session has authenticated as (with
// AddAuth or WithAuth); the server stores those identities in its place.
func AuthACL(perms Perm) ACL {
	return ACL{Perms: perms, Scheme: "auth", ID: ""}
}

// DigestACL gives perms to the digest user with this password; the entry holds only the
// digest id (see DigestID), not the password.
func DigestACL(perms Perm, user, password string) (ACL, error) {
	id, err := DigestID(user, password)
	if err != nil {
		return ACL{}, err
	}
	return ACL{Perms: perms, Scheme: "digest", ID: id}, nil
}

// DigestID is the id of a digest user, "user:base64(sha1(user:password))". A user name
// with a ':' is ErrInvalidArgument.
func DigestID(user, password string) (string, error) {
	if hasNUL(user) || hasNUL(password) {
		return "", codeError(C.ZK_RESULT_INVALID_ARGUMENT, "digest id", "")
	}
	cu, cp := C.CString(user), C.CString(password)
	defer C.free(unsafe.Pointer(cu))
	defer C.free(unsafe.Pointer(cp))
	var out *C.char
	if r := C.zk_digest_id(cu, cp, &out); r != C.ZK_RESULT_OK {
		return "", codeError(r, "digest id", "")
	}
	defer C.zk_string_free(out)
	return C.GoString(out), nil
}

func hasNUL(s string) bool { return strings.IndexByte(s, 0) >= 0 }

// cACL is an ACL copied to C memory for one call.
type cACL struct {
	ptr *C.zk_acl
	n   C.size_t
}

// validACL reports whether every string of acl can cross to C (has no NUL byte).
func validACL(acl []ACL) bool {
	for _, a := range acl {
		if hasNUL(a.Scheme) || hasNUL(a.ID) {
			return false
		}
	}
	return true
}

// newCACL copies acl (checked with validACL) to C memory; an empty acl gives {nil, 0},
// which the library reads as "the client's default ACL". Free with free.
func newCACL(acl []ACL) cACL {
	if len(acl) == 0 {
		return cACL{}
	}
	p := (*C.zk_acl)(C.calloc(C.size_t(len(acl)), C.size_t(unsafe.Sizeof(C.zk_acl{}))))
	items := unsafe.Slice(p, len(acl))
	for i, a := range acl {
		items[i] = C.zk_acl{perms: C.uint32_t(a.Perms), scheme: C.CString(a.Scheme), id: C.CString(a.ID)}
	}
	return cACL{ptr: p, n: C.size_t(len(acl))}
}

func (c cACL) free() {
	if c.ptr == nil {
		return
	}
	for _, a := range unsafe.Slice(c.ptr, int(c.n)) {
		C.free(unsafe.Pointer(a.scheme))
		C.free(unsafe.Pointer(a.id))
	}
	C.free(unsafe.Pointer(c.ptr))
}

// aclsFromC copies and frees a list the library returned.
func aclsFromC(list *C.zk_acl_list) []ACL {
	defer C.zk_acl_list_free(list)
	n := int(C.zk_acl_list_len(list))
	out := make([]ACL, 0, n)
	for i := 0; i < n; i++ {
		var a C.zk_acl
		if C.zk_acl_list_get(list, C.size_t(i), &a) != C.ZK_RESULT_OK {
			break
		}
		out = append(out, ACL{Perms: Perm(a.perms), Scheme: C.GoString(a.scheme), ID: C.GoString(a.id)})
	}
	return out
}
