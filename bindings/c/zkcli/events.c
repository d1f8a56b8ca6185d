/* The shell's watch events and state changes, printed as zkCli.sh prints them
 * ("WATCHER::" and a WatchedEvent line), and the news of its locks and elections
 * (recipes.c). The library calls the watcher and the state
 * listener on its event thread; they only queue the text and write a byte to a pipe, and
 * the main thread, which owns the terminal, prints it between commands or while a line is
 * being typed (shell.c polls the pipe beside the keyboard).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "zkcli.h"

/* More than this many events waiting are counted, not kept. */
#define MAX_QUEUED 10000

struct queued {
    struct queued *next;
    bool always; /* printed even with printwatches off */
    char text[];
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t connected_cv = PTHREAD_COND_INITIALIZER;
static struct queued *head, *tail;
static size_t queued, dropped;
static int pipe_fds[2] = { -1, -1 };
static zk_keeper_state last_state = ZK_KEEPER_STATE_CLOSED;
static bool connected_seen;

int events_init(void)
{
    int i;
    if (pipe(pipe_fds) != 0)
        return -1;
    /* Neither end blocks: a full pipe already says there is something to print. */
    for (i = 0; i < 2; i++)
        if (fcntl(pipe_fds[i], F_SETFL, O_NONBLOCK) != 0 ||
            fcntl(pipe_fds[i], F_SETFD, FD_CLOEXEC) != 0)
            return -1;
    return 0;
}

int events_fd(void)
{
    return pipe_fds[0];
}

/* zkCli.sh's names: Java's Watcher.Event.KeeperState. */
static const char *java_state(zk_keeper_state s)
{
    switch (s) {
    case ZK_KEEPER_STATE_CONNECTING: return "Disconnected";
    case ZK_KEEPER_STATE_CONNECTED: return "SyncConnected";
    case ZK_KEEPER_STATE_CONNECTED_RO: return "ConnectedReadOnly";
    case ZK_KEEPER_STATE_AUTH_FAILED: return "AuthFailed";
    case ZK_KEEPER_STATE_CLOSED: return "Closed";
    case ZK_KEEPER_STATE_EXPIRED_SESSION: return "Expired";
    }
    return "Unknown";
}

/* Java's Watcher.Event.EventType. */
static const char *java_type(zk_event_type t)
{
    switch (t) {
    case ZK_EVENT_TYPE_NONE: return "None";
    case ZK_EVENT_TYPE_CREATED: return "NodeCreated";
    case ZK_EVENT_TYPE_DELETED: return "NodeDeleted";
    case ZK_EVENT_TYPE_CHANGED: return "NodeDataChanged";
    case ZK_EVENT_TYPE_CHILD: return "NodeChildrenChanged";
    case ZK_EVENT_TYPE_DATA_WATCH_REMOVED: return "DataWatchRemoved";
    case ZK_EVENT_TYPE_CHILD_WATCH_REMOVED: return "ChildWatchRemoved";
    case ZK_EVENT_TYPE_PERSISTENT_WATCH_REMOVED: return "PersistentWatchRemoved";
    }
    return "Unknown";
}

/* The prompt's names: Java's ZooKeeper.States where they exist. */
const char *events_state_name(zk_keeper_state s)
{
    switch (s) {
    case ZK_KEEPER_STATE_CONNECTING: return "CONNECTING";
    case ZK_KEEPER_STATE_CONNECTED: return "CONNECTED";
    case ZK_KEEPER_STATE_CONNECTED_RO: return "CONNECTEDREADONLY";
    case ZK_KEEPER_STATE_AUTH_FAILED: return "AUTH_FAILED";
    case ZK_KEEPER_STATE_CLOSED: return "CLOSED";
    case ZK_KEEPER_STATE_EXPIRED_SESSION: return "EXPIRED";
    }
    return "?";
}

/* Queues text (any thread) and wakes the main thread. */
static void push(const char *fmt, va_list ap, bool always)
{
    struct queued *q;
    char byte = 1;
    va_list again;
    int n;
    va_copy(again, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    if (n < 0) {
        va_end(again);
        return;
    }
    pthread_mutex_lock(&mu);
    if (queued >= MAX_QUEUED || (q = malloc(sizeof *q + (size_t)n + 1)) == NULL) {
        dropped++;
    } else {
        vsnprintf(q->text, (size_t)n + 1, fmt, again);
        q->always = always;
        q->next = NULL;
        if (tail)
            tail->next = q;
        else
            head = q;
        tail = q;
        queued++;
    }
    pthread_mutex_unlock(&mu);
    va_end(again);
    /* A full pipe already says there is something to print. */
    while (write(pipe_fds[1], &byte, 1) < 0 && errno == EINTR)
        ;
}

static void queue(bool always, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    push(fmt, ap, always);
    va_end(ap);
}

/* Queues one event's text (event thread). */
static void enqueue(zk_keeper_state state, const char *type, const char *path)
{
    queue(false, "\nWATCHER::\n\nWatchedEvent state:%s type:%s path:%s\n", java_state(state),
          type, path);
}

void events_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    push(fmt, ap, true);
    va_end(ap);
}

/* A watch set by a command, known by what it watches (its kind and path), and by when
 * it was set (seq counts the watches made). */
struct registration {
    uint64_t seq;
    enum watch_kind kind;
    char path[];
};

/* zkCli.sh has one watcher for all its watches, so a change that several of them see
 * prints once (a node's data and child watches when it is deleted; a persistent watch
 * and a recursive one above it; get -w and stat -w). The library calls each of them, one
 * call right after the other. So a call with the same event as the call before is taken
 * for the same change seen by another watch, and not printed, if:
 *  - no watch of the same kind on the same path was called for it yet (a second one is
 *    a later change: a persistent watch again, or a one-shot watch set again);
 *  - the command that set the watch had returned before the first call for the change
 *    ran (a watch set since is for a later change; one still being set may be for this
 *    one, and prints again);
 *  - the change is the same: ZooKeeper 3.9's events carry its zxid; 3.8's do not, and
 *    there the calls must come within a millisecond of the first (the calls for one
 *    change come microseconds apart; two changes, each a write, further apart).
 * When this is wrong, an event prints twice (two one-shot watches of one kind on one
 * path, set before one change; a call late by a millisecond). An event goes unprinted
 * only if, on 3.8, two changes with the same event come within a millisecond to
 * watches of different kinds, the second's set and returned in between, before the
 * first call for the first change ran. The library's events do not say which calls
 * belong to one notification, which would settle all this. */
#define SAME_CHANGE_NS 1000000L

/* The event thread calls watches; a finalizer may also run on the main thread (a call
 * that failed, zk_client_free). */
static pthread_mutex_t group_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t next_seq; /* the watches made */
static uint64_t done_seq; /* those whose command has returned */
static struct {
    zk_event_type type;
    zk_keeper_state state;
    int64_t zxid;
    char *path;
    struct timespec first;
    uint64_t last_seq; /* done_seq when the first call ran */
    size_t ncalled, cap;
    struct called {
        enum watch_kind kind;
        char *path;
    } *called; /* the watches called for it */
} group;

static void group_reset(const zk_event *e, const struct timespec *now)
{
    size_t i;
    for (i = 0; i < group.ncalled; i++)
        free(group.called[i].path);
    group.ncalled = 0;
    free(group.path);
    group.path = strdup(e->path);
    group.type = e->event_type;
    group.state = e->state;
    group.zxid = e->zxid;
    group.first = *now;
    group.last_seq = done_seq;
}

static void group_add(const struct registration *r)
{
    char *path = strdup(r->path);
    if (group.ncalled == group.cap) {
        struct called *grown = realloc(group.called, (group.cap * 2 + 4) * sizeof *grown);
        if (grown == NULL) {
            free(path);
            return;
        }
        group.called = grown;
        group.cap = group.cap * 2 + 4;
    }
    if (path == NULL)
        return;
    group.called[group.ncalled].kind = r->kind;
    group.called[group.ncalled++].path = path;
}

/* Whether the call of r for e is a change already printed (see above). */
static bool same_change(const struct registration *r, const zk_event *e)
{
    struct timespec now;
    long long ns;
    size_t i;
    clock_gettime(CLOCK_MONOTONIC, &now);
    ns = (long long)(now.tv_sec - group.first.tv_sec) * 1000000000LL +
         (now.tv_nsec - group.first.tv_nsec);
    if (group.path == NULL || group.type != e->event_type || group.state != e->state ||
        group.zxid != e->zxid || strcmp(group.path, e->path) != 0 ||
        r->seq > group.last_seq || (e->zxid == -1 && ns >= SAME_CHANGE_NS))
        goto new_change;
    for (i = 0; i < group.ncalled; i++)
        if (group.called[i].kind == r->kind && strcmp(group.called[i].path, r->path) == 0)
            goto new_change;
    group_add(r);
    return true;
new_change:
    group_reset(e, &now);
    group_add(r);
    return false;
}

static void on_event(void *userdata, const zk_event *e)
{
    bool again;
    /* The end of a watch with its session (close, expiry) is a state change, which
     * the listener prints once for all watches, as zkCli.sh's one default watcher does. */
    if (e->event_type == ZK_EVENT_TYPE_NONE)
        return;
    pthread_mutex_lock(&group_mu);
    again = same_change(userdata, e);
    pthread_mutex_unlock(&group_mu);
    if (!again)
        enqueue(e->state, java_type(e->event_type), e->path);
}

/* After a command: the watches it set are in place. */
void events_settled(void)
{
    pthread_mutex_lock(&group_mu);
    done_seq = next_seq;
    pthread_mutex_unlock(&group_mu);
}

/* A watcher for a command's watch (get -w, addWatch, ...): the library owns it from the
 * call on, and frees its registration with the finalizer. */
zk_watcher events_watcher(enum watch_kind kind, const char *path)
{
    zk_watcher w;
    size_t len = strlen(path);
    struct registration *r = malloc(sizeof *r + len + 1);
    if (r != NULL) {
        pthread_mutex_lock(&group_mu);
        r->seq = ++next_seq;
        pthread_mutex_unlock(&group_mu);
        r->kind = kind;
        memcpy(r->path, path, len + 1);
    }
    w.callback = r != NULL ? on_event : NULL;
    w.userdata = r;
    w.finalizer = free;
    return w;
}

void events_listener(void *userdata, zk_state state, zk_keeper_state ks)
{
    zk_keeper_state prev;
    (void)userdata;
    (void)state;
    pthread_mutex_lock(&mu);
    prev = last_state;
    last_state = ks;
    if (ks == ZK_KEEPER_STATE_CONNECTED || ks == ZK_KEEPER_STATE_CONNECTED_RO) {
        connected_seen = true;
        pthread_cond_broadcast(&connected_cv);
    }
    pthread_mutex_unlock(&mu);
    /* Looking for a server is news only when one was lost: zkCli.sh's Disconnected. */
    if (ks == ZK_KEEPER_STATE_CONNECTING && prev != ZK_KEEPER_STATE_CONNECTED &&
        prev != ZK_KEEPER_STATE_CONNECTED_RO)
        return;
    enqueue(ks, "None", "null");
}

/* Before a new client: its first states are news again. */
void events_reset_state(void)
{
    pthread_mutex_lock(&mu);
    last_state = ZK_KEEPER_STATE_CLOSED;
    connected_seen = false;
    pthread_mutex_unlock(&mu);
}

/* Waits up to ms for the listener to have seen a connection, so that the shell prints
 * zkCli.sh's first SyncConnected before its first prompt, not at some moment after. */
bool events_wait_connected(uint32_t ms)
{
    struct timespec ts;
    bool seen;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&mu);
    while (!connected_seen)
        if (pthread_cond_timedwait(&connected_cv, &mu, &ts) != 0)
            break;
    seen = connected_seen;
    pthread_mutex_unlock(&mu);
    return seen;
}

/* Prints what is queued to out (all of it is taken; with printwatches off, only the
 * notes). Returns whether anything was printed. */
bool events_take(struct zkcli *x, FILE *out)
{
    struct queued *list, *q;
    size_t lost;
    char buf[64];
    bool printed = false;
    while (read(pipe_fds[0], buf, sizeof buf) > 0)
        ;
    pthread_mutex_lock(&mu);
    list = head;
    head = tail = NULL;
    queued = 0;
    lost = dropped;
    dropped = 0;
    pthread_mutex_unlock(&mu);
    while ((q = list) != NULL) {
        list = q->next;
        if (x->print_watches || q->always) {
            fputs(q->text, out);
            printed = true;
        }
        free(q);
    }
    if (lost > 0 && x->print_watches) {
        fprintf(out, "(%zu more events were not kept: too many at once)\n", lost);
        printed = true;
    }
    if (printed)
        fflush(out);
    return printed;
}
