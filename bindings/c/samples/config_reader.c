/* config_reader: keeps a configuration node's current value, and prints it each time it
 * changes, through lost connections, server restarts and session expiry.
 *
 *   config_reader HOSTS PATH
 *
 * The main thread reads the node with a watch and sleeps until the watch fires; the watch
 * callback only wakes it. A read that fails while the server is away (connection loss,
 * timeout) is simply tried again: the client reconnects by itself and keeps its session
 * and watches. If the session expired instead, the pending watch ends with a NONE event
 * and the client makes a new session: read again. State changes are printed as they come.
 *
 * Build: cc -std=c99 config_reader.c $(pkg-config --cflags --libs zkclient) -o config_reader */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "zkclient.h"

struct reader {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int fired;  /* the pending watch has fired */
    int closed; /* the client was closed */
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void on_watch(void *userdata, const zk_event *ev)
{
    struct reader *rd = userdata;
    pthread_mutex_lock(&rd->mu);
    rd->fired = 1;
    if (ev->event_type == ZK_EVENT_TYPE_NONE && ev->state == ZK_KEEPER_STATE_CLOSED)
        rd->closed = 1;
    pthread_cond_signal(&rd->cv);
    pthread_mutex_unlock(&rd->mu);
}

static void on_state(void *userdata, zk_state state, zk_keeper_state keeper)
{
    static const char *const coarse[] = { "LOST", "SUSPENDED", "CONNECTED" };
    static const char *const detailed[] = { "CONNECTING", "CONNECTED", "CONNECTED_RO",
                                            "AUTH_FAILED", "CLOSED", "EXPIRED_SESSION" };
    (void)userdata;
    printf("state: %s (%s)\n", (unsigned)state < 3 ? coarse[state] : "?",
           (unsigned)keeper < 6 ? detailed[keeper] : "?");
    fflush(stdout);
}

/* Waits until the watch fires, a signal comes, or `ms` pass (0 = no limit). */
static void wait_for_watch(struct reader *rd, long ms)
{
    long waited = 0;
    pthread_mutex_lock(&rd->mu);
    while (!rd->fired && !interrupted && (ms == 0 || waited < ms)) {
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_nsec += 200 * 1000 * 1000;
        if (t.tv_nsec >= 1000000000L) {
            t.tv_sec++;
            t.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&rd->cv, &rd->mu, &t);
        waited += 200;
    }
    rd->fired = 0;
    pthread_mutex_unlock(&rd->mu);
}

int main(int argc, char **argv)
{
    struct reader rd;
    zk_options *o;
    zk_client *zk = NULL;
    zk_retry_policy retry;
    zk_result r;
    int64_t shown_mzxid = -1;
    int closed = 0;

    if (argc != 3) {
        fprintf(stderr, "usage: config_reader HOSTS PATH\n");
        return 2;
    }
    pthread_mutex_init(&rd.mu, NULL);
    pthread_cond_init(&rd.cv, NULL);
    rd.fired = 0;
    rd.closed = 0;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    o = zk_options_new();
    /* Reconnect quickly after a restart: back off to at most one second between tries. */
    zk_retry_policy_init(&retry);
    retry.max_delay_ms = 1000;
    zk_options_set_connection_retry(o, &retry);
    r = zk_options_set_hosts(o, argv[1]);
    if (r == ZK_RESULT_OK)
        r = zk_client_new(o, &zk);
    zk_options_free(o);
    if (r == ZK_RESULT_OK)
        r = zk_add_listener(zk, on_state, NULL, NULL, NULL);
    if (r == ZK_RESULT_OK)
        r = zk_start(zk, 10000);
    if (r != ZK_RESULT_OK) {
        fprintf(stderr, "config_reader: connecting to %s: %s\n", argv[1], zk_result_message(r));
        zk_client_free(zk);
        return 1;
    }

    while (!interrupted && !closed) {
        zk_watcher w = { on_watch, &rd, NULL };
        zk_buffer data = { NULL, 0 };
        zk_stat st;
        r = zk_get(zk, argv[2], &w, 0, &data, &st);
        if (r == ZK_RESULT_OK) {
            if (st.mzxid != shown_mzxid) {
                printf("config v%d: %.*s\n", st.version, (int)data.len, (const char *)data.data);
                fflush(stdout);
                shown_mzxid = st.mzxid;
            }
            zk_buffer_free(&data);
        } else if (r == ZK_RESULT_NO_NODE) {
            r = zk_exists(zk, argv[2], &w, 0, NULL); /* a watch for its creation */
            if (r == ZK_RESULT_NO_NODE && shown_mzxid != 0) {
                printf("config: none (%s does not exist)\n", argv[2]);
                fflush(stdout);
                shown_mzxid = 0;
            }
            if (r == ZK_RESULT_OK)
                continue; /* created in between */
        }
        if (r != ZK_RESULT_OK && r != ZK_RESULT_NO_NODE) {
            /* No watch was set. Connection loss and timeouts pass once the client has
             * reconnected; anything else (no auth, ...) will not, but is retried too. */
            fprintf(stderr, "config_reader: reading %s: %s; trying again\n", argv[2],
                    zk_result_message(r));
            wait_for_watch(&rd, 1000);
            continue;
        }
        wait_for_watch(&rd, 0);
        pthread_mutex_lock(&rd.mu);
        closed = rd.closed;
        pthread_mutex_unlock(&rd.mu);
    }

    zk_client_free(zk);
    pthread_cond_destroy(&rd.cv);
    pthread_mutex_destroy(&rd.mu);
    return 0;
}
