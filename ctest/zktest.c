/* The runner (main) and the shared helpers declared in zktest.h.
 *
 * Usage: zktest [-l] [-x NAME-SUBSTRING]... [NAME-SUBSTRING...]
 *   -l      list the tests and exit
 *   -x NAME leave out the tests whose name contains NAME (e.g. -x faults_)
 *   NAME    run only tests whose name contains one of the arguments
 * Environment: ZK_HOSTS (required), ZKTEST_TIME_SCALE (multiplies waits and the per-test
 * time limit; run.sh sets it under valgrind), ZKTEST_THREAD_OPS (see test_threads.c).
 * Prints one line per test and ends with "zktest: N passed, M failed"; exits 1 if any
 * test failed.
 */
#include "zktest.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

extern const struct zkt_case zkt_suite_crud[];
extern const struct zkt_case zkt_suite_watch[];
extern const struct zkt_case zkt_suite_session[];
extern const struct zkt_case zkt_suite_acl[];
extern const struct zkt_case zkt_suite_fourlw[];
extern const struct zkt_case zkt_suite_bad_input[];
extern const struct zkt_case zkt_suite_threads[];
extern const struct zkt_case zkt_suite_async[];
extern const struct zkt_case zkt_suite_tls[];
extern const struct zkt_case zkt_suite_multi[];
extern const struct zkt_case zkt_suite_faults_failover[];
extern const struct zkt_case zkt_suite_faults_expiry[];
extern const struct zkt_case zkt_suite_faults_callbacks[];
extern const struct zkt_case zkt_suite_faults_retry[];
extern const struct zkt_case zkt_suite_faults_replay[];
extern const struct zkt_case zkt_suite_faults_readonly[];
extern const struct zkt_case zkt_suite_persistent[];
extern const struct zkt_case zkt_suite_reconfig[];
extern const struct zkt_case zkt_suite_sasl[];
extern const struct zkt_case zkt_suite_recipe_lock[];
extern const struct zkt_case zkt_suite_recipe_data[];
extern const struct zkt_case zkt_suite_recipe_partitioner[];
extern const struct zkt_case zkt_suite_recipe_lease[];
extern const struct zkt_case zkt_suite_recipe_queue[];
extern const struct zkt_case zkt_suite_recipe_watchers[];
extern const struct zkt_case zkt_suite_recipe_tree_cache[];

static const struct zkt_case *const suites[] = {
    zkt_suite_crud, zkt_suite_watch, zkt_suite_session, zkt_suite_acl,
    zkt_suite_fourlw, zkt_suite_bad_input, zkt_suite_threads, zkt_suite_async,
    zkt_suite_multi, zkt_suite_tls, zkt_suite_persistent, zkt_suite_sasl,
    zkt_suite_recipe_lock, zkt_suite_recipe_data, zkt_suite_recipe_partitioner, zkt_suite_recipe_lease,
    zkt_suite_recipe_queue,
    zkt_suite_recipe_watchers,
    zkt_suite_recipe_tree_cache,
    zkt_suite_faults_failover, zkt_suite_faults_expiry, zkt_suite_faults_callbacks,
    zkt_suite_faults_retry, zkt_suite_faults_replay, zkt_suite_faults_readonly,
    zkt_suite_reconfig,
};

static pthread_mutex_t fail_mu = PTHREAD_MUTEX_INITIALIZER;
static int fail_count;
static const char *current_test = "";
static const char *hosts;

void zkt_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&fail_mu);
    fail_count++;
    fprintf(stderr, "  %s:%d: [%s] ", file, line, current_test);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    pthread_mutex_unlock(&fail_mu);
}

int zkt_failures(void)
{
    int n;
    pthread_mutex_lock(&fail_mu);
    n = fail_count;
    pthread_mutex_unlock(&fail_mu);
    return n;
}

const char *zkt_hosts(void) { return hosts; }

const char *zkt_test_name(void) { return current_test; }

int64_t zkt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t zkt_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void zkt_sleep_ms(int ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0) {
    }
}

long zkt_env_long(const char *name, long dflt)
{
    const char *v = getenv(name);
    char *end;
    long n;
    if (v == NULL || *v == '\0')
        return dflt;
    n = strtol(v, &end, 10);
    return *end == '\0' ? n : dflt;
}

int zkt_wait_ms(int ms)
{
    long scale = zkt_env_long("ZKTEST_TIME_SCALE", 1);
    return ms * (int)(scale < 1 ? 1 : scale);
}

/* ------------------------------------------------------------------ clients and paths */

zk_options *zkt_options(const char *suffix)
{
    char buf[1024];
    zk_options *o = zk_options_new();
    snprintf(buf, sizeof buf, "%s%s", hosts, suffix ? suffix : "");
    CHECK_OK(zk_options_set_hosts(o, buf));
    return o;
}

zk_client *zkt_start(const zk_options *opts)
{
    zk_client *c = NULL;
    zk_result rc = zk_client_new(opts, &c);
    if (rc != ZK_RESULT_OK) {
        CHECK_OK(rc);
        return NULL;
    }
    rc = zk_start(c, (uint32_t)zkt_wait_ms(10000));
    if (rc != ZK_RESULT_OK) {
        CHECK_OK(rc);
        zk_client_free(c);
        return NULL;
    }
    return c;
}

zk_client *zkt_connect(void)
{
    zk_options *o = zkt_options(NULL);
    zk_client *c = zkt_start(o);
    zk_options_free(o);
    return c;
}

char *zkt_path(char buf[ZKT_PATH_MAX], const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(buf, ZKT_PATH_MAX, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= ZKT_PATH_MAX)
        zkt_fail(__FILE__, __LINE__, "path too long for ZKT_PATH_MAX: %s", fmt);
    return buf;
}

zk_client *zkt_setup(char root[ZKT_PATH_MAX])
{
    zk_client *c = zkt_connect();
    zk_result rc;
    zkt_path(root, "/ctest-%ld-%s", (long)getpid(), current_test);
    if (c == NULL)
        return NULL;
    rc = zk_create(c, root, NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL);
    if (rc != ZK_RESULT_OK) {
        CHECK_OK(rc);
        zk_client_free(c);
        return NULL;
    }
    return c;
}

void zkt_teardown(zk_client *c, const char *root)
{
    if (c == NULL)
        return;
    CHECK_OK(zk_delete(c, root, -1, true, 0));
    zk_client_free(c);
}

zk_result zkt_create(zk_client *c, const char *path, const char *data)
{
    return zk_create(c, path, (const uint8_t *)data, data ? strlen(data) : 0, NULL, 0, 0, 0,
                     0, NULL, NULL);
}

zk_result zkt_get_str(zk_client *c, const char *path, char **out, zk_stat *stat)
{
    zk_buffer b = { NULL, 0 };
    zk_result rc = zk_get(c, path, NULL, 0, &b, stat);
    if (rc != ZK_RESULT_OK)
        return rc;
    *out = malloc(b.len + 1);
    if (*out != NULL) {
        if (b.len)
            memcpy(*out, b.data, b.len);
        (*out)[b.len] = '\0';
    }
    zk_buffer_free(&b);
    return rc;
}

zk_result zkt_set_str(zk_client *c, const char *path, const char *data)
{
    return zk_set(c, path, (const uint8_t *)data, strlen(data), -1, 0, NULL);
}

int zkt_count_children(zk_client *c, const char *path)
{
    zk_string_list *l = NULL;
    int n;
    zk_result rc = zk_get_children(c, path, NULL, 0, &l, NULL);
    if (rc == ZK_RESULT_NO_NODE)
        return 0;
    if (rc != ZK_RESULT_OK) {
        zkt_fail(__FILE__, __LINE__, "children of %s: %s", path, zk_result_message(rc));
        return -1;
    }
    n = (int)zk_string_list_len(l);
    zk_string_list_free(l);
    return n;
}

/* ------------------------------------------------------------------ event recording */

void zkt_rec_init(struct zkt_rec *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
}

void zkt_rec_destroy(struct zkt_rec *r)
{
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
}

zk_watcher zkt_watcher(struct zkt_rec *r)
{
    zk_watcher w;
    w.callback = zkt_on_watch;
    w.userdata = r;
    w.finalizer = zkt_on_final;
    return w;
}

void zkt_on_watch(void *ud, const zk_event *e)
{
    struct zkt_rec *r = ud;
    pthread_mutex_lock(&r->mu);
    if (r->n_events < ZKT_MAX_EVENTS) {
        struct zkt_event *x = &r->events[r->n_events];
        x->type = e->event_type;
        x->state = e->state;
        snprintf(x->path, sizeof x->path, "%s", e->path ? e->path : "(null)");
        x->zxid = e->zxid;
    }
    r->n_events++;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

void zkt_on_state(void *ud, zk_state s, zk_keeper_state k)
{
    struct zkt_rec *r = ud;
    pthread_mutex_lock(&r->mu);
    if (r->n_states < ZKT_MAX_EVENTS) {
        r->states[r->n_states] = s;
        r->keeper_states[r->n_states] = k;
    }
    r->n_states++;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

void zkt_on_final(void *ud)
{
    struct zkt_rec *r = ud;
    pthread_mutex_lock(&r->mu);
    r->finals++;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

void zkt_on_log(void *ud, zk_log_level level, const char *msg)
{
    struct zkt_rec *r = ud;
    (void)level;
    pthread_mutex_lock(&r->mu);
    r->log_lines++;
    if (r->log_needle && msg && strstr(msg, r->log_needle))
        r->log_hits++;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static int snapshot(struct zkt_rec *r, const int *field)
{
    int n;
    pthread_mutex_lock(&r->mu);
    n = *field;
    pthread_mutex_unlock(&r->mu);
    return n;
}

int zkt_rec_events(struct zkt_rec *r) { return snapshot(r, &r->n_events); }
int zkt_rec_states(struct zkt_rec *r) { return snapshot(r, &r->n_states); }
int zkt_rec_finals(struct zkt_rec *r) { return snapshot(r, &r->finals); }

void zkt_rec_signal(struct zkt_rec *r)
{
    pthread_mutex_lock(&r->mu);
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

bool zkt_rec_wait(struct zkt_rec *r, bool (*done)(struct zkt_rec *, void *), void *arg, int ms)
{
    struct timespec ts;
    bool ok;
    clock_gettime(CLOCK_REALTIME, &ts);
    ms = zkt_wait_ms(ms);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&r->mu);
    while (!(ok = done(r, arg))) {
        if (pthread_cond_timedwait(&r->cv, &r->mu, &ts) != 0) {
            ok = done(r, arg);
            break;
        }
    }
    pthread_mutex_unlock(&r->mu);
    return ok;
}

static bool events_at_least(struct zkt_rec *r, void *n) { return r->n_events >= *(int *)n; }
static bool states_at_least(struct zkt_rec *r, void *n) { return r->n_states >= *(int *)n; }
static bool finals_at_least(struct zkt_rec *r, void *n) { return r->finals >= *(int *)n; }

bool zkt_wait_events(struct zkt_rec *r, int n, int ms) { return zkt_rec_wait(r, events_at_least, &n, ms); }
bool zkt_wait_states(struct zkt_rec *r, int n, int ms) { return zkt_rec_wait(r, states_at_least, &n, ms); }
bool zkt_wait_finals(struct zkt_rec *r, int n, int ms) { return zkt_rec_wait(r, finals_at_least, &n, ms); }

/* ------------------------------------------------------------------ main */

/* A hung test (a deadlock is one of the things we test for) must fail the suite, not
 * stall it: each test gets a time limit, enforced by SIGALRM. */
static void on_alarm(int sig)
{
    static const char msg[] = "zktest: time limit exceeded in a test; aborting\n";
    (void)sig;
    if (write(2, msg, sizeof msg - 1) < 0) {
    }
    _exit(3);
}

static bool selected(const char *name, int argc, char **argv, int first)
{
    int i;
    bool any_wanted = false, wanted = false;
    for (i = first; i < argc; i++) {
        if (strcmp(argv[i], "-x") == 0 && i + 1 < argc) {
            if (strstr(name, argv[++i]) != NULL)
                return false;
        } else {
            any_wanted = true;
            wanted = wanted || strstr(name, argv[i]) != NULL;
        }
    }
    return !any_wanted || wanted;
}

static void run_case(const struct zkt_case *t, int *passed, int *failed)
{
    int before = zkt_failures();
    int64_t start = zkt_now_ms();
    current_test = t->name;
    printf("[ RUN  ] %s\n", t->name);
    fflush(stdout);
    alarm((unsigned)zkt_wait_ms(60));
    t->fn();
    alarm(0);
    if (zkt_failures() == before) {
        (*passed)++;
        printf("[  OK  ] %s (%lld ms)\n", t->name, (long long)(zkt_now_ms() - start));
    } else {
        (*failed)++;
        printf("[ FAIL ] %s (%lld ms)\n", t->name, (long long)(zkt_now_ms() - start));
    }
    fflush(stdout);
    current_test = "";
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0, first = 1;
    size_t s;
    const struct zkt_case *t;
    bool list = argc > 1 && strcmp(argv[1], "-l") == 0;

    if (list)
        first = 2;
    /* Line by line, also into a pipe: a crash must not swallow what came before it. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    hosts = getenv("ZK_HOSTS");
    if (!list && (hosts == NULL || *hosts == '\0')) {
        fprintf(stderr, "zktest: set ZK_HOSTS (e.g. from zkharness.py's cluster.env)\n");
        return 2;
    }
    signal(SIGALRM, on_alarm);
    /* Writes to a socket the server has closed must come back as EPIPE. */
    signal(SIGPIPE, SIG_IGN);

    for (s = 0; s < sizeof suites / sizeof suites[0]; s++) {
        for (t = suites[s]; t->name != NULL; t++) {
            if (!selected(t->name, argc, argv, first))
                continue;
            if (list)
                printf("%s\n", t->name);
            else
                run_case(t, &passed, &failed);
        }
    }
    if (!list)
        printf("zktest: %d passed, %d failed\n", passed, failed);
    /* LSan reports leaks from an exit hook and ends the process without flushing stdio. */
    fflush(stdout);
    return failed ? 1 : 0;
}

/* ------------------------------------------------------------------ the server */

/* The address of ZK_HOSTS's first entry, host:port (the harness writes 127.0.0.1:PORT,...);
 * false after recording why not. */
static bool first_server(struct sockaddr_storage *addr, socklen_t *len)
{
    struct addrinfo hints, *res = NULL;
    char host[256], *colon;

    snprintf(host, sizeof host, "%s", hosts);
    host[strcspn(host, ",/")] = '\0';
    colon = strrchr(host, ':');
    if (colon == NULL) {
        zkt_fail(__FILE__, __LINE__, "no port in ZK_HOSTS \"%s\"", hosts);
        return false;
    }
    *colon = '\0';
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || res == NULL) {
        zkt_fail(__FILE__, __LINE__, "cannot resolve %s", host);
        return false;
    }
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return true;
}

struct zkt_version zkt_server_version(void)
{
    struct zkt_version v = { 0, 0, 0 };
    struct sockaddr_storage addr;
    struct timeval tv = { 5, 0 };
    socklen_t len;
    char reply[512];
    size_t got = 0;
    ssize_t n;
    const char *line;
    int fd;

    if (!first_server(&addr, &len))
        return v;
    fd = socket(addr.ss_family, SOCK_STREAM, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        connect(fd, (struct sockaddr *)&addr, len) != 0 || write(fd, "srvr", 4) != 4) {
        zkt_fail(__FILE__, __LINE__, "srvr: cannot ask the server");
        if (fd >= 0)
            close(fd);
        return v;
    }
    /* The version is the first line; the server closes after the whole reply. */
    while (got < sizeof reply - 1 && (n = read(fd, reply + got, sizeof reply - 1 - got)) > 0)
        got += (size_t)n;
    close(fd);
    reply[got] = '\0';
    line = strstr(reply, "Zookeeper version: ");
    if (line == NULL ||
        sscanf(line, "Zookeeper version: %d.%d.%d", &v.major, &v.minor, &v.patch) != 3) {
        zkt_fail(__FILE__, __LINE__, "srvr: no version in \"%s\"", reply);
        v.major = v.minor = v.patch = 0;
    }
    return v;
}

bool zkt_version_at_least(struct zkt_version v, int major, int minor)
{
    return v.major > major || (v.major == major && v.minor >= minor);
}

/* ------------------------------------------------------------------ connection cutter */

#define PROXY_PAIRS 8

struct zkt_proxy {
    pthread_t tid;
    pthread_mutex_t mu;
    int listen_fd;
    int wake[2]; /* a pipe: wakes the thread's poll when `cut` or `stop` change */
    bool cut, stop, stall;
    struct sockaddr_storage target;
    socklen_t target_len;
    int a[PROXY_PAIRS], b[PROXY_PAIRS]; /* client side, server side; -1 = free */
    bool held[PROXY_PAIRS];             /* the server side is not read (zkt_proxy_stall) */
};

static void close_pair(struct zkt_proxy *p, int i)
{
    close(p->a[i]);
    close(p->b[i]);
    p->a[i] = p->b[i] = -1;
    p->held[i] = false;
}

/* Copies what `from` has to `to`; false when either side is done. */
static bool pump(int from, int to)
{
    char buf[16384];
    ssize_t n = read(from, buf, sizeof buf), off = 0;
    if (n <= 0)
        return false;
    while (off < n) {
        ssize_t w = write(to, buf + off, (size_t)(n - off));
        if (w <= 0)
            return false;
        off += w;
    }
    return true;
}

static void *proxy_main(void *arg)
{
    struct zkt_proxy *p = arg;
    for (;;) {
        struct pollfd fds[2 + 2 * PROXY_PAIRS];
        int idx[2 + 2 * PROXY_PAIRS];
        int n = 0, i;
        bool cut, stall;
        pthread_mutex_lock(&p->mu);
        cut = p->cut;
        stall = p->stall;
        p->stall = false;
        if (p->stop) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        pthread_mutex_unlock(&p->mu);
        if (stall)
            for (i = 0; i < PROXY_PAIRS; i++)
                if (p->a[i] >= 0)
                    p->held[i] = true;
        if (cut)
            for (i = 0; i < PROXY_PAIRS; i++)
                if (p->a[i] >= 0)
                    close_pair(p, i);
        fds[n].fd = p->wake[0];
        fds[n++].events = POLLIN;
        fds[n].fd = p->listen_fd;
        fds[n++].events = POLLIN;
        for (i = 0; i < PROXY_PAIRS; i++) {
            if (p->a[i] < 0)
                continue;
            idx[n] = i;
            fds[n].fd = p->a[i];
            fds[n++].events = POLLIN;
            if (p->held[i])
                continue;
            idx[n] = i;
            fds[n].fd = p->b[i];
            fds[n++].events = POLLIN;
        }
        if (poll(fds, (nfds_t)n, -1) < 0)
            continue;
        if (fds[0].revents) {
            char c;
            if (read(p->wake[0], &c, 1) < 0) {
            }
            continue;
        }
        if (fds[1].revents & POLLIN) {
            int fd = accept(p->listen_fd, NULL, NULL);
            int up = -1, slot = -1;
            if (fd >= 0 && !cut) {
                for (i = 0; i < PROXY_PAIRS; i++)
                    if (p->a[i] < 0) {
                        slot = i;
                        break;
                    }
                up = socket(p->target.ss_family, SOCK_STREAM, 0);
                if (slot < 0 || up < 0 ||
                    connect(up, (struct sockaddr *)&p->target, p->target_len) != 0) {
                    if (up >= 0)
                        close(up);
                    close(fd);
                } else {
                    p->a[slot] = fd;
                    p->b[slot] = up;
                }
            } else if (fd >= 0) {
                close(fd);
            }
        }
        for (i = 2; i < n; i++) {
            int pair = idx[i];
            if (!fds[i].revents || p->a[pair] < 0)
                continue;
            if (fds[i].fd == p->a[pair] ? !pump(p->a[pair], p->b[pair])
                                        : !pump(p->b[pair], p->a[pair]))
                close_pair(p, pair);
        }
    }
    for (int i = 0; i < PROXY_PAIRS; i++)
        if (p->a[i] >= 0)
            close_pair(p, i);
    return NULL;
}

struct zkt_proxy *zkt_proxy_start(int *port)
{
    struct zkt_proxy *p = calloc(1, sizeof *p);
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    int i;

    if (p == NULL)
        return NULL;
    if (!first_server(&p->target, &p->target_len)) {
        free(p);
        return NULL;
    }
    for (i = 0; i < PROXY_PAIRS; i++)
        p->a[i] = p->b[i] = -1;
    pthread_mutex_init(&p->mu, NULL);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    p->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (p->listen_fd < 0 || bind(p->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(p->listen_fd, 16) != 0 ||
        getsockname(p->listen_fd, (struct sockaddr *)&a, &alen) != 0 || pipe(p->wake) != 0) {
        zkt_fail(__FILE__, __LINE__, "proxy: cannot listen");
        if (p->listen_fd >= 0)
            close(p->listen_fd);
        pthread_mutex_destroy(&p->mu);
        free(p);
        return NULL;
    }
    *port = ntohs(a.sin_port);
    if (pthread_create(&p->tid, NULL, proxy_main, p) != 0) {
        zkt_fail(__FILE__, __LINE__, "proxy: pthread_create");
        close(p->listen_fd);
        close(p->wake[0]);
        close(p->wake[1]);
        pthread_mutex_destroy(&p->mu);
        free(p);
        return NULL;
    }
    return p;
}

static void proxy_set(struct zkt_proxy *p, bool *field, bool v)
{
    pthread_mutex_lock(&p->mu);
    *field = v;
    pthread_mutex_unlock(&p->mu);
    if (write(p->wake[1], "x", 1) < 0) {
    }
}

void zkt_proxy_cut(struct zkt_proxy *p, bool cut)
{
    proxy_set(p, &p->cut, cut);
}

void zkt_proxy_stall(struct zkt_proxy *p)
{
    bool pending = true;
    int64_t end = zkt_now_ms() + zkt_wait_ms(5000);
    proxy_set(p, &p->stall, true);
    /* Returns once the thread holds the connections: a reply cannot slip through. */
    while (pending && zkt_now_ms() < end) {
        zkt_sleep_ms(1);
        pthread_mutex_lock(&p->mu);
        pending = p->stall;
        pthread_mutex_unlock(&p->mu);
    }
    if (pending)
        zkt_fail(__FILE__, __LINE__, "proxy: stall not taken up");
}

void zkt_proxy_free(struct zkt_proxy *p)
{
    if (p == NULL)
        return;
    proxy_set(p, &p->stop, true);
    pthread_join(p->tid, NULL);
    close(p->listen_fd);
    close(p->wake[0]);
    close(p->wake[1]);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
