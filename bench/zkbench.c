/*
 * zkbench: one workload for one client per process, one RESULT line on stdout.
 *
 * Compiled twice from this file (see scripts/bench.sh):
 *   -DUSE_ZKCLIENT      libzkclient (include/zkclient.h, target/release/libzkclient.a)
 *   -DUSE_ZOOKEEPER_MT  the official C client (libzookeeper_mt), with host re-resolution
 *                       turned off (zoo_set_servers_resolution_delay(zh, -1))
 * Only the adapter layer (cl_*) differs; the workloads are the same code.
 *
 * Usage: zkbench WORKLOAD hosts=H [seconds=S] [warmup=N] [inflight=N] [threads=N]
 *                [clients=K] [watches=W] [ops=N] [root=/bench] [lat_out=FILE]
 * Workloads: setup sync_get sync_set create_delete rss async_get threads idle_clients
 *            watches watch_latency, and the lock recipe's lock_uncontended lock_handoff
 *            lock_contended (`clients` contenders), the queue recipe's queue_roundtrip,
 *            the DataWatch recipe's datawatch_latency, and the tree cache's
 *            tree_cache_init (a cache of the `watches` nodes under /bench/w) and
 *            tree_cache_latency (the recipes: libzkclient only, the official C client
 *            has none)
 * Any unexpected result code is fatal: a message on stderr and exit status 2.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- common helpers */

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "zkbench: error: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double cpu_us(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + ru.ru_utime.tv_usec +
           ru.ru_stime.tv_usec;
}

static long maxrss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static long vmrss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
    fclose(f);
    return kb;
}

static void sleep_s(double s) {
    struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* waits on a semaphore for at most `s` seconds; 0 on success */
static int sem_wait_s(sem_t *s, double secs) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ns = ts.tv_nsec + (int64_t)(secs * 1e9);
    ts.tv_sec += ns / 1000000000;
    ts.tv_nsec = ns % 1000000000;
    int r;
    while ((r = sem_timedwait(s, &ts)) != 0 && errno == EINTR) {
    }
    return r;
}

/* latency samples in ns */
typedef struct {
    int64_t *v;
    size_t n, cap;
} samples;

static void samples_add(samples *s, int64_t x) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4096;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (!s->v) die("out of memory");
    }
    s->v[s->n++] = x;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct_us(samples *s, double p) {
    if (s->n == 0) return 0;
    size_t i = (size_t)(p * (double)s->n);
    if (i >= s->n) i = s->n - 1;
    return s->v[i] / 1000.0;
}

/* ---------------------------------------------------------------- result line */

static char g_client[32];
static char g_result[1024];

static void res_add(const char *fmt, ...) {
    size_t n = strlen(g_result);
    va_list ap;
    va_start(ap, fmt);
    if (n) g_result[n++] = ' ';
    vsnprintf(g_result + n, sizeof g_result - n, fmt, ap);
    va_end(ap);
}

static void res_print(const char *workload) {
    printf("RESULT client=%s workload=%s %s maxrss_kb=%ld\n", g_client, workload, g_result,
           maxrss_kb());
    fflush(stdout);
}

/* ---------------------------------------------------------------- adapter layer */

typedef void (*done_fn)(void *ctx, int rc);
typedef struct {
    done_fn fn;
    void *ctx;
} done_reg;
typedef void (*watch_cb)(void *ctx);
typedef struct {
    watch_cb fn;
    void *ctx;
} watch_reg;

#if defined(USE_ZKCLIENT)
#include "zkclient.h"

#define CLIENT_NAME "zkclient"
typedef zk_client client_t;

static client_t *cl_connect(const char *hosts) {
    zk_options *o = zk_options_new();
    zk_result r = zk_options_set_hosts(o, hosts);
    if (r == ZK_RESULT_OK) r = zk_options_set_session_timeout_ms(o, 10000);
    zk_client *c = NULL;
    if (r == ZK_RESULT_OK) r = zk_client_new(o, &c);
    zk_options_free(o);
    if (r == ZK_RESULT_OK) r = zk_start(c, 15000);
    if (r != ZK_RESULT_OK) die("connect %s: %s (%d)", hosts, zk_result_message(r), r);
    return c;
}

static void cl_close(client_t *c) { zk_client_free(c); }

static int cl_get(client_t *c, const char *path) {
    zk_buffer b = {NULL, 0};
    zk_stat st;
    zk_result r = zk_get(c, path, NULL, 0, &b, &st);
    if (r == ZK_RESULT_OK) zk_buffer_free(&b);
    return r;
}

static void zw_tramp(void *ud, const zk_event *ev) {
    if (ev->event_type == ZK_EVENT_TYPE_NONE) return; /* session end, not a node event */
    watch_reg *w = ud;
    w->fn(w->ctx);
}

static int cl_wget(client_t *c, const char *path, watch_reg *w) {
    zk_watcher zw = {zw_tramp, w, NULL};
    zk_buffer b = {NULL, 0};
    zk_stat st;
    zk_result r = zk_get(c, path, &zw, 0, &b, &st);
    if (r == ZK_RESULT_OK) zk_buffer_free(&b);
    return r;
}

static int cl_set(client_t *c, const char *path, const char *data, int len) {
    return zk_set(c, path, (const uint8_t *)data, (size_t)len, -1, 0, NULL);
}

static int cl_create(client_t *c, const char *path, const char *data, int len) {
    return zk_create(c, path, (const uint8_t *)data, (size_t)len, NULL, 0, 0, 0, 0, NULL, NULL);
}

static int cl_delete(client_t *c, const char *path) { return zk_delete(c, path, -1, false, 0); }

static void za_data_tramp(void *ud, zk_result rc, const uint8_t *data, size_t len,
                          const zk_stat *st) {
    (void)data, (void)len, (void)st;
    done_reg *d = ud;
    d->fn(d->ctx, rc);
}

static int cl_aget(client_t *c, const char *path, done_reg *d) {
    return zk_get_async(c, path, NULL, 0, za_data_tramp, d, NULL);
}

static int cl_awget(client_t *c, const char *path, watch_reg *w, done_reg *d) {
    zk_watcher zw = {zw_tramp, w, NULL};
    return zk_get_async(c, path, &zw, 0, za_data_tramp, d, NULL);
}

static void za_str_tramp(void *ud, zk_result rc, const char *v, const zk_stat *st) {
    (void)v, (void)st;
    done_reg *d = ud;
    d->fn(d->ctx, rc);
}

static int cl_acreate(client_t *c, const char *path, const char *data, int len, done_reg *d) {
    return zk_create_async(c, path, (const uint8_t *)data, (size_t)len, NULL, 0, 0, 0, 0,
                           za_str_tramp, d, NULL);
}

static long cl_watch_count(client_t *c) { return (long)zk_watch_count(c); }

/* the lock recipe: kazoo's layout, an exclusive lock, no identifier */
#define HAVE_LOCK 1
typedef zk_lock lock_t;

static lock_t *cl_lock_new(client_t *c, const char *path) {
    zk_lock *l = NULL;
    zk_result r = zk_lock_new(c, path, NULL, ZK_LOCK_KIND_EXCLUSIVE, ZK_LAYOUT_KAZOO, &l);
    if (r != ZK_RESULT_OK) die("lock %s: %s (%d)", path, zk_result_message(r), r);
    return l;
}

static int cl_lock_acquire(lock_t *l, int64_t timeout_ms) { return zk_lock_acquire(l, timeout_ms); }
static int cl_lock_release(lock_t *l) { return zk_lock_release(l); }
static void cl_lock_free(lock_t *l) { zk_lock_free(l); }

/* the queue recipe: zk_queue, kazoo's Queue layout */
#define HAVE_QUEUE 1

#elif defined(USE_ZOOKEEPER_MT)
#ifndef THREADED
#define THREADED /* the sync API of libzookeeper_mt */
#endif
#include <zookeeper/zookeeper.h>

#define CLIENT_NAME "cclient"
typedef struct {
    zhandle_t *zh;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int state;
} client_t;

static void cz_global(zhandle_t *zh, int type, int state, const char *path, void *ctx) {
    (void)zh, (void)path;
    client_t *c = ctx;
    if (type != ZOO_SESSION_EVENT || !c) return;
    pthread_mutex_lock(&c->mu);
    c->state = state;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

static client_t *cl_connect(const char *hosts) {
    static int once;
    if (!once) {
        once = 1;
        zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
    }
    client_t *c = calloc(1, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->zh = zookeeper_init(hosts, cz_global, 10000, NULL, c, ZOO_NO_LOG_CLIENTENV);
    if (!c->zh) die("zookeeper_init %s: errno %d", hosts, errno);
    /* the tuning the issue asks for: no host re-resolution on every pass of the I/O loop */
    int r = zoo_set_servers_resolution_delay(c->zh, -1);
    if (r != ZOK) die("zoo_set_servers_resolution_delay: %d", r);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 15;
    pthread_mutex_lock(&c->mu);
    while (c->state != ZOO_CONNECTED_STATE) {
        if (pthread_cond_timedwait(&c->cv, &c->mu, &dl) == ETIMEDOUT) break;
    }
    int st = c->state;
    pthread_mutex_unlock(&c->mu);
    if (st != ZOO_CONNECTED_STATE) die("connect %s: state %d after 15 s", hosts, st);
    return c;
}

static void cl_close(client_t *c) {
    zookeeper_close(c->zh);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c);
}

static int cl_get(client_t *c, const char *path) {
    char buf[1024];
    int len = sizeof buf;
    struct Stat st;
    return zoo_get(c->zh, path, 0, buf, &len, &st);
}

static void cw_tramp(zhandle_t *zh, int type, int state, const char *path, void *ctx) {
    (void)zh, (void)state, (void)path;
    if (type == ZOO_SESSION_EVENT) return;
    watch_reg *w = ctx;
    w->fn(w->ctx);
}

static int cl_wget(client_t *c, const char *path, watch_reg *w) {
    char buf[1024];
    int len = sizeof buf;
    struct Stat st;
    return zoo_wget(c->zh, path, cw_tramp, w, buf, &len, &st);
}

static int cl_set(client_t *c, const char *path, const char *data, int len) {
    return zoo_set(c->zh, path, data, len, -1);
}

static int cl_create(client_t *c, const char *path, const char *data, int len) {
    char pb[512];
    return zoo_create(c->zh, path, data, len, &ZOO_OPEN_ACL_UNSAFE, 0, pb, sizeof pb);
}

static int cl_delete(client_t *c, const char *path) { return zoo_delete(c->zh, path, -1); }

static void ca_data_tramp(int rc, const char *v, int len, const struct Stat *st,
                          const void *data) {
    (void)v, (void)len, (void)st;
    const done_reg *d = data;
    d->fn(d->ctx, rc);
}

static int cl_aget(client_t *c, const char *path, done_reg *d) {
    return zoo_aget(c->zh, path, 0, ca_data_tramp, d);
}

static int cl_awget(client_t *c, const char *path, watch_reg *w, done_reg *d) {
    return zoo_awget(c->zh, path, cw_tramp, w, ca_data_tramp, d);
}

static void ca_str_tramp(int rc, const char *v, const void *data) {
    (void)v;
    const done_reg *d = data;
    d->fn(d->ctx, rc);
}

static int cl_acreate(client_t *c, const char *path, const char *data, int len, done_reg *d) {
    return zoo_acreate(c->zh, path, data, len, &ZOO_OPEN_ACL_UNSAFE, 0, ca_str_tramp, d);
}

static long cl_watch_count(client_t *c) {
    (void)c;
    return -1;
}

#define HAVE_LOCK 0 /* the official C client has no lock recipe */

#else
#error "define USE_ZKCLIENT or USE_ZOOKEEPER_MT"
#endif

/* result codes shared by both libraries (ZooKeeper's numbers) */
#define RC_OK 0
#define RC_NONODE (-101)
#define RC_NODEEXISTS (-110)

/* ---------------------------------------------------------------- parameters */

static const char *p_hosts;
static const char *p_root = "/bench";
static double p_seconds = 2.0;
/* lat_out=FILE: the sync workloads write every measured latency (ns, sorted, one a line)
 * there, for bench/latency_hist.py */
static const char *p_lat_out;
static long p_warmup = 500;
static long p_inflight = 16;
static long p_threads = 1;
static long p_clients = 50;
static long p_watches = 10000;
static long p_ops = 2000;

static char path_data[256], path_w[256], path_wl[256], path_cd[256];
static char payload[100];

static void check(int rc, const char *what, const char *path) {
    if (rc != RC_OK) die("%s %s: rc %d", what, path ? path : "", rc);
}

static void create_ok_if_exists(client_t *c, const char *path, const char *data, int len) {
    int rc = cl_create(c, path, data, len);
    if (rc != RC_OK && rc != RC_NODEEXISTS) die("create %s: rc %d", path, rc);
}

static void watch_node(char *out, size_t n, long i) {
    snprintf(out, n, "%s/n%06ld", path_w, i);
}

/* ---------------------------------------------------------------- windowed async runner */

/* Runs `total` async calls with at most `window` in flight; kind 0 = create watch nodes,
 * 1 = get, 2 = get with a watch. Completions issue the next call. */
typedef struct {
    client_t *c;
    int kind;
    long total;
    atomic_long next, done;
    atomic_int err;
    sem_t fin;
    done_reg reg;
    watch_reg *wreg;
} window_run;

static void win_issue(window_run *w);

static void win_done(void *ctx, int rc) {
    window_run *w = ctx;
    if (rc != RC_OK && !(w->kind == 0 && rc == RC_NODEEXISTS)) atomic_store(&w->err, rc);
    win_issue(w);
    if (atomic_fetch_add(&w->done, 1) + 1 == w->total) sem_post(&w->fin);
}

static void win_issue(window_run *w) {
    long i = atomic_fetch_add(&w->next, 1);
    if (i >= w->total) return;
    char p[512];
    watch_node(p, sizeof p, i);
    int rc;
    if (w->kind == 0)
        rc = cl_acreate(w->c, p, "", 0, &w->reg);
    else if (w->kind == 1)
        rc = cl_aget(w->c, p, &w->reg);
    else
        rc = cl_awget(w->c, p, w->wreg, &w->reg);
    if (rc != RC_OK) die("async call on %s returned rc %d", p, rc);
}

static void window_exec(client_t *c, int kind, long total, long window, watch_reg *wreg) {
    window_run *w = calloc(1, sizeof *w);
    w->c = c;
    w->kind = kind;
    w->total = total;
    w->reg.fn = win_done;
    w->reg.ctx = w;
    w->wreg = wreg;
    sem_init(&w->fin, 0, 0);
    if (total > 0) {
        for (long i = 0; i < window && i < total; i++) win_issue(w);
        if (sem_wait_s(&w->fin, 120) != 0) die("async batch timed out (%ld of %ld done)",
                                                atomic_load(&w->done), total);
    }
    if (atomic_load(&w->err)) die("async batch: rc %d", atomic_load(&w->err));
    /* w is leaked on purpose: a late callback must never touch freed memory */
}

/* ---------------------------------------------------------------- workloads */

static void wl_setup(void) {
    client_t *c = cl_connect(p_hosts);
    create_ok_if_exists(c, p_root, "", 0);
    create_ok_if_exists(c, path_data, payload, sizeof payload);
    check(cl_set(c, path_data, payload, sizeof payload), "set", path_data);
    create_ok_if_exists(c, path_w, "", 0);
    create_ok_if_exists(c, path_wl, "", 0);
    create_ok_if_exists(c, path_cd, "", 0);
    window_exec(c, 0, p_watches, 64, NULL);
    cl_close(c);
    res_add("watch_nodes=%ld", p_watches);
    res_print("setup");
}

/* sync latency: kind 0 get, 1 set, 2 create+delete */
static void write_lats(const int64_t *v, size_t n) {
    if (!p_lat_out) return;
    FILE *f = fopen(p_lat_out, "w");
    if (!f) die("cannot write %s", p_lat_out);
    for (size_t i = 0; i < n; i++) fprintf(f, "%lld\n", (long long)v[i]);
    fclose(f);
}

static void wl_sync(int kind) {
    client_t *c = cl_connect(p_hosts);
    char path[512];
    if (kind == 1) {
        snprintf(path, sizeof path, "%s/set-%s-%d", p_root, g_client, (int)getpid());
        create_ok_if_exists(c, path, payload, sizeof payload);
    } else if (kind == 2) {
        snprintf(path, sizeof path, "%s/%s-%d", path_cd, g_client, (int)getpid());
    } else {
        snprintf(path, sizeof path, "%s", path_data);
    }
    samples s = {0};
    long ops = 0;
    double cpu0 = 0;
    int64_t t0 = 0, end = 0;
    for (long i = 0;; i++) {
        if (i == p_warmup) {
            t0 = now_ns();
            end = t0 + (int64_t)(p_seconds * 1e9);
            cpu0 = cpu_us();
        }
        int64_t a = now_ns();
        if (i >= p_warmup && a >= end) break;
        if (kind == 0) {
            check(cl_get(c, path), "get", path);
        } else if (kind == 1) {
            check(cl_set(c, path, payload, sizeof payload), "set", path);
        } else {
            check(cl_create(c, path, payload, sizeof payload), "create", path);
            check(cl_delete(c, path), "delete", path);
        }
        if (i >= p_warmup) {
            samples_add(&s, now_ns() - a);
            ops++;
        }
    }
    double cpu = cpu_us() - cpu0;
    double secs = (now_ns() - t0) / 1e9;
    if (kind == 1) check(cl_delete(c, path), "delete", path);
    cl_close(c);
    qsort(s.v, s.n, sizeof *s.v, cmp_i64);
    write_lats(s.v, s.n);
    res_add("ops=%ld seconds=%.3f ops_s=%.1f p50_us=%.1f p99_us=%.1f p999_us=%.1f cpu_us_per_op=%.2f",
            ops, secs, ops / secs, pct_us(&s, 0.5), pct_us(&s, 0.99), pct_us(&s, 0.999),
            cpu / (ops ? ops : 1));
    res_print(kind == 0 ? "sync_get" : kind == 1 ? "sync_set" : "create_delete");
}

/* peak RSS of a process with one client: connect, `p_ops` gets, close. A fixed count and no
 * latency samples, so the figure is the client's and the same work for every client. */
static void wl_rss(void) {
    client_t *c = cl_connect(p_hosts);
    for (long i = 0; i < p_ops; i++) check(cl_get(c, path_data), "get", path_data);
    cl_close(c);
    res_add("ops=%ld", p_ops);
    res_print("rss");
}

/* async gets, `p_inflight` kept in flight by the completions */
typedef struct {
    client_t *c;
    atomic_long count;
    atomic_long outstanding;
    atomic_int stop;
    atomic_int err;
    sem_t drained;
    done_reg reg;
} async_run;

static void async_done(void *ctx, int rc) {
    async_run *a = ctx;
    if (rc != RC_OK) atomic_store(&a->err, rc);
    atomic_fetch_add_explicit(&a->count, 1, memory_order_relaxed);
    if (!atomic_load_explicit(&a->stop, memory_order_relaxed) && rc == RC_OK) {
        int r = cl_aget(a->c, path_data, &a->reg);
        if (r == RC_OK) return;
        atomic_store(&a->err, r);
    }
    if (atomic_fetch_sub(&a->outstanding, 1) == 1) sem_post(&a->drained);
}

static void wl_async(void) {
    client_t *c = cl_connect(p_hosts);
    async_run *a = calloc(1, sizeof *a);
    a->c = c;
    a->reg.fn = async_done;
    a->reg.ctx = a;
    sem_init(&a->drained, 0, 0);
    atomic_store(&a->outstanding, p_inflight);
    for (long i = 0; i < p_inflight; i++) {
        int r = cl_aget(c, path_data, &a->reg);
        if (r != RC_OK) die("async get: rc %d", r);
    }
    /* warm up: until `warmup` ops are done or 1 s has passed */
    int64_t wend = now_ns() + 1000000000;
    while (atomic_load(&a->count) < p_warmup && now_ns() < wend && !atomic_load(&a->err))
        sleep_s(0.005);
    long c0 = atomic_load(&a->count);
    double cpu0 = cpu_us();
    int64_t t0 = now_ns();
    sleep_s(p_seconds);
    /* A window so short (the smoke run's 0.1 s) that a server pause covers it is extended
     * until a completion comes, for at most 10 s: ops/s stays what was measured. */
    for (int64_t lim = now_ns() + 10000000000LL;
         atomic_load(&a->count) == c0 && now_ns() < lim && !atomic_load(&a->err);)
        sleep_s(0.005);
    long c1 = atomic_load(&a->count);
    double cpu1 = cpu_us();
    int64_t t1 = now_ns();
    atomic_store(&a->stop, 1);
    if (sem_wait_s(&a->drained, 60) != 0) die("async gets did not drain");
    if (atomic_load(&a->err)) die("async get: rc %d", atomic_load(&a->err));
    cl_close(c);
    long ops = c1 - c0;
    double secs = (t1 - t0) / 1e9;
    if (ops <= 0) die("no async get completed in the measured window");
    res_add("inflight=%ld ops=%ld seconds=%.3f ops_s=%.1f cpu_us_per_op=%.2f", p_inflight, ops,
            secs, ops / secs, (cpu1 - cpu0) / ops);
    char name[64];
    snprintf(name, sizeof name, "async_get_%ld", p_inflight);
    res_print(name);
}

/* sync gets from `p_threads` threads sharing one client */
typedef struct {
    _Alignas(64) atomic_long n;
    client_t *c;
    pthread_t th;
} worker;
static atomic_int g_stop;

static void *worker_main(void *arg) {
    worker *w = arg;
    while (!atomic_load_explicit(&g_stop, memory_order_relaxed)) {
        check(cl_get(w->c, path_data), "get", path_data);
        atomic_fetch_add_explicit(&w->n, 1, memory_order_relaxed);
    }
    return NULL;
}

static long workers_count(worker *ws, long n) {
    long s = 0;
    for (long i = 0; i < n; i++) s += atomic_load_explicit(&ws[i].n, memory_order_relaxed);
    return s;
}

static void wl_threads(void) {
    client_t *c = cl_connect(p_hosts);
    worker *ws = aligned_alloc(64, sizeof(worker) * (size_t)p_threads);
    memset(ws, 0, sizeof(worker) * (size_t)p_threads);
    for (long i = 0; i < p_threads; i++) {
        ws[i].c = c;
        if (pthread_create(&ws[i].th, NULL, worker_main, &ws[i])) die("pthread_create");
    }
    int64_t wend = now_ns() + 1000000000;
    while (workers_count(ws, p_threads) < p_warmup && now_ns() < wend) sleep_s(0.005);
    long c0 = workers_count(ws, p_threads);
    double cpu0 = cpu_us();
    int64_t t0 = now_ns();
    sleep_s(p_seconds);
    long c1 = workers_count(ws, p_threads);
    double cpu1 = cpu_us();
    int64_t t1 = now_ns();
    atomic_store(&g_stop, 1);
    for (long i = 0; i < p_threads; i++) pthread_join(ws[i].th, NULL);
    cl_close(c);
    long ops = c1 - c0;
    double secs = (t1 - t0) / 1e9;
    if (ops <= 0) die("no get completed in the measured window");
    res_add("threads=%ld ops=%ld seconds=%.3f ops_s=%.1f cpu_us_per_op=%.2f", p_threads, ops,
            secs, ops / secs, (cpu1 - cpu0) / ops);
    char name[64];
    snprintf(name, sizeof name, "threads_%ld", p_threads);
    res_print(name);
}

/* RSS per extra idle client: (RSS with K clients - RSS with 1) / (K - 1) */
static void wl_idle(void) {
    if (p_clients < 2) die("clients must be >= 2");
    client_t **cs = calloc((size_t)p_clients, sizeof *cs);
    cs[0] = cl_connect(p_hosts);
    check(cl_get(cs[0], path_data), "get", path_data);
    sleep_s(0.2);
    long r1 = vmrss_kb();
    for (long i = 1; i < p_clients; i++) {
        cs[i] = cl_connect(p_hosts);
        check(cl_get(cs[i], path_data), "get", path_data);
    }
    sleep_s(0.2);
    long rk = vmrss_kb();
    for (long i = 0; i < p_clients; i++) cl_close(cs[i]);
    res_add("clients=%ld rss1_kb=%ld rssk_kb=%ld rss_per_client_kb=%.1f", p_clients, r1, rk,
            (double)(rk - r1) / (double)(p_clients - 1));
    res_print("idle_clients");
}

/* memory for `p_watches` data watches: RSS after a pass of gets with watches minus after
 * an identical pass without */
static atomic_long g_fired;
static void count_fire(void *ctx) {
    (void)ctx;
    atomic_fetch_add(&g_fired, 1);
}

static void wl_watches(void) {
    client_t *c = cl_connect(p_hosts);
    watch_reg w = {count_fire, NULL};
    window_exec(c, 1, p_watches, 64, NULL);
    window_exec(c, 1, p_watches, 64, NULL);
    sleep_s(0.2);
    long r0 = vmrss_kb();
    long wc0 = cl_watch_count(c);
    double cpu0 = cpu_us();
    window_exec(c, 2, p_watches, 64, &w);
    double cpu = cpu_us() - cpu0;
    sleep_s(0.2);
    long r1 = vmrss_kb();
    long wc1 = cl_watch_count(c);
    cl_close(c);
    res_add("watches=%ld rss0_kb=%ld rss1_kb=%ld watch_mem_kb=%ld bytes_per_watch=%.1f "
            "cpu_us_per_op=%.2f",
            p_watches, r0, r1, r1 - r0, (double)(r1 - r0) * 1024.0 / (double)p_watches,
            cpu / (double)p_watches);
    if (wc1 >= 0) res_add("watch_count=%ld", wc1 - wc0);
    if (wc1 >= 0 && wc1 - wc0 != p_watches)
        fprintf(stderr, "zkbench: warning: watch count grew by %ld, expected %ld\n", wc1 - wc0,
                p_watches);
    res_print("watches");
}

/* watch delivery: client A watches, client B sets; time from just before B's set to A's
 * callback */
typedef struct {
    sem_t fired;
    _Atomic int64_t t;
} fire_rec;
static void rec_fire(void *ctx) {
    fire_rec *f = ctx;
    atomic_store(&f->t, now_ns());
    sem_post(&f->fired);
}

static void wl_watch_latency(void) {
    client_t *a = cl_connect(p_hosts);
    client_t *b = cl_connect(p_hosts);
    char path[512];
    snprintf(path, sizeof path, "%s/%s-%d", path_wl, g_client, (int)getpid());
    create_ok_if_exists(a, path, payload, sizeof payload);
    fire_rec *f = calloc(1, sizeof *f);
    sem_init(&f->fired, 0, 0);
    watch_reg w = {rec_fire, f};
    samples s = {0};
    long warm = p_warmup / 10 > 20 ? p_warmup / 10 : 20;
    int64_t end = 0;
    for (long i = 0;; i++) {
        if (i == warm) end = now_ns() + (int64_t)(p_seconds * 1e9);
        if (i > warm && now_ns() >= end) break;
        check(cl_wget(a, path, &w), "get+watch", path);
        int64_t t = now_ns();
        check(cl_set(b, path, payload, sizeof payload), "set", path);
        if (sem_wait_s(&f->fired, 10) != 0) die("watch on %s did not fire within 10 s", path);
        if (i >= warm) samples_add(&s, atomic_load(&f->t) - t);
    }
    check(cl_delete(b, path), "delete", path);
    cl_close(b);
    cl_close(a);
    qsort(s.v, s.n, sizeof *s.v, cmp_i64);
    res_add("ops=%zu p50_us=%.1f p99_us=%.1f", s.n, pct_us(&s, 0.5), pct_us(&s, 0.99));
    res_print("watch_latency");
}

/* ---------------------------------------------------------------- the lock recipe */

#if HAVE_LOCK
/* the lock's node, /bench/locks/CLIENT-PID-WORKLOAD: the recipe makes it on first use, the
 * workload deletes it at the end */
static void lock_path(char *out, size_t n, const char *wl) {
    snprintf(out, n, "%s/locks/%s-%d-%s", p_root, g_client, (int)getpid(), wl);
}

/* acquire + release with nobody else there, one client */
static void wl_lock_uncontended(void) {
    client_t *c = cl_connect(p_hosts);
    char path[512];
    lock_path(path, sizeof path, "lock_uncontended");
    lock_t *l = cl_lock_new(c, path);
    samples s = {0}, acq = {0}, rel = {0};
    double cpu0 = 0;
    int64_t t0 = 0, end = 0;
    for (long i = 0;; i++) {
        if (i == p_warmup) {
            t0 = now_ns();
            end = t0 + (int64_t)(p_seconds * 1e9);
            cpu0 = cpu_us();
        }
        int64_t a = now_ns();
        if (i >= p_warmup && a >= end) break;
        check(cl_lock_acquire(l, 10000), "acquire", path);
        int64_t b = now_ns();
        check(cl_lock_release(l), "release", path);
        if (i >= p_warmup) {
            int64_t e = now_ns();
            samples_add(&s, e - a);
            samples_add(&acq, b - a);
            samples_add(&rel, e - b);
        }
    }
    double cpu = cpu_us() - cpu0;
    double secs = (now_ns() - t0) / 1e9;
    cl_lock_free(l);
    check(cl_delete(c, path), "delete", path);
    cl_close(c);
    qsort(s.v, s.n, sizeof *s.v, cmp_i64);
    qsort(acq.v, acq.n, sizeof *acq.v, cmp_i64);
    qsort(rel.v, rel.n, sizeof *rel.v, cmp_i64);
    res_add("ops=%zu seconds=%.3f ops_s=%.1f p50_us=%.1f p99_us=%.1f acquire_p50_us=%.1f "
            "release_p50_us=%.1f cpu_us_per_op=%.2f",
            s.n, secs, s.n / secs, pct_us(&s, 0.5), pct_us(&s, 0.99), pct_us(&acq, 0.5),
            pct_us(&rel, 0.5), cpu / (double)(s.n ? s.n : 1));
    res_print("lock_uncontended");
}

/* the waiter of the hand-off: its own client; acquires when told to, notes when it holds
 * the lock, releases it */
typedef struct {
    client_t *c;
    lock_t *l;
    const char *path;
    sem_t go, held;
    _Atomic int64_t t;
    atomic_int stop;
    pthread_t th;
} handoff_waiter;

static void *handoff_waiter_main(void *arg) {
    handoff_waiter *w = arg;
    for (;;) {
        if (sem_wait_s(&w->go, 60) != 0) die("hand-off: no word from the holder in 60 s");
        if (atomic_load(&w->stop)) return NULL;
        check(cl_lock_acquire(w->l, 10000), "acquire", w->path);
        atomic_store(&w->t, now_ns());
        check(cl_lock_release(w->l), "release", w->path);
        sem_post(&w->held);
    }
}

/* Two clients (threads of this process, a session each) on one lock. The holder waits
 * until the waiter's watch on the holder's node is set (the waiter's client counts it once
 * the server has answered the get that sets it), then releases: from just before the
 * release to the waiter's acquire returning. */
static void wl_lock_handoff(void) {
    client_t *a = cl_connect(p_hosts);
    char path[512];
    lock_path(path, sizeof path, "lock_handoff");
    lock_t *la = cl_lock_new(a, path);
    handoff_waiter *w = calloc(1, sizeof *w);
    w->c = cl_connect(p_hosts);
    w->l = cl_lock_new(w->c, path);
    w->path = path;
    sem_init(&w->go, 0, 0);
    sem_init(&w->held, 0, 0);
    if (pthread_create(&w->th, NULL, handoff_waiter_main, w)) die("pthread_create");
    samples s = {0};
    long warm = p_warmup / 10 > 20 ? p_warmup / 10 : 20;
    int64_t end = 0;
    for (long i = 0;; i++) {
        if (i == warm) end = now_ns() + (int64_t)(p_seconds * 1e9);
        if (i > warm && now_ns() >= end) break;
        check(cl_lock_acquire(la, 10000), "acquire", path);
        sem_post(&w->go);
        int64_t give_up = now_ns() + 10000000000;
        while (cl_watch_count(w->c) < 1) {
            if (now_ns() > give_up) die("hand-off: the waiter set no watch within 10 s");
            sleep_s(20e-6);
        }
        int64_t t0 = now_ns();
        check(cl_lock_release(la), "release", path);
        if (sem_wait_s(&w->held, 10) != 0) die("hand-off: the waiter did not hold it in 10 s");
        if (i >= warm) samples_add(&s, atomic_load(&w->t) - t0);
    }
    atomic_store(&w->stop, 1);
    sem_post(&w->go);
    pthread_join(w->th, NULL);
    cl_lock_free(w->l);
    cl_close(w->c);
    cl_lock_free(la);
    check(cl_delete(a, path), "delete", path);
    cl_close(a);
    qsort(s.v, s.n, sizeof *s.v, cmp_i64);
    res_add("ops=%zu p50_us=%.1f p99_us=%.1f", s.n, pct_us(&s, 0.5), pct_us(&s, 0.99));
    res_print("lock_handoff");
}

/* a contender: its own client and lock, acquire and release in a loop until g_stop */
typedef struct {
    _Alignas(64) atomic_long n;
    client_t *c;
    lock_t *l;
    const char *path;
    pthread_t th;
} contender;

static void *contender_main(void *arg) {
    contender *k = arg;
    while (!atomic_load_explicit(&g_stop, memory_order_relaxed)) {
        check(cl_lock_acquire(k->l, 30000), "acquire", k->path);
        atomic_fetch_add_explicit(&k->n, 1, memory_order_relaxed);
        check(cl_lock_release(k->l), "release", k->path);
    }
    return NULL;
}

static long contenders_count(contender *ks, long n) {
    long s = 0;
    for (long i = 0; i < n; i++) s += atomic_load_explicit(&ks[i].n, memory_order_relaxed);
    return s;
}

/* `p_clients` contenders (threads, a client each) on one lock: acquisitions per second */
static void wl_lock_contended(void) {
    long nk = p_clients;
    if (nk < 2) die("clients must be >= 2");
    char path[512];
    lock_path(path, sizeof path, "lock_contended");
    contender *ks = aligned_alloc(64, sizeof(contender) * (size_t)nk);
    memset(ks, 0, sizeof(contender) * (size_t)nk);
    for (long i = 0; i < nk; i++) {
        ks[i].c = cl_connect(p_hosts);
        ks[i].l = cl_lock_new(ks[i].c, path);
        ks[i].path = path;
    }
    for (long i = 0; i < nk; i++)
        if (pthread_create(&ks[i].th, NULL, contender_main, &ks[i])) die("pthread_create");
    int64_t wend = now_ns() + 1000000000;
    while (contenders_count(ks, nk) < p_warmup && now_ns() < wend) sleep_s(0.005);
    long *n0 = calloc((size_t)nk, sizeof *n0);
    for (long i = 0; i < nk; i++) n0[i] = atomic_load(&ks[i].n);
    double cpu0 = cpu_us();
    int64_t t0 = now_ns();
    sleep_s(p_seconds);
    long c1 = 0, lo = -1, hi = 0;
    for (long i = 0; i < nk; i++) {
        long d = atomic_load(&ks[i].n) - n0[i];
        c1 += d;
        if (lo < 0 || d < lo) lo = d;
        if (d > hi) hi = d;
    }
    double cpu1 = cpu_us();
    int64_t t1 = now_ns();
    atomic_store(&g_stop, 1);
    for (long i = 0; i < nk; i++) pthread_join(ks[i].th, NULL);
    for (long i = 0; i < nk; i++) cl_lock_free(ks[i].l);
    check(cl_delete(ks[0].c, path), "delete", path);
    for (long i = 0; i < nk; i++) cl_close(ks[i].c);
    double secs = (t1 - t0) / 1e9;
    if (c1 <= 0) die("no acquisition in the measured window");
    res_add("clients=%ld ops=%ld seconds=%.3f ops_s=%.1f min_per_client=%ld max_per_client=%ld "
            "cpu_us_per_op=%.2f",
            nk, c1, secs, c1 / secs, lo, hi, (cpu1 - cpu0) / c1);
    res_print("lock_contended");
}

/* DataWatch delivery: the recipe (zk_data_watch) watches on client A, client B sets; time
 * from just before B's set to the recipe's callback with the new data (the recipe re-reads
 * the node and re-arms its watch in between, as kazoo's DataWatch does) */
typedef struct {
    sem_t seen;
    _Atomic int64_t t;
} dw_rec;
static bool dw_seen(void *ud, const uint8_t *data, size_t len, const zk_stat *stat,
                    zk_event_type ev) {
    dw_rec *r = ud;
    (void)data, (void)len, (void)stat, (void)ev;
    atomic_store(&r->t, now_ns());
    sem_post(&r->seen);
    return true;
}

static void wl_datawatch_latency(void) {
    client_t *a = cl_connect(p_hosts);
    client_t *b = cl_connect(p_hosts);
    char path[512];
    snprintf(path, sizeof path, "%s/%s-dw-%d", path_wl, g_client, (int)getpid());
    create_ok_if_exists(a, path, payload, sizeof payload);
    dw_rec *r = calloc(1, sizeof *r);
    sem_init(&r->seen, 0, 0);
    zk_data_watch *w = NULL;
    check(zk_data_watch_new(a, path, dw_seen, r, NULL, &w), "data watch", path);
    if (sem_wait_s(&r->seen, 10) != 0) die("data watch on %s: no first value in 10 s", path);
    samples s = {0};
    long warm = p_warmup / 10 > 20 ? p_warmup / 10 : 20;
    int64_t end = 0;
    for (long i = 0;; i++) {
        if (i == warm) end = now_ns() + (int64_t)(p_seconds * 1e9);
        if (i > warm && now_ns() >= end) break;
        int64_t t = now_ns();
        check(cl_set(b, path, payload, sizeof payload), "set", path);
        if (sem_wait_s(&r->seen, 10) != 0) die("data watch on %s: no value within 10 s", path);
        if (i >= warm) samples_add(&s, atomic_load(&r->t) - t);
    }
    zk_data_watch_free(w);
    check(cl_delete(b, path), "delete", path);
    cl_close(b);
    cl_close(a);
    qsort(s.v, s.n, sizeof *s.v, cmp_i64);
    res_add("ops=%zu p50_us=%.1f p99_us=%.1f", s.n, pct_us(&s, 0.5), pct_us(&s, 0.99));
    res_print("datawatch_latency");
}
#else
static void no_lock(void) { die("the official C client has no lock recipe"); }
#define wl_lock_uncontended no_lock
#define wl_lock_handoff no_lock
#define wl_lock_contended no_lock
#define wl_datawatch_latency no_lock
#endif

/* ---------------------------------------------------------------- the queue recipe */

#if HAVE_QUEUE
/* put + get of a 100-byte value on a Queue nobody else uses, one client: the round trip of
 * an entry through the queue (put = create; get = getChildren + getData + delete) */
static void wl_queue_roundtrip(void) {
    client_t *c = cl_connect(p_hosts);
    char path[512];
    snprintf(path, sizeof path, "%s/queues/%s-%d-queue_roundtrip", p_root, g_client, (int)getpid());
    zk_queue *q = NULL;
    zk_result r = zk_queue_new(c, path, &q);
    if (r != ZK_RESULT_OK) die("queue %s: %s (%d)", path, zk_result_message(r), r);
    samples s = {0}, put = {0}, get = {0};
    double cpu0 = 0;
    int64_t t0 = 0, end = 0;
    for (long i = 0;; i++) {
        if (i == p_warmup) {
            t0 = now_ns();
            end = t0 + (int64_t)(p_seconds * 1e9);
            cpu0 = cpu_us();
        }
        int64_t a = now_ns();
        if (i >= p_warmup && a >= end) break;
        check(zk_queue_put(q, (const uint8_t *)payload, 100, 100, 0, NULL), "put", path);
        int64_t b = now_ns();
        struct zk_buffer data = {0};
        bool found = false;
        check(zk_queue_get(q, 0, &data, &found), "get", path);
        if (!found || data.len != 100) die("get %s: no entry or a wrong one", path);
        zk_buffer_free(&data);
        if (i >= p_warmup) {
            int64_t e = now_ns();
            samples_add(&s, e - a);
            samples_add(&put, b - a);
            samples_add(&get, e - b);
        }
    }
    double cpu = cpu_us() - cpu0;
    double secs = (now_ns() - t0) / 1e9;
    zk_queue_free(q);
    check(cl_delete(c, path), "delete", path);
    cl_close(c);
    qsort(s.v, s.n, sizeof *s.v, cmp_i64);
    qsort(put.v, put.n, sizeof *put.v, cmp_i64);
    qsort(get.v, get.n, sizeof *get.v, cmp_i64);
    res_add("ops=%zu seconds=%.3f ops_s=%.1f p50_us=%.1f p99_us=%.1f put_p50_us=%.1f "
            "get_p50_us=%.1f cpu_us_per_op=%.2f",
            s.n, secs, s.n / secs, pct_us(&s, 0.5), pct_us(&s, 0.99), pct_us(&put, 0.5),
            pct_us(&get, 0.5), cpu / (double)(s.n ? s.n : 1));
    res_print("queue_roundtrip");
}
#else
static void wl_queue_roundtrip(void) { die("the official C client has no queue recipe"); }
#endif

/* ---------------------------------------------------------------- the tree cache */

#if defined(USE_ZKCLIENT)
/* What the cache's event callback saw: INITIALIZED, and the time of the last update. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    long initialized;
    long updates;
    int64_t last_ns;
} tree_rec;

static void tree_cb(void *ud, const zk_tree_event *e) {
    tree_rec *r = ud;
    int64_t t = now_ns();
    pthread_mutex_lock(&r->mu);
    if (e->kind == ZK_TREE_EVENT_KIND_INITIALIZED) r->initialized = 1;
    if (e->kind == ZK_TREE_EVENT_KIND_NODE_UPDATED) {
        r->updates++;
        r->last_ns = t;
    }
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* Waits until *field (under r->mu) differs from `from`, at most `secs`; 0 if it did. */
static int tree_wait(tree_rec *r, const long *field, long from, double secs) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)secs;
    int rc = 0;
    pthread_mutex_lock(&r->mu);
    while (*field == from && rc == 0) rc = pthread_cond_timedwait(&r->cv, &r->mu, &ts);
    int changed = *field != from;
    pthread_mutex_unlock(&r->mu);
    return changed ? 0 : -1;
}

static zk_tree_cache *tree_start(client_t *c, const char *path, tree_rec *r) {
    zk_tree_cache *t = NULL;
    zk_result rc = zk_tree_cache_new(c, path, false, tree_cb, r, NULL, &t);
    if (rc != ZK_RESULT_OK) die("tree cache %s: %s (%d)", path, zk_result_message(rc), rc);
    rc = zk_tree_cache_start(t);
    if (rc != ZK_RESULT_OK) die("tree cache start: %s (%d)", zk_result_message(rc), rc);
    return t;
}

/* time to load a cache of /bench/w (the `watches` nodes setup made, and their parent),
 * and the memory it holds per node (VmRSS before and after) */
static void wl_tree_cache_init(void) {
    client_t *c = cl_connect(p_hosts);
    tree_rec r = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};
    sleep_s(0.2);
    long r0 = vmrss_kb();
    double cpu0 = cpu_us();
    int64_t t0 = now_ns();
    zk_tree_cache *t = tree_start(c, path_w, &r);
    if (tree_wait(&r, &r.initialized, 0, 120) != 0) die("no INITIALIZED within 120 s");
    int64_t t1 = now_ns();
    double cpu = cpu_us() - cpu0;
    sleep_s(0.2);
    long r1 = vmrss_kb();
    size_t n = zk_tree_cache_len(t);
    zk_tree_cache_free(t);
    cl_close(c);
    res_add("nodes=%zu init_ms=%.1f cpu_ms=%.1f rss0_kb=%ld rss1_kb=%ld bytes_per_node=%.0f", n,
            (t1 - t0) / 1e6, cpu / 1000.0, r0, r1, n ? (r1 - r0) * 1024.0 / (double)n : 0.0);
    res_print("tree_cache_init");
}

/* a change (a set from another client) to the cache's NODE_UPDATED event */
static void wl_tree_cache_latency(void) {
    client_t *a = cl_connect(p_hosts);
    client_t *b = cl_connect(p_hosts);
    char dir[512], node[600];
    snprintf(dir, sizeof dir, "%s/tc-%s-%d", path_wl, g_client, (int)getpid());
    snprintf(node, sizeof node, "%s/node", dir);
    create_ok_if_exists(a, dir, "", 0);
    create_ok_if_exists(a, node, payload, sizeof payload);
    tree_rec r = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0};
    zk_tree_cache *t = tree_start(a, dir, &r);
    if (tree_wait(&r, &r.initialized, 0, 10) != 0) die("no INITIALIZED within 10 s");
    samples s = {0};
    long warm = p_warmup / 10 > 20 ? p_warmup / 10 : 20;
    int64_t end = 0;
    for (long i = 0;; i++) {
        if (i == warm) end = now_ns() + (int64_t)(p_seconds * 1e9);
        if (i > warm && now_ns() >= end) break;
        pthread_mutex_lock(&r.mu);
        long before = r.updates;
        pthread_mutex_unlock(&r.mu);
        int64_t t0 = now_ns();
        check(cl_set(b, node, payload, sizeof payload), "set", node);
        if (tree_wait(&r, &r.updates, before, 10) != 0) die("no NODE_UPDATED within 10 s");
        pthread_mutex_lock(&r.mu);
        int64_t at = r.last_ns;
        pthread_mutex_unlock(&r.mu);
        if (i >= warm) samples_add(&s, at - t0);
    }
    zk_tree_cache_free(t);
    check(cl_delete(b, node), "delete", node);
    check(cl_delete(b, dir), "delete", dir);
    cl_close(b);
    cl_close(a);
    qsort(s.v, s.n, sizeof *s.v, cmp_i64);
    res_add("ops=%zu p50_us=%.1f p99_us=%.1f", s.n, pct_us(&s, 0.5), pct_us(&s, 0.99));
    res_print("tree_cache_latency");
}
#else
static void no_tree(void) { die("the official C client has no tree cache"); }
#define wl_tree_cache_init no_tree
#define wl_tree_cache_latency no_tree
#endif

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s WORKLOAD hosts=H [key=value...]\n", argv[0]);
        return 2;
    }
    snprintf(g_client, sizeof g_client, "%s", CLIENT_NAME);
    const char *wl = argv[1];
    for (int i = 2; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) die("bad argument %s", argv[i]);
        *eq = 0;
        const char *k = argv[i], *v = eq + 1;
        if (!strcmp(k, "hosts")) p_hosts = v;
        else if (!strcmp(k, "root")) p_root = v;
        else if (!strcmp(k, "seconds")) p_seconds = atof(v);
        else if (!strcmp(k, "lat_out")) p_lat_out = v;
        else if (!strcmp(k, "warmup")) p_warmup = atol(v);
        else if (!strcmp(k, "inflight")) p_inflight = atol(v);
        else if (!strcmp(k, "threads")) p_threads = atol(v);
        else if (!strcmp(k, "clients")) p_clients = atol(v);
        else if (!strcmp(k, "watches")) p_watches = atol(v);
        else if (!strcmp(k, "ops")) p_ops = atol(v);
        else if (!strcmp(k, "client")) snprintf(g_client, sizeof g_client, "%s", v);
        else die("unknown parameter %s", k);
    }
    if (!p_hosts) p_hosts = getenv("ZK_HOSTS");
    if (!p_hosts) die("no hosts (hosts=... or ZK_HOSTS)");
    snprintf(path_data, sizeof path_data, "%s/data", p_root);
    snprintf(path_w, sizeof path_w, "%s/w", p_root);
    snprintf(path_wl, sizeof path_wl, "%s/wl", p_root);
    snprintf(path_cd, sizeof path_cd, "%s/cd", p_root);
    memset(payload, 'x', sizeof payload);

    if (!strcmp(wl, "setup")) wl_setup();
    else if (!strcmp(wl, "sync_get")) wl_sync(0);
    else if (!strcmp(wl, "sync_set")) wl_sync(1);
    else if (!strcmp(wl, "create_delete")) wl_sync(2);
    else if (!strcmp(wl, "rss")) wl_rss();
    else if (!strcmp(wl, "async_get")) wl_async();
    else if (!strcmp(wl, "threads")) wl_threads();
    else if (!strcmp(wl, "idle_clients")) wl_idle();
    else if (!strcmp(wl, "watches")) wl_watches();
    else if (!strcmp(wl, "watch_latency")) wl_watch_latency();
    else if (!strcmp(wl, "lock_uncontended")) wl_lock_uncontended();
    else if (!strcmp(wl, "lock_handoff")) wl_lock_handoff();
    else if (!strcmp(wl, "lock_contended")) wl_lock_contended();
    else if (!strcmp(wl, "queue_roundtrip")) wl_queue_roundtrip();
    else if (!strcmp(wl, "datawatch_latency")) wl_datawatch_latency();
    else if (!strcmp(wl, "tree_cache_init")) wl_tree_cache_init();
    else if (!strcmp(wl, "tree_cache_latency")) wl_tree_cache_latency();
    else die("unknown workload %s", wl);
    return 0;
}
