/* lock_worker: takes a distributed lock ROUNDS times and, holding it, adds one to a counter
 * node with a read-modify-write that would lose updates if two workers held the lock at
 * once. Run several at the same time: the counter ends at their rounds' sum.
 *
 *   lock_worker HOSTS PATH NAME [ROUNDS]
 *
 * The lock is kazoo's (the same znodes under PATH), so a Python program with
 * `zk.Lock(PATH)` takes turns with this one. The counter is the node PATH-count. The
 * lock's state callback says when the session falters: on SUSPENDED the worker stops
 * before writing (the lock may be lost); on LOST it gives the round up. Ctrl-C cancels a
 * wait for the lock from another thread (a signal handler may not call the library).
 *
 * Build: cc -std=c99 lock_worker.c $(pkg-config --cflags --libs zkclient) -o lock_worker */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "zkclient.h"

static const char *name;

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static const char *state_name(zk_lock_state s)
{
    switch (s) {
    case ZK_LOCK_STATE_HELD: return "HELD";
    case ZK_LOCK_STATE_SUSPENDED: return "SUSPENDED";
    case ZK_LOCK_STATE_LOST: return "LOST";
    default: return "NOT_HELD";
    }
}

/* Runs on the client's event thread when the session changes what the lock is. */
static void on_lock_state(void *userdata, zk_lock_state state)
{
    (void)userdata;
    printf("%s: lock %s\n", name, state_name(state));
    fflush(stdout);
}

/* Waits for SIGINT or SIGTERM (blocked in every thread) and cancels the lock's wait. */
static void *signal_thread(void *arg)
{
    zk_lock *lock = arg;
    sigset_t set;
    int sig;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (sigwait(&set, &sig) == 0)
        zk_lock_cancel(lock);
    return NULL;
}

static int check(zk_result r, const char *what)
{
    if (r != ZK_RESULT_OK)
        fprintf(stderr, "%s: %s: %s\n", name, what, zk_result_message(r));
    return r == ZK_RESULT_OK;
}

/* counter += 1, read then written back: correct only while nobody else does it. */
static int add_one(zk_client *zk, zk_lock *lock, const char *counter)
{
    zk_buffer buf = { NULL, 0 };
    char text[32];
    long n = 0;
    zk_result r = zk_get(zk, counter, NULL, 0, &buf, NULL);
    if (r == ZK_RESULT_OK) {
        snprintf(text, sizeof text, "%.*s", (int)buf.len, (const char *)buf.data);
        n = strtol(text, NULL, 10);
        zk_buffer_free(&buf);
    } else if (r != ZK_RESULT_NO_NODE) {
        return check(r, "get");
    }
    sleep_ms(50); /* the window another holder would write in */
    if (zk_lock_get_state(lock) != ZK_LOCK_STATE_HELD) {
        fprintf(stderr, "%s: the lock may be lost: not writing\n", name);
        return 0;
    }
    snprintf(text, sizeof text, "%ld", n + 1);
    if (r == ZK_RESULT_NO_NODE)
        r = zk_create(zk, counter, (const uint8_t *)text, strlen(text), NULL, 0, 0, 0, 0,
                      NULL, NULL);
    else
        r = zk_set(zk, counter, (const uint8_t *)text, strlen(text), -1, 0, NULL);
    if (r == ZK_RESULT_OK)
        printf("%s: count %s\n", name, text);
    return check(r, "write");
}

int main(int argc, char **argv)
{
    char counter[1024];
    zk_options *o;
    zk_client *zk = NULL;
    zk_lock *lock = NULL;
    pthread_t sig;
    sigset_t set;
    long rounds, i;
    int ok, have_sig = 0, done = 0;

    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: lock_worker HOSTS PATH NAME [ROUNDS]\n");
        return 2;
    }
    name = argv[3];
    rounds = argc == 5 ? strtol(argv[4], NULL, 10) : 3;
    snprintf(counter, sizeof counter, "%s-count", argv[2]);
    /* Blocked here, so every thread the library starts inherits the mask. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    o = zk_options_new();
    ok = check(zk_options_set_hosts(o, argv[1]), "hosts") &&
         check(zk_client_new(o, &zk), "zk_client_new");
    zk_options_free(o);
    ok = ok && check(zk_start(zk, 0), "zk_start") &&
         check(zk_lock_new(zk, argv[2], name, ZK_LOCK_KIND_EXCLUSIVE, ZK_LAYOUT_KAZOO, &lock),
               "zk_lock_new") &&
         check(zk_lock_set_state_callback(lock, on_lock_state, NULL, NULL), "callback") &&
         (have_sig = pthread_create(&sig, NULL, signal_thread, lock) == 0);
    for (i = 0; ok && i < rounds; i++) {
        zk_result r = zk_lock_acquire(lock, -1); /* no deadline: until ours, or Ctrl-C */
        if (r == ZK_RESULT_CANCELLED) {
            printf("%s: cancelled\n", name);
            break;
        }
        if (!check(r, "acquire"))
            break;
        printf("%s: holding\n", name);
        fflush(stdout);
        ok = add_one(zk, lock, counter);
        ok = check(zk_lock_release(lock), "release") && ok;
        done++;
    }
    printf("%s: %d rounds\n", name, done);
    if (have_sig) { /* it must not cancel a freed lock */
        pthread_cancel(sig);
        pthread_join(sig, NULL);
    }
    zk_lock_free(lock); /* releases the lock if still held */
    zk_client_free(zk);
    return ok ? 0 : 1;
}
