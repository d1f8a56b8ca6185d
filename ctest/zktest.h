/* zktest: the C tests' own tiny framework and the helpers every test file shares.
 *
 * A test is `static void name(void)`; each test file ends with a ZKT_SUITE table that
 * main.c walks. CHECK* record a failure (file:line and the values) and go on; REQUIRE*
 * also return from the test, for when going on would only crash. Failures may be
 * recorded from any thread (watch callbacks, listeners, worker threads).
 *
 * Every test works under its own root znode, /ctest-<pid>-<test name>, made by
 * zkt_setup and removed (recursively) by zkt_teardown, so tests never see each other.
 */
#ifndef ZKTEST_H
#define ZKTEST_H

#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "zkclient.h"

/* ------------------------------------------------------------------ registry */

typedef void (*zkt_fn)(void);

struct zkt_case {
    const char *name;
    zkt_fn fn;
};

#define ZKT_CASE(fn) { #fn, fn }
#define ZKT_SUITE(name) const struct zkt_case zkt_suite_##name[]
#define ZKT_END { NULL, NULL }

/* ------------------------------------------------------------------ checks */

/* Records one failure of the running test (thread-safe). */
void zkt_fail(const char *file, int line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Failures recorded so far in the running test. */
int zkt_failures(void);

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond))                                                         \
            zkt_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                \
    } while (0)

#define CHECK_EQ(a, b)                                                       \
    do {                                                                     \
        long long zkt_a_ = (long long)(a), zkt_b_ = (long long)(b);          \
        if (zkt_a_ != zkt_b_)                                                \
            zkt_fail(__FILE__, __LINE__, "CHECK_EQ(%s, %s): %lld != %lld",   \
                     #a, #b, zkt_a_, zkt_b_);                                \
    } while (0)

#define CHECK_STR(a, b)                                                      \
    do {                                                                     \
        const char *zkt_a_ = (a), *zkt_b_ = (b);                             \
        if (zkt_a_ == NULL || zkt_b_ == NULL || strcmp(zkt_a_, zkt_b_) != 0) \
            zkt_fail(__FILE__, __LINE__, "CHECK_STR(%s, %s): \"%s\" != \"%s\"", \
                     #a, #b, zkt_a_ ? zkt_a_ : "(null)",                     \
                     zkt_b_ ? zkt_b_ : "(null)");                            \
    } while (0)

/* A zk_result compared with the expected code; prints both names' messages. */
#define CHECK_RC(expr, want)                                                 \
    do {                                                                     \
        zk_result zkt_got_ = (expr), zkt_want_ = (want);                     \
        if (zkt_got_ != zkt_want_)                                           \
            zkt_fail(__FILE__, __LINE__, "%s: got %d (%s), want %d (%s)",    \
                     #expr, (int)zkt_got_, zk_result_message(zkt_got_),      \
                     (int)zkt_want_, zk_result_message(zkt_want_));          \
    } while (0)

#define CHECK_OK(expr) CHECK_RC(expr, ZK_RESULT_OK)

#define REQUIRE(cond)                                                        \
    do {                                                                     \
        if (!(cond)) {                                                       \
            zkt_fail(__FILE__, __LINE__, "REQUIRE(%s)", #cond);              \
            return;                                                          \
        }                                                                    \
    } while (0)

#define REQUIRE_OK(expr)                                                     \
    do {                                                                     \
        int zkt_before_ = zkt_failures();                                    \
        CHECK_OK(expr);                                                      \
        if (zkt_failures() != zkt_before_)                                   \
            return;                                                          \
    } while (0)

/* ------------------------------------------------------------------ environment */

/* $ZK_HOSTS (main refuses to run without it). */
const char *zkt_hosts(void);

/* Name of the running test. */
const char *zkt_test_name(void);

/* Milliseconds on a monotonic clock. */
int64_t zkt_now_ms(void);

/* Milliseconds since the epoch (to compare with Stat times). */
int64_t zkt_wall_ms(void);

void zkt_sleep_ms(int ms);

/* An integer from the environment, or `dflt` when unset or not a number. */
long zkt_env_long(const char *name, long dflt);

/* How long waits for an event last: scaled by $ZKTEST_TIME_SCALE under valgrind. */
int zkt_wait_ms(int ms);

/* ------------------------------------------------------------------ the server */

/* A ZooKeeper release, e.g. {3, 9, 5}. */
struct zkt_version {
    int major, minor, patch;
};

/* The release of the server at ZK_HOSTS's first host (3.8 or 3.9, as ZK_VERSION chose in
 * the harness), from the first line of its `srvr` ("Zookeeper version: 3.9.5-<sha>, ...")
 * read over a socket of its own, not through the library under test. For tests whose
 * expectation differs by version. {0, 0, 0}, after recording a failure, if it cannot. */
struct zkt_version zkt_server_version(void);

/* True if `v` is major.minor or later. */
bool zkt_version_at_least(struct zkt_version v, int major, int minor);

/* ------------------------------------------------------------------ clients and paths */

#define ZKT_PATH_MAX 256

/* Options for ZK_HOSTS (plus `suffix`, e.g. a chroot, when not NULL). Never NULL. */
zk_options *zkt_options(const char *suffix);

/* A started client from `opts` (not freed here), or NULL after recording why. */
zk_client *zkt_start(const zk_options *opts);

/* A started client on ZK_HOSTS with default options, or NULL after recording why. */
zk_client *zkt_connect(void);

/* Connects and creates the test's root /ctest-<pid>-<test>; writes it to `root`.
 * NULL (after recording why) if either fails. */
zk_client *zkt_setup(char root[ZKT_PATH_MAX]);

/* Deletes `root` recursively (checked) and frees the client. */
void zkt_teardown(zk_client *c, const char *root);

/* snprintf into a ZKT_PATH_MAX buffer: zkt_path(buf, "%s/a", root). */
char *zkt_path(char buf[ZKT_PATH_MAX], const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* zk_create of a persistent node with a string's bytes, default ACL. */
zk_result zkt_create(zk_client *c, const char *path, const char *data);

/* zk_get into a NUL-terminated malloc'd copy in *out (free()), for string data. */
zk_result zkt_get_str(zk_client *c, const char *path, char **out, zk_stat *stat);

/* zk_set with a string's bytes, any version. */
zk_result zkt_set_str(zk_client *c, const char *path, const char *data);

/* The number of children of `path`: 0 when it does not exist, -1 after recording why
 * they could not be read. */
int zkt_count_children(zk_client *c, const char *path);

/* ------------------------------------------------------------------ connection cutter */

/* A TCP proxy on 127.0.0.1 in front of the first server of ZK_HOSTS, run by its own
 * thread, so a test can take a client's connection away (and give it back) while the
 * server and the session live on. */
struct zkt_proxy;

/* Starts forwarding; the port to connect to goes to *port. NULL (recorded) on failure. */
struct zkt_proxy *zkt_proxy_start(int *port);

/* cut = true: closes every forwarded connection and from then on closes new ones at
 * once (the client sees its server vanish); false: forwards again. */
void zkt_proxy_cut(struct zkt_proxy *p, bool cut);

/* Holds back what the server sends on the connections forwarded now (what the client
 * sends still goes through), so a request can be caught in flight: sent, maybe applied,
 * its reply unseen. Until those connections are cut; later ones flow normally. */
void zkt_proxy_stall(struct zkt_proxy *p);

void zkt_proxy_free(struct zkt_proxy *p);

/* ------------------------------------------------------------------ event recording */

#define ZKT_MAX_EVENTS 64

struct zkt_event {
    zk_event_type type;
    zk_keeper_state state;
    char path[ZKT_PATH_MAX];
    int64_t zxid;
};

/* Collects watch events, listener transitions and finalizer runs from library threads;
 * tests wait on it with a timeout. */
struct zkt_rec {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct zkt_event events[ZKT_MAX_EVENTS];
    int n_events;
    zk_state states[ZKT_MAX_EVENTS];
    zk_keeper_state keeper_states[ZKT_MAX_EVENTS];
    int n_states;
    int finals;
    int log_lines;
    int log_hits; /* log lines containing `log_needle` */
    const char *log_needle;
};

void zkt_rec_init(struct zkt_rec *r);
void zkt_rec_destroy(struct zkt_rec *r);

/* A zk_watcher whose callback and finalizer record into `r`. */
zk_watcher zkt_watcher(struct zkt_rec *r);

/* Callbacks that record into the zkt_rec passed as userdata. */
void zkt_on_watch(void *ud, const zk_event *e);
void zkt_on_state(void *ud, zk_state s, zk_keeper_state k);
void zkt_on_final(void *ud);
void zkt_on_log(void *ud, zk_log_level level, const char *msg);

/* Snapshot counters under the lock. */
int zkt_rec_events(struct zkt_rec *r);
int zkt_rec_states(struct zkt_rec *r);
int zkt_rec_finals(struct zkt_rec *r);

/* Wait until the counter reaches `n` or `ms` pass; true if it did. */
bool zkt_wait_events(struct zkt_rec *r, int n, int ms);
bool zkt_wait_states(struct zkt_rec *r, int n, int ms);
bool zkt_wait_finals(struct zkt_rec *r, int n, int ms);

/* Wakes whoever waits on `r` (after a test changed something it protects). */
void zkt_rec_signal(struct zkt_rec *r);

/* Waits on r->cv (r->mu held) until `done(r, arg)` or `ms` pass. */
bool zkt_rec_wait(struct zkt_rec *r, bool (*done)(struct zkt_rec *, void *), void *arg, int ms);

#endif /* ZKTEST_H */
