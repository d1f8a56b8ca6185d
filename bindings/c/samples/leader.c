/* leader: joins a leader election and, once elected, leads (prints a tick a second) until
 * told to stop (Ctrl-C) or until leadership is lost; then the next contender leads.
 *
 *   leader HOSTS PATH NAME
 *
 * The election is kazoo's (a lock under PATH, data NAME), so `zk.Election(PATH)` in a
 * Python program takes part too. The state callback says when the session falters: while
 * SUSPENDED the leader holds off (it may no longer lead), on LOST it stops leading.
 * Ctrl-C cancels from another thread: a wait to be elected ends, a leader is told to stop.
 *
 * Build: cc -std=c99 leader.c $(pkg-config --cflags --libs zkclient) -o leader */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "zkclient.h"

static const char *name;

static const char *state_name(zk_lock_state s)
{
    switch (s) {
    case ZK_LOCK_STATE_HELD: return "HELD";
    case ZK_LOCK_STATE_SUSPENDED: return "SUSPENDED";
    case ZK_LOCK_STATE_LOST: return "LOST";
    default: return "NOT_HELD";
    }
}

/* Runs on the client's event thread when the session changes our leadership. */
static void on_state(void *userdata, zk_lock_state state)
{
    (void)userdata;
    printf("%s: leadership %s\n", name, state_name(state));
    fflush(stdout);
}

/* Runs on main's thread while we lead. */
static void lead(void *userdata, zk_election *e)
{
    long tick = 0;
    zk_string_list *who = NULL;
    (void)userdata;
    printf("%s leads\n", name);
    if (zk_election_contenders(e, &who) == ZK_RESULT_OK) {
        size_t i;
        printf("%s: contenders:", name);
        for (i = 0; i < zk_string_list_len(who); i++)
            printf(" %s", zk_string_list_get(who, i));
        printf("\n");
        zk_string_list_free(who);
    }
    fflush(stdout);
    /* zk_election_wait returns at once on a stop request or a change of state. */
    while (!zk_election_wait(e, 1000)) {
        if (zk_election_get_state(e) != ZK_LOCK_STATE_HELD)
            continue; /* suspended: do nothing a leader alone may do */
        printf("%s: tick %ld\n", name, ++tick);
        fflush(stdout);
    }
    printf("%s stops leading\n", name);
}

/* Waits for SIGINT or SIGTERM (blocked in every thread) and cancels. */
static void *signal_thread(void *arg)
{
    sigset_t set;
    int sig;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (sigwait(&set, &sig) == 0)
        zk_election_cancel(arg);
    return NULL;
}

static int check(zk_result r, const char *what)
{
    if (r != ZK_RESULT_OK)
        fprintf(stderr, "%s: %s: %s\n", name, what, zk_result_message(r));
    return r == ZK_RESULT_OK;
}

int main(int argc, char **argv)
{
    zk_options *o;
    zk_client *zk = NULL;
    zk_election *e = NULL;
    pthread_t sig;
    sigset_t set;
    int ok, have_sig = 0;
    zk_result r = ZK_RESULT_OK;

    if (argc != 4) {
        fprintf(stderr, "usage: leader HOSTS PATH NAME\n");
        return 2;
    }
    name = argv[3];
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    o = zk_options_new();
    ok = check(zk_options_set_hosts(o, argv[1]), "hosts") &&
         check(zk_client_new(o, &zk), "zk_client_new");
    zk_options_free(o);
    ok = ok && check(zk_start(zk, 0), "zk_start") &&
         check(zk_election_new(zk, argv[2], name, ZK_LAYOUT_KAZOO, &e), "zk_election_new") &&
         check(zk_election_set_state_callback(e, on_state, NULL, NULL), "callback") &&
         (have_sig = pthread_create(&sig, NULL, signal_thread, e) == 0);
    if (ok) {
        printf("%s: waiting to lead\n", name);
        fflush(stdout);
        r = zk_election_run(e, -1, lead, NULL);
        if (r == ZK_RESULT_CANCELLED)
            printf("%s: cancelled\n", name);
        else
            ok = check(r, "run");
    }
    if (have_sig) { /* it must not cancel a freed election */
        pthread_cancel(sig);
        pthread_join(sig, NULL);
    }
    zk_election_free(e);
    zk_client_free(zk);
    return ok ? 0 : 1;
}
