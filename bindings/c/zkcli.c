/* zkcli: a small ZooKeeper command-line client on libzkclient's C API, and the sample
 * of how to use it: options, a started client, blocking calls, library-owned results
 * freed with their one free function, and watches that re-arm from the main thread.
 *
 * Usage: see usage() below, or `zkcli -h`.
 * Exit status: 0 done, 1 the library or server said no, 2 bad usage.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "zkclient.h"

#define DEFAULT_HOSTS "127.0.0.1:2181"

static const char *prog = "zkcli";

static void usage(FILE *out)
{
    fprintf(out,
            "usage: zkcli [-s HOSTS] [-t TIMEOUT_MS] [-r] [-a USER:PASSWORD] [-v] COMMAND [ARGS]\n"
            "\n"
            "  -s HOSTS       connect string host[:port][,...][/chroot]\n"
            "                 (default: $ZK_HOSTS, else " DEFAULT_HOSTS ")\n"
            "  -t TIMEOUT_MS  connect and per-call timeout (default 10000)\n"
            "  -r             accept a read-only server\n"
            "  -a USER:PW     authenticate with a digest credential\n"
            "  -v             log to stderr (-vv: debug), and print Stats of get/set\n"
            "\n"
            "commands:\n"
            "  ls PATH                     children, sorted\n"
            "  get PATH                    data to stdout\n"
            "  set PATH DATA [VERSION]     set data (only at VERSION if given)\n"
            "  create [-e] [-s] [-p] [-c] [--ttl MS] PATH [DATA]\n"
            "                              ephemeral, sequence, make parents, container,\n"
            "                              TTL node; prints the created path\n"
            "  delete [-r] PATH [VERSION]  delete (-r: with its children)\n"
            "  stat PATH                   every Stat field, one per line\n"
            "  watch [-n COUNT] PATH       print data and child events until Ctrl-C\n"
            "                              (or COUNT events)\n"
            "  ensure PATH                 create PATH and its missing parents\n"
            "  sync PATH                   wait until the server has caught up\n"
            "  acl PATH                    the node's ACL\n"
            "  version                     the server's version\n"
            "  4lw CMD                     a four-letter word (ruok, srvr, mntr, ...)\n");
}

static int usage_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(zkcli -h for help)\n");
    return 2;
}

/* The one way errors from the library are reported. */
static int fail(const char *command, zk_result rc)
{
    fprintf(stderr, "%s: %s: %s (%d)\n", prog, command, zk_result_message(rc), (int)rc);
    return 1;
}

static bool parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* ------------------------------------------------------------------ logging */

static void log_to_stderr(void *userdata, zk_log_level level, const char *message)
{
    static const char *const names[] = { "?", "error", "warn", "info", "debug" };
    (void)userdata;
    fprintf(stderr, "zkclient %s: %s\n",
            (int)level >= 1 && (int)level <= 4 ? names[level] : names[0], message);
}

/* ------------------------------------------------------------------ commands */

struct ctx {
    zk_client *c;
    uint32_t timeout_ms;
    int verbose;
};

static void print_stat_line(const zk_stat *st)
{
    fprintf(stderr, "version=%d cversion=%d aversion=%d data_length=%d num_children=%d "
                    "mzxid=0x%llx ephemeral_owner=0x%llx\n",
            st->version, st->cversion, st->aversion, st->data_length, st->num_children,
            (unsigned long long)st->mzxid, (unsigned long long)st->ephemeral_owner);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmd_ls(struct ctx *x, const char *path)
{
    zk_string_list *l = NULL;
    const char **names;
    size_t i, n;
    zk_result rc = zk_get_children(x->c, path, NULL, x->timeout_ms, &l, NULL);
    if (rc != ZK_RESULT_OK)
        return fail("ls", rc);
    n = zk_string_list_len(l);
    names = malloc((n ? n : 1) * sizeof *names);
    if (names == NULL) {
        zk_string_list_free(l);
        fprintf(stderr, "%s: ls: out of memory\n", prog);
        return 1;
    }
    for (i = 0; i < n; i++)
        names[i] = zk_string_list_get(l, i);
    qsort(names, n, sizeof *names, cmp_str);
    for (i = 0; i < n; i++)
        printf("%s\n", names[i]);
    free(names);
    zk_string_list_free(l);
    return 0;
}

static int cmd_get(struct ctx *x, const char *path)
{
    zk_buffer b = { NULL, 0 };
    zk_stat st;
    zk_result rc = zk_get(x->c, path, NULL, x->timeout_ms, &b, &st);
    if (rc != ZK_RESULT_OK)
        return fail("get", rc);
    if (b.len > 0 && fwrite(b.data, 1, b.len, stdout) != b.len) {
        zk_buffer_free(&b);
        fprintf(stderr, "%s: get: write error\n", prog);
        return 1;
    }
    /* A newline for text on a terminal, so the prompt does not stick to it. */
    if (b.len > 0 && isatty(STDOUT_FILENO) && b.data[b.len - 1] != '\n')
        putchar('\n');
    zk_buffer_free(&b);
    if (x->verbose)
        print_stat_line(&st);
    return 0;
}

static int cmd_set(struct ctx *x, int argc, char **argv)
{
    long version = -1;
    zk_stat st;
    zk_result rc;
    if (argc < 2 || argc > 3)
        return usage_error("set: want PATH DATA [VERSION]");
    if (argc == 3 && !parse_long(argv[2], -1, INT32_MAX, &version))
        return usage_error("set: bad version '%s'", argv[2]);
    rc = zk_set(x->c, argv[0], (const uint8_t *)argv[1], strlen(argv[1]), (int32_t)version,
                x->timeout_ms, &st);
    if (rc != ZK_RESULT_OK)
        return fail("set", rc);
    if (x->verbose)
        print_stat_line(&st);
    return 0;
}

static int cmd_create(struct ctx *x, int argc, char **argv)
{
    uint32_t flags = 0;
    long ttl = 0;
    int i = 0;
    char *created = NULL;
    const char *data = NULL;
    zk_result rc;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-e") == 0)
            flags |= ZK_CREATE_FLAG_EPHEMERAL;
        else if (strcmp(argv[i], "-s") == 0)
            flags |= ZK_CREATE_FLAG_SEQUENCE;
        else if (strcmp(argv[i], "-p") == 0)
            flags |= ZK_CREATE_FLAG_MAKEPATH;
        else if (strcmp(argv[i], "-c") == 0)
            flags |= ZK_CREATE_FLAG_CONTAINER;
        else if (strcmp(argv[i], "--ttl") == 0) {
            if (++i >= argc || !parse_long(argv[i], 1, LONG_MAX, &ttl))
                return usage_error("create: --ttl wants milliseconds > 0");
        } else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else
            return usage_error("create: unknown option '%s'", argv[i]);
    }
    if (argc - i < 1 || argc - i > 2)
        return usage_error("create: want [-e] [-s] [-p] [-c] [--ttl MS] PATH [DATA]");
    if (argc - i == 2)
        data = argv[i + 1];
    /* An ephemeral node lives as long as this process's session: a moment. Allowed all
     * the same (a lock-style probe), as zkCli.sh does. */
    rc = zk_create(x->c, argv[i], (const uint8_t *)data, data ? strlen(data) : 0, NULL, 0, flags,
                   ttl, x->timeout_ms, &created, NULL);
    if (rc != ZK_RESULT_OK)
        return fail("create", rc);
    printf("%s\n", created);
    zk_string_free(created);
    return 0;
}

static int cmd_delete(struct ctx *x, int argc, char **argv)
{
    bool recursive = false;
    long version = -1;
    int i = 0;
    zk_result rc;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-r") == 0)
            recursive = true;
        else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else
            return usage_error("delete: unknown option '%s'", argv[i]);
    }
    if (argc - i < 1 || argc - i > 2)
        return usage_error("delete: want [-r] PATH [VERSION]");
    if (argc - i == 2 && !parse_long(argv[i + 1], -1, INT32_MAX, &version))
        return usage_error("delete: bad version '%s'", argv[i + 1]);
    rc = zk_delete(x->c, argv[i], (int32_t)version, recursive, x->timeout_ms);
    return rc == ZK_RESULT_OK ? 0 : fail("delete", rc);
}

static void print_time(const char *name, int64_t ms)
{
    char buf[64];
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (gmtime_r(&t, &tm) != NULL && strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm) > 0)
        printf("%s = %lld (%s.%03dZ)\n", name, (long long)ms, buf, (int)(ms % 1000));
    else
        printf("%s = %lld\n", name, (long long)ms);
}

static int cmd_stat(struct ctx *x, const char *path)
{
    zk_stat st;
    zk_result rc = zk_exists(x->c, path, NULL, x->timeout_ms, &st);
    if (rc != ZK_RESULT_OK)
        return fail("stat", rc);
    printf("czxid = 0x%llx\n", (unsigned long long)st.czxid);
    printf("mzxid = 0x%llx\n", (unsigned long long)st.mzxid);
    printf("pzxid = 0x%llx\n", (unsigned long long)st.pzxid);
    print_time("ctime", st.ctime);
    print_time("mtime", st.mtime);
    printf("version = %d\n", st.version);
    printf("cversion = %d\n", st.cversion);
    printf("aversion = %d\n", st.aversion);
    printf("ephemeral_owner = 0x%llx\n", (unsigned long long)st.ephemeral_owner);
    printf("data_length = %d\n", st.data_length);
    printf("num_children = %d\n", st.num_children);
    return 0;
}

static int cmd_acl(struct ctx *x, const char *path)
{
    zk_acl_list *l = NULL;
    size_t i, n;
    zk_result rc = zk_get_acl(x->c, path, x->timeout_ms, &l, NULL);
    if (rc != ZK_RESULT_OK)
        return fail("acl", rc);
    n = zk_acl_list_len(l);
    for (i = 0; i < n; i++) {
        zk_acl a;
        char perms[6];
        int k = 0;
        if (zk_acl_list_get(l, i, &a) != ZK_RESULT_OK)
            continue;
        /* zkCli.sh's letters and order */
        if (a.perms & ZK_PERM_CREATE)
            perms[k++] = 'c';
        if (a.perms & ZK_PERM_DELETE)
            perms[k++] = 'd';
        if (a.perms & ZK_PERM_READ)
            perms[k++] = 'r';
        if (a.perms & ZK_PERM_WRITE)
            perms[k++] = 'w';
        if (a.perms & ZK_PERM_ADMIN)
            perms[k++] = 'a';
        perms[k] = '\0';
        printf("%s:%s %s\n", a.scheme, a.id, perms);
    }
    zk_acl_list_free(l);
    return 0;
}

static int cmd_version(struct ctx *x)
{
    uint32_t major, minor, patch;
    zk_result rc = zk_server_version(x->c, x->timeout_ms, &major, &minor, &patch);
    if (rc != ZK_RESULT_OK)
        return fail("version", rc);
    printf("%u.%u.%u\n", major, minor, patch);
    if (x->verbose)
        fprintf(stderr, "libzkclient %s\n", zk_version());
    return 0;
}

static int cmd_4lw(struct ctx *x, const char *cmd)
{
    char *out = NULL;
    zk_result rc = zk_command(x->c, cmd, x->timeout_ms, &out);
    if (rc != ZK_RESULT_OK)
        return fail("4lw", rc);
    fputs(out, stdout);
    if (out[0] != '\0' && out[strlen(out) - 1] != '\n')
        putchar('\n');
    zk_string_free(out);
    return 0;
}

/* ------------------------------------------------------------------ watch */

/* Watch callbacks run on the library's event thread; they only queue what happened, and
 * the main thread prints and re-arms. Events go through a small ring. */
#define RING 64

enum kind { DATA_WATCH, CHILD_WATCH };

struct fired {
    enum kind kind;
    zk_event_type type;
    zk_keeper_state state;
    char path[1024];
};

static pthread_mutex_t q_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cv = PTHREAD_COND_INITIALIZER;
static struct fired q_ring[RING];
static unsigned q_head, q_tail; /* q_tail - q_head events wait */
static bool q_overflow;

static enum kind kinds[2] = { DATA_WATCH, CHILD_WATCH };
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void on_watch(void *userdata, const zk_event *e)
{
    struct fired *f;
    pthread_mutex_lock(&q_mu);
    if (q_tail - q_head == RING) {
        q_overflow = true;
    } else {
        f = &q_ring[q_tail++ % RING];
        f->kind = *(const enum kind *)userdata;
        f->type = e->event_type;
        f->state = e->state;
        snprintf(f->path, sizeof f->path, "%s", e->path);
    }
    pthread_cond_signal(&q_cv);
    pthread_mutex_unlock(&q_mu);
}

/* Takes the next event; false on interrupt (checked every 200 ms). */
static bool next_event(struct fired *out)
{
    bool got = false;
    pthread_mutex_lock(&q_mu);
    while (!interrupted && q_head == q_tail) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&q_cv, &q_mu, &ts);
    }
    if (q_head != q_tail) {
        *out = q_ring[q_head++ % RING];
        got = true;
    }
    pthread_mutex_unlock(&q_mu);
    return got;
}

static const char *event_name(zk_event_type t)
{
    switch (t) {
    case ZK_EVENT_TYPE_CREATED: return "CREATED";
    case ZK_EVENT_TYPE_DELETED: return "DELETED";
    case ZK_EVENT_TYPE_CHANGED: return "CHANGED";
    case ZK_EVENT_TYPE_CHILD: return "CHILD";
    case ZK_EVENT_TYPE_NONE: return "SESSION";
    default: return "OTHER";
    }
}

static const char *state_name(zk_keeper_state s)
{
    switch (s) {
    case ZK_KEEPER_STATE_CONNECTING: return "CONNECTING";
    case ZK_KEEPER_STATE_CONNECTED: return "CONNECTED";
    case ZK_KEEPER_STATE_CONNECTED_RO: return "CONNECTED_RO";
    case ZK_KEEPER_STATE_AUTH_FAILED: return "AUTH_FAILED";
    case ZK_KEEPER_STATE_CLOSED: return "CLOSED";
    case ZK_KEEPER_STATE_EXPIRED_SESSION: return "EXPIRED_SESSION";
    }
    return "?";
}

/* The data watch goes on with exists, which sets it whether or not the node is there.
 * The child watch needs the node; without it, it is armed again once the node appears. */
static zk_result arm(struct ctx *x, const char *path, enum kind k, bool *armed)
{
    zk_watcher w;
    zk_result rc;
    w.callback = on_watch;
    w.userdata = &kinds[k];
    w.finalizer = NULL; /* static userdata: nothing to release */
    if (k == DATA_WATCH) {
        rc = zk_exists(x->c, path, &w, x->timeout_ms, NULL);
        *armed = rc == ZK_RESULT_OK || rc == ZK_RESULT_NO_NODE;
        return *armed ? ZK_RESULT_OK : rc;
    }
    {
        zk_string_list *l = NULL;
        rc = zk_get_children(x->c, path, &w, x->timeout_ms, &l, NULL);
        zk_string_list_free(l);
        *armed = rc == ZK_RESULT_OK;
        return rc == ZK_RESULT_NO_NODE ? ZK_RESULT_OK : rc;
    }
}

static int cmd_watch(struct ctx *x, int argc, char **argv)
{
    long count = 0, printed = 0;
    int i = 0;
    const char *path;
    bool armed[2] = { false, false };
    struct sigaction sa;
    zk_result rc;

    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-n") == 0) {
            if (++i >= argc || !parse_long(argv[i], 1, LONG_MAX, &count))
                return usage_error("watch: -n wants a count > 0");
        } else
            return usage_error("watch: unknown option '%s'", argv[i]);
    }
    if (argc - i != 1)
        return usage_error("watch: want [-n COUNT] PATH");
    path = argv[i];

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    if ((rc = arm(x, path, DATA_WATCH, &armed[DATA_WATCH])) != ZK_RESULT_OK ||
        (rc = arm(x, path, CHILD_WATCH, &armed[CHILD_WATCH])) != ZK_RESULT_OK)
        return fail("watch", rc);
    fprintf(stderr, "watching %s (Ctrl-C to stop)\n", path);

    while (count == 0 || printed < count) {
        struct fired f;
        if (!next_event(&f))
            break; /* interrupted */
        armed[f.kind] = false;
        /* A delete, or the end of the session, ends both watches: the data watch's event
         * says it once. */
        if (!(f.kind == CHILD_WATCH &&
              (f.type == ZK_EVENT_TYPE_DELETED || f.type == ZK_EVENT_TYPE_NONE))) {
            if (f.type == ZK_EVENT_TYPE_NONE)
                printf("SESSION %s\n", state_name(f.state));
            else
                printf("%s %s\n", event_name(f.type), f.path);
            fflush(stdout);
            printed++;
        }
        if (count != 0 && printed >= count)
            break;
        /* Re-arm what fired (after a session event, once the client is back). */
        if (!armed[DATA_WATCH] && (rc = arm(x, path, DATA_WATCH, &armed[DATA_WATCH])) != ZK_RESULT_OK)
            return fail("watch", rc);
        if (!armed[CHILD_WATCH] && (rc = arm(x, path, CHILD_WATCH, &armed[CHILD_WATCH])) != ZK_RESULT_OK)
            return fail("watch", rc);
    }
    if (q_overflow)
        fprintf(stderr, "%s: watch: events were dropped (queue full)\n", prog);
    return 0;
}

/* ------------------------------------------------------------------ main */

/* Commands that take exactly one PATH. */
static int one_path(const char *name, int argc, char **argv, const char **path)
{
    if (argc != 1)
        return usage_error("%s: want PATH", name);
    *path = argv[0];
    return 0;
}

static int run(struct ctx *x, const char *cmd, int argc, char **argv)
{
    const char *path = NULL;
    int bad;
    zk_result rc;
    if (strcmp(cmd, "ls") == 0)
        return (bad = one_path(cmd, argc, argv, &path)) ? bad : cmd_ls(x, path);
    if (strcmp(cmd, "get") == 0)
        return (bad = one_path(cmd, argc, argv, &path)) ? bad : cmd_get(x, path);
    if (strcmp(cmd, "stat") == 0)
        return (bad = one_path(cmd, argc, argv, &path)) ? bad : cmd_stat(x, path);
    if (strcmp(cmd, "acl") == 0)
        return (bad = one_path(cmd, argc, argv, &path)) ? bad : cmd_acl(x, path);
    if (strcmp(cmd, "ensure") == 0) {
        if ((bad = one_path(cmd, argc, argv, &path)))
            return bad;
        rc = zk_ensure_path(x->c, path, NULL, 0, x->timeout_ms);
        return rc == ZK_RESULT_OK ? 0 : fail(cmd, rc);
    }
    if (strcmp(cmd, "sync") == 0) {
        if ((bad = one_path(cmd, argc, argv, &path)))
            return bad;
        rc = zk_sync(x->c, path, x->timeout_ms);
        return rc == ZK_RESULT_OK ? 0 : fail(cmd, rc);
    }
    if (strcmp(cmd, "set") == 0)
        return cmd_set(x, argc, argv);
    if (strcmp(cmd, "create") == 0)
        return cmd_create(x, argc, argv);
    if (strcmp(cmd, "delete") == 0)
        return cmd_delete(x, argc, argv);
    if (strcmp(cmd, "watch") == 0)
        return cmd_watch(x, argc, argv);
    if (strcmp(cmd, "version") == 0)
        return argc != 0 ? usage_error("version takes no arguments") : cmd_version(x);
    if (strcmp(cmd, "4lw") == 0)
        return argc != 1 ? usage_error("4lw: want CMD (ruok, srvr, mntr, ...)")
                         : cmd_4lw(x, argv[0]);
    return usage_error("unknown command '%s'", cmd);
}

static bool needs_session(const char *cmd)
{
    /* Four-letter words go to the server on their own connection. */
    return strcmp(cmd, "4lw") != 0 && strcmp(cmd, "version") != 0;
}

static bool known_command(const char *cmd)
{
    static const char *const all[] = { "ls", "get", "set", "create", "delete", "stat",
                                       "watch", "ensure", "sync", "acl", "version", "4lw" };
    size_t i;
    for (i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(cmd, all[i]) == 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    const char *hosts = getenv("ZK_HOSTS");
    const char *auth = NULL;
    long timeout = 10000;
    bool read_only = false;
    struct ctx x = { NULL, 0, 0 };
    zk_options *o;
    zk_result rc;
    int opt, status;

    if (hosts == NULL || hosts[0] == '\0')
        hosts = DEFAULT_HOSTS;
    /* '+': options stop at the command, whose own options follow it. */
    while ((opt = getopt(argc, argv, "+s:t:ra:vh")) != -1) {
        switch (opt) {
        case 's': hosts = optarg; break;
        case 't':
            if (!parse_long(optarg, 1, UINT32_MAX, &timeout))
                return usage_error("bad timeout '%s'", optarg);
            break;
        case 'r': read_only = true; break;
        case 'a': auth = optarg; break;
        case 'v': x.verbose++; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind >= argc)
        return usage_error("no command");
    if (!known_command(argv[optind]))
        return usage_error("unknown command '%s'", argv[optind]);
    x.timeout_ms = (uint32_t)timeout;

    o = zk_options_new();
    if ((rc = zk_options_set_hosts(o, hosts)) != ZK_RESULT_OK) {
        zk_options_free(o);
        fprintf(stderr, "%s: bad hosts '%s': %s (%d)\n", prog, hosts, zk_result_message(rc),
                (int)rc);
        return 2;
    }
    zk_options_set_read_only(o, read_only);
    if (auth != NULL)
        zk_options_add_auth(o, "digest", (const uint8_t *)auth, strlen(auth));
    if (x.verbose)
        zk_options_set_logger(o, log_to_stderr, NULL, NULL,
                              x.verbose > 1 ? ZK_LOG_LEVEL_DEBUG : ZK_LOG_LEVEL_INFO);
    /* Fail fast: one pass over the hosts list and a retry, not kazoo's forever. */
    {
        zk_retry_policy p;
        zk_retry_policy_init(&p);
        p.max_tries = 3;
        zk_options_set_connection_retry(o, &p);
    }
    rc = zk_client_new(o, &x.c);
    zk_options_free(o);
    if (rc != ZK_RESULT_OK)
        return fail("connect", rc);

    if (needs_session(argv[optind]) && (rc = zk_start(x.c, x.timeout_ms)) != ZK_RESULT_OK) {
        zk_client_free(x.c);
        return fail("connect", rc);
    }
    status = run(&x, argv[optind], argc - optind - 1, argv + optind + 1);
    zk_client_free(x.c);
    if (fflush(stdout) != 0 && status == 0) {
        fprintf(stderr, "%s: write error\n", prog);
        status = 1;
    }
    return status;
}
