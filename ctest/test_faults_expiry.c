/* A true server-side expiry: every watch ends once, then a new session, or the client
 * stays expired with expiry_final. */
#include "faults.h"

#include <stdlib.h>
#include <unistd.h>

/* ------------------------------------------------------------------ 3. expiry */

/* Takes session `id` over on the servers `ids`, then closes it: a true expiry. */
static void expire_elsewhere(struct cluster *cl, const int *ids, const zk_client_id *id)
{
    char hosts[256];
    zk_options *o = zk_options_new();
    zk_client *thief;
    zk_client_id got;
    hosts_of(cl, ids, hosts, sizeof hosts);
    CHECK_OK(zk_options_set_hosts(o, hosts));
    CHECK_OK(zk_options_set_client_id(o, id));
    thief = zkt_start(o);
    zk_options_free(o);
    if (thief == NULL)
        return;
    CHECK_OK(zk_get_client_id(thief, &got));
    CHECK_EQ(got.session_id, id->session_id);
    CHECK_OK(zk_stop(thief));
    zk_client_free(thief);
}

static void faults_server_side_expiry_ends_each_watch_once_then_a_new_session(void)
{
    static const int one[] = { 1, 0 }, two[] = { 2, 0 };
    struct cluster *cl;
    char root[ZKT_PATH_MAX];
    zk_client *c;
    zk_client_id id, now;
    struct zkt_rec r, w;
    int i;
    REQUIRE((cl = ensemble()) != NULL);
    REQUIRE((c = client_on(cl, one, false, false)) != NULL);
    make_root(c, root);
    zkt_rec_init(&w);
    zkt_rec_init(&r);
    arm_five(c, root, &w);
    CHECK_OK(zk_get_client_id(c, &id));
    CHECK_OK(zk_add_listener(c, zkt_on_state, &r, NULL, NULL));

    /* Server 1 closes this client's connection when the session is closed on server 2. */
    expire_elsewhere(cl, two, &id);
    i = WAIT_STATE(&r, ZK_STATE_LOST, ZK_KEEPER_STATE_EXPIRED_SESSION, 0, EVENT_WAIT_MS);
    check_all_ended(&w, 5, ZK_KEEPER_STATE_EXPIRED_SESSION);
    CHECK_EQ(zk_watch_count(c), 0);
    WAIT_STATE(&r, ZK_STATE_CONNECTED, ZK_KEEPER_STATE_CONNECTED, i + 1, EVENT_WAIT_MS);
    CHECK_OK(zk_get_client_id(c, &now));
    CHECK(now.session_id != id.session_id);
    CHECK_OK(zk_delete(c, root, -1, true, 0));
    zk_client_free(c);
    zkt_rec_destroy(&r);
    zkt_rec_destroy(&w);
}

static void faults_with_expiry_final_an_expired_client_stays_expired(void)
{
    static const int one[] = { 1, 0 }, two[] = { 2, 0 };
    struct cluster *cl;
    char root[ZKT_PATH_MAX];
    zk_client *c, *admin;
    zk_client_id id;
    struct zkt_rec r, w;
    zk_buffer b = { NULL, 0 };
    int64_t t;
    int i;
    REQUIRE((cl = ensemble()) != NULL);
    REQUIRE((admin = client_on(cl, two, false, false)) != NULL);
    make_root(admin, root);
    c = client_on(cl, one, true, false);
    if (c == NULL) {
        zk_client_free(admin);
        return;
    }
    zkt_rec_init(&w);
    zkt_rec_init(&r);
    arm_five(c, root, &w);
    CHECK_OK(zk_get_client_id(c, &id));
    CHECK_OK(zk_add_listener(c, zkt_on_state, &r, NULL, NULL));

    expire_elsewhere(cl, two, &id);
    i = WAIT_STATE(&r, ZK_STATE_LOST, ZK_KEEPER_STATE_EXPIRED_SESSION, 0, EVENT_WAIT_MS);
    check_all_ended(&w, 5, ZK_KEEPER_STATE_EXPIRED_SESSION);
    t = zkt_now_ms();
    CHECK_RC(zk_get(c, root, NULL, 0, &b, NULL), ZK_RESULT_SESSION_EXPIRED);
    CHECK_RC(zkt_create(c, "/never", ""), ZK_RESULT_SESSION_EXPIRED);
    CHECK(zkt_now_ms() - t < zkt_wait_ms(500));
    zkt_sleep_ms(1500);
    CHECK_EQ(zk_get_keeper_state(c), ZK_KEEPER_STATE_EXPIRED_SESSION);
    CHECK_EQ(zk_get_state(c), ZK_STATE_LOST);
    CHECK_EQ(zkt_rec_states(&r), i + 1); /* nothing after EXPIRED_SESSION */
    zk_client_free(c);
    CHECK_OK(zk_delete(admin, root, -1, true, 0));
    zk_client_free(admin);
    zkt_rec_destroy(&r);
    zkt_rec_destroy(&w);
}

ZKT_SUITE(faults_expiry) = {
    ZKT_CASE(faults_server_side_expiry_ends_each_watch_once_then_a_new_session),
    ZKT_CASE(faults_with_expiry_final_an_expired_client_stays_expired),
    ZKT_END,
};
