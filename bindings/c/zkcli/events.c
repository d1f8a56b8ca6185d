/* The shell's watch events and state changes, printed as zkCli.sh prints them
 * ("WATCHER::" and a WatchedEvent line). The library calls the watcher and the state
 * listener on its event thread; they only queue the text and write a byte to a pipe, and
 * the main thread, which owns the terminal, prints it between commands or while a line is
 * being typed (shell.c polls the pipe beside the keyboard).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "zkcli.h"

/* More than this many events waiting are counted, not kept. */
#define MAX_QUEUED 10000

struct queued {
    struct queued *next;
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
    if (pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0)
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

/* Queues one event's text (event thread) and wakes the main thread. */
static void enqueue(zk_keeper_state state, const char *type, const char *path)
{
    static const char fmt[] = "\nWATCHER::\n\nWatchedEvent state:%s type:%s path:%s\n";
    int n = snprintf(NULL, 0, fmt, java_state(state), type, path);
    struct queued *q;
    char byte = 1;
    if (n < 0)
        return;
    pthread_mutex_lock(&mu);
    if (queued >= MAX_QUEUED || (q = malloc(sizeof *q + (size_t)n + 1)) == NULL) {
        dropped++;
    } else {
        snprintf(q->text, (size_t)n + 1, fmt, java_state(state), type, path);
        q->next = NULL;
        if (tail)
            tail->next = q;
        else
            head = q;
        tail = q;
        queued++;
    }
    pthread_mutex_unlock(&mu);
    /* A full pipe already says there is something to print. */
    while (write(pipe_fds[1], &byte, 1) < 0 && errno == EINTR)
        ;
}

/* One registration (a watch set by a command): its id tells two registrations apart. */
struct registration {
    uint64_t id;
};

/* The notification being delivered: zkCli.sh has one watcher for every watch, so a
 * change that several of its watches see prints once (a persistent watch and a
 * recursive one above it, say). The library calls each registration; the calls for one
 * notification come one after the other, each registration once. So an event equal to
 * the last one, from a registration not yet seen for it, is that notification again. */
static struct {
    zk_event_type type;
    zk_keeper_state state;
    int64_t zxid;
    char *path;
    uint64_t *seen;
    size_t nseen, cap;
} group;

static bool same_notification(const struct registration *r, const zk_event *e)
{
    size_t i;
    uint64_t *grown;
    if (group.path != NULL && group.type == e->event_type && group.state == e->state &&
        group.zxid == e->zxid && strcmp(group.path, e->path) == 0) {
        for (i = 0; i < group.nseen; i++)
            if (group.seen[i] == r->id)
                goto new_group; /* the same registration again: a new notification */
        if (group.nseen == group.cap) {
            if ((grown = realloc(group.seen, (group.cap * 2 + 4) * sizeof *grown)) == NULL)
                return true;
            group.seen = grown;
            group.cap = group.cap * 2 + 4;
        }
        group.seen[group.nseen++] = r->id;
        return true;
    }
new_group:
    free(group.path);
    group.path = strdup(e->path);
    group.type = e->event_type;
    group.state = e->state;
    group.zxid = e->zxid;
    group.nseen = 0;
    if (group.cap == 0 && (group.seen = malloc(4 * sizeof *group.seen)) != NULL)
        group.cap = 4;
    if (group.cap > 0)
        group.seen[group.nseen++] = r->id;
    return false;
}

static void on_event(void *userdata, const zk_event *e)
{
    /* The end of a watch with its session (close, expiry) is a state change, which
     * the listener prints once for all watches, as zkCli.sh's one default watcher does. */
    if (e->event_type == ZK_EVENT_TYPE_NONE)
        return;
    /* Only the event thread runs this: group needs no lock. */
    if (same_notification(userdata, e))
        return;
    enqueue(e->state, java_type(e->event_type), e->path);
}

/* A watcher for a command's watch (get -w, addWatch, ...): the library owns it from the
 * call on and frees its registration with the finalizer. */
zk_watcher events_watcher(void)
{
    static uint64_t next_id;
    zk_watcher w;
    struct registration *r = malloc(sizeof *r);
    if (r != NULL)
        r->id = ++next_id;
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

/* Prints what is queued to out (all of it is taken; with printwatches off, nothing is
 * printed). Returns whether anything was printed. */
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
        if (x->print_watches) {
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
