/*
 * The zookeeper.h test suite: one binary, compiled against Debian's zookeeper.h and linked
 * with -lzookeeper_mt, run once with Debian's library and once with ours (LD_LIBRARY_PATH;
 * compat/tests/run.sh). Each test asserts what zookeeper.h documents; where the two
 * libraries differ on purpose (docs/compat.md), the test asserts each one's behaviour,
 * told by ZKCOMPAT_LIB=official|ours. The hostile-server cases run in a child process
 * against a fake server in this file, since they crash or hang the official client.
 *
 *   ZK_HOSTS=127.0.0.1:2181 ZKCOMPAT_LIB=ours compat_test [NAME-SUBSTRING...]
 *
 * The server must have extendedTypesEnabled=true (TTL nodes). Last line: "N passed, M failed".
 */
#define _GNU_SOURCE
#define THREADED
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zookeeper.h>
#include <zookeeper_log.h>

static const char *hosts;
static int ours; /* ZKCOMPAT_LIB=ours */
static int failures_here;
static char root[64];

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);              \
            failures_here++;                                                               \
        }                                                                                  \
    } while (0)
#define CHECK_RC(expr, want)                                                               \
    do {                                                                                   \
        int rc_ = (expr);                                                                  \
        if (rc_ != (want)) {                                                               \
            fprintf(stderr, "  FAIL %s:%d: %s = %d (%s), want %d\n", __FILE__, __LINE__,   \
                    #expr, rc_, zerror(rc_), (want));                                      \
            failures_here++;                                                               \
        }                                                                                  \
    } while (0)

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static char *path_of(char *buf, const char *leaf) {
    snprintf(buf, 256, "%s/%s", root, leaf);
    return buf;
}

/* ------------------------------------------------------------------ events */

#define MAX_EVENTS 64
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int n;
    int type[MAX_EVENTS], state[MAX_EVENTS];
    char path[MAX_EVENTS][128];
    void *ctx[MAX_EVENTS];
} events_t;

static events_t global_events = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, {0}, {0}, {{0}}, {0}};
static events_t watch_events = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, {0}, {0}, {{0}}, {0}};

static void record(events_t *e, int type, int state, const char *path, void *ctx) {
    pthread_mutex_lock(&e->mu);
    if (e->n < MAX_EVENTS) {
        e->type[e->n] = type;
        e->state[e->n] = state;
        snprintf(e->path[e->n], sizeof e->path[0], "%s", path ? path : "(null)");
        e->ctx[e->n] = ctx;
        e->n++;
    }
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

static void reset(events_t *e) {
    pthread_mutex_lock(&e->mu);
    e->n = 0;
    pthread_mutex_unlock(&e->mu);
}

/* waits until e holds at least n events (or ms pass); returns the count */
static int wait_events(events_t *e, int n, int ms) {
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += ms / 1000;
    dl.tv_nsec += (ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&e->mu);
    while (e->n < n && pthread_cond_timedwait(&e->cv, &e->mu, &dl) == 0) {
    }
    int got = e->n;
    pthread_mutex_unlock(&e->mu);
    return got;
}

static void global_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx) {
    (void)zh;
    record(&global_events, type, state, path, ctx);
}

static void call_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx) {
    (void)zh;
    record(&watch_events, type, state, path, ctx);
}

/* a connected handle with the global watcher and `ctx` as its context */
static zhandle_t *connect_ctx(void *ctx) {
    reset(&global_events);
    zhandle_t *zh = zookeeper_init(hosts, global_watcher, 10000, NULL, ctx, 0);
    if (!zh) return NULL;
    for (int i = 0; i < 200 && zoo_state(zh) != ZOO_CONNECTED_STATE; i++) sleep_ms(25);
    wait_events(&global_events, 1, 2000);
    return zh;
}

static zhandle_t *connect_plain(void) { return connect_ctx(NULL); }

/* ------------------------------------------------------------------ tests */

static void test_constants(void) {
    CHECK(ZOO_PERM_READ == 1 && ZOO_PERM_WRITE == 2 && ZOO_PERM_CREATE == 4);
    CHECK(ZOO_PERM_DELETE == 8 && ZOO_PERM_ADMIN == 16 && ZOO_PERM_ALL == 31);
    CHECK(ZOO_PERSISTENT == 0 && ZOO_EPHEMERAL == 1 && ZOO_PERSISTENT_SEQUENTIAL == 2);
    CHECK(ZOO_EPHEMERAL_SEQUENTIAL == 3 && ZOO_CONTAINER == 4 && ZOO_SEQUENCE == 2);
    CHECK(ZOO_PERSISTENT_WITH_TTL == 5 && ZOO_PERSISTENT_SEQUENTIAL_WITH_TTL == 6);
    CHECK(ZOO_EXPIRED_SESSION_STATE == -112 && ZOO_AUTH_FAILED_STATE == -113);
    CHECK(ZOO_CONNECTING_STATE == 1 && ZOO_ASSOCIATING_STATE == 2 && ZOO_CONNECTED_STATE == 3);
    CHECK(ZOO_READONLY_STATE == 5 && ZOO_NOTCONNECTED_STATE == 999);
    CHECK(ZOO_CREATED_EVENT == 1 && ZOO_DELETED_EVENT == 2 && ZOO_CHANGED_EVENT == 3);
    CHECK(ZOO_CHILD_EVENT == 4 && ZOO_SESSION_EVENT == -1 && ZOO_NOTWATCHING_EVENT == -2);
    CHECK(ZOOKEEPER_WRITE == 1 && ZOOKEEPER_READ == 2);
    CHECK(ZOO_OPEN_ACL_UNSAFE.count == 1 && ZOO_OPEN_ACL_UNSAFE.data[0].perms == 31);
    CHECK(strcmp(ZOO_OPEN_ACL_UNSAFE.data[0].id.scheme, "world") == 0);
    CHECK(strcmp(ZOO_OPEN_ACL_UNSAFE.data[0].id.id, "anyone") == 0);
    CHECK(ZOO_READ_ACL_UNSAFE.count == 1 && ZOO_READ_ACL_UNSAFE.data[0].perms == 1);
    CHECK(ZOO_CREATOR_ALL_ACL.count == 1 && strcmp(ZOO_CREATOR_ALL_ACL.data[0].id.scheme, "auth") == 0);
    CHECK(strcmp(ZOO_ANYONE_ID_UNSAFE.id, "anyone") == 0 && strcmp(ZOO_AUTH_IDS.scheme, "auth") == 0);
    CHECK(strcmp(zerror(ZOK), "ok") == 0);
    CHECK(strcmp(zerror(ZNONODE), "no node") == 0);
    CHECK(strcmp(zerror(ZCONNECTIONLOSS), "connection loss") == 0);
    CHECK(strcmp(zerror(-12345), "unknown error") == 0);
    CHECK(zoo_htonll(1) == (int64_t)0x0100000000000000LL);
}

static void test_session(void) {
    int ctx_value = 7;
    zhandle_t *zh = connect_ctx(&ctx_value);
    CHECK(zh != NULL);
    if (!zh) return;
    CHECK_RC(zoo_state(zh), ZOO_CONNECTED_STATE);
    CHECK(global_events.n >= 1 && global_events.type[0] == ZOO_SESSION_EVENT &&
          global_events.state[0] == ZOO_CONNECTED_STATE && global_events.ctx[0] == &ctx_value &&
          strcmp(global_events.path[0], "") == 0);
    const clientid_t *id = zoo_client_id(zh);
    CHECK(id != NULL && id->client_id != 0);
    CHECK(zoo_recv_timeout(zh) > 0 && zoo_recv_timeout(zh) <= 10000);
    CHECK(zoo_get_context(zh) == &ctx_value);
    zoo_set_context(zh, NULL);
    CHECK(zoo_get_context(zh) == NULL);
    CHECK_RC(is_unrecoverable(zh), ZOK);
    const char *server = zoo_get_current_server(zh);
    CHECK(server != NULL && strstr(server, "127.0.0.1") != NULL);
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    CHECK(zookeeper_get_connected_host(zh, (struct sockaddr *)&ss, &len) != NULL);
    CHECK(ss.ss_family == AF_INET);
    watcher_fn old = zoo_set_watcher(zh, call_watcher);
    CHECK(old == global_watcher);
    CHECK(zoo_set_watcher(zh, global_watcher) == call_watcher);
    CHECK_RC(zoo_set_servers(zh, hosts), ZOK);
    CHECK_RC(zoo_set_servers(zh, NULL), ZBADARGUMENTS);

    /* resume the session on a second handle: same id */
    clientid_t saved = *id;
    zhandle_t *zh2 = zookeeper_init(hosts, NULL, 10000, &saved, NULL, 0);
    CHECK(zh2 != NULL);
    for (int i = 0; zh2 && i < 200 && zoo_state(zh2) != ZOO_CONNECTED_STATE; i++) sleep_ms(25);
    if (zh2) {
        CHECK(zoo_client_id(zh2)->client_id == saved.client_id);
        zookeeper_close(zh2);
    }
    zookeeper_close(zh);
    CHECK(zookeeper_init(NULL, NULL, 10000, NULL, NULL, 0) == NULL);
}

static void test_create_modes(zhandle_t *zh) {
    char p[256], out[256];
    const clientid_t *id = zoo_client_id(zh);
    struct Stat st;
    CHECK_RC(zoo_create(zh, path_of(p, "pers"), "v", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, out, sizeof out), ZOK);
    CHECK(strcmp(out, p) == 0);
    CHECK_RC(zoo_create(zh, p, "v", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, out, sizeof out), ZNODEEXISTS);
    CHECK_RC(zoo_create2(zh, path_of(p, "eph"), "v", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, out, sizeof out, &st), ZOK);
    CHECK(st.ephemeralOwner == id->client_id && st.dataLength == 1 && st.version == 0);
    CHECK_RC(zoo_create(zh, path_of(p, "seq-"), NULL, -1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT_SEQUENTIAL, out, sizeof out), ZOK);
    CHECK(strlen(out) == strlen(p) + 10 && strncmp(out, p, strlen(p)) == 0);
    CHECK_RC(zoo_create(zh, path_of(p, "eseq-"), "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL_SEQUENTIAL, out, sizeof out), ZOK);
    CHECK(strlen(out) == strlen(p) + 10);
    CHECK_RC(zoo_create(zh, path_of(p, "cont"), "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_CONTAINER, out, sizeof out), ZOK);
    CHECK_RC(zoo_create_ttl(zh, path_of(p, "ttl"), "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT_WITH_TTL, 60000, out, sizeof out), ZOK);
    CHECK_RC(zoo_create2_ttl(zh, path_of(p, "ttlseq-"), "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT_SEQUENTIAL_WITH_TTL, 60000, out, sizeof out, &st), ZOK);
    CHECK(strlen(out) == strlen(p) + 10);
    CHECK_RC(zoo_create_ttl(zh, path_of(p, "ttl0"), "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT_WITH_TTL, 0, out, sizeof out), ZBADARGUMENTS);
    /* the path buffer: truncated to len-1 and NUL-terminated */
    char small[6] = "XXXXX";
    CHECK_RC(zoo_create(zh, path_of(p, "trunc"), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, small, 5), ZOK);
    CHECK(memcmp(small, root, 4) == 0 && small[4] == '\0');
    CHECK_RC(zoo_create(zh, path_of(p, "nobuf"), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
    /* bad arguments and server errors */
    CHECK_RC(zoo_create(zh, "noslash", "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZBADARGUMENTS);
    CHECK_RC(zoo_create(zh, path_of(p, "x/"), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZBADARGUMENTS);
    CHECK_RC(zoo_create(zh, path_of(p, "no/parent"), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZNONODE);
    CHECK_RC(zoo_create(zh, path_of(p, "eph/child"), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZNOCHILDRENFOREPHEMERALS);
    struct ACL_vector empty = {0, NULL};
    CHECK_RC(zoo_create(zh, path_of(p, "noacl"), "", 0, &empty, 0, NULL, 0), ZINVALIDACL);
    CHECK_RC(zoo_create(NULL, path_of(p, "nozh"), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZBADARGUMENTS);
    CHECK_RC(zoo_create(zh, NULL, "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZBADARGUMENTS);
}

static void test_get_set_delete(zhandle_t *zh) {
    char p[256], buf[64];
    struct Stat st, st2;
    int len;
    CHECK_RC(zoo_create(zh, path_of(p, "data"), "hello world", 11, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
    len = sizeof buf;
    CHECK_RC(zoo_get(zh, p, 0, buf, &len, &st), ZOK);
    CHECK(len == 11 && memcmp(buf, "hello world", 11) == 0 && st.dataLength == 11);
    len = 5; /* a short buffer: the first 5 bytes */
    memset(buf, 0, sizeof buf);
    CHECK_RC(zoo_get(zh, p, 0, buf, &len, &st), ZOK);
    CHECK(len == 5 && memcmp(buf, "hello", 5) == 0 && buf[5] == 0);
    len = 0;
    CHECK_RC(zoo_get(zh, p, 0, buf, &len, NULL), ZOK);
    CHECK(len == 0);
    CHECK_RC(zoo_set(zh, p, "v2", 2, 0), ZOK);
    CHECK_RC(zoo_set(zh, p, "v3", 2, 0), ZBADVERSION);
    CHECK_RC(zoo_set2(zh, p, "v3", 2, 1, &st2), ZOK);
    CHECK(st2.version == 2 && st2.dataLength == 2 && st2.mzxid > st.mzxid && st2.czxid == st.czxid);
    CHECK_RC(zoo_set(zh, path_of(buf, "missing"), "x", 1, -1), ZNONODE);
    CHECK_RC(zoo_exists(zh, p, 0, &st), ZOK);
    CHECK(st.version == 2);
    CHECK_RC(zoo_exists(zh, path_of(buf, "missing"), 0, &st), ZNONODE);
    CHECK_RC(zoo_exists(zh, p, 0, NULL), ZOK);
    len = sizeof buf;
    CHECK_RC(zoo_get(zh, path_of(buf, "missing"), 0, buf, &len, &st), ZNONODE);
    CHECK_RC(zoo_delete(zh, p, 0), ZBADVERSION);
    CHECK_RC(zoo_delete(zh, p, 2), ZOK);
    CHECK_RC(zoo_delete(zh, p, -1), ZNONODE);
    CHECK_RC(zoo_delete(zh, root, -1), ZNOTEMPTY);
}

static void test_children(zhandle_t *zh) {
    char p[256], c[512];
    struct String_vector sv;
    struct Stat st;
    CHECK_RC(zoo_create(zh, path_of(p, "kids"), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
    const char *names[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        snprintf(c, sizeof c, "%s/%s", p, names[i]);
        CHECK_RC(zoo_create(zh, c, "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
    }
    CHECK_RC(zoo_get_children(zh, p, 0, &sv), ZOK);
    CHECK(sv.count == 3);
    int seen = 0;
    for (int i = 0; i < sv.count; i++)
        for (int j = 0; j < 3; j++)
            if (strcmp(sv.data[i], names[j]) == 0) seen |= 1 << j;
    CHECK(seen == 7);
    CHECK_RC(deallocate_String_vector(&sv), ZOK);
    CHECK(sv.data == NULL);
    CHECK_RC(zoo_get_children2(zh, p, 0, &sv, &st), ZOK);
    CHECK(sv.count == 3 && st.numChildren == 3 && st.cversion == 3);
    deallocate_String_vector(&sv);
    snprintf(c, sizeof c, "%s/a", p);
    CHECK_RC(zoo_get_children(zh, c, 0, &sv), ZOK);
    CHECK(sv.count == 0);
    deallocate_String_vector(&sv);
    CHECK_RC(zoo_get_children(zh, path_of(c, "missing"), 0, &sv), ZNONODE);
    /* allocate_/deallocate_ work on caller-made vectors too */
    struct String_vector mine;
    CHECK_RC(allocate_String_vector(&mine, 2), ZOK);
    CHECK(mine.count == 2 && mine.data[0] == NULL);
    mine.data[0] = strdup("x");
    deallocate_String_vector(&mine);
    struct ACL_vector acl;
    CHECK_RC(allocate_ACL_vector(&acl, 1), ZOK);
    acl.data[0].id.scheme = strdup("world");
    acl.data[0].id.id = strdup("anyone");
    acl.data[0].perms = ZOO_PERM_ALL;
    CHECK_RC(zoo_create(zh, path_of(c, "myacl"), "", 0, &acl, 0, NULL, 0), ZOK);
    deallocate_ACL_vector(&acl);
}

static void test_acl_auth(zhandle_t *zh) {
    char p[256];
    struct ACL_vector acl;
    struct Stat st;
    CHECK_RC(zoo_create(zh, path_of(p, "ro"), "x", 1, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
    CHECK_RC(zoo_set_acl(zh, p, 1, &ZOO_READ_ACL_UNSAFE), ZBADVERSION);
    CHECK_RC(zoo_set_acl(zh, p, 0, &ZOO_READ_ACL_UNSAFE), ZOK);
    CHECK_RC(zoo_set(zh, p, "y", 1, -1), ZNOAUTH);
    CHECK_RC(zoo_get_acl(zh, p, &acl, &st), ZOK);
    CHECK(acl.count == 1 && acl.data[0].perms == ZOO_PERM_READ && strcmp(acl.data[0].id.scheme, "world") == 0);
    CHECK(st.aversion == 1);
    deallocate_ACL_vector(&acl);
    CHECK_RC(zoo_set_acl(zh, p, -1, &ZOO_OPEN_ACL_UNSAFE), ZNOAUTH); /* no ADMIN */
    /* digest auth: only the creator reads a CREATOR_ALL node */
    CHECK_RC(zoo_add_auth(zh, "digest", "alice:secret", 12, NULL, NULL), ZOK);
    CHECK_RC(zoo_create(zh, path_of(p, "mine"), "z", 1, &ZOO_CREATOR_ALL_ACL, 0, NULL, 0), ZOK);
    zhandle_t *other = connect_plain();
    char buf[8];
    int len = sizeof buf;
    CHECK_RC(zoo_get(other, p, 0, buf, &len, NULL), ZNOAUTH);
    CHECK_RC(zoo_add_auth(other, "digest", "alice:secret", 12, NULL, NULL), ZOK);
    len = sizeof buf;
    CHECK_RC(zoo_get(other, p, 0, buf, &len, NULL), ZOK);
    zookeeper_close(other);
}

static void test_watches(zhandle_t *zh) {
    char p[256], c[512], buf[16];
    int len;
    struct String_vector sv;
    zhandle_t *other = connect_plain();
    CHECK(other != NULL);
    if (!other) return;
    CHECK_RC(zoo_create(zh, path_of(p, "w"), "0", 1, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
    /* the global watcher, registered twice on one path: one event */
    reset(&global_events);
    len = sizeof buf;
    CHECK_RC(zoo_get(zh, p, 1, buf, &len, NULL), ZOK);
    CHECK_RC(zoo_exists(zh, p, 1, NULL), ZOK);
    CHECK_RC(zoo_set(other, p, "1", 1, -1), ZOK);
    CHECK(wait_events(&global_events, 1, 5000) == 1);
    sleep_ms(200);
    CHECK(global_events.n == 1 && global_events.type[0] == ZOO_CHANGED_EVENT &&
          global_events.state[0] == ZOO_CONNECTED_STATE && strcmp(global_events.path[0], p) == 0);
    /* one-shot: a second change tells nobody */
    CHECK_RC(zoo_set(other, p, "2", 1, -1), ZOK);
    sleep_ms(200);
    CHECK(global_events.n == 1);

    /* per-call watchers: two contexts, two events; the same pair twice, one */
    reset(&watch_events);
    len = sizeof buf;
    CHECK_RC(zoo_wget(zh, p, call_watcher, (void *)1, buf, &len, NULL), ZOK);
    CHECK_RC(zoo_wexists(zh, p, call_watcher, (void *)1, NULL), ZOK);
    CHECK_RC(zoo_wexists(zh, p, call_watcher, (void *)2, NULL), ZOK);
    CHECK_RC(zoo_set(other, p, "3", 1, -1), ZOK);
    CHECK(wait_events(&watch_events, 2, 5000) == 2);
    sleep_ms(200);
    CHECK(watch_events.n == 2 && watch_events.type[0] == ZOO_CHANGED_EVENT && watch_events.type[1] == ZOO_CHANGED_EVENT);
    CHECK(watch_events.ctx[0] != watch_events.ctx[1]);

    /* exists on a missing node: created */
    reset(&watch_events);
    snprintf(c, sizeof c, "%s/later", p);
    CHECK_RC(zoo_wexists(zh, c, call_watcher, (void *)3, NULL), ZNONODE);
    CHECK_RC(zoo_create(other, c, "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
    CHECK(wait_events(&watch_events, 1, 5000) == 1);
    CHECK(watch_events.type[0] == ZOO_CREATED_EVENT && strcmp(watch_events.path[0], c) == 0);

    /* child watch, then a delete fires data and child watchers of the node */
    reset(&watch_events);
    CHECK_RC(zoo_wget_children(zh, p, call_watcher, (void *)4, &sv), ZOK);
    deallocate_String_vector(&sv);
    CHECK_RC(zoo_delete(other, c, -1), ZOK);
    CHECK(wait_events(&watch_events, 1, 5000) == 1);
    CHECK(watch_events.type[0] == ZOO_CHILD_EVENT && watch_events.ctx[0] == (void *)4);
    reset(&watch_events);
    len = sizeof buf;
    CHECK_RC(zoo_wget(zh, p, call_watcher, (void *)5, buf, &len, NULL), ZOK);
    CHECK_RC(zoo_wget_children(zh, p, call_watcher, (void *)6, &sv), ZOK);
    deallocate_String_vector(&sv);
    CHECK_RC(zoo_delete(other, p, -1), ZOK);
    CHECK(wait_events(&watch_events, 2, 5000) == 2);
    CHECK(watch_events.type[0] == ZOO_DELETED_EVENT && watch_events.type[1] == ZOO_DELETED_EVENT);

    /* removal: a removed watcher is not called; none left is ZNOWATCHER */
    CHECK_RC(zoo_create(zh, p, "0", 1, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
    reset(&watch_events);
    CHECK_RC(zoo_wexists(zh, p, call_watcher, (void *)7, NULL), ZOK);
    CHECK_RC(zoo_wexists(zh, p, call_watcher, (void *)8, NULL), ZOK);
    CHECK_RC(zoo_remove_watches(zh, p, ZWATCHTYPE_DATA, call_watcher, (void *)7, 0), ZOK);
    CHECK_RC(zoo_remove_watches(zh, p, ZWATCHTYPE_DATA, call_watcher, (void *)7, 0), ZNOWATCHER);
    CHECK_RC(zoo_remove_watches(zh, p, ZWATCHTYPE_CHILD, NULL, NULL, 0), ZNOWATCHER);
    CHECK_RC(zoo_set(other, p, "1", 1, -1), ZOK);
    CHECK(wait_events(&watch_events, 1, 5000) == 1);
    sleep_ms(200);
    CHECK(watch_events.n == 1 && watch_events.ctx[0] == (void *)8);
    reset(&watch_events);
    CHECK_RC(zoo_wexists(zh, p, call_watcher, (void *)9, NULL), ZOK);
    CHECK_RC(zoo_remove_all_watches(zh, p, ZWATCHTYPE_ANY, 0), ZOK);
    CHECK_RC(zoo_set(other, p, "2", 1, -1), ZOK);
    sleep_ms(300);
    CHECK(watch_events.n == 0);
    CHECK_RC(zoo_remove_all_watches(zh, p, ZWATCHTYPE_ANY, 0), ZNOWATCHER);
    zookeeper_close(other);
}

/* ------------------------------------------------------------------ async */

#define MAX_DONE 32
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int n;
    int rc[MAX_DONE];
    const void *data[MAX_DONE];
    char text[MAX_DONE][128];
    int num[MAX_DONE];
} done = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, {0}, {0}, {{0}}, {0}};

static void note(int rc, const void *data, const char *text, int num) {
    pthread_mutex_lock(&done.mu);
    if (done.n < MAX_DONE) {
        done.rc[done.n] = rc;
        done.data[done.n] = data;
        snprintf(done.text[done.n], sizeof done.text[0], "%s", text ? text : "(null)");
        done.num[done.n] = num;
        done.n++;
    }
    pthread_cond_broadcast(&done.cv);
    pthread_mutex_unlock(&done.mu);
}

static int wait_done(int n) {
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 5;
    pthread_mutex_lock(&done.mu);
    while (done.n < n && pthread_cond_timedwait(&done.cv, &done.mu, &dl) == 0) {
    }
    int got = done.n;
    pthread_mutex_unlock(&done.mu);
    return got;
}

static void c_string(int rc, const char *value, const void *data) { note(rc, data, value, 0); }
static void c_string_stat(int rc, const char *value, const struct Stat *st, const void *data) {
    note(rc, data, value, st ? st->version : -1);
}
static void c_void(int rc, const void *data) { note(rc, data, NULL, 0); }
static void c_stat(int rc, const struct Stat *st, const void *data) { note(rc, data, NULL, st ? st->version : -1); }
static void c_data(int rc, const char *v, int len, const struct Stat *st, const void *data) {
    char t[64] = "";
    if (rc == 0 && v && len > 0) snprintf(t, sizeof t, "%.*s", len, v);
    note(rc, data, t, st ? st->version : -1);
}
static void c_strings(int rc, const struct String_vector *sv, const void *data) {
    note(rc, data, NULL, sv ? sv->count : -1);
}
static void c_strings_stat(int rc, const struct String_vector *sv, const struct Stat *st, const void *data) {
    note(rc, data, NULL, sv && st ? sv->count * 100 + st->numChildren : -1);
}
static void c_acl(int rc, struct ACL_vector *acl, struct Stat *st, const void *data) {
    (void)st;
    note(rc, data, acl && acl->count ? acl->data[0].id.scheme : NULL, acl ? acl->count : -1);
}

static void test_async(zhandle_t *zh) {
    char p[256];
    done.n = 0;
    path_of(p, "async");
    /* completions run in call order */
    CHECK_RC(zoo_acreate(zh, p, "a", 1, &ZOO_OPEN_ACL_UNSAFE, 0, c_string, (void *)1), ZOK);
    CHECK_RC(zoo_aset(zh, p, "bb", 2, 0, c_stat, (void *)2), ZOK);
    CHECK_RC(zoo_aget(zh, p, 0, c_data, (void *)3), ZOK);
    CHECK_RC(zoo_aexists(zh, p, 0, c_stat, (void *)4), ZOK);
    CHECK_RC(zoo_aget_children(zh, p, 0, c_strings, (void *)5), ZOK);
    CHECK_RC(zoo_aget_children2(zh, root, 0, c_strings_stat, (void *)6), ZOK);
    CHECK_RC(zoo_async(zh, p, c_string, (void *)7), ZOK);
    CHECK_RC(zoo_aget_acl(zh, p, c_acl, (void *)8), ZOK);
    CHECK_RC(zoo_aset_acl(zh, p, -1, &ZOO_OPEN_ACL_UNSAFE, c_void, (void *)9), ZOK);
    CHECK_RC(zoo_adelete(zh, p, 5, c_void, (void *)10), ZOK);
    CHECK_RC(zoo_adelete(zh, p, -1, c_void, (void *)11), ZOK);
    CHECK_RC(zoo_aexists(zh, p, 0, c_stat, (void *)12), ZOK);
    CHECK_RC(zoo_acreate2(zh, p, "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, c_string_stat, (void *)13), ZOK);
    CHECK_RC(zoo_acreate(zh, "bad", "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, c_string, (void *)99), ZBADARGUMENTS);
    CHECK(wait_done(13) == 13);
    sleep_ms(100);
    CHECK(done.n == 13);
    for (int i = 0; i < done.n; i++) CHECK(done.data[i] == (void *)(intptr_t)(i + 1));
    CHECK(done.rc[0] == ZOK && strcmp(done.text[0], p) == 0);
    CHECK(done.rc[1] == ZOK && done.num[1] == 1);
    CHECK(done.rc[2] == ZOK && strcmp(done.text[2], "bb") == 0 && done.num[2] == 1);
    CHECK(done.rc[3] == ZOK && done.num[3] == 1);
    CHECK(done.rc[4] == ZOK && done.num[4] == 0);
    CHECK(done.rc[5] == ZOK && done.num[5] / 100 == done.num[5] % 100 && done.num[5] > 0);
    CHECK(done.rc[6] == ZOK && strcmp(done.text[6], p) == 0);
    CHECK(done.rc[7] == ZOK && strcmp(done.text[7], "world") == 0 && done.num[7] == 1);
    CHECK(done.rc[8] == ZOK);
    CHECK(done.rc[9] == ZBADVERSION);
    CHECK(done.rc[10] == ZOK);
    CHECK(done.rc[11] == ZNONODE);
    CHECK(done.rc[12] == ZOK && strcmp(done.text[12], p) == 0 && done.num[12] == 0);

    /* an async watch: the completion first, then the event */
    reset(&watch_events);
    done.n = 0;
    CHECK_RC(zoo_awget(zh, p, call_watcher, (void *)20, c_data, (void *)21), ZOK);
    CHECK(wait_done(1) == 1);
    CHECK_RC(zoo_set(zh, p, "x", 1, -1), ZOK);
    CHECK(wait_events(&watch_events, 1, 5000) == 1 && watch_events.ctx[0] == (void *)20);
}

/* A credential added while hundreds of creates are at the server: the server answers it at
 * once, ahead of them, and every create and the credential still succeed on one connection. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int n, ok, auth_rc;
} burst = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 99};

static void c_burst(int rc, const char *value, const void *data) {
    (void)value, (void)data;
    pthread_mutex_lock(&burst.mu);
    burst.n++;
    burst.ok += rc == ZOK;
    pthread_cond_broadcast(&burst.cv);
    pthread_mutex_unlock(&burst.mu);
}

static void c_burst_auth(int rc, const void *data) {
    (void)data;
    pthread_mutex_lock(&burst.mu);
    burst.auth_rc = rc;
    pthread_mutex_unlock(&burst.mu);
}

static void test_auth_in_flight(zhandle_t *zh) {
    char p[256], q[300];
    const int n = 600;
    CHECK_RC(zoo_create(zh, path_of(p, "inflight"), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0), ZOK);
    for (int i = 0; i < n; i++) {
        snprintf(q, sizeof q, "%s/n%d", p, i);
        CHECK_RC(zoo_acreate(zh, q, "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, c_burst, NULL), ZOK);
        if (i == n / 2) CHECK_RC(zoo_add_auth(zh, "digest", "dora:pw", 7, c_burst_auth, NULL), ZOK);
    }
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 10;
    pthread_mutex_lock(&burst.mu);
    while (burst.n < n && pthread_cond_timedwait(&burst.cv, &burst.mu, &dl) == 0) {
    }
    int got = burst.n, ok = burst.ok, auth_rc = burst.auth_rc;
    pthread_mutex_unlock(&burst.mu);
    CHECK(got == n);
    CHECK(ok == n);
    CHECK_RC(auth_rc, ZOK);
    CHECK(zoo_state(zh) == ZOO_CONNECTED_STATE);
}

/* ------------------------------------------------------------------ multi */

/* Exported by the official library (zookeeper.c) but not declared by Debian's zookeeper.h. */
void zoo_create2_op_init(zoo_op_t *op, const char *path, const char *value, int valuelen,
                         const struct ACL_vector *acl, int mode, char *path_buffer,
                         int path_buffer_len);

static void test_multi(zhandle_t *zh) {
    char p[256], q[256], buf1[256], buf2[8];
    struct Stat st;
    zoo_op_t ops[4];
    zoo_op_result_t res[4];
    path_of(p, "m1");
    path_of(q, "m2");
    zoo_create_op_init(&ops[0], p, "a", 1, &ZOO_OPEN_ACL_UNSAFE, 0, buf1, sizeof buf1);
    zoo_create_op_init(&ops[1], q, "b", 1, &ZOO_OPEN_ACL_UNSAFE, 0, buf2, sizeof buf2);
    zoo_set_op_init(&ops[2], p, "c", 1, 0, &st);
    zoo_check_op_init(&ops[3], q, 0);
    CHECK_RC(zoo_multi(zh, 4, ops, res), ZOK);
    for (int i = 0; i < 4; i++) CHECK(res[i].err == ZOK);
    CHECK(strcmp(buf1, p) == 0 && res[0].value == buf1);
    CHECK(strlen(buf2) == 7 && res[1].value == buf2); /* truncated to the buffer */
    CHECK(res[2].stat == &st && st.version == 1);
    /* a failing transaction: its code, each op's result */
    zoo_set_op_init(&ops[0], p, "d", 1, 1, NULL);
    zoo_set_op_init(&ops[1], q, "e", 1, 7, NULL);
    zoo_delete_op_init(&ops[2], p, -1);
    CHECK_RC(zoo_multi(zh, 3, ops, res), ZBADVERSION);
    CHECK(res[0].err == ZOK && res[1].err == ZBADVERSION && res[2].err == ZRUNTIMEINCONSISTENCY);
    CHECK_RC(zoo_exists(zh, p, 0, &st), ZOK);
    CHECK(st.version == 1);
    /* async, and deletes */
    done.n = 0;
    zoo_delete_op_init(&ops[0], p, -1);
    zoo_delete_op_init(&ops[1], q, -1);
    CHECK_RC(zoo_amulti(zh, 2, ops, res, c_void, (void *)30), ZOK);
    CHECK(wait_done(1) == 1 && done.rc[0] == ZOK && done.data[0] == (void *)30);
    CHECK(res[0].err == ZOK && res[1].err == ZOK);
    CHECK_RC(zoo_exists(zh, q, 0, NULL), ZNONODE);
    CHECK_RC(zoo_multi(zh, 0, ops, res), ZOK);
    /* a create2 op and a TTL op: the official 3.8 client refuses them, ours sends them (on
     * ZooKeeper 3.8, which takes no create2 in a transaction, as creates) */
    zoo_create2_op_init(&ops[0], p, "x", 1, &ZOO_OPEN_ACL_UNSAFE, 0, buf1, sizeof buf1);
    zoo_create_op_init(&ops[1], q, "y", 1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT_WITH_TTL, NULL, 0);
    ops[1].create_op.ttl = 0;
    if (ours) {
        /* the TTL is read from the op: none is refused before anything is sent */
        CHECK_RC(zoo_multi(zh, 2, ops, res), ZBADARGUMENTS);
        CHECK_RC(zoo_exists(zh, p, 0, NULL), ZNONODE);
        ops[1].create_op.ttl = 60000;
        CHECK_RC(zoo_multi(zh, 2, ops, res), ZOK);
        CHECK(res[0].err == ZOK && res[1].err == ZOK && strcmp(buf1, p) == 0);
        CHECK_RC(zoo_exists(zh, q, 0, NULL), ZOK);
        zoo_delete_op_init(&ops[0], p, -1);
        zoo_delete_op_init(&ops[1], q, -1);
        CHECK_RC(zoo_multi(zh, 2, ops, res), ZOK);
    } else {
        ops[1].create_op.ttl = 60000;
        CHECK_RC(zoo_multi(zh, 1, ops, res), ZUNIMPLEMENTED);
        CHECK_RC(zoo_multi(zh, 1, ops + 1, res), ZUNIMPLEMENTED);
        CHECK_RC(zoo_exists(zh, p, 0, NULL), ZNONODE);
    }
    /* a negative count: the official client sends an empty transaction */
    CHECK_RC(zoo_multi(zh, -1, ops, res), ours ? ZBADARGUMENTS : ZOK);
}

/* ------------------------------------------------------------------ ours only */

static zhandle_t *reentrant_zh;
static int reentrant_rc = 99;
static void c_reenter(int rc, const char *v, int len, const struct Stat *st, const void *data) {
    (void)rc, (void)v, (void)len, (void)st, (void)data;
    struct Stat s;
    reentrant_rc = zoo_exists(reentrant_zh, "/", 0, &s); /* a blocking call from a completion */
    note(reentrant_rc, data, NULL, 0);
}

/* Runs f in a child with a deadline; returns its exit code, 128+signal, or 124 if it hung. */
/* The handle main() shares with the tests that take one; NULL while closed (in_child). */
static zhandle_t *shared_zh;

static int in_child(void (*f)(void), int secs) {
    /* fork() copies only the calling thread: a lock that another thread of the library
     * (the shared handle's I/O or completion thread) holds at that moment would stay held
     * in the child for good. So the child is forked with no other thread running: the
     * shared handle is closed first (main() opens it again for the next test). */
    if (shared_zh) {
        zookeeper_close(shared_zh);
        shared_zh = NULL;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(secs);
        signal(SIGALRM, SIG_DFL);
        f();
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) return WTERMSIG(status) == SIGALRM ? 124 : 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

static void child_reenter(void) {
    zhandle_t *zh = connect_plain();
    reentrant_zh = zh;
    done.n = 0;
    if (zoo_aget(zh, "/", 0, c_reenter, NULL) != ZOK) _exit(3);
    if (wait_done(1) != 1) _exit(4);
    if (reentrant_rc != ZOK) {
        fprintf(stderr, "  the blocking call in the completion: %d (%s)\n", reentrant_rc, zerror(reentrant_rc));
        _exit(5);
    }
    _exit(0);
}

/* A completion may make a blocking call: both libraries answer it. */
static void test_blocking_call_in_completion(void) {
    int code = in_child(child_reenter, 8);
    if (code != 0) fprintf(stderr, "  child: exit %d (3 aget, 4 no completion, 5 the call failed, 124 hung)\n", code);
    CHECK(code == 0);
}

static void c_close(int rc, const char *v, int len, const struct Stat *st, const void *data) {
    (void)rc, (void)v, (void)len, (void)st, (void)data;
    zookeeper_close(reentrant_zh);
    note(0, data, NULL, 0);
}

static void child_close_in_completion(void) {
    zhandle_t *zh = connect_plain();
    reentrant_zh = zh;
    done.n = 0;
    if (zoo_aget(zh, "/", 0, c_close, NULL) != ZOK) _exit(3);
    if (wait_done(1) != 1) _exit(4);
    sleep_ms(200);
    _exit(0);
}

/* zookeeper_close from a completion (what cli_mt does on an expiry): ours frees the handle
 * and goes on; the outcome of the official one is printed. */
static void test_close_in_completion(void) {
    int r = in_child(child_close_in_completion, 8);
    fprintf(stderr, "  %s library: %s (%d)\n", ours ? "our" : "official",
            r == 0 ? "closed" : r == 124 ? "hangs" : r > 128 ? "crashes" : "other", r);
    if (ours) CHECK(r == 0);
}

/* ------------------------------------------------------------------ hostile server */

/* A fake server: answers the handshake, then answers the first request with `reply`. */
typedef struct {
    int lfd;
    const unsigned char *handshake;
    size_t handshake_len;
    unsigned char reply[256];
    size_t reply_len;
} fake_t;

static int read_frame(int fd, unsigned char *buf, size_t cap) {
    unsigned char lenb[4];
    size_t got = 0;
    while (got < 4) {
        ssize_t r = read(fd, lenb + got, 4 - got);
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    uint32_t len = ntohl(*(uint32_t *)lenb);
    if (len > cap) return -1;
    got = 0;
    while (got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    return (int)len;
}

static void *fake_main(void *arg) {
    fake_t *f = arg;
    unsigned char buf[4096];
    for (;;) {
        int fd = accept(f->lfd, NULL, NULL);
        if (fd < 0) return NULL;
        if (read_frame(fd, buf, sizeof buf) >= 0 && write(fd, f->handshake, f->handshake_len) > 0) {
            int n = read_frame(fd, buf, sizeof buf);
            if (n >= 8 && f->reply_len) {
                memcpy(f->reply + 4, buf, 4); /* the request's xid */
                if (write(fd, f->reply, f->reply_len) < 0) {
                }
            }
            sleep_ms(3000);
        }
        close(fd);
    }
}

static int fake_listen(char *hostport, size_t cap) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 8) < 0) return -1;
    getsockname(fd, (struct sockaddr *)&a, &len);
    snprintf(hostport, cap, "127.0.0.1:%d", ntohs(a.sin_port));
    return fd;
}

static size_t put32(unsigned char *p, uint32_t v) {
    v = htonl(v);
    memcpy(p, &v, 4);
    return 4;
}

/* a valid ConnectResponse frame: protocol 0, timeout 10000, session 1, 16-byte password */
static unsigned char good_handshake[4 + 4 + 4 + 8 + 4 + 16 + 1];
static void make_handshake(void) {
    unsigned char *p = good_handshake;
    p += put32(p, sizeof good_handshake - 4);
    p += put32(p, 0);
    p += put32(p, 10000);
    p += put32(p, 0);
    p += put32(p, 1);
    p += put32(p, 16);
    memset(p, 0, 16);
    p += 16;
    *p = 0;
}

static fake_t fake;
static int fake_case;

static void child_hostile(void) {
    char hp[64];
    make_handshake();
    fake.lfd = fake_listen(hp, sizeof hp);
    fake.handshake = good_handshake;
    fake.handshake_len = sizeof good_handshake;
    unsigned char *p = fake.reply;
    size_t body = 0;
    if (fake_case == 3) {
        /* a garbage handshake: a frame too short to be a ConnectResponse */
        static const unsigned char garbage[] = {0, 0, 0, 3, 'x', 'y', 'z'};
        fake.handshake = garbage;
        fake.handshake_len = sizeof garbage;
    }
    p += 4;             /* frame length, below */
    p += put32(p, 0);   /* xid, copied from the request */
    p += put32(p, 0);   /* zxid */
    p += put32(p, 5);
    p += put32(p, 0);   /* err */
    body = 16;
    if (fake_case == 1) { /* GetData with a negative data length */
        p += put32(p, (uint32_t)-5);
        memset(p, 0, 68);
        p += 68;
        body += 4 + 68;
    } else if (fake_case == 2) { /* GetChildren with an impossible count */
        p += put32(p, 0x7fffffff);
        body += 4;
    }
    put32(fake.reply, (uint32_t)body);
    fake.reply_len = body + 4;
    pthread_t t;
    pthread_create(&t, NULL, fake_main, &fake);
    zhandle_t *zh = zookeeper_init(hp, NULL, 4000, NULL, NULL, 0);
    if (!zh) _exit(10);
    int rc;
    if (fake_case == 2) {
        struct String_vector sv;
        rc = zoo_get_children(zh, "/", 0, &sv);
    } else {
        char buf[16];
        int len = sizeof buf;
        rc = zoo_get(zh, "/", 0, buf, &len, NULL);
    }
    /* an error code, never ZOK, and the process goes on */
    _exit(rc != ZOK ? 0 : 11);
}

static void run_hostile(int which, const char *what) {
    fake_case = which;
    int r = in_child(child_hostile, 12);
    fprintf(stderr, "  %s: %s library: %s (%d)\n", what, ours ? "our" : "official",
            r == 0 ? "error code" : r == 124 ? "hangs" : r > 128 ? "crashes" : "other", r);
    if (ours) CHECK(r == 0);
}

static void test_hostile_server(void) {
    run_hostile(1, "negative data length");
    run_hostile(2, "bogus vector count");
    run_hostile(3, "garbage handshake");
}

/* ------------------------------------------------------------------ logging */

static int log_lines;
static void log_cb(const char *msg) {
    if (strstr(msg, "hello from the test")) log_lines++;
}

static void test_logging(zhandle_t *zh) {
    zoo_set_log_callback(zh, log_cb);
    CHECK(zoo_get_log_callback(zh) == log_cb);
    zoo_set_debug_level(ZOO_LOG_LEVEL_INFO);
    LOG_INFO(zoo_get_log_callback(zh), "hello from the test %d", 42);
    CHECK(log_lines == 1);
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    LOG_INFO(zoo_get_log_callback(zh), "hello from the test %d", 43); /* below the level */
    CHECK(log_lines == 1);
    CHECK(logLevel == ZOO_LOG_LEVEL_ERROR);
    zoo_set_log_callback(zh, NULL);
    FILE *f = tmpfile();
    zoo_set_log_stream(f);
    log_message(NULL, ZOO_LOG_LEVEL_ERROR, 1, "fn", "to the stream %s", "ok");
    zoo_set_log_stream(stderr);
    rewind(f);
    char line[512] = "";
    CHECK(fgets(line, sizeof line, f) != NULL && strstr(line, "ZOO_ERROR@fn@1: to the stream ok") != NULL);
    fclose(f);
}

/* ------------------------------------------------------------------ records */

/* The official library's other jute records (zookeeper.jute.h): each deallocate_* frees
 * what its record owns, found at the official offsets, and leaves those pointers NULL; the
 * numbers stay. A wrong layout frees something that is not a malloc'd pointer (glibc
 * aborts) or leaves a pointer set. */
static struct buffer buffer_of(const char *s) {
    struct buffer b = {(int32_t)strlen(s), strdup(s)};
    return b;
}

static struct String_vector strings_of(int n) {
    struct String_vector v;
    CHECK_RC(allocate_String_vector(&v, n), ZOK);
    for (int i = 0; i < n; i++) v.data[i] = strdup("/w");
    return v;
}

static struct ACL_vector acls_of(int n) {
    struct ACL_vector v;
    CHECK_RC(allocate_ACL_vector(&v, n), ZOK);
    for (int i = 0; i < n; i++) {
        v.data[i].perms = ZOO_PERM_ALL;
        v.data[i].id.scheme = strdup("digest");
        v.data[i].id.id = strdup("alice:hash");
    }
    return v;
}

static void test_records(void) {
    struct ConnectRequest cr = {0, 11, 30000, 12, buffer_of("password")};
    deallocate_ConnectRequest(&cr);
    CHECK(cr.passwd.buff == NULL && cr.lastZxidSeen == 11 && cr.sessionId == 12);

    struct AuthPacket ap = {0, strdup("digest"), buffer_of("alice:secret")};
    deallocate_AuthPacket(&ap);
    CHECK(ap.scheme == NULL && ap.auth.buff == NULL);

    struct CreateTTLRequest ct = {strdup("/a"), buffer_of("data"), acls_of(2), 5, 60000};
    deallocate_CreateTTLRequest(&ct);
    CHECK(ct.path == NULL && ct.data.buff == NULL && ct.acl.data == NULL && ct.ttl == 60000);

    struct SetACLRequest sa = {strdup("/a"), acls_of(1), 3};
    deallocate_SetACLRequest(&sa);
    CHECK(sa.path == NULL && sa.acl.data == NULL && sa.version == 3);

    struct ReconfigRequest rr = {strdup("j"), strdup("l"), strdup("n"), 42};
    deallocate_ReconfigRequest(&rr);
    CHECK(rr.joiningServers == NULL && rr.leavingServers == NULL && rr.newMembers == NULL &&
          rr.curConfigId == 42);

    struct SetWatches2 sw = {7, strings_of(1), strings_of(2), strings_of(0), strings_of(3), strings_of(1)};
    deallocate_SetWatches2(&sw);
    CHECK(sw.dataWatches.data == NULL && sw.existWatches.data == NULL && sw.childWatches.data == NULL &&
          sw.persistentWatches.data == NULL && sw.persistentRecursiveWatches.data == NULL &&
          sw.relativeZxid == 7);

    struct Create2Response c2 = {strdup("/p"), {0}};
    c2.stat.pzxid = 9;
    deallocate_Create2Response(&c2);
    CHECK(c2.path == NULL && c2.stat.pzxid == 9);

    struct GetDataResponse gd = {buffer_of("value"), {0}};
    deallocate_GetDataResponse(&gd);
    CHECK(gd.data.buff == NULL);

    struct GetChildren2Response gc = {strings_of(3), {0}};
    gc.stat.numChildren = 3;
    deallocate_GetChildren2Response(&gc);
    CHECK(gc.children.data == NULL && gc.stat.numChildren == 3);

    struct GetACLResponse ga = {acls_of(2), {0}};
    ga.stat.aversion = 4;
    deallocate_GetACLResponse(&ga);
    CHECK(ga.acl.data == NULL && ga.stat.aversion == 4);

    struct WatcherEvent we = {ZOO_CHANGED_EVENT, ZOO_CONNECTED_STATE, strdup("/w")};
    deallocate_WatcherEvent(&we);
    CHECK(we.path == NULL && we.type == ZOO_CHANGED_EVENT);

    struct QuorumPacket qp = {2, 77, buffer_of("q"), {0, NULL}};
    CHECK_RC(allocate_Id_vector(&qp.authinfo, 2), ZOK);
    for (int i = 0; i < 2; i++) {
        qp.authinfo.data[i].scheme = strdup("ip");
        qp.authinfo.data[i].id = strdup("127.0.0.1");
    }
    deallocate_QuorumPacket(&qp);
    CHECK(qp.data.buff == NULL && qp.authinfo.data == NULL && qp.zxid == 77);

    struct WhoAmIResponse who;
    CHECK_RC(allocate_ClientInfo_vector(&who.clientInfo, 2), ZOK);
    CHECK(who.clientInfo.count == 2 && who.clientInfo.data != NULL &&
          who.clientInfo.data[1].authScheme == NULL && who.clientInfo.data[1].user == NULL);
    for (int i = 0; i < 2; i++) {
        who.clientInfo.data[i].authScheme = strdup("digest");
        who.clientInfo.data[i].user = strdup("alice");
    }
    deallocate_WhoAmIResponse(&who);
    CHECK(who.clientInfo.data == NULL);

    struct MultiTxn mt;
    CHECK_RC(allocate_Txn_vector(&mt.txns, 3), ZOK);
    CHECK(mt.txns.count == 3 && mt.txns.data != NULL && mt.txns.data[2].data.buff == NULL);
    for (int i = 0; i < 3; i++) {
        mt.txns.data[i].type = 1;
        mt.txns.data[i].data = buffer_of("txn");
    }
    deallocate_MultiTxn(&mt);
    CHECK(mt.txns.data == NULL);

    struct CreateTxn tx = {strdup("/t"), buffer_of("d"), acls_of(1), 1, 8};
    deallocate_CreateTxn(&tx);
    CHECK(tx.path == NULL && tx.data.buff == NULL && tx.acl.data == NULL && tx.parentCVersion == 8);

    struct CloseSessionTxn cs = {strings_of(2)};
    deallocate_CloseSessionTxn(&cs);
    CHECK(cs.paths2Delete.data == NULL);

    struct ClientInfo_vector civ = {0, NULL};
    CHECK_RC(deallocate_ClientInfo_vector(&civ), ZOK);
    struct Txn_vector tv = {0, NULL};
    CHECK_RC(deallocate_Txn_vector(&tv), ZOK);

    struct TxnHeader th = {1, 2, 3, 4, 5};
    deallocate_TxnHeader(&th);
    CHECK(th.clientId == 1 && th.type == 5);
}

/* ------------------------------------------------------------------ main */

typedef struct {
    const char *name;
    void (*plain)(void);
    void (*with)(zhandle_t *);
} test_t;

static const test_t tests[] = {
    {"constants", test_constants, NULL},
    {"session", test_session, NULL},
    {"create_modes", NULL, test_create_modes},
    {"get_set_delete", NULL, test_get_set_delete},
    {"children", NULL, test_children},
    {"acl_auth", NULL, test_acl_auth},
    {"watches", NULL, test_watches},
    {"async", NULL, test_async},
    {"auth_in_flight", NULL, test_auth_in_flight},
    {"multi", NULL, test_multi},
    {"logging", NULL, test_logging},
    {"records", test_records, NULL},
    {"blocking_call_in_completion", test_blocking_call_in_completion, NULL},
    {"close_in_completion", test_close_in_completion, NULL},
    {"hostile_server", test_hostile_server, NULL},
};

int main(int argc, char **argv) {
    hosts = getenv("ZK_HOSTS");
    const char *lib = getenv("ZKCOMPAT_LIB");
    if (!hosts || !lib) {
        fprintf(stderr, "usage: ZK_HOSTS=... ZKCOMPAT_LIB=official|ours %s [NAME...]\n", argv[0]);
        return 2;
    }
    ours = strcmp(lib, "ours") == 0;
    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    snprintf(root, sizeof root, "/compat-%s-%d", lib, (int)getpid());
    shared_zh = connect_plain();
    if (!shared_zh || zoo_state(shared_zh) != ZOO_CONNECTED_STATE) {
        fprintf(stderr, "cannot connect to %s\n", hosts);
        return 2;
    }
    if (zoo_create(shared_zh, root, "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0) != ZOK) return 2;
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        int selected = argc < 2;
        for (int a = 1; a < argc; a++) selected |= strstr(tests[i].name, argv[a]) != NULL;
        if (!selected) continue;
        failures_here = 0;
        if (!shared_zh && !(shared_zh = connect_plain())) {
            fprintf(stderr, "cannot connect to %s\n", hosts);
            return 2;
        }
        if (tests[i].plain)
            tests[i].plain();
        else
            tests[i].with(shared_zh);
        printf("%s %s\n", failures_here ? "FAIL" : "ok  ", tests[i].name);
        fflush(stdout);
        if (failures_here)
            failed++;
        else
            passed++;
    }
    if (shared_zh) zookeeper_close(shared_zh);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
