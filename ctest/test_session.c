/* Sessions: listener transitions, ephemerals ending with the session, resuming a session
 * by client id, start failures, calls on stopped and closed clients, and the logger. */
#include "zktest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#define EVENT_WAIT_MS 5000

static void check_states(struct zkt_rec *r, const zk_state *s, const zk_keeper_state *k, int n)
{
    int i;
    pthread_mutex_lock(&r->mu);
    if (r->n_states != n)
        zkt_fail(__FILE__, __LINE__, "%d state changes, want %d", r->n_states, n);
    for (i = 0; i < n && i < r->n_states; i++)
        if (r->states[i] != s[i] || r->keeper_states[i] != k[i])
            zkt_fail(__FILE__, __LINE__, "change %d: (%d, %d), want (%d, %d)", i,
                     (int)r->states[i], (int)r->keeper_states[i], (int)s[i], (int)k[i]);
    pthread_mutex_unlock(&r->mu);
}

static void listener_sees_start_and_stop_transitions(void)
{
    static const zk_state s[] = { ZK_STATE_LOST, ZK_STATE_CONNECTED, ZK_STATE_LOST };
    static const zk_keeper_state k[] = { ZK_KEEPER_STATE_CONNECTING, ZK_KEEPER_STATE_CONNECTED,
                                         ZK_KEEPER_STATE_CLOSED };
    struct zkt_rec r;
    zk_options *o = zkt_options(NULL);
    zk_client *c = NULL;
    uint64_t id = 0;
    zkt_rec_init(&r);

    CHECK_OK(zk_client_new(o, &c));
    zk_options_free(o);
    REQUIRE(c != NULL);
    CHECK_OK(zk_add_listener(c, zkt_on_state, &r, zkt_on_final, &id));
    CHECK(id != 0);
    CHECK_OK(zk_start(c, (uint32_t)zkt_wait_ms(10000)));
    CHECK(zkt_wait_states(&r, 2, EVENT_WAIT_MS));
    check_states(&r, s, k, 2);
    CHECK_OK(zk_stop(c));
    CHECK(zkt_wait_states(&r, 3, EVENT_WAIT_MS));
    check_states(&r, s, k, 3);
    CHECK_EQ(zkt_rec_finals(&r), 0);

    CHECK_OK(zk_remove_listener(c, id));
    /* A call of it may be running on the event thread; the finalizer follows it. */
    CHECK(zkt_wait_finals(&r, 1, EVENT_WAIT_MS));
    CHECK_RC(zk_remove_listener(c, id), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_remove_listener(c, 987654321), ZK_RESULT_INVALID_ARGUMENT);

    /* Removed: hears nothing more. */
    CHECK_OK(zk_start(c, (uint32_t)zkt_wait_ms(10000)));
    zk_client_free(c);
    CHECK_EQ(zkt_rec_states(&r), 3);
    CHECK_EQ(zkt_rec_finals(&r), 1);
    zkt_rec_destroy(&r);
}

static bool last_state_is_closed(struct zkt_rec *r)
{
    bool ok;
    pthread_mutex_lock(&r->mu);
    ok = r->n_states > 0 && r->n_states <= ZKT_MAX_EVENTS &&
         r->states[r->n_states - 1] == ZK_STATE_LOST &&
         r->keeper_states[r->n_states - 1] == ZK_KEEPER_STATE_CLOSED;
    pthread_mutex_unlock(&r->mu);
    return ok;
}

static void listeners_are_finalized_when_the_client_is_freed(void)
{
    struct zkt_rec a, b;
    zk_client *c;
    uint64_t ida = 0, idb = 0;
    zkt_rec_init(&a);
    zkt_rec_init(&b);

    c = zkt_connect();
    REQUIRE(c != NULL);
    CHECK_OK(zk_add_listener(c, zkt_on_state, &a, zkt_on_final, &ida));
    CHECK_OK(zk_add_listener(c, zkt_on_state, &b, zkt_on_final, NULL)); /* id_out optional */
    CHECK_OK(zk_add_listener(c, zkt_on_state, &b, NULL, &idb));         /* finalizer optional */
    CHECK(ida != 0 && idb != 0 && ida != idb);
    zk_client_free(c);
    /* Freed while connected: each heard the close, last, before its finalizer ran. (A
     * listener added just after zk_start returns may also hear the CONNECTED change, which
     * the event thread had not delivered yet.) */
    CHECK_EQ(zkt_rec_finals(&a), 1);
    CHECK_EQ(zkt_rec_finals(&b), 1);
    CHECK(last_state_is_closed(&a));
    CHECK(last_state_is_closed(&b));
    zkt_rec_destroy(&a);
    zkt_rec_destroy(&b);
}

static void ephemeral_is_gone_right_after_stop(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    zk_client *owner;
    zk_stat st;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);

    owner = zkt_connect();
    if (owner != NULL) {
        zk_client_id id;
        CHECK_OK(zk_get_client_id(owner, &id));
        CHECK_OK(zk_create(owner, zkt_path(p, "%s/eph", root), NULL, 0, NULL, 0,
                           ZK_CREATE_FLAG_EPHEMERAL, 0, 0, NULL, NULL));
        CHECK_OK(zk_exists(c, p, NULL, 0, &st));
        CHECK_EQ(st.ephemeral_owner, id.session_id);
        CHECK_OK(zk_stop(owner));
        /* closeSession has been answered: no waiting for a session timeout */
        CHECK_RC(zk_exists(c, p, NULL, 0, NULL), ZK_RESULT_NO_NODE);
        zk_client_free(owner);
    }
    zkt_teardown(c, root);
}

static bool saw_state(struct zkt_rec *r, zk_state s, zk_keeper_state k, int from)
{
    int i;
    for (i = from; i < r->n_states && i < ZKT_MAX_EVENTS; i++)
        if (r->states[i] == s && r->keeper_states[i] == k)
            return true;
    return false;
}

struct state_wait {
    zk_state s;
    zk_keeper_state k;
    int from;
};

static bool state_seen(struct zkt_rec *r, void *arg)
{
    struct state_wait *w = arg;
    return saw_state(r, w->s, w->k, w->from);
}

/* Waits for the listener on `r` to hear (s, k) at index `from` or later; returns that
 * index, or -1 after recording a failure. */
static int wait_state_at(struct zkt_rec *r, zk_state s, zk_keeper_state k, int from, int line)
{
    struct state_wait w;
    int i;
    w.s = s;
    w.k = k;
    w.from = from;
    if (!zkt_rec_wait(r, state_seen, &w, EVENT_WAIT_MS)) {
        zkt_fail(__FILE__, line, "listener never heard (%d, %d) after change %d", (int)s,
                 (int)k, from);
        return -1;
    }
    pthread_mutex_lock(&r->mu);
    for (i = from; i < r->n_states; i++)
        if (r->states[i] == s && r->keeper_states[i] == k)
            break;
    pthread_mutex_unlock(&r->mu);
    return i;
}
#define wait_state(r, s, k, from) wait_state_at(r, s, k, from, __LINE__)

static void on_synced(void *ud, zk_result rc, const char *path, const zk_stat *st)
{
    (void)rc;
    (void)path;
    (void)st;
    zkt_on_final(ud);
}

/* Returns once the event thread has run everything queued so far: a listener added just
 * after zk_start may still be told of the CONNECTED change before this. */
static void drain_events(zk_client *c)
{
    struct zkt_rec r;
    zkt_rec_init(&r);
    CHECK_OK(zk_sync_async(c, "/", 0, on_synced, &r, NULL));
    CHECK(zkt_wait_finals(&r, 1, EVENT_WAIT_MS));
    zkt_rec_destroy(&r);
}

static void client_id_resumes_the_same_session(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX], via[64];
    zk_client_id id, id2;
    zk_options *o;
    zk_client *first, *second;
    struct zkt_proxy *proxy;
    struct zkt_rec r;
    zk_stat st;
    int port = 0;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_rec_init(&r);

    /* The first client reaches the server through a proxy, so it can lose its connection
     * without ending its session; two live clients would steal the session from each
     * other. */
    proxy = zkt_proxy_start(&port);
    REQUIRE(proxy != NULL);
    snprintf(via, sizeof via, "127.0.0.1:%d", port);
    o = zk_options_new();
    CHECK_OK(zk_options_set_hosts(o, via));
    first = zkt_start(o);
    zk_options_free(o);
    REQUIRE(first != NULL);
    CHECK_OK(zk_add_listener(first, zkt_on_state, &r, zkt_on_final, NULL));
    CHECK_OK(zk_get_client_id(first, &id));
    CHECK_OK(zk_create(first, zkt_path(p, "%s/eph", root), NULL, 0, NULL, 0,
                       ZK_CREATE_FLAG_EPHEMERAL, 0, 0, NULL, NULL));
    zkt_proxy_cut(proxy, true);
    CHECK(wait_state(&r, ZK_STATE_SUSPENDED, ZK_KEEPER_STATE_CONNECTING, 0) >= 0);

    o = zkt_options(NULL);
    CHECK_OK(zk_options_set_client_id(o, &id));
    second = zkt_start(o);
    zk_options_free(o);
    if (second != NULL) {
        CHECK_OK(zk_get_client_id(second, &id2));
        CHECK_EQ(id2.session_id, id.session_id);
        CHECK(memcmp(id2.passwd, id.passwd, sizeof id.passwd) == 0);
        /* The session's ephemeral is the second client's as well. */
        CHECK_OK(zk_exists(second, p, NULL, 0, &st));
        CHECK_EQ(st.ephemeral_owner, id.session_id);
        /* Ending the session from the second client removes the ephemeral. */
        CHECK_OK(zk_stop(second));
        CHECK_RC(zk_exists(c, p, NULL, 0, NULL), ZK_RESULT_NO_NODE);
        zk_client_free(second);
    }
    zk_client_free(first);
    zkt_proxy_free(proxy);
    zkt_teardown(c, root);
    zkt_rec_destroy(&r);
}

static void connection_loss_suspends_and_the_session_and_watches_survive(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX], via[64];
    zk_client_id id, id2;
    zk_options *o;
    zk_client *cl;
    struct zkt_proxy *proxy;
    struct zkt_rec r, w;
    zk_watcher wt;
    int port = 0, n;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_rec_init(&r);
    zkt_rec_init(&w);

    proxy = zkt_proxy_start(&port);
    REQUIRE(proxy != NULL);
    snprintf(via, sizeof via, "127.0.0.1:%d", port);
    o = zk_options_new();
    CHECK_OK(zk_options_set_hosts(o, via));
    cl = zkt_start(o);
    zk_options_free(o);
    REQUIRE(cl != NULL);
    CHECK_OK(zk_add_listener(cl, zkt_on_state, &r, zkt_on_final, NULL));
    CHECK_OK(zk_get_client_id(cl, &id));
    CHECK_OK(zkt_create(c, zkt_path(p, "%s/n", root), "x"));
    wt = zkt_watcher(&w);
    CHECK_OK(zk_exists(cl, p, &wt, 0, NULL));
    drain_events(cl);
    n = zkt_rec_states(&r);

    zkt_proxy_cut(proxy, true);
    n = wait_state(&r, ZK_STATE_SUSPENDED, ZK_KEEPER_STATE_CONNECTING, n) + 1;
    REQUIRE(n > 0);
    CHECK_EQ(zk_get_state(cl), ZK_STATE_SUSPENDED);
    CHECK(!zk_is_connected(cl));
    /* A change while the client is away. */
    CHECK_OK(zkt_set_str(c, p, "changed while away"));
    CHECK_EQ(zkt_rec_events(&w), 0); /* the watch is kept, not ended */

    zkt_proxy_cut(proxy, false);
    CHECK(wait_state(&r, ZK_STATE_CONNECTED, ZK_KEEPER_STATE_CONNECTED, n) >= 0);
    CHECK_OK(zk_get_client_id(cl, &id2));
    CHECK_EQ(id2.session_id, id.session_id);
    /* The watch was replayed on reconnect and the server fired it for the missed change. */
    CHECK(zkt_wait_finals(&w, 1, EVENT_WAIT_MS));
    {
        pthread_mutex_lock(&w.mu);
        CHECK_EQ(w.events[0].type, ZK_EVENT_TYPE_CHANGED);
        CHECK_STR(w.events[0].path, p);
        pthread_mutex_unlock(&w.mu);
    }
    CHECK_OK(zk_exists(cl, p, NULL, 0, NULL));
    zk_client_free(cl);
    zkt_proxy_free(proxy);
    zkt_teardown(c, root);
    zkt_rec_destroy(&r);
    zkt_rec_destroy(&w);
}

static void wrong_session_password_gives_a_new_session(void)
{
    zk_client_id id;
    zk_client_id got;
    zk_options *o;
    zk_client *first, *second;

    first = zkt_connect();
    REQUIRE(first != NULL);
    CHECK_OK(zk_get_client_id(first, &id));
    id.passwd[0] ^= 0xFF;
    o = zkt_options(NULL);
    CHECK_OK(zk_options_set_client_id(o, &id));
    /* The server says the session expired; the client makes a new one (kazoo's way). */
    second = zkt_start(o);
    zk_options_free(o);
    if (second != NULL) {
        CHECK_OK(zk_get_client_id(second, &got));
        CHECK(got.session_id != id.session_id);
        zk_client_free(second);
    }
    /* The first client's session was not touched. */
    CHECK_OK(zk_exists(first, "/", NULL, 0, NULL));
    CHECK_OK(zk_get_client_id(first, &got));
    CHECK_EQ(got.session_id, id.session_id);
    zk_client_free(first);
}

static void operation_timeout_bounds_calls_while_disconnected(void)
{
    char via[64];
    zk_options *o;
    zk_client *c;
    struct zkt_proxy *proxy;
    struct zkt_rec r;
    int port = 0, n;
    int64_t t0, took;
    zkt_rec_init(&r);
    proxy = zkt_proxy_start(&port);
    REQUIRE(proxy != NULL);
    snprintf(via, sizeof via, "127.0.0.1:%d", port);
    o = zk_options_new();
    CHECK_OK(zk_options_set_hosts(o, via));
    CHECK_OK(zk_options_set_operation_timeout_ms(o, 1500));
    c = zkt_start(o);
    zk_options_free(o);
    REQUIRE(c != NULL);
    CHECK_OK(zk_add_listener(c, zkt_on_state, &r, zkt_on_final, NULL));
    zkt_proxy_cut(proxy, true);
    n = wait_state(&r, ZK_STATE_SUSPENDED, ZK_KEEPER_STATE_CONNECTING, 0) + 1;
    REQUIRE(n > 0);

    /* Calls wait for the reconnect, up to the default timeout (timeout_ms 0) ... */
    t0 = zkt_now_ms();
    CHECK_RC(zk_exists(c, "/", NULL, 0, NULL), ZK_RESULT_TIMED_OUT);
    took = zkt_now_ms() - t0;
    CHECK(took >= 1490 && took < zkt_wait_ms(5000));
    t0 = zkt_now_ms();
    CHECK_RC(zk_set(c, "/x", NULL, 0, -1, 0, NULL), ZK_RESULT_TIMED_OUT);
    CHECK(zkt_now_ms() - t0 >= 1490);
    /* ... or their own. */
    t0 = zkt_now_ms();
    CHECK_RC(zk_exists(c, "/", NULL, 100, NULL), ZK_RESULT_TIMED_OUT);
    took = zkt_now_ms() - t0;
    CHECK(took >= 95 && took < 1000);

    zkt_proxy_cut(proxy, false);
    CHECK(wait_state(&r, ZK_STATE_CONNECTED, ZK_KEEPER_STATE_CONNECTED, n) >= 0);
    CHECK_OK(zk_exists(c, "/", NULL, 0, NULL));
    zk_client_free(c);
    zkt_proxy_free(proxy);
    zkt_rec_destroy(&r);
}

static void set_hosts_moves_the_session_to_the_new_servers(void)
{
    char via[64], list[512];
    zk_client_id id, id2;
    struct zkt_proxy *proxy;
    struct zkt_rec r;
    int port = 0, n;
    zk_client *c = zkt_connect();
    REQUIRE(c != NULL);
    zkt_rec_init(&r);
    proxy = zkt_proxy_start(&port);
    REQUIRE(proxy != NULL);
    CHECK_OK(zk_add_listener(c, zkt_on_state, &r, zkt_on_final, NULL));
    CHECK_OK(zk_get_client_id(c, &id));
    drain_events(c);

    /* The current server is in the new list: nothing moves. */
    snprintf(list, sizeof list, "%s,127.0.0.1:1", zkt_hosts());
    CHECK_OK(zk_set_hosts(c, list));
    CHECK_OK(zk_exists(c, "/", NULL, 0, NULL));
    CHECK(zk_is_connected(c));

    /* It is not: the client moves now, keeping its session. */
    n = zkt_rec_states(&r);
    snprintf(via, sizeof via, "127.0.0.1:%d", port);
    CHECK_OK(zk_set_hosts(c, via));
    CHECK(wait_state(&r, ZK_STATE_CONNECTED, ZK_KEEPER_STATE_CONNECTED, n) >= 0);
    CHECK_OK(zk_exists(c, "/", NULL, 0, NULL));
    CHECK_OK(zk_get_client_id(c, &id2));
    CHECK_EQ(id2.session_id, id.session_id);
    /* Proof that it talks through the proxy now: cutting it suspends the client. */
    n = zkt_rec_states(&r);
    zkt_proxy_cut(proxy, true);
    n = wait_state(&r, ZK_STATE_SUSPENDED, ZK_KEEPER_STATE_CONNECTING, n) + 1;
    REQUIRE(n > 0);
    /* And back to the real server. */
    CHECK_OK(zk_set_hosts(c, zkt_hosts()));
    CHECK(wait_state(&r, ZK_STATE_CONNECTED, ZK_KEEPER_STATE_CONNECTED, n) >= 0);
    CHECK_OK(zk_get_client_id(c, &id2));
    CHECK_EQ(id2.session_id, id.session_id);

    /* Refusals leave the client as it was. */
    snprintf(list, sizeof list, "%s/other-chroot", zkt_hosts());
    CHECK_RC(zk_set_hosts(c, list), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_set_hosts(c, ""), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_set_hosts(c, "h:notaport"), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_set_hosts(c, "h/bad/"), ZK_RESULT_INVALID_PATH);
    CHECK_RC(zk_set_hosts(c, "\xff"), ZK_RESULT_INVALID_UTF8);
    CHECK_RC(zk_set_hosts(c, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_set_hosts(NULL, zkt_hosts()), ZK_RESULT_NULL_ARGUMENT);
    CHECK(zk_is_connected(c));
    zk_client_free(c);
    zkt_proxy_free(proxy);
    zkt_rec_destroy(&r);
}

/* With expiry final an expired session is terminal, for zk_start too: it fails at once
 * with SESSION_EXPIRED (before 836f99d it waited for its whole timeout). */
static void start_fails_fast_on_an_expired_session_with_expiry_final(void)
{
    zk_client_id id;
    zk_options *o;
    zk_client *first, *c = NULL;
    int64_t t0;

    first = zkt_connect();
    REQUIRE(first != NULL);
    CHECK_OK(zk_get_client_id(first, &id));
    id.passwd[0] ^= 0xFF; /* the server answers a wrong password with "expired" */
    o = zkt_options(NULL);
    CHECK_OK(zk_options_set_client_id(o, &id));
    CHECK_OK(zk_options_set_expiry_final(o, true));
    CHECK_OK(zk_client_new(o, &c));
    zk_options_free(o);
    t0 = zkt_now_ms();
    CHECK_RC(zk_start(c, 5000), ZK_RESULT_SESSION_EXPIRED);
    CHECK(zkt_now_ms() - t0 < 2000);
    zk_client_free(c);
    zk_client_free(first);
}

/* A loopback port that refuses connections: bound (so no one else takes it) but not
 * listening. */
static int refusing_port(int *fd_out)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        zkt_fail(__FILE__, __LINE__, "could not bind a loopback port");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *fd_out = fd;
    return ntohs(a.sin_port);
}

static void start_gives_up_after_the_connection_retries_and_says_why(void)
{
    char hosts[64];
    zk_options *o;
    zk_client *c = NULL;
    zk_retry_policy p;
    int fd = -1, port = refusing_port(&fd);
    int64_t t0;
    struct zkt_rec r;
    REQUIRE(port > 0);
    zkt_rec_init(&r);

    snprintf(hosts, sizeof hosts, "127.0.0.1:%d", port);
    o = zk_options_new();
    CHECK_OK(zk_options_set_hosts(o, hosts));
    CHECK_OK(zk_retry_policy_init(&p));
    p.max_tries = 2;
    p.delay_ms = 10;
    p.max_jitter = 0;
    CHECK_OK(zk_options_set_connection_retry(o, &p));
    CHECK_OK(zk_client_new(o, &c));
    zk_options_free(o);
    REQUIRE(c != NULL);
    CHECK_OK(zk_add_listener(c, zkt_on_state, &r, zkt_on_final, NULL));
    t0 = zkt_now_ms();
    /* Two refused connects and one 10 ms back-off take far less than the 10 s allowed. */
    CHECK_RC(zk_start(c, 10000), ZK_RESULT_RETRIES_EXHAUSTED);
    CHECK(zkt_now_ms() - t0 < 5000);
    /* Why: the last failure of each address; nothing answered, so it says so. */
    {
        char want[128], *why = NULL;
        snprintf(want, sizeof want, "no server could be reached: 127.0.0.1:%d: connection refused",
                 port);
        CHECK_OK(zk_connect_error(c, &why));
        CHECK_STR(why, want);
        zk_string_free(why);
        CHECK_RC(zk_connect_error(c, NULL), ZK_RESULT_NULL_ARGUMENT);
    }
    CHECK_EQ(zk_get_keeper_state(c), ZK_KEEPER_STATE_CLOSED);
    CHECK_EQ(zk_get_state(c), ZK_STATE_LOST);
    CHECK_RC(zk_exists(c, "/", NULL, 0, NULL), ZK_RESULT_RETRIES_EXHAUSTED);
    CHECK(zkt_wait_states(&r, 2, EVENT_WAIT_MS));
    zk_client_free(c);
    {
        static const zk_state s[] = { ZK_STATE_LOST, ZK_STATE_LOST };
        static const zk_keeper_state k[] = { ZK_KEEPER_STATE_CONNECTING, ZK_KEEPER_STATE_CLOSED };
        check_states(&r, s, k, 2);
    }
    close(fd);
    zkt_rec_destroy(&r);
}

static void start_times_out_when_no_server_answers_and_says_why(void)
{
    char hosts[64], want[128], *why = NULL;
    zk_options *o;
    zk_client *c = NULL;
    int fd = -1, port = refusing_port(&fd);
    int64_t t0, took;
    REQUIRE(port > 0);

    snprintf(hosts, sizeof hosts, "127.0.0.1:%d", port);
    o = zk_options_new();
    CHECK_OK(zk_options_set_hosts(o, hosts)); /* default retry: unbounded */
    CHECK_OK(zk_client_new(o, &c));
    zk_options_free(o);
    REQUIRE(c != NULL);
    /* Nothing tried yet: no reason, and NULL written over what was there. */
    why = (char *)hosts;
    CHECK_OK(zk_connect_error(c, &why));
    CHECK(why == NULL);
    t0 = zkt_now_ms();
    CHECK_RC(zk_start(c, 300), ZK_RESULT_TIMED_OUT);
    took = zkt_now_ms() - t0;
    CHECK(took >= 290 && took < 5000);
    /* Why it timed out: the refused connects, and still after the stop that followed. */
    snprintf(want, sizeof want, "no server could be reached: 127.0.0.1:%d: connection refused",
             port);
    CHECK_OK(zk_connect_error(c, &why));
    CHECK_STR(why, want);
    zk_string_free(why);
    /* On timeout the client is stopped again. */
    CHECK_EQ(zk_get_keeper_state(c), ZK_KEEPER_STATE_CLOSED);
    CHECK_RC(zk_exists(c, "/", NULL, 0, NULL), ZK_RESULT_CLOSED);
    zk_client_free(c);
    close(fd);
}

/* zk_start's 0 is the client's operation timeout, as for every other call: 400 ms here,
 * not a default of zk_start's own. */
static void start_with_0_waits_the_operation_timeout(void)
{
    char hosts[64];
    zk_options *o;
    zk_client *c = NULL;
    int fd = -1, port = refusing_port(&fd);
    int64_t t0, took;
    REQUIRE(port > 0);

    snprintf(hosts, sizeof hosts, "127.0.0.1:%d", port);
    o = zk_options_new();
    CHECK_OK(zk_options_set_hosts(o, hosts));
    CHECK_OK(zk_options_set_operation_timeout_ms(o, 400));
    CHECK_OK(zk_client_new(o, &c));
    zk_options_free(o);
    REQUIRE(c != NULL);
    t0 = zkt_now_ms();
    CHECK_RC(zk_start(c, 0), ZK_RESULT_TIMED_OUT);
    took = zkt_now_ms() - t0;
    CHECK(took >= 390 && took < 5000);
    CHECK_EQ(zk_get_keeper_state(c), ZK_KEEPER_STATE_CLOSED);
    zk_client_free(c);
    close(fd);
}

/* Async completions on a closed client: how many ran, and how many had CLOSED. */
static int closed_calls, closed_rc_closed, closed_finals;
static pthread_mutex_t closed_mu = PTHREAD_MUTEX_INITIALIZER;
static void closed_result(zk_result rc)
{
    pthread_mutex_lock(&closed_mu);
    closed_calls++;
    closed_rc_closed += rc == ZK_RESULT_CLOSED;
    pthread_mutex_unlock(&closed_mu);
}
static void closed_string_cb(void *ud, zk_result rc, const char *s, const zk_stat *st)
{
    (void)ud;
    (void)s, (void)st;
    closed_result(rc);
}
static void closed_void_cb(void *ud, zk_result rc)
{
    (void)ud;
    closed_result(rc);
}
static void closed_stat_cb(void *ud, zk_result rc, const zk_stat *st)
{
    (void)ud;
    (void)st;
    closed_result(rc);
}
static void closed_data_cb(void *ud, zk_result rc, const uint8_t *d, size_t n, const zk_stat *st)
{
    (void)ud;
    (void)d, (void)n, (void)st;
    closed_result(rc);
}
static void closed_children_cb(void *ud, zk_result rc, const zk_string_list *l, const zk_stat *st)
{
    (void)ud;
    (void)l, (void)st;
    closed_result(rc);
}
static void closed_acl_cb(void *ud, zk_result rc, const zk_acl_list *l, const zk_stat *st)
{
    (void)ud;
    (void)l, (void)st;
    closed_result(rc);
}
static void closed_watch_cb(void *ud, const zk_event *e)
{
    (void)ud, (void)e;
    closed_result(ZK_RESULT_OK);
}
static void closed_final(void *ud)
{
    (void)ud;
    pthread_mutex_lock(&closed_mu);
    closed_finals++;
    pthread_mutex_unlock(&closed_mu);
}
static int closed_count(int *what)
{
    int n;
    pthread_mutex_lock(&closed_mu);
    n = *what;
    pthread_mutex_unlock(&closed_mu);
    return n;
}

/* Every call that needs a session, on a client never started, stopped, and closed: a
 * blocking one returns ZK_RESULT_CLOSED; an async one returns OK and its callback runs once
 * with ZK_RESULT_CLOSED, then its finalizer (as the header says of async calls). Four-letter
 * words need no session and work until zk_close. */
static void stopped_and_unstarted_clients_answer_closed(void)
{
    static const zk_acl open = { ZK_PERM_ALL, "world", "anyone" };
    zk_options *o = zkt_options(NULL);
    zk_client *c = NULL;
    zk_buffer b = { NULL, 0 };
    zk_string_list *l = NULL;
    zk_acl_list *al = NULL;
    zk_client_id id;
    char *s = NULL;
    int round;
    zk_txn *empty = zk_txn_new(), *one = zk_txn_new();
    zk_txn_results *res = NULL;
    zk_watcher w = { closed_watch_cb, NULL, NULL };

    REQUIRE(empty != NULL && one != NULL);
    CHECK_OK(zk_txn_check(one, "/", -1));
    CHECK_OK(zk_client_new(o, &c));
    zk_options_free(o);
    REQUIRE(c != NULL);
    for (round = 0; round < 3; round++) {
        /* round 0: never started; 1: stopped; 2: closed */
        if (round == 1) {
            CHECK_OK(zk_start(c, (uint32_t)zkt_wait_ms(10000)));
            CHECK_OK(zk_stop(c));
        } else if (round == 2) {
            CHECK_OK(zk_start(c, (uint32_t)zkt_wait_ms(10000)));
            CHECK_OK(zk_close(c));
            CHECK_OK(zk_close(c)); /* idempotent */
        }
        CHECK_RC(zk_create(c, "/x", NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL), ZK_RESULT_CLOSED);
        CHECK_RC(zk_ensure_path(c, "/x/y", NULL, 0, 0), ZK_RESULT_CLOSED);
        CHECK_RC(zk_exists(c, "/", NULL, 0, NULL), ZK_RESULT_CLOSED);
        CHECK_RC(zk_get(c, "/", NULL, 0, &b, NULL), ZK_RESULT_CLOSED);
        CHECK_RC(zk_get_children(c, "/", NULL, 0, &l, NULL), ZK_RESULT_CLOSED);
        CHECK_RC(zk_set(c, "/x", NULL, 0, -1, 0, NULL), ZK_RESULT_CLOSED);
        CHECK_RC(zk_delete(c, "/x", -1, false, 0), ZK_RESULT_CLOSED);
        CHECK_RC(zk_delete(c, "/x", -1, true, 0), ZK_RESULT_CLOSED);
        CHECK_RC(zk_sync(c, "/", 0), ZK_RESULT_CLOSED);
        CHECK_RC(zk_get_acl(c, "/", 0, &al, NULL), ZK_RESULT_CLOSED);
        CHECK_RC(zk_set_acl(c, "/x", &open, 1, -1, 0, NULL), ZK_RESULT_CLOSED);
        CHECK_RC(zk_add_auth(c, "digest", (const uint8_t *)"u:p", 3, 0), ZK_RESULT_CLOSED);
        CHECK_RC(zk_get_client_id(c, &id), ZK_RESULT_CONNECTION_LOSS);
        CHECK_RC(zk_add_watch(c, "/", true, &w, 0), ZK_RESULT_CLOSED);
        CHECK_RC(zk_remove_watches(c, "/", ZK_WATCHER_TYPE_ANY, false, 0), ZK_RESULT_CLOSED);
        CHECK_RC(zk_txn_commit(c, empty, 0, &res), ZK_RESULT_CLOSED);
        CHECK_RC(zk_txn_commit(c, one, 0, &res), ZK_RESULT_CLOSED);
        CHECK(b.data == NULL && l == NULL && al == NULL && res == NULL);

        closed_calls = closed_rc_closed = closed_finals = 0;
        CHECK_RC(zk_create_async(c, "/x", NULL, 0, NULL, 0, 0, 0, 0, closed_string_cb, NULL,
                                 closed_final),
                 ZK_RESULT_OK);
        CHECK_RC(zk_delete_async(c, "/x", -1, 0, closed_void_cb, NULL, closed_final),
                 ZK_RESULT_OK);
        CHECK_RC(zk_exists_async(c, "/", NULL, 0, closed_stat_cb, NULL, closed_final),
                 ZK_RESULT_OK);
        CHECK_RC(zk_get_async(c, "/", NULL, 0, closed_data_cb, NULL, closed_final),
                 ZK_RESULT_OK);
        CHECK_RC(zk_get_children_async(c, "/", NULL, 0, closed_children_cb, NULL, closed_final),
                 ZK_RESULT_OK);
        CHECK_RC(zk_set_async(c, "/x", NULL, 0, -1, 0, closed_stat_cb, NULL, closed_final),
                 ZK_RESULT_OK);
        CHECK_RC(zk_sync_async(c, "/", 0, closed_string_cb, NULL, closed_final),
                 ZK_RESULT_OK);
        CHECK_RC(zk_get_acl_async(c, "/", 0, closed_acl_cb, NULL, closed_final),
                 ZK_RESULT_OK);
        CHECK_RC(zk_set_acl_async(c, "/x", &open, 1, -1, 0, closed_stat_cb, NULL, closed_final),
                 ZK_RESULT_OK);
        {
            int64_t until = zkt_now_ms() + zkt_wait_ms(5000);
            while (closed_count(&closed_finals) < 9 && zkt_now_ms() < until)
                zkt_sleep_ms(5);
        }
        CHECK_EQ(closed_count(&closed_finals), 9);
        CHECK_EQ(closed_count(&closed_calls), 9);
        CHECK_EQ(closed_count(&closed_rc_closed), 9);

        /* Four-letter words need no session: they go to the first host that answers, until
         * the client is closed. */
        if (round < 2) {
            uint32_t major = 0;
            CHECK_OK(zk_command(c, "ruok", 0, &s));
            CHECK_STR(s, "imok");
            zk_string_free(s);
            s = NULL;
            CHECK_OK(zk_server_version(c, 0, &major, NULL, NULL));
            CHECK_EQ(major, 3);
        } else {
            CHECK_RC(zk_command(c, "ruok", 0, &s), ZK_RESULT_CLOSED);
            CHECK(s == NULL);
            CHECK_RC(zk_server_version(c, 0, NULL, NULL, NULL), ZK_RESULT_CLOSED);
            CHECK_RC(zk_start(c, 0), ZK_RESULT_CLOSED);
            CHECK_RC(zk_restart(c, 0), ZK_RESULT_CLOSED);
        }
    }
    zk_txn_free(empty);
    zk_txn_free(one);
    zk_client_free(c);
}

static void logger_hears_the_connection_and_is_finalized_once(void)
{
    struct zkt_rec r;
    zk_options *o = zkt_options(NULL);
    zk_client *c;
    zkt_rec_init(&r);
    r.log_needle = "connected to";

    CHECK_OK(zk_options_set_logger(o, zkt_on_log, &r, zkt_on_final, ZK_LOG_LEVEL_DEBUG));
    c = zkt_start(o);
    CHECK(c != NULL);
    /* The "connected to" line is logged before the state change that start waits for. */
    pthread_mutex_lock(&r.mu);
    CHECK(r.log_hits >= 1);
    CHECK(r.log_lines >= 1);
    pthread_mutex_unlock(&r.mu);

    /* The options and the client share the logger: it ends when both are freed. */
    zk_options_free(o);
    CHECK_EQ(zkt_rec_finals(&r), 0);
    zk_client_free(c);
    CHECK_EQ(zkt_rec_finals(&r), 1);
    zkt_rec_destroy(&r);
}

static void logger_replaced_or_refused_is_finalized(void)
{
    struct zkt_rec a, b;
    zk_options *o = zk_options_new();
    zkt_rec_init(&a);
    zkt_rec_init(&b);

    CHECK_OK(zk_options_set_logger(o, zkt_on_log, &a, zkt_on_final, ZK_LOG_LEVEL_ERROR));
    CHECK_OK(zk_options_set_logger(o, zkt_on_log, &b, zkt_on_final, ZK_LOG_LEVEL_INFO));
    CHECK_EQ(zkt_rec_finals(&a), 1); /* replaced */
    CHECK_RC(zk_options_set_logger(o, NULL, &a, zkt_on_final, ZK_LOG_LEVEL_INFO),
             ZK_RESULT_NULL_ARGUMENT);
    CHECK_EQ(zkt_rec_finals(&a), 2); /* refused, released at once */
    CHECK_EQ(zkt_rec_finals(&b), 0); /* the refused call left the logger in place */
    CHECK_RC(zk_options_set_logger(NULL, zkt_on_log, &a, zkt_on_final, ZK_LOG_LEVEL_INFO),
             ZK_RESULT_NULL_ARGUMENT);
    CHECK_EQ(zkt_rec_finals(&a), 3);
    /* Levels outside zk_log_level. */
    CHECK_RC(zk_options_set_logger(o, zkt_on_log, &a, zkt_on_final, 0), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_options_set_logger(o, zkt_on_log, &a, zkt_on_final, 5), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_options_set_logger(o, zkt_on_log, &a, zkt_on_final, 0xFFFFFFFFu),
             ZK_RESULT_INVALID_ARGUMENT);
    CHECK_EQ(zkt_rec_finals(&a), 6);
    zk_options_free(o);
    CHECK_EQ(zkt_rec_finals(&b), 1);
    pthread_mutex_lock(&a.mu);
    CHECK_EQ(a.log_lines, 0); /* options alone never log */
    pthread_mutex_unlock(&a.mu);
    zkt_rec_destroy(&a);
    zkt_rec_destroy(&b);
}

static void quiet_logger_level_filters_debug(void)
{
    struct zkt_rec r;
    zk_options *o = zkt_options(NULL);
    zk_client *c;
    zkt_rec_init(&r);
    r.log_needle = "connected to"; /* an INFO line */

    CHECK_OK(zk_options_set_logger(o, zkt_on_log, &r, zkt_on_final, ZK_LOG_LEVEL_WARN));
    c = zkt_start(o);
    zk_options_free(o);
    CHECK(c != NULL);
    zk_client_free(c);
    pthread_mutex_lock(&r.mu);
    CHECK_EQ(r.log_hits, 0);
    pthread_mutex_unlock(&r.mu);
    CHECK_EQ(zkt_rec_finals(&r), 1);
    zkt_rec_destroy(&r);
}

ZKT_SUITE(session) = {
    ZKT_CASE(listener_sees_start_and_stop_transitions),
    ZKT_CASE(listeners_are_finalized_when_the_client_is_freed),
    ZKT_CASE(ephemeral_is_gone_right_after_stop),
    ZKT_CASE(client_id_resumes_the_same_session),
    ZKT_CASE(connection_loss_suspends_and_the_session_and_watches_survive),
    ZKT_CASE(wrong_session_password_gives_a_new_session),
    ZKT_CASE(start_fails_fast_on_an_expired_session_with_expiry_final),
    ZKT_CASE(operation_timeout_bounds_calls_while_disconnected),
    ZKT_CASE(set_hosts_moves_the_session_to_the_new_servers),
    ZKT_CASE(start_gives_up_after_the_connection_retries_and_says_why),
    ZKT_CASE(start_times_out_when_no_server_answers_and_says_why),
    ZKT_CASE(start_with_0_waits_the_operation_timeout),
    ZKT_CASE(stopped_and_unstarted_clients_answer_closed),
    ZKT_CASE(logger_hears_the_connection_and_is_finalized_once),
    ZKT_CASE(logger_replaced_or_refused_is_finalized),
    ZKT_CASE(quiet_logger_level_filters_debug),
    ZKT_END,
};
