/* zkcli's commands: zkCli.sh's (3.8), with its flags, output and error messages in the
 * shell, and ours (ensure, watch, multi, 4lw, acl; lock and election in recipes.c).
 * One-shot mode runs the same commands; where a script wants something else than
 * zkCli.sh prints, one-shot mode keeps the output zkcli always gave (see the usage in
 * main.c): a child a line, raw data, the created path, "field = value" Stats,
 * "zkcli: CMD: message (code)" errors.
 *
 * Each command gets argv with its own name first. Options may come anywhere among the
 * arguments, as zkCli.sh's parser allows (`create /a -e`); "--" ends them, and an
 * argument that is a number ("-1") is never an option (lock and election excepted: what
 * follows their path is a command of its own).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "zkcli.h"

struct command {
    const char *name;
    const char *args; /* the synopsis after the name */
    const char *help;
    int (*run)(struct zkcli *x, int argc, char **argv);
    bool session; /* needs a started session */
};

static const struct command *find_command(const char *name);

/* ------------------------------------------------------------------ helpers */

bool zkcli_parse_long(const char *s, long min, long max, long *out)
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

bool zkcli_parse_ll(const char *s, int base, long long *out)
{
    char *end;
    long long v;
    errno = 0;
    v = strtoll(s, &end, base);
    if (errno != 0 || end == s || *end != '\0')
        return false;
    *out = v;
    return true;
}

static bool is_number(const char *s)
{
    long long v;
    return zkcli_parse_ll(s, 10, &v);
}

int zkcli_exit_code(zk_result rc)
{
    switch (rc) {
    case ZK_RESULT_OK: return EXIT_OK;
    case ZK_RESULT_NO_NODE: return EXIT_NO_NODE;
    case ZK_RESULT_NODE_EXISTS: return EXIT_NODE_EXISTS;
    case ZK_RESULT_BAD_VERSION: return EXIT_BAD_VERSION;
    case ZK_RESULT_NOT_EMPTY: return EXIT_NOT_EMPTY;
    case ZK_RESULT_NO_AUTH:
    case ZK_RESULT_AUTH_FAILED:
    case ZK_RESULT_SESSION_CLOSED_REQUIRE_SASL_AUTH: return EXIT_NO_AUTH;
    case ZK_RESULT_CONNECTION_LOSS:
    case ZK_RESULT_OPERATION_TIMEOUT:
    case ZK_RESULT_SESSION_EXPIRED:
    case ZK_RESULT_SESSION_MOVED:
    case ZK_RESULT_REQUEST_TIMEOUT:
    case ZK_RESULT_CLOSED:
    case ZK_RESULT_TIMED_OUT:
    case ZK_RESULT_RETRIES_EXHAUSTED:
    case ZK_RESULT_TLS: return EXIT_CONNECTION;
    default: return EXIT_FAILED;
    }
}

/* Java's KeeperException.Code messages, for zkCli.sh's "KeeperErrorCode = ..." lines. */
static const char *java_code_message(zk_result rc)
{
    switch (rc) {
    case ZK_RESULT_SYSTEM_ERROR: return "SystemError";
    case ZK_RESULT_RUNTIME_INCONSISTENCY: return "RuntimeInconsistency";
    case ZK_RESULT_DATA_INCONSISTENCY: return "DataInconsistency";
    case ZK_RESULT_CONNECTION_LOSS: return "ConnectionLoss";
    case ZK_RESULT_MARSHALLING_ERROR: return "MarshallingError";
    case ZK_RESULT_UNIMPLEMENTED: return "Unimplemented";
    case ZK_RESULT_OPERATION_TIMEOUT: return "OperationTimeout";
    case ZK_RESULT_BAD_ARGUMENTS: return "BadArguments";
    case ZK_RESULT_UNKNOWN_SESSION: return "UnknownSession";
    case ZK_RESULT_NEW_CONFIG_NO_QUORUM: return "NewConfigNoQuorum";
    case ZK_RESULT_RECONFIG_IN_PROGRESS: return "ReconfigInProgress";
    case ZK_RESULT_API_ERROR: return "APIError";
    case ZK_RESULT_NO_NODE: return "NoNode";
    case ZK_RESULT_NO_AUTH: return "NoAuth";
    case ZK_RESULT_BAD_VERSION: return "BadVersion";
    case ZK_RESULT_NO_CHILDREN_FOR_EPHEMERALS: return "NoChildrenForEphemerals";
    case ZK_RESULT_NODE_EXISTS: return "NodeExists";
    case ZK_RESULT_NOT_EMPTY: return "Directory not empty";
    case ZK_RESULT_SESSION_EXPIRED: return "Session expired";
    case ZK_RESULT_INVALID_CALLBACK: return "Invalid callback";
    case ZK_RESULT_INVALID_ACL: return "InvalidACL";
    case ZK_RESULT_AUTH_FAILED: return "AuthFailed";
    case ZK_RESULT_SESSION_MOVED: return "Session moved";
    case ZK_RESULT_NOT_READ_ONLY: return "Not a read-only call";
    case ZK_RESULT_EPHEMERAL_ON_LOCAL_SESSION: return "Ephemeral node on local session";
    case ZK_RESULT_NO_WATCHER: return "No such watcher";
    case ZK_RESULT_REQUEST_TIMEOUT: return "Request timeout";
    case ZK_RESULT_RECONFIG_DISABLED: return "Reconfig is disabled";
    case ZK_RESULT_SESSION_CLOSED_REQUIRE_SASL_AUTH:
        return "Session closed because client failed to authenticate";
    case ZK_RESULT_QUOTA_EXCEEDED: return "Quota has exceeded";
    case ZK_RESULT_THROTTLED_OP: return "Op throttled due to high load";
    default: return NULL;
    }
}

/* Reports a failed call and returns the exit status it means. The shell says it as
 * zkCli.sh does; one-shot mode as "zkcli: CMD: message (code)". */
int zkcli_fail(struct zkcli *x, const char *cmd, const char *path, zk_result rc)
{
    const char *java = java_code_message(rc);
    const char *shown = path ? path : "null"; /* Java's rendering of a missing path */
    if (!x->shell) {
        fprintf(stderr, "zkcli: %s: %s (%d)\n", cmd, zk_result_message(rc), (int)rc);
        return zkcli_exit_code(rc);
    }
    switch (rc) {
    case ZK_RESULT_NO_NODE: fprintf(stderr, "Node does not exist: %s\n", shown); break;
    case ZK_RESULT_NO_CHILDREN_FOR_EPHEMERALS:
        fprintf(stderr, "Ephemerals cannot have children: %s\n", shown);
        break;
    case ZK_RESULT_NODE_EXISTS: fprintf(stderr, "Node already exists: %s\n", shown); break;
    case ZK_RESULT_NOT_EMPTY: fprintf(stderr, "Node not empty: %s\n", shown); break;
    case ZK_RESULT_NOT_READ_ONLY: fprintf(stderr, "Not a read-only call: %s\n", shown); break;
    case ZK_RESULT_INVALID_ACL: fprintf(stderr, "Acl is not valid : %s\n", shown); break;
    case ZK_RESULT_NO_AUTH: fprintf(stderr, "Insufficient permission : %s\n", shown); break;
    case ZK_RESULT_BAD_ARGUMENTS: fprintf(stderr, "Argument is not valid : %s\n", shown); break;
    case ZK_RESULT_BAD_VERSION: fprintf(stderr, "version No is not valid : %s\n", shown); break;
    case ZK_RESULT_RECONFIG_IN_PROGRESS:
        fprintf(stderr, "Another reconfiguration is in progress -- concurrent reconfigs not "
                        "supported (yet)\n");
        break;
    case ZK_RESULT_NEW_CONFIG_NO_QUORUM:
        fprintf(stderr, "No quorum of new config is connected and up-to-date with the leader "
                        "of last committed config - try invoking reconfiguration after new "
                        "servers are connected and synced\n");
        break;
    case ZK_RESULT_INVALID_PATH:
        if (path != NULL && path[0] != '/')
            fprintf(stderr, "Path must start with / character\n");
        else if (path != NULL && strlen(path) > 1 && path[strlen(path) - 1] == '/')
            fprintf(stderr, "Path must not end with / character\n");
        else
            fprintf(stderr, "Invalid path string \"%s\"\n", path ? path : "");
        break;
    default:
        if (java != NULL && path != NULL)
            fprintf(stderr, "KeeperErrorCode = %s for %s\n", java, path);
        else if (java != NULL)
            fprintf(stderr, "KeeperErrorCode = %s\n", java);
        else
            fprintf(stderr, "%s: %s (%d)\n", cmd, zk_result_message(rc), (int)rc);
    }
    return zkcli_exit_code(rc);
}

static void print_synopsis(FILE *out, const struct command *c)
{
    fprintf(out, "%s%s%s\n", c->name, c->args[0] ? " " : "", c->args);
}

/* A bad command line: why (unless NULL) and the command's synopsis. */
static int usage_msg(struct zkcli *x, const char *cmd, const char *why)
{
    const struct command *c = cmd ? find_command(cmd) : NULL;
    if (x->shell) {
        /* zkCli.sh: the reason alone, or, for wrong arguments, the synopsis alone. */
        if (why != NULL)
            fprintf(stderr, "%s\n", why);
        else if (c != NULL)
            print_synopsis(stderr, c);
        return EXIT_USAGE;
    }
    fprintf(stderr, "zkcli: %s%s%s\n", cmd ? cmd : "", cmd ? ": " : "",
            why ? why : "wrong arguments");
    if (c != NULL) {
        fprintf(stderr, "usage: zkcli ");
        print_synopsis(stderr, c);
    } else {
        fprintf(stderr, "(zkcli -h for help)\n");
    }
    return EXIT_USAGE;
}

int zkcli_usage(struct zkcli *x, const char *cmd, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return usage_msg(x, cmd, why);
}

/* Wrong arguments: zkCli.sh prints the synopsis alone. */
static int synopsis_error(struct zkcli *x, const char *cmd)
{
    return usage_msg(x, cmd, NULL);
}

/* Options as zkCli.sh takes them (see the top of this file). */
int zkcli_parse_opts(struct zkcli *x, int argc, char **argv, const char *spec, struct opts *o)
{
    bool done = false;
    int i;
    memset(o->opt, 0, sizeof o->opt);
    o->npos = 0;
    o->pos = malloc((size_t)(argc > 0 ? argc : 1) * sizeof *o->pos);
    if (o->pos == NULL) {
        fprintf(stderr, "zkcli: out of memory\n");
        return EXIT_FAILED;
    }
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *p;
        if (done || a[0] != '-' || a[1] == '\0' || is_number(a)) {
            o->pos[o->npos++] = argv[i];
            continue;
        }
        if (strcmp(a, "--") == 0) {
            done = true;
            continue;
        }
        if (strcmp(a, "--ttl") == 0 && strstr(spec, "t:") != NULL)
            a = "-t"; /* zkcli's older spelling */
        /* A letter with a value, or one or more flags ("-es"). */
        if (a[2] == '\0' && (p = strchr(spec, a[1])) != NULL && a[1] != ':' && p[1] == ':') {
            if (i + 1 >= argc) {
                free(o->pos);
                return zkcli_usage(x, argv[0], "Missing argument for option: %c", a[1]);
            }
            o->opt[(unsigned char)a[1]] = argv[++i];
            continue;
        }
        for (p = a + 1; *p; p++) {
            const char *s = strchr(spec, *p);
            if (*p == ':' || (unsigned char)*p >= 128 || s == NULL || s[1] == ':') {
                free(o->pos);
                return zkcli_usage(x, argv[0], "Unrecognized option: %s", a);
            }
        }
        for (p = a + 1; *p; p++)
            o->opt[(unsigned char)*p] = "";
    }
    return 0;
}

/* The shell's watcher when the command was given -w, else none. */
static const zk_watcher *watcher(const struct opts *o, zk_watcher *w, enum watch_kind kind,
                                 const char *path)
{
    if (!HAS(*o, 'w'))
        return NULL;
    *w = events_watcher(kind, path);
    return w;
}

static bool not_connected(struct zkcli *x)
{
    return x->c == NULL || x->closed;
}

/* ------------------------------------------------------------------ output */

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

/* Java's Date.toString(), in the local time zone: "Mon Dec 07 02:12:32 UTC 2026". */
static void print_java_time(const char *name, int64_t ms)
{
    char buf[64];
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (localtime_r(&t, &tm) != NULL && strftime(buf, sizeof buf, "%a %b %d %H:%M:%S %Z %Y", &tm) > 0)
        printf("%s = %s\n", name, buf);
    else
        printf("%s = %lld\n", name, (long long)ms);
}

/* A Stat as zkCli.sh prints it, or, in one-shot mode, as zkcli's `stat` always has. */
void zkcli_print_stat(struct zkcli *x, const zk_stat *st)
{
    if (x->shell) {
        printf("cZxid = 0x%llx\n", (unsigned long long)st->czxid);
        print_java_time("ctime", st->ctime);
        printf("mZxid = 0x%llx\n", (unsigned long long)st->mzxid);
        print_java_time("mtime", st->mtime);
        printf("pZxid = 0x%llx\n", (unsigned long long)st->pzxid);
        printf("cversion = %d\n", st->cversion);
        printf("dataVersion = %d\n", st->version);
        printf("aclVersion = %d\n", st->aversion);
        printf("ephemeralOwner = 0x%llx\n", (unsigned long long)st->ephemeral_owner);
        printf("dataLength = %d\n", st->data_length);
        printf("numChildren = %d\n", st->num_children);
        return;
    }
    printf("czxid = 0x%llx\n", (unsigned long long)st->czxid);
    printf("mzxid = 0x%llx\n", (unsigned long long)st->mzxid);
    printf("pzxid = 0x%llx\n", (unsigned long long)st->pzxid);
    print_time("ctime", st->ctime);
    print_time("mtime", st->mtime);
    printf("version = %d\n", st->version);
    printf("cversion = %d\n", st->cversion);
    printf("aversion = %d\n", st->aversion);
    printf("ephemeral_owner = 0x%llx\n", (unsigned long long)st->ephemeral_owner);
    printf("data_length = %d\n", st->data_length);
    printf("num_children = %d\n", st->num_children);
}

/* -v in one-shot mode: the Stat of get and set, on stderr. */
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

/* A list's strings, sorted if asked; NULL (and a message) when out of memory. */
const char **zkcli_list_names(const zk_string_list *l, size_t *n, bool sorted)
{
    size_t i;
    const char **names;
    *n = zk_string_list_len(l);
    names = malloc((*n ? *n : 1) * sizeof *names);
    if (names == NULL) {
        fprintf(stderr, "zkcli: out of memory\n");
        return NULL;
    }
    for (i = 0; i < *n; i++)
        names[i] = zk_string_list_get(l, i);
    if (sorted)
        qsort(names, *n, sizeof *names, cmp_str);
    return names;
}

/* A list as Java prints one ("[a, b]") in the shell, else a string a line. */
void zkcli_print_list(struct zkcli *x, const char **names, size_t n)
{
    size_t i;
    if (!x->shell) {
        for (i = 0; i < n; i++)
            printf("%s\n", names[i]);
        return;
    }
    putchar('[');
    for (i = 0; i < n; i++)
        printf("%s%s", i ? ", " : "", names[i]);
    printf("]\n");
}

static void perm_string(uint32_t perms, char out[6])
{
    int k = 0;
    /* zkCli.sh's letters and order */
    if (perms & ZK_PERM_CREATE)
        out[k++] = 'c';
    if (perms & ZK_PERM_DELETE)
        out[k++] = 'd';
    if (perms & ZK_PERM_READ)
        out[k++] = 'r';
    if (perms & ZK_PERM_WRITE)
        out[k++] = 'w';
    if (perms & ZK_PERM_ADMIN)
        out[k++] = 'a';
    out[k] = '\0';
}

/* zkCli.sh's ACL syntax: "scheme:id:perms[,scheme:id:perms...]", the id being what lies
 * between the first and the last ':' ("digest:user:hash:cdrwa", "auth::cdrwa"). As
 * zkCli.sh does, a bad entry or letter is reported and skipped. The entries' strings
 * live in *store (free it with the array). Returns the number of entries kept. */
int zkcli_parse_acl(struct zkcli *x, const char *text, zk_acl **out, size_t *n, char **store)
{
    size_t cap = 1;
    const char *p;
    char *s, *entry, *save = NULL;
    zk_acl *acl;
    (void)x;
    for (p = text; *p; p++)
        cap += *p == ',';
    *out = acl = calloc(cap, sizeof *acl);
    *store = s = strdup(text);
    *n = 0;
    if (acl == NULL || s == NULL) {
        free(acl);
        free(s);
        *out = NULL;
        *store = NULL;
        fprintf(stderr, "zkcli: out of memory\n");
        return -1;
    }
    for (entry = strtok_r(s, ",", &save); entry != NULL; entry = strtok_r(NULL, ",", &save)) {
        char *first = strchr(entry, ':'), *last = strrchr(entry, ':');
        uint32_t perms = 0;
        if (first == NULL || first == last) {
            fprintf(stderr, "%s does not have the form scheme:id:perm\n", entry);
            continue;
        }
        *first = '\0';
        *last = '\0';
        for (p = last + 1; *p; p++) {
            switch (*p) {
            case 'r': perms |= ZK_PERM_READ; break;
            case 'w': perms |= ZK_PERM_WRITE; break;
            case 'c': perms |= ZK_PERM_CREATE; break;
            case 'd': perms |= ZK_PERM_DELETE; break;
            case 'a': perms |= ZK_PERM_ADMIN; break;
            default: fprintf(stderr, "Unknown perm type: %c\n", *p);
            }
        }
        acl[*n].scheme = entry;
        acl[*n].id = first + 1;
        acl[*n].perms = perms;
        (*n)++;
    }
    return (int)*n;
}

/* ------------------------------------------------------------------ tree walks */

/* Calls fn on path's children (full paths, sorted), then on their children, level by
 * level under each child: the order of zkCli.sh's `ls -R` (ZKUtil.visitSubTreeDFS). */
typedef int (*visit_fn)(struct zkcli *x, const char *path, void *arg);

static char *child_path(const char *parent, const char *name)
{
    size_t lp = strlen(parent), ln = strlen(name);
    bool root = strcmp(parent, "/") == 0;
    char *s = malloc(lp + ln + 2);
    if (s == NULL)
        return NULL;
    memcpy(s, parent, lp);
    if (!root)
        s[lp++] = '/';
    memcpy(s + lp, name, ln + 1);
    return s;
}

static zk_result visit_children(struct zkcli *x, const char *path, bool watch, visit_fn fn,
                                void *arg, int *status)
{
    zk_string_list *l = NULL;
    const char **names;
    size_t i, n;
    zk_watcher w;
    zk_result rc;
    if (watch)
        w = events_watcher(WATCH_CHILD, path); /* one a call: the library's from then on */
    rc = zk_get_children(x->c, path, watch ? &w : NULL, x->timeout_ms, &l, NULL);
    if (rc != ZK_RESULT_OK)
        return rc;
    if ((names = zkcli_list_names(l, &n, true)) == NULL) {
        zk_string_list_free(l);
        *status = EXIT_FAILED;
        return ZK_RESULT_OK;
    }
    for (i = 0; i < n && *status == 0; i++) {
        char *p = child_path(path, names[i]);
        if (p != NULL)
            *status = fn(x, p, arg);
        free(p);
    }
    for (i = 0; i < n && *status == 0; i++) {
        char *p = child_path(path, names[i]);
        /* A child deleted meanwhile has nothing below it to show. */
        if (p != NULL && (rc = visit_children(x, p, watch, fn, arg, status)) != ZK_RESULT_OK &&
            rc != ZK_RESULT_NO_NODE)
            *status = zkcli_fail(x, "ls", p, rc);
        free(p);
    }
    free(names);
    zk_string_list_free(l);
    return ZK_RESULT_OK;
}

/* The whole tree under path, path first. */
static int visit_tree(struct zkcli *x, const char *cmd, const char *path, bool watch,
                      visit_fn fn, void *arg)
{
    int status = 0;
    zk_result rc = zk_exists(x->c, path, NULL, x->timeout_ms, NULL);
    if (rc == ZK_RESULT_OK) {
        if ((status = fn(x, path, arg)) != 0)
            return status;
        rc = visit_children(x, path, watch, fn, arg, &status);
    }
    return rc != ZK_RESULT_OK ? zkcli_fail(x, cmd, path, rc) : status;
}

static int print_path(struct zkcli *x, const char *path, void *arg)
{
    (void)x;
    (void)arg;
    printf("%s\n", path);
    return 0;
}

/* ------------------------------------------------------------------ commands */

static int cmd_ls(struct zkcli *x, int argc, char **argv)
{
    zk_watcher w;
    struct opts o;
    zk_string_list *l = NULL;
    const char **names;
    const char *path;
    size_t n;
    zk_stat st;
    zk_result rc;
    int bad = zkcli_parse_opts(x, argc, argv, "swR", &o);
    if (bad)
        return bad;
    if (o.npos != 1) {
        free(o.pos);
        return synopsis_error(x, argv[0]);
    }
    path = o.pos[0];
    free(o.pos);
    if (HAS(o, 'R'))
        return visit_tree(x, "ls", path, HAS(o, 'w'), print_path, NULL);
    rc = zk_get_children(x->c, path, watcher(&o, &w, WATCH_CHILD, path), x->timeout_ms, &l, &st);
    if (rc != ZK_RESULT_OK)
        return zkcli_fail(x, "ls", path, rc);
    names = zkcli_list_names(l, &n, true);
    if (names != NULL)
        zkcli_print_list(x, names, n);
    free(names);
    zk_string_list_free(l);
    if (names != NULL && HAS(o, 's'))
        zkcli_print_stat(x, &st);
    return names != NULL ? 0 : EXIT_FAILED;
}

static int cmd_get(struct zkcli *x, int argc, char **argv)
{
    zk_watcher w;
    struct opts o;
    zk_buffer b = { NULL, 0 };
    const char *path;
    zk_stat st;
    zk_result rc;
    int bad = zkcli_parse_opts(x, argc, argv, "sw", &o);
    if (bad)
        return bad;
    if (o.npos != 1) {
        free(o.pos);
        return synopsis_error(x, argv[0]);
    }
    path = o.pos[0];
    free(o.pos);
    rc = zk_get(x->c, path, watcher(&o, &w, WATCH_GET, path), x->timeout_ms, &b, &st);
    if (rc != ZK_RESULT_OK)
        return zkcli_fail(x, "get", path, rc);
    if (b.len > 0 && fwrite(b.data, 1, b.len, stdout) != b.len) {
        zk_buffer_free(&b);
        fprintf(stderr, "zkcli: get: write error\n");
        return EXIT_FAILED;
    }
    /* The shell ends the data with a line break, as zkCli.sh does; one-shot mode writes
     * the bytes as they are, with a line break for text on a terminal or before a Stat. */
    if (x->shell ||
        (b.len > 0 && b.data[b.len - 1] != '\n' && (isatty(STDOUT_FILENO) || HAS(o, 's'))))
        putchar('\n');
    zk_buffer_free(&b);
    if (HAS(o, 's'))
        zkcli_print_stat(x, &st);
    if (x->verbose && !x->shell)
        print_stat_line(&st);
    return 0;
}

static int cmd_set(struct zkcli *x, int argc, char **argv)
{
    struct opts o;
    long version = -1;
    const char *path, *data;
    zk_stat st;
    zk_result rc;
    int bad = zkcli_parse_opts(x, argc, argv, "sv:", &o);
    if (bad)
        return bad;
    if (o.npos < 2 || o.npos > 3 || (o.npos == 3 && HAS(o, 'v'))) {
        free(o.pos);
        return synopsis_error(x, argv[0]);
    }
    path = o.pos[0];
    data = o.pos[1];
    if (HAS(o, 'v') || o.npos == 3) {
        const char *v = HAS(o, 'v') ? o.opt['v'] : o.pos[2];
        if (!zkcli_parse_long(v, -1, INT32_MAX, &version)) {
            free(o.pos);
            return zkcli_usage(x, argv[0], "bad version '%s'", v);
        }
    }
    free(o.pos);
    rc = zk_set(x->c, path, (const uint8_t *)data, strlen(data), (int32_t)version, x->timeout_ms,
                &st);
    if (rc != ZK_RESULT_OK)
        return zkcli_fail(x, "set", path, rc);
    if (HAS(o, 's'))
        zkcli_print_stat(x, &st);
    if (x->verbose && !x->shell)
        print_stat_line(&st);
    return 0;
}


static int cmd_create(struct zkcli *x, int argc, char **argv)
{
    struct opts o;
    uint32_t flags = 0;
    long long ttl = 0;
    const char *path, *data = NULL;
    char *created = NULL, *store = NULL;
    zk_acl *acl = NULL;
    size_t nacl = 0;
    zk_result rc;
    int bad = zkcli_parse_opts(x, argc, argv, "escpt:", &o);
    if (bad)
        return bad;
    if (o.npos < 1 || o.npos > 3) {
        free(o.pos);
        return synopsis_error(x, argv[0]);
    }
    path = o.pos[0];
    if (o.npos >= 2)
        data = o.pos[1];
    if (HAS(o, 'c') && (HAS(o, 'e') || HAS(o, 's'))) {
        free(o.pos);
        return zkcli_usage(x, argv[0], "-c cannot be combined with -s or -e. Containers "
                                       "cannot be ephemeral or sequential.");
    }
    if (HAS(o, 't') && !zkcli_parse_ll(o.opt['t'], 10, &ttl)) {
        free(o.pos);
        return zkcli_usage(x, argv[0], "-t argument must be a long value");
    }
    if (HAS(o, 't') && HAS(o, 'e')) {
        free(o.pos);
        return zkcli_usage(x, argv[0], "TTLs cannot be used with Ephemeral znodes");
    }
    if (HAS(o, 't') && HAS(o, 'c')) {
        free(o.pos);
        return zkcli_usage(x, argv[0], "TTLs cannot be used with Container znodes");
    }
    if (HAS(o, 't') && (ttl <= 0 || ttl > MAX_TTL)) {
        free(o.pos);
        return zkcli_usage(x, argv[0], "ttl must be positive and cannot be larger than: %lld",
                           MAX_TTL);
    }
    if (o.npos == 3 && zkcli_parse_acl(x, o.pos[2], &acl, &nacl, &store) < 0) {
        free(o.pos);
        return EXIT_FAILED;
    }
    free(o.pos);
    if (HAS(o, 'e'))
        flags |= ZK_CREATE_FLAG_EPHEMERAL;
    if (HAS(o, 's'))
        flags |= ZK_CREATE_FLAG_SEQUENCE;
    if (HAS(o, 'c'))
        flags |= ZK_CREATE_FLAG_CONTAINER;
    if (HAS(o, 'p'))
        flags |= ZK_CREATE_FLAG_MAKEPATH;
    if (acl != NULL && nacl == 0) {
        /* Every entry was bad: the server would refuse an empty ACL (zkCli.sh's messages
         * name no path then). */
        free(acl);
        free(store);
        if (x->shell)
            fprintf(stderr, "KeeperErrorCode = InvalidACL\n");
        return zkcli_fail(x, "create", NULL, ZK_RESULT_INVALID_ACL);
    }
    rc = zk_create(x->c, path, (const uint8_t *)data, data ? strlen(data) : 0, acl, nacl, flags,
                   ttl, x->timeout_ms, &created, NULL);
    free(acl);
    free(store);
    if (rc == ZK_RESULT_INVALID_ACL && x->shell)
        fprintf(stderr, "KeeperErrorCode = InvalidACL for %s\n", path); /* zkCli.sh's too */
    if (rc != ZK_RESULT_OK)
        return zkcli_fail(x, "create", path, rc);
    if (x->shell)
        fprintf(stderr, "Created %s\n", created);
    else
        printf("%s\n", created);
    zk_string_free(created);
    return 0;
}

static int cmd_delete(struct zkcli *x, int argc, char **argv)
{
    struct opts o;
    long version = -1;
    const char *path;
    zk_result rc;
    int bad = zkcli_parse_opts(x, argc, argv, "v:r", &o);
    if (bad)
        return bad;
    if (o.npos < 1 || o.npos > 2 || (o.npos == 2 && HAS(o, 'v'))) {
        free(o.pos);
        return synopsis_error(x, argv[0]);
    }
    path = o.pos[0];
    if (HAS(o, 'v') || o.npos == 2) {
        const char *v = HAS(o, 'v') ? o.opt['v'] : o.pos[1];
        if (!zkcli_parse_long(v, -1, INT32_MAX, &version)) {
            free(o.pos);
            return zkcli_usage(x, argv[0], "bad version '%s'", v);
        }
    }
    free(o.pos);
    rc = zk_delete(x->c, path, (int32_t)version, HAS(o, 'r'), x->timeout_ms);
    return rc == ZK_RESULT_OK ? 0 : zkcli_fail(x, "delete", path, rc);
}

static int cmd_deleteall(struct zkcli *x, int argc, char **argv)
{
    struct opts o;
    long batch;
    const char *path;
    zk_result rc;
    int bad = zkcli_parse_opts(x, argc, argv, "b:", &o);
    if (bad)
        return bad;
    if (o.npos != 1) {
        free(o.pos);
        return synopsis_error(x, argv[0]);
    }
    path = o.pos[0];
    free(o.pos);
    /* zkCli.sh deletes in multis of that many; the library deletes depth first, one node
     * a request, so the size is only checked. */
    if (HAS(o, 'b') && !zkcli_parse_long(o.opt['b'], 1, INT_MAX, &batch))
        return zkcli_usage(x, argv[0], "batch size must be a positive number");
    rc = zk_delete(x->c, path, -1, true, x->timeout_ms);
    return rc == ZK_RESULT_OK ? 0 : zkcli_fail(x, "deleteall", path, rc);
}

static int cmd_stat(struct zkcli *x, int argc, char **argv)
{
    zk_watcher w;
    struct opts o;
    const char *path;
    zk_stat st;
    zk_result rc;
    int bad = zkcli_parse_opts(x, argc, argv, "w", &o);
    if (bad)
        return bad;
    if (o.npos != 1) {
        free(o.pos);
        return synopsis_error(x, argv[0]);
    }
    path = o.pos[0];
    free(o.pos);
    rc = zk_exists(x->c, path, watcher(&o, &w, WATCH_EXISTS, path), x->timeout_ms, &st);
    if (rc != ZK_RESULT_OK)
        return zkcli_fail(x, "stat", path, rc);
    zkcli_print_stat(x, &st);
    return 0;
}

static int cmd_get_acl(struct zkcli *x, int argc, char **argv)
{
    struct opts o;
    zk_acl_list *l = NULL;
    const char *path;
    size_t i, n;
    zk_stat st;
    zk_result rc;
    int bad = zkcli_parse_opts(x, argc, argv, "s", &o);
    if (bad)
        return bad;
    if (o.npos != 1) {
        free(o.pos);
        return synopsis_error(x, argv[0]);
    }
    path = o.pos[0];
    free(o.pos);
    rc = zk_get_acl(x->c, path, x->timeout_ms, &l, &st);
    if (rc != ZK_RESULT_OK)
        return zkcli_fail(x, argv[0], path, rc);
    n = zk_acl_list_len(l);
    for (i = 0; i < n; i++) {
        zk_acl a;
        char perms[6];
        if (zk_acl_list_get(l, i, &a) != ZK_RESULT_OK)
            continue;
        perm_string(a.perms, perms);
        if (strcmp(argv[0], "acl") == 0)
            printf("%s:%s %s\n", a.scheme, a.id, perms); /* zkcli's own one-line form */
        else
            printf("'%s,'%s\n: %s\n", a.scheme, a.id, perms);
    }
    zk_acl_list_free(l);
    if (HAS(o, 's'))
        zkcli_print_stat(x, &st);
    return 0;
}

struct set_acl {
    const zk_acl *acl;
    size_t n;
    long version;
    int status; /* the last failure's */
};

/* One node of setAcl -R: a failure is reported and the others are done all the same, as
 * zkCli.sh does. */
static int set_acl_one(struct zkcli *x, const char *path, void *arg)
{
    struct set_acl *s = arg;
    zk_result rc = zk_set_acl(x->c, path, s->acl, s->n, (int32_t)s->version, x->timeout_ms, NULL);
    if (rc != ZK_RESULT_OK)
        s->status = zkcli_fail(x, "setAcl", path, rc);
    return 0;
}

static int cmd_set_acl(struct zkcli *x, int argc, char **argv)
{
    struct opts o;
    struct set_acl s = { NULL, 0, -1, 0 };
    zk_acl *acl = NULL;
    char *store = NULL;
    const char *path;
    zk_stat st;
    zk_result rc = ZK_RESULT_OK;
    int status, bad = zkcli_parse_opts(x, argc, argv, "sv:R", &o);
    if (bad)
        return bad;
    if (o.npos != 2) {
        free(o.pos);
        return synopsis_error(x, argv[0]);
    }
    path = o.pos[0];
    if (HAS(o, 'v') && !zkcli_parse_long(o.opt['v'], -1, INT32_MAX, &s.version)) {
        free(o.pos);
        return zkcli_usage(x, argv[0], "bad version '%s'", o.opt['v']);
    }
    if (zkcli_parse_acl(x, o.pos[1], &acl, &s.n, &store) < 0) {
        free(o.pos);
        return EXIT_FAILED;
    }
    free(o.pos);
    s.acl = acl;
    if (s.n == 0) {
        status = zkcli_fail(x, "setAcl", NULL, ZK_RESULT_INVALID_ACL);
    } else if (HAS(o, 'R')) {
        if ((status = visit_tree(x, "setAcl", path, false, set_acl_one, &s)) == 0)
            status = s.status;
    } else {
        rc = zk_set_acl(x->c, path, acl, s.n, (int32_t)s.version, x->timeout_ms, &st);
        status = rc == ZK_RESULT_OK ? 0 : zkcli_fail(x, "setAcl", path, rc);
    }
    free(acl);
    free(store);
    if (status == 0 && HAS(o, 's')) {
        if (HAS(o, 'R') && (rc = zk_exists(x->c, path, NULL, x->timeout_ms, &st)) != ZK_RESULT_OK)
            return zkcli_fail(x, "setAcl", path, rc);
        zkcli_print_stat(x, &st);
    }
    return status;
}

static int cmd_addauth(struct zkcli *x, int argc, char **argv)
{
    zk_result rc;
    if (argc != 3)
        return synopsis_error(x, argv[0]);
    rc = zk_add_auth(x->c, argv[1], (const uint8_t *)argv[2], strlen(argv[2]), x->timeout_ms);
    return rc == ZK_RESULT_OK ? 0 : zkcli_fail(x, "addauth", NULL, rc);
}

static int cmd_add_watch(struct zkcli *x, int argc, char **argv)
{
    zk_watcher w;
    struct opts o;
    bool recursive = true;
    const char *path;
    zk_result rc;
    int bad = zkcli_parse_opts(x, argc, argv, "m:", &o);
    if (bad)
        return bad;
    if (o.npos != 1) {
        free(o.pos);
        return synopsis_error(x, argv[0]);
    }
    path = o.pos[0];
    free(o.pos);
    if (HAS(o, 'm')) {
        if (strcmp(o.opt['m'], "PERSISTENT") == 0)
            recursive = false;
        else if (strcmp(o.opt['m'], "PERSISTENT_RECURSIVE") != 0)
            return synopsis_error(x, argv[0]);
    }
    w = events_watcher(recursive ? WATCH_RECURSIVE : WATCH_PERSISTENT, path);
    rc = zk_add_watch(x->c, path, recursive, &w, x->timeout_ms);
    return rc == ZK_RESULT_OK ? 0 : zkcli_fail(x, "addWatch", path, rc);
}

static int cmd_remove_watches(struct zkcli *x, int argc, char **argv)
{
    struct opts o;
    uint32_t type = ZK_WATCHER_TYPE_ANY;
    const char *path;
    zk_result rc;
    int bad = zkcli_parse_opts(x, argc, argv, "cdal", &o);
    if (bad)
        return bad;
    if (o.npos != 1) {
        free(o.pos);
        return synopsis_error(x, argv[0]);
    }
    path = o.pos[0];
    free(o.pos);
    if (HAS(o, 'c'))
        type = ZK_WATCHER_TYPE_CHILDREN;
    else if (HAS(o, 'd'))
        type = ZK_WATCHER_TYPE_DATA;
    rc = zk_remove_watches(x->c, path, type, HAS(o, 'l'), x->timeout_ms);
    return rc == ZK_RESULT_OK ? 0 : zkcli_fail(x, "removewatches", path, rc);
}

static int cmd_print_watches(struct zkcli *x, int argc, char **argv)
{
    if (argc == 1) {
        printf("printwatches is %s\n", x->print_watches ? "on" : "off");
        return 0;
    }
    if (argc != 2 || (strcmp(argv[1], "on") != 0 && strcmp(argv[1], "off") != 0))
        return synopsis_error(x, argv[0]);
    x->print_watches = strcmp(argv[1], "on") == 0;
    return 0;
}

static int one_path(struct zkcli *x, int argc, char **argv, const char **path)
{
    if (argc != 2)
        return synopsis_error(x, argv[0]);
    *path = argv[1];
    return 0;
}

static int cmd_sync(struct zkcli *x, int argc, char **argv)
{
    const char *path = NULL;
    zk_result rc;
    int bad = one_path(x, argc, argv, &path);
    if (bad)
        return bad;
    rc = zk_sync(x->c, path, x->timeout_ms);
    if (rc != ZK_RESULT_OK)
        return zkcli_fail(x, "sync", path, rc);
    if (x->shell)
        printf("Sync is OK\n");
    return 0;
}

static int cmd_ensure(struct zkcli *x, int argc, char **argv)
{
    const char *path = NULL;
    zk_result rc;
    int bad = one_path(x, argc, argv, &path);
    if (bad)
        return bad;
    rc = zk_ensure_path(x->c, path, NULL, 0, x->timeout_ms);
    return rc == ZK_RESULT_OK ? 0 : zkcli_fail(x, "ensure", path, rc);
}

static int cmd_get_ephemerals(struct zkcli *x, int argc, char **argv)
{
    zk_string_list *l = NULL;
    const char **names;
    const char *path = argc == 2 ? argv[1] : "/";
    size_t n;
    zk_result rc;
    if (argc > 2)
        return synopsis_error(x, argv[0]);
    rc = zk_get_ephemerals(x->c, path, x->timeout_ms, &l);
    if (rc != ZK_RESULT_OK)
        return zkcli_fail(x, "getEphemerals", path, rc);
    /* The server's order, as zkCli.sh shows it. */
    names = zkcli_list_names(l, &n, false);
    if (names != NULL)
        zkcli_print_list(x, names, n);
    free(names);
    zk_string_list_free(l);
    return names != NULL ? 0 : EXIT_FAILED;
}

static int cmd_get_all_children_number(struct zkcli *x, int argc, char **argv)
{
    const char *path = NULL;
    uint32_t n;
    zk_result rc;
    int bad = one_path(x, argc, argv, &path);
    if (bad)
        return bad;
    rc = zk_get_all_children_number(x->c, path, x->timeout_ms, &n);
    if (rc != ZK_RESULT_OK)
        return zkcli_fail(x, "getAllChildrenNumber", path, rc);
    printf("%u\n", n);
    return 0;
}

static int cmd_whoami(struct zkcli *x, int argc, char **argv)
{
    zk_identity_list *l = NULL;
    size_t i, n;
    zk_result rc;
    if (argc != 1)
        return synopsis_error(x, argv[0]);
    rc = zk_who_am_i(x->c, x->timeout_ms, &l);
    if (rc != ZK_RESULT_OK)
        return zkcli_fail(x, "whoami", NULL, rc);
    printf("Auth scheme: User\n");
    n = zk_identity_list_len(l);
    for (i = 0; i < n; i++) {
        zk_identity id;
        if (zk_identity_list_get(l, i, &id) == ZK_RESULT_OK)
            printf("%s: %s\n", id.scheme, id.user);
    }
    zk_identity_list_free(l);
    return 0;
}

/* The members' client addresses as zkCli.sh's `config -c` prints them: the config's
 * version, a space, the connect string. */
static void print_client_config(const uint8_t *data, size_t len)
{
    zk_config *cfg = NULL;
    int64_t version;
    if (zk_config_parse(data, len, &cfg) != ZK_RESULT_OK) {
        printf(" \n");
        return;
    }
    version = zk_config_version(cfg);
    if (version >= 0)
        printf("%llx", (unsigned long long)version);
    printf(" %s\n", zk_config_connect_string(cfg));
    zk_config_free(cfg);
}

static int cmd_config(struct zkcli *x, int argc, char **argv)
{
    zk_watcher w;
    struct opts o;
    zk_buffer b = { NULL, 0 };
    zk_stat st;
    zk_result rc;
    int bad = zkcli_parse_opts(x, argc, argv, "cws", &o);
    if (bad)
        return bad;
    free(o.pos);
    if (o.npos != 0)
        return synopsis_error(x, argv[0]);
    rc = zk_get_config(x->c, watcher(&o, &w, WATCH_GET, "/zookeeper/config"), x->timeout_ms, &b,
                       &st);
    if (rc != ZK_RESULT_OK)
        return zkcli_fail(x, "config", "/zookeeper/config", rc);
    if (HAS(o, 'c')) {
        print_client_config(b.data, b.len);
    } else {
        if (b.len > 0)
            fwrite(b.data, 1, b.len, stdout);
        putchar('\n');
    }
    zk_buffer_free(&b);
    if (HAS(o, 's'))
        zkcli_print_stat(x, &st);
    return 0;
}

/* Appends the ','-separated items of s to list (strings owned by store). */
static bool add_items(char *s, char ***list, size_t *n)
{
    char *save = NULL, *item;
    for (item = strtok_r(s, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
        char **grown = realloc(*list, (*n + 1) * sizeof **list);
        if (grown == NULL)
            return false;
        *list = grown;
        (*list)[(*n)++] = item;
    }
    return true;
}

/* The server lines of a dynamic config file, as zkCli.sh's `reconfig -file` reads it. */
static bool read_member_file(const char *file, char ***list, size_t *n, char **store)
{
    FILE *f = fopen(file, "r");
    char *line = NULL, *all = NULL;
    size_t cap = 0, len = 0;
    ssize_t k;
    bool ok = true;
    if (f == NULL)
        return false;
    while (ok && (k = getline(&line, &cap, f)) >= 0) {
        char *grown;
        while (k > 0 && (line[k - 1] == '\n' || line[k - 1] == '\r' || line[k - 1] == ' '))
            line[--k] = '\0';
        if (strncmp(line, "server.", 7) != 0)
            continue;
        if ((grown = realloc(all, len + (size_t)k + 2)) == NULL) {
            ok = false;
            break;
        }
        all = grown;
        if (len > 0)
            all[len++] = ',';
        memcpy(all + len, line, (size_t)k + 1);
        len += (size_t)k;
    }
    free(line);
    fclose(f);
    *store = all;
    return ok && (all == NULL || add_items(all, list, n));
}

static int cmd_reconfig(struct zkcli *x, int argc, char **argv)
{
    char **joining = NULL, **members = NULL, *store[64];
    uint64_t *leaving = NULL;
    size_t nj = 0, nl = 0, nm = 0, nstore = 0, k;
    long long from = -1;
    bool stat = false, from_file = false;
    zk_buffer b = { NULL, 0 };
    zk_stat st;
    zk_result rc;
    int i, status = EXIT_USAGE;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        char *copy;
        if (strcmp(a, "-s") == 0) {
            stat = true;
            continue;
        }
        if (i + 1 >= argc || nstore == sizeof store / sizeof store[0])
            goto usage;
        if (strcmp(a, "-v") == 0) {
            /* The config's version, in hex as its "version=" line shows it. */
            if (!zkcli_parse_ll(argv[++i], 16, &from) || from < 0)
                goto usage;
        } else if (strcmp(a, "-file") == 0) {
            if (!read_member_file(argv[++i], &members, &nm, &store[nstore])) {
                if (store[nstore] != NULL)
                    nstore++;
                fprintf(stderr, "cannot read the members from %s\n", argv[i]);
                status = EXIT_FAILED;
                goto done;
            }
            nstore++;
            from_file = true;
        } else if (strcmp(a, "-add") == 0 || strcmp(a, "-members") == 0 ||
                   strcmp(a, "-remove") == 0) {
            if ((copy = store[nstore++] = strdup(argv[++i])) == NULL)
                goto oom;
            if (strcmp(a, "-remove") == 0) {
                char **ids = NULL;
                size_t nids = 0;
                if (!add_items(copy, &ids, &nids))
                    goto oom;
                for (k = 0; k < nids; k++) {
                    long long id;
                    uint64_t *grown;
                    if (!zkcli_parse_ll(ids[k], 10, &id) || id < 0) {
                        free(ids);
                        goto usage;
                    }
                    if ((grown = realloc(leaving, (nl + 1) * sizeof *leaving)) == NULL) {
                        free(ids);
                        goto oom;
                    }
                    leaving = grown;
                    leaving[nl++] = (uint64_t)id;
                }
                free(ids);
            } else if (!add_items(copy, a[1] == 'a' ? &joining : &members, a[1] == 'a' ? &nj : &nm)) {
                goto oom;
            }
        } else {
            goto usage;
        }
    }
    if (nj + nl + nm == 0 || (nm > 0 && nj + nl > 0) || (from_file && nj + nl > 0))
        goto usage;
    rc = zk_reconfig(x->c, (const char *const *)joining, nj, leaving, nl,
                     (const char *const *)members, nm, from, x->timeout_ms, &b, &st);
    if (rc != ZK_RESULT_OK) {
        status = zkcli_fail(x, "reconfig", "", rc); /* zkCli.sh names no path */
        goto done;
    }
    printf("Committed new configuration:\n");
    if (b.len > 0)
        fwrite(b.data, 1, b.len, stdout);
    putchar('\n');
    zk_buffer_free(&b);
    if (stat)
        zkcli_print_stat(x, &st);
    status = 0;
    goto done;
oom:
    fprintf(stderr, "zkcli: out of memory\n");
    status = EXIT_FAILED;
    goto done;
usage:
    status = synopsis_error(x, argv[0]);
done:
    for (k = 0; k < nstore; k++)
        free(store[k]);
    free(joining);
    free(members);
    free(leaving);
    return status;
}

static int cmd_connect(struct zkcli *x, int argc, char **argv)
{
    char *hosts;
    zk_result rc;
    if (argc > 2)
        return synopsis_error(x, argv[0]);
    if ((hosts = strdup(argc == 2 ? argv[1] : x->hosts)) == NULL)
        return EXIT_FAILED;
    rc = zkcli_open(x, hosts);
    free(hosts);
    if (rc != ZK_RESULT_OK)
        return zkcli_fail(x, "connect", NULL, rc);
    rc = zkcli_start(x);
    if (rc != ZK_RESULT_OK)
        x->closed = true; /* as after `close`: "Not connected" until a `connect` works */
    return rc == ZK_RESULT_OK ? 0 : zkcli_exit_code(rc);
}

static int cmd_close(struct zkcli *x, int argc, char **argv)
{
    zk_result rc;
    if (argc != 1)
        return synopsis_error(x, argv[0]);
    zkcli_recipes_end(x); /* released and left before the session ends */
    rc = zk_stop(x->c);
    x->closed = true;
    return rc == ZK_RESULT_OK ? 0 : zkcli_fail(x, "close", NULL, rc);
}

static int cmd_version(struct zkcli *x, int argc, char **argv)
{
    uint32_t major, minor, patch;
    zk_result rc;
    if (argc != 1)
        return synopsis_error(x, argv[0]);
    if (x->shell)
        printf("ZooKeeper CLI version: zkcli on libzkclient %s\n", zk_version());
    if (x->c == NULL)
        return x->shell ? 0 : zkcli_fail(x, "version", NULL, ZK_RESULT_CLOSED);
    rc = zk_server_version(x->c, x->timeout_ms, &major, &minor, &patch);
    if (rc != ZK_RESULT_OK)
        return x->shell ? 0 : zkcli_fail(x, "version", NULL, rc);
    if (x->shell)
        printf("ZooKeeper server version: %u.%u.%u\n", major, minor, patch);
    else
        printf("%u.%u.%u\n", major, minor, patch);
    if (x->verbose && !x->shell)
        fprintf(stderr, "libzkclient %s\n", zk_version());
    return 0;
}

static int cmd_4lw(struct zkcli *x, int argc, char **argv)
{
    char *out = NULL;
    zk_result rc;
    if (argc != 2)
        return synopsis_error(x, argv[0]);
    rc = zk_command(x->c, argv[1], x->timeout_ms, &out);
    if (rc != ZK_RESULT_OK)
        return zkcli_fail(x, "4lw", NULL, rc);
    fputs(out, stdout);
    if (out[0] != '\0' && out[strlen(out) - 1] != '\n')
        putchar('\n');
    zk_string_free(out);
    return 0;
}

static int cmd_history(struct zkcli *x, int argc, char **argv)
{
    int i;
    if (argc != 1)
        return synopsis_error(x, argv[0]);
    for (i = x->count - 10 < 0 ? 0 : x->count - 10; i <= x->count && i < x->history_len; i++)
        printf("%d - %s\n", i, x->history[i]);
    return 0;
}

static int cmd_redo(struct zkcli *x, int argc, char **argv)
{
    long n;
    char *line, *copy;
    size_t len;
    if (argc != 2)
        return synopsis_error(x, argv[0]);
    if (!zkcli_parse_long(argv[1], 0, INT_MAX, &n))
        return zkcli_usage(x, argv[0], "bad command number '%s'", argv[1]);
    if (n >= x->count) {
        fprintf(stderr, "Command index out of range\n");
        return EXIT_USAGE;
    }
    line = x->history[n];
    len = strspn(line, " \t");
    if (strncmp(line + len, "redo", 4) == 0 && (line[len + 4] == '\0' || line[len + 4] == ' ')) {
        fprintf(stderr, "No redoing redo\n");
        return EXIT_USAGE;
    }
    /* As in zkCli.sh, the redone command takes the place of `redo N` in the history. */
    if ((copy = strdup(line)) == NULL)
        return EXIT_FAILED;
    free(x->history[x->count]);
    x->history[x->count] = copy;
    return zkcli_run_line(x, copy);
}

static int cmd_help(struct zkcli *x, int argc, char **argv)
{
    (void)x;
    (void)argc;
    (void)argv;
    zkcli_help(stdout);
    return 0;
}

static int cmd_quit(struct zkcli *x, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    x->quit = true;
    return 0;
}

static const struct command commands[] = {
    { "ls", "[-s] [-w] [-R] path", "children, sorted (-R: the whole tree; -s: and the Stat)",
      cmd_ls, true },
    { "get", "[-s] [-w] path", "the node's data (-w: and a watch)", cmd_get, true },
    { "set", "[-s] [-v version] path data", "set the data (only at that version)", cmd_set, true },
    { "create", "[-s] [-e] [-c] [-t ttl] path [data] [acl]",
      "sequential, ephemeral, container, TTL node; -p: and its missing parents", cmd_create,
      true },
    { "delete", "[-v version] path", "delete a node (-r: with what is below it)", cmd_delete,
      true },
    { "deleteall", "path [-b batch size]", "delete a node and everything below it",
      cmd_deleteall, true },
    { "stat", "[-w] path", "the node's Stat", cmd_stat, true },
    { "getAcl", "[-s] path", "the node's ACL", cmd_get_acl, true },
    { "setAcl", "[-s] [-v version] [-R] path acl",
      "set the ACL, scheme:id:perms[,...] (-R: the whole tree)", cmd_set_acl, true },
    { "acl", "path", "the node's ACL, an entry a line", cmd_get_acl, true },
    { "addauth", "scheme auth", "add a credential to the session (digest user:password)",
      cmd_addauth, true },
    { "addWatch",
      "[-m mode] path # optional mode is one of [PERSISTENT, PERSISTENT_RECURSIVE] - default "
      "is PERSISTENT_RECURSIVE",
      "a persistent watch", cmd_add_watch, true },
    { "removewatches", "path [-c|-d|-a] [-l]",
      "remove child, data or any (default) watches; -l: even offline", cmd_remove_watches, true },
    { "printwatches", "on|off", "print watch events or not", cmd_print_watches, false },
    { "watch", "[-n count] path", "print the node's data and child events until Ctrl-C",
      zkcli_cmd_watch, true },
    { "sync", "path", "wait until the server has caught up with the leader", cmd_sync, true },
    { "ensure", "path", "create the node and its missing parents", cmd_ensure, true },
    { "getEphemerals", "path", "this session's ephemeral nodes under path", cmd_get_ephemerals,
      true },
    { "getAllChildrenNumber", "path", "how many nodes are below path",
      cmd_get_all_children_number, true },
    { "whoami", "", "the identities the server has for this session", cmd_whoami, true },
    { "config", "[-c] [-w] [-s]", "the ensemble's configuration (-c: its connect string)",
      cmd_config, true },
    { "reconfig",
      "[-s] [-v version] [[-file path] | [-members serverID=host:port1:port2;port3[,...]*]] | "
      "[-add serverId=host:port1:port2;port3[,...]]* [-remove serverId[,...]*]",
      "change the ensemble's membership", cmd_reconfig, true },
    { "multi", "[op ...]",
      "a transaction: create, set, delete, check ops, as arguments or one a line until "
      "commit", zkcli_cmd_multi, true },
    { "lock", "[-t timeout_ms] [-i identifier] [-c] [-l] path [command ...]",
      "take the lock on path (kazoo's nodes; -c: Curator's) and hold it: in the shell\n"
      "      until unlock, else until Ctrl-C or the end of input; with a command, while it\n"
      "      runs. -t: wait at most this long (0: one look; default: no limit); -i: who\n"
      "      we are in contenders lists (default host-pid); -l: the contenders, holder first",
      zkcli_cmd_lock, true },
    { "unlock", "path", "release a lock the shell holds", zkcli_cmd_unlock, false },
    { "election", "[-t timeout_ms] [-i identifier] [-c] [-l] path [command ...]",
      "take part in the election on path: the shell campaigns in the background, and\n"
      "      says when it leads, until resign; else wait to lead, and lead until Ctrl-C or\n"
      "      the end of input; with a command, run it as the leader. Options as lock's",
      zkcli_cmd_election, true },
    { "resign", "path", "leave the shell's election on path (leading or waiting)",
      zkcli_cmd_unlock, false },
    { "locks", "", "the shell's locks and elections: kind, path, state (and a lock's node)",
      zkcli_cmd_locks, false },
    { "4lw", "command", "a four-letter word (ruok, srvr, mntr, ...)", cmd_4lw, false },
    { "version", "", "zkcli's version and the server's", cmd_version, false },
    { "connect", "host:port", "a new session, with these servers (host:port[,...][/chroot]; "
      "default: the same)", cmd_connect, false },
    { "close", "", "end the session", cmd_close, true },
    { "history", "", "the last commands, numbered", cmd_history, false },
    { "redo", "cmdno", "run command number cmdno again", cmd_redo, false },
    { "help", "", "this list", cmd_help, false },
    { "quit", "", "leave the shell", cmd_quit, false },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const struct command *find_command(const char *name)
{
    size_t i;
    for (i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

const char *zkcli_command_name(size_t i)
{
    return i < NCOMMANDS ? commands[i].name : NULL;
}

bool zkcli_is_command(const char *name)
{
    return find_command(name) != NULL;
}

bool zkcli_needs_session(const char *name)
{
    const struct command *c = find_command(name);
    return c != NULL && c->session;
}

void zkcli_help(FILE *out)
{
    size_t i;
    for (i = 0; i < NCOMMANDS; i++) {
        fprintf(out, "  ");
        print_synopsis(out, &commands[i]);
        fprintf(out, "      %s\n", commands[i].help);
    }
}

int zkcli_run(struct zkcli *x, int argc, char **argv)
{
    const struct command *c = find_command(argv[0]);
    int status;
    if (c == NULL) {
        if (x->shell) {
            fprintf(stderr, "Command not found: %s (help lists the commands)\n", argv[0]);
            return EXIT_USAGE;
        }
        return zkcli_usage(x, NULL, "unknown command '%s'", argv[0]);
    }
    if (c->session && x->shell && not_connected(x)) {
        printf("Not connected\n");
        return EXIT_CONNECTION;
    }
    status = c->run(x, argc, argv);
    events_settled();
    return status;
}

/* ------------------------------------------------------------------ lines */

/* Splits a line into words as zkCli.sh does: blanks separate them, and a word that
 * starts with a quote (" or ') runs to the same quote, blanks included, without the
 * quotes; there are no escapes. Returns NULL when out of memory. */
char **zkcli_split(const char *line, int *argc)
{
    char **words = NULL;
    int n = 0;
    const char *p = line;
    for (;;) {
        const char *start, *end;
        char **grown;
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (*p == '\0')
            break;
        if ((*p == '"' || *p == '\'') && strchr(p + 1, *p) != NULL) {
            start = p + 1;
            end = strchr(start, *p);
            p = end + 1;
        } else {
            if (*p == '"' || *p == '\'')
                p++; /* a quote that never closes is dropped */
            start = p;
            while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
                p++;
            end = p;
        }
        if ((grown = realloc(words, (size_t)(n + 2) * sizeof *words)) == NULL)
            goto oom;
        words = grown;
        if ((words[n] = malloc((size_t)(end - start) + 1)) == NULL)
            goto oom;
        memcpy(words[n], start, (size_t)(end - start));
        words[n][end - start] = '\0';
        words[++n] = NULL;
    }
    *argc = n;
    if (words == NULL)
        words = calloc(1, sizeof *words);
    return words;
oom:
    zkcli_free_words(words, n);
    return NULL;
}

void zkcli_free_words(char **words, int argc)
{
    int i;
    if (words == NULL)
        return;
    for (i = 0; i < argc; i++)
        free(words[i]);
    free(words);
}

/* Records line as command number x->count. */
bool zkcli_history_add(struct zkcli *x, const char *line)
{
    char **grown;
    char *copy = strdup(line);
    if (copy == NULL || (grown = realloc(x->history, (size_t)(x->count + 1) * sizeof *grown)) == NULL) {
        free(copy);
        return false;
    }
    x->history = grown;
    x->history[x->count] = copy;
    x->history_len = x->count + 1;
    return true;
}

/* Runs one line of the shell; an empty line does nothing. */
int zkcli_run_line(struct zkcli *x, const char *line)
{
    int argc = 0, status;
    char **argv = zkcli_split(line, &argc);
    if (argv == NULL) {
        fprintf(stderr, "zkcli: out of memory\n");
        return EXIT_FAILED;
    }
    status = argc > 0 ? zkcli_run(x, argc, argv) : 0;
    zkcli_free_words(argv, argc);
    return status;
}
