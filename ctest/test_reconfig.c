/* getConfig, reconfig and following the ensemble, from C: a three-server ensemble with
 * dynamic reconfiguration (zkharness --reconfig: reconfigEnabled, standaloneEnabled=false,
 * skipACL) of this file's own, started on first use and stopped at exit, and the suite's
 * standalone server (ZK_HOSTS), whose reconfig is off. The following test changes the
 * membership for good (it adds a fourth server, removes the first and kills it), so the
 * tests take the members from `members`. */
#include "faults.h"

#include <stdlib.h>
#include <unistd.h>

#define LINE_MAX_LEN 128

static struct cluster rc;
static int members[MAX_SERVERS + 1]; /* ids, 0-terminated */

static void stop_reconfig_ensemble(void) { cluster_stop(&rc); }

/* The ensemble, its killed members restarted (a removed server's own config no longer
 * names it, so it stays down); NULL after recording why not. */
static struct cluster *reconfig_ensemble(void)
{
    int i;
    if (!rc.up) {
        /* Global sessions: a local session cannot move to another server. */
        if (!cluster_start(&rc, "--reconfig --extra localSessionsEnabled=false "
                                "--extra localSessionsUpgradingEnabled=false"))
            return NULL;
        for (i = 0; i < N_SERVERS; i++)
            members[i] = i + 1;
        members[N_SERVERS] = 0;
        atexit(stop_reconfig_ensemble);
    }
    for (i = 0; members[i] != 0; i++)
        if (rc.killed[members[i]])
            cluster_restart(&rc, members[i]);
    return &rc;
}

static int count_ids(const int *ids)
{
    int n = 0;
    while (ids[n] != 0)
        n++;
    return n;
}

/* A client on the members, 4 s sessions, synced with the leader: a config read through
 * it is the latest, not a lagging server's. */
static zk_client *on_members(void)
{
    zk_client *c = client_on(&rc, members, false, false);
    if (c != NULL)
        CHECK_OK(zk_sync(c, "/", 0));
    return c;
}

/* zk_get_config, parsed; NULL after recording why. */
static zk_config *read_config(zk_client *c, zk_stat *st)
{
    zk_buffer b = { NULL, 0 };
    zk_config *cfg = NULL;
    zk_result r = zk_get_config(c, NULL, 0, &b, st);
    CHECK_OK(r);
    if (r != ZK_RESULT_OK)
        return NULL;
    CHECK_OK(zk_config_parse(b.data, b.len, &cfg));
    zk_buffer_free(&b);
    return cfg;
}

/* Whether cfg names exactly the servers `ids` (in id order), each with its ports. */
static bool config_is(zk_config *cfg, const int *ids)
{
    size_t i, n = zk_config_member_count(cfg);
    if (n != (size_t)count_ids(ids))
        return false;
    for (i = 0; i < n; i++) {
        zk_config_member m;
        int id = ids[i];
        if (zk_config_member_get(cfg, i, &m) != ZK_RESULT_OK)
            return false;
        if (m.id != (uint64_t)id || m.role != ZK_MEMBER_ROLE_PARTICIPANT ||
            strcmp(m.host, "127.0.0.1") != 0 || m.quorum_port != rc.quorum_port[id] ||
            m.election_port != rc.election_port[id] || m.client_host == NULL ||
            strcmp(m.client_host, "127.0.0.1") != 0 || m.client_port != rc.port[id])
            return false;
    }
    return true;
}

/* The members' server lines, into `buf` with pointers in `lines`; returns how many. */
static size_t member_lines(const int *ids, char buf[][LINE_MAX_LEN], const char **lines)
{
    size_t n = 0;
    for (; ids[n] != 0; n++) {
        member_line(&rc, ids[n], buf[n], LINE_MAX_LEN);
        lines[n] = buf[n];
    }
    return n;
}

/* Whether the client's host list is exactly the servers `ids`, in any order. */
static bool hosts_are(zk_client *c, const int *ids)
{
    char *hosts = NULL, *tok, *save = NULL;
    int seen = 0, want = count_ids(ids), i;
    bool ok = true;
    if (zk_get_hosts(c, &hosts) != ZK_RESULT_OK)
        return false;
    for (tok = strtok_r(hosts, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        bool found = false;
        for (i = 0; ids[i] != 0; i++) {
            char one[32];
            snprintf(one, sizeof one, "127.0.0.1:%d", rc.port[ids[i]]);
            found = found || strcmp(tok, one) == 0;
        }
        ok = ok && found;
        seen++;
    }
    zk_string_free(hosts);
    return ok && seen == want;
}

static bool wait_hosts(zk_client *c, const int *ids, int ms)
{
    int64_t end = zkt_now_ms() + zkt_wait_ms(ms);
    while (!hosts_are(c, ids)) {
        if (zkt_now_ms() >= end)
            return false;
        zkt_sleep_ms(50);
    }
    return true;
}

/* ------------------------------------------------------------------ async results */

struct data_result {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    zk_result rc;
    size_t len;
};

static void on_data(void *ud, zk_result rc, const uint8_t *data, size_t len,
                    const zk_stat *st)
{
    struct data_result *d = ud;
    (void)data;
    (void)st;
    pthread_mutex_lock(&d->mu);
    d->done = true;
    d->rc = rc;
    d->len = len;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

static void data_result_init(struct data_result *d)
{
    memset(d, 0, sizeof *d);
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
}

/* Waits for the completion; false (recorded) if it never came. */
static bool data_result_wait(struct data_result *d)
{
    int64_t end = zkt_now_ms() + zkt_wait_ms(EVENT_WAIT_MS);
    bool done;
    for (;;) {
        pthread_mutex_lock(&d->mu);
        done = d->done;
        pthread_mutex_unlock(&d->mu);
        if (done || zkt_now_ms() >= end)
            break;
        zkt_sleep_ms(10);
    }
    if (!done)
        zkt_fail(__FILE__, __LINE__, "no completion within %d ms", EVENT_WAIT_MS);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    return done;
}

/* ------------------------------------------------------------------ tests */

static void reconfig_get_config_lists_the_members(void)
{
    zk_client *c;
    zk_config *cfg;
    zk_stat st;
    char hosts[256];
    struct data_result d;
    REQUIRE(reconfig_ensemble() != NULL);
    REQUIRE((c = on_members()) != NULL);
    cfg = read_config(c, &st);
    if (cfg != NULL) {
        CHECK(config_is(cfg, members));
        CHECK(zk_config_version(cfg) > 0);
        hosts_of(&rc, members, hosts, sizeof hosts);
        CHECK_STR(zk_config_connect_string(cfg), hosts);
        /* The async form reads the same bytes. */
        data_result_init(&d);
        CHECK_OK(zk_get_config_async(c, NULL, 0, on_data, &d, NULL));
        if (data_result_wait(&d)) {
            CHECK_OK(d.rc);
            CHECK_EQ(d.len, st.data_length);
        }
        zk_config_free(cfg);
    }
    zk_client_free(c);
}

static void reconfig_whole_membership_fires_the_watch_and_a_stale_version_is_refused(void)
{
    zk_client *c;
    zk_config *before, *after;
    zk_buffer b = { NULL, 0 };
    zk_stat st;
    struct zkt_rec r;
    zk_watcher w;
    char buf[MAX_SERVERS][LINE_MAX_LEN];
    const char *lines[MAX_SERVERS];
    size_t n;
    int64_t old;
    struct data_result d;
    REQUIRE(reconfig_ensemble() != NULL);
    REQUIRE((c = on_members()) != NULL);
    before = read_config(c, NULL);
    if (before == NULL) {
        zk_client_free(c);
        return;
    }
    old = zk_config_version(before);
    zk_config_free(before);
    zkt_rec_init(&r);
    w = zkt_watcher(&r);
    CHECK_OK(zk_get_config(c, &w, 0, &b, NULL));
    zk_buffer_free(&b);
    /* The same members again: a new config with a new version, nothing else moves. */
    n = member_lines(members, buf, lines);
    CHECK_OK(zk_reconfig(c, NULL, 0, NULL, 0, lines, n, old, 0, &b, &st));
    CHECK_OK(zk_config_parse(b.data, b.len, &after));
    zk_buffer_free(&b);
    if (after != NULL) {
        CHECK(zk_config_version(after) > old);
        CHECK_EQ(zk_config_version(after), st.mzxid);
        CHECK(config_is(after, members));
        zk_config_free(after);
    }
    CHECK(zkt_wait_events(&r, 1, zkt_wait_ms(EVENT_WAIT_MS)));
    CHECK(zkt_wait_finals(&r, 1, zkt_wait_ms(EVENT_WAIT_MS)));
    pthread_mutex_lock(&r.mu);
    CHECK_EQ(r.events[0].type, ZK_EVENT_TYPE_CHANGED);
    CHECK_STR(r.events[0].path, "/zookeeper/config");
    pthread_mutex_unlock(&r.mu);
    /* The old version is stale now, blocking and async. */
    CHECK_RC(zk_reconfig(c, NULL, 0, NULL, 0, lines, n, old, 0, &b, NULL),
             ZK_RESULT_BAD_VERSION);
    data_result_init(&d);
    CHECK_OK(zk_reconfig_async(c, NULL, 0, NULL, 0, lines, n, old, 0, on_data, &d, NULL));
    if (data_result_wait(&d))
        CHECK_RC(d.rc, ZK_RESULT_BAD_VERSION);
    zk_client_free(c);
    zkt_rec_destroy(&r);
}

static void reconfig_refusals_come_back_as_their_codes(void)
{
    zk_client *c;
    zk_buffer b = { NULL, 0 };
    const char *nobody[] = { "server.8=127.0.0.1:1:2:participant;127.0.0.1:3",
                             "server.9=127.0.0.1:4:5:participant;127.0.0.1:6" };
    const char *bad[] = { "server.9=nonsense" };
    const char *comma[] = { "server.8=a:1:2;3,server.9=b:1:2;3" };
    const char *not_utf8[] = { "server.8=\xff:1:2;3" };
    const char *null_line[] = { NULL };
    uint64_t one = 1;
    REQUIRE(reconfig_ensemble() != NULL);
    REQUIRE((c = on_members()) != NULL);
    /* Servers that do not run cannot be a quorum of the new membership. */
    CHECK_RC(zk_reconfig(c, NULL, 0, NULL, 0, nobody, 2, -1, 0, &b, NULL),
             ZK_RESULT_NEW_CONFIG_NO_QUORUM);
    CHECK_RC(zk_reconfig(c, bad, 1, NULL, 0, NULL, 0, -1, 0, &b, NULL),
             ZK_RESULT_BAD_ARGUMENTS);
    /* Refused before anything is sent. */
    CHECK_RC(zk_reconfig(c, NULL, 0, NULL, 0, NULL, 0, -1, 0, &b, NULL),
             ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_reconfig(c, NULL, 0, &one, 1, nobody, 2, -1, 0, &b, NULL),
             ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_reconfig(c, NULL, 0, &one, 1, NULL, 0, -2, 0, &b, NULL),
             ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_reconfig(c, comma, 1, NULL, 0, NULL, 0, -1, 0, &b, NULL),
             ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_reconfig(c, not_utf8, 1, NULL, 0, NULL, 0, -1, 0, &b, NULL),
             ZK_RESULT_INVALID_UTF8);
    CHECK_RC(zk_reconfig(c, null_line, 1, NULL, 0, NULL, 0, -1, 0, &b, NULL),
             ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_reconfig(c, NULL, 1, NULL, 0, NULL, 0, -1, 0, &b, NULL),
             ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_reconfig(c, NULL, 0, NULL, 2, NULL, 0, -1, 0, &b, NULL),
             ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_reconfig(c, NULL, 0, &one, 1, NULL, 0, -1, 0, NULL, NULL),
             ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_reconfig(NULL, NULL, 0, &one, 1, NULL, 0, -1, 0, &b, NULL),
             ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_reconfig_async(c, NULL, 0, &one, 1, NULL, 0, -1, 0, NULL, NULL, NULL),
             ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_get_config(c, NULL, 0, NULL, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_get_config(NULL, NULL, 0, &b, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK(b.data == NULL);
    zk_client_free(c);
}

static void reconfig_a_standalone_server_is_disabled_and_has_an_empty_config(void)
{
    zk_client *c;
    zk_config *cfg;
    zk_stat st;
    uint64_t one = 1;
    zk_buffer b = { NULL, 0 };
    struct data_result d;
    REQUIRE((c = zkt_connect()) != NULL);
    cfg = read_config(c, &st);
    if (cfg != NULL) {
        CHECK_EQ(st.data_length, 0);
        CHECK_EQ(zk_config_member_count(cfg), 0);
        CHECK_EQ(zk_config_version(cfg), -1);
        CHECK_STR(zk_config_connect_string(cfg), "");
        zk_config_free(cfg);
    }
    CHECK_RC(zk_reconfig(c, NULL, 0, &one, 1, NULL, 0, -1, 0, &b, NULL),
             ZK_RESULT_RECONFIG_DISABLED);
    data_result_init(&d);
    CHECK_OK(zk_reconfig_async(c, NULL, 0, &one, 1, NULL, 0, -1, 0, on_data, &d, NULL));
    if (data_result_wait(&d))
        CHECK_RC(d.rc, ZK_RESULT_RECONFIG_DISABLED);
    zk_client_free(c);
}

static void reconfig_config_parse_reads_the_lines_and_refuses_bad_text(void)
{
    static const char text[] = "server.1=10.0.0.1:2888:3888:participant;10.0.0.1:2181\n"
                               "server.2=10.0.0.2:2888:3888:observer;2181\n"
                               "server.3=[::1]:2888:3888\n"
                               "version=10000000a\n";
    zk_config *cfg = NULL;
    zk_config_member m;
    REQUIRE_OK(zk_config_parse((const uint8_t *)text, strlen(text), &cfg));
    CHECK_EQ(zk_config_version(cfg), 0x10000000aLL);
    CHECK_EQ(zk_config_member_count(cfg), 3);
    CHECK_OK(zk_config_member_get(cfg, 1, &m));
    CHECK_EQ(m.id, 2);
    CHECK_EQ(m.role, ZK_MEMBER_ROLE_OBSERVER);
    CHECK_STR(m.host, "10.0.0.2");
    CHECK_EQ(m.quorum_port, 2888);
    CHECK_EQ(m.election_port, 3888);
    CHECK_STR(m.client_host, "0.0.0.0");
    CHECK_EQ(m.client_port, 2181);
    CHECK_OK(zk_config_member_get(cfg, 2, &m));
    CHECK_STR(m.host, "::1");
    CHECK(m.client_host == NULL);
    CHECK_EQ(m.client_port, 0);
    /* A port alone goes with the member's host; a member without one is left out. */
    CHECK_STR(zk_config_connect_string(cfg), "10.0.0.1:2181,10.0.0.2:2181");
    CHECK_RC(zk_config_member_get(cfg, 3, &m), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_config_member_get(cfg, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    zk_config_free(cfg);

    cfg = NULL;
    CHECK_RC(zk_config_parse((const uint8_t *)"server.1=h:1", 12, &cfg),
             ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_config_parse((const uint8_t *)"nonsense", 8, &cfg),
             ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_config_parse(NULL, 3, &cfg), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_config_parse((const uint8_t *)"", 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK(cfg == NULL);
    CHECK_OK(zk_config_parse(NULL, 0, &cfg));
    CHECK_EQ(zk_config_member_count(cfg), 0);
    zk_config_free(cfg);
    CHECK_EQ(zk_config_version(NULL), -1);
    CHECK_EQ(zk_config_member_count(NULL), 0);
    CHECK(zk_config_connect_string(NULL) == NULL);
    CHECK_RC(zk_config_member_get(NULL, 0, &m), ZK_RESULT_NULL_ARGUMENT);
    zk_config_free(NULL);
}

/* The ensemble grows from three servers to four and shrinks back to three around a client
 * that follows it and was given only the first server, which is then removed and killed:
 * the client keeps its session and its watches, and it reconnects to members it only
 * knows from following. */
static void reconfig_a_following_client_moves_with_the_ensemble(void)
{
    static const int first_only[] = { 1, 0 }, admin_ids[] = { 2, 3, 0 };
    int start_ids[] = { 1, 2, 3, 0 }, grown[] = { 1, 2, 3, 0, 0 }, shrunk[] = { 2, 3, 0, 0 };
    zk_options *o;
    zk_client *c, *admin;
    zk_client_id id, now;
    zk_buffer b = { NULL, 0 };
    struct zkt_rec w, logs;
    zk_watcher wt;
    char root[ZKT_PATH_MAX], node[ZKT_PATH_MAX], line[LINE_MAX_LEN], *data = NULL;
    const char *joining[1];
    uint64_t leaving[1] = { 1 };
    int joiner, on, at, i;
    int64_t end;
    REQUIRE(reconfig_ensemble() != NULL);
    for (i = 0; start_ids[i] != 0; i++)
        REQUIRE(members[i] == start_ids[i]);
    REQUIRE(members[N_SERVERS] == 0);

    zkt_rec_init(&w);
    zkt_rec_init(&logs);
    logs.log_needle = "ensemble changed";
    o = options_on(&rc, first_only);
    CHECK_OK(zk_options_set_follow_ensemble(o, true));
    CHECK_OK(zk_options_set_logger(o, zkt_on_log, &logs, NULL, ZK_LOG_LEVEL_INFO));
    c = zkt_start(o);
    zk_options_free(o);
    if (c == NULL)
        goto out;
    admin = client_on(&rc, admin_ids, false, false);
    if (admin == NULL) {
        zk_client_free(c);
        goto out;
    }
    CHECK_OK(zk_get_client_id(c, &id));
    CHECK(wait_hosts(c, start_ids, 10000));
    CHECK_EQ(current_port(c), rc.port[1]);
    make_root(admin, root);
    zkt_path(node, "%s/n", root);
    CHECK_OK(zkt_create(admin, node, "v0"));
    wt = zkt_watcher(&w);
    CHECK_OK(zk_sync(c, node, 0)); /* written through another server */
    CHECK_OK(zk_get(c, node, &wt, 0, &b, NULL));
    zk_buffer_free(&b);

    /* Grow: a fourth server joins; a reconfig makes it a member. */
    joiner = cluster_add(&rc);
    REQUIRE(joiner == N_SERVERS + 1);
    member_line(&rc, joiner, line, sizeof line);
    joining[0] = line;
    CHECK_OK(zk_reconfig(admin, joining, 1, NULL, 0, NULL, 0, -1, 0, &b, NULL));
    zk_buffer_free(&b);
    members[N_SERVERS] = joiner;
    members[N_SERVERS + 1] = 0;
    grown[N_SERVERS] = joiner;
    CHECK(wait_hosts(c, grown, 10000));

    /* Shrink: the server the client was given, and talks to, leaves. */
    CHECK_OK(zk_reconfig(admin, NULL, 0, leaving, 1, NULL, 0, -1, 0, &b, NULL));
    zk_buffer_free(&b);
    for (i = 0; i < N_SERVERS; i++)
        members[i] = members[i + 1];
    members[N_SERVERS] = 0;
    shrunk[2] = joiner;
    CHECK(wait_hosts(c, shrunk, 10000));
    end = zkt_now_ms() + zkt_wait_ms(10000);
    while ((!zk_is_connected(c) || current_port(c) == rc.port[1]) && zkt_now_ms() < end)
        zkt_sleep_ms(50);
    CHECK(zk_is_connected(c) && current_port(c) != rc.port[1]);
    cluster_kill(&rc, 1);
    CHECK_OK(zk_get_client_id(c, &now));
    CHECK_EQ(now.session_id, id.session_id);

    /* The watch set before it all fires after. */
    CHECK_OK(zkt_set_str(admin, node, "v1"));
    CHECK(zkt_wait_events(&w, 1, zkt_wait_ms(EVENT_WAIT_MS)));
    pthread_mutex_lock(&w.mu);
    CHECK_EQ(w.events[0].type, ZK_EVENT_TYPE_CHANGED);
    CHECK_STR(w.events[0].path, node);
    pthread_mutex_unlock(&w.mu);

    /* Losing its current server too, the client reconnects to the other members. */
    on = current_port(c);
    at = 0;
    for (i = 0; shrunk[i] != 0; i++)
        if (rc.port[shrunk[i]] == on)
            at = shrunk[i];
    CHECK(at != 0);
    if (at != 0) {
        cluster_kill(&rc, at);
        /* Until connected elsewhere: right after the kill the client may not have
         * noticed the loss yet and still say it is connected to that server. */
        end = zkt_now_ms() + zkt_wait_ms(15000);
        while ((!zk_is_connected(c) || current_port(c) == rc.port[at]) && zkt_now_ms() < end)
            zkt_sleep_ms(50);
        CHECK(zk_is_connected(c));
        on = current_port(c);
        CHECK(on != rc.port[at] && on != rc.port[1] && on != 0);
        CHECK_OK(zk_get_client_id(c, &now));
        CHECK_EQ(now.session_id, id.session_id);
        CHECK_OK(zk_sync(c, node, 0));
        CHECK_OK(zkt_get_str(c, node, &data, NULL));
        CHECK_STR(data, "v1");
        free(data);
        cluster_restart(&rc, at);
    }
    pthread_mutex_lock(&logs.mu);
    CHECK(logs.log_hits >= 2); /* the grow and the shrink */
    pthread_mutex_unlock(&logs.mu);
    zk_client_free(c);
    CHECK_OK(zk_delete(admin, root, -1, true, 0));
    zk_client_free(admin);
out:
    zkt_rec_destroy(&w);
    zkt_rec_destroy(&logs);
}

ZKT_SUITE(reconfig) = {
    ZKT_CASE(reconfig_config_parse_reads_the_lines_and_refuses_bad_text),
    ZKT_CASE(reconfig_a_standalone_server_is_disabled_and_has_an_empty_config),
    ZKT_CASE(reconfig_get_config_lists_the_members),
    ZKT_CASE(reconfig_whole_membership_fires_the_watch_and_a_stale_version_is_refused),
    ZKT_CASE(reconfig_refusals_come_back_as_their_codes),
    ZKT_CASE(reconfig_a_following_client_moves_with_the_ensemble),
    ZKT_END,
};
