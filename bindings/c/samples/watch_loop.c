/* watch_loop: prints a node's data, then every change to it, forever (or CHANGES times).
 *
 *   watch_loop HOSTS PATH [CHANGES]
 *
 * Watches are one-shot, so each event must set the next watch. Here the watch callback
 * does it itself: callbacks run on the client's event thread and may make blocking calls
 * back into the library. A node that does not exist is watched with zk_exists, which sets
 * a watch either way, so its creation is seen too.
 *
 * Build: cc -std=c99 watch_loop.c $(pkg-config --cflags --libs zkclient) -o watch_loop */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "zkclient.h"

struct loop {
    zk_client *zk;
    const char *path;
    long changes_left; /* < 0: no limit */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    int failed;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void finish(struct loop *l, int failed)
{
    pthread_mutex_lock(&l->mu);
    l->done = 1;
    l->failed |= failed;
    pthread_cond_signal(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

static void on_event(void *userdata, const zk_event *ev);

/* Reads the node (or its absence), prints it and sets the next watch. */
static void arm(struct loop *l)
{
    zk_watcher w = { on_event, l, NULL };
    zk_buffer data = { NULL, 0 };
    zk_stat st;
    zk_result r = zk_get(l->zk, l->path, &w, 0, &data, &st);
    if (r == ZK_RESULT_OK) {
        printf("%s v%d: %.*s\n", l->path, st.version, (int)data.len, (const char *)data.data);
        zk_buffer_free(&data);
    } else if (r == ZK_RESULT_NO_NODE) {
        /* zk_get set no watch; zk_exists sets one that fires on creation. */
        r = zk_exists(l->zk, l->path, &w, 0, NULL);
        if (r == ZK_RESULT_NO_NODE) {
            printf("%s: no such node\n", l->path);
            r = ZK_RESULT_OK;
        } else if (r == ZK_RESULT_OK) {
            arm(l); /* created in between */
            return;
        }
    }
    fflush(stdout);
    if (r != ZK_RESULT_OK) {
        fprintf(stderr, "watch_loop: reading %s: %s\n", l->path, zk_result_message(r));
        finish(l, 1);
    }
}

static void on_event(void *userdata, const zk_event *ev)
{
    struct loop *l = userdata;
    if (ev->event_type == ZK_EVENT_TYPE_NONE) {
        /* The watch ended with the session: after an expiry the client makes a new session,
         * so read again; after zk_close it is the end. */
        if (ev->state == ZK_KEEPER_STATE_EXPIRED_SESSION) {
            printf("session expired; reading again\n");
            arm(l);
        } else {
            finish(l, 0);
        }
        return;
    }
    printf("event %s\n", ev->event_type == ZK_EVENT_TYPE_CREATED   ? "created"
                         : ev->event_type == ZK_EVENT_TYPE_DELETED ? "deleted"
                         : ev->event_type == ZK_EVENT_TYPE_CHANGED ? "changed"
                                                                   : "other");
    arm(l);
    if (l->changes_left > 0 && --l->changes_left == 0)
        finish(l, 0);
}

int main(int argc, char **argv)
{
    struct loop l;
    zk_options *o;
    zk_result r;
    int failed;

    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: watch_loop HOSTS PATH [CHANGES]\n");
        return 2;
    }
    l.zk = NULL;
    l.path = argv[2];
    l.changes_left = argc == 4 ? strtol(argv[3], NULL, 10) : -1;
    l.done = 0;
    l.failed = 0;
    pthread_mutex_init(&l.mu, NULL);
    pthread_cond_init(&l.cv, NULL);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    o = zk_options_new();
    r = zk_options_set_hosts(o, argv[1]);
    if (r == ZK_RESULT_OK)
        r = zk_client_new(o, &l.zk);
    zk_options_free(o);
    if (r == ZK_RESULT_OK)
        r = zk_start(l.zk, 10000);
    if (r != ZK_RESULT_OK) {
        fprintf(stderr, "watch_loop: connecting to %s: %s\n", argv[1], zk_result_message(r));
        zk_client_free(l.zk);
        return 1;
    }

    arm(&l);
    pthread_mutex_lock(&l.mu);
    while (!l.done && !interrupted) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_nsec += 200 * 1000 * 1000; /* wake up now and then to see a signal */
        if (t.tv_nsec >= 1000000000L) {
            t.tv_sec++;
            t.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&l.cv, &l.mu, &t);
    }
    failed = l.failed;
    pthread_mutex_unlock(&l.mu);

    /* Ends the session; the pending watch gets its final NONE/CLOSED event first. */
    zk_client_free(l.zk);
    pthread_cond_destroy(&l.cv);
    pthread_mutex_destroy(&l.mu);
    return failed ? 1 : 0;
}
