/* The ensembles the fault tests (test_faults_*.c) run on, and what those tests share:
 * starting, killing, pausing and restarting members (scripts/zkharness.py), clients pinned
 * to members, waits for listener states, armed watches, blocking calls on a thread of
 * their own. Defined in test_faults.c. */
#ifndef FAULTS_H
#define FAULTS_H

#include "zktest.h"

#define N_SERVERS 3
#define EVENT_WAIT_MS 10000

/* Room for one server beyond N_SERVERS: a joiner (cluster_add). */
#define MAX_SERVERS (N_SERVERS + 1)

struct cluster {
    bool up;
    char dir[128];
    int n; /* servers started so far: N_SERVERS, or one more after cluster_add */
    int port[MAX_SERVERS + 1];
    /* With --reconfig only: each server's quorum and election ports. */
    int quorum_port[MAX_SERVERS + 1], election_port[MAX_SERVERS + 1];
    bool killed[MAX_SERVERS + 1], paused[MAX_SERVERS + 1];
};

/* One blocking call on its own thread, to catch it in flight: a get (with `watcher` if
 * not NULL) or, with `create`, a sequential create under `path`. Each call's timeout
 * bounds the join. */
struct bg_call {
    zk_client *c;
    const char *path;
    const zk_watcher *watcher;
    bool create;
    pthread_t t;
    pthread_mutex_t mu;
    bool done;
    zk_result rc;
    char got[64];
};

bool cluster_verb(struct cluster *cl, const char *verb, int id);

void cluster_kill(struct cluster *cl, int id);

void cluster_restart(struct cluster *cl, int id);

void cluster_pause(struct cluster *cl, int id);

/* The id of the leader (the harness waits for an election), or 0. */
int cluster_leader(struct cluster *cl);

int follower(struct cluster *cl);

/* The `Mode:` line of `srvr` on server `id`, into `mode` ("" if it does not answer). */
void cluster_mode(struct cluster *cl, int id, char *mode, size_t len);

/* Waits for every server to serve, then names the leader (returned) and the two
 * followers, in id order; 0 after recording why. */
int leader_and_followers(struct cluster *cl, int *x, int *y);

/* Starts `N_SERVERS` servers with `flags` (extra zkharness start arguments). */
bool cluster_start(struct cluster *cl, const char *flags);

void cluster_stop(struct cluster *cl);

/* On a --reconfig cluster: starts one more server, which joins as a non-voting follower
 * until a reconfig adds member_line(id); returns its id, or 0 after recording why. */
int cluster_add(struct cluster *cl);

/* Server `id`'s line for a reconfig: "server.<id>=127.0.0.1:<quorum>:<election>:
 * participant;127.0.0.1:<port>". */
void member_line(struct cluster *cl, int id, char *out, size_t len);

/* The shared ensemble (global sessions, as deployed: a local session could not move),
 * started on first use and healed; NULL after recording why not. */
struct cluster *ensemble(void);

/* "127.0.0.1:p,..." of the servers in `ids` (0-terminated). */
void hosts_of(struct cluster *cl, const int *ids, char *out, size_t len);

/* Options for the servers `ids` in that order (not shuffled), 4 s sessions. */
zk_options *options_on(struct cluster *cl, const int *ids);

/* A started client on `ids` in that order (not shuffled); NULL after recording why. */
zk_client *client_on(struct cluster *cl, const int *ids, bool expiry_final, bool ro);

/* The client port of the server `c` is connected to, from its `conf`; 0 if unknown. */
int current_port(zk_client *c);

/* Index of the first (s, k) the listener heard at or after `from`, or -1 (recorded). */
int wait_state(struct zkt_rec *r, zk_state s, zk_keeper_state k, int from, int ms,
            int line);

void make_root(zk_client *c, char root[ZKT_PATH_MAX]);

/* A client on follower `f` first; `rest` gets the others, 0-terminated. */
zk_client *pinned(struct cluster *cl, int f, int rest[N_SERVERS]);

/* Arms 5 watches on `c` recording into `w`: 3 data watches, 2 exists on missing nodes. */
void arm_five(zk_client *c, const char *root, struct zkt_rec *w);

void check_all_ended(struct zkt_rec *w, int n, zk_keeper_state why);

bool bg_start(struct bg_call *b, zk_client *c, const char *path,
              const zk_watcher *watcher, bool create);

bool bg_done(struct bg_call *b);

void bg_join(struct bg_call *b);

#define WAIT_STATE(r, s, k, from, ms) wait_state((r), (s), (k), (from), (ms), __LINE__)

#endif /* FAULTS_H */
