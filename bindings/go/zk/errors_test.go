package zk

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The table of Err* values must follow zkclient.h: one per ZK_RESULT_ code but OK, with
// the header's number and name, and no value for a code the header does not have.
func TestErrorTableCoversEveryResultCodeOfTheHeader(t *testing.T) {
	header, err := os.ReadFile("../../../include/zkclient.h")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^\s*ZK_RESULT_([A-Z0-9_]+) = (-?\d+),`)
	matches := re.FindAllStringSubmatch(string(header), -1)
	if len(matches) < 40 {
		t.Fatalf("found only %d ZK_RESULT_ codes in the header; did its format change?", len(matches))
	}
	seen := map[Code]bool{}
	for _, m := range matches {
		name := m[1]
		n, _ := strconv.Atoi(m[2])
		if name == "OK" {
			continue
		}
		code := Code(n)
		seen[code] = true
		e, ok := byCode[code]
		if !ok {
			t.Errorf("ZK_RESULT_%s (%d) has no Err value in errors.go", name, n)
			continue
		}
		if e.name != name || code.Name() != name {
			t.Errorf("code %d is ZK_RESULT_%s in the header but %q in errors.go", n, name, e.name)
		}
		if msg := code.String(); msg == "" || strings.HasPrefix(msg, "unknown result code") {
			t.Errorf("ZK_RESULT_%s has no message of its own: %q", name, msg)
		}
	}
	for code, e := range byCode {
		if !seen[code] {
			t.Errorf("errors.go has %s (%d), which the header does not", e.name, code)
		}
	}
}

func TestErrorsIsComparesCodesAndMessageNamesTheCall(t *testing.T) {
	err := error(&Error{Code: ErrNoNode.(*Error).Code, Op: "get", Path: "/a/b"})
	wrapped := fmt.Errorf("loading config: %w", err)
	if !errors.Is(wrapped, ErrNoNode) {
		t.Fatal("errors.Is(wrapped NO_NODE, ErrNoNode) is false")
	}
	if errors.Is(wrapped, ErrNodeExists) {
		t.Fatal("errors.Is(NO_NODE, ErrNodeExists) is true")
	}
	var ze *Error
	if !errors.As(wrapped, &ze) || ze.Path != "/a/b" || ze.Code.Name() != "NO_NODE" {
		t.Fatalf("errors.As gave %#v", ze)
	}
	want := "zk: get: /a/b: " + ErrNoNode.(*Error).Code.String()
	if err.Error() != want {
		t.Fatalf("Error() = %q, want %q", err.Error(), want)
	}
	if got := Code(12345).String(); got != "unknown result code 12345" {
		t.Fatalf("an unknown code's message is %q", got)
	}
	if errors.Is(ErrTimedOut, context.DeadlineExceeded) {
		t.Fatal("a bare ErrTimedOut claims to be a context deadline")
	}
}

func TestTimedOutAtTheContextDeadlineIsAlsoDeadlineExceeded(t *testing.T) {
	past := time.Now().Add(-time.Millisecond)
	err := newError(-1007, "get", "/x", past)
	if !errors.Is(err, ErrTimedOut) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%v: want both ErrTimedOut and context.DeadlineExceeded", err)
	}
	// The client's own operation timeout, with no context deadline, is not a context error.
	err = newError(-1007, "get", "/x", time.Time{})
	if !errors.Is(err, ErrTimedOut) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%v: want ErrTimedOut only", err)
	}
	if newError(0, "get", "/x", past) != nil {
		t.Fatal("OK is not an error")
	}
}
