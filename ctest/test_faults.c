/* The ensembles the fault tests (test_faults_*.c) run on, from zkharness.py, and the helpers
 * they share (faults.h). The shared ensemble starts on first use and stops at exit; each
 * test puts back what it broke (and heals what an earlier failed test left). */
#include "faults.h"

#include <stdlib.h>
#include <unistd.h>

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

bool cluster_verb(struct cluster *cl, const char *verb, int id)
{
    char args[512];
    snprintf(args, sizeof args, "%s --dir '%s' --id %d", verb, cl->dir, id);
    if (!run_harness(args)) {
        zkt_fail(__FILE__, __LINE__, "zkharness %s server %d failed", verb, id);
        return false;
    }
    return true;
}

void cluster_kill(struct cluster *cl, int id)
{
    if (cluster_verb(cl, "kill", id))
        cl->killed[id] = true;
    cl->paused[id] = false;
}

void cluster_restart(struct cluster *cl, int id)
{
    if (cluster_verb(cl, "restart", id))
        cl->killed[id] = cl->paused[id] = false;
}

void cluster_pause(struct cluster *cl, int id)
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
int cluster_leader(struct cluster *cl)
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

int follower(struct cluster *cl)
{
    int l = cluster_leader(cl);
    return l == 1 ? 2 : 1;
}

/* The `Mode:` line of `srvr` on server `id`, into `mode` ("" if it does not answer). */
void cluster_mode(struct cluster *cl, int id, char *mode, size_t len)
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

/* Waits up to `ms` until every server of the ensemble serves as leader or follower (a
 * server still syncing after an earlier test refuses clients); false if one never does. */
static bool cluster_all_serving(struct cluster *cl, int ms)
{
    int64_t end = zkt_now_ms() + ms;
    for (;;) {
        int id, serving = 0;
        for (id = 1; id <= N_SERVERS; id++) {
            char mode[32];
            cluster_mode(cl, id, mode, sizeof mode);
            serving += strcmp(mode, "leader") == 0 || strcmp(mode, "follower") == 0;
        }
        if (serving == N_SERVERS)
            return true;
        if (zkt_now_ms() >= end)
            return false;
        zkt_sleep_ms(100);
    }
}

/* Waits for every server to serve, then names the leader (returned) and the two
 * followers, in id order; 0 after recording why. */
int leader_and_followers(struct cluster *cl, int *x, int *y)
{
    int leader, i;
    *x = *y = 0;
    if (!cluster_all_serving(cl, 20000)) {
        zkt_fail(__FILE__, __LINE__, "not every server serves within 20 s");
        return 0;
    }
    leader = cluster_leader(cl);
    for (i = 1; i <= N_SERVERS; i++)
        if (i != leader) {
            if (*x == 0)
                *x = i;
            else
                *y = i;
        }
    if (leader == 0 || *x == 0 || *y == 0) {
        zkt_fail(__FILE__, __LINE__, "no leader and two followers (leader %d)", leader);
        return 0;
    }
    return leader;
}

/* Reads the ports of servers 1..n from the cluster's cluster.env; false (recorded) if
 * one has no client port. */
static bool read_ports(struct cluster *cl, int n)
{
    char path[256], line[256];
    FILE *env;
    int i;
    snprintf(path, sizeof path, "%s/cluster.env", cl->dir);
    env = fopen(path, "r");
    if (env == NULL) {
        zkt_fail(__FILE__, __LINE__, "no %s", path);
        return false;
    }
    while (fgets(line, sizeof line, env) != NULL)
        for (i = 1; i <= n; i++) {
            char key[64];
            int k = snprintf(key, sizeof key, "ZK_SERVER_%d_PORT=", i);
            if (strncmp(line, key, (size_t)k) == 0)
                cl->port[i] = atoi(line + k);
            k = snprintf(key, sizeof key, "ZK_SERVER_%d_QUORUM_PORT=", i);
            if (strncmp(line, key, (size_t)k) == 0)
                cl->quorum_port[i] = atoi(line + k);
            k = snprintf(key, sizeof key, "ZK_SERVER_%d_ELECTION_PORT=", i);
            if (strncmp(line, key, (size_t)k) == 0)
                cl->election_port[i] = atoi(line + k);
        }
    fclose(env);
    for (i = 1; i <= n; i++)
        if (cl->port[i] == 0) {
            zkt_fail(__FILE__, __LINE__, "no port for server %d in %s", i, path);
            return false;
        }
    cl->n = n;
    return true;
}

/* Starts `N_SERVERS` servers with `flags` (extra zkharness start arguments). */
bool cluster_start(struct cluster *cl, const char *flags)
{
    char args[1024];
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
    if (!read_ports(cl, N_SERVERS))
        return false;
    cl->up = true;
    return true;
}

int cluster_add(struct cluster *cl)
{
    char args[512];
    if (cl->n >= MAX_SERVERS) {
        zkt_fail(__FILE__, __LINE__, "no room for server %d", cl->n + 1);
        return 0;
    }
    snprintf(args, sizeof args, "add --dir '%s'", cl->dir);
    if (!run_harness(args)) {
        zkt_fail(__FILE__, __LINE__, "zkharness add failed");
        return 0;
    }
    return read_ports(cl, cl->n + 1) ? cl->n : 0;
}

void member_line(struct cluster *cl, int id, char *out, size_t len)
{
    snprintf(out, len, "server.%d=127.0.0.1:%d:%d:participant;127.0.0.1:%d", id,
             cl->quorum_port[id], cl->election_port[id], cl->port[id]);
}

void cluster_stop(struct cluster *cl)
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
struct cluster *ensemble(void)
{
    if (!shared_cluster.up) {
        /* SASL user bob (password pw) for the SASL replay test. */
        if (!cluster_start(&shared_cluster, "--extra localSessionsEnabled=false "
                                            "--extra localSessionsUpgradingEnabled=false "
                                            "--sasl-digest bob=pw"))
            return NULL;
        atexit(stop_shared);
    }
    cluster_heal(&shared_cluster);
    return &shared_cluster;
}

/* "127.0.0.1:p,..." of the servers in `ids` (0-terminated). */
void hosts_of(struct cluster *cl, const int *ids, char *out, size_t len)
{
    size_t n = 0;
    out[0] = '\0';
    for (; *ids; ids++)
        n += (size_t)snprintf(out + n, len - n, "%s127.0.0.1:%d", n ? "," : "", cl->port[*ids]);
}

/* Options for the servers `ids` in that order (not shuffled), 4 s sessions. */
zk_options *options_on(struct cluster *cl, const int *ids)
{
    char hosts[256];
    zk_options *o = zk_options_new();
    hosts_of(cl, ids, hosts, sizeof hosts);
    CHECK_OK(zk_options_set_hosts(o, hosts));
    CHECK_OK(zk_options_set_randomize_hosts(o, false));
    CHECK_OK(zk_options_set_session_timeout_ms(o, 4000));
    return o;
}

/* A started client on `ids` in that order (not shuffled); NULL after recording why. */
zk_client *client_on(struct cluster *cl, const int *ids, bool expiry_final, bool ro)
{
    zk_options *o = options_on(cl, ids);
    zk_client *c;
    CHECK_OK(zk_options_set_expiry_final(o, expiry_final));
    CHECK_OK(zk_options_set_read_only(o, ro));
    c = zkt_start(o);
    zk_options_free(o);
    return c;
}

/* The client port of the server `c` is connected to, from its `conf`; 0 if unknown. */
int current_port(zk_client *c)
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
int wait_state(struct zkt_rec *r, zk_state s, zk_keeper_state k, int from, int ms,
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

void make_root(zk_client *c, char root[ZKT_PATH_MAX])
{
    zkt_path(root, "/ctest-faults-%ld-%s", (long)getpid(), zkt_test_name());
    zk_delete(c, root, -1, true, 0);
    CHECK_OK(zkt_create(c, root, ""));
}

/* A client on follower `f` first; `rest` gets the others, 0-terminated. */
zk_client *pinned(struct cluster *cl, int f, int rest[N_SERVERS])
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

/* Arms 5 watches on `c` recording into `w`: 3 data watches, 2 exists on missing nodes. */
void arm_five(zk_client *c, const char *root, struct zkt_rec *w)
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
    CHECK_EQ(zk_watch_count(c), 5);
}

void check_all_ended(struct zkt_rec *w, int n, zk_keeper_state why)
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

/* ------------------------------------------------------------------ calls in a thread */

static void *bg_main(void *arg)
{
    struct bg_call *b = arg;
    uint32_t timeout = (uint32_t)zkt_wait_ms(10000);
    char got[64] = "";
    zk_result rc;
    if (b->create) {
        rc = zk_create(b->c, b->path, NULL, 0, NULL, 0, ZK_CREATE_FLAG_SEQUENCE, 0, timeout,
                       NULL, NULL);
    } else {
        zk_buffer d = { NULL, 0 };
        rc = zk_get(b->c, b->path, b->watcher, timeout, &d, NULL);
        if (rc == ZK_RESULT_OK) {
            snprintf(got, sizeof got, "%.*s", (int)d.len, d.data ? (const char *)d.data : "");
            zk_buffer_free(&d);
        }
    }
    pthread_mutex_lock(&b->mu);
    b->rc = rc;
    memcpy(b->got, got, sizeof got);
    b->done = true;
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

bool bg_start(struct bg_call *b, zk_client *c, const char *path,
              const zk_watcher *watcher, bool create)
{
    memset(b, 0, sizeof *b);
    b->c = c;
    b->path = path;
    b->watcher = watcher;
    b->create = create;
    b->rc = ZK_RESULT_SYSTEM_ERROR;
    pthread_mutex_init(&b->mu, NULL);
    if (pthread_create(&b->t, NULL, bg_main, b) != 0) {
        zkt_fail(__FILE__, __LINE__, "pthread_create");
        pthread_mutex_destroy(&b->mu);
        return false;
    }
    return true;
}

bool bg_done(struct bg_call *b)
{
    bool d;
    pthread_mutex_lock(&b->mu);
    d = b->done;
    pthread_mutex_unlock(&b->mu);
    return d;
}

void bg_join(struct bg_call *b)
{
    pthread_join(b->t, NULL);
    pthread_mutex_destroy(&b->mu);
}
