/*
 * rawbench: the floor. A minimal ZooKeeper client that speaks the wire protocol itself
 * (docs: zookeeper-protocol.md §1-3): one blocking TCP socket, one thread, jute written by
 * hand, no watches, no pings (every run is far shorter than the session timeout and never
 * idle). Same command line and RESULT line as zkbench.
 *
 * Usage: rawbench WORKLOAD hosts=H [seconds=S] [warmup=N] [inflight=N] [batch=N] [ops=N]
 *                 [root=/bench]
 * Workloads: sync_get, sync_set, create_delete (one request at a time), rss (`ops` gets,
 * then the peak RSS) and async_get
 * (`inflight` GetData requests pipelined: replies are read in bulk and answered by the same
 * number of new requests, written together once `batch` (default inflight/16, at least 1)
 * are owed).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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
#define OP_CLOSE (-11)
#define STAT_LEN 68

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

static int fd = -1;
static int32_t next_xid = 1;
static uint8_t *rb; /* read buffer */
static size_t rb_len, rb_off, rb_cap = 1 << 20;

static void write_all(const uint8_t *p, size_t n) {
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) die("write: %s", strerror(errno));
        p += k;
        n -= (size_t)k;
    }
}

/* fills the read buffer with whatever the socket has (blocking for at least one byte) */
static void fill(void) {
    if (rb_off > 0) {
        memmove(rb, rb + rb_off, rb_len - rb_off);
        rb_len -= rb_off;
        rb_off = 0;
    }
    if (rb_len == rb_cap) die("read buffer full");
    ssize_t k;
    do k = read(fd, rb + rb_len, rb_cap - rb_len);
    while (k < 0 && errno == EINTR);
    if (k == 0) die("server closed the connection");
    if (k < 0) die("read: %s", strerror(errno));
    rb_len += (size_t)k;
}

/* a complete frame in the buffer, or NULL; *len = payload length */
static const uint8_t *next_frame(int32_t *len) {
    if (rb_len - rb_off < 4) return NULL;
    int32_t l = r_i32(rb + rb_off);
    if (l < 0 || l > (int32_t)(rb_cap - 4)) die("bad frame length %d", l);
    if (rb_len - rb_off < 4 + (size_t)l) return NULL;
    const uint8_t *p = rb + rb_off + 4;
    rb_off += 4 + (size_t)l;
    *len = l;
    return p;
}

static const uint8_t *read_frame(int32_t *len) {
    const uint8_t *p;
    while (!(p = next_frame(len))) fill();
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

static void connect_to(const char *hosts) {
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
    fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
        die("connect %s:%s: %s", host, ps, strerror(errno));
    freeaddrinfo(ai);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    rb = malloc(rb_cap);

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
    write_all(b.p, b.n);
    free(b.p);
    int32_t len;
    const uint8_t *p = read_frame(&len);
    if (len < 36) die("ConnectResponse of %d bytes", len);
    if (r_i32(p + 4) <= 0) die("session refused (timeOut %d)", r_i32(p + 4));
}

static void close_session(void) {
    buf b = {0};
    size_t at = frame_begin(&b);
    int32_t xid = next_xid++;
    w_i32(&b, xid);
    w_i32(&b, OP_CLOSE);
    frame_end(&b, at);
    write_all(b.p, b.n);
    free(b.p);
    int32_t len;
    const uint8_t *p = read_frame(&len);
    check_reply(p, len, xid, 0);
    close(fd);
}

/* ---------------------------------------------------------------- requests */

static char payload[100];

static void req_get(buf *b, int32_t xid, const char *path) {
    size_t at = frame_begin(b);
    w_i32(b, xid);
    w_i32(b, OP_GETDATA);
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

static void req_create(buf *b, int32_t xid, const char *path) {
    size_t at = frame_begin(b);
    w_i32(b, xid);
    w_i32(b, OP_CREATE);
    w_str(b, path);
    w_bytes(b, payload, sizeof payload);
    w_i32(b, 1); /* acl: world:anyone, ALL */
    w_i32(b, 31);
    w_str(b, "world");
    w_str(b, "anyone");
    w_i32(b, 0); /* flags: persistent */
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

/* one request, one reply; returns the reply's length */
static int32_t call(int op, const char *path, int32_t min_body, int allow_exists) {
    static buf b; /* reused: no allocation per request */
    b.n = 0;
    int32_t xid = next_xid++;
    if (op == OP_GETDATA) req_get(&b, xid, path);
    else if (op == OP_SETDATA) req_set(&b, xid, path);
    else if (op == OP_CREATE) req_create(&b, xid, path);
    else req_delete(&b, xid, path);
    write_all(b.p, b.n);
    int32_t len;
    const uint8_t *p = read_frame(&len);
    if (allow_exists && len >= 16 && r_i32(p + 12) == -110) return 0;
    const uint8_t *body = check_reply(p, len, xid, min_body);
    if (op == OP_GETDATA && r_i32(body) != (int32_t)sizeof payload)
        die("get %s: %d data bytes, expected %zu", path, r_i32(body), sizeof payload);
    return len;
}

/* ---------------------------------------------------------------- workloads */

static double p_seconds = 2.0;
static long p_ops = 2000; /* rss */
static long p_warmup = 500, p_inflight = 16, p_batch = 0; /* 0: inflight/16 */
static const char *p_root = "/bench";
static char path_data[256];

/* peak RSS with one session: connect, `p_ops` gets, close; no latency samples */
static void wl_rss(void) {
    for (long i = 0; i < p_ops; i++) call(OP_GETDATA, path_data, 4 + 100 + STAT_LEN, 0);
    close_session();
    printf("RESULT client=raw workload=rss ops=%ld maxrss_kb=%ld\n", p_ops, maxrss_kb());
}

static void wl_sync(int kind) {
    char path[256];
    if (kind == 1) {
        snprintf(path, sizeof path, "%s/set-raw-%d", p_root, (int)getpid());
        call(OP_CREATE, path, 4, 1);
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
            call(OP_GETDATA, path, 4 + 100 + STAT_LEN, 0);
        } else if (kind == 1) {
            call(OP_SETDATA, path, STAT_LEN, 0);
        } else {
            call(OP_CREATE, path, 4, 0);
            call(OP_DELETE, path, 0, 0);
        }
        if (i >= p_warmup) {
            if (n == cap) lat = realloc(lat, (cap *= 2) * sizeof *lat);
            lat[n++] = now_ns() - a;
        }
    }
    double cpu = cpu_us() - cpu0;
    double secs = (now_ns() - t0) / 1e9;
    if (kind == 1) call(OP_DELETE, path, 0, 0);
    close_session();
    qsort(lat, n, sizeof *lat, cmp_i64);
    size_t i99 = (size_t)(0.99 * (double)n);
    if (i99 >= n) i99 = n - 1;
    printf("RESULT client=raw workload=%s ops=%zu seconds=%.3f ops_s=%.1f p50_us=%.1f "
           "p99_us=%.1f cpu_us_per_op=%.2f maxrss_kb=%ld\n",
           kind == 0 ? "sync_get" : kind == 1 ? "sync_set" : "create_delete", n, secs,
           n / secs, lat[n / 2] / 1000.0, lat[i99] / 1000.0, cpu / (double)n, maxrss_kb());
}

static void wl_async(void) {
    /* a template GetData frame; only the xid changes */
    buf tmpl = {0};
    req_get(&tmpl, 0, path_data);
    size_t flen = tmpl.n;
    buf out = {0};
    b_need(&out, flen * (size_t)p_inflight);
    int32_t want = next_xid; /* replies come back in xid order */
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
                uint32_t x = htonl((uint32_t)next_xid++);
                memcpy(out.p + out.n + 4, &x, 4);
                out.n += flen;
            }
            write_all(out.p, out.n);
            outstanding += to_send;
            to_send = 0;
        }
        if (outstanding == 0) break;
        fill();
        int32_t len;
        const uint8_t *p;
        long got = 0;
        while ((p = next_frame(&len))) {
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
    close_session();
    long ops = c1 - c0;
    double secs = (t1 - t0) / 1e9;
    if (ops <= 0) die("no reply in the measured window");
    char name[64];
    snprintf(name, sizeof name, "async_get_%ld", p_inflight);
    printf("RESULT client=raw workload=%s inflight=%ld batch=%ld ops=%ld seconds=%.3f "
           "ops_s=%.1f cpu_us_per_op=%.2f maxrss_kb=%ld\n",
           name, p_inflight, p_batch, ops, secs, ops / secs, (cpu1 - cpu0) / ops, maxrss_kb());
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
        else if (!strcmp(k, "warmup")) p_warmup = atol(v);
        else if (!strcmp(k, "inflight")) p_inflight = atol(v);
        else if (!strcmp(k, "batch")) p_batch = atol(v);
        else if (!strcmp(k, "ops")) p_ops = atol(v);
        else if (!strcmp(k, "threads") || !strcmp(k, "clients") || !strcmp(k, "watches")) {
        } /* accepted for a uniform command line, unused */
        else die("unknown parameter %s", k);
    }
    if (!hosts) die("no hosts (hosts=... or ZK_HOSTS)");
    snprintf(path_data, sizeof path_data, "%s/data", p_root);
    memset(payload, 'x', sizeof payload);
    connect_to(hosts);
    const char *wl = argv[1];
    if (!strcmp(wl, "sync_get")) wl_sync(0);
    else if (!strcmp(wl, "rss")) wl_rss();
    else if (!strcmp(wl, "sync_set")) wl_sync(1);
    else if (!strcmp(wl, "create_delete")) wl_sync(2);
    else if (!strcmp(wl, "async_get")) wl_async();
    else die("unknown workload %s", wl);
    fflush(stdout);
    return 0;
}
