/* zkcli's `multi`: a transaction (zk_txn) of create, set, delete and check ops, given as
 * arguments, one op each (`multi "create /a x" "delete /b"`), or typed one a line after
 * `multi` until `commit` (`abort` drops them). The ops take the flags of the commands of
 * the same name; check is `check [-v version] path`, or `check path version`. Either
 * every op is applied or none: the results, one line an op, say which failed.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include "zkcli.h"

struct ops {
    zk_txn *txn;
    char **what; /* "create /a", ... for the result lines */
    size_t n;
};

static const char op_synopsis[] =
    "ops: create [-s] [-e] [-c] [-t ttl] path [data] [acl] | set [-v version] path data |\n"
    "     delete [-v version] path | check [-v version] path; then commit (or abort)";

static int op_usage(struct zkcli *x, const char *why)
{
    return zkcli_usage(x, "multi", "%s\n%s", why, op_synopsis);
}

/* The version of set, delete and check: -v, or a trailing positional one. */
static int op_version(struct zkcli *x, const struct opts *o, int npos_without, long *version)
{
    const char *v = NULL;
    if (HAS(*o, 'v') && o->npos == npos_without)
        v = o->opt['v'];
    else if (!HAS(*o, 'v') && o->npos == npos_without + 1)
        v = o->pos[npos_without];
    else if (o->npos != npos_without)
        return op_usage(x, "wrong arguments");
    if (v != NULL && !zkcli_parse_long(v, -1, INT32_MAX, version))
        return zkcli_usage(x, "multi", "bad version '%s'", v);
    return 0;
}

static int add_op(struct zkcli *x, struct ops *ops, int argc, char **argv)
{
    struct opts o;
    const char *name = argv[0];
    long version = -1;
    zk_result rc = ZK_RESULT_OK;
    char **grown, *what;
    int bad;
    if (strcmp(name, "create") == 0) {
        long long ttl = 0;
        uint32_t flags = 0;
        zk_acl *acl = NULL;
        size_t nacl = 0;
        char *store = NULL;
        const char *data;
        if ((bad = zkcli_parse_opts(x, argc, argv, "esct:", &o)) != 0)
            return bad;
        if (o.npos < 1 || o.npos > 3 ||
            (HAS(o, 't') && (!zkcli_parse_ll(o.opt['t'], 10, &ttl) || ttl <= 0 || ttl > MAX_TTL))) {
            free(o.pos);
            return op_usage(x, "create: want [-s] [-e] [-c] [-t ttl] path [data] [acl]");
        }
        if (o.npos == 3 && zkcli_parse_acl(x, o.pos[2], &acl, &nacl, &store) <= 0) {
            free(acl);
            free(store);
            free(o.pos);
            return op_usage(x, "create: no valid ACL entry");
        }
        flags = (HAS(o, 'e') ? ZK_CREATE_FLAG_EPHEMERAL : 0) |
                (HAS(o, 's') ? ZK_CREATE_FLAG_SEQUENCE : 0) |
                (HAS(o, 'c') ? ZK_CREATE_FLAG_CONTAINER : 0);
        data = o.npos >= 2 ? o.pos[1] : NULL;
        rc = zk_txn_create(ops->txn, o.pos[0], (const uint8_t *)data, data ? strlen(data) : 0,
                           acl, nacl, flags, ttl);
        free(acl);
        free(store);
    } else if (strcmp(name, "set") == 0) {
        if ((bad = zkcli_parse_opts(x, argc, argv, "v:", &o)) != 0)
            return bad;
        if (o.npos < 2 || (bad = op_version(x, &o, 2, &version)) != 0) {
            free(o.pos);
            return bad ? bad : op_usage(x, "set: want [-v version] path data");
        }
        rc = zk_txn_set(ops->txn, o.pos[0], (const uint8_t *)o.pos[1], strlen(o.pos[1]),
                        (int32_t)version);
    } else if (strcmp(name, "delete") == 0 || strcmp(name, "check") == 0) {
        if ((bad = zkcli_parse_opts(x, argc, argv, "v:", &o)) != 0)
            return bad;
        if (o.npos < 1 || (bad = op_version(x, &o, 1, &version)) != 0) {
            free(o.pos);
            return bad ? bad : op_usage(x, "want [-v version] path");
        }
        if (name[0] == 'c' && !HAS(o, 'v') && o.npos == 1) {
            free(o.pos);
            return op_usage(x, "check: want a version"); /* else it checks nothing */
        }
        if (name[0] == 'd')
            rc = zk_txn_delete(ops->txn, o.pos[0], (int32_t)version);
        else
            rc = zk_txn_check(ops->txn, o.pos[0], (int32_t)version);
    } else {
        return op_usage(x, "unknown op");
    }
    if (rc != ZK_RESULT_OK) {
        int status = zkcli_fail(x, name, o.pos[0], rc);
        free(o.pos);
        return status;
    }
    what = malloc(strlen(name) + strlen(o.pos[0]) + 2);
    grown = realloc(ops->what, (ops->n + 1) * sizeof *grown);
    if (what == NULL || grown == NULL) {
        free(what);
        free(o.pos);
        if (grown != NULL)
            ops->what = grown;
        fprintf(stderr, "zkcli: out of memory\n");
        return EXIT_FAILED;
    }
    sprintf(what, "%s %s", name, o.pos[0]);
    ops->what = grown;
    ops->what[ops->n++] = what;
    free(o.pos);
    return 0;
}

static int add_line(struct zkcli *x, struct ops *ops, const char *line)
{
    int argc = 0, status;
    char **argv = zkcli_split(line, &argc);
    if (argv == NULL) {
        fprintf(stderr, "zkcli: out of memory\n");
        return EXIT_FAILED;
    }
    status = argc > 0 ? add_op(x, ops, argc, argv) : 0;
    zkcli_free_words(argv, argc);
    return status;
}

static int commit(struct zkcli *x, struct ops *ops)
{
    zk_txn_results *res = NULL;
    zk_result rc = zk_txn_commit(x->c, ops->txn, x->timeout_ms, &res);
    const char *failed = NULL;
    size_t i;
    for (i = 0; i < zk_txn_results_len(res) && i < ops->n; i++) {
        zk_result op_rc;
        const char *path = NULL;
        zk_stat st;
        if (zk_txn_results_get(res, i, &op_rc, &path, &st) != ZK_RESULT_OK)
            continue;
        printf("%zu %s: ", i, ops->what[i]);
        if (op_rc == ZK_RESULT_OK && path != NULL)
            printf("created %s\n", path);
        else if (op_rc == ZK_RESULT_OK && strncmp(ops->what[i], "set ", 4) == 0)
            printf("version %d\n", st.version);
        else if (op_rc == ZK_RESULT_OK)
            printf("ok\n");
        else if (op_rc == ZK_RESULT_RUNTIME_INCONSISTENCY)
            printf("not applied\n");
        else {
            printf("%s (%d)\n", zk_result_message(op_rc), (int)op_rc);
            failed = ops->what[i];
        }
    }
    zk_txn_results_free(res);
    if (rc != ZK_RESULT_OK) {
        /* The failing op's path, for zkCli.sh's "Node does not exist: /a". */
        const char *path = failed ? strchr(failed, ' ') + 1 : NULL;
        return zkcli_fail(x, "multi", path, rc);
    }
    return 0;
}

int zkcli_cmd_multi(struct zkcli *x, int argc, char **argv)
{
    struct ops ops = { zk_txn_new(), NULL, 0 };
    int status = 0, i;
    size_t k;
    if (argc > 1) {
        for (i = 1; i < argc && status == 0; i++)
            status = add_line(x, &ops, argv[i]);
        if (status == 0)
            status = commit(x, &ops);
    } else {
        if (x->interactive)
            printf("%s\n", op_synopsis);
        for (;;) {
            char *line = x->read_line(x, "multi> ");
            int words = 0;
            char **w;
            if (line == NULL) {
                /* The end of a script's input commits; Ctrl-D on a terminal gives up. */
                if (x->interactive) {
                    printf("multi: aborted\n");
                    status = EXIT_FAILED;
                } else {
                    status = commit(x, &ops);
                }
                break;
            }
            w = zkcli_split(line, &words);
            if (w != NULL && words == 1 && strcmp(w[0], "commit") == 0) {
                zkcli_free_words(w, words);
                free(line);
                status = commit(x, &ops);
                break;
            }
            if (w != NULL && words == 1 && strcmp(w[0], "abort") == 0) {
                zkcli_free_words(w, words);
                free(line);
                printf("multi: aborted\n");
                status = EXIT_FAILED;
                break;
            }
            zkcli_free_words(w, words);
            status = add_line(x, &ops, line);
            free(line);
            /* On a terminal a mistyped op is only not added; a script's stops it all. */
            if (status != 0 && !x->interactive)
                break;
            status = 0;
        }
    }
    for (k = 0; k < ops.n; k++)
        free(ops.what[k]);
    free(ops.what);
    zk_txn_free(ops.txn);
    return status;
}
