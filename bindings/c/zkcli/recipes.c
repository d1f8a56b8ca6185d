/* zkcli's lock and election commands, on the C API's recipes (zk_lock_*, zk_election_*).
 * They write kazoo's znodes (Curator's with -c), so zkcli takes turns with kazoo and
 * Curator programs on the same path:
 *
 *   lock [-t timeout_ms] [-i identifier] [-c] path [command ...]      unlock path
 *   election [-t timeout_ms] [-i identifier] [-c] path [command ...]  resign path
 *   lock -l path, election -l path: the contenders in order; locks: what the shell has
 *
 * With a command, in either mode, the command runs holding the lock (as the leader),
 * which is released after it. Without one, one-shot mode holds it until Ctrl-C, SIGTERM
 * or the end of standard input (which ends the holding, not the wait), printing "HELD
 * path" ("LEADER path") once it has it and each state change after ("SUSPENDED path",
 * "HELD path", "LOST path"); the shell keeps a lock until `unlock`, and campaigns in the
 * background until `resign`, printing when leadership comes and each state change as it
 * prints watch events ("LOCK::", "ELECTION::"). Not getting the lock before -t's
 * timeout, or Ctrl-C while waiting, is exit status 9; losing it (the session ended) 8.
 *
 * Threads: a wait in the foreground (zk_lock_acquire, zk_election_campaign) runs on the
 * main thread while a helper thread waits for Ctrl-C or SIGTERM and cancels it
 * (a signal handler may not call the library: it only writes to a pipe); the shell's
 * campaigns run on threads of their own; the state callbacks run on the library's event
 * thread and only print or queue a line.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zkcli.h"

enum kind { LOCK, ELECTION };

/* The words of each kind. */
static const struct {
    const char *cmd;     /* the command */
    const char *release; /* the command that gives it up */
    const char *held;    /* the state of having it */
    const char *title;   /* the shell's event lines: "Lock state:..." */
    const char *upper;   /* and the line above them: "LOCK::" */
} words[] = {
    { "lock", "unlock", "HELD", "Lock", "LOCK" },
    { "election", "resign", "LEADER", "Election", "ELECTION" },
};

/* A lock, or a contender in an election. */
struct held {
    struct held *next;
    enum kind kind;
    char *path;
    zk_lock *lock;
    zk_election *election;
    /* The shell's campaign, on a thread of its own, waiting at most timeout_ms. */
    pthread_t thread;
    bool has_thread;
    int64_t timeout_ms;
    bool campaigning; /* under mu */
};

/* The campaigns' state, and the helper thread's "done". */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

/* ------------------------------------------------------------------ both kinds */

static int new_held(struct zkcli *x, enum kind k, const char *path, const char *identifier,
                    bool curator, struct held **out)
{
    uint32_t layout = curator ? ZK_LAYOUT_CURATOR : ZK_LAYOUT_KAZOO;
    struct held *h = calloc(1, sizeof *h);
    zk_result rc;
    if (h == NULL || (h->path = strdup(path)) == NULL) {
        free(h);
        fprintf(stderr, "zkcli: out of memory\n");
        return EXIT_FAILED;
    }
    h->kind = k;
    rc = k == LOCK ? zk_lock_new(x->c, path, identifier, ZK_LOCK_KIND_EXCLUSIVE, layout, &h->lock)
                   : zk_election_new(x->c, path, identifier, layout, &h->election);
    if (rc != ZK_RESULT_OK) {
        free(h->path);
        free(h);
        return zkcli_fail(x, words[k].cmd, path, rc);
    }
    *out = h;
    return 0;
}

static zk_result acquire(struct held *h, int64_t timeout_ms)
{
    return h->kind == LOCK ? zk_lock_acquire(h->lock, timeout_ms)
                           : zk_election_campaign(h->election, timeout_ms);
}

static void cancel(struct held *h)
{
    if (h->kind == LOCK)
        zk_lock_cancel(h->lock);
    else
        zk_election_cancel(h->election);
}

static void clear_cancel(struct held *h)
{
    if (h->kind == LOCK)
        zk_lock_clear_cancel(h->lock);
    else
        zk_election_clear_cancel(h->election);
}

/* Releases the lock, resigns; forgets a lost one. */
static zk_result release(struct held *h)
{
    return h->kind == LOCK ? zk_lock_release(h->lock) : zk_election_resign(h->election);
}

static zk_lock_state state_of(const struct held *h)
{
    return h->kind == LOCK ? zk_lock_get_state(h->lock) : zk_election_get_state(h->election);
}

/* Ends a campaign thread, then releases and frees. */
static void free_held(struct held *h)
{
    if (h->has_thread) {
        cancel(h);
        pthread_join(h->thread, NULL);
    }
    if (h->kind == LOCK)
        zk_lock_free(h->lock);
    else
        zk_election_free(h->election);
    free(h->path);
    free(h);
}

static struct held *find(struct zkcli *x, enum kind k, const char *path)
{
    struct held *h;
    for (h = x->held; h != NULL; h = h->next)
        if (h->kind == k && strcmp(h->path, path) == 0)
            return h;
    return NULL;
}

static void append(struct zkcli *x, struct held *h)
{
    struct held **p = &x->held;
    while (*p != NULL)
        p = &(*p)->next;
    h->next = NULL;
    *p = h;
}

static void unlink_held(struct zkcli *x, struct held *h)
{
    struct held **p = &x->held;
    while (*p != NULL && *p != h)
        p = &(*p)->next;
    if (*p == h)
        *p = h->next;
}

static const char *state_word(enum kind k, zk_lock_state s)
{
    switch (s) {
    case ZK_LOCK_STATE_HELD: return words[k].held;
    case ZK_LOCK_STATE_SUSPENDED: return "SUSPENDED";
    case ZK_LOCK_STATE_LOST: return "LOST";
    default: return "NOT_HELD";
    }
}

/* The shell's news of a lock or an election, as its watch events print. */
static void note(enum kind k, const char *state, const char *path, const char *detail)
{
    events_note("\n%s::\n\n%s state:%s path:%s%s\n", words[k].upper, words[k].title, state,
                path, detail);
}

/* ------------------------------------------------------------------ waking up */

/* Written to by the signal handler and the state callbacks: the wait for Ctrl-C, the
 * end of input or a lost lock sleeps on it. */
static int wake_fds[2] = { -1, -1 };

static bool wake_init(void)
{
    int i;
    if (wake_fds[0] >= 0)
        return true;
    if (pipe(wake_fds) != 0) {
        perror("zkcli: pipe");
        return false;
    }
    for (i = 0; i < 2; i++) {
        fcntl(wake_fds[i], F_SETFL, O_NONBLOCK);
        fcntl(wake_fds[i], F_SETFD, FD_CLOEXEC);
    }
    return true;
}

/* Async-signal-safe. A full pipe already says there is news. */
static void wake_up(void)
{
    char byte = 1;
    int saved = errno;
    if (wake_fds[1] >= 0)
        while (write(wake_fds[1], &byte, 1) < 0 && errno == EINTR)
            ;
    errno = saved;
}

static void on_stop(int sig)
{
    (void)sig;
    zkcli_interrupted = 1;
    wake_up();
}

struct handlers {
    struct sigaction old_int, old_term;
};

/* Ctrl-C and SIGTERM end a wait while these are installed. */
static void handlers_install(struct handlers *s)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    zkcli_interrupted = 0;
    sigaction(SIGINT, &sa, &s->old_int);
    sigaction(SIGTERM, &sa, &s->old_term);
}

static void handlers_restore(struct handlers *s)
{
    /* The terminal echoed ^C: what comes next starts on a line of its own. */
    if (zkcli_interrupted && isatty(STDERR_FILENO))
        fputc('\n', stderr);
    sigaction(SIGINT, &s->old_int, NULL);
    sigaction(SIGTERM, &s->old_term, NULL);
}

/* Sleeps until there is news; true when the wait should end: Ctrl-C, SIGTERM, or (when
 * watched) the end of standard input, whose lines are read and dropped. */
static bool wait_news(bool watch_input)
{
    struct pollfd p[2];
    char buf[512];
    nfds_t n = 1;
    p[0].fd = wake_fds[0];
    p[0].events = POLLIN;
    if (watch_input) {
        p[1].fd = STDIN_FILENO;
        p[1].events = POLLIN;
        n = 2;
    }
    if (poll(p, n, -1) < 0)
        return zkcli_interrupted; /* EINTR */
    while (read(wake_fds[0], buf, sizeof buf) > 0)
        ;
    if (watch_input && (p[1].revents & POLLNVAL))
        return true;
    if (watch_input && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t k = read(STDIN_FILENO, buf, sizeof buf);
        if (k == 0 || (k < 0 && errno != EINTR && errno != EAGAIN))
            return true;
    }
    return zkcli_interrupted;
}

/* The helper thread of a wait in the foreground: cancels it on Ctrl-C or SIGTERM. */
struct canceller {
    struct held *h;
    bool done; /* under mu: the wait is over */
};

static void *canceller_main(void *arg)
{
    struct canceller *c = arg;
    for (;;) {
        bool stop = wait_news(false), done;
        pthread_mutex_lock(&mu);
        done = c->done;
        pthread_mutex_unlock(&mu);
        if (done)
            return NULL;
        if (stop) {
            cancel(c->h);
            return NULL;
        }
    }
}

/* Waits for the lock (leadership) on this thread, at most timeout_ms (negative: no
 * limit), or until Ctrl-C or SIGTERM. The end of standard input does not end the wait: a
 * lock taken with no input (</dev/null) is taken, then released. */
static zk_result wait_for(struct held *h, int64_t timeout_ms)
{
    struct canceller c;
    pthread_t t;
    bool started;
    zk_result rc;
    c.h = h;
    c.done = false;
    started = pthread_create(&t, NULL, canceller_main, &c) == 0;
    rc = acquire(h, timeout_ms);
    if (started) {
        pthread_mutex_lock(&mu);
        c.done = true;
        pthread_mutex_unlock(&mu);
        wake_up();
        pthread_join(t, NULL);
    }
    /* A cancel that came as the wait ended must not end a later one. */
    clear_cancel(h);
    return rc;
}

/* ------------------------------------------------------------------ state changes */

enum where { TO_SHELL, TO_STDOUT, TO_STDERR };

struct watcher {
    enum kind kind;
    enum where where;
    char path[];
};

/* The state callback (the library's event thread): prints or queues the change. */
static void on_state(void *userdata, zk_lock_state s)
{
    const struct watcher *w = userdata;
    const char *word = state_word(w->kind, s);
    switch (w->where) {
    case TO_SHELL: note(w->kind, word, w->path, ""); break;
    case TO_STDOUT:
        printf("%s %s\n", word, w->path);
        fflush(stdout);
        break;
    case TO_STDERR: fprintf(stderr, "zkcli: %s: %s %s\n", words[w->kind].cmd, word, w->path);
    }
    wake_up();
}

/* Makes h's state changes print where the mode wants them. */
static void watch_states(struct held *h, enum where where)
{
    size_t len = strlen(h->path);
    struct watcher *w = malloc(sizeof *w + len + 1);
    zk_result rc;
    if (w == NULL)
        return;
    w->kind = h->kind;
    w->where = where;
    memcpy(w->path, h->path, len + 1);
    /* The library frees w once no call of the callback runs (perhaps after the free). */
    rc = h->kind == LOCK ? zk_lock_set_state_callback(h->lock, on_state, w, free)
                         : zk_election_set_state_callback(h->election, on_state, w, free);
    if (rc != ZK_RESULT_OK)
        fprintf(stderr, "zkcli: %s: state changes will not print: %s\n", words[h->kind].cmd,
                zk_result_message(rc));
}

/* ------------------------------------------------------------------ messages */

/* A wait that ended without the lock: why, and exit status 9 (or the failure's). */
static int not_had(struct zkcli *x, enum kind k, const char *path, zk_result rc, int64_t ms)
{
    char why[64];
    if (rc == ZK_RESULT_TIMED_OUT)
        snprintf(why, sizeof why, "timed out after %lld ms", (long long)ms);
    else if (rc == ZK_RESULT_CANCELLED)
        snprintf(why, sizeof why, "interrupted");
    else
        return zkcli_fail(x, words[k].cmd, path, rc);
    if (x->shell)
        fprintf(stderr, "%s: %s (%s)\n", k == LOCK ? "Lock not acquired" : "Not elected", path,
                why);
    else
        fprintf(stderr, "zkcli: %s: %s: %s (%s)\n", words[k].cmd, path,
                k == LOCK ? "not acquired" : "not elected", why);
    return EXIT_NOT_ACQUIRED;
}

/* The session ended under us: the lock (leadership) is gone. */
static int lost(struct zkcli *x, enum kind k, const char *path, const char *when)
{
    if (x->shell)
        fprintf(stderr, "%s lost%s: %s (the session ended)\n", words[k].title, when, path);
    else
        fprintf(stderr, "zkcli: %s: %s: lost%s (the session ended)\n", words[k].cmd, path, when);
    return EXIT_CONNECTION;
}

/* ------------------------------------------------------------------ the commands */

/* `lock -l` and `election -l`: the identifiers of the contenders, the holder first. */
static int contenders(struct zkcli *x, enum kind k, const char *path, bool curator)
{
    struct held *h = NULL;
    zk_string_list *l = NULL;
    const char **names;
    size_t n;
    zk_result rc;
    int status = new_held(x, k, path, NULL, curator, &h);
    if (status != 0)
        return status;
    rc = k == LOCK ? zk_lock_contenders(h->lock, &l) : zk_election_contenders(h->election, &l);
    free_held(h);
    if (rc != ZK_RESULT_OK)
        return zkcli_fail(x, words[k].cmd, path, rc);
    if ((names = zkcli_list_names(l, &n, false)) == NULL) {
        zk_string_list_free(l);
        return EXIT_FAILED;
    }
    zkcli_print_list(x, names, n);
    free(names);
    zk_string_list_free(l);
    return 0;
}

/* Takes h in the foreground (Ctrl-C and SIGTERM give up), its state changes to print
 * where. 0 once it has it, with the signal handlers left installed in hs for the caller
 * to restore; else the status of not having it. */
static int take(struct zkcli *x, struct held *h, enum where where, int64_t timeout_ms,
                struct handlers *hs)
{
    zk_result rc;
    watch_states(h, where);
    handlers_install(hs);
    rc = wait_for(h, timeout_ms);
    if (rc == ZK_RESULT_OK)
        return 0;
    handlers_restore(hs);
    return not_had(x, h->kind, h->path, rc, timeout_ms);
}

/* Releases h (resigns) after a command or a hold; a failure before it stays the status. */
static int give_back(struct zkcli *x, struct held *h, int status)
{
    zk_result rc = release(h);
    if (rc != ZK_RESULT_OK && status == 0)
        status = zkcli_fail(x, words[h->kind].release, h->path, rc);
    return status;
}

/* With a command: takes h, runs the command, releases. */
static int run_holding(struct zkcli *x, struct held *h, int64_t timeout_ms, int argc,
                       char **argv)
{
    struct handlers hs;
    int status = take(x, h, x->shell ? TO_SHELL : TO_STDERR, timeout_ms, &hs);
    if (status != 0)
        return status;
    handlers_restore(&hs); /* the command's own, or none */
    status = zkcli_run(x, argc, argv);
    if (state_of(h) == ZK_LOCK_STATE_LOST && status == 0)
        status = lost(x, h->kind, h->path, " while the command ran");
    return give_back(x, h, status);
}

/* One-shot mode without a command: takes h and holds it until Ctrl-C, SIGTERM or the end
 * of standard input; 8 if it is lost meanwhile. */
static int hold(struct zkcli *x, struct held *h, int64_t timeout_ms)
{
    struct handlers hs;
    bool stop;
    int status = take(x, h, TO_STDOUT, timeout_ms, &hs);
    if (status != 0)
        return status;
    printf("%s %s\n", words[h->kind].held, h->path);
    fflush(stdout);
    fprintf(stderr, "%s %s (Ctrl-C or the end of input %s)\n",
            h->kind == LOCK ? "holding the lock on" : "leading", h->path,
            h->kind == LOCK ? "releases it" : "resigns");
    for (stop = zkcli_interrupted; !stop;) {
        if (state_of(h) == ZK_LOCK_STATE_LOST) {
            status = EXIT_CONNECTION;
            break;
        }
        stop = wait_news(true);
    }
    handlers_restore(&hs);
    if (status != 0)
        status = lost(x, h->kind, h->path, "");
    return give_back(x, h, status);
}

/* The shell's `lock path`: waits for the lock in the foreground and keeps it. */
static int shell_lock(struct zkcli *x, struct held *h, int64_t timeout_ms)
{
    struct handlers hs;
    int status = take(x, h, TO_SHELL, timeout_ms, &hs);
    if (status != 0) {
        free_held(h);
        return status;
    }
    handlers_restore(&hs);
    append(x, h);
    return 0;
}

/* The shell's campaign: says when leadership comes, or why it will not. */
static void *campaign_main(void *arg)
{
    struct held *h = arg;
    zk_result rc = zk_election_campaign(h->election, h->timeout_ms);
    char detail[128];
    pthread_mutex_lock(&mu);
    h->campaigning = false;
    pthread_mutex_unlock(&mu);
    if (rc == ZK_RESULT_OK) {
        note(ELECTION, "LEADER", h->path, "");
    } else if (rc != ZK_RESULT_CANCELLED) {
        if (rc == ZK_RESULT_TIMED_OUT)
            snprintf(detail, sizeof detail, " (timed out after %lld ms)",
                     (long long)h->timeout_ms);
        else
            snprintf(detail, sizeof detail, " (%s)", zk_result_message(rc));
        note(ELECTION, "NOT_ELECTED", h->path, detail);
    }
    return NULL;
}

/* The shell's `election path`: campaigns in the background and returns. */
static int shell_election(struct zkcli *x, struct held *h, int64_t timeout_ms)
{
    int err;
    watch_states(h, TO_SHELL);
    h->timeout_ms = timeout_ms;
    h->campaigning = true;
    if ((err = pthread_create(&h->thread, NULL, campaign_main, h)) != 0) {
        fprintf(stderr, "zkcli: election: no thread: %s\n", strerror(err));
        free_held(h);
        return EXIT_FAILED;
    }
    h->has_thread = true;
    append(x, h);
    return 0;
}

/* What the shell's entry is now: the word `locks` shows. */
static const char *entry_state(struct held *h)
{
    bool campaigning;
    zk_lock_state s = state_of(h);
    if (h->kind == LOCK)
        return state_word(LOCK, s);
    pthread_mutex_lock(&mu);
    campaigning = h->campaigning;
    pthread_mutex_unlock(&mu);
    if (campaigning)
        return "WAITING";
    return s == ZK_LOCK_STATE_NOT_HELD ? "NOT_ELECTED" : state_word(ELECTION, s);
}

static int cmd_recipe(struct zkcli *x, int argc, char **argv, enum kind k)
{
    struct opts o;
    struct held *h = NULL, *mine;
    long long timeout_ms = -1;
    const char *path, *identifier;
    char host_pid[300];
    int i, bad;

    /* The options come before the path: what follows it is the command's. */
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == '\0')
            break;
        if ((a[1] == 't' || a[1] == 'i') && a[2] == '\0')
            i++; /* its value */
    }
    if ((bad = zkcli_parse_opts(x, i < argc ? i : argc, argv, "t:i:cl", &o)) != 0)
        return bad;
    free(o.pos);
    if (o.npos != 0 || i >= argc)
        return zkcli_usage(x, argv[0], "want [-t timeout_ms] [-i identifier] [-c] [-l] path "
                                       "[command ...]");
    path = argv[i];
    if (HAS(o, 't') && (!zkcli_parse_ll(o.opt['t'], 10, &timeout_ms) || timeout_ms < 0))
        return zkcli_usage(x, argv[0], "bad timeout '%s' (milliseconds, 0: one look)",
                           o.opt['t']);
    if (i + 1 < argc && !zkcli_is_command(argv[i + 1]))
        return zkcli_usage(x, argv[0], "unknown command '%s'", argv[i + 1]);
    if (HAS(o, 'l')) {
        if (i + 1 < argc)
            return zkcli_usage(x, argv[0], "-l takes no command");
        return contenders(x, k, path, HAS(o, 'c'));
    }
    if (!wake_init())
        return EXIT_FAILED;

    /* The shell's own: a command runs under it; a lost or failed one is made anew. */
    if ((mine = find(x, k, path)) != NULL) {
        const char *now = entry_state(mine);
        if (strcmp(now, words[k].held) == 0) {
            if (i + 1 < argc)
                return zkcli_run(x, argc - i - 1, argv + i + 1);
            printf("Already %s: %s\n", k == LOCK ? "locked" : "the leader", path);
            return 0;
        }
        if (strcmp(now, "SUSPENDED") == 0 || strcmp(now, "WAITING") == 0) {
            if (i + 1 < argc)
                return zkcli_usage(x, argv[0], "the shell's %s on %s is %s: %s it first",
                                   words[k].cmd, path, now, words[k].release);
            printf("Already %s: %s (%s)\n", k == LOCK ? "locked" : "in the election", path, now);
            return 0;
        }
        unlink_held(x, mine);
        free_held(mine);
    }

    if ((identifier = o.opt['i']) == NULL) {
        /* Who holds it, for contenders lists: this host and process. */
        char host[256];
        if (gethostname(host, sizeof host) != 0)
            snprintf(host, sizeof host, "zkcli");
        host[sizeof host - 1] = '\0';
        snprintf(host_pid, sizeof host_pid, "%s-%ld", host, (long)getpid());
        identifier = host_pid;
    }
    if ((bad = new_held(x, k, path, identifier, HAS(o, 'c'), &h)) != 0)
        return bad;
    if (i + 1 < argc) {
        bad = run_holding(x, h, timeout_ms, argc - i - 1, argv + i + 1);
        free_held(h);
        return bad;
    }
    if (!x->shell) {
        bad = hold(x, h, timeout_ms);
        free_held(h);
        return bad;
    }
    return k == LOCK ? shell_lock(x, h, timeout_ms) : shell_election(x, h, timeout_ms);
}

int zkcli_cmd_lock(struct zkcli *x, int argc, char **argv)
{
    return cmd_recipe(x, argc, argv, LOCK);
}

int zkcli_cmd_election(struct zkcli *x, int argc, char **argv)
{
    return cmd_recipe(x, argc, argv, ELECTION);
}

/* `unlock path` and `resign path`: the shell gives its lock (election) up. */
int zkcli_cmd_unlock(struct zkcli *x, int argc, char **argv)
{
    enum kind k = strcmp(argv[0], "resign") == 0 ? ELECTION : LOCK;
    struct held *h;
    zk_result rc;
    if (argc != 2)
        return zkcli_usage(x, argv[0], "want path");
    if ((h = find(x, k, argv[1])) == NULL) {
        if (x->shell)
            fprintf(stderr, "%s: %s\n", k == LOCK ? "Not locked" : "Not in the election",
                    argv[1]);
        else
            fprintf(stderr, "zkcli: %s: %s: not %s by this zkcli\n", argv[0], argv[1],
                    k == LOCK ? "locked" : "in an election");
        return EXIT_FAILED;
    }
    unlink_held(x, h);
    if (h->has_thread) {
        cancel(h);
        pthread_join(h->thread, NULL);
        h->has_thread = false;
    }
    rc = release(h);
    free_held(h);
    return rc == ZK_RESULT_OK ? 0 : zkcli_fail(x, argv[0], argv[1], rc);
}

/* `locks`: what the shell holds or campaigns for, a line each: kind, path, state, and a
 * lock's node. */
int zkcli_cmd_locks(struct zkcli *x, int argc, char **argv)
{
    struct held *h;
    if (argc != 1)
        return zkcli_usage(x, argv[0], "takes no arguments");
    for (h = x->held; h != NULL; h = h->next) {
        char *node = NULL;
        if (h->kind == LOCK && zk_lock_node(h->lock, &node) != ZK_RESULT_OK)
            node = NULL;
        printf("%s %s %s%s%s\n", words[h->kind].cmd, h->path, entry_state(h), node ? " " : "",
               node ? node : "");
        zk_string_free(node);
    }
    return 0;
}

/* Before the session ends: every lock released, every election left. */
void zkcli_recipes_end(struct zkcli *x)
{
    while (x->held != NULL) {
        struct held *h = x->held;
        x->held = h->next;
        free_held(h);
    }
}
