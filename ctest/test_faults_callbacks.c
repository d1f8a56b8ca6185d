/* Callbacks that block in calls, or free the client, while the session fails over; and
 * a thousand watches ended once each by a stop after a failover. */
#include "faults.h"

#include <stdlib.h>
#include <unistd.h>

/* ------------------------------------------------------------------ 10. callbacks */

/* A watch callback that waits for the test's go, then blocks in calls (or frees). */
struct blocking_cb {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    zk_client *c;
    const char *path;
    bool entered, go, done, free_client;
    zk_result get_rc, set_rc;
    char got[32];
    int64_t took_ms;
};

static void blocking_cb_init(struct blocking_cb *b, zk_client *c, const char *path)
{
    memset(b, 0, sizeof *b);
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    b->c = c;
    b->path = path;
    b->get_rc = b->set_rc = ZK_RESULT_SYSTEM_ERROR;
}

static void blocking_cb_destroy(struct blocking_cb *b)
{
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
}

/* Waits (b->mu held) until *flag or `ms` pass. */
static bool wait_flag(struct blocking_cb *b, bool *flag, int ms)
{
    int64_t end = zkt_now_ms() + zkt_wait_ms(ms);
    while (!*flag && zkt_now_ms() < end) {
        pthread_mutex_unlock(&b->mu);
        zkt_sleep_ms(10);
        pthread_mutex_lock(&b->mu);
    }
    return *flag;
}

static void blocking_watch(void *ud, const zk_event *e)
{
    struct blocking_cb *b = ud;
    int64_t start;
    (void)e;
    pthread_mutex_lock(&b->mu);
    b->entered = true;
    wait_flag(b, &b->go, 20000);
    pthread_mutex_unlock(&b->mu);
    start = zkt_now_ms();
    if (b->free_client) {
        zk_client_free(b->c); /* must return: it cannot wait for its own thread */
    } else {
        zk_buffer d = { NULL, 0 };
        b->get_rc = zk_get(b->c, b->path, NULL, 20000, &d, NULL);
        if (b->get_rc == ZK_RESULT_OK) {
            snprintf(b->got, sizeof b->got, "%.*s", (int)d.len, (const char *)d.data);
            zk_buffer_free(&d);
        }
        b->set_rc = zkt_set_str(b->c, b->path, "from the callback");
    }
    pthread_mutex_lock(&b->mu);
    b->took_ms = zkt_now_ms() - start;
    b->done = true;
    pthread_mutex_unlock(&b->mu);
}

static void faults_a_watch_callback_blocking_through_a_failover_gets_its_replies(void)
{
    struct cluster *cl;
    char root[ZKT_PATH_MAX], n[ZKT_PATH_MAX], *data = NULL;
    int f, rest[N_SERVERS];
    zk_client *c, *other;
    zk_watcher wt;
    zk_buffer b = { NULL, 0 };
    struct blocking_cb cb;
    bool done;
    REQUIRE((cl = ensemble()) != NULL);
    f = follower(cl);
    REQUIRE((c = pinned(cl, f, rest)) != NULL);
    other = client_on(cl, rest, false, false);
    if (other == NULL) {
        zk_client_free(c);
        return;
    }
    make_root(other, root);
    zkt_path(n, "%s/n", root);
    CHECK_OK(zkt_create(other, n, "0"));
    CHECK_OK(zk_sync(c, n, 0)); /* c's server has seen it */
    blocking_cb_init(&cb, c, n);
    wt.callback = blocking_watch;
    wt.userdata = &cb;
    wt.finalizer = NULL;
    CHECK_OK(zk_get(c, n, &wt, 0, &b, NULL));
    zk_buffer_free(&b);
    CHECK_OK(zkt_set_str(other, n, "1"));
    pthread_mutex_lock(&cb.mu);
    CHECK(wait_flag(&cb, &cb.entered, EVENT_WAIT_MS));
    pthread_mutex_unlock(&cb.mu);

    /* The callback's read goes to a stopped server: lost, and retried on another. */
    cluster_pause(cl, f);
    pthread_mutex_lock(&cb.mu);
    cb.go = true;
    done = wait_flag(&cb, &cb.done, 30000);
    pthread_mutex_unlock(&cb.mu);
    CHECK(done);
    if (done) {
        CHECK_OK(cb.get_rc);
        CHECK_STR(cb.got, "1");
        CHECK_OK(cb.set_rc);
        CHECK_OK(zkt_get_str(other, n, &data, NULL));
        CHECK_STR(data, "from the callback");
        free(data);
        CHECK(current_port(c) != cl->port[f]);
    }
    zk_client_free(c);
    CHECK_OK(zk_delete(other, root, -1, true, 0));
    zk_client_free(other);
    blocking_cb_destroy(&cb);
}

static void faults_free_from_a_callback_during_a_failover_returns_and_ends_every_watch(void)
{
    struct cluster *cl;
    char root[ZKT_PATH_MAX], n[ZKT_PATH_MAX];
    int f, rest[N_SERVERS];
    zk_client *c, *other;
    zk_watcher wt;
    zk_buffer b = { NULL, 0 };
    struct blocking_cb cb;
    struct zkt_rec w;
    bool done;
    REQUIRE((cl = ensemble()) != NULL);
    f = follower(cl);
    REQUIRE((c = pinned(cl, f, rest)) != NULL);
    other = client_on(cl, rest, false, false);
    if (other == NULL) {
        zk_client_free(c);
        return;
    }
    make_root(other, root);
    zkt_path(n, "%s/trigger", root);
    CHECK_OK(zkt_create(other, n, "0"));
    CHECK_OK(zk_sync(c, n, 0));
    zkt_rec_init(&w);
    arm_five(c, root, &w);
    blocking_cb_init(&cb, c, n);
    cb.free_client = true;
    wt.callback = blocking_watch;
    wt.userdata = &cb;
    wt.finalizer = NULL;
    CHECK_OK(zk_get(c, n, &wt, 0, &b, NULL));
    zk_buffer_free(&b);
    CHECK_OK(zkt_set_str(other, n, "1"));
    pthread_mutex_lock(&cb.mu);
    CHECK(wait_flag(&cb, &cb.entered, EVENT_WAIT_MS));
    pthread_mutex_unlock(&cb.mu);

    cluster_kill(cl, f); /* the client is moving while the callback frees it */
    pthread_mutex_lock(&cb.mu);
    cb.go = true;
    done = wait_flag(&cb, &cb.done, 10000);
    pthread_mutex_unlock(&cb.mu);
    CHECK(done);
    CHECK(cb.took_ms < zkt_wait_ms(5000));
    /* The five other watches end once each, after the callback returned. */
    check_all_ended(&w, 5, ZK_KEEPER_STATE_CLOSED);
    CHECK_OK(zk_delete(other, root, -1, true, 0));
    zk_client_free(other);
    zkt_rec_destroy(&w);
    blocking_cb_destroy(&cb);
}

/* Counts callbacks and finalizers of many watches without a per-watch record. */
struct many {
    pthread_mutex_t mu;
    int calls, finals, bad;
};

static void many_watch(void *ud, const zk_event *e)
{
    struct many *m = ud;
    pthread_mutex_lock(&m->mu);
    m->calls++;
    if (e->event_type != ZK_EVENT_TYPE_NONE || e->state != ZK_KEEPER_STATE_CLOSED)
        m->bad++;
    pthread_mutex_unlock(&m->mu);
}

static void many_final(void *ud)
{
    struct many *m = ud;
    pthread_mutex_lock(&m->mu);
    m->finals++;
    pthread_mutex_unlock(&m->mu);
}

static void faults_stop_after_a_failover_ends_a_thousand_watches_once_each(void)
{
    struct cluster *cl;
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    int f, rest[N_SERVERS], i;
    zk_client *c;
    zk_client_id id, now;
    zk_watcher wt;
    struct many m;
    struct zkt_rec r;
    REQUIRE((cl = ensemble()) != NULL);
    f = follower(cl);
    REQUIRE((c = pinned(cl, f, rest)) != NULL);
    make_root(c, root);
    memset(&m, 0, sizeof m);
    pthread_mutex_init(&m.mu, NULL);
    wt.callback = many_watch;
    wt.userdata = &m;
    wt.finalizer = many_final;
    for (i = 0; i < 1000; i++)
        CHECK_RC(zk_exists(c, zkt_path(p, "%s/missing-%d", root, i), &wt, 0, NULL),
                 ZK_RESULT_NO_NODE);
    CHECK_EQ(zk_watch_count(c), 1000);
    CHECK_OK(zk_get_client_id(c, &id));
    zkt_rec_init(&r);
    CHECK_OK(zk_add_listener(c, zkt_on_state, &r, NULL, NULL));

    cluster_kill(cl, f);
    i = WAIT_STATE(&r, ZK_STATE_SUSPENDED, ZK_KEEPER_STATE_CONNECTING, 0, EVENT_WAIT_MS);
    WAIT_STATE(&r, ZK_STATE_CONNECTED, ZK_KEEPER_STATE_CONNECTED, i + 1, EVENT_WAIT_MS);
    CHECK_OK(zk_get_client_id(c, &now));
    CHECK_EQ(now.session_id, id.session_id);
    CHECK_EQ(zk_watch_count(c), 1000);
    CHECK_OK(zk_delete(c, root, -1, true, 0)); /* watches on missing children: none fire */
    CHECK_OK(zk_stop(c));
    CHECK_EQ(zk_watch_count(c), 0);
    zk_client_free(c); /* runs what the event thread still has queued */
    pthread_mutex_lock(&m.mu);
    CHECK_EQ(m.calls, 1000);
    CHECK_EQ(m.finals, 1000);
    CHECK_EQ(m.bad, 0);
    pthread_mutex_unlock(&m.mu);
    pthread_mutex_destroy(&m.mu);
    zkt_rec_destroy(&r);
}

ZKT_SUITE(faults_callbacks) = {
    ZKT_CASE(faults_a_watch_callback_blocking_through_a_failover_gets_its_replies),
    ZKT_CASE(faults_free_from_a_callback_during_a_failover_returns_and_ends_every_watch),
    ZKT_CASE(faults_stop_after_a_failover_ends_a_thousand_watches_once_each),
    ZKT_END,
};
