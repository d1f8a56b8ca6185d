/* Bad input: every function answers NULLs, bad paths, bad UTF-8, oversized data, bad
 * flags and bad option values with its documented error, never a crash, and the client
 * keeps working afterwards. Also the version macros and the result messages. */
#include "zktest.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static const zk_acl OPEN = { ZK_PERM_ALL, "world", "anyone" };

static void version_matches_the_header(void)
{
    char buf[64];
    CHECK_STR(zk_version(), ZK_VERSION_STRING);
    snprintf(buf, sizeof buf, "%d.%d.%d", ZK_VERSION_MAJOR, ZK_VERSION_MINOR, ZK_VERSION_PATCH);
    CHECK_STR(zk_version(), buf);
}

static void every_result_code_has_a_message(void)
{
    static const zk_result codes[] = {
        ZK_RESULT_OK, ZK_RESULT_SYSTEM_ERROR, ZK_RESULT_RUNTIME_INCONSISTENCY,
        ZK_RESULT_DATA_INCONSISTENCY, ZK_RESULT_CONNECTION_LOSS, ZK_RESULT_MARSHALLING_ERROR,
        ZK_RESULT_UNIMPLEMENTED, ZK_RESULT_OPERATION_TIMEOUT, ZK_RESULT_BAD_ARGUMENTS,
        ZK_RESULT_INVALID_STATE, ZK_RESULT_UNKNOWN_SESSION, ZK_RESULT_NEW_CONFIG_NO_QUORUM,
        ZK_RESULT_RECONFIG_IN_PROGRESS, ZK_RESULT_API_ERROR, ZK_RESULT_NO_NODE,
        ZK_RESULT_NO_AUTH, ZK_RESULT_BAD_VERSION, ZK_RESULT_NO_CHILDREN_FOR_EPHEMERALS,
        ZK_RESULT_NODE_EXISTS, ZK_RESULT_NOT_EMPTY, ZK_RESULT_SESSION_EXPIRED,
        ZK_RESULT_INVALID_CALLBACK, ZK_RESULT_INVALID_ACL, ZK_RESULT_AUTH_FAILED,
        ZK_RESULT_SESSION_MOVED, ZK_RESULT_NOT_READ_ONLY, ZK_RESULT_EPHEMERAL_ON_LOCAL_SESSION,
        ZK_RESULT_NO_WATCHER, ZK_RESULT_REQUEST_TIMEOUT, ZK_RESULT_RECONFIG_DISABLED,
        ZK_RESULT_SESSION_CLOSED_REQUIRE_SASL_AUTH, ZK_RESULT_QUOTA_EXCEEDED,
        ZK_RESULT_THROTTLED_OP, ZK_RESULT_NULL_ARGUMENT, ZK_RESULT_INVALID_ARGUMENT,
        ZK_RESULT_INVALID_PATH, ZK_RESULT_INVALID_UTF8, ZK_RESULT_TOO_LARGE, ZK_RESULT_CLOSED,
        ZK_RESULT_TIMED_OUT, ZK_RESULT_PANIC, ZK_RESULT_RETRIES_EXHAUSTED, ZK_RESULT_PROTOCOL,
        ZK_RESULT_BAD_REPLY, ZK_RESULT_TLS, ZK_RESULT_CANCELLED, ZK_RESULT_MISMATCH,
    };
    size_t i, j;
    for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        const char *m = zk_result_message(codes[i]);
        if (m == NULL || m[0] == '\0')
            zkt_fail(__FILE__, __LINE__, "no message for %d", (int)codes[i]);
        /* distinct codes, distinct messages */
        for (j = 0; j < i && m != NULL; j++)
            if (strcmp(m, zk_result_message(codes[j])) == 0)
                zkt_fail(__FILE__, __LINE__, "%d and %d share \"%s\"", (int)codes[i],
                         (int)codes[j], m);
    }
    CHECK(zk_result_message(ZK_RESULT_NO_NODE) == zk_result_message(ZK_RESULT_NO_NODE));
}

/* Any integer is a valid argument ("a code the library does not know gets a message
 * saying so"). Before 836f99d, -10 died of SIGILL and 12345 of SIGSEGV: each call runs in
 * a child, so a crash is a failure rather than the end of the suite. */
static void result_message_accepts_any_integer(void)
{
    static const int codes[] = { -10, -11, 12345, -1099, -2000, 1 };
    size_t i;
    for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        int status = 0;
        pid_t pid;
        fflush(NULL);
        pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            const char *m = zk_result_message((zk_result)codes[i]);
            _exit(m != NULL && m[0] != '\0' ? 0 : 1);
        }
        CHECK(waitpid(pid, &status, 0) == pid);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            zkt_fail(__FILE__, __LINE__, "zk_result_message(%d): child %s %d", codes[i],
                     WIFSIGNALED(status) ? "died of signal" : "exited with",
                     WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    }
}

static void never_string(void *ud, zk_result rc, const char *s, const zk_stat *st)
{
    (void)ud, (void)rc, (void)s, (void)st;
    zkt_fail(__FILE__, __LINE__, "a refused call's callback ran");
}
static void never_void(void *ud, zk_result rc)
{
    (void)ud, (void)rc;
    zkt_fail(__FILE__, __LINE__, "a refused call's callback ran");
}
static void never_stat(void *ud, zk_result rc, const zk_stat *st)
{
    (void)ud, (void)rc, (void)st;
    zkt_fail(__FILE__, __LINE__, "a refused call's callback ran");
}
static void never_data(void *ud, zk_result rc, const uint8_t *d, size_t n, const zk_stat *st)
{
    (void)ud, (void)rc, (void)d, (void)n, (void)st;
    zkt_fail(__FILE__, __LINE__, "a refused call's callback ran");
}
static void never_children(void *ud, zk_result rc, const zk_string_list *l, const zk_stat *st)
{
    (void)ud, (void)rc, (void)l, (void)st;
    zkt_fail(__FILE__, __LINE__, "a refused call's callback ran");
}
static void never_acl(void *ud, zk_result rc, const zk_acl_list *l, const zk_stat *st)
{
    (void)ud, (void)rc, (void)l, (void)st;
    zkt_fail(__FILE__, __LINE__, "a refused call's callback ran");
}

static void never_count(void *ud, zk_result rc, uint32_t n)
{
    (void)ud, (void)rc, (void)n;
    zkt_fail(__FILE__, __LINE__, "a refused call's callback ran");
}
static void never_identity(void *ud, zk_result rc, const zk_identity_list *l)
{
    (void)ud, (void)rc, (void)l;
    zkt_fail(__FILE__, __LINE__, "a refused call's callback ran");
}
static void never_reads(void *ud, zk_result rc, const zk_read_results *res)
{
    (void)ud, (void)rc, (void)res;
    zkt_fail(__FILE__, __LINE__, "a refused call's callback ran");
}

static void null_client_is_refused_everywhere(void)
{
    zk_buffer b = { NULL, 0 };
    zk_string_list *l = NULL;
    zk_acl_list *al = NULL;
    zk_client_id id;
    char *s = NULL;
    uint32_t v;
    uint64_t lid;
    struct zkt_rec r;
    zkt_rec_init(&r);

    CHECK_RC(zk_start(NULL, 0), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_stop(NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_restart(NULL, 0), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_close(NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_get_client_id(NULL, &id), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_add_listener(NULL, zkt_on_state, &r, zkt_on_final, &lid), ZK_RESULT_NULL_ARGUMENT);
    CHECK_EQ(zkt_rec_finals(&r), 1); /* the refused listener's userdata is released */
    CHECK_RC(zk_remove_listener(NULL, 1), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_create(NULL, "/a", NULL, 0, NULL, 0, 0, 0, 0, &s, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_ensure_path(NULL, "/a", NULL, 0, 0), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_exists(NULL, "/a", NULL, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_get(NULL, "/a", NULL, 0, &b, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_get_children(NULL, "/a", NULL, 0, &l, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_set(NULL, "/a", NULL, 0, -1, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_delete(NULL, "/a", -1, false, 0), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_sync(NULL, "/a", 0), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_get_acl(NULL, "/a", 0, &al, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_set_acl(NULL, "/a", &OPEN, 1, -1, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_add_auth(NULL, "digest", (const uint8_t *)"u:p", 3, 0), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_command(NULL, "ruok", 0, &s), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_server_version(NULL, 0, &v, &v, &v), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_set_hosts(NULL, "127.0.0.1:1"), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_connect_error(NULL, &s), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_remove_watches(NULL, "/a", ZK_WATCHER_TYPE_ANY, false, 0), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_get_ephemerals(NULL, "/", 0, &l), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_get_all_children_number(NULL, "/", 0, &v), ZK_RESULT_NULL_ARGUMENT);
    {
        zk_identity_list *il = NULL;
        CHECK_RC(zk_who_am_i(NULL, 0, &il), ZK_RESULT_NULL_ARGUMENT);
        CHECK(il == NULL);
    }
    {
        zk_read_batch *batch = zk_read_batch_new();
        zk_read_results *res = NULL;
        CHECK_OK(zk_read_batch_get(batch, "/"));
        CHECK_RC(zk_multi_read(NULL, batch, 0, &res), ZK_RESULT_NULL_ARGUMENT);
        CHECK(res == NULL);
        zk_read_batch_free(batch);
    }
    {
        zk_txn *txn = zk_txn_new();
        zk_txn_results *res = NULL;
        CHECK_RC(zk_txn_commit(NULL, txn, 0, &res), ZK_RESULT_NULL_ARGUMENT);
        CHECK(res == NULL);
        zk_txn_free(txn);
    }
    CHECK(s == NULL && b.data == NULL && l == NULL && al == NULL);

    /* The async calls and zk_add_watch: refused, no callback, and each finalizer runs
     * before the call returns. */
    {
        zk_watcher w = zkt_watcher(&r);
        int finals = zkt_rec_finals(&r);
        CHECK_RC(zk_add_watch(NULL, "/a", true, &w, 0), ZK_RESULT_NULL_ARGUMENT);
        CHECK_RC(zk_create_async(NULL, "/a", NULL, 0, NULL, 0, 0, 0, 0, never_string, &r,
                                 zkt_on_final),
                 ZK_RESULT_NULL_ARGUMENT);
        CHECK_RC(zk_delete_async(NULL, "/a", -1, 0, never_void, &r, zkt_on_final),
                 ZK_RESULT_NULL_ARGUMENT);
        CHECK_RC(zk_exists_async(NULL, "/a", NULL, 0, never_stat, &r, zkt_on_final),
                 ZK_RESULT_NULL_ARGUMENT);
        CHECK_RC(zk_get_async(NULL, "/a", NULL, 0, never_data, &r, zkt_on_final),
                 ZK_RESULT_NULL_ARGUMENT);
        CHECK_RC(zk_get_children_async(NULL, "/a", NULL, 0, never_children, &r, zkt_on_final),
                 ZK_RESULT_NULL_ARGUMENT);
        CHECK_RC(zk_set_async(NULL, "/a", NULL, 0, -1, 0, never_stat, &r, zkt_on_final),
                 ZK_RESULT_NULL_ARGUMENT);
        CHECK_RC(zk_sync_async(NULL, "/a", 0, never_string, &r, zkt_on_final),
                 ZK_RESULT_NULL_ARGUMENT);
        CHECK_RC(zk_get_acl_async(NULL, "/a", 0, never_acl, &r, zkt_on_final),
                 ZK_RESULT_NULL_ARGUMENT);
        CHECK_RC(zk_set_acl_async(NULL, "/a", &OPEN, 1, -1, 0, never_stat, &r, zkt_on_final),
                 ZK_RESULT_NULL_ARGUMENT);
        CHECK_RC(zk_get_ephemerals_async(NULL, "/", 0, never_children, &r, zkt_on_final),
                 ZK_RESULT_NULL_ARGUMENT);
        CHECK_RC(zk_get_all_children_number_async(NULL, "/", 0, never_count, &r, zkt_on_final),
                 ZK_RESULT_NULL_ARGUMENT);
        CHECK_RC(zk_who_am_i_async(NULL, 0, never_identity, &r, zkt_on_final),
                 ZK_RESULT_NULL_ARGUMENT);
        {
            zk_read_batch *batch = zk_read_batch_new();
            CHECK_RC(zk_multi_read_async(NULL, batch, 0, never_reads, &r, zkt_on_final),
                     ZK_RESULT_NULL_ARGUMENT);
            zk_read_batch_free(batch);
        }
        CHECK_EQ(zkt_rec_finals(&r), finals + 14);
    }

    /* The accessors answer for NULL with their documented defaults. */
    CHECK_EQ(zk_get_state(NULL), ZK_STATE_LOST);
    CHECK_EQ(zk_get_keeper_state(NULL), ZK_KEEPER_STATE_CLOSED);
    CHECK(!zk_is_connected(NULL));
    CHECK_EQ(zk_session_timeout_ms(NULL), 0);
    CHECK_EQ(zk_watch_count(NULL), 0);
    CHECK_EQ(zk_string_list_len(NULL), 0);
    CHECK(zk_string_list_get(NULL, 0) == NULL);
    CHECK_EQ(zk_acl_list_len(NULL), 0);
    {
        zk_acl a;
        CHECK_RC(zk_acl_list_get(NULL, 0, &a), ZK_RESULT_NULL_ARGUMENT);
    }
    zkt_rec_destroy(&r);
}

static void free_functions_accept_null(void)
{
    zk_buffer zero = { NULL, 0 };
    zk_client_free(NULL);
    zk_options_free(NULL);
    zk_buffer_free(NULL);
    zk_buffer_free(&zero);
    zk_string_free(NULL);
    zk_string_list_free(NULL);
    zk_acl_list_free(NULL);
    CHECK(zero.data == NULL && zero.len == 0);
}

static void buffers_free_twice_safely(void)
{
    zk_client *c = zkt_connect();
    zk_buffer b = { NULL, 0 };
    REQUIRE(c != NULL);
    CHECK_OK(zk_get(c, "/zookeeper/config", NULL, 0, &b, NULL));
    zk_buffer_free(&b);
    CHECK(b.data == NULL && b.len == 0);
    zk_buffer_free(&b); /* "a buffer already freed is fine" */
    zk_client_free(c);
}

static void null_options_are_refused_everywhere(void)
{
    zk_retry_policy p;
    zk_client_id id;
    zk_client *c = NULL;
    struct zkt_rec r;
    zkt_rec_init(&r);
    memset(&id, 0, sizeof id);
    CHECK_OK(zk_retry_policy_init(&p));

    CHECK_RC(zk_client_new(NULL, &c), ZK_RESULT_NULL_ARGUMENT);
    CHECK(c == NULL);
    CHECK_RC(zk_options_set_hosts(NULL, "127.0.0.1:2181"), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_options_set_session_timeout_ms(NULL, 1000), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_options_set_client_id(NULL, &id), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_options_add_default_acl(NULL, &OPEN), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_options_add_auth(NULL, "digest", (const uint8_t *)"u:p", 3), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_options_set_sasl_digest_md5(NULL, "u", "p", NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_options_set_read_only(NULL, true), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_options_set_randomize_hosts(NULL, false), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_options_set_connection_retry(NULL, &p), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_options_set_command_retry(NULL, &p), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_options_set_operation_timeout_ms(NULL, 1000), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_options_set_max_frame(NULL, 4096), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_options_set_expiry_final(NULL, true), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_options_set_logger(NULL, zkt_on_log, &r, zkt_on_final, ZK_LOG_LEVEL_INFO),
             ZK_RESULT_NULL_ARGUMENT);
    CHECK_EQ(zkt_rec_finals(&r), 1);
    CHECK_RC(zk_retry_policy_init(NULL), ZK_RESULT_NULL_ARGUMENT);
    zkt_rec_destroy(&r);
}

static void bad_option_values_are_refused(void)
{
    zk_options *o = zk_options_new();
    zk_retry_policy p, q;
    zk_client *c = NULL;
    zk_acl acl;
    REQUIRE(o != NULL);
    CHECK_OK(zk_retry_policy_init(&p));

    /* out-parameter and pointer arguments */
    CHECK_RC(zk_client_new(o, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_options_set_client_id(o, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_options_add_default_acl(o, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_options_set_connection_retry(o, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_options_set_command_retry(o, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_options_set_hosts(o, NULL), ZK_RESULT_NULL_ARGUMENT);

    /* ranges */
    CHECK_RC(zk_options_set_session_timeout_ms(o, 0), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_options_set_session_timeout_ms(o, 3600001), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_OK(zk_options_set_session_timeout_ms(o, 3600000));
    CHECK_RC(zk_options_set_operation_timeout_ms(o, 0), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_options_set_max_frame(o, 1023), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_OK(zk_options_set_max_frame(o, 1024));

    /* retry policies */
    q = p;
    q.max_tries = 0;
    CHECK_RC(zk_options_set_connection_retry(o, &q), ZK_RESULT_INVALID_ARGUMENT);
    q = p;
    q.max_tries = -2;
    CHECK_RC(zk_options_set_connection_retry(o, &q), ZK_RESULT_INVALID_ARGUMENT);
    q = p;
    q.backoff = 0.5;
    CHECK_RC(zk_options_set_command_retry(o, &q), ZK_RESULT_INVALID_ARGUMENT);
    q = p;
    q.max_jitter = 1.0;
    CHECK_RC(zk_options_set_command_retry(o, &q), ZK_RESULT_INVALID_ARGUMENT);
    q = p;
    q.deadline_ms = -5;
    CHECK_RC(zk_options_set_connection_retry(o, &q), ZK_RESULT_INVALID_ARGUMENT);

    /* ACL entries and credentials */
    acl.perms = 64;
    acl.scheme = "world";
    acl.id = "anyone";
    CHECK_RC(zk_options_add_default_acl(o, &acl), ZK_RESULT_INVALID_ACL);
    acl.perms = ZK_PERM_ALL;
    acl.scheme = "";
    CHECK_RC(zk_options_add_default_acl(o, &acl), ZK_RESULT_INVALID_ACL);
    acl.scheme = NULL;
    CHECK_RC(zk_options_add_default_acl(o, &acl), ZK_RESULT_NULL_ARGUMENT);
    acl.scheme = "world";
    acl.id = NULL;
    CHECK_RC(zk_options_add_default_acl(o, &acl), ZK_RESULT_NULL_ARGUMENT);
    acl.id = "\xff";
    CHECK_RC(zk_options_add_default_acl(o, &acl), ZK_RESULT_INVALID_UTF8);
    CHECK_RC(zk_options_add_auth(o, NULL, (const uint8_t *)"u:p", 3), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_options_add_auth(o, "", (const uint8_t *)"u:p", 3), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_options_add_auth(o, "digest", NULL, 3), ZK_RESULT_NULL_ARGUMENT);
    /* A digest credential is "user:password". */
    CHECK_RC(zk_options_add_auth(o, "digest", (const uint8_t *)"nocolon", 7),
             ZK_RESULT_INVALID_ARGUMENT);
    CHECK_OK(zk_options_add_auth(o, "digest", (const uint8_t *)"u:p:q", 5));

    /* TLS pairs: a certificate comes with its key; checking the host needs checking the
     * certificate. Refused when set, before any file is read. */
    CHECK_RC(zk_options_set_tls(o, NULL, "c.pem", NULL, true, true), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_options_set_tls(o, NULL, NULL, "k.pem", true, true), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_options_set_tls(o, NULL, NULL, NULL, false, true), ZK_RESULT_INVALID_ARGUMENT);

    /* A digest id's user cannot hold a ':', or no credential could match it. */
    {
        char *id = NULL;
        CHECK_RC(zk_digest_id("a:b", "p", &id), ZK_RESULT_INVALID_ARGUMENT);
        CHECK(id == NULL);
    }

    /* After all of that the options still make a client: a refused setting changed
     * nothing. */
    CHECK_OK(zk_client_new(o, &c));
    zk_client_free(c);
    zk_options_free(o);
}

static void garbage_hosts_are_refused(void)
{
    static const struct {
        const char *hosts;
        zk_result want;
    } cases[] = {
        { "", ZK_RESULT_INVALID_ARGUMENT },
        { ",,,", ZK_RESULT_INVALID_ARGUMENT },
        { "   ", ZK_RESULT_INVALID_ARGUMENT },
        { "host:notaport", ZK_RESULT_INVALID_ARGUMENT },
        { "host:99999", ZK_RESULT_INVALID_ARGUMENT },
        { "host:", ZK_RESULT_INVALID_ARGUMENT },
        { "[::1", ZK_RESULT_INVALID_ARGUMENT },
        { "[::1]x", ZK_RESULT_INVALID_ARGUMENT },
        { "/only-chroot", ZK_RESULT_INVALID_ARGUMENT },
        { "h:2181/bad/", ZK_RESULT_INVALID_PATH },
        { "h:2181/a//b", ZK_RESULT_INVALID_PATH },
        { "h:2181/\xff", ZK_RESULT_INVALID_UTF8 },
    };
    static const char *const good[] = { "h", "h:1", "a:1,b:2", "[::1]:2181", "[::1]",
                                        "h:2181/", "h:2181/app", " a:1 , b:2 " };
    zk_options *o = zk_options_new();
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        zk_result rc = zk_options_set_hosts(o, cases[i].hosts);
        if (rc != cases[i].want)
            zkt_fail(__FILE__, __LINE__, "hosts \"%s\": got %d (%s), want %d", cases[i].hosts,
                     (int)rc, zk_result_message(rc), (int)cases[i].want);
    }
    for (i = 0; i < sizeof good / sizeof good[0]; i++) {
        zk_result rc = zk_options_set_hosts(o, good[i]);
        if (rc != ZK_RESULT_OK)
            zkt_fail(__FILE__, __LINE__, "hosts \"%s\": got %d (%s)", good[i], (int)rc,
                     zk_result_message(rc));
    }
    zk_options_free(o);
}

/* Each path-taking call with `path`; all must give `want`. */
static void check_path_everywhere(zk_client *c, const char *path, zk_result want, int line)
{
    zk_buffer b = { NULL, 0 };
    zk_string_list *l = NULL;
    zk_acl_list *al = NULL;
    char *s = NULL;
    zk_result got[10];
    int i;
    got[0] = zk_create(c, path, NULL, 0, NULL, 0, 0, 0, 0, &s, NULL);
    got[1] = zk_ensure_path(c, path, NULL, 0, 0);
    got[2] = zk_exists(c, path, NULL, 0, NULL);
    got[3] = zk_get(c, path, NULL, 0, &b, NULL);
    got[4] = zk_get_children(c, path, NULL, 0, &l, NULL);
    got[5] = zk_set(c, path, NULL, 0, -1, 0, NULL);
    got[6] = zk_delete(c, path, -1, true, 0);
    got[7] = zk_sync(c, path, 0);
    got[8] = zk_get_acl(c, path, 0, &al, NULL);
    got[9] = zk_set_acl(c, path, &OPEN, 1, -1, 0, NULL);
    for (i = 0; i < 10; i++)
        if (got[i] != want)
            zkt_fail(__FILE__, line, "path \"%s\", call %d: got %d (%s), want %d (%s)",
                     path ? path : "(NULL)", i, (int)got[i], zk_result_message(got[i]), (int)want,
                     zk_result_message(want));
    if (s != NULL || b.data != NULL || l != NULL || al != NULL)
        zkt_fail(__FILE__, line, "path \"%s\": an out-parameter was written on failure", path);
}

static void bad_paths_are_refused_before_sending(void)
{
    static const char *const invalid[] = {
        "", "no-slash", "/trailing/", "//", "/a//b", "/a/../b", "/a/./b", "/..", "/.",
        "/a/..", "/a\x01" "b", "/a\x7f", "/\xef\x80\x80", /* U+F000, a private-use char */
        "/\xf0\x9f\x98\x80",                               /* outside the BMP */
    };
    static const char *const bad_utf8[] = { "/\xff\xfe", "/a\xc3", "/\xed\xa0\x80" };
    zk_client *c = zkt_connect();
    size_t i;
    REQUIRE(c != NULL);
    for (i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        check_path_everywhere(c, invalid[i], ZK_RESULT_INVALID_PATH, __LINE__);
    for (i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++)
        check_path_everywhere(c, bad_utf8[i], ZK_RESULT_INVALID_UTF8, __LINE__);
    check_path_everywhere(c, NULL, ZK_RESULT_NULL_ARGUMENT, __LINE__);
    CHECK(zk_is_connected(c));
    CHECK_OK(zk_exists(c, "/", NULL, 0, NULL));
    zk_client_free(c);
}

static void null_out_parameters_are_refused(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    struct zkt_rec r;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_rec_init(&r);
    CHECK_RC(zk_get(c, root, NULL, 0, NULL, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_get_children(c, root, NULL, 0, NULL, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_get_acl(c, root, 0, NULL, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_get_client_id(c, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_command(c, "ruok", 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_digest_id("u", "p", NULL), ZK_RESULT_NULL_ARGUMENT);
    {
        char *s = NULL;
        CHECK_RC(zk_digest_id(NULL, "p", &s), ZK_RESULT_NULL_ARGUMENT);
        CHECK_RC(zk_digest_id("u", NULL, &s), ZK_RESULT_NULL_ARGUMENT);
        CHECK_RC(zk_digest_id("\xff", "p", &s), ZK_RESULT_INVALID_UTF8);
        CHECK(s == NULL);
    }
    {
        zk_acl_list *l = NULL;
        CHECK_OK(zk_get_acl(c, root, 0, &l, NULL));
        CHECK_RC(zk_acl_list_get(l, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
        zk_acl_list_free(l);
    }
    /* The optional ones may be NULL. */
    CHECK_OK(zk_create(c, zkt_path(p, "%s/opt", root), NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL));
    CHECK_OK(zk_exists(c, p, NULL, 0, NULL));
    {
        zk_string_list *l = NULL;
        CHECK_OK(zk_get_children(c, p, NULL, 0, &l, NULL));
        zk_string_list_free(l);
    }
    CHECK_OK(zk_set(c, p, NULL, 0, -1, 0, NULL));
    CHECK_OK(zk_add_listener(c, zkt_on_state, &r, NULL, NULL));
    zkt_teardown(c, root);
    zkt_rec_destroy(&r);
}

static void bad_data_acl_and_credentials_are_refused(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    zk_acl acl;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_path(p, "%s/n", root);

    /* data NULL with a length */
    CHECK_RC(zk_create(c, p, NULL, 5, NULL, 0, 0, 0, 0, NULL, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_set(c, root, NULL, 5, -1, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    /* ACLs */
    CHECK_RC(zk_create(c, p, NULL, 0, NULL, 2, 0, 0, 0, NULL, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_set_acl(c, root, NULL, 1, -1, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_ensure_path(c, p, NULL, 1, 0), ZK_RESULT_NULL_ARGUMENT);
    acl.perms = 32;
    acl.scheme = "world";
    acl.id = "anyone";
    CHECK_RC(zk_create(c, p, NULL, 0, &acl, 1, 0, 0, 0, NULL, NULL), ZK_RESULT_INVALID_ACL);
    CHECK_RC(zk_set_acl(c, root, &acl, 1, -1, 0, NULL), ZK_RESULT_INVALID_ACL);
    acl.perms = 0x80000000u;
    CHECK_RC(zk_create(c, p, NULL, 0, &acl, 1, 0, 0, 0, NULL, NULL), ZK_RESULT_INVALID_ACL);
    acl.perms = ZK_PERM_ALL;
    acl.scheme = NULL;
    CHECK_RC(zk_create(c, p, NULL, 0, &acl, 1, 0, 0, 0, NULL, NULL), ZK_RESULT_NULL_ARGUMENT);
    acl.scheme = "world";
    acl.id = "\xc3";
    CHECK_RC(zk_create(c, p, NULL, 0, &acl, 1, 0, 0, 0, NULL, NULL), ZK_RESULT_INVALID_UTF8);
    /* An ACL the server does not know: refused by the server. */
    acl.scheme = "no-such-scheme";
    acl.id = "x";
    CHECK_RC(zk_create(c, p, NULL, 0, &acl, 1, 0, 0, 0, NULL, NULL), ZK_RESULT_INVALID_ACL);
    /* credentials */
    CHECK_RC(zk_add_auth(c, NULL, (const uint8_t *)"u:p", 3, 0), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_add_auth(c, "", (const uint8_t *)"u:p", 3, 0), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_add_auth(c, "digest", NULL, 3, 0), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_add_auth(c, "\xff", (const uint8_t *)"u:p", 3, 0), ZK_RESULT_INVALID_UTF8);
    CHECK_RC(zk_add_auth(c, "digest", (const uint8_t *)"nocolon", 7, 0),
             ZK_RESULT_INVALID_ARGUMENT);
    /* listeners */
    CHECK_RC(zk_add_listener(c, NULL, NULL, NULL, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK(zk_is_connected(c));
    CHECK_RC(zk_exists(c, p, NULL, 0, NULL), ZK_RESULT_NO_NODE);
    zkt_teardown(c, root);
}

static void bad_create_flags_are_refused(void)
{
    static const struct {
        uint32_t flags;
        int64_t ttl;
    } cases[] = {
        { 16, 0 },
        { 0x80000000u, 0 },
        { ZK_CREATE_FLAG_EPHEMERAL | ZK_CREATE_FLAG_CONTAINER, 0 },
        { ZK_CREATE_FLAG_SEQUENCE | ZK_CREATE_FLAG_CONTAINER, 0 },
        { ZK_CREATE_FLAG_EPHEMERAL, 1000 },
        { ZK_CREATE_FLAG_EPHEMERAL | ZK_CREATE_FLAG_SEQUENCE, 1000 },
        { ZK_CREATE_FLAG_CONTAINER, 1000 },
        { 0, -1 },
        { 0, 0x10000000000LL }, /* over the server's TTL maximum */
    };
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    size_t i;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_path(p, "%s/n", root);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = NULL;
        zk_result rc = zk_create(c, p, NULL, 0, NULL, 0, cases[i].flags, cases[i].ttl, 0, &s, NULL);
        if (rc != ZK_RESULT_INVALID_ARGUMENT)
            zkt_fail(__FILE__, __LINE__, "flags 0x%x ttl %lld: got %d (%s)",
                     (unsigned)cases[i].flags, (long long)cases[i].ttl, (int)rc,
                     zk_result_message(rc));
        CHECK(s == NULL);
    }
    CHECK_RC(zk_exists(c, p, NULL, 0, NULL), ZK_RESULT_NO_NODE);
    zkt_teardown(c, root);
}

static void two_megabytes_of_data_are_too_large(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    size_t big = 2u << 20;
    uint8_t *data = malloc(big);
    char *s = NULL;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL && data != NULL);
    memset(data, 'z', big);
    zkt_path(p, "%s/big", root);

    CHECK_RC(zk_create(c, p, data, big, NULL, 0, 0, 0, 0, NULL, NULL), ZK_RESULT_TOO_LARGE);
    CHECK_OK(zkt_create(c, p, "small"));
    CHECK_RC(zk_set(c, p, data, big, -1, 0, NULL), ZK_RESULT_TOO_LARGE);
    /* 1,000,000 bytes is under both our frame limit and the server's jute.maxbuffer. */
    CHECK_OK(zk_set(c, p, data, 1000 * 1000, -1, 0, NULL));
    CHECK(zk_is_connected(c));
    CHECK_OK(zkt_set_str(c, p, "still works"));
    CHECK_OK(zkt_get_str(c, p, &s, NULL));
    CHECK_STR(s, "still works");
    free(s);
    free(data);
    zkt_teardown(c, root);
}

/* The default request limit is the default server's jute.maxbuffer, 1,048,575 bytes of
 * frame after its length: a set whose frame is exactly that is applied, one byte more is
 * TOO_LARGE before anything is sent (the server would drop the connection, and every call
 * in flight would fail with CONNECTION_LOSS), and so is a 1 MiB set. */
static void requests_stop_at_the_default_servers_limit(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    const size_t jute_max = 1048575, mib = (size_t)1 << 20;
    /* setData's frame: xid and op (8), the path (4 + its length), data (4 + n), version (4) */
    size_t fits;
    uint8_t *data = malloc(mib);
    zk_buffer b = { NULL, 0 };
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL && data != NULL);
    memset(data, 'j', mib);
    zkt_path(p, "%s/limit", root);
    fits = jute_max - 8 - (4 + strlen(p)) - 4 - 4;
    CHECK_OK(zkt_create(c, p, ""));

    CHECK_RC(zk_set(c, p, data, mib, -1, 0, NULL), ZK_RESULT_TOO_LARGE);
    CHECK_RC(zk_set(c, p, data, fits + 1, -1, 0, NULL), ZK_RESULT_TOO_LARGE);
    CHECK_OK(zk_set(c, p, data, fits, -1, 0, NULL));
    CHECK_OK(zk_get(c, p, NULL, 0, &b, NULL));
    CHECK_EQ(b.len, fits);
    zk_buffer_free(&b);
    CHECK(zk_is_connected(c));
    free(data);
    zkt_teardown(c, root);
}

/* A (pointer, length) pair whose length is more than any request can carry, or more than
 * the client's frame limit, is TOO_LARGE before a byte is read: each buffer here is four
 * bytes, so a read of the claimed length would be an ASan or valgrind report. */
static void lengths_past_the_buffer_are_refused_before_reading(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    static const uint8_t four[4] = { 'u', ':', 'p', 'w' };
    const size_t huge[] = { (size_t)1 << 31, SIZE_MAX, ((size_t)1 << 30) + 1 };
    const size_t over_frame = (size_t)2 << 20; /* over the 1 MiB frame, under 1 GiB */
    zk_acl acl;
    zk_txn *txn = zk_txn_new();
    zk_options *o = zkt_options(NULL);
    zk_client *c = zkt_setup(root);
    size_t i;
    REQUIRE(c != NULL && txn != NULL && o != NULL);
    zkt_path(p, "%s/n", root);
    acl.perms = ZK_PERM_ALL;
    acl.scheme = "world";
    acl.id = "anyone";

    for (i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        CHECK_RC(zk_txn_create(txn, p, four, huge[i], NULL, 0, 0, 0), ZK_RESULT_TOO_LARGE);
        CHECK_RC(zk_txn_create(txn, p, four, 4, &acl, huge[i], 0, 0), ZK_RESULT_TOO_LARGE);
        CHECK_RC(zk_txn_set(txn, p, four, huge[i], -1), ZK_RESULT_TOO_LARGE);
        CHECK_RC(zk_add_auth(c, "digest", four, huge[i], 0), ZK_RESULT_TOO_LARGE);
        CHECK_RC(zk_options_add_auth(o, "digest", four, huge[i]), ZK_RESULT_TOO_LARGE);
        CHECK_RC(zk_create(c, p, four, huge[i], NULL, 0, 0, 0, 0, NULL, NULL), ZK_RESULT_TOO_LARGE);
        CHECK_RC(zk_create(c, p, four, 4, &acl, huge[i], 0, 0, 0, NULL, NULL), ZK_RESULT_TOO_LARGE);
        CHECK_RC(zk_ensure_path(c, p, &acl, huge[i], 0), ZK_RESULT_TOO_LARGE);
        CHECK_RC(zk_set(c, root, four, huge[i], -1, 0, NULL), ZK_RESULT_TOO_LARGE);
        CHECK_RC(zk_set_acl(c, root, &acl, huge[i], -1, 0, NULL), ZK_RESULT_TOO_LARGE);
    }
    /* over the frame limit a client or its options know: credentials are copied or read
     * (the digest check) at once, so the limit comes first */
    CHECK_RC(zk_add_auth(c, "digest", four, over_frame, 0), ZK_RESULT_TOO_LARGE);
    CHECK_RC(zk_options_add_auth(o, "digest", four, over_frame), ZK_RESULT_TOO_LARGE);
    /* the transaction, the options and the client are as they were */
    CHECK_OK(zk_txn_set(txn, root, four, 4, -1));
    CHECK_OK(zk_txn_commit(c, txn, 0, NULL));
    CHECK(zk_is_connected(c));
    CHECK_RC(zk_exists(c, p, NULL, 0, NULL), ZK_RESULT_NO_NODE);
    zk_options_free(o);
    zk_txn_free(txn);
    zkt_teardown(c, root);
}

/* After zk_close every call that talks to the server is CLOSED, as the header says, those
 * that would send nothing included: an empty transaction and a four-letter command. An
 * empty transaction before zk_start is CLOSED too (there is no session to commit it in);
 * a four-letter command needs no session and works before zk_start. */
static void a_closed_client_refuses_empty_transactions_and_commands(void)
{
    zk_options *o = zkt_options(NULL);
    zk_client *c = NULL;
    zk_txn *txn = zk_txn_new();
    zk_txn_results *res = NULL;
    char *out = NULL;
    REQUIRE(o != NULL && txn != NULL);
    REQUIRE(zk_client_new(o, &c) == ZK_RESULT_OK);
    zk_options_free(o);

    CHECK_RC(zk_txn_commit(c, txn, 0, &res), ZK_RESULT_CLOSED);
    CHECK(res == NULL);
    CHECK_OK(zk_command(c, "ruok", 0, &out));
    CHECK_STR(out, "imok");
    zk_string_free(out);
    out = NULL;

    CHECK_OK(zk_start(c, 0));
    CHECK_OK(zk_txn_commit(c, txn, 0, &res));
    CHECK(zk_txn_results_len(res) == 0);
    zk_txn_results_free(res);
    res = NULL;

    CHECK_OK(zk_close(c));
    CHECK_RC(zk_txn_commit(c, txn, 0, &res), ZK_RESULT_CLOSED);
    CHECK(res == NULL);
    CHECK_RC(zk_command(c, "ruok", 0, &out), ZK_RESULT_CLOSED);
    CHECK(out == NULL);
    CHECK_RC(zk_exists(c, "/", NULL, 0, NULL), ZK_RESULT_CLOSED);
    zk_txn_free(txn);
    zk_client_free(c);
}

/* The life cycle out of order: stop before start, start twice, stop twice, restart of a
 * client never started, close before start, close twice; each returns its documented code
 * and the client works (or is CLOSED) afterwards. */
static void the_life_cycle_out_of_order(void)
{
    zk_options *o = zkt_options(NULL);
    zk_client *c = NULL;
    REQUIRE(o != NULL);
    REQUIRE(zk_client_new(o, &c) == ZK_RESULT_OK);

    CHECK_OK(zk_stop(c)); /* not started: nothing to stop */
    CHECK_EQ(zk_get_keeper_state(c), ZK_KEEPER_STATE_CLOSED);
    CHECK_OK(zk_restart(c, 0)); /* from never started: a start */
    CHECK(zk_is_connected(c));
    CHECK_OK(zk_start(c, 0)); /* already started: the same session */
    CHECK_OK(zk_exists(c, "/", NULL, 0, NULL));
    CHECK_OK(zk_stop(c));
    CHECK_OK(zk_stop(c));
    CHECK_RC(zk_exists(c, "/", NULL, 0, NULL), ZK_RESULT_CLOSED);
    CHECK_OK(zk_start(c, 0));
    CHECK_OK(zk_exists(c, "/", NULL, 0, NULL));
    zk_client_free(c);

    c = NULL;
    REQUIRE(zk_client_new(o, &c) == ZK_RESULT_OK);
    zk_options_free(o);
    CHECK_OK(zk_close(c)); /* before start */
    CHECK_OK(zk_close(c));
    CHECK_RC(zk_start(c, 0), ZK_RESULT_CLOSED);
    CHECK_RC(zk_exists(c, "/", NULL, 0, NULL), ZK_RESULT_CLOSED);
    zk_client_free(c);
}

/* Indexes past the end of every list the library hands out, SIZE_MAX included: NULL or
 * ZK_RESULT_INVALID_ARGUMENT, and the out-parameters untouched. */
static void indexes_out_of_range_are_refused(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    zk_string_list *l = NULL;
    zk_acl_list *al = NULL;
    zk_txn *txn = zk_txn_new();
    zk_txn_results *res = NULL;
    zk_acl a = { 0, NULL, NULL };
    zk_result rc = (zk_result)12345;
    const char *path = "untouched";
    zk_client *c = zkt_setup(root);
    const size_t past[] = { 1, 2, SIZE_MAX };
    size_t i;
    REQUIRE(c != NULL && txn != NULL);
    CHECK_OK(zkt_create(c, zkt_path(p, "%s/only", root), ""));

    CHECK_OK(zk_get_children(c, root, NULL, 0, &l, NULL));
    CHECK_OK(zk_get_acl(c, root, 0, &al, NULL));
    CHECK_OK(zk_txn_check(txn, p, -1));
    CHECK_OK(zk_txn_commit(c, txn, 0, &res));
    CHECK(zk_string_list_len(l) == 1 && zk_acl_list_len(al) == 1 && zk_txn_results_len(res) == 1);
    for (i = 0; i < sizeof past / sizeof past[0]; i++) {
        CHECK(zk_string_list_get(l, past[i]) == NULL);
        CHECK_RC(zk_acl_list_get(al, past[i], &a), ZK_RESULT_INVALID_ARGUMENT);
        CHECK(a.scheme == NULL && a.id == NULL);
        CHECK_RC(zk_txn_results_get(res, past[i], &rc, &path, NULL), ZK_RESULT_INVALID_ARGUMENT);
        CHECK(rc == (zk_result)12345 && strcmp(path, "untouched") == 0);
    }
    CHECK_STR(zk_string_list_get(l, 0), "only");
    zk_string_list_free(l);
    zk_acl_list_free(al);
    zk_txn_results_free(res);
    zk_txn_free(txn);
    zkt_teardown(c, root);
}

#ifndef ZKTEST_NO_HOOKS
/* Not in the header: the library's test hook, which panics inside the FFI guard. Only a
 * build with the test-hooks feature has it (ctest/run.sh makes one); a program linked
 * against the installed library (install-test) compiles with -DZKTEST_NO_HOOKS. */
zk_result zk__test_panic(void);

/* A panic inside the library comes back as ZK_RESULT_PANIC, twice in a row, and the
 * library goes on working. */
static void a_panic_comes_back_as_a_result(void)
{
    CHECK_RC(zk__test_panic(), ZK_RESULT_PANIC);
    CHECK_RC(zk__test_panic(), ZK_RESULT_PANIC);
    CHECK_STR(zk_version(), ZK_VERSION_STRING);
}
#endif

ZKT_SUITE(bad_input) = {
#ifndef ZKTEST_NO_HOOKS
    ZKT_CASE(a_panic_comes_back_as_a_result),
#endif
    ZKT_CASE(version_matches_the_header),
    ZKT_CASE(every_result_code_has_a_message),
    ZKT_CASE(result_message_accepts_any_integer),
    ZKT_CASE(null_client_is_refused_everywhere),
    ZKT_CASE(free_functions_accept_null),
    ZKT_CASE(buffers_free_twice_safely),
    ZKT_CASE(null_options_are_refused_everywhere),
    ZKT_CASE(bad_option_values_are_refused),
    ZKT_CASE(garbage_hosts_are_refused),
    ZKT_CASE(bad_paths_are_refused_before_sending),
    ZKT_CASE(null_out_parameters_are_refused),
    ZKT_CASE(bad_data_acl_and_credentials_are_refused),
    ZKT_CASE(bad_create_flags_are_refused),
    ZKT_CASE(two_megabytes_of_data_are_too_large),
    ZKT_CASE(requests_stop_at_the_default_servers_limit),
    ZKT_CASE(lengths_past_the_buffer_are_refused_before_reading),
    ZKT_CASE(a_closed_client_refuses_empty_transactions_and_commands),
    ZKT_CASE(the_life_cycle_out_of_order),
    ZKT_CASE(indexes_out_of_range_are_refused),
    ZKT_END,
};
