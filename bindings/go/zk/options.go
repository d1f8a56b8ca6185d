package zk

// Connect's functional options, applied to a zk_options, and the logger.

/*
#include <stdlib.h>
#include "shims.h"
*/
import "C"

import (
	"fmt"
	"runtime/cgo"
	"time"
	"unsafe"
)

// An Option configures Connect.
type Option func(*config)

type authEntry struct {
	scheme string
	cred   []byte
}

type config struct {
	sessionTimeout time.Duration
	opTimeout      time.Duration
	auth           []authEntry
	defaultACL     []ACL
	readOnly       *bool
	randomize      *bool
	expiryFinal    *bool
	connRetry      *RetryPolicy
	cmdRetry       *RetryPolicy
	clientID       *ClientID
	maxFrame       int
	logger         func(LogLevel, string)
	logLevel       LogLevel
	tls            *TLSConfig
	follow         *bool
	sasl           SASLMechanism
}

// WithSessionTimeout asks for a session timeout (the server clamps it into its own range;
// Client.SessionTimeout says what it granted). The default is 10 s.
func WithSessionTimeout(d time.Duration) Option {
	return func(c *config) { c.sessionTimeout = d }
}

// WithAuth adds a credential, sent after every connect before any request, for example
// WithAuth("digest", []byte("user:password")). A refused one makes the client
// KeeperAuthFailed.
func WithAuth(scheme string, credential []byte) Option {
	return func(c *config) {
		c.auth = append(c.auth, authEntry{scheme, append([]byte(nil), credential...)})
	}
}

// SASLMechanism is a SASL mechanism with its credentials, for WithSASL. DigestMD5 is the
// one there is; others (GSSAPI) may join.
type SASLMechanism interface {
	applySASL(o *C.zk_options) error
}

// DigestMD5 is SASL DIGEST-MD5 (RFC 2831), for servers with a JAAS DigestLoginModule,
// whose ACLs then name the user as "sasl:<Username>". Username and AuthzID are 1 to 512
// bytes; none of the three may hold a NUL.
type DigestMD5 struct {
	Username string
	Password string
	// AuthzID is an authorization id to ask for; "" asks for none. ZooKeeper's servers
	// accept one but name the connection after Username all the same.
	AuthzID string
}

func (d DigestMD5) applySASL(o *C.zk_options) error {
	if hasNUL(d.Username) || hasNUL(d.Password) || hasNUL(d.AuthzID) {
		return codeError(C.ZK_RESULT_INVALID_ARGUMENT, "WithSASL", "")
	}
	user, password := C.CString(d.Username), C.CString(d.Password)
	defer C.free(unsafe.Pointer(user))
	defer C.free(unsafe.Pointer(password))
	var authzid *C.char // NULL: none
	if d.AuthzID != "" {
		authzid = C.CString(d.AuthzID)
		defer C.free(unsafe.Pointer(authzid))
	}
	return codeError(C.zk_options_set_sasl_digest_md5(o, user, password, authzid), "WithSASL", "")
}

// WithSASL authenticates with SASL on every connection, right after the handshake and
// before any other request (WithAuth's credentials included), for example
// WithSASL(DigestMD5{Username: "bob", Password: "pw"}). A server that refuses it (a wrong
// password, an unknown user, no SASL set up) makes the client KeeperAuthFailed for good:
// Connect returns ErrAuthFailed, saying why. kazoo's legacy form,
// WithAuth("sasl", []byte("user:password")), means DigestMD5 with that user and password;
// only one of the two may be given.
func WithSASL(m SASLMechanism) Option {
	return func(c *config) { c.sasl = m }
}

// WithDefaultACL sets the ACL that Create and EnsurePath use when a call gives none. The
// default is WorldACL(PermAll).
func WithDefaultACL(acl ...ACL) Option {
	return func(c *config) { c.defaultACL = append([]ACL(nil), acl...) }
}

// WithReadOnly accepts read-only servers (KeeperConnectedReadOnly) when no quorum can be
// reached; writes then fail with ErrNotReadOnly.
func WithReadOnly(readOnly bool) Option {
	return func(c *config) { c.readOnly = &readOnly }
}

// WithRandomizeHosts shuffles the host list on every pass (the default is true).
func WithRandomizeHosts(randomize bool) Option {
	return func(c *config) { c.randomize = &randomize }
}

// WithConnectionRetry sets the back-off between passes over the host list. When its tries
// run out the client closes and Connect returns ErrRetriesExhausted.
func WithConnectionRetry(p RetryPolicy) Option {
	return func(c *config) { c.connRetry = &p }
}

// WithCommandRetry retries idempotent calls (Exists, Get, Children, GetACL, Sync) after
// ErrConnectionLoss or ErrOperationTimeout, within each call's own deadline (by default
// they are tried up to 3 times; MaxTries 1 turns that off). Writes are never retried.
func WithCommandRetry(p RetryPolicy) Option {
	return func(c *config) { c.cmdRetry = &p }
}

// WithLogger sends the library's log messages at LogInfo or more severe (see WithLogLevel)
// to fn. fn runs on library threads, possibly several at once, and must not call the
// client. A panic in fn is recovered there and re-raised by the client's next method call
// (or Close), on the caller's goroutine.
func WithLogger(fn func(level LogLevel, message string)) Option {
	return func(c *config) { c.logger = fn }
}

// WithLogLevel sets the least severe level that WithLogger's function receives.
func WithLogLevel(level LogLevel) Option {
	return func(c *config) { c.logLevel = level }
}

// WithClientID resumes a session (from Client.ClientID of another client) instead of
// making a new one.
func WithClientID(id ClientID) Option {
	return func(c *config) { c.clientID = &id }
}

// WithOperationTimeout is the timeout of calls whose context has no deadline (default
// 10 s).
func WithOperationTimeout(d time.Duration) Option {
	return func(c *config) { c.opTimeout = d }
}

// WithMaxFrame sets the servers' jute.maxbuffer, in bytes (default 1,048,575, the server's
// default; at least 1024). A larger request fails with ErrTooLarge before anything is
// sent; replies may be 1 KiB larger.
func WithMaxFrame(bytes int) Option {
	return func(c *config) { c.maxFrame = bytes }
}

// WithExpiryFinal keeps the client expired after a session expiry (calls fail with
// ErrSessionExpired) instead of making a new session, which is the default.
func WithExpiryFinal(final bool) Option {
	return func(c *config) { c.expiryFinal = &final }
}

// WithFollowEnsemble makes the client follow the ensemble: it watches the servers'
// /zookeeper/config and, when a reconfig changes the members, replaces its host list with
// the members' client addresses (as SetHosts does: the session and its watches stay, and
// the client moves at once only if its server left the list), logging the change at
// LogInfo. With WithTLS it follows the members' secure client addresses, which only
// configs of ZooKeeper 3.10 and later name; without them the list is kept. Client.Hosts
// shows the list in use.
func WithFollowEnsemble(follow bool) Option {
	return func(c *config) { c.follow = &follow }
}

// TLSConfig is how WithTLS connects. The zero value trusts the system's CA bundle and
// checks the server's chain and host name.
type TLSConfig struct {
	CAFile   string // PEM CA certificates to trust; "" = the system bundle
	CertFile string // PEM client certificate chain (ZooKeeper maps it to x509 auth)
	KeyFile  string // its PEM key; CertFile and KeyFile go together
	// SkipVerify accepts any server certificate (and then checks no host name either).
	SkipVerify bool
	// SkipHostnameCheck checks the chain but not that the certificate names the host.
	SkipHostnameCheck bool
}

// WithTLS connects with TLS; the hosts must name the servers' secure client port. Files
// that cannot be used make Connect fail with ErrTLS.
func WithTLS(cfg TLSConfig) Option {
	return func(c *config) { c.tls = &cfg }
}

// LogLevel is the severity of a log message.
type LogLevel int32

const (
	LogError LogLevel = 1
	LogWarn  LogLevel = 2
	LogInfo  LogLevel = 3
	LogDebug LogLevel = 4
)

// zkclient.h's values: the build fails if one of them changes.
var (
	_ = [1]struct{}{}[LogError-C.ZK_LOG_LEVEL_ERROR]
	_ = [1]struct{}{}[LogWarn-C.ZK_LOG_LEVEL_WARN]
	_ = [1]struct{}{}[LogInfo-C.ZK_LOG_LEVEL_INFO]
	_ = [1]struct{}{}[LogDebug-C.ZK_LOG_LEVEL_DEBUG]
)

func (l LogLevel) String() string {
	switch l {
	case LogError:
		return "ERROR"
	case LogWarn:
		return "WARN"
	case LogInfo:
		return "INFO"
	case LogDebug:
		return "DEBUG"
	}
	return fmt.Sprintf("LogLevel(%d)", int32(l))
}

// logSink is the logger's userdata; the library releases it when the client is freed.
type logSink struct {
	fn     func(LogLevel, string)
	panics *panicBox
}

func (l *logSink) box() *panicBox { return l.panics }
func (l *logSink) release()       {}

// build makes the zk_options; the caller frees them. Each failure names the option.
func (c *config) build(hosts string, panics *panicBox) (*C.zk_options, error) {
	o := C.zk_options_new()
	ok := false
	defer func() {
		if !ok {
			C.zk_options_free(o)
		}
	}()
	check := func(r C.zk_result, op string) error { return codeError(r, op, "") }

	if hasNUL(hosts) {
		return nil, codeError(C.ZK_RESULT_INVALID_ARGUMENT, "connect", "")
	}
	ch := C.CString(hosts)
	err := check(C.zk_options_set_hosts(o, ch), "connect")
	C.free(unsafe.Pointer(ch))
	if err != nil {
		return nil, err
	}
	if c.sessionTimeout != 0 {
		if err := check(C.zk_options_set_session_timeout_ms(o, millis(c.sessionTimeout)), "WithSessionTimeout"); err != nil {
			return nil, err
		}
	}
	if c.opTimeout != 0 {
		if err := check(C.zk_options_set_operation_timeout_ms(o, millis(c.opTimeout)), "WithOperationTimeout"); err != nil {
			return nil, err
		}
	}
	for _, a := range c.auth {
		if hasNUL(a.scheme) {
			return nil, codeError(C.ZK_RESULT_INVALID_ARGUMENT, "WithAuth", "")
		}
		cs := C.CString(a.scheme)
		cred := C.CBytes(a.cred)
		r := C.zk_options_add_auth(o, cs, (*C.uint8_t)(cred), C.size_t(len(a.cred)))
		C.free(unsafe.Pointer(cs))
		C.free(cred)
		if err := check(r, "WithAuth"); err != nil {
			return nil, err
		}
	}
	for _, a := range c.defaultACL {
		if !validACL([]ACL{a}) {
			return nil, codeError(C.ZK_RESULT_INVALID_ACL, "WithDefaultACL", "")
		}
		ca := newCACL([]ACL{a})
		r := C.zk_options_add_default_acl(o, ca.ptr)
		ca.free()
		if err := check(r, "WithDefaultACL"); err != nil {
			return nil, err
		}
	}
	if c.readOnly != nil {
		if err := check(C.zk_options_set_read_only(o, C.bool(*c.readOnly)), "WithReadOnly"); err != nil {
			return nil, err
		}
	}
	if c.randomize != nil {
		if err := check(C.zk_options_set_randomize_hosts(o, C.bool(*c.randomize)), "WithRandomizeHosts"); err != nil {
			return nil, err
		}
	}
	if c.expiryFinal != nil {
		if err := check(C.zk_options_set_expiry_final(o, C.bool(*c.expiryFinal)), "WithExpiryFinal"); err != nil {
			return nil, err
		}
	}
	if c.connRetry != nil {
		p := c.connRetry.toC()
		if err := check(C.zk_options_set_connection_retry(o, &p), "WithConnectionRetry"); err != nil {
			return nil, err
		}
	}
	if c.cmdRetry != nil {
		p := c.cmdRetry.toC()
		if err := check(C.zk_options_set_command_retry(o, &p), "WithCommandRetry"); err != nil {
			return nil, err
		}
	}
	if c.clientID != nil {
		id := c.clientID.toC()
		if err := check(C.zk_options_set_client_id(o, &id), "WithClientID"); err != nil {
			return nil, err
		}
	}
	if c.maxFrame != 0 {
		n := c.maxFrame
		if n < 0 {
			n = 0
		}
		if err := check(C.zk_options_set_max_frame(o, C.size_t(n)), "WithMaxFrame"); err != nil {
			return nil, err
		}
	}
	if c.follow != nil {
		if err := check(C.zk_options_set_follow_ensemble(o, C.bool(*c.follow)), "WithFollowEnsemble"); err != nil {
			return nil, err
		}
	}
	if c.tls != nil {
		if err := c.tls.apply(o); err != nil {
			return nil, err
		}
	}
	if c.sasl != nil {
		if err := c.sasl.applySASL(o); err != nil {
			return nil, err
		}
	}
	if c.logger != nil {
		level := c.logLevel
		if level == 0 {
			level = LogInfo
		}
		h := cgo.NewHandle(&logSink{fn: c.logger, panics: panics})
		// On failure the library has already run the finalizer, which deleted h.
		if err := check(C.zkgo_set_logger(o, C.uintptr_t(h), C.zk_log_level(level)), "WithLogger"); err != nil {
			return nil, err
		}
	}
	ok = true
	return o, nil
}

func (t *TLSConfig) apply(o *C.zk_options) error {
	if hasNUL(t.CAFile) || hasNUL(t.CertFile) || hasNUL(t.KeyFile) {
		return codeError(C.ZK_RESULT_INVALID_ARGUMENT, "WithTLS", "")
	}
	// "" is NULL: no file.
	file := func(s string) *C.char {
		if s == "" {
			return nil
		}
		return C.CString(s)
	}
	ca, cert, key := file(t.CAFile), file(t.CertFile), file(t.KeyFile)
	defer C.free(unsafe.Pointer(ca))
	defer C.free(unsafe.Pointer(cert))
	defer C.free(unsafe.Pointer(key))
	verify := !t.SkipVerify
	hostname := verify && !t.SkipHostnameCheck
	return codeError(C.zk_options_set_tls(o, ca, cert, key, C.bool(verify), C.bool(hostname)), "WithTLS", "")
}
