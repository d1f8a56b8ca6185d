/* The command retry: a read cut in flight is repeated, a write never (through zktest's
 * proxy to the suite's server). */
#include "faults.h"

#include <stdlib.h>
#include <unistd.h>

/* ------------------------------------------------------------------ command retry */

/* A client on the shared server through `*px` (started here), with a command retry of
 * `tries` attempts 20 ms apart, its listener recording into `r`; NULL (recorded) if not. */
static zk_client *behind_proxy(struct zkt_proxy **px, int tries, struct zkt_rec *r)
{
    char hosts[64];
    zk_options *o;
    zk_retry_policy rp;
    zk_client *c;
    int port = 0;
    if ((*px = zkt_proxy_start(&port)) == NULL)
        return NULL;
    o = zk_options_new();
    snprintf(hosts, sizeof hosts, "127.0.0.1:%d", port);
    CHECK_OK(zk_options_set_hosts(o, hosts));
    CHECK_OK(zk_retry_policy_init(&rp));
    rp.max_tries = tries;
    rp.delay_ms = 20;
    CHECK_OK(zk_options_set_command_retry(o, &rp));
    c = zkt_start(o);
    zk_options_free(o);
    if (c != NULL)
        CHECK_OK(zk_add_listener(c, zkt_on_state, r, NULL, NULL));
    return c;
}

/* Cuts the connection through `px` and, once the client noticed, lets it in again;
 * returns when it is connected again. */
static void cut_and_reconnect(struct zkt_proxy *px, struct zkt_rec *r)
{
    int from = zkt_rec_states(r), i;
    zkt_proxy_cut(px, true);
    i = WAIT_STATE(r, ZK_STATE_SUSPENDED, ZK_KEEPER_STATE_CONNECTING, from, EVENT_WAIT_MS);
    zkt_proxy_cut(px, false);
    if (i >= 0)
        WAIT_STATE(r, ZK_STATE_CONNECTED, ZK_KEEPER_STATE_CONNECTED, i + 1, EVENT_WAIT_MS);
}

/* Waits up to `ms` until `path` has `n` children (seen by `c`). */
static bool wait_children(zk_client *c, const char *path, size_t n, int ms)
{
    int64_t end = zkt_now_ms() + zkt_wait_ms(ms);
    for (;;) {
        zk_string_list *kids = NULL;
        size_t got = (size_t)-1;
        if (zk_get_children(c, path, NULL, 0, &kids, NULL) == ZK_RESULT_OK) {
            got = zk_string_list_len(kids);
            zk_string_list_free(kids);
        }
        if (got == n)
            return true;
        if (zkt_now_ms() >= end)
            return false;
        zkt_sleep_ms(10);
    }
}

static void faults_command_retry_repeats_a_read_cut_in_flight_but_never_a_write(void)
{
    char root[ZKT_PATH_MAX], seq[ZKT_PATH_MAX], prefix[ZKT_PATH_MAX];
    struct zkt_proxy *px = NULL, *p1 = NULL;
    zk_client *admin, *c = NULL, *once = NULL;
    struct zkt_rec r, r1, w, w1;
    zk_watcher wt, wt1;
    struct bg_call b;
    char *data = NULL;
    REQUIRE((admin = zkt_setup(root)) != NULL);
    CHECK_OK(zkt_set_str(admin, root, "data"));
    zkt_path(seq, "%s/seq", root);
    zkt_path(prefix, "%s/s-", seq);
    CHECK_OK(zkt_create(admin, seq, ""));
    zkt_rec_init(&r);
    zkt_rec_init(&r1);
    zkt_rec_init(&w);
    zkt_rec_init(&w1);
    wt = zkt_watcher(&w);
    wt1 = zkt_watcher(&w1);
    if ((c = behind_proxy(&px, 5, &r)) == NULL || (once = behind_proxy(&p1, 1, &r1)) == NULL)
        goto out;

    /* A read whose reply is held back when its connection goes: repeated on the next
     * one, with its watch, which is then armed once. */
    zkt_proxy_stall(px);
    if (bg_start(&b, c, root, &wt, false)) {
        zkt_sleep_ms(200);
        CHECK(!bg_done(&b)); /* the reply is held back */
        cut_and_reconnect(px, &r);
        bg_join(&b);
        CHECK_OK(b.rc);
        CHECK_STR(b.got, "data");
        CHECK_EQ(zk_watch_count(c), 1);
        CHECK_OK(zkt_set_str(admin, root, "changed"));
        CHECK(zkt_wait_finals(&w, 1, EVENT_WAIT_MS));
        zkt_sleep_ms(200);
        pthread_mutex_lock(&w.mu);
        CHECK_EQ(w.n_events, 1);
        CHECK_EQ(w.finals, 1);
        CHECK_EQ(w.events[0].type, ZK_EVENT_TYPE_CHANGED);
        CHECK_STR(w.events[0].path, root);
        pthread_mutex_unlock(&w.mu);
        CHECK_EQ(zk_watch_count(c), 0);
    }

    /* One try only: the same cut is the caller's CONNECTION_LOSS; the watcher that was
     * not set is finalized, never called. */
    zkt_proxy_stall(p1);
    if (bg_start(&b, once, root, &wt1, false)) {
        zkt_sleep_ms(200);
        CHECK(!bg_done(&b));
        cut_and_reconnect(p1, &r1);
        bg_join(&b);
        CHECK_RC(b.rc, ZK_RESULT_CONNECTION_LOSS);
        CHECK_EQ(zkt_rec_finals(&w1), 1);
        CHECK_EQ(zkt_rec_events(&w1), 0);
        CHECK_EQ(zk_watch_count(once), 0);
        CHECK_OK(zkt_get_str(once, root, &data, NULL));
        CHECK_STR(data, "changed");
        free(data);
    }

    /* A sequential create the server applied, its reply cut: CONNECTION_LOSS despite
     * five tries 20 ms apart, and no second node (a repeat would make one). */
    zkt_proxy_stall(px);
    if (bg_start(&b, c, prefix, NULL, true)) {
        CHECK(wait_children(admin, seq, 1, EVENT_WAIT_MS));
        CHECK(!bg_done(&b));
        cut_and_reconnect(px, &r);
        bg_join(&b);
        CHECK_RC(b.rc, ZK_RESULT_CONNECTION_LOSS);
        zkt_sleep_ms(500); /* well past every retry the policy would make */
        CHECK(wait_children(admin, seq, 1, 0));
    }
out:
    zk_client_free(c);
    zk_client_free(once);
    zkt_proxy_free(px);
    zkt_proxy_free(p1);
    zkt_teardown(admin, root);
    zkt_rec_destroy(&r);
    zkt_rec_destroy(&r1);
    zkt_rec_destroy(&w);
    zkt_rec_destroy(&w1);
}

ZKT_SUITE(faults_retry) = {
    ZKT_CASE(faults_command_retry_repeats_a_read_cut_in_flight_but_never_a_write),
    ZKT_END,
};
