/*
 * rawbench: the floor. A minimal ZooKeeper client that speaks the wire protocol itself
 * (docs: zookeeper-protocol.md §1-3): blocking TCP sockets, one thread, jute written by
 * hand, no pings (every run is far shorter than the session timeout and never idle for
 * long). Same command line and RESULT line as zkbench.
 *
 * Usage: rawbench WORKLOAD hosts=H [seconds=S] [warmup=N] [inflight=N] [batch=N] [ops=N]
 *                 [clients=N] [root=/bench] [lat_out=FILE]
 * Workloads: sync_get, sync_set, create_delete (one request at a time), rss (`ops` gets,
 * then the peak RSS) and async_get
 * (`inflight` GetData requests pipelined: replies are read in bulk and answered by the same
 * number of new requests, written together once `batch` (default inflight/16, at least 1)
 * are owed), on one session; and the lock recipe's requests, a session per contender:
 * lock_uncontended (create, getChildren, delete), lock_handoff (a waiter with its watch
 * set: the holder's delete, its notification, the waiter's getChildren) and
 * lock_contended (`clients` contenders polled from the one thread).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define OP_CREATE 1
#define OP_DELETE 2
#define OP_GETDATA 4
#define OP_SETDATA 5
#define OP_GETCHILDREN 8
#define OP_CLOSE (-11)
#define STAT_LEN 68
#define XID_NOTIFICATION (-1)
#define EVENT_NODE_DELETED 2
#define ERR_NONODE (-101)
#define ERR_NODEEXISTS (-110)
#define FLAG_EPHEMERAL_SEQUENTIAL 3

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "rawbench: error: ");
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

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* ---------------------------------------------------------------- jute writer */

typedef struct {
    uint8_t *p;
    size_t n, cap;
} buf;

static void b_need(buf *b, size_t k) {
    if (b->n + k <= b->cap) return;
    while (b->n + k > b->cap) b->cap = b->cap ? b->cap * 2 : 256;
    b->p = realloc(b->p, b->cap);
    if (!b->p) die("out of memory");
}
static void w_i32(buf *b, int32_t v) {
    b_need(b, 4);
    uint32_t u = htonl((uint32_t)v);
    memcpy(b->p + b->n, &u, 4);
    b->n += 4;
}
static void w_i64(buf *b, int64_t v) {
    w_i32(b, (int32_t)((uint64_t)v >> 32));
    w_i32(b, (int32_t)(uint64_t)v);
}
static void w_u8(buf *b, uint8_t v) {
    b_need(b, 1);
    b->p[b->n++] = v;
}
static void w_bytes(buf *b, const void *d, int32_t len) { /* jute buffer / ustring */
    w_i32(b, len);
    if (len > 0) {
        b_need(b, (size_t)len);
        memcpy(b->p + b->n, d, (size_t)len);
        b->n += (size_t)len;
    }
}
static void w_str(buf *b, const char *s) { w_bytes(b, s, (int32_t)strlen(s)); }

static int32_t r_i32(const uint8_t *p) {
    uint32_t u;
    memcpy(&u, p, 4);
    return (int32_t)ntohl(u);
}

/* frame: reserve the length, fill, then patch it */
static size_t frame_begin(buf *b) {
    size_t at = b->n;
    w_i32(b, 0);
    return at;
}
static void frame_end(buf *b, size_t at) {
    uint32_t u = htonl((uint32_t)(b->n - at - 4));
    memcpy(b->p + at, &u, 4);
}

/* ---------------------------------------------------------------- socket I/O */

/* one session: its socket, its next xid and what has been read from it */
typedef struct {
    int fd;
    int32_t next_xid;
    uint8_t *rb;
    size_t rb_len, rb_off, rb_cap;
} conn;

static conn main_conn; /* the one session of every workload but the lock ones */

static void write_all(conn *c, const uint8_t *p, size_t n) {
    while (n) {
        ssize_t k = write(c->fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) die("write: %s", strerror(errno));
        p += k;
        n -= (size_t)k;
    }
}

/* fills the read buffer with whatever the socket has (blocking for at least one byte) */
static void fill(conn *c) {
    if (c->rb_off > 0) {
        memmove(c->rb, c->rb + c->rb_off, c->rb_len - c->rb_off);
        c->rb_len -= c->rb_off;
        c->rb_off = 0;
    }
    if (c->rb_len == c->rb_cap) die("read buffer full");
    ssize_t k;
    do k = read(c->fd, c->rb + c->rb_len, c->rb_cap - c->rb_len);
    while (k < 0 && errno == EINTR);
    if (k == 0) die("server closed the connection");
    if (k < 0) die("read: %s", strerror(errno));
    c->rb_len += (size_t)k;
}

/* a complete frame in the buffer, or NULL; *len = payload length */
static const uint8_t *next_frame(conn *c, int32_t *len) {
    if (c->rb_len - c->rb_off < 4) return NULL;
    int32_t l = r_i32(c->rb + c->rb_off);
    if (l < 0 || l > (int32_t)(c->rb_cap - 4)) die("bad frame length %d", l);
    if (c->rb_len - c->rb_off < 4 + (size_t)l) return NULL;
    const uint8_t *p = c->rb + c->rb_off + 4;
    c->rb_off += 4 + (size_t)l;
    *len = l;
    return p;
}

static const uint8_t *read_frame(conn *c, int32_t *len) {
    const uint8_t *p;
    while (!(p = next_frame(c, len))) fill(c);
    return p;
}

/* checks a reply header: xid in order, err 0; returns the body */
static const uint8_t *check_reply(const uint8_t *p, int32_t len, int32_t want_xid,
                                  int32_t min_body) {
    if (len < 16) die("short reply (%d bytes)", len);
    int32_t xid = r_i32(p), err = r_i32(p + 12);
    if (xid != want_xid) die("reply xid %d, expected %d", xid, want_xid);
    if (err != 0) die("reply xid %d: err %d", xid, err);
    if (len - 16 < min_body) die("reply xid %d: body %d bytes, want >= %d", xid, len - 16,
                                 min_body);
    return p + 16;
}

/* opens a session on the first host of `hosts`; rb_cap is the largest frame it can read */
static void connect_to(conn *c, const char *hosts, size_t rb_cap) {
    char host[256];
    snprintf(host, sizeof host, "%s", hosts);
    char *comma = strchr(host, ',');
    if (comma) *comma = 0;
    char *slash = strchr(host, '/');
    if (slash) die("chroot not supported by rawbench");
    char *port = strrchr(host, ':');
    const char *ps = "2181";
    if (port) {
        *port = 0;
        ps = port + 1;
    }
    struct addrinfo hints = {0}, *ai;
    hints.ai_socktype = SOCK_STREAM;
    int r = getaddrinfo(host, ps, &hints, &ai);
    if (r) die("getaddrinfo %s: %s", host, gai_strerror(r));
    memset(c, 0, sizeof *c);
    c->next_xid = 1;
    c->fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (c->fd < 0 || connect(c->fd, ai->ai_addr, ai->ai_addrlen) != 0)
        die("connect %s:%s: %s", host, ps, strerror(errno));
    freeaddrinfo(ai);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->rb_cap = rb_cap;
    c->rb = malloc(rb_cap);
    if (!c->rb) die("out of memory");

    /* ConnectRequest (45 bytes, no RequestHeader) */
    buf b = {0};
    size_t at = frame_begin(&b);
    w_i32(&b, 0);     /* protocolVersion */
    w_i64(&b, 0);     /* lastZxidSeen */
    w_i32(&b, 10000); /* timeOut */
    w_i64(&b, 0);     /* sessionId */
    uint8_t pw[16] = {0};
    w_bytes(&b, pw, 16); /* passwd */
    w_u8(&b, 0);         /* readOnly */
    frame_end(&b, at);
    if (b.n != 49) die("handshake is %zu bytes", b.n);
    write_all(c, b.p, b.n);
    free(b.p);
    int32_t len;
    const uint8_t *p = read_frame(c, &len);
    if (len < 36) die("ConnectResponse of %d bytes", len);
    if (r_i32(p + 4) <= 0) die("session refused (timeOut %d)", r_i32(p + 4));
}

/* ends the session; a notification still on its way is skipped */
static void close_session(conn *c) {
    buf b = {0};
    size_t at = frame_begin(&b);
    int32_t xid = c->next_xid++;
    w_i32(&b, xid);
    w_i32(&b, OP_CLOSE);
    frame_end(&b, at);
    write_all(c, b.p, b.n);
    free(b.p);
    int32_t len;
    const uint8_t *p;
    do p = read_frame(c, &len);
    while (len >= 4 && r_i32(p) == XID_NOTIFICATION);
    check_reply(p, len, xid, 0);
    close(c->fd);
    free(c->rb);
}

/* ---------------------------------------------------------------- requests */

static char payload[100];

static void req_get(buf *b, int32_t xid, const char *path, int watch) {
    size_t at = frame_begin(b);
    w_i32(b, xid);
    w_i32(b, OP_GETDATA);
    w_str(b, path);
    w_u8(b, (uint8_t)watch);
    frame_end(b, at);
}

static void req_children(buf *b, int32_t xid, const char *path) {
    size_t at = frame_begin(b);
    w_i32(b, xid);
    w_i32(b, OP_GETCHILDREN);
    w_str(b, path);
    w_u8(b, 0); /* watch */
    frame_end(b, at);
}

static void req_set(buf *b, int32_t xid, const char *path) {
    size_t at = frame_begin(b);
    w_i32(b, xid);
    w_i32(b, OP_SETDATA);
    w_str(b, path);
    w_bytes(b, payload, sizeof payload);
    w_i32(b, -1); /* version */
    frame_end(b, at);
}

static void req_create(buf *b, int32_t xid, const char *path, const void *data, int32_t len,
                       int32_t flags) {
    size_t at = frame_begin(b);
    w_i32(b, xid);
    w_i32(b, OP_CREATE);
    w_str(b, path);
    w_bytes(b, data, len);
    w_i32(b, 1); /* acl: world:anyone, ALL */
    w_i32(b, 31);
    w_str(b, "world");
    w_str(b, "anyone");
    w_i32(b, flags);
    frame_end(b, at);
}

static void req_delete(buf *b, int32_t xid, const char *path) {
    size_t at = frame_begin(b);
    w_i32(b, xid);
    w_i32(b, OP_DELETE);
    w_str(b, path);
    w_i32(b, -1);
    frame_end(b, at);
}

/* writes one request and returns its xid: a create with `data` and `flags`, a get with a
 * watch if `watch` (other ops ignore them) */
static int32_t send_req(conn *c, int op, const char *path, const void *data, int32_t dlen,
                        int32_t flags, int watch) {
    static buf b; /* reused: no allocation per request */
    b.n = 0;
    int32_t xid = c->next_xid++;
    if (op == OP_GETDATA) req_get(&b, xid, path, watch);
    else if (op == OP_SETDATA) req_set(&b, xid, path);
    else if (op == OP_CREATE) req_create(&b, xid, path, data, dlen, flags);
    else if (op == OP_GETCHILDREN) req_children(&b, xid, path);
    else req_delete(&b, xid, path);
    write_all(c, b.p, b.n);
    return xid;
}

/* one request, one reply (a create: persistent, the 100-byte payload); returns the
 * reply's length */
static int32_t call(conn *c, int op, const char *path, int32_t min_body, int allow_exists) {
    int32_t xid = send_req(c, op, path, payload, sizeof payload, 0, 0);
    int32_t len;
    const uint8_t *p = read_frame(c, &len);
    if (allow_exists && len >= 16 && r_i32(p + 12) == ERR_NODEEXISTS) return 0;
    const uint8_t *body = check_reply(p, len, xid, min_body);
    if (op == OP_GETDATA && r_i32(body) != (int32_t)sizeof payload)
        die("get %s: %d data bytes, expected %zu", path, r_i32(body), sizeof payload);
    return len;
}

/* ---------------------------------------------------------------- workloads */

static double p_seconds = 2.0;
/* lat_out=FILE: the sync workloads write every measured latency (ns, sorted, one a line)
 * there, for bench/latency_hist.py */
static const char *p_lat_out;
static long p_ops = 2000; /* rss */
static long p_warmup = 500, p_inflight = 16, p_batch = 0; /* 0: inflight/16 */
static const char *p_root = "/bench";
static char path_data[256];

/* peak RSS with one session: connect, `p_ops` gets, close; no latency samples */
static void wl_rss(void) {
    for (long i = 0; i < p_ops; i++) call(&main_conn, OP_GETDATA, path_data, 4 + 100 + STAT_LEN, 0);
    close_session(&main_conn);
    printf("RESULT client=raw workload=rss ops=%ld maxrss_kb=%ld\n", p_ops, maxrss_kb());
}

static void write_lats(const int64_t *v, size_t n) {
    if (!p_lat_out) return;
    FILE *f = fopen(p_lat_out, "w");
    if (!f) die("cannot write %s", p_lat_out);
    for (size_t i = 0; i < n; i++) fprintf(f, "%lld\n", (long long)v[i]);
    fclose(f);
}

static void wl_sync(int kind) {
    char path[256];
    if (kind == 1) {
        snprintf(path, sizeof path, "%s/set-raw-%d", p_root, (int)getpid());
        call(&main_conn, OP_CREATE, path, 4, 1);
    } else if (kind == 2) {
        snprintf(path, sizeof path, "%s/cd/raw-%d", p_root, (int)getpid());
    } else {
        snprintf(path, sizeof path, "%s", path_data);
    }
    size_t cap = 1 << 16, n = 0;
    int64_t *lat = malloc(cap * sizeof *lat);
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
            call(&main_conn, OP_GETDATA, path, 4 + 100 + STAT_LEN, 0);
        } else if (kind == 1) {
            call(&main_conn, OP_SETDATA, path, STAT_LEN, 0);
        } else {
            call(&main_conn, OP_CREATE, path, 4, 0);
            call(&main_conn, OP_DELETE, path, 0, 0);
        }
        if (i >= p_warmup) {
            if (n == cap) lat = realloc(lat, (cap *= 2) * sizeof *lat);
            lat[n++] = now_ns() - a;
        }
    }
    double cpu = cpu_us() - cpu0;
    double secs = (now_ns() - t0) / 1e9;
    if (kind == 1) call(&main_conn, OP_DELETE, path, 0, 0);
    close_session(&main_conn);
    qsort(lat, n, sizeof *lat, cmp_i64);
    write_lats(lat, (size_t)n);
    size_t i99 = (size_t)(0.99 * (double)n), i999 = (size_t)(0.999 * (double)n);
    if (i99 >= n) i99 = n - 1;
    if (i999 >= n) i999 = n - 1;
    printf("RESULT client=raw workload=%s ops=%zu seconds=%.3f ops_s=%.1f p50_us=%.1f "
           "p99_us=%.1f p999_us=%.1f cpu_us_per_op=%.2f maxrss_kb=%ld\n",
           kind == 0 ? "sync_get" : kind == 1 ? "sync_set" : "create_delete", n, secs,
           n / secs, lat[n / 2] / 1000.0, lat[i99] / 1000.0, lat[i999] / 1000.0,
           cpu / (double)n, maxrss_kb());
}

static void wl_async(void) {
    /* a template GetData frame; only the xid changes */
    buf tmpl = {0};
    req_get(&tmpl, 0, path_data, 0);
    size_t flen = tmpl.n;
    buf out = {0};
    b_need(&out, flen * (size_t)p_inflight);
    conn *c = &main_conn;
    int32_t want = c->next_xid; /* replies come back in xid order */
    long outstanding = 0, done = 0, c0 = -1, c1 = -1;
    double cpu0 = 0, cpu1 = 0;
    int64_t t0 = 0, t1 = 0, start = now_ns();
    int stopping = 0;
    int32_t reply_len = 16 + 4 + 100 + STAT_LEN;
    /* refill once `batch` replies are owed: fewer, larger writes (256 in flight: 16 at a
     * time, so 240..256 stay in flight) */
    if (p_batch <= 0) p_batch = p_inflight / 16 > 1 ? p_inflight / 16 : 1;

    long to_send = p_inflight, owed = 0;
    for (;;) {
        if (to_send > 0) {
            out.n = 0;
            for (long k = 0; k < to_send; k++) {
                b_need(&out, flen);
                memcpy(out.p + out.n, tmpl.p, flen);
                uint32_t x = htonl((uint32_t)c->next_xid++);
                memcpy(out.p + out.n + 4, &x, 4);
                out.n += flen;
            }
            write_all(c, out.p, out.n);
            outstanding += to_send;
            to_send = 0;
        }
        if (outstanding == 0) break;
        fill(c);
        int32_t len;
        const uint8_t *p;
        long got = 0;
        while ((p = next_frame(c, &len))) {
            if (len != reply_len) die("GetData reply of %d bytes, expected %d", len, reply_len);
            check_reply(p, len, want++, 4 + 100 + STAT_LEN);
            got++;
        }
        outstanding -= got;
        done += got;
        int64_t t = now_ns();
        if (c0 < 0 && (done >= p_warmup || t - start > 1000000000)) {
            c0 = done;
            t0 = t;
            cpu0 = cpu_us();
        } else if (c0 >= 0 && c1 < 0 && t - t0 >= (int64_t)(p_seconds * 1e9)) {
            c1 = done;
            t1 = t;
            cpu1 = cpu_us();
            stopping = 1;
        }
        if (!stopping) {
            owed += got;
            if (owed >= p_batch || outstanding == 0) {
                to_send = owed;
                owed = 0;
            }
        }
    }
    close_session(c);
    long ops = c1 - c0;
    double secs = (t1 - t0) / 1e9;
    if (ops <= 0) die("no reply in the measured window");
    char name[64];
    snprintf(name, sizeof name, "async_get_%ld", p_inflight);
    printf("RESULT client=raw workload=%s inflight=%ld batch=%ld ops=%ld seconds=%.3f "
           "ops_s=%.1f cpu_us_per_op=%.2f maxrss_kb=%ld\n",
           name, p_inflight, p_batch, ops, secs, ops / secs, (cpu1 - cpu0) / ops, maxrss_kb());
}

/* ---------------------------------------------------------------- the lock, by hand */

/* The requests of the lock recipe and no more, as kazoo's Lock and ours send them: a
 * contender creates an EPHEMERAL_SEQUENTIAL node <32 hex digits>__lock__<seq> under the
 * lock's node and reads the children; the lowest sequence holds the lock; any other sets
 * a watch on the node just before it (getData) and reads the children again when that
 * node is deleted; the holder releases by deleting its node. Each contender is one
 * session, driven by its replies: `drive` runs one until it reaches a state, and the
 * contended workload polls all of them from one thread. */

static long p_clients = 8;
static char lock_dir[256];

typedef enum { L_IDLE, L_CREATING, L_LISTING, L_WATCHING, L_WAITING, L_HELD, L_RELEASING } lstate;

typedef struct {
    conn c;
    lstate st;
    int32_t xid;        /* the request in flight */
    int auto_release;   /* release as soon as held, then contend again (until g_stopping) */
    int fired;          /* the watched node went before the watch's reply came */
    char create_path[320];
    char node[320];     /* our node's path */
    char pred[520];     /* the watched node's path */
    long acquired;
} contender;

static int g_stopping;    /* auto-releasing contenders stop contending */
static long g_acquired;   /* acquisitions by every contender */

static void contender_init(contender *k, const char *hosts, int i) {
    memset(k, 0, sizeof *k);
    connect_to(&k->c, hosts, 1 << 16);
    k->st = L_IDLE;
    snprintf(k->create_path, sizeof k->create_path, "%s/%08x%024x__lock__", lock_dir,
             (unsigned)getpid(), (unsigned)i);
}

/* a ustring at p (within end) copied to out as a C string; the byte after it, or NULL */
static const uint8_t *read_str(const uint8_t *p, const uint8_t *end, char *out, size_t n) {
    if (end - p < 4) return NULL;
    int32_t l = r_i32(p);
    p += 4;
    if (l < 0 || end - p < l || (size_t)l >= n) return NULL;
    memcpy(out, p, (size_t)l);
    out[l] = 0;
    return p + l;
}

/* the sequence of a lock node's name (its ten last digits, after "__lock__"), or NULL */
static const char *lock_seq(const char *name) {
    size_t n = strlen(name);
    if (n < 18 || memcmp(name + n - 18, "__lock__", 8) != 0) return NULL;
    for (size_t i = n - 10; i < n; i++)
        if (name[i] < '0' || name[i] > '9') return NULL;
    return name + n - 10;
}

/* where our node stands in a GetChildren reply: 0 first; 1 behind another (its path to
 * k->pred) */
static int lock_place(contender *k, const uint8_t *body, const uint8_t *end) {
    const char *me = strrchr(k->node, '/') + 1;
    const char *mine = lock_seq(me);
    if (!mine || end - body < 4) die("lock: bad node %s or reply", me);
    int32_t n = r_i32(body);
    const uint8_t *p = body + 4;
    char name[256], best[256] = "", best_seq[11] = "";
    int found = 0;
    for (int32_t i = 0; i < n; i++) {
        if (!(p = read_str(p, end, name, sizeof name))) die("lock: bad children reply");
        const char *seq = lock_seq(name);
        if (!seq) continue;
        if (!strcmp(name, me)) found = 1;
        else if (strcmp(seq, mine) < 0 && strcmp(seq, best_seq) > 0) {
            snprintf(best, sizeof best, "%s", name);
            snprintf(best_seq, sizeof best_seq, "%s", seq);
        }
    }
    if (!found) die("lock: our node %s is not among the children", me);
    if (!best[0]) return 0;
    snprintf(k->pred, sizeof k->pred, "%s/%s", lock_dir, best);
    return 1;
}

static void l_send(contender *k, int op, const char *path, lstate next) {
    int watch = op == OP_GETDATA;
    k->xid = send_req(&k->c, op, path, "", 0, FLAG_EPHEMERAL_SEQUENTIAL, watch);
    k->st = next;
}

static void lock_acquire_start(contender *k) { l_send(k, OP_CREATE, k->create_path, L_CREATING); }
static void lock_release_start(contender *k) { l_send(k, OP_DELETE, k->node, L_RELEASING); }

/* one frame from the contender's session: the next step of the recipe */
static void lock_on_frame(contender *k, const uint8_t *p, int32_t len) {
    const uint8_t *end = p + len;
    if (len < 16) die("lock: short frame");
    if (r_i32(p) == XID_NOTIFICATION) {
        char path[520];
        if (end - p < 24 || !read_str(p + 24, end, path, sizeof path))
            die("lock: bad notification");
        if (r_i32(p + 16) != EVENT_NODE_DELETED || strcmp(path, k->pred) != 0) return;
        if (k->st == L_WAITING) l_send(k, OP_GETCHILDREN, lock_dir, L_LISTING);
        else if (k->st == L_WATCHING) k->fired = 1;
        return;
    }
    int32_t err = r_i32(p + 12);
    if (r_i32(p) != k->xid) die("lock: reply xid %d, expected %d", r_i32(p), k->xid);
    if (k->st == L_WATCHING && err == ERR_NONODE) { /* gone already: look again */
        l_send(k, OP_GETCHILDREN, lock_dir, L_LISTING);
        return;
    }
    if (err != 0) die("lock: reply xid %d in state %d: err %d", k->xid, (int)k->st, err);
    switch (k->st) {
    case L_CREATING:
        if (!read_str(p + 16, end, k->node, sizeof k->node)) die("lock: bad create reply");
        l_send(k, OP_GETCHILDREN, lock_dir, L_LISTING);
        break;
    case L_LISTING:
        if (lock_place(k, p + 16, end)) {
            k->fired = 0;
            l_send(k, OP_GETDATA, k->pred, L_WATCHING);
        } else {
            k->st = L_HELD;
            k->acquired++;
            g_acquired++;
            if (k->auto_release) lock_release_start(k);
        }
        break;
    case L_WATCHING:
        if (k->fired) l_send(k, OP_GETCHILDREN, lock_dir, L_LISTING);
        else k->st = L_WAITING;
        break;
    case L_RELEASING:
        k->st = L_IDLE;
        if (k->auto_release && !g_stopping) lock_acquire_start(k);
        break;
    default:
        die("lock: reply xid %d in state %d", k->xid, (int)k->st);
    }
}

/* reads the contender's replies until it is in state `until` */
static void drive(contender *k, lstate until) {
    while (k->st != until) {
        int32_t len;
        const uint8_t *p = read_frame(&k->c, &len);
        lock_on_frame(k, p, len);
    }
}

/* the lock's node, /bench/locks/raw-PID-WORKLOAD: its name, before any contender's */
static void lock_dir_name(const char *wl) {
    if (snprintf(lock_dir, sizeof lock_dir, "%s/locks/raw-%d-%s", p_root, (int)getpid(), wl) >=
        (int)sizeof lock_dir)
        die("root %s is too long", p_root);
}

/* makes the lock's node and its parents (deleted at the end by the same session) */
static void lock_dir_make(conn *c) {
    char parent[sizeof lock_dir];
    snprintf(parent, sizeof parent, "%s", lock_dir);
    *strrchr(parent, '/') = 0;
    call(c, OP_CREATE, p_root, 4, 1);
    call(c, OP_CREATE, parent, 4, 1);
    call(c, OP_CREATE, lock_dir, 4, 1);
}

static double pct(int64_t *v, size_t n, double q) {
    if (n == 0) return 0;
    size_t i = (size_t)(q * (double)n);
    return v[i < n ? i : n - 1] / 1000.0;
}

/* acquire + release with nobody else there: create, getChildren, delete */
static void wl_lock_uncontended(const char *hosts) {
    contender k;
    lock_dir_name("lock_uncontended");
    contender_init(&k, hosts, 0);
    lock_dir_make(&k.c);
    size_t cap = 1 << 16, n = 0;
    int64_t *lat = malloc(cap * sizeof *lat), *acq = malloc(cap * sizeof *acq),
            *rel = malloc(cap * sizeof *rel);
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
        lock_acquire_start(&k);
        drive(&k, L_HELD);
        int64_t b = now_ns();
        lock_release_start(&k);
        drive(&k, L_IDLE);
        int64_t e = now_ns();
        if (i >= p_warmup) {
            if (n == cap) {
                cap *= 2;
                lat = realloc(lat, cap * sizeof *lat);
                acq = realloc(acq, cap * sizeof *acq);
                rel = realloc(rel, cap * sizeof *rel);
            }
            lat[n] = e - a, acq[n] = b - a, rel[n] = e - b;
            n++;
        }
    }
    double cpu = cpu_us() - cpu0;
    double secs = (now_ns() - t0) / 1e9;
    call(&k.c, OP_DELETE, lock_dir, 0, 0);
    close_session(&k.c);
    qsort(lat, n, sizeof *lat, cmp_i64);
    qsort(acq, n, sizeof *acq, cmp_i64);
    qsort(rel, n, sizeof *rel, cmp_i64);
    printf("RESULT client=raw workload=lock_uncontended ops=%zu seconds=%.3f ops_s=%.1f "
           "p50_us=%.1f p99_us=%.1f acquire_p50_us=%.1f release_p50_us=%.1f "
           "cpu_us_per_op=%.2f maxrss_kb=%ld\n",
           n, secs, n / secs, pct(lat, n, 0.5), pct(lat, n, 0.99), pct(acq, n, 0.5),
           pct(rel, n, 0.5), cpu / (double)(n ? n : 1), maxrss_kb());
}

/* A holds, B waits (its watch on A's node set); from A's delete being written to B's
 * children read answering that B holds: the notification and one round trip */
static void wl_lock_handoff(const char *hosts) {
    contender a, b;
    lock_dir_name("lock_handoff");
    contender_init(&a, hosts, 0);
    contender_init(&b, hosts, 1);
    lock_dir_make(&a.c);
    size_t cap = 1 << 14, n = 0;
    int64_t *lat = malloc(cap * sizeof *lat);
    long warm = p_warmup / 10 > 20 ? p_warmup / 10 : 20;
    int64_t end = 0;
    for (long i = 0;; i++) {
        if (i == warm) end = now_ns() + (int64_t)(p_seconds * 1e9);
        if (i > warm && now_ns() >= end) break;
        lock_acquire_start(&a);
        drive(&a, L_HELD);
        lock_acquire_start(&b);
        drive(&b, L_WAITING);
        int64_t t0 = now_ns();
        lock_release_start(&a);
        drive(&b, L_HELD);
        int64_t t1 = now_ns();
        drive(&a, L_IDLE);
        lock_release_start(&b);
        drive(&b, L_IDLE);
        if (i >= warm) {
            if (n == cap) lat = realloc(lat, (cap *= 2) * sizeof *lat);
            lat[n++] = t1 - t0;
        }
    }
    call(&a.c, OP_DELETE, lock_dir, 0, 0);
    close_session(&a.c);
    close_session(&b.c);
    qsort(lat, n, sizeof *lat, cmp_i64);
    printf("RESULT client=raw workload=lock_handoff ops=%zu p50_us=%.1f p99_us=%.1f "
           "maxrss_kb=%ld\n",
           n, pct(lat, n, 0.5), pct(lat, n, 0.99), maxrss_kb());
}

/* p_clients sessions take the lock and release it at once, in a loop, all driven from one
 * thread: acquisitions per second */
static void wl_lock_contended(const char *hosts) {
    long nk = p_clients;
    if (nk < 2) die("clients must be >= 2");
    lock_dir_name("lock_contended");
    contender *ks = calloc((size_t)nk, sizeof *ks);
    struct pollfd *pf = calloc((size_t)nk, sizeof *pf);
    for (long i = 0; i < nk; i++) {
        contender_init(&ks[i], hosts, (int)i);
        ks[i].auto_release = 1;
        pf[i].fd = ks[i].c.fd;
        pf[i].events = POLLIN;
    }
    lock_dir_make(&ks[0].c);
    for (long i = 0; i < nk; i++) lock_acquire_start(&ks[i]);
    long c0 = -1, c1 = -1, lo = -1, hi = 0; /* lo, hi: acquisitions per contender */
    double cpu0 = 0, cpu1 = 0;
    int64_t t0 = 0, t1 = 0, start = now_ns();
    for (;;) {
        int idle = 0;
        for (long i = 0; i < nk; i++) idle += ks[i].st == L_IDLE;
        if (idle == nk) break;
        int r = poll(pf, (nfds_t)nk, 10000);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) die("lock: no reply for 10 s");
        for (long i = 0; i < nk; i++) {
            if (!(pf[i].revents & (POLLIN | POLLERR | POLLHUP))) continue;
            fill(&ks[i].c);
            int32_t len;
            const uint8_t *p;
            while ((p = next_frame(&ks[i].c, &len))) lock_on_frame(&ks[i], p, len);
        }
        int64_t t = now_ns();
        if (c0 < 0 && (g_acquired >= p_warmup || t - start > 1000000000)) {
            c0 = g_acquired;
            t0 = t;
            cpu0 = cpu_us();
            for (long i = 0; i < nk; i++) ks[i].acquired = 0;
        } else if (c0 >= 0 && c1 < 0 && t - t0 >= (int64_t)(p_seconds * 1e9)) {
            c1 = g_acquired;
            t1 = t;
            cpu1 = cpu_us();
            g_stopping = 1;
            for (long i = 0; i < nk; i++) {
                long a = ks[i].acquired;
                if (lo < 0 || a < lo) lo = a;
                if (a > hi) hi = a;
            }
        }
    }
    call(&ks[0].c, OP_DELETE, lock_dir, 0, 0);
    for (long i = 0; i < nk; i++) close_session(&ks[i].c);
    long ops = c1 - c0;
    double secs = (t1 - t0) / 1e9;
    if (ops <= 0) die("no acquisition in the measured window");
    printf("RESULT client=raw workload=lock_contended clients=%ld ops=%ld seconds=%.3f "
           "ops_s=%.1f min_per_client=%ld max_per_client=%ld cpu_us_per_op=%.2f "
           "maxrss_kb=%ld\n",
           nk, ops, secs, ops / secs, lo, hi, (cpu1 - cpu0) / ops, maxrss_kb());
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s WORKLOAD hosts=H [key=value...]\n", argv[0]);
        return 2;
    }
    const char *hosts = getenv("ZK_HOSTS");
    for (int i = 2; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) die("bad argument %s", argv[i]);
        *eq = 0;
        const char *k = argv[i], *v = eq + 1;
        if (!strcmp(k, "hosts")) hosts = v;
        else if (!strcmp(k, "root")) p_root = v;
        else if (!strcmp(k, "seconds")) p_seconds = atof(v);
        else if (!strcmp(k, "lat_out")) p_lat_out = v;
        else if (!strcmp(k, "warmup")) p_warmup = atol(v);
        else if (!strcmp(k, "inflight")) p_inflight = atol(v);
        else if (!strcmp(k, "batch")) p_batch = atol(v);
        else if (!strcmp(k, "ops")) p_ops = atol(v);
        else if (!strcmp(k, "clients")) p_clients = atol(v);
        else if (!strcmp(k, "threads") || !strcmp(k, "watches")) {
        } /* accepted for a uniform command line, unused */
        else die("unknown parameter %s", k);
    }
    if (!hosts) die("no hosts (hosts=... or ZK_HOSTS)");
    snprintf(path_data, sizeof path_data, "%s/data", p_root);
    memset(payload, 'x', sizeof payload);
    const char *wl = argv[1];
    /* the lock workloads open sessions of their own */
    if (!strcmp(wl, "lock_uncontended")) wl_lock_uncontended(hosts);
    else if (!strcmp(wl, "lock_handoff")) wl_lock_handoff(hosts);
    else if (!strcmp(wl, "lock_contended")) wl_lock_contended(hosts);
    else {
        connect_to(&main_conn, hosts, 1 << 20);
        if (!strcmp(wl, "sync_get")) wl_sync(0);
        else if (!strcmp(wl, "rss")) wl_rss();
        else if (!strcmp(wl, "sync_set")) wl_sync(1);
        else if (!strcmp(wl, "create_delete")) wl_sync(2);
        else if (!strcmp(wl, "async_get")) wl_async();
        else die("unknown workload %s", wl);
    }
    fflush(stdout);
    return 0;
}
