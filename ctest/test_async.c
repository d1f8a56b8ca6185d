/* The async API: every zk_<op>_async delivers its result once, on the event thread, in
 * reply order; a call refused up front never calls back; every finalizer runs exactly
 * once (after the callback, or before a refused call returns). */
#include "zktest.h"

#include <stdlib.h>

#define WAIT_MS 5000

/* One completion's result, copied out of the callback (its pointers are borrowed). */
struct result {
    struct zkt_rec rec; /* mu/cv; rec.finals counts finalizer runs */
    int calls;
    zk_result rc;
    bool has_stat;
    zk_stat stat;
    bool has_value; /* string, data, children or ACL given */
    char value[ZKT_PATH_MAX];
    size_t len;
    size_t count;  /* children or ACL entries */
    int order;     /* position among everything a test records (see `seq`) */
    bool finalized_before_call;
};

static int seq; /* shared counter of ordered events; touched only on the event thread */

static void result_init(struct result *r)
{
    memset(r, 0, sizeof *r);
    zkt_rec_init(&r->rec);
    r->rc = ZK_RESULT_SYSTEM_ERROR;
}

static void begin(struct result *r, zk_result rc, const zk_stat *st)
{
    pthread_mutex_lock(&r->rec.mu);
    r->calls++;
    r->rc = rc;
    r->order = ++seq;
    r->finalized_before_call = r->rec.finals > 0;
    if (st != NULL) {
        r->has_stat = true;
        r->stat = *st;
    }
}

static void end(struct result *r)
{
    pthread_cond_broadcast(&r->rec.cv);
    pthread_mutex_unlock(&r->rec.mu);
}

static void on_void(void *ud, zk_result rc)
{
    begin(ud, rc, NULL);
    end(ud);
}

static void on_stat(void *ud, zk_result rc, const zk_stat *st)
{
    begin(ud, rc, st);
    end(ud);
}

static void on_string(void *ud, zk_result rc, const char *value, const zk_stat *st)
{
    struct result *r = ud;
    begin(r, rc, st);
    if (value != NULL) {
        r->has_value = true;
        snprintf(r->value, sizeof r->value, "%s", value);
    }
    end(r);
}

static void on_data(void *ud, zk_result rc, const uint8_t *data, size_t len, const zk_stat *st)
{
    struct result *r = ud;
    begin(r, rc, st);
    if (data != NULL) {
        r->has_value = true;
        r->len = len;
        snprintf(r->value, sizeof r->value, "%.*s", (int)len, (const char *)data);
    }
    end(r);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void on_children(void *ud, zk_result rc, const zk_string_list *l, const zk_stat *st)
{
    struct result *r = ud;
    begin(r, rc, st);
    if (l != NULL) {
        const char *names[16];
        size_t i, n = zk_string_list_len(l);
        r->has_value = true;
        r->count = n;
        for (i = 0; i < n && i < 16; i++)
            names[i] = zk_string_list_get(l, i);
        qsort(names, n < 16 ? n : 16, sizeof names[0], cmp_str);
        r->value[0] = '\0';
        for (i = 0; i < n && i < 16; i++) {
            strncat(r->value, names[i], sizeof r->value - strlen(r->value) - 2);
            strcat(r->value, ",");
        }
    }
    end(r);
}

static void on_acl(void *ud, zk_result rc, const zk_acl_list *l, const zk_stat *st)
{
    struct result *r = ud;
    zk_acl a;
    begin(r, rc, st);
    if (l != NULL) {
        r->has_value = true;
        r->count = zk_acl_list_len(l);
        if (zk_acl_list_get(l, 0, &a) == ZK_RESULT_OK)
            snprintf(r->value, sizeof r->value, "%s:%s:%u", a.scheme, a.id, a.perms);
    }
    end(r);
}

static bool called_and_finalized(struct zkt_rec *rec, void *arg)
{
    struct result *r = (struct result *)rec; /* rec is the first member */
    (void)arg;
    return r->calls > 0 && rec->finals > 0;
}

/* Waits for the completion and its finalizer; checks each ran once, in that order. */
static void wait_done(struct result *r, zk_result want, int line)
{
    if (!zkt_rec_wait(&r->rec, called_and_finalized, NULL, WAIT_MS))
        zkt_fail(__FILE__, line, "no completion/finalizer within %d ms", WAIT_MS);
    pthread_mutex_lock(&r->rec.mu);
    if (r->calls != 1 || r->rec.finals != 1 || r->finalized_before_call)
        zkt_fail(__FILE__, line, "%d calls, %d finalizer runs%s", r->calls, r->rec.finals,
                 r->finalized_before_call ? ", finalizer first" : "");
    if (r->rc != want)
        zkt_fail(__FILE__, line, "completion rc %d (%s), want %d (%s)", (int)r->rc,
                 zk_result_message(r->rc), (int)want, zk_result_message(want));
    pthread_mutex_unlock(&r->rec.mu);
}

static void async_operations_round_trip(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX], q[ZKT_PATH_MAX];
    static const zk_acl ro = { ZK_PERM_READ | ZK_PERM_WRITE, "world", "anyone" };
    struct result r;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_path(p, "%s/n", root);

    result_init(&r);
    CHECK_OK(zk_create_async(c, p, (const uint8_t *)"one", 3, NULL, 0, 0, 0, 0, on_string, &r,
                             zkt_on_final));
    wait_done(&r, ZK_RESULT_OK, __LINE__);
    CHECK(r.has_value);
    CHECK_STR(r.value, p);
    CHECK(r.has_stat);
    CHECK_EQ(r.stat.version, 0);
    CHECK_EQ(r.stat.data_length, 3);

    result_init(&r);
    CHECK_OK(zk_create_async(c, zkt_path(q, "%s/s-", root), NULL, 0, NULL, 0,
                             ZK_CREATE_FLAG_SEQUENCE | ZK_CREATE_FLAG_EPHEMERAL, 0, 0, on_string,
                             &r, zkt_on_final));
    wait_done(&r, ZK_RESULT_OK, __LINE__);
    CHECK(strncmp(r.value, q, strlen(q)) == 0 && strlen(r.value) == strlen(q) + 10);
    CHECK(r.stat.ephemeral_owner != 0);

    result_init(&r);
    CHECK_OK(zk_exists_async(c, p, NULL, 0, on_stat, &r, zkt_on_final));
    wait_done(&r, ZK_RESULT_OK, __LINE__);
    CHECK(r.has_stat && r.stat.data_length == 3);

    result_init(&r);
    CHECK_OK(zk_get_async(c, p, NULL, 0, on_data, &r, zkt_on_final));
    wait_done(&r, ZK_RESULT_OK, __LINE__);
    CHECK_EQ(r.len, 3);
    CHECK_STR(r.value, "one");
    CHECK(r.has_stat && r.stat.version == 0);

    result_init(&r);
    CHECK_OK(zk_set_async(c, p, (const uint8_t *)"two", 3, 0, 0, on_stat, &r, zkt_on_final));
    wait_done(&r, ZK_RESULT_OK, __LINE__);
    CHECK(r.has_stat && r.stat.version == 1);

    result_init(&r);
    CHECK_OK(zk_get_children_async(c, root, NULL, 0, on_children, &r, zkt_on_final));
    wait_done(&r, ZK_RESULT_OK, __LINE__);
    CHECK_EQ(r.count, 2);
    CHECK(strncmp(r.value, "n,s-", 4) == 0);
    CHECK(r.has_stat && r.stat.num_children == 2);

    result_init(&r);
    CHECK_OK(zk_sync_async(c, p, 0, on_string, &r, zkt_on_final));
    wait_done(&r, ZK_RESULT_OK, __LINE__);
    CHECK_STR(r.value, p);
    CHECK(!r.has_stat);

    result_init(&r);
    CHECK_OK(zk_set_acl_async(c, p, &ro, 1, 0, 0, on_stat, &r, zkt_on_final));
    wait_done(&r, ZK_RESULT_OK, __LINE__);
    CHECK(r.has_stat && r.stat.aversion == 1);

    result_init(&r);
    CHECK_OK(zk_get_acl_async(c, p, 0, on_acl, &r, zkt_on_final));
    wait_done(&r, ZK_RESULT_OK, __LINE__);
    CHECK_EQ(r.count, 1);
    CHECK_STR(r.value, "world:anyone:3");
    CHECK(r.has_stat && r.stat.aversion == 1);

    result_init(&r);
    CHECK_OK(zk_delete_async(c, p, 1, 0, on_void, &r, zkt_on_final));
    wait_done(&r, ZK_RESULT_OK, __LINE__);

    result_init(&r);
    CHECK_OK(zk_exists_async(c, p, NULL, 0, on_stat, &r, zkt_on_final));
    wait_done(&r, ZK_RESULT_NO_NODE, __LINE__);
    CHECK(!r.has_stat);
    zkt_teardown(c, root);
}

static void async_server_errors_come_through_the_callback(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX], kid[ZKT_PATH_MAX];
    struct result r;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    CHECK_OK(zkt_create(c, zkt_path(p, "%s/n", root), "x"));
    CHECK_OK(zkt_create(c, zkt_path(kid, "%s/kid", p), NULL));

    result_init(&r);
    CHECK_OK(zk_set_async(c, p, (const uint8_t *)"y", 1, 5, 0, on_stat, &r, zkt_on_final));
    wait_done(&r, ZK_RESULT_BAD_VERSION, __LINE__);
    CHECK(!r.has_stat);

    result_init(&r);
    CHECK_OK(zk_delete_async(c, p, -1, 0, on_void, &r, zkt_on_final));
    wait_done(&r, ZK_RESULT_NOT_EMPTY, __LINE__);

    result_init(&r);
    CHECK_OK(zk_create_async(c, p, NULL, 0, NULL, 0, 0, 0, 0, on_string, &r, zkt_on_final));
    wait_done(&r, ZK_RESULT_NODE_EXISTS, __LINE__);
    CHECK(!r.has_value && !r.has_stat);

    zkt_path(p, "%s/none", root);
    result_init(&r);
    CHECK_OK(zk_get_async(c, p, NULL, 0, on_data, &r, zkt_on_final));
    wait_done(&r, ZK_RESULT_NO_NODE, __LINE__);
    CHECK(!r.has_value && !r.has_stat);

    result_init(&r);
    CHECK_OK(zk_get_children_async(c, p, NULL, 0, on_children, &r, zkt_on_final));
    wait_done(&r, ZK_RESULT_NO_NODE, __LINE__);
    CHECK(!r.has_value);

    result_init(&r);
    CHECK_OK(zk_get_acl_async(c, p, 0, on_acl, &r, zkt_on_final));
    wait_done(&r, ZK_RESULT_NO_NODE, __LINE__);
    CHECK(!r.has_value);
    zkt_teardown(c, root);
}

/* Refused up front: the error is returned, the finalizer has run, the callback never will. */
#define CHECK_REFUSED(call, want, r)                                                      \
    do {                                                                                  \
        result_init(&(r));                                                                \
        CHECK_RC(call, want);                                                             \
        CHECK_EQ(zkt_rec_finals(&(r).rec), 1);                                            \
        CHECK_EQ((r).calls, 0);                                                           \
    } while (0)

static void async_refused_calls_never_call_back(void)
{
    static const zk_acl open = { ZK_PERM_ALL, "world", "anyone" };
    struct result r;
    struct zkt_rec wr;
    zk_watcher w;
    zk_client *c = zkt_connect();
    REQUIRE(c != NULL);
    zkt_rec_init(&wr);
    w = zkt_watcher(&wr);

    CHECK_REFUSED(zk_create_async(c, "bad", NULL, 0, NULL, 0, 0, 0, 0, on_string, &r.rec, zkt_on_final),
                  ZK_RESULT_INVALID_PATH, r);
    CHECK_REFUSED(zk_create_async(c, "/a/b", NULL, 0, NULL, 0, ZK_CREATE_FLAG_MAKEPATH, 0, 0,
                                  on_string, &r.rec, zkt_on_final),
                  ZK_RESULT_INVALID_ARGUMENT, r);
    CHECK_REFUSED(zk_create_async(c, "/a", NULL, 0, NULL, 0, 64, 0, 0, on_string, &r.rec, zkt_on_final),
                  ZK_RESULT_INVALID_ARGUMENT, r);
    CHECK_REFUSED(zk_create_async(c, "/a", NULL, 3, NULL, 0, 0, 0, 0, on_string, &r.rec, zkt_on_final),
                  ZK_RESULT_NULL_ARGUMENT, r);
    CHECK_REFUSED(zk_create_async(c, "/a", NULL, 0, NULL, 0, 0, 0, 0, NULL, &r.rec, zkt_on_final),
                  ZK_RESULT_NULL_ARGUMENT, r);
    CHECK_REFUSED(zk_delete_async(c, "/a/", -1, 0, on_void, &r.rec, zkt_on_final),
                  ZK_RESULT_INVALID_PATH, r);
    CHECK_REFUSED(zk_delete_async(NULL, "/a", -1, 0, on_void, &r.rec, zkt_on_final),
                  ZK_RESULT_NULL_ARGUMENT, r);
    CHECK_REFUSED(zk_exists_async(c, "/\xff", NULL, 0, on_stat, &r.rec, zkt_on_final),
                  ZK_RESULT_INVALID_UTF8, r);
    CHECK_REFUSED(zk_get_async(c, NULL, NULL, 0, on_data, &r.rec, zkt_on_final),
                  ZK_RESULT_NULL_ARGUMENT, r);
    CHECK_REFUSED(zk_get_children_async(c, "//", NULL, 0, on_children, &r.rec, zkt_on_final),
                  ZK_RESULT_INVALID_PATH, r);
    CHECK_REFUSED(zk_set_async(c, "/a", NULL, 0, -1, 0, NULL, &r.rec, zkt_on_final),
                  ZK_RESULT_NULL_ARGUMENT, r);
    CHECK_REFUSED(zk_sync_async(c, "x", 0, on_string, &r.rec, zkt_on_final),
                  ZK_RESULT_INVALID_PATH, r);
    CHECK_REFUSED(zk_get_acl_async(c, "/a/../b", 0, on_acl, &r.rec, zkt_on_final),
                  ZK_RESULT_INVALID_PATH, r);
    CHECK_REFUSED(zk_set_acl_async(c, "/a", NULL, 0, -1, 0, on_stat, &r.rec, zkt_on_final),
                  ZK_RESULT_INVALID_ACL, r);
    CHECK_REFUSED(zk_set_acl_async(c, "/a", &open, 1, -1, 0, NULL, &r.rec, zkt_on_final),
                  ZK_RESULT_NULL_ARGUMENT, r);
    /* A refused call with a watcher releases both. */
    CHECK_REFUSED(zk_exists_async(c, "bad", &w, 0, on_stat, &r.rec, zkt_on_final),
                  ZK_RESULT_INVALID_PATH, r);
    CHECK_EQ(zkt_rec_finals(&wr), 1);
    CHECK_REFUSED(zk_get_async(c, "/a", &w, 0, NULL, &r.rec, zkt_on_final),
                  ZK_RESULT_NULL_ARGUMENT, r);
    CHECK_EQ(zkt_rec_finals(&wr), 2);
    /* The finalizer is optional. */
    result_init(&r);
    CHECK_RC(zk_sync_async(c, "x", 0, on_string, &r.rec, NULL), ZK_RESULT_INVALID_PATH);

    /* A stopped client takes the call and answers through the callback. */
    CHECK_OK(zk_stop(c));
    result_init(&r);
    CHECK_OK(zk_get_async(c, "/", NULL, 0, on_data, &r, zkt_on_final));
    wait_done(&r, ZK_RESULT_CLOSED, __LINE__);
    result_init(&r);
    CHECK_OK(zk_create_async(c, "/a", NULL, 0, NULL, 0, 0, 0, 0, on_string, &r, zkt_on_final));
    wait_done(&r, ZK_RESULT_CLOSED, __LINE__);
    CHECK(!r.has_value);
    zk_client_free(c);
    CHECK_EQ(zkt_rec_events(&wr), 0);
    zkt_rec_destroy(&wr);
}

/* Watch events and completions share the event thread's order: a set's own watch event
 * comes before the set's completion, and completions come in request order. */
static int watch_order;

static void on_watch_ordered(void *ud, const zk_event *e)
{
    struct zkt_rec *r = ud;
    pthread_mutex_lock(&r->mu);
    watch_order = ++seq; /* seq is only touched on the event thread */
    pthread_mutex_unlock(&r->mu);
    zkt_on_watch(ud, e);
}

static void async_completions_keep_reply_order(void)
{
    enum { N = 50 };
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    static struct result sets[N];
    struct zkt_rec wr;
    zk_watcher w;
    zk_buffer b = { NULL, 0 };
    int i;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_rec_init(&wr);
    CHECK_OK(zkt_create(c, zkt_path(p, "%s/n", root), "0"));
    w.callback = on_watch_ordered;
    w.userdata = &wr;
    w.finalizer = zkt_on_final;
    CHECK_OK(zk_get(c, p, &w, 0, &b, NULL));
    zk_buffer_free(&b);

    seq = 0;
    watch_order = 0;
    for (i = 0; i < N; i++) {
        char v[16];
        int n = snprintf(v, sizeof v, "%d", i + 1);
        result_init(&sets[i]);
        CHECK_OK(zk_set_async(c, p, (const uint8_t *)v, (size_t)n, i, 0, on_stat, &sets[i],
                              zkt_on_final));
    }
    for (i = 0; i < N; i++)
        wait_done(&sets[i], ZK_RESULT_OK, __LINE__);
    CHECK(zkt_wait_finals(&wr, 1, WAIT_MS));
    CHECK_EQ(zkt_rec_events(&wr), 1);
    /* The server sends the notification before the reply to the set that caused it. */
    CHECK_EQ(watch_order, 1);
    for (i = 0; i < N; i++) {
        CHECK_EQ(sets[i].order, i + 2);
        CHECK_EQ(sets[i].stat.version, i + 1);
    }
    zkt_teardown(c, root);
    zkt_rec_destroy(&wr);
}

/* Watches passed to the async reads behave as with the blocking ones. */
static void async_reads_set_watches(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    struct result r;
    struct zkt_rec ex, ch, da;
    zk_watcher w;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_rec_init(&ex);
    zkt_rec_init(&ch);
    zkt_rec_init(&da);
    zkt_path(p, "%s/n", root);

    result_init(&r);
    w = zkt_watcher(&ex);
    CHECK_OK(zk_exists_async(c, p, &w, 0, on_stat, &r, zkt_on_final));
    wait_done(&r, ZK_RESULT_NO_NODE, __LINE__);
    result_init(&r);
    w = zkt_watcher(&ch);
    CHECK_OK(zk_get_children_async(c, root, &w, 0, on_children, &r, zkt_on_final));
    wait_done(&r, ZK_RESULT_OK, __LINE__);
    CHECK_EQ(zk_watch_count(c), 2);

    CHECK_OK(zkt_create(c, p, "x"));
    CHECK(zkt_wait_finals(&ex, 1, WAIT_MS));
    CHECK(zkt_wait_finals(&ch, 1, WAIT_MS));
    pthread_mutex_lock(&ex.mu);
    CHECK_EQ(ex.events[0].type, ZK_EVENT_TYPE_CREATED);
    CHECK_STR(ex.events[0].path, p);
    pthread_mutex_unlock(&ex.mu);
    pthread_mutex_lock(&ch.mu);
    CHECK_EQ(ch.events[0].type, ZK_EVENT_TYPE_CHILD);
    CHECK_STR(ch.events[0].path, root);
    pthread_mutex_unlock(&ch.mu);

    result_init(&r);
    w = zkt_watcher(&da);
    CHECK_OK(zk_get_async(c, p, &w, 0, on_data, &r, zkt_on_final));
    wait_done(&r, ZK_RESULT_OK, __LINE__);
    CHECK_OK(zkt_set_str(c, p, "y"));
    CHECK(zkt_wait_finals(&da, 1, WAIT_MS));
    pthread_mutex_lock(&da.mu);
    CHECK_EQ(da.events[0].type, ZK_EVENT_TYPE_CHANGED);
    pthread_mutex_unlock(&da.mu);

    /* get on a missing node sets no watch: the watcher ends with the call. */
    result_init(&r);
    zkt_rec_destroy(&da);
    zkt_rec_init(&da);
    w = zkt_watcher(&da);
    CHECK_OK(zk_get_async(c, zkt_path(p, "%s/none", root), &w, 0, on_data, &r, zkt_on_final));
    wait_done(&r, ZK_RESULT_NO_NODE, __LINE__);
    CHECK(zkt_wait_finals(&da, 1, WAIT_MS));
    CHECK_EQ(zkt_rec_events(&da), 0);
    CHECK_EQ(zk_watch_count(c), 0);
    zkt_teardown(c, root);
    zkt_rec_destroy(&ex);
    zkt_rec_destroy(&ch);
    zkt_rec_destroy(&da);
}

/* ---- a completion calling back into the library */

struct chain {
    struct result r;
    zk_client *c;
    char path[ZKT_PATH_MAX];
    zk_result get_rc;
    char data[16];
};

static void chain_created(void *ud, zk_result rc, const char *value, const zk_stat *st)
{
    struct chain *x = ud;
    zk_buffer b = { NULL, 0 };
    /* Blocking, from the event thread: the reply is read by the I/O thread. */
    zk_result g = zk_get(x->c, x->path, NULL, 0, &b, NULL);
    (void)value;
    (void)st;
    pthread_mutex_lock(&x->r.rec.mu);
    x->get_rc = g;
    if (g == ZK_RESULT_OK)
        snprintf(x->data, sizeof x->data, "%.*s", (int)b.len, (const char *)b.data);
    pthread_mutex_unlock(&x->r.rec.mu);
    zk_buffer_free(&b);
    on_string(&x->r, rc, value, st);
}

static void async_completion_may_call_blocking_api(void)
{
    char root[ZKT_PATH_MAX];
    static struct chain x;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    memset(&x, 0, sizeof x);
    result_init(&x.r);
    x.c = c;
    zkt_path(x.path, "%s/n", root);
    CHECK_OK(zk_create_async(c, x.path, (const uint8_t *)"made", 4, NULL, 0, 0, 0, 0,
                             chain_created, &x, zkt_on_final));
    wait_done(&x.r, ZK_RESULT_OK, __LINE__);
    CHECK_OK(x.get_rc);
    CHECK_STR(x.data, "made");
    zkt_teardown(c, root);
}

/* Requests still in flight when the client is freed: each completion still runs exactly
 * once (with its reply, or an error saying the client closed), and before free returns. */
static void async_in_flight_at_free_complete_once(void)
{
    enum { N = 200 };
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    static struct result rs[N];
    zk_client *c = zkt_setup(root);
    zk_client *d;
    int i, ok = 0, closed = 0;
    REQUIRE(c != NULL);
    CHECK_OK(zkt_create(c, zkt_path(p, "%s/n", root), "x"));
    d = zkt_connect();
    REQUIRE(d != NULL);
    for (i = 0; i < N; i++) {
        result_init(&rs[i]);
        CHECK_OK(zk_get_async(d, p, NULL, 0, on_data, &rs[i], zkt_on_final));
    }
    zk_client_free(d);
    for (i = 0; i < N; i++) {
        pthread_mutex_lock(&rs[i].rec.mu);
        if (rs[i].calls != 1 || rs[i].rec.finals != 1)
            zkt_fail(__FILE__, __LINE__, "request %d: %d calls, %d finalizer runs at free", i,
                     rs[i].calls, rs[i].rec.finals);
        if (rs[i].rc == ZK_RESULT_OK)
            ok++;
        else if (rs[i].rc == ZK_RESULT_CLOSED || rs[i].rc == ZK_RESULT_CONNECTION_LOSS)
            closed++;
        else
            zkt_fail(__FILE__, __LINE__, "request %d: rc %d (%s)", i, (int)rs[i].rc,
                     zk_result_message(rs[i].rc));
        pthread_mutex_unlock(&rs[i].rec.mu);
    }
    CHECK_EQ(ok + closed, N);
    zkt_teardown(c, root);
}

ZKT_SUITE(async) = {
    ZKT_CASE(async_operations_round_trip),
    ZKT_CASE(async_server_errors_come_through_the_callback),
    ZKT_CASE(async_refused_calls_never_call_back),
    ZKT_CASE(async_completions_keep_reply_order),
    ZKT_CASE(async_reads_set_watches),
    ZKT_CASE(async_completion_may_call_blocking_api),
    ZKT_CASE(async_in_flight_at_free_complete_once),
    ZKT_END,
};
