/* zkcli's `watch [-n COUNT] PATH`: prints a node's data and child events ("CHANGED
 * /a", "CHILD /a", ...) until Ctrl-C or COUNT events, re-arming each one-shot watch
 * after it fires. The callbacks run on the library's event thread and only queue what
 * happened; this thread prints and re-arms.
 */
#define _POSIX_C_SOURCE 200809L

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "zkcli.h"

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

static void on_signal(int sig)
{
    (void)sig;
    zkcli_interrupted = 1;
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
    while (!zkcli_interrupted && q_head == q_tail) {
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
static zk_result arm(struct zkcli *x, const char *path, enum kind k, bool *armed)
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

int zkcli_cmd_watch(struct zkcli *x, int argc, char **argv)
{
    long count = 0, printed = 0;
    int i = 1, status = 0;
    const char *path;
    bool armed[2] = { false, false };
    struct sigaction sa, old_int, old_term;
    zk_result rc;

    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-n") == 0) {
            if (++i >= argc || !zkcli_parse_long(argv[i], 1, LONG_MAX, &count))
                return zkcli_usage(x, argv[0], "-n wants a count > 0");
        } else {
            return zkcli_usage(x, argv[0], "Unrecognized option: %s", argv[i]);
        }
    }
    if (argc - i != 1)
        return zkcli_usage(x, argv[0], "want [-n count] path");
    path = argv[i];

    /* Events of an earlier watch of this command that fired after it ended. */
    pthread_mutex_lock(&q_mu);
    q_head = q_tail;
    q_overflow = false;
    pthread_mutex_unlock(&q_mu);

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    zkcli_interrupted = 0;

    if ((rc = arm(x, path, DATA_WATCH, &armed[DATA_WATCH])) != ZK_RESULT_OK ||
        (rc = arm(x, path, CHILD_WATCH, &armed[CHILD_WATCH])) != ZK_RESULT_OK) {
        status = zkcli_fail(x, "watch", path, rc);
        goto out;
    }
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
        if (!armed[DATA_WATCH] &&
            (rc = arm(x, path, DATA_WATCH, &armed[DATA_WATCH])) != ZK_RESULT_OK) {
            status = zkcli_fail(x, "watch", path, rc);
            break;
        }
        if (!armed[CHILD_WATCH] &&
            (rc = arm(x, path, CHILD_WATCH, &armed[CHILD_WATCH])) != ZK_RESULT_OK) {
            status = zkcli_fail(x, "watch", path, rc);
            break;
        }
    }
    if (q_overflow)
        fprintf(stderr, "zkcli: watch: events were dropped (queue full)\n");
out:
    /* The terminal echoed ^C: what comes next (a prompt) starts on a line of its own. */
    if (zkcli_interrupted && isatty(STDERR_FILENO))
        fputc('\n', stderr);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    zkcli_interrupted = 0;
    return status;
}
