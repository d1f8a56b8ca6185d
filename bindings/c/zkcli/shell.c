/* zkcli's shell: the loop that reads commands and runs them, as zkCli.sh's does. On a
 * terminal it edits lines with libedit (BSD licence, Debian's libedit-dev): emacs keys,
 * history kept across runs in $ZKCLI_HISTFILE (default ~/.zkcli_history) under the arrow
 * keys, Tab completion of command names and of node paths (children read from the server
 * as you type), Ctrl-C to drop the line, Ctrl-D to leave. The prompt is zkCli.sh's:
 * "[zk: HOSTS(STATE) N] ". Watch events and state changes print while a line is being
 * typed: the line is taken off the screen, the event printed, and the line drawn again
 * as it was. Without a terminal, commands are read from standard input, one a line, with
 * no prompt, and events print between them.
 */
#define _DEFAULT_SOURCE /* SIGWINCH, TIOCGWINSZ: a terminal's size */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <histedit.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

#include "zkcli.h"

/* Completion waits this long for a node's children at most. */
#define COMPLETE_TIMEOUT_MS 3000

static EditLine *el;
static History *hist;
static char *hist_file;
static struct zkcli *sx;       /* the shell's state, for libedit's callbacks */
static const char *alt_prompt; /* "multi> " while `multi` reads its ops */
static char prompt_buf[1200];
static bool cancelled;         /* Ctrl-C dropped the line being read */
static volatile sig_atomic_t resized;

static void on_sigint(int sig)
{
    (void)sig;
    zkcli_interrupted = 1;
}

static void on_sigwinch(int sig)
{
    (void)sig;
    resized = 1;
}

static char *prompt_fn(EditLine *e)
{
    const char *state;
    (void)e;
    if (alt_prompt != NULL)
        return (char *)alt_prompt;
    state = sx->c == NULL ? "CLOSED" : events_state_name(zk_get_keeper_state(sx->c));
    snprintf(prompt_buf, sizeof prompt_buf, "[zk: %.1000s(%s) %d] ", sx->hosts, state,
             sx->count);
    return prompt_buf;
}

/* ------------------------------------------------------------------ the screen */

static int term_cols(void)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

/* Columns taken by UTF-8 text: one a character. */
static size_t text_cols(const char *s, const char *end)
{
    size_t n = 0;
    for (; s < end && *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Where the line being edited lies on the screen: the row of the cursor and the row of
 * the line's end, counted from the prompt's row, and the column of the end. */
static void input_rows(EditLine *e, int *cursor_row, int *last_row, int *last_col)
{
    const LineInfo *li = el_line(e);
    const char *prompt = prompt_fn(e);
    size_t p = text_cols(prompt, prompt + strlen(prompt));
    size_t cols = (size_t)term_cols();
    *cursor_row = (int)((p + text_cols(li->buffer, li->cursor)) / cols);
    *last_row = (int)((p + text_cols(li->buffer, li->lastchar)) / cols);
    *last_col = (int)((p + text_cols(li->buffer, li->lastchar)) % cols);
}

/* Prints what the watches and the listener queued above the line being typed: the
 * prompt and line are erased, the events printed, and libedit draws them again. */
static void show_events(EditLine *e)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    int cur, last, col;
    if (mem == NULL)
        return;
    events_take(sx, mem);
    fclose(mem);
    if (len > 0) {
        input_rows(e, &cur, &last, &col);
        fflush(stdout);
        if (cur > 0)
            printf("\033[%dA", cur);
        printf("\r\033[J");
        fwrite(text, 1, len, stdout);
        fflush(stdout);
        el_set(e, EL_REFRESH);
    }
    free(text);
}

/* libedit's input: a character from the keyboard, printing events while it waits. */
static int getc_fn(EditLine *e, wchar_t *wc)
{
    mbstate_t ps;
    memset(&ps, 0, sizeof ps);
    for (;;) {
        struct pollfd p[2];
        char ch;
        ssize_t k;
        size_t m;
        p[0].fd = STDIN_FILENO;
        p[0].events = POLLIN;
        p[1].fd = events_fd();
        p[1].events = POLLIN;
        if (poll(p, 2, -1) < 0) {
            if (errno != EINTR)
                return -1;
            if (resized) {
                resized = 0;
                el_resize(e);
            }
            if (zkcli_interrupted) {
                zkcli_interrupted = 0;
                *wc = 3; /* Ctrl-C, bound to zkcli-interrupt */
                return 1;
            }
            continue;
        }
        if (p[1].revents & POLLIN)
            show_events(e);
        if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        if ((k = read(STDIN_FILENO, &ch, 1)) == 0)
            return 0;
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        m = mbrtowc(wc, &ch, 1, &ps);
        if (m == (size_t)-2)
            continue; /* more bytes of this character to come */
        if (m == (size_t)-1) {
            memset(&ps, 0, sizeof ps);
            *wc = (unsigned char)ch;
        }
        return 1;
    }
}

/* Ctrl-C: the line is dropped, and a new prompt comes. */
static unsigned char fn_interrupt(EditLine *e, int ch)
{
    int cur, last, col;
    (void)ch;
    input_rows(e, &cur, &last, &col);
    if (last > cur)
        printf("\033[%dB", last - cur);
    printf("\r");
    if (col > 0)
        printf("\033[%dC", col);
    printf("^C\r\n");
    fflush(stdout);
    cancelled = true;
    return CC_NEWLINE;
}

/* ------------------------------------------------------------------ completion */

struct names {
    char **v;
    size_t n;
};

static void names_free(struct names *m)
{
    size_t i;
    for (i = 0; i < m->n; i++)
        free(m->v[i]);
    free(m->v);
    m->v = NULL;
    m->n = 0;
}

static void names_add(struct names *m, const char *s)
{
    char **grown = realloc(m->v, (m->n + 1) * sizeof *grown);
    char *copy = strdup(s);
    if (grown == NULL || copy == NULL) {
        free(copy);
        if (grown != NULL)
            m->v = grown;
        return;
    }
    m->v = grown;
    m->v[m->n++] = copy;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The commands (or `multi`'s ops) that start with prefix. */
static void command_matches(const char *prefix, size_t len, struct names *m)
{
    static const char *const ops[] = { "create", "set", "delete", "check", "commit", "abort" };
    const char *name;
    size_t i;
    if (alt_prompt != NULL) {
        for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
            if (strncmp(ops[i], prefix, len) == 0)
                names_add(m, ops[i]);
        return;
    }
    for (i = 0; (name = zkcli_command_name(i)) != NULL; i++)
        if (strncmp(name, prefix, len) == 0)
            names_add(m, name);
}

/* The children of parent that start with base. */
static void child_matches(const char *parent, const char *base, struct names *m)
{
    zk_string_list *l = NULL;
    size_t i, n, len = strlen(base);
    uint32_t t = sx->timeout_ms < COMPLETE_TIMEOUT_MS ? sx->timeout_ms : COMPLETE_TIMEOUT_MS;
    if (sx->c == NULL || sx->closed ||
        zk_get_children(sx->c, parent, NULL, t, &l, NULL) != ZK_RESULT_OK)
        return;
    n = zk_string_list_len(l);
    for (i = 0; i < n; i++) {
        const char *c = zk_string_list_get(l, i);
        if (strncmp(c, base, len) == 0)
            names_add(m, c);
    }
    zk_string_list_free(l);
}

static bool has_children(const char *path)
{
    zk_stat st;
    uint32_t t = sx->timeout_ms < COMPLETE_TIMEOUT_MS ? sx->timeout_ms : COMPLETE_TIMEOUT_MS;
    return zk_exists(sx->c, path, NULL, t, &st) == ZK_RESULT_OK && st.num_children > 0;
}

/* Lists the candidates below the line, in columns, leaving the cursor where libedit
 * draws the prompt again (CC_REDISPLAY). */
static void list_matches(EditLine *e, const struct names *m)
{
    size_t i, width = 0, per_row, cols = (size_t)term_cols();
    int cur, last, col;
    for (i = 0; i < m->n; i++)
        if (strlen(m->v[i]) > width)
            width = strlen(m->v[i]);
    width += 2;
    per_row = width < cols ? cols / width : 1;
    input_rows(e, &cur, &last, &col);
    if (last > cur)
        printf("\033[%dB", last - cur);
    printf("\r\n");
    for (i = 0; i < m->n; i++) {
        bool end = (i + 1) % per_row == 0 || i + 1 == m->n;
        printf("%-*s", end ? 0 : (int)width, m->v[i]);
        if (end)
            printf("\r\n");
    }
    /* libedit clears the rows it thinks the line takes, up from the cursor's. */
    for (i = 0; i < (size_t)cur; i++)
        printf("\r\n");
    fflush(stdout);
}

/* Tab: completes the word before the cursor, a command name if it is the first, else a
 * node path. One candidate: its rest is inserted (and a space after a command or a
 * leaf node; a node with children gets its '/' at the next Tab). Several: their common
 * start, or, if there is none to add, the list of them. */
static unsigned char fn_complete(EditLine *e, int ch)
{
    const LineInfo *li = el_line(e);
    const char *start = li->cursor, *p;
    struct names m = { NULL, 0 };
    char *word, *parent = NULL;
    const char *base;
    size_t wlen, blen, common, i;
    bool first = true, is_path;
    unsigned char rc = CC_REFRESH;
    (void)ch;
    while (start > li->buffer && start[-1] != ' ' && start[-1] != '\t')
        start--;
    for (p = li->buffer; p < start; p++)
        if (*p != ' ' && *p != '\t')
            first = false;
    wlen = (size_t)(li->cursor - start);
    if ((word = strndup(start, wlen)) == NULL)
        return CC_ERROR;
    is_path = !first && word[0] == '/';
    if (first) {
        command_matches(word, wlen, &m);
        base = word;
    } else if (wlen == 0) {
        free(word);
        el_insertstr(e, "/");
        return CC_REFRESH;
    } else if (is_path) {
        const char *slash = strrchr(word, '/');
        parent = slash == word ? strdup("/") : strndup(word, (size_t)(slash - word));
        base = slash + 1;
        if (parent != NULL)
            child_matches(parent, base, &m);
    } else {
        free(word);
        return CC_REFRESH_BEEP;
    }
    blen = strlen(base);
    if (m.n == 0) {
        rc = CC_REFRESH_BEEP;
        goto out;
    }
    qsort(m.v, m.n, sizeof *m.v, cmp_name);
    common = strlen(m.v[0]);
    for (i = 1; i < m.n; i++) {
        size_t k = 0;
        while (k < common && m.v[i][k] == m.v[0][k])
            k++;
        common = k;
    }
    if (common > blen) {
        char *rest = strndup(m.v[0] + blen, common - blen);
        if (rest != NULL)
            el_insertstr(e, rest);
        free(rest);
    }
    if (m.n == 1) {
        if (!is_path) {
            el_insertstr(e, " ");
        } else {
            /* The node's full path decides between '/' (next Tab) and ' '. */
            size_t plen = strlen(parent);
            char *full = malloc(plen + strlen(m.v[0]) + 2);
            if (full != NULL) {
                sprintf(full, "%s%s%s", parent, strcmp(parent, "/") == 0 ? "" : "/", m.v[0]);
                if (!has_children(full))
                    el_insertstr(e, " ");
                else if (common == blen)
                    el_insertstr(e, "/"); /* complete already: go below it */
                free(full);
            }
        }
    } else if (common == blen) {
        list_matches(e, &m);
        rc = CC_REDISPLAY;
    }
out:
    names_free(&m);
    free(parent);
    free(word);
    return rc;
}

/* ------------------------------------------------------------------ reading lines */

static char *edit_read_line(struct zkcli *x, const char *prompt)
{
    HistEvent ev;
    const char *s;
    char *line;
    size_t n;
    int count = 0;
    (void)x;
    alt_prompt = prompt;
    cancelled = false;
    zkcli_interrupted = 0;
    s = el_gets(el, &count);
    alt_prompt = NULL;
    if (cancelled)
        return strdup("");
    if (s == NULL || count <= 0)
        return NULL;
    if ((line = strdup(s)) == NULL)
        return NULL;
    n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    if (strspn(line, " \t") < n) {
        history(hist, &ev, H_ENTER, line);
        if (hist_file != NULL)
            history(hist, &ev, H_SAVE, hist_file);
    }
    return line;
}

/* Without a terminal: lines from standard input, events printed while waiting. */
static char *plain_read_line(struct zkcli *x, const char *prompt)
{
    static char *buf;
    static size_t len, cap;
    static bool eof;
    (void)prompt;
    for (;;) {
        char *nl = len > 0 ? memchr(buf, '\n', len) : NULL;
        struct pollfd p[2];
        char *line;
        ssize_t k;
        if (nl != NULL || (eof && len > 0)) {
            size_t n = nl != NULL ? (size_t)(nl - buf) : len;
            if ((line = strndup(buf, n)) == NULL)
                return NULL;
            n += nl != NULL;
            memmove(buf, buf + n, len - n);
            len -= n;
            if (strlen(line) > 0 && line[strlen(line) - 1] == '\r')
                line[strlen(line) - 1] = '\0';
            return line;
        }
        if (eof) {
            free(buf);
            buf = NULL;
            cap = 0;
            return NULL;
        }
        p[0].fd = STDIN_FILENO;
        p[0].events = POLLIN;
        p[1].fd = events_fd();
        p[1].events = POLLIN;
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            eof = true;
            continue;
        }
        if (p[1].revents & POLLIN)
            events_take(x, stdout);
        if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        if (cap - len < 4096) {
            char *grown = realloc(buf, cap + 65536);
            if (grown == NULL) {
                eof = true;
                continue;
            }
            buf = grown;
            cap += 65536;
        }
        k = read(STDIN_FILENO, buf + len, cap - len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            eof = true;
        else
            len += (size_t)k;
    }
}

/* ------------------------------------------------------------------ the loop */

static void edit_init(void)
{
    HistEvent ev;
    const char *file = getenv("ZKCLI_HISTFILE"), *home = getenv("HOME");
    struct sigaction sa;

    hist = history_init();
    history(hist, &ev, H_SETSIZE, 1000);
    history(hist, &ev, H_SETUNIQUE, 1);
    if (file != NULL && file[0] != '\0') {
        hist_file = strdup(file);
    } else if (home != NULL && home[0] != '\0') {
        hist_file = malloc(strlen(home) + sizeof "/.zkcli_history");
        if (hist_file != NULL)
            sprintf(hist_file, "%s/.zkcli_history", home);
    }
    if (hist_file != NULL)
        history(hist, &ev, H_LOAD, hist_file); /* none yet is fine */

    el = el_init("zkcli", stdin, stdout, stderr);
    el_set(el, EL_EDITOR, "emacs");
    el_set(el, EL_PROMPT, prompt_fn);
    el_set(el, EL_HIST, history, hist);
    el_set(el, EL_GETCFN, getc_fn);
    el_source(el, NULL); /* ~/.editrc, for whoever has one */
    el_set(el, EL_ADDFN, "zkcli-complete", "complete a command or a node path", fn_complete);
    el_set(el, EL_BIND, "^I", "zkcli-complete", NULL);
    el_set(el, EL_ADDFN, "zkcli-interrupt", "drop the line", fn_interrupt);
    el_set(el, EL_BIND, "^C", "zkcli-interrupt", NULL);
    /* While a line is edited, Ctrl-C is a key like the others, read in its turn after
     * what was typed before it; between lines it is SIGINT (on_sigint). */
    el_set(el, EL_SETTY, "-d", "-isig", NULL);

    /* No SA_RESTART: a signal wakes getc_fn's poll. */
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_sigwinch;
    sigaction(SIGWINCH, &sa, NULL);
}

static void edit_end(void)
{
    el_end(el);
    history_end(hist);
    free(hist_file);
    el = NULL;
    hist = NULL;
    hist_file = NULL;
}

int shell_main(struct zkcli *x)
{
    sx = x;
    x->interactive = isatty(STDIN_FILENO);
    x->read_line = x->interactive ? edit_read_line : plain_read_line;
    if (x->interactive) {
        printf("Connecting to %s\n", x->hosts);
        fflush(stdout);
    }
    if (zkcli_start(x) != ZK_RESULT_OK)
        x->closed = true; /* the prompt says CLOSED; `connect` tries again */
    if (x->interactive) {
        printf("Welcome to zkcli (libzkclient %s): help lists the commands, Ctrl-D leaves\n",
               zk_version());
        edit_init();
    }
    while (!x->quit) {
        char *line;
        int status;
        events_take(x, stdout);
        fflush(stdout);
        if ((line = x->read_line(x, NULL)) == NULL) {
            if (x->interactive)
                printf("\n");
            break;
        }
        if (strspn(line, " \t") == strlen(line)) {
            free(line);
            continue;
        }
        if (!zkcli_history_add(x, line)) {
            free(line);
            fprintf(stderr, "zkcli: out of memory\n");
            x->last_failure = EXIT_FAILED;
            break;
        }
        status = zkcli_run_line(x, line);
        free(line);
        if (status != 0)
            x->last_failure = status;
        fflush(stdout);
        x->count++;
    }
    /* The session ends here, and says so, as zkCli.sh's does. */
    zkcli_close_client(x);
    events_take(x, stdout);
    if (x->interactive)
        edit_end();
    return x->last_failure;
}
