/* Real faults through the C API, on ensembles of their own (zkharness.py, run from here):
 * a killed or stopped server under a client (the session moves, with its ephemerals); a
 * true server-side expiry (every watch ends once, then a new session, or for good with
 * expiry_final); read-only mode with two of three servers down; and callbacks that block,
 * or free the client, while the session fails over.
 *
 * The ensemble for most tests starts on first use and stops at exit; each test puts back
 * what it broke (and heals what an earlier failed test left). */
#include "zktest.h"

#include <stdlib.h>
#include <unistd.h>

#define N_SERVERS 3
#define EVENT_WAIT_MS 10000

struct cluster {
    bool up;
    char dir[128];
    int port[N_SERVERS + 1];
    bool killed[N_SERVERS + 1], paused[N_SERVERS + 1];
};

static struct cluster shared_cluster;

/* scripts/zkharness.py: $ZKT_HARNESS, or found from this file's (absolute) path. */
static const char *harness(void)
{
    static char path[1024];
    const char *env = getenv("ZKT_HARNESS");
    const char *slash;
    if (env != NULL && *env != '\0')
        return env;
    if (path[0] == '\0') {
        slash = strrchr(__FILE__, '/');
        snprintf(path, sizeof path, "%.*s/../scripts/zkharness.py",
                 slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".");
    }
    return path;
}

/* Runs the harness with `args` (after the script name); true on exit status 0. What it
 * says on failure goes to stderr, into the test's log. */
static bool run_harness(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "python3 '%s' %s >/dev/null", harness(), args);
    return system(cmd) == 0;
}

static bool cluster_verb(struct cluster *cl, const char *verb, int id)
{
    char args[512];
    snprintf(args, sizeof args, "%s --dir '%s' --id %d", verb, cl->dir, id);
    if (!run_harness(args)) {
        zkt_fail(__FILE__, __LINE__, "zkharness %s server %d failed", verb, id);
        return false;
    }
    return true;
}

static void cluster_kill(struct cluster *cl, int id)
{
    if (cluster_verb(cl, "kill", id))
        cl->killed[id] = true;
    cl->paused[id] = false;
}

static void cluster_restart(struct cluster *cl, int id)
{
    if (cluster_verb(cl, "restart", id))
        cl->killed[id] = cl->paused[id] = false;
}

static void cluster_pause(struct cluster *cl, int id)
{
    if (cluster_verb(cl, "pause", id))
        cl->paused[id] = true;
}

static void cluster_heal(struct cluster *cl)
{
    int i;
    for (i = 1; i <= N_SERVERS; i++) {
        if (cl->killed[i])
            cluster_restart(cl, i);
        else if (cl->paused[i] && cluster_verb(cl, "resume", i))
            cl->paused[i] = false;
    }
}

/* The id of the leader (the harness waits for an election), or 0. */
static int cluster_leader(struct cluster *cl)
{
    char cmd[1024], line[64] = "";
    FILE *f;
    snprintf(cmd, sizeof cmd, "python3 '%s' leader --dir '%s' 2>/dev/null", harness(), cl->dir);
    f = popen(cmd, "r");
    if (f == NULL)
        return 0;
    if (fgets(line, sizeof line, f) == NULL)
        line[0] = '\0';
    pclose(f);
    return atoi(line);
}

static int follower(struct cluster *cl)
{
    int l = cluster_leader(cl);
    return l == 1 ? 2 : 1;
}

/* The `Mode:` line of `srvr` on server `id`, into `mode` ("" if it does not answer). */
static void cluster_mode(struct cluster *cl, int id, char *mode, size_t len)
{
    char cmd[1024], line[256];
    FILE *f;
    mode[0] = '\0';
    snprintf(cmd, sizeof cmd, "python3 '%s' 4lw --port %d srvr 2>/dev/null", harness(),
             cl->port[id]);
    f = popen(cmd, "r");
    if (f == NULL)
        return;
    while (fgets(line, sizeof line, f) != NULL)
        if (strncmp(line, "Mode: ", 6) == 0) {
            size_t k = strcspn(line + 6, "\n");
            if (k >= len)
                k = len - 1;
            memcpy(mode, line + 6, k);
            mode[k] = '\0';
        }
    pclose(f);
}

/* Starts `N_SERVERS` servers with `flags` (extra zkharness start arguments). */
static bool cluster_start(struct cluster *cl, const char *flags)
{
    char args[1024], path[256], line[256];
    FILE *env;
    int i;
    memset(cl, 0, sizeof *cl);
    snprintf(cl->dir, sizeof cl->dir, "%s/zkfaults-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(cl->dir) == NULL) {
        zkt_fail(__FILE__, __LINE__, "mkdtemp failed");
        return false;
    }
    snprintf(args, sizeof args, "start --dir '%s' --servers %d --parent-pid %ld --cleanup %s",
             cl->dir, N_SERVERS, (long)getpid(), flags);
    if (!run_harness(args)) {
        zkt_fail(__FILE__, __LINE__, "zkharness start failed");
        return false;
    }
    snprintf(path, sizeof path, "%s/cluster.env", cl->dir);
    env = fopen(path, "r");
    if (env == NULL) {
        zkt_fail(__FILE__, __LINE__, "no %s", path);
        return false;
    }
    while (fgets(line, sizeof line, env) != NULL)
        for (i = 1; i <= N_SERVERS; i++) {
            char key[64];
            int n = snprintf(key, sizeof key, "ZK_SERVER_%d_PORT=", i);
            if (strncmp(line, key, (size_t)n) == 0)
                cl->port[i] = atoi(line + n);
        }
    fclose(env);
    for (i = 1; i <= N_SERVERS; i++)
        if (cl->port[i] == 0) {
            zkt_fail(__FILE__, __LINE__, "no port for server %d in %s", i, path);
            return false;
        }
    cl->up = true;
    return true;
}

static void cluster_stop(struct cluster *cl)
{
    char args[512];
    if (!cl->up)
        return;
    snprintf(args, sizeof args, "stop --dir '%s' --remove", cl->dir);
    run_harness(args);
    cl->up = false;
}

static void stop_shared(void) { cluster_stop(&shared_cluster); }

/* The shared ensemble (global sessions, as deployed: a local session could not move),
 * started on first use and healed; NULL after recording why not. */
static struct cluster *ensemble(void)
{
    if (!shared_cluster.up) {
        if (!cluster_start(&shared_cluster, "--extra localSessionsEnabled=false "
                                            "--extra localSessionsUpgradingEnabled=false"))
            return NULL;
        atexit(stop_shared);
    }
    cluster_heal(&shared_cluster);
    return &shared_cluster;
}

/* "127.0.0.1:p,..." of the servers in `ids` (0-terminated). */
static void hosts_of(struct cluster *cl, const int *ids, char *out, size_t len)
{
    size_t n = 0;
    out[0] = '\0';
    for (; *ids; ids++)
        n += (size_t)snprintf(out + n, len - n, "%s127.0.0.1:%d", n ? "," : "", cl->port[*ids]);
}

/* A started client on `ids` in that order (not shuffled); NULL after recording why. */
static zk_client *client_on(struct cluster *cl, const int *ids, bool expiry_final, bool ro)
{
    char hosts[256];
    zk_options *o = zk_options_new();
    zk_client *c;
    hosts_of(cl, ids, hosts, sizeof hosts);
    CHECK_OK(zk_options_set_hosts(o, hosts));
    CHECK_OK(zk_options_set_randomize_hosts(o, false));
    CHECK_OK(zk_options_set_session_timeout_ms(o, 4000));
    CHECK_OK(zk_options_set_expiry_final(o, expiry_final));
    CHECK_OK(zk_options_set_read_only(o, ro));
    c = zkt_start(o);
    zk_options_free(o);
    return c;
}

/* The client port of the server `c` is connected to, from its `conf`; 0 if unknown. */
static int current_port(zk_client *c)
{
    char *out = NULL, *p;
    int port = 0;
    if (zk_command(c, "conf", 5000, &out) != ZK_RESULT_OK)
        return 0;
    p = strstr(out, "clientPort=");
    if (p != NULL)
        port = atoi(p + strlen("clientPort="));
    zk_string_free(out);
    return port;
}

/* ------------------------------------------------------------------ state waits */

struct state_at {
    zk_state s;
    zk_keeper_state k;
    int from;
    int found;
};

static bool state_seen(struct zkt_rec *r, void *arg)
{
    struct state_at *w = arg;
    int i;
    for (i = w->from; i < r->n_states && i < ZKT_MAX_EVENTS; i++)
        if (r->states[i] == w->s && r->keeper_states[i] == w->k) {
            w->found = i;
            return true;
        }
    return false;
}

/* Index of the first (s, k) the listener heard at or after `from`, or -1 (recorded). */
static int wait_state(struct zkt_rec *r, zk_state s, zk_keeper_state k, int from, int ms,
                      int line)
{
    struct state_at w;
    w.s = s;
    w.k = k;
    w.from = from;
    w.found = -1;
    if (!zkt_rec_wait(r, state_seen, &w, ms)) {
        zkt_fail(__FILE__, line, "listener never heard (%d, %d) from change %d on", (int)s,
                 (int)k, from);
        return -1;
    }
    return w.found;
}

#define WAIT_STATE(r, s, k, from, ms) wait_state((r), (s), (k), (from), (ms), __LINE__)

static void make_root(zk_client *c, char root[ZKT_PATH_MAX])
{
    zkt_path(root, "/ctest-faults-%ld-%s", (long)getpid(), zkt_test_name());
    zk_delete(c, root, -1, true, 0);
    CHECK_OK(zkt_create(c, root, ""));
}

/* A client on follower `f` first; `rest` gets the others, 0-terminated. */
static zk_client *pinned(struct cluster *cl, int f, int rest[N_SERVERS])
{
    int ids[N_SERVERS + 1], k = 1, j = 0, i;
    zk_client *c;
    ids[0] = f;
    for (i = 1; i <= N_SERVERS; i++)
        if (i != f) {
            ids[k++] = i;
            rest[j++] = i;
        }
    ids[k] = 0;
    rest[j] = 0;
    c = client_on(cl, ids, false, false);
    if (c != NULL)
        CHECK_EQ(current_port(c), cl->port[f]);
    return c;
}

/* ------------------------------------------------------------------ 1. server lost */

struct call_arg {
    zk_client *c;
    const char *path;
    zk_result rc;
};

static void *set_in_thread(void *p)
{
    struct call_arg *a = p;
    a->rc = zkt_set_str(a->c, a->path, "lost");
    return NULL;
}

static void faults_killed_server_keeps_the_session_and_its_ephemerals(void)
{
    struct cluster *cl;
    char root[ZKT_PATH_MAX], eph[ZKT_PATH_MAX], n[ZKT_PATH_MAX], *data = NULL;
    int f, rest[N_SERVERS], i;
    zk_client *c, *other;
    zk_client_id id, now;
    zk_stat st;
    struct zkt_rec r;
    struct call_arg a;
    pthread_t t;
    int64_t killed;
    REQUIRE((cl = ensemble()) != NULL);
    f = follower(cl);
    REQUIRE((c = pinned(cl, f, rest)) != NULL);
    other = client_on(cl, rest, false, false);
    if (other == NULL) {
        zk_client_free(c);
        return;
    }
    make_root(other, root);
    zkt_path(eph, "%s/eph", root);
    zkt_path(n, "%s/n", root);
    CHECK_OK(zk_create(c, eph, NULL, 0, NULL, 0, ZK_CREATE_FLAG_EPHEMERAL, 0, 0, NULL, NULL));
    CHECK_OK(zkt_create(c, n, "before"));
    CHECK_OK(zk_client_get_id(c, &id));
    zkt_rec_init(&r);
    CHECK_OK(zk_add_listener(c, zkt_on_state, &r, NULL, NULL));

    /* A write sent to a stopped server is still unanswered when the server dies. */
    cluster_pause(cl, f);
    a.c = c;
    a.path = n;
    a.rc = ZK_RESULT_OK;
    REQUIRE(pthread_create(&t, NULL, set_in_thread, &a) == 0);
    zkt_sleep_ms(300);
    killed = zkt_now_ms();
    cluster_kill(cl, f);
    pthread_join(t, NULL);
    CHECK_RC(a.rc, ZK_RESULT_CONNECTION_LOSS);
    i = WAIT_STATE(&r, ZK_STATE_SUSPENDED, ZK_KEEPER_STATE_CONNECTING, 0, EVENT_WAIT_MS);
    CHECK(WAIT_STATE(&r, ZK_STATE_CONNECTED, ZK_KEEPER_STATE_CONNECTED, i + 1, EVENT_WAIT_MS) ==
          i + 1);
    CHECK(zkt_now_ms() - killed < zkt_wait_ms(4000));
    CHECK_OK(zk_client_get_id(c, &now));
    CHECK_EQ(now.session_id, id.session_id);
    CHECK(current_port(c) != cl->port[f]);
    CHECK_OK(zk_sync(other, root, 0));
    CHECK_OK(zk_exists(other, eph, NULL, 0, &st));
    CHECK_EQ(st.ephemeral_owner, id.session_id);
    CHECK_OK(zkt_get_str(other, n, &data, NULL));
    CHECK_STR(data, "before");
    free(data);
    CHECK_OK(zkt_set_str(c, n, "after"));
    zk_client_free(c);
    CHECK_OK(zk_delete(other, root, -1, true, 0));
    zk_client_free(other);
    zkt_rec_destroy(&r);
}

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
    CHECK_OK(zk_client_get_id(thief, &got));
    CHECK_EQ(got.session_id, id->session_id);
    CHECK_OK(zk_stop(thief));
    zk_client_free(thief);
}

/* Arms 5 watches on `c` recording into `w`: 3 data watches, 2 exists on missing nodes. */
static void arm_five(zk_client *c, const char *root, struct zkt_rec *w)
{
    char p[ZKT_PATH_MAX];
    zk_watcher wt = zkt_watcher(w);
    zk_buffer b = { NULL, 0 };
    int i;
    for (i = 0; i < 5; i++) {
        zkt_path(p, "%s/w%d", root, i);
        if (i < 3) {
            CHECK_OK(zkt_create(c, p, ""));
            CHECK_OK(zk_get(c, p, &wt, 0, &b, NULL));
            zk_buffer_free(&b);
        } else {
            CHECK_RC(zk_exists(c, p, &wt, 0, NULL), ZK_RESULT_NO_NODE);
        }
    }
    CHECK_EQ(zk_client_watch_count(c), 5);
}

static void check_all_ended(struct zkt_rec *w, int n, zk_keeper_state why)
{
    int i;
    CHECK(zkt_wait_finals(w, n, EVENT_WAIT_MS));
    zkt_sleep_ms(200);
    pthread_mutex_lock(&w->mu);
    CHECK_EQ(w->n_events, n);
    CHECK_EQ(w->finals, n);
    for (i = 0; i < w->n_events && i < ZKT_MAX_EVENTS; i++) {
        CHECK_EQ(w->events[i].type, ZK_EVENT_TYPE_NONE);
        CHECK_EQ(w->events[i].state, why);
        CHECK_STR(w->events[i].path, "");
    }
    pthread_mutex_unlock(&w->mu);
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
    CHECK_OK(zk_client_get_id(c, &id));
    CHECK_OK(zk_add_listener(c, zkt_on_state, &r, NULL, NULL));

    /* Server 1 closes this client's connection when the session is closed on server 2. */
    expire_elsewhere(cl, two, &id);
    i = WAIT_STATE(&r, ZK_STATE_LOST, ZK_KEEPER_STATE_EXPIRED_SESSION, 0, EVENT_WAIT_MS);
    check_all_ended(&w, 5, ZK_KEEPER_STATE_EXPIRED_SESSION);
    CHECK_EQ(zk_client_watch_count(c), 0);
    WAIT_STATE(&r, ZK_STATE_CONNECTED, ZK_KEEPER_STATE_CONNECTED, i + 1, EVENT_WAIT_MS);
    CHECK_OK(zk_client_get_id(c, &now));
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
    CHECK_OK(zk_client_get_id(c, &id));
    CHECK_OK(zk_add_listener(c, zkt_on_state, &r, NULL, NULL));

    expire_elsewhere(cl, two, &id);
    i = WAIT_STATE(&r, ZK_STATE_LOST, ZK_KEEPER_STATE_EXPIRED_SESSION, 0, EVENT_WAIT_MS);
    check_all_ended(&w, 5, ZK_KEEPER_STATE_EXPIRED_SESSION);
    t = zkt_now_ms();
    CHECK_RC(zk_get(c, root, NULL, 0, &b, NULL), ZK_RESULT_SESSION_EXPIRED);
    CHECK_RC(zkt_create(c, "/never", ""), ZK_RESULT_SESSION_EXPIRED);
    CHECK(zkt_now_ms() - t < zkt_wait_ms(500));
    zkt_sleep_ms(1500);
    CHECK_EQ(zk_client_keeper_state(c), ZK_KEEPER_STATE_EXPIRED_SESSION);
    CHECK_EQ(zk_client_state(c), ZK_STATE_LOST);
    CHECK_EQ(zkt_rec_states(&r), i + 1); /* nothing after EXPIRED_SESSION */
    zk_client_free(c);
    CHECK_OK(zk_delete(admin, root, -1, true, 0));
    zk_client_free(admin);
    zkt_rec_destroy(&r);
    zkt_rec_destroy(&w);
}

/* ------------------------------------------------------------------ 7. read-only */

static void faults_read_only_with_two_servers_down_then_read_write_with_quorum(void)
{
    static const int all[] = { 1, 2, 3, 0 };
    struct cluster ro;
    char mode[64] = "", *data = NULL;
    zk_client *c = NULL, *rw;
    struct zkt_rec r;
    int64_t deadline;
    int i;
    REQUIRE(cluster_start(&ro, "--readonly"));
    rw = client_on(&ro, all, false, false);
    if (rw != NULL) {
        CHECK_OK(zkt_create(rw, "/ro-data", "kept"));
        CHECK_OK(zk_sync(rw, "/ro-data", 0));
        zk_client_free(rw);
    }
    for (i = 1; i <= N_SERVERS; i++) { /* every member has it before two of them go */
        int only[2];
        only[0] = i;
        only[1] = 0;
        rw = client_on(&ro, only, false, true);
        if (rw != NULL) {
            CHECK_OK(zk_sync(rw, "/ro-data", 0));
            zk_client_free(rw);
        }
    }
    cluster_kill(&ro, 2);
    cluster_kill(&ro, 3);
    deadline = zkt_now_ms() + 15000;
    while (strcmp(mode, "read-only") != 0 && zkt_now_ms() < deadline) {
        zkt_sleep_ms(200);
        cluster_mode(&ro, 1, mode, sizeof mode);
    }
    CHECK_STR(mode, "read-only");

    zkt_rec_init(&r);
    {
        char hosts[256];
        zk_options *o = zk_options_new();
        hosts_of(&ro, all, hosts, sizeof hosts);
        CHECK_OK(zk_options_set_hosts(o, hosts));
        CHECK_OK(zk_options_set_read_only(o, true));
        CHECK_OK(zk_options_set_session_timeout_ms(o, 4000));
        if (zk_client_new(o, &c) != ZK_RESULT_OK)
            c = NULL;
        zk_options_free(o);
    }
    if (c != NULL) {
        CHECK_OK(zk_add_listener(c, zkt_on_state, &r, NULL, NULL));
        CHECK_OK(zk_start(c, (uint32_t)zkt_wait_ms(20000)));
        i = WAIT_STATE(&r, ZK_STATE_CONNECTED, ZK_KEEPER_STATE_CONNECTED_RO, 0, EVENT_WAIT_MS);
        CHECK_EQ(zk_client_keeper_state(c), ZK_KEEPER_STATE_CONNECTED_RO);
        CHECK(zk_client_connected(c));
        CHECK_OK(zkt_get_str(c, "/ro-data", &data, NULL));
        CHECK_STR(data, "kept");
        free(data);
        CHECK_RC(zkt_create(c, "/ro-new", ""), ZK_RESULT_NOT_READ_ONLY);
        CHECK_RC(zkt_set_str(c, "/ro-data", "x"), ZK_RESULT_NOT_READ_ONLY);

        cluster_restart(&ro, 2); /* quorum again */
        WAIT_STATE(&r, ZK_STATE_CONNECTED, ZK_KEEPER_STATE_CONNECTED, i + 1, 30000);
        CHECK_OK(zkt_create(c, "/ro-new", ""));
        CHECK_OK(zkt_set_str(c, "/ro-data", "written"));
        zk_client_free(c);
    }
    zkt_rec_destroy(&r);
    cluster_stop(&ro);
}

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
    CHECK_EQ(zk_client_watch_count(c), 1000);
    CHECK_OK(zk_client_get_id(c, &id));
    zkt_rec_init(&r);
    CHECK_OK(zk_add_listener(c, zkt_on_state, &r, NULL, NULL));

    cluster_kill(cl, f);
    i = WAIT_STATE(&r, ZK_STATE_SUSPENDED, ZK_KEEPER_STATE_CONNECTING, 0, EVENT_WAIT_MS);
    WAIT_STATE(&r, ZK_STATE_CONNECTED, ZK_KEEPER_STATE_CONNECTED, i + 1, EVENT_WAIT_MS);
    CHECK_OK(zk_client_get_id(c, &now));
    CHECK_EQ(now.session_id, id.session_id);
    CHECK_EQ(zk_client_watch_count(c), 1000);
    CHECK_OK(zk_delete(c, root, -1, true, 0)); /* watches on missing children: none fire */
    CHECK_OK(zk_stop(c));
    CHECK_EQ(zk_client_watch_count(c), 0);
    zk_client_free(c); /* runs what the event thread still has queued */
    pthread_mutex_lock(&m.mu);
    CHECK_EQ(m.calls, 1000);
    CHECK_EQ(m.finals, 1000);
    CHECK_EQ(m.bad, 0);
    pthread_mutex_unlock(&m.mu);
    pthread_mutex_destroy(&m.mu);
    zkt_rec_destroy(&r);
}

ZKT_SUITE(faults) = {
    ZKT_CASE(faults_killed_server_keeps_the_session_and_its_ephemerals),
    ZKT_CASE(faults_server_side_expiry_ends_each_watch_once_then_a_new_session),
    ZKT_CASE(faults_with_expiry_final_an_expired_client_stays_expired),
    ZKT_CASE(faults_a_watch_callback_blocking_through_a_failover_gets_its_replies),
    ZKT_CASE(faults_free_from_a_callback_during_a_failover_returns_and_ends_every_watch),
    ZKT_CASE(faults_stop_after_a_failover_ends_a_thousand_watches_once_each),
    ZKT_CASE(faults_read_only_with_two_servers_down_then_read_write_with_quorum),
    ZKT_END,
};
