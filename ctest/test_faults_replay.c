/* What a session sets again on the member it moves to: its SASL authentication and its
 * credentials, before any other request, and its watches, which then fire for changes
 * made meanwhile. */
#include "faults.h"

#include <stdlib.h>
#include <unistd.h>

/* ------------------------------------------------------------------ auth replay */

/* Answers of async gets, each slot filled once. */
struct replies {
    pthread_mutex_t mu;
    int n;
    zk_result rc[2];
    char got[2][64];
};

struct reply_slot {
    struct replies *all;
    int k;
};

static void on_get_reply(void *ud, zk_result rc, const uint8_t *data, size_t len,
                         const zk_stat *stat)
{
    struct reply_slot *s = ud;
    (void)stat;
    pthread_mutex_lock(&s->all->mu);
    s->all->rc[s->k] = rc;
    if (rc == ZK_RESULT_OK)
        snprintf(s->all->got[s->k], sizeof s->all->got[0], "%.*s", (int)len,
                 data ? (const char *)data : "");
    s->all->n++;
    pthread_mutex_unlock(&s->all->mu);
}

static int replies_n(struct replies *rp)
{
    int n;
    pthread_mutex_lock(&rp->mu);
    n = rp->n;
    pthread_mutex_unlock(&rp->mu);
    return n;
}

/* Creates `path` (data `data`) with an ACL giving everything to digest user:pw only. */
static void create_for(zk_client *c, const char *path, const char *data, const char *user,
                       const char *pw)
{
    char *id = NULL;
    zk_acl acl;
    CHECK_OK(zk_digest_id(user, pw, &id));
    acl.perms = ZK_PERM_ALL;
    acl.scheme = "digest";
    acl.id = id;
    CHECK_OK(zk_create(c, path, (const uint8_t *)data, strlen(data), &acl, 1, 0, 0, 0, NULL,
                       NULL));
    zk_string_free(id);
}

/* Picks a follower *f and makes a client on the other members (rest, 0-terminated) with
 * a fresh root; NULL (recorded) if that fails. */
static zk_client *beside_follower(struct cluster *cl, int *f, int rest[N_SERVERS],
                                  char root[ZKT_PATH_MAX])
{
    int i, k = 0;
    zk_client *other;
    *f = follower(cl);
    for (i = 1; i <= N_SERVERS; i++)
        if (i != *f)
            rest[k++] = i;
    rest[k] = 0;
    if ((other = client_on(cl, rest, false, false)) != NULL)
        make_root(other, root);
    return other;
}

/* Options for follower f alone (once f dies the client waits, requests queue), 10 s
 * sessions, reconnects within 300 ms. */
static zk_options *options_on_follower(struct cluster *cl, int f)
{
    int only[2];
    zk_retry_policy rp;
    zk_options *o;
    only[0] = f;
    only[1] = 0;
    o = options_on(cl, only);
    CHECK_OK(zk_options_set_session_timeout_ms(o, 10000));
    CHECK_OK(zk_retry_policy_init(&rp));
    rp.delay_ms = 50;
    rp.max_delay_ms = 300;
    CHECK_OK(zk_options_set_connection_retry(o, &rp));
    return o;
}

static void faults_auth_is_replayed_after_a_failover_before_other_requests(void)
{
    struct cluster *cl;
    char root[ZKT_PATH_MAX], pa[ZKT_PATH_MAX], pb[ZKT_PATH_MAX], hosts[256], *data = NULL;
    int f, rest[N_SERVERS], i, j;
    zk_options *o;
    zk_client *c, *other;
    zk_client_id id, now;
    struct zkt_rec r;
    struct replies rep;
    struct reply_slot slot[2];
    struct bg_call b;
    bool started;
    int64_t end;
    REQUIRE((cl = ensemble()) != NULL);
    REQUIRE((other = beside_follower(cl, &f, rest, root)) != NULL);
    zkt_path(pa, "%s/a", root);
    zkt_path(pb, "%s/b", root);

    o = options_on_follower(cl, f);
    CHECK_OK(zk_options_add_auth(o, "digest", (const uint8_t *)"u:p", 3));
    c = zkt_start(o);
    zk_options_free(o);
    if (c == NULL) {
        zk_client_free(other);
        return;
    }
    zkt_rec_init(&r);
    memset(&rep, 0, sizeof rep);
    pthread_mutex_init(&rep.mu, NULL);
    CHECK_OK(zk_add_auth(c, "digest", (const uint8_t *)"v:q", 3, 0));
    create_for(c, pa, "a", "u", "p");
    create_for(c, pb, "b", "v", "q");
    CHECK_OK(zk_sync(other, root, 0));
    CHECK_RC(zkt_get_str(other, pa, &data, NULL), ZK_RESULT_NO_AUTH);
    CHECK_RC(zkt_get_str(other, pb, &data, NULL), ZK_RESULT_NO_AUTH);
    CHECK_OK(zk_get_client_id(c, &id));
    CHECK_OK(zk_add_listener(c, zkt_on_state, &r, NULL, NULL));

    cluster_kill(cl, f);
    i = WAIT_STATE(&r, ZK_STATE_SUSPENDED, ZK_KEEPER_STATE_CONNECTING, 0, EVENT_WAIT_MS);
    for (j = 0; j < 2; j++) {
        slot[j].all = &rep;
        slot[j].k = j;
        CHECK_OK(zk_get_async(c, j ? pb : pa, NULL, (uint32_t)zkt_wait_ms(20000), on_get_reply,
                              &slot[j], NULL));
    }
    started = bg_start(&b, c, pb, NULL, false);
    zkt_sleep_ms(300);
    CHECK_EQ(replies_n(&rep), 0); /* nothing answers while no server is reachable */
    CHECK(!started || !bg_done(&b));
    CHECK_EQ(zkt_rec_states(&r), i + 1);

    /* The session moves to the others: the credentials go first, then the queue. */
    hosts_of(cl, rest, hosts, sizeof hosts);
    CHECK_OK(zk_set_hosts(c, hosts));
    if (i >= 0)
        CHECK(WAIT_STATE(&r, ZK_STATE_CONNECTED, ZK_KEEPER_STATE_CONNECTED, i + 1,
                         EVENT_WAIT_MS) == i + 1);
    end = zkt_now_ms() + zkt_wait_ms(EVENT_WAIT_MS);
    while (replies_n(&rep) < 2 && zkt_now_ms() < end)
        zkt_sleep_ms(10);
    if (started) {
        bg_join(&b);
        CHECK_OK(b.rc);
        CHECK_STR(b.got, "b");
    }
    pthread_mutex_lock(&rep.mu);
    CHECK_EQ(rep.n, 2);
    CHECK_OK(rep.rc[0]);
    CHECK_STR(rep.got[0], "a");
    CHECK_OK(rep.rc[1]);
    CHECK_STR(rep.got[1], "b");
    pthread_mutex_unlock(&rep.mu);
    CHECK_OK(zk_get_client_id(c, &now));
    CHECK_EQ(now.session_id, id.session_id);
    CHECK(current_port(c) != cl->port[f]);
    CHECK_OK(zkt_set_str(c, pa, "still a"));
    CHECK_OK(zkt_set_str(c, pb, "still b"));
    CHECK_OK(zk_delete(c, root, -1, true, 0)); /* listing a and b needs READ on them */
    zk_client_free(c);
    zk_client_free(other);
    zkt_rec_destroy(&r);
    pthread_mutex_destroy(&rep.mu);
}

/* The SASL exchange is made again on every connection: after its member restarts, the
 * client is back on the same session as the same SASL user. */
static void faults_sasl_is_made_again_after_a_member_restarts(void)
{
    struct cluster *cl;
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX], *data = NULL;
    int f, rest[N_SERVERS], i;
    zk_acl bob = { ZK_PERM_ALL, "sasl", "bob" };
    zk_options *o;
    zk_client *c, *other;
    zk_client_id id, now;
    struct zkt_rec r;
    REQUIRE((cl = ensemble()) != NULL);
    REQUIRE((other = beside_follower(cl, &f, rest, root)) != NULL);
    zkt_path(p, "%s/bob", root);

    o = options_on_follower(cl, f);
    CHECK_OK(zk_options_set_sasl_digest_md5(o, "bob", "pw", NULL));
    c = zkt_start(o);
    zk_options_free(o);
    if (c == NULL) {
        zk_client_free(other);
        return;
    }
    zkt_rec_init(&r);
    CHECK_OK(zk_create(c, p, (const uint8_t *)"bob", 3, &bob, 1, 0, 0, 0, NULL, NULL));
    CHECK_OK(zk_sync(other, root, 0));
    CHECK_RC(zkt_get_str(other, p, &data, NULL), ZK_RESULT_NO_AUTH);
    CHECK_OK(zk_get_client_id(c, &id));
    CHECK_OK(zk_add_listener(c, zkt_on_state, &r, NULL, NULL));

    cluster_kill(cl, f);
    i = WAIT_STATE(&r, ZK_STATE_SUSPENDED, ZK_KEEPER_STATE_CONNECTING, 0, EVENT_WAIT_MS);
    cluster_restart(cl, f);
    if (i >= 0)
        CHECK(WAIT_STATE(&r, ZK_STATE_CONNECTED, ZK_KEEPER_STATE_CONNECTED, i + 1,
                         EVENT_WAIT_MS) == i + 1);
    /* Only bob may read it: the new connection is bob's again. */
    CHECK_OK(zkt_get_str(c, p, &data, NULL));
    CHECK_STR(data, "bob");
    free(data);
    CHECK_OK(zk_get_client_id(c, &now));
    CHECK_EQ(now.session_id, id.session_id);
    CHECK_EQ(current_port(c), cl->port[f]);
    CHECK_OK(zkt_set_str(c, p, "still bob"));
    CHECK_OK(zk_delete(c, root, -1, true, 0)); /* listing bob needs READ on it */
    zk_client_free(c);
    zk_client_free(other);
    zkt_rec_destroy(&r);
}

/* ------------------------------------------------------------------ watches restored */

#define RESTORE_N 200 /* data watches; one exists watch more, on a missing node */

struct wslot {
    struct wset *ws;
    int calls, finals;
    zk_event_type type;
    zk_keeper_state state;
    char path[ZKT_PATH_MAX];
};

struct wset {
    pthread_mutex_t mu;
    int calls, finals;
    struct wslot slot[RESTORE_N + 1];
};

static void wset_watch(void *ud, const zk_event *e)
{
    struct wslot *s = ud;
    pthread_mutex_lock(&s->ws->mu);
    s->calls++;
    s->type = e->event_type;
    s->state = e->state;
    snprintf(s->path, sizeof s->path, "%s", e->path ? e->path : "(null)");
    s->ws->calls++;
    pthread_mutex_unlock(&s->ws->mu);
}

static void wset_final(void *ud)
{
    struct wslot *s = ud;
    pthread_mutex_lock(&s->ws->mu);
    s->finals++;
    s->ws->finals++;
    pthread_mutex_unlock(&s->ws->mu);
}

/* Waits up to `ms` until `ws` counted `calls` callbacks and `finals` finalizers. */
static bool wset_wait(struct wset *ws, int calls, int finals, int ms)
{
    int64_t end = zkt_now_ms() + zkt_wait_ms(ms);
    bool ok = false;
    for (;;) {
        pthread_mutex_lock(&ws->mu);
        ok = ws->calls >= calls && ws->finals >= finals;
        pthread_mutex_unlock(&ws->mu);
        if (ok || zkt_now_ms() >= end)
            return ok;
        zkt_sleep_ms(10);
    }
}

static bool changed_away(int i) { return i == RESTORE_N || i % 10 == 0; }

static char *watched_path(char p[ZKT_PATH_MAX], const char *root, int i)
{
    return i == RESTORE_N ? zkt_path(p, "%s/missing", root) : zkt_path(p, "%s/n%03d", root, i);
}

static void faults_watches_restored_after_a_failover_fire_for_changes_made_meanwhile(void)
{
    struct cluster *cl;
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    int leader, x, y, ids[N_SERVERS + 1], ys[2], i, s, away = 0;
    zk_options *o;
    zk_client *c, *other;
    zk_client_id id, now;
    zk_txn *t;
    zk_watcher wt;
    zk_buffer b = { NULL, 0 };
    struct wset *ws;
    struct zkt_rec r;
    REQUIRE((cl = ensemble()) != NULL);
    /* After the churn tests a server may still be syncing: the client must find y
     * serving when x dies, or it moves on to the leader. */
    REQUIRE((leader = leader_and_followers(cl, &x, &y)) != 0);
    /* The client starts on follower x and moves to y, where `other` stays. */
    ids[0] = x;
    ids[1] = y;
    ids[2] = leader;
    ids[3] = 0;
    ys[0] = y;
    ys[1] = 0;
    o = options_on(cl, ids);
    CHECK_OK(zk_options_set_session_timeout_ms(o, 10000));
    c = zkt_start(o);
    zk_options_free(o);
    REQUIRE(c != NULL);
    CHECK_EQ(current_port(c), cl->port[x]);
    if ((other = client_on(cl, ys, false, false)) == NULL) {
        zk_client_free(c);
        return;
    }
    make_root(other, root);
    t = zk_txn_new();
    for (i = 0; i < RESTORE_N; i++)
        CHECK_OK(zk_txn_create(t, watched_path(p, root, i), NULL, 0, NULL, 0, 0, 0));
    CHECK_OK(zk_txn_commit(other, t, 0, NULL));
    zk_txn_free(t);
    CHECK_OK(zk_sync(c, root, 0));

    ws = calloc(1, sizeof *ws);
    if (ws == NULL) {
        zk_client_free(c);
        zk_client_free(other);
        return;
    }
    pthread_mutex_init(&ws->mu, NULL);
    zkt_rec_init(&r);
    wt.callback = wset_watch;
    wt.finalizer = wset_final;
    for (i = 0; i <= RESTORE_N; i++) {
        ws->slot[i].ws = ws;
        wt.userdata = &ws->slot[i];
        watched_path(p, root, i);
        if (i < RESTORE_N) {
            CHECK_OK(zk_get(c, p, &wt, 0, &b, NULL));
            zk_buffer_free(&b);
        } else {
            CHECK_RC(zk_exists(c, p, &wt, 0, NULL), ZK_RESULT_NO_NODE);
        }
    }
    CHECK_EQ(zk_watch_count(c), RESTORE_N + 1);
    CHECK_OK(zk_get_client_id(c, &id));
    CHECK_OK(zk_add_listener(c, zkt_on_state, &r, NULL, NULL));

    /* Away: x stops, 20 nodes change and the missing one appears (through y), x dies. */
    cluster_pause(cl, x);
    t = zk_txn_new();
    for (i = 0; i <= RESTORE_N; i++)
        if (changed_away(i)) {
            away++;
            watched_path(p, root, i);
            if (i < RESTORE_N)
                CHECK_OK(zk_txn_set(t, p, (const uint8_t *)"away", 4, -1));
            else
                CHECK_OK(zk_txn_create(t, p, NULL, 0, NULL, 0, 0, 0));
        }
    CHECK_OK(zk_txn_commit(other, t, 0, NULL));
    zk_txn_free(t);
    zkt_sleep_ms(200);
    pthread_mutex_lock(&ws->mu);
    CHECK_EQ(ws->calls, 0); /* nothing reaches the client of a stopped server */
    pthread_mutex_unlock(&ws->mu);
    cluster_kill(cl, x);
    s = WAIT_STATE(&r, ZK_STATE_SUSPENDED, ZK_KEEPER_STATE_CONNECTING, 0, EVENT_WAIT_MS);
    if (s >= 0)
        WAIT_STATE(&r, ZK_STATE_CONNECTED, ZK_KEEPER_STATE_CONNECTED, s + 1, EVENT_WAIT_MS);
    CHECK_OK(zk_get_client_id(c, &now));
    CHECK_EQ(now.session_id, id.session_id);
    /* Off x, to the next host that takes the session: y, or the leader when y was not
     * serving at that moment (after the churn tests an election can still be settling). */
    s = current_port(c);
    CHECK(s == cl->port[y] || s == cl->port[leader]);

    /* Exactly the watches of what changed while away fire, each with its event. */
    CHECK(wset_wait(ws, away, away, EVENT_WAIT_MS));
    zkt_sleep_ms(500);
    pthread_mutex_lock(&ws->mu);
    CHECK_EQ(ws->calls, away);
    CHECK_EQ(ws->finals, away);
    for (i = 0; i <= RESTORE_N; i++) {
        struct wslot *sl = &ws->slot[i];
        if (!changed_away(i)) {
            if (sl->calls != 0)
                zkt_fail(__FILE__, __LINE__, "watch %d fired (%d) though unchanged", i,
                         (int)sl->type);
            continue;
        }
        CHECK_EQ(sl->calls, 1);
        CHECK_EQ(sl->type, i < RESTORE_N ? ZK_EVENT_TYPE_CHANGED : ZK_EVENT_TYPE_CREATED);
        CHECK_EQ(sl->state, ZK_KEEPER_STATE_CONNECTED);
        CHECK_STR(sl->path, watched_path(p, root, i));
    }
    pthread_mutex_unlock(&ws->mu);
    CHECK_EQ(zk_watch_count(c), RESTORE_N + 1 - away);

    /* The other 180 were armed again on y: changed now, each fires once. */
    t = zk_txn_new();
    for (i = 0; i < RESTORE_N; i++)
        if (!changed_away(i))
            CHECK_OK(zk_txn_set(t, watched_path(p, root, i), (const uint8_t *)"later", 5, -1));
    CHECK_OK(zk_txn_commit(other, t, 0, NULL));
    zk_txn_free(t);
    CHECK(wset_wait(ws, RESTORE_N + 1, RESTORE_N + 1, EVENT_WAIT_MS));
    zkt_sleep_ms(200);
    pthread_mutex_lock(&ws->mu);
    CHECK_EQ(ws->calls, RESTORE_N + 1);
    CHECK_EQ(ws->finals, RESTORE_N + 1);
    for (i = 0; i <= RESTORE_N; i++) {
        struct wslot *sl = &ws->slot[i];
        if (sl->calls != 1 || sl->finals != 1)
            zkt_fail(__FILE__, __LINE__, "watch %d: %d calls, %d finalizers", i, sl->calls,
                     sl->finals);
        if (!changed_away(i)) {
            CHECK_EQ(sl->type, ZK_EVENT_TYPE_CHANGED);
            CHECK_STR(sl->path, watched_path(p, root, i));
        }
    }
    pthread_mutex_unlock(&ws->mu);
    CHECK_EQ(zk_watch_count(c), 0);

    zk_client_free(c);
    CHECK_OK(zk_delete(other, root, -1, true, 0));
    zk_client_free(other);
    zkt_rec_destroy(&r);
    pthread_mutex_destroy(&ws->mu);
    free(ws);
}

ZKT_SUITE(faults_replay) = {
    ZKT_CASE(faults_auth_is_replayed_after_a_failover_before_other_requests),
    ZKT_CASE(faults_sasl_is_made_again_after_a_member_restarts),
    ZKT_CASE(faults_watches_restored_after_a_failover_fire_for_changes_made_meanwhile),
    ZKT_END,
};
