/* zkcli's shared state and the functions its files call in one another: the client and
 * how it was opened (main.c), the commands (commands.c, multi.c, watch.c, recipes.c), the events
 * that watches and state changes print (events.c) and the interactive shell (shell.c).
 */
#ifndef ZKCLI_H
#define ZKCLI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "zkclient.h"

/* Exit statuses: what happened, for scripts (see usage() in main.c). */
enum {
    EXIT_OK = 0,
    EXIT_FAILED = 1,      /* the server or the library said no, for another reason */
    EXIT_USAGE = 2,       /* bad command line */
    EXIT_NO_NODE = 3,     /* the node does not exist */
    EXIT_NODE_EXISTS = 4, /* the node exists already */
    EXIT_BAD_VERSION = 5, /* the version given is not the node's */
    EXIT_NOT_EMPTY = 6,   /* the node has children */
    EXIT_NO_AUTH = 7,     /* not allowed, or a credential was refused */
    EXIT_CONNECTION = 8,  /* no server reached, connection lost, session expired, closed */
    EXIT_NOT_ACQUIRED = 9, /* a lock or leadership not had: the timeout passed, or Ctrl-C */
};

struct held; /* a lock or an election of the shell's (recipes.c) */

struct zkcli {
    zk_client *c;           /* NULL after a failed connect */
    char *hosts;            /* the connect string in use, as given (the prompt shows it) */
    const char *auth;       /* -a USER:PASSWORD, a digest credential sent on connect */
    uint32_t timeout_ms;    /* connect and per-call timeout */
    uint32_t session_ms;    /* session timeout asked for; 0: the library's default */
    bool read_only;         /* accept a read-only server */
    int verbose;            /* -v: log to stderr */
    bool shell;             /* zkCli.sh's output formats; else the one-shot script formats */
    bool interactive;       /* the shell reads a terminal, with line editing */
    bool closed;            /* `close` ended the session; commands say "Not connected" */
    bool quit;              /* `quit` was run */
    bool print_watches;     /* `printwatches on|off` */
    struct held *held;      /* the locks held and elections joined by the shell, in order */
    int last_failure;       /* the shell's exit status: that of the last command that failed */
    /* The commands by number, for `history` and `redo`: history[count] is the one
     * running (the prompt shows count); history_len is count + 1 while it runs. */
    char **history;
    int history_len;
    int count;
    /* Reads one more line (the lines of `multi`); NULL at the end of input. The caller
     * frees it. */
    char *(*read_line)(struct zkcli *x, const char *prompt);
};

/* Set by SIGINT while a handler is installed (the shell on a terminal, `watch`). */
extern volatile sig_atomic_t zkcli_interrupted;

/* main.c */
zk_result zkcli_open(struct zkcli *x, const char *hosts);
zk_result zkcli_start(struct zkcli *x);
void zkcli_close_client(struct zkcli *x);

/* Options as zkCli.sh takes them. spec: the letters, each followed by ':' if it takes a
 * value. After zkcli_parse_opts, opt[c] is the value ("" for a flag) or NULL, and pos
 * holds the other arguments (the command's name excepted); free pos. */
struct opts {
    const char *opt[128];
    char **pos;
    int npos;
};
#define HAS(o, c) ((o).opt[(unsigned char)(c)] != NULL)

/* The largest TTL a node can have (ZooKeeper's EphemeralType.MAX_TTL). */
#define MAX_TTL 1099511627775LL

/* commands.c */
int zkcli_parse_opts(struct zkcli *x, int argc, char **argv, const char *spec, struct opts *o);
bool zkcli_parse_ll(const char *s, int base, long long *out);
bool zkcli_history_add(struct zkcli *x, const char *line);
int zkcli_run(struct zkcli *x, int argc, char **argv);
int zkcli_run_line(struct zkcli *x, const char *line);
bool zkcli_is_command(const char *name);
bool zkcli_needs_session(const char *name);
const char *zkcli_command_name(size_t i); /* NULL past the last */
void zkcli_help(FILE *out);
int zkcli_fail(struct zkcli *x, const char *cmd, const char *path, zk_result rc);
int zkcli_usage(struct zkcli *x, const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
int zkcli_exit_code(zk_result rc);
bool zkcli_parse_long(const char *s, long min, long max, long *out);
void zkcli_print_stat(struct zkcli *x, const zk_stat *st);
int zkcli_parse_acl(struct zkcli *x, const char *text, zk_acl **out, size_t *n, char **store);
const char **zkcli_list_names(const zk_string_list *l, size_t *n, bool sorted);
void zkcli_print_list(struct zkcli *x, const char **names, size_t n);
char **zkcli_split(const char *line, int *argc);
void zkcli_free_words(char **words, int argc);

/* multi.c */
int zkcli_cmd_multi(struct zkcli *x, int argc, char **argv);

/* watch.c */
int zkcli_cmd_watch(struct zkcli *x, int argc, char **argv);

/* recipes.c */
int zkcli_cmd_lock(struct zkcli *x, int argc, char **argv);
int zkcli_cmd_election(struct zkcli *x, int argc, char **argv);
int zkcli_cmd_unlock(struct zkcli *x, int argc, char **argv);
int zkcli_cmd_locks(struct zkcli *x, int argc, char **argv);
void zkcli_recipes_end(struct zkcli *x);

/* events.c */
int events_init(void);
int events_fd(void);
/* What a command's watch is, which tells which watches one change fires (events.c). */
enum watch_kind { WATCH_GET, WATCH_EXISTS, WATCH_CHILD, WATCH_PERSISTENT, WATCH_RECURSIVE };
zk_watcher events_watcher(enum watch_kind kind, const char *path);
void events_settled(void);
void events_listener(void *userdata, zk_state state, zk_keeper_state keeper_state);
void events_reset_state(void);
bool events_wait_connected(uint32_t ms);
bool events_take(struct zkcli *x, FILE *out);
/* Queues a line of news that prints even with printwatches off (a lock's state). */
void events_note(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
const char *events_state_name(zk_keeper_state s);

/* shell.c */
int shell_main(struct zkcli *x);

#endif
