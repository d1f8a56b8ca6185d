/* zkcli: a ZooKeeper command-line client on libzkclient's C API, and the sample of how to
 * use it: options, a started client, blocking calls, library-owned results freed with
 * their one free function, watches and a state listener whose callbacks hand their news
 * to the main thread. This file owns the command line and the client's life; the
 * commands are in commands.c, the interactive shell in shell.c.
 *
 * With a command it runs that one command and exits (one-shot mode, for scripts); without
 * one it is a shell, as zkCli.sh is: on a terminal with line editing, history and
 * completion, else reading commands from standard input.
 */
#define _POSIX_C_SOURCE 200809L

#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zkcli.h"

#define DEFAULT_HOSTS "127.0.0.1:2181"

volatile sig_atomic_t zkcli_interrupted;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: zkcli [-s HOSTS] [-t TIMEOUT_MS] [-T SESSION_MS] [-r] [-a USER:PASSWORD] [-v]\n"
            "             [COMMAND [ARGS]]\n"
            "\n"
            "Without a COMMAND, a shell (as zkCli.sh): on a terminal with line editing, Tab\n"
            "completion of commands and node paths, and history kept in $ZKCLI_HISTFILE (default\n"
            "~/.zkcli_history); else the commands are read from standard input, one a line.\n"
            "With a COMMAND, that one command, with output made for scripts where it differs\n"
            "from zkCli.sh's (ls: a child a line; get: the data as it is; create: the path;\n"
            "stat: one field a line; version: the server's).\n"
            "\n"
            "  -s HOSTS       connect string host[:port][,...][/chroot] (also -server HOSTS)\n"
            "                 (default: $ZK_HOSTS, else " DEFAULT_HOSTS ")\n"
            "  -t TIMEOUT_MS  connect and per-call timeout (default 10000)\n"
            "  -T SESSION_MS  session timeout to ask for (default 10000)\n"
            "  -r             accept a read-only server\n"
            "  -a USER:PW     authenticate with a digest credential\n"
            "  -v             log to stderr (-vv: debug), and print Stats of get/set\n"
            "\n"
            "exit status: 0 done, 1 failed (another reason), 2 bad usage, 3 no such node,\n"
            "4 node exists, 5 bad version, 6 node has children, 7 not allowed or credential\n"
            "refused, 8 no connection (unreachable, lost, timed out, expired, closed; a lock or\n"
            "leadership lost), 9 a lock or leadership not had (lock -t's timeout passed, or\n"
            "Ctrl-C while waiting). The shell exits with the status of the last command that\n"
            "failed.\n"
            "\n"
            "commands:\n");
    zkcli_help(out);
}

static void log_to_stderr(void *userdata, zk_log_level level, const char *message)
{
    static const char *const names[] = { "?", "error", "warn", "info", "debug" };
    (void)userdata;
    fprintf(stderr, "zkclient %s: %s\n",
            (int)level >= 1 && (int)level <= 4 ? names[level] : names[0], message);
}

/* Makes a new client for hosts (not started) in place of the current one. */
zk_result zkcli_open(struct zkcli *x, const char *hosts)
{
    zk_options *o = zk_options_new();
    zk_retry_policy p;
    zk_client *c = NULL;
    char *copy;
    zk_result rc = zk_options_set_hosts(o, hosts);
    if (rc == ZK_RESULT_OK && x->session_ms != 0)
        rc = zk_options_set_session_timeout_ms(o, x->session_ms);
    if (rc == ZK_RESULT_OK)
        rc = zk_options_set_read_only(o, x->read_only);
    if (rc == ZK_RESULT_OK && x->auth != NULL)
        rc = zk_options_add_auth(o, "digest", (const uint8_t *)x->auth, strlen(x->auth));
    if (rc == ZK_RESULT_OK && x->verbose)
        rc = zk_options_set_logger(o, log_to_stderr, NULL, NULL,
                                   x->verbose > 1 ? ZK_LOG_LEVEL_DEBUG : ZK_LOG_LEVEL_INFO);
    zk_retry_policy_init(&p);
    if (x->shell) {
        /* A shell outlives servers that restart: look for one forever, every 2 s at most. */
        p.max_delay_ms = 2000;
    } else {
        /* A script fails fast: one pass over the hosts list and a retry, not forever. */
        p.max_tries = 3;
    }
    if (rc == ZK_RESULT_OK)
        rc = zk_options_set_connection_retry(o, &p);
    if (rc == ZK_RESULT_OK)
        rc = zk_client_new(o, &c);
    zk_options_free(o);
    if (rc != ZK_RESULT_OK)
        return rc;
    if (x->shell) {
        zkcli_close_client(x);
        events_reset_state();
        rc = zk_add_listener(c, events_listener, NULL, NULL, NULL);
        if (rc != ZK_RESULT_OK) {
            zk_client_free(c);
            return rc;
        }
    } else {
        zkcli_close_client(x);
    }
    if ((copy = strdup(hosts)) == NULL) {
        zk_client_free(c);
        return ZK_RESULT_INVALID_ARGUMENT;
    }
    free(x->hosts);
    x->hosts = copy;
    x->c = c;
    x->closed = false;
    return ZK_RESULT_OK;
}

/* Starts the session; on failure says why (each server's last failure). */
zk_result zkcli_start(struct zkcli *x)
{
    zk_result rc = zk_start(x->c, x->timeout_ms);
    if (rc != ZK_RESULT_OK) {
        char *why = NULL;
        zkcli_fail(x, "connect", NULL, rc);
        if (zk_connect_error(x->c, &why) == ZK_RESULT_OK && why != NULL)
            fprintf(stderr, "  %s\n", why);
        zk_string_free(why);
        return rc;
    }
    /* The shell prints the first SyncConnected, as zkCli.sh does, before its prompt. */
    if (x->shell)
        events_wait_connected(2000);
    return ZK_RESULT_OK;
}

/* Ends the session and frees the client (its watches and listener end with it). */
void zkcli_close_client(struct zkcli *x)
{
    zkcli_recipes_end(x); /* released and left while the session is there */
    zk_client_free(x->c);
    x->c = NULL;
}

/* The one-shot command line as one string, for `history`. */
static char *join(int argc, char **argv)
{
    size_t len = 1;
    char *s;
    int i;
    for (i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    if ((s = malloc(len)) == NULL)
        return NULL;
    s[0] = '\0';
    for (i = 0; i < argc; i++) {
        if (i > 0)
            strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

static char *read_stdin_line(struct zkcli *x, const char *prompt)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    (void)x;
    (void)prompt;
    if ((n = getline(&line, &cap, stdin)) < 0) {
        free(line);
        return NULL;
    }
    if (n > 0 && line[n - 1] == '\n')
        line[n - 1] = '\0';
    return line;
}

int main(int argc, char **argv)
{
    const char *hosts = getenv("ZK_HOSTS");
    struct zkcli x;
    long v;
    int opt, status, i;
    zk_result rc;

    memset(&x, 0, sizeof x);
    x.timeout_ms = 10000;
    x.print_watches = true;
    setlocale(LC_CTYPE, "");
    if (hosts == NULL || hosts[0] == '\0')
        hosts = DEFAULT_HOSTS;
    /* zkCli.sh's spelling of -s, before the command only. */
    for (i = 1; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "-server") == 0)
            argv[i] = (char *)"-s";
        if (strlen(argv[i]) == 2 && strchr("stTa", argv[i][1]) != NULL)
            i++; /* its value */
    }
    /* '+': options stop at the command, whose own options follow it. */
    while ((opt = getopt(argc, argv, "+s:t:T:ra:vh")) != -1) {
        switch (opt) {
        case 's': hosts = optarg; break;
        case 't':
            if (!zkcli_parse_long(optarg, 1, UINT32_MAX, &v))
                return zkcli_usage(&x, NULL, "bad timeout '%s'", optarg);
            x.timeout_ms = (uint32_t)v;
            break;
        case 'T':
            if (!zkcli_parse_long(optarg, 1, 3600000, &v))
                return zkcli_usage(&x, NULL, "bad session timeout '%s'", optarg);
            x.session_ms = (uint32_t)v;
            break;
        case 'r': x.read_only = true; break;
        case 'a': x.auth = optarg; break;
        case 'v': x.verbose++; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    x.shell = optind >= argc;
    if (!x.shell) {
        const char *cmd = argv[optind];
        bool known = false;
        size_t k;
        for (k = 0; zkcli_command_name(k) != NULL; k++)
            known = known || strcmp(cmd, zkcli_command_name(k)) == 0;
        if (!known)
            return zkcli_usage(&x, NULL, "unknown command '%s'", cmd);
    } else if (events_init() != 0) {
        perror("zkcli: pipe");
        return EXIT_FAILED;
    }

    if ((rc = zkcli_open(&x, hosts)) != ZK_RESULT_OK) {
        fprintf(stderr, "zkcli: bad hosts '%s': %s (%d)\n", hosts, zk_result_message(rc), (int)rc);
        return EXIT_USAGE;
    }
    if (x.shell) {
        status = shell_main(&x);
    } else {
        char *line = join(argc - optind, argv + optind);
        x.read_line = read_stdin_line;
        if (line != NULL)
            zkcli_history_add(&x, line);
        free(line);
        if (zkcli_needs_session(argv[optind]) && (rc = zkcli_start(&x)) != ZK_RESULT_OK)
            status = zkcli_exit_code(rc);
        else
            status = zkcli_run(&x, argc - optind, argv + optind);
    }
    zkcli_close_client(&x);
    for (i = 0; i < x.history_len; i++)
        free(x.history[i]);
    free(x.history);
    free(x.hosts);
    if (fflush(stdout) != 0 && status == 0) {
        fprintf(stderr, "zkcli: write error\n");
        status = EXIT_FAILED;
    }
    return status;
}
