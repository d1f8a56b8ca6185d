/* One-shot watches: each kind fires once with the right type and path (chroot-relative
 * under a chroot), every finalizer runs exactly once whatever ends the watch, and
 * callbacks may call back into the library, even to free the client. */
#include "zktest.h"

#include <stdlib.h>

#define EVENT_WAIT_MS 5000

static void check_event(struct zkt_rec *r, int i, zk_event_type type, zk_keeper_state state,
                        const char *path)
{
    pthread_mutex_lock(&r->mu);
    if (i >= r->n_events) {
        zkt_fail(__FILE__, __LINE__, "event %d never came (%d events)", i, r->n_events);
    } else {
        const struct zkt_event *e = &r->events[i];
        if (e->type != type || e->state != state || strcmp(e->path, path) != 0)
            zkt_fail(__FILE__, __LINE__, "event %d: got (type %d, state %d, \"%s\"), "
                                         "want (type %d, state %d, \"%s\")",
                     i, (int)e->type, (int)e->state, e->path, (int)type, (int)state, path);
    }
    pthread_mutex_unlock(&r->mu);
}

/* Events run in order on one thread: once a later watch has fired, an earlier, already
 * fired watch would have fired again before it if it were not one-shot. */
static void check_fired_once(zk_client *c, const char *path, struct zkt_rec *r)
{
    struct zkt_rec later;
    zk_watcher w;
    zkt_rec_init(&later);
    w = zkt_watcher(&later);
    CHECK_OK(zk_exists(c, path, &w, 0, NULL));
    CHECK_OK(zkt_set_str(c, path, "after"));
    CHECK(zkt_wait_finals(&later, 1, EVENT_WAIT_MS));
    CHECK_EQ(zkt_rec_events(r), 1);
    CHECK_EQ(zkt_rec_finals(r), 1);
    zkt_rec_destroy(&later);
}

static void data_watch_fires_changed_on_set(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    struct zkt_rec r;
    zk_watcher w;
    zk_buffer b = { NULL, 0 };
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_rec_init(&r);
    w = zkt_watcher(&r);

    CHECK_OK(zkt_create(c, zkt_path(p, "%s/n", root), "a"));
    CHECK_OK(zk_get(c, p, &w, 0, &b, NULL));
    zk_buffer_free(&b);
    CHECK_EQ(zk_watch_count(c), 1);
    CHECK_EQ(zkt_rec_events(&r), 0);
    CHECK_OK(zkt_set_str(c, p, "b"));
    CHECK(zkt_wait_finals(&r, 1, EVENT_WAIT_MS));
    check_event(&r, 0, ZK_EVENT_TYPE_CHANGED, ZK_KEEPER_STATE_CONNECTED, p);
    check_fired_once(c, p, &r);
    CHECK_EQ(zk_watch_count(c), 0);
    zkt_teardown(c, root);
    zkt_rec_destroy(&r);
}

/* zk_event.zxid: the set's zxid on ZooKeeper 3.9, -1 (unknown) on 3.8 and for the session
 * event that ends a watch at stop. */
static void events_carry_the_zxid_of_their_change_on_39(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX], q[ZKT_PATH_MAX];
    struct zkt_rec r, r2;
    zk_watcher w, w2;
    zk_buffer b = { NULL, 0 };
    zk_stat st;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_rec_init(&r);
    zkt_rec_init(&r2);
    w = zkt_watcher(&r);
    w2 = zkt_watcher(&r2);

    CHECK_OK(zkt_create(c, zkt_path(p, "%s/n", root), "a"));
    CHECK_OK(zk_get(c, p, &w, 0, &b, NULL));
    zk_buffer_free(&b);
    CHECK_OK(zk_set(c, p, (const uint8_t *)"b", 1, -1, 0, &st));
    CHECK(zkt_wait_finals(&r, 1, EVENT_WAIT_MS));
    check_event(&r, 0, ZK_EVENT_TYPE_CHANGED, ZK_KEEPER_STATE_CONNECTED, p);
    if (zkt_version_at_least(zkt_server_version(), 3, 9))
        CHECK_EQ(r.events[0].zxid, st.mzxid);
    else
        CHECK_EQ(r.events[0].zxid, -1);

    CHECK_RC(zk_exists(c, zkt_path(q, "%s/never", root), &w2, 0, NULL), ZK_RESULT_NO_NODE);
    zkt_teardown(c, root); /* frees the client: the exists watch ends with a session event */
    CHECK(zkt_wait_finals(&r2, 1, EVENT_WAIT_MS));
    CHECK_EQ(zkt_rec_events(&r2), 1);
    CHECK_EQ(r2.events[0].type, ZK_EVENT_TYPE_NONE);
    CHECK_EQ(r2.events[0].zxid, -1);
    zkt_rec_destroy(&r);
    zkt_rec_destroy(&r2);
}

static void data_watch_fires_deleted_on_delete(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    struct zkt_rec r;
    zk_watcher w;
    zk_buffer b = { NULL, 0 };
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_rec_init(&r);
    w = zkt_watcher(&r);

    CHECK_OK(zkt_create(c, zkt_path(p, "%s/n", root), "a"));
    CHECK_OK(zk_get(c, p, &w, 0, &b, NULL));
    zk_buffer_free(&b);
    CHECK_OK(zk_delete(c, p, -1, false, 0));
    CHECK(zkt_wait_finals(&r, 1, EVENT_WAIT_MS));
    check_event(&r, 0, ZK_EVENT_TYPE_DELETED, ZK_KEEPER_STATE_CONNECTED, p);
    zkt_teardown(c, root);
    CHECK_EQ(zkt_rec_events(&r), 1);
    zkt_rec_destroy(&r);
}

static void exists_watch_on_missing_node_fires_created(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    struct zkt_rec r;
    zk_watcher w;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_rec_init(&r);
    w = zkt_watcher(&r);

    /* NO_NODE, and yet the watch is set */
    CHECK_RC(zk_exists(c, zkt_path(p, "%s/later", root), &w, 0, NULL), ZK_RESULT_NO_NODE);
    CHECK_EQ(zk_watch_count(c), 1);
    CHECK_EQ(zkt_rec_finals(&r), 0);
    CHECK_OK(zkt_create(c, p, "x"));
    CHECK(zkt_wait_finals(&r, 1, EVENT_WAIT_MS));
    check_event(&r, 0, ZK_EVENT_TYPE_CREATED, ZK_KEEPER_STATE_CONNECTED, p);
    check_fired_once(c, p, &r);
    zkt_teardown(c, root);
    zkt_rec_destroy(&r);
}

static void exists_watch_on_existing_node_fires_changed(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    struct zkt_rec r;
    zk_watcher w;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_rec_init(&r);
    w = zkt_watcher(&r);

    CHECK_OK(zkt_create(c, zkt_path(p, "%s/n", root), "x"));
    CHECK_OK(zk_exists(c, p, &w, 0, NULL));
    CHECK_OK(zkt_set_str(c, p, "y"));
    CHECK(zkt_wait_finals(&r, 1, EVENT_WAIT_MS));
    check_event(&r, 0, ZK_EVENT_TYPE_CHANGED, ZK_KEEPER_STATE_CONNECTED, p);
    zkt_teardown(c, root);
    zkt_rec_destroy(&r);
}

static void child_watch_fires_child_on_create_and_delete(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    struct zkt_rec r, r2;
    zk_watcher w;
    zk_string_list *l = NULL;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_rec_init(&r);
    zkt_rec_init(&r2);

    w = zkt_watcher(&r);
    CHECK_OK(zk_get_children(c, root, &w, 0, &l, NULL));
    zk_string_list_free(l);
    /* A data change of the parent is not a child event. */
    CHECK_OK(zkt_set_str(c, root, "data"));
    CHECK_OK(zkt_create(c, zkt_path(p, "%s/kid", root), NULL));
    CHECK(zkt_wait_finals(&r, 1, EVENT_WAIT_MS));
    check_event(&r, 0, ZK_EVENT_TYPE_CHILD, ZK_KEEPER_STATE_CONNECTED, root);

    /* A child watch with stat, ended by a child's delete. */
    w = zkt_watcher(&r2);
    l = NULL;
    CHECK_OK(zk_get_children(c, root, &w, 0, &l, NULL));
    zk_string_list_free(l);
    CHECK_OK(zk_delete(c, p, -1, false, 0));
    CHECK(zkt_wait_finals(&r2, 1, EVENT_WAIT_MS));
    check_event(&r2, 0, ZK_EVENT_TYPE_CHILD, ZK_KEEPER_STATE_CONNECTED, root);
    CHECK_EQ(zkt_rec_events(&r), 1);
    zkt_teardown(c, root);
    zkt_rec_destroy(&r);
    zkt_rec_destroy(&r2);
}

static void every_watch_of_a_node_fires_on_delete(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    struct zkt_rec data, child, ex;
    zk_watcher w;
    zk_buffer b = { NULL, 0 };
    zk_string_list *l = NULL;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_rec_init(&data);
    zkt_rec_init(&child);
    zkt_rec_init(&ex);

    CHECK_OK(zkt_create(c, zkt_path(p, "%s/n", root), "x"));
    w = zkt_watcher(&data);
    CHECK_OK(zk_get(c, p, &w, 0, &b, NULL));
    zk_buffer_free(&b);
    w = zkt_watcher(&child);
    CHECK_OK(zk_get_children(c, p, &w, 0, &l, NULL));
    zk_string_list_free(l);
    w = zkt_watcher(&ex);
    CHECK_OK(zk_exists(c, p, &w, 0, NULL));
    CHECK_EQ(zk_watch_count(c), 3);
    CHECK_OK(zk_delete(c, p, -1, false, 0));
    CHECK(zkt_wait_finals(&data, 1, EVENT_WAIT_MS));
    CHECK(zkt_wait_finals(&child, 1, EVENT_WAIT_MS));
    CHECK(zkt_wait_finals(&ex, 1, EVENT_WAIT_MS));
    check_event(&data, 0, ZK_EVENT_TYPE_DELETED, ZK_KEEPER_STATE_CONNECTED, p);
    check_event(&child, 0, ZK_EVENT_TYPE_DELETED, ZK_KEEPER_STATE_CONNECTED, p);
    check_event(&ex, 0, ZK_EVENT_TYPE_DELETED, ZK_KEEPER_STATE_CONNECTED, p);
    CHECK_EQ(zk_watch_count(c), 0);
    zkt_teardown(c, root);
    zkt_rec_destroy(&data);
    zkt_rec_destroy(&child);
    zkt_rec_destroy(&ex);
}

static void chroot_events_and_paths_are_chroot_relative(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX], suffix[ZKT_PATH_MAX];
    struct zkt_rec data, child, ex;
    zk_watcher w;
    zk_buffer b = { NULL, 0 };
    zk_string_list *l = NULL;
    char *created = NULL;
    zk_options *o;
    zk_client *in;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_rec_init(&data);
    zkt_rec_init(&child);
    zkt_rec_init(&ex);

    /* The chroot node is made by a client outside it. */
    CHECK_OK(zkt_create(c, zkt_path(p, "%s/chroot-x", root), NULL));
    o = zkt_options(zkt_path(suffix, "%s/chroot-x", root));
    in = zkt_start(o);
    zk_options_free(o);
    if (in != NULL) {
        CHECK_OK(zk_create(in, "/n", (const uint8_t *)"1", 1, NULL, 0, 0, 0, 0, &created, NULL));
        CHECK_STR(created, "/n");
        zk_string_free(created);
        CHECK_OK(zk_exists(c, zkt_path(p, "%s/chroot-x/n", root), NULL, 0, NULL));

        w = zkt_watcher(&data);
        CHECK_OK(zk_get(in, "/n", &w, 0, &b, NULL));
        zk_buffer_free(&b);
        w = zkt_watcher(&child);
        CHECK_OK(zk_get_children(in, "/", &w, 0, &l, NULL));
        CHECK_EQ(zk_string_list_len(l), 1);
        CHECK_STR(zk_string_list_get(l, 0), "n");
        zk_string_list_free(l);
        w = zkt_watcher(&ex);
        CHECK_RC(zk_exists(in, "/m", &w, 0, NULL), ZK_RESULT_NO_NODE);

        /* Changes made from outside the chroot. */
        CHECK_OK(zkt_set_str(c, zkt_path(p, "%s/chroot-x/n", root), "2"));
        CHECK_OK(zkt_create(c, zkt_path(p, "%s/chroot-x/m", root), NULL));
        CHECK(zkt_wait_finals(&data, 1, EVENT_WAIT_MS));
        CHECK(zkt_wait_finals(&child, 1, EVENT_WAIT_MS));
        CHECK(zkt_wait_finals(&ex, 1, EVENT_WAIT_MS));
        check_event(&data, 0, ZK_EVENT_TYPE_CHANGED, ZK_KEEPER_STATE_CONNECTED, "/n");
        check_event(&child, 0, ZK_EVENT_TYPE_CHILD, ZK_KEEPER_STATE_CONNECTED, "/");
        check_event(&ex, 0, ZK_EVENT_TYPE_CREATED, ZK_KEEPER_STATE_CONNECTED, "/m");

        /* Sequence names come back without the chroot too. */
        created = NULL;
        CHECK_OK(zk_create(in, "/s-", NULL, 0, NULL, 0, ZK_CREATE_FLAG_SEQUENCE, 0, 0, &created,
                           NULL));
        CHECK(created != NULL && strncmp(created, "/s-", 3) == 0 && strlen(created) == 13);
        zk_string_free(created);
        zk_client_free(in);
    }
    zkt_teardown(c, root);
    zkt_rec_destroy(&data);
    zkt_rec_destroy(&child);
    zkt_rec_destroy(&ex);
}

static void pending_watches_end_with_closed_at_stop(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX], q[ZKT_PATH_MAX];
    struct zkt_rec data, child, ex;
    zk_watcher w;
    zk_buffer b = { NULL, 0 };
    zk_string_list *l = NULL;
    zk_client *other;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_rec_init(&data);
    zkt_rec_init(&child);
    zkt_rec_init(&ex);

    CHECK_OK(zkt_create(c, zkt_path(p, "%s/n", root), "x"));
    w = zkt_watcher(&data);
    CHECK_OK(zk_get(c, p, &w, 0, &b, NULL));
    zk_buffer_free(&b);
    w = zkt_watcher(&child);
    CHECK_OK(zk_get_children(c, p, &w, 0, &l, NULL));
    zk_string_list_free(l);
    w = zkt_watcher(&ex);
    CHECK_RC(zk_exists(c, zkt_path(q, "%s/none", root), &w, 0, NULL), ZK_RESULT_NO_NODE);
    CHECK_EQ(zk_watch_count(c), 3);

    CHECK_OK(zk_stop(c));
    CHECK(zkt_wait_finals(&data, 1, EVENT_WAIT_MS));
    CHECK(zkt_wait_finals(&child, 1, EVENT_WAIT_MS));
    CHECK(zkt_wait_finals(&ex, 1, EVENT_WAIT_MS));
    check_event(&data, 0, ZK_EVENT_TYPE_NONE, ZK_KEEPER_STATE_CLOSED, "");
    check_event(&child, 0, ZK_EVENT_TYPE_NONE, ZK_KEEPER_STATE_CLOSED, "");
    check_event(&ex, 0, ZK_EVENT_TYPE_NONE, ZK_KEEPER_STATE_CLOSED, "");
    CHECK_EQ(zk_watch_count(c), 0);

    /* The ended watches do not come back after a restart, nor fire on changes. */
    CHECK_OK(zk_start(c, (uint32_t)zkt_wait_ms(10000)));
    other = zkt_connect();
    if (other != NULL) {
        CHECK_OK(zkt_set_str(other, p, "changed"));
        CHECK_OK(zk_sync(c, p, 0));
        zk_client_free(other);
    }
    CHECK_EQ(zk_watch_count(c), 0);
    zkt_teardown(c, root);
    CHECK_EQ(zkt_rec_events(&data), 1);
    CHECK_EQ(zkt_rec_finals(&data), 1);
    CHECK_EQ(zkt_rec_finals(&child), 1);
    CHECK_EQ(zkt_rec_finals(&ex), 1);
    zkt_rec_destroy(&data);
    zkt_rec_destroy(&child);
    zkt_rec_destroy(&ex);
}

static void pending_watches_are_finalized_before_free_returns(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    struct zkt_rec r;
    zk_watcher w;
    zk_buffer b = { NULL, 0 };
    int i;
    zk_client *c = zkt_setup(root);
    zk_client *c2;
    REQUIRE(c != NULL);
    zkt_rec_init(&r);

    c2 = zkt_connect();
    CHECK_OK(zkt_create(c, zkt_path(p, "%s/n", root), "x"));
    if (c2 != NULL) {
        w = zkt_watcher(&r);
        for (i = 0; i < 5; i++) {
            CHECK_OK(zk_get(c2, p, &w, 0, &b, NULL));
            zk_buffer_free(&b);
        }
        CHECK_EQ(zk_watch_count(c2), 5);
        zk_client_free(c2);
        /* No waiting: free drains the event thread before it returns. */
        CHECK_EQ(zkt_rec_events(&r), 5);
        CHECK_EQ(zkt_rec_finals(&r), 5);
        for (i = 0; i < 5; i++)
            check_event(&r, i, ZK_EVENT_TYPE_NONE, ZK_KEEPER_STATE_CLOSED, "");
    }
    zkt_teardown(c, root);
    zkt_rec_destroy(&r);
}

static void failed_calls_finalize_the_watcher_before_returning(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    struct zkt_rec r;
    zk_watcher w, no_cb, no_final;
    zk_buffer b = { NULL, 0 };
    zk_string_list *l = NULL;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_rec_init(&r);
    w = zkt_watcher(&r);

    CHECK_RC(zk_get(c, "bad-path", &w, 0, &b, NULL), ZK_RESULT_INVALID_PATH);
    CHECK_EQ(zkt_rec_finals(&r), 1);
    CHECK_RC(zk_exists(c, "/a/../b", &w, 0, NULL), ZK_RESULT_INVALID_PATH);
    CHECK_EQ(zkt_rec_finals(&r), 2);
    CHECK_RC(zk_get_children(c, "/trailing/", &w, 0, &l, NULL), ZK_RESULT_INVALID_PATH);
    CHECK_EQ(zkt_rec_finals(&r), 3);
    /* A server-side failure: get and get_children on a missing node set no watch. */
    CHECK_RC(zk_get(c, zkt_path(p, "%s/none", root), &w, 0, &b, NULL), ZK_RESULT_NO_NODE);
    CHECK_EQ(zkt_rec_finals(&r), 4);
    CHECK_RC(zk_get_children(c, p, &w, 0, &l, NULL), ZK_RESULT_NO_NODE);
    CHECK_EQ(zkt_rec_finals(&r), 5);
    /* Bad arguments other than the path. */
    CHECK_RC(zk_get(NULL, root, &w, 0, &b, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_EQ(zkt_rec_finals(&r), 6);
    CHECK_RC(zk_get(c, root, &w, 0, NULL, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_EQ(zkt_rec_finals(&r), 7);
    CHECK_RC(zk_get_children(c, root, &w, 0, NULL, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_EQ(zkt_rec_finals(&r), 8);
    CHECK_RC(zk_exists(c, NULL, &w, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_EQ(zkt_rec_finals(&r), 9);
    CHECK_RC(zk_exists(c, "/\xff\xfe", &w, 0, NULL), ZK_RESULT_INVALID_UTF8);
    CHECK_EQ(zkt_rec_finals(&r), 10);
    /* A watcher without a callback is refused, and its userdata still released. */
    no_cb = w;
    no_cb.callback = NULL;
    CHECK_RC(zk_exists(c, root, &no_cb, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_EQ(zkt_rec_finals(&r), 11);
    CHECK_EQ(zk_watch_count(c), 0);

    /* A stopped client. */
    CHECK_OK(zk_stop(c));
    CHECK_RC(zk_exists(c, root, &w, 0, NULL), ZK_RESULT_CLOSED);
    CHECK_EQ(zkt_rec_finals(&r), 12);
    CHECK_EQ(zkt_rec_events(&r), 0);
    CHECK_OK(zk_start(c, (uint32_t)zkt_wait_ms(10000)));

    /* The finalizer is optional. */
    no_final = w;
    no_final.finalizer = NULL;
    CHECK_OK(zk_exists(c, root, &no_final, 0, NULL));
    CHECK_OK(zkt_set_str(c, root, "fire"));
    CHECK(zkt_wait_events(&r, 1, EVENT_WAIT_MS));
    CHECK_EQ(zkt_rec_finals(&r), 12);
    zkt_teardown(c, root);
    zkt_rec_destroy(&r);
}

/* ---- calling back into the library from a callback */

struct reenter {
    struct zkt_rec rec;
    zk_client *c;
    char path[ZKT_PATH_MAX];
    zk_result rc;
    char data[32];
    int32_t version;
    bool done;
};

static void reenter_cb(void *ud, const zk_event *e)
{
    struct reenter *x = ud;
    zk_buffer b = { NULL, 0 };
    zk_stat st;
    zk_result rc;
    (void)e;
    /* A blocking call on the event thread: its reply must not need this thread. */
    rc = zk_get(x->c, x->path, NULL, 0, &b, &st);
    pthread_mutex_lock(&x->rec.mu);
    x->rc = rc;
    if (rc == ZK_RESULT_OK) {
        snprintf(x->data, sizeof x->data, "%.*s", (int)b.len, (const char *)b.data);
        x->version = st.version;
    }
    x->done = true;
    pthread_cond_broadcast(&x->rec.cv);
    pthread_mutex_unlock(&x->rec.mu);
    zk_buffer_free(&b);
}

static bool reenter_done(struct zkt_rec *r, void *arg)
{
    (void)r;
    return ((struct reenter *)arg)->done;
}

static void callback_may_make_blocking_calls(void)
{
    char root[ZKT_PATH_MAX];
    static struct reenter x;
    zk_watcher w;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    memset(&x, 0, sizeof x);
    zkt_rec_init(&x.rec);
    x.c = c;
    x.rc = ZK_RESULT_SYSTEM_ERROR;
    zkt_path(x.path, "%s/n", root);

    CHECK_OK(zkt_create(c, x.path, "first"));
    w.callback = reenter_cb;
    w.userdata = &x;
    w.finalizer = zkt_on_final;
    CHECK_OK(zk_exists(c, x.path, &w, 0, NULL));
    CHECK_OK(zkt_set_str(c, x.path, "second"));
    CHECK(zkt_rec_wait(&x.rec, reenter_done, &x, EVENT_WAIT_MS));
    CHECK(zkt_wait_finals(&x.rec, 1, EVENT_WAIT_MS));
    CHECK_OK(x.rc);
    CHECK_STR(x.data, "second");
    CHECK_EQ(x.version, 1);
    zkt_teardown(c, root);
    zkt_rec_destroy(&x.rec);
}

struct free_in_cb {
    struct zkt_rec rec;
    zk_client *c;
    zk_event_type type;
    bool freed;
};

static void free_cb(void *ud, const zk_event *e)
{
    struct free_in_cb *x = ud;
    zk_client *c = x->c;
    x->type = e->event_type;
    zk_client_free(c); /* must return: it cannot wait for its own thread */
    pthread_mutex_lock(&x->rec.mu);
    x->freed = true;
    pthread_cond_broadcast(&x->rec.cv);
    pthread_mutex_unlock(&x->rec.mu);
}

static bool freed(struct zkt_rec *r, void *arg)
{
    (void)r;
    return ((struct free_in_cb *)arg)->freed;
}

static void callback_may_free_the_client(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    static struct free_in_cb x;
    struct zkt_rec other;
    zk_watcher w;
    zk_client *victim;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    memset(&x, 0, sizeof x);
    zkt_rec_init(&x.rec);
    zkt_rec_init(&other);

    victim = zkt_connect();
    CHECK_OK(zkt_create(c, zkt_path(p, "%s/n", root), "x"));
    if (victim != NULL) {
        x.c = victim;
        w.callback = free_cb;
        w.userdata = &x;
        w.finalizer = zkt_on_final;
        CHECK_OK(zk_exists(victim, p, &w, 0, NULL));
        /* A second pending watch: freeing the client from the callback ends it too. */
        w = zkt_watcher(&other);
        CHECK_OK(zk_exists(victim, root, &w, 0, NULL));
        CHECK_OK(zkt_set_str(c, p, "go"));
        CHECK(zkt_rec_wait(&x.rec, freed, &x, EVENT_WAIT_MS));
        CHECK(zkt_wait_finals(&x.rec, 1, EVENT_WAIT_MS));
        CHECK_EQ(x.type, ZK_EVENT_TYPE_CHANGED);
        CHECK(zkt_wait_finals(&other, 1, EVENT_WAIT_MS));
        check_event(&other, 0, ZK_EVENT_TYPE_NONE, ZK_KEEPER_STATE_CLOSED, "");
        /* `victim` is gone: its session too. */
    }
    zkt_teardown(c, root);
    zkt_rec_destroy(&x.rec);
    zkt_rec_destroy(&other);
}

ZKT_SUITE(watch) = {
    ZKT_CASE(data_watch_fires_changed_on_set),
    ZKT_CASE(data_watch_fires_deleted_on_delete),
    ZKT_CASE(events_carry_the_zxid_of_their_change_on_39),
    ZKT_CASE(exists_watch_on_missing_node_fires_created),
    ZKT_CASE(exists_watch_on_existing_node_fires_changed),
    ZKT_CASE(child_watch_fires_child_on_create_and_delete),
    ZKT_CASE(every_watch_of_a_node_fires_on_delete),
    ZKT_CASE(chroot_events_and_paths_are_chroot_relative),
    ZKT_CASE(pending_watches_end_with_closed_at_stop),
    ZKT_CASE(pending_watches_are_finalized_before_free_returns),
    ZKT_CASE(failed_calls_finalize_the_watcher_before_returning),
    ZKT_CASE(callback_may_make_blocking_calls),
    ZKT_CASE(callback_may_free_the_client),
    ZKT_END,
};
