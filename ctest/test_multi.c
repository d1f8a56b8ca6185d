/* Transactions: zk_txn_* build one, zk_txn_commit applies it all or nothing, and the per-op
 * results say what happened to each op. */
#include "zktest.h"

#include <stdlib.h>

/* Reads op `i` of `r`; checks its code and, when `want_path` is given, its path prefix. */
static void check_op(const zk_txn_results *r, size_t i, zk_result want, const char *want_prefix,
                     int line)
{
    zk_result rc = ZK_RESULT_SYSTEM_ERROR;
    const char *path = (const char *)"poison";
    zk_result got = zk_txn_results_get(r, i, &rc, &path, NULL);
    if (got != ZK_RESULT_OK) {
        zkt_fail(__FILE__, line, "results_get(%zu): %s", i, zk_result_message(got));
        return;
    }
    if (rc != want)
        zkt_fail(__FILE__, line, "op %zu: rc %d (%s), want %d (%s)", i, (int)rc,
                 zk_result_message(rc), (int)want, zk_result_message(want));
    if (want_prefix == NULL && path != NULL)
        zkt_fail(__FILE__, line, "op %zu: path \"%s\", want NULL", i, path);
    if (want_prefix != NULL &&
        (path == NULL || strncmp(path, want_prefix, strlen(want_prefix)) != 0))
        zkt_fail(__FILE__, line, "op %zu: path \"%s\", want \"%s...\"", i,
                 path ? path : "(null)", want_prefix);
}

static void multi_applies_every_op(void)
{
    char root[ZKT_PATH_MAX], a[ZKT_PATH_MAX], seq[ZKT_PATH_MAX], x[ZKT_PATH_MAX],
        y[ZKT_PATH_MAX], z[ZKT_PATH_MAX];
    zk_txn *t = zk_txn_new();
    zk_txn_results *r = NULL;
    zk_stat st;
    char *s = NULL;
    const char *p = NULL;
    zk_result rc;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL && t != NULL);
    CHECK_OK(zkt_create(c, zkt_path(x, "%s/x", root), "x0"));
    CHECK_OK(zkt_create(c, zkt_path(y, "%s/y", root), "y0"));
    CHECK_OK(zkt_create(c, zkt_path(z, "%s/z", root), "z0"));

    CHECK_OK(zk_txn_create(t, zkt_path(a, "%s/a", root), (const uint8_t *)"A", 1, NULL, 0, 0, 0));
    CHECK_OK(zk_txn_create(t, zkt_path(seq, "%s/s-", root), NULL, 0, NULL, 0,
                           ZK_CREATE_FLAG_SEQUENCE, 0));
    CHECK_OK(zk_txn_set(t, x, (const uint8_t *)"x1", 2, 0));
    CHECK_OK(zk_txn_check(t, y, 0));
    CHECK_OK(zk_txn_delete(t, z, 0));
    CHECK_OK(zk_txn_commit(c, t, 0, &r));
    REQUIRE(r != NULL);
    CHECK_EQ(zk_txn_results_len(r), 5);
    check_op(r, 0, ZK_RESULT_OK, a, __LINE__);
    check_op(r, 1, ZK_RESULT_OK, seq, __LINE__);
    check_op(r, 2, ZK_RESULT_OK, NULL, __LINE__);
    check_op(r, 3, ZK_RESULT_OK, NULL, __LINE__);
    check_op(r, 4, ZK_RESULT_OK, NULL, __LINE__);
    CHECK_OK(zk_txn_results_get(r, 0, &rc, &p, NULL));
    CHECK_STR(p, a);
    CHECK_OK(zk_txn_results_get(r, 1, &rc, &p, NULL));
    CHECK(p != NULL && strlen(p) == strlen(seq) + 10);
    memset(&st, 0, sizeof st);
    CHECK_OK(zk_txn_results_get(r, 2, NULL, NULL, &st)); /* every out-parameter optional */
    CHECK_EQ(st.version, 1);
    CHECK_EQ(st.data_length, 2);
    CHECK_RC(zk_txn_results_get(r, 5, &rc, &p, &st), ZK_RESULT_INVALID_ARGUMENT);
    zk_txn_results_free(r);

    /* What the server holds now. */
    CHECK_OK(zkt_get_str(c, a, &s, NULL));
    CHECK_STR(s, "A");
    free(s);
    s = NULL;
    CHECK_OK(zkt_get_str(c, x, &s, &st));
    CHECK_STR(s, "x1");
    free(s);
    CHECK_RC(zk_exists(c, z, NULL, 0, NULL), ZK_RESULT_NO_NODE);

    /* The same transaction again: its creates and its delete now fail; nothing applied. */
    r = NULL;
    CHECK_RC(zk_txn_commit(c, t, 0, &r), ZK_RESULT_NODE_EXISTS);
    REQUIRE(r != NULL);
    check_op(r, 0, ZK_RESULT_NODE_EXISTS, NULL, __LINE__);
    zk_txn_results_free(r);
    CHECK_OK(zk_exists(c, x, NULL, 0, &st));
    CHECK_EQ(st.version, 1);
    zk_txn_free(t);
    zkt_teardown(c, root);
}

static void a_failed_multi_applies_nothing(void)
{
    char root[ZKT_PATH_MAX], n1[ZKT_PATH_MAX], n2[ZKT_PATH_MAX], x[ZKT_PATH_MAX];
    zk_txn *t = zk_txn_new();
    zk_txn_results *r = NULL;
    zk_stat st;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL && t != NULL);
    CHECK_OK(zkt_create(c, zkt_path(x, "%s/x", root), "x0"));

    CHECK_OK(zk_txn_create(t, zkt_path(n1, "%s/n1", root), NULL, 0, NULL, 0, 0, 0));
    CHECK_OK(zk_txn_set(t, x, (const uint8_t *)"x1", 2, 99)); /* wrong version */
    CHECK_OK(zk_txn_create(t, zkt_path(n2, "%s/n2", root), NULL, 0, NULL, 0, 0, 0));
    CHECK_RC(zk_txn_commit(c, t, 0, &r), ZK_RESULT_BAD_VERSION);
    REQUIRE(r != NULL);
    CHECK_EQ(zk_txn_results_len(r), 3);
    check_op(r, 0, ZK_RESULT_RUNTIME_INCONSISTENCY, NULL, __LINE__);
    check_op(r, 1, ZK_RESULT_BAD_VERSION, NULL, __LINE__);
    check_op(r, 2, ZK_RESULT_RUNTIME_INCONSISTENCY, NULL, __LINE__);
    zk_txn_results_free(r);
    CHECK_RC(zk_exists(c, n1, NULL, 0, NULL), ZK_RESULT_NO_NODE);
    CHECK_RC(zk_exists(c, n2, NULL, 0, NULL), ZK_RESULT_NO_NODE);
    CHECK_OK(zk_exists(c, x, NULL, 0, &st));
    CHECK_EQ(st.version, 0);

    /* A failing check op. */
    zk_txn_free(t);
    t = zk_txn_new();
    CHECK_OK(zk_txn_check(t, x, 3));
    CHECK_OK(zk_txn_delete(t, x, -1));
    r = NULL;
    CHECK_RC(zk_txn_commit(c, t, 0, &r), ZK_RESULT_BAD_VERSION);
    check_op(r, 0, ZK_RESULT_BAD_VERSION, NULL, __LINE__);
    check_op(r, 1, ZK_RESULT_RUNTIME_INCONSISTENCY, NULL, __LINE__);
    zk_txn_results_free(r);
    CHECK_OK(zk_exists(c, x, NULL, 0, NULL));
    zk_txn_free(t);
    zkt_teardown(c, root);
}

static void multi_under_a_chroot_reports_chroot_relative_paths(void)
{
    char root[ZKT_PATH_MAX], suffix[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    zk_txn *t = zk_txn_new();
    zk_txn_results *r = NULL;
    zk_options *o;
    zk_client *in;
    const char *path = NULL;
    zk_result rc;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL && t != NULL);
    o = zkt_options(zkt_path(suffix, "%s", root));
    in = zkt_start(o);
    zk_options_free(o);
    REQUIRE(in != NULL);
    CHECK_OK(zk_txn_create(t, "/inside", NULL, 0, NULL, 0, 0, 0));
    CHECK_OK(zk_txn_create(t, "/seq-", NULL, 0, NULL, 0, ZK_CREATE_FLAG_SEQUENCE, 0));
    CHECK_OK(zk_txn_commit(in, t, 0, &r));
    CHECK_OK(zk_txn_results_get(r, 0, &rc, &path, NULL));
    CHECK_STR(path, "/inside");
    CHECK_OK(zk_txn_results_get(r, 1, &rc, &path, NULL));
    CHECK(path != NULL && strncmp(path, "/seq-", 5) == 0 && strlen(path) == 15);
    zk_txn_results_free(r);
    CHECK_OK(zk_exists(c, zkt_path(p, "%s/inside", root), NULL, 0, NULL));
    zk_client_free(in);
    zk_txn_free(t);
    zkt_teardown(c, root);
}

static void multi_refuses_bad_input(void)
{
    zk_txn *t = zk_txn_new();
    zk_txn_results *r = NULL;
    zk_result rc;
    const char *p;
    zk_acl bad_acl = { 64, "world", "anyone" };
    zk_client *c = zkt_connect();
    REQUIRE(c != NULL && t != NULL);

    /* Refused when added. */
    CHECK_RC(zk_txn_create(t, "/a", NULL, 0, NULL, 0, ZK_CREATE_FLAG_MAKEPATH, 0),
             ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_txn_create(t, "/a", NULL, 0, NULL, 0, 16, 0), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_txn_create(t, "/a", NULL, 4, NULL, 0, 0, 0), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_txn_create(t, NULL, NULL, 0, NULL, 0, 0, 0), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_txn_create(t, "/\xff", NULL, 0, NULL, 0, 0, 0), ZK_RESULT_INVALID_UTF8);
    CHECK_RC(zk_txn_create(NULL, "/a", NULL, 0, NULL, 0, 0, 0), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_txn_delete(NULL, "/a", -1), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_txn_delete(t, NULL, -1), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_txn_set(NULL, "/a", NULL, 0, -1), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_txn_set(t, "/a", NULL, 2, -1), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_txn_check(NULL, "/a", 0), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_txn_check(t, "/\xc3", 0), ZK_RESULT_INVALID_UTF8);
    CHECK_RC(zk_txn_commit(NULL, t, 0, &r), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_txn_commit(c, NULL, 0, &r), ZK_RESULT_NULL_ARGUMENT);
    CHECK(r == NULL);

    /* An empty transaction is fine. */
    CHECK_OK(zk_txn_commit(c, t, 0, &r));
    CHECK_EQ(zk_txn_results_len(r), 0);
    CHECK_RC(zk_txn_results_get(r, 0, &rc, &p, NULL), ZK_RESULT_INVALID_ARGUMENT);
    zk_txn_results_free(r);

    /* Refused when applied: bad paths and ACLs, before anything is sent. */
    CHECK_OK(zk_txn_check(t, "no-slash", 0));
    r = NULL;
    CHECK_RC(zk_txn_commit(c, t, 0, &r), ZK_RESULT_INVALID_PATH);
    CHECK(r == NULL);
    zk_txn_free(t);
    t = zk_txn_new();
    CHECK_OK(zk_txn_create(t, "/ctest-never-created", NULL, 0, &bad_acl, 1, 0, 0));
    CHECK_RC(zk_txn_commit(c, t, 0, &r), ZK_RESULT_INVALID_ACL);
    CHECK(r == NULL);
    CHECK_RC(zk_exists(c, "/ctest-never-created", NULL, 0, NULL), ZK_RESULT_NO_NODE);
    /* Flag combinations are refused when added, as zk_create refuses them (TTL is for
     * persistent nodes; a container has no TTL). */
    zk_txn_free(t);
    t = zk_txn_new();
    CHECK_RC(zk_txn_create(t, "/ctest-never-created", NULL, 0, NULL, 0, ZK_CREATE_FLAG_EPHEMERAL,
                           1000),
             ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_txn_create(t, "/ctest-never-created", NULL, 0, NULL, 0, ZK_CREATE_FLAG_CONTAINER,
                           1000),
             ZK_RESULT_INVALID_ARGUMENT);
    CHECK_OK(zk_txn_commit(c, t, 0, &r));
    CHECK_EQ(zk_txn_results_len(r), 0);
    zk_txn_results_free(r);
    r = NULL;

    /* NULLs where the results are read. */
    CHECK_EQ(zk_txn_results_len(NULL), 0);
    CHECK_RC(zk_txn_results_get(NULL, 0, &rc, &p, NULL), ZK_RESULT_NULL_ARGUMENT);
    zk_txn_results_free(NULL);
    zk_txn_free(NULL);

    /* A stopped client. */
    zk_txn_free(t);
    t = zk_txn_new();
    CHECK_OK(zk_txn_check(t, "/", -1));
    CHECK_OK(zk_stop(c));
    CHECK_RC(zk_txn_commit(c, t, 0, &r), ZK_RESULT_CLOSED);
    zk_txn_free(t);
    zk_client_free(c);
}

/* zk_txn_commit's results are optional: with `out` NULL nothing is left allocated (only a leak
 * checker, ASan's or valgrind's, makes this test fail). */
static void multi_without_results_leaks_nothing(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    zk_txn *t = zk_txn_new();
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL && t != NULL);
    CHECK_OK(zk_txn_create(t, zkt_path(p, "%s/a", root), NULL, 0, NULL, 0, 0, 0));
    CHECK_OK(zk_txn_commit(c, t, 0, NULL));
    CHECK_RC(zk_txn_commit(c, t, 0, NULL), ZK_RESULT_NODE_EXISTS);
    zk_txn_free(t);
    zkt_teardown(c, root);
}

/* A transaction's create gives its Stat on servers that send one (3.9); on 3.8 the Stat is
 * zero-filled (czxid 0: no Stat). */
static void multi_create_gives_its_stat_on_39(void)
{
    char root[ZKT_PATH_MAX], a[ZKT_PATH_MAX];
    zk_txn *t = zk_txn_new();
    zk_txn_results *r = NULL;
    zk_stat st, now;
    zk_result rc;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL && t != NULL);
    CHECK_OK(zk_txn_create(t, zkt_path(a, "%s/a", root), (const uint8_t *)"abc", 3, NULL, 0, 0, 0));
    CHECK_OK(zk_txn_commit(c, t, 0, &r));
    memset(&st, 0xff, sizeof st);
    CHECK_OK(zk_txn_results_get(r, 0, &rc, NULL, &st));
    CHECK_OK(zk_exists(c, a, NULL, 0, &now));
    if (zkt_version_at_least(zkt_server_version(), 3, 9)) {
        CHECK(st.czxid == now.czxid && st.czxid > 0);
        CHECK_EQ(st.data_length, 3);
    } else {
        CHECK_EQ(st.czxid, 0);
        CHECK_EQ(st.data_length, 0);
    }
    zk_txn_results_free(r);
    zk_txn_free(t);
    zkt_teardown(c, root);
}

/* Reads `i` of a read batch's results and checks its code. */
static void check_read(const zk_read_results *r, size_t i, zk_result want, int line)
{
    zk_result rc = ZK_RESULT_SYSTEM_ERROR;
    zk_result got = zk_read_results_get(r, i, &rc, NULL, NULL, NULL, NULL);
    if (got != ZK_RESULT_OK)
        zkt_fail(__FILE__, line, "read_results_get(%zu): %s", i, zk_result_message(got));
    else if (rc != want)
        zkt_fail(__FILE__, line, "read %zu: rc %d (%s), want %d (%s)", i, (int)rc,
                 zk_result_message(rc), (int)want, zk_result_message(want));
}

/* Checks a read batch's results for the batch multi_read_answers_each_read builds. */
static void check_read_batch(const zk_read_results *r, const char *a_data)
{
    const uint8_t *data = NULL;
    size_t len = 99;
    zk_stat st;
    const zk_string_list *kids = NULL;
    zk_result rc;
    CHECK_EQ(zk_read_results_len(r), 4);
    check_read(r, 0, ZK_RESULT_OK, __LINE__);
    CHECK_OK(zk_read_results_get(r, 0, &rc, &data, &len, &st, &kids));
    CHECK(len == strlen(a_data) && memcmp(data, a_data, len) == 0);
    CHECK_EQ(st.data_length, (int64_t)strlen(a_data));
    CHECK(kids == NULL);
    CHECK_OK(zk_read_results_get(r, 1, &rc, &data, &len, &st, &kids));
    CHECK_EQ(rc, ZK_RESULT_OK);
    CHECK(data == NULL && len == 0 && st.czxid == 0);
    REQUIRE(kids != NULL);
    CHECK_EQ(zk_string_list_len(kids), 1);
    CHECK_STR(zk_string_list_get(kids, 0), "k");
    check_read(r, 2, ZK_RESULT_NO_NODE, __LINE__);
    CHECK_OK(zk_read_results_get(r, 2, &rc, &data, &len, &st, &kids));
    CHECK(data == NULL && len == 0 && kids == NULL);
    check_read(r, 3, ZK_RESULT_NO_NODE, __LINE__);
    CHECK_RC(zk_read_results_get(r, 4, &rc, NULL, NULL, NULL, NULL), ZK_RESULT_INVALID_ARGUMENT);
}

struct read_done {
    struct zkt_rec rec;
    zk_result rc;
    const char *a_data;
};

static void on_reads(void *ud, zk_result rc, const zk_read_results *r)
{
    struct read_done *d = ud;
    d->rc = rc;
    if (rc == ZK_RESULT_OK)
        check_read_batch(r, d->a_data);
    else
        CHECK(r == NULL);
    zkt_on_final(&d->rec); /* counts the completion */
}

/* multiRead: one request, a result per read, a failing read failing alone; blocking and
 * async. */
static void multi_read_answers_each_read(void)
{
    char root[ZKT_PATH_MAX], a[ZKT_PATH_MAX], k[ZKT_PATH_MAX], m[ZKT_PATH_MAX];
    zk_read_batch *b = zk_read_batch_new();
    zk_read_results *r = NULL;
    struct read_done d;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL && b != NULL);
    CHECK_OK(zkt_create(c, zkt_path(a, "%s/a", root), "alpha"));
    CHECK_OK(zkt_create(c, zkt_path(k, "%s/a/k", root), ""));
    zkt_path(m, "%s/missing", root);
    CHECK_OK(zk_read_batch_get(b, a));
    CHECK_OK(zk_read_batch_get_children(b, a));
    CHECK_OK(zk_read_batch_get(b, m));
    CHECK_OK(zk_read_batch_get_children(b, m));
    CHECK_OK(zk_multi_read(c, b, 0, &r));
    REQUIRE(r != NULL);
    check_read_batch(r, "alpha");
    zk_read_results_free(r);

    zkt_rec_init(&d.rec);
    d.rc = ZK_RESULT_SYSTEM_ERROR;
    d.a_data = "alpha";
    CHECK_OK(zk_multi_read_async(c, b, 0, on_reads, &d, NULL));
    CHECK(zkt_wait_finals(&d.rec, 1, 10000));
    CHECK_EQ(d.rc, ZK_RESULT_OK);
    zkt_rec_destroy(&d.rec);

    /* Bad input: NULLs, a bad path (found when the batch is read), an empty batch. */
    CHECK_RC(zk_read_batch_get(NULL, a), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_read_batch_get(b, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_multi_read(c, NULL, 0, &r), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_multi_read(c, b, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_multi_read_async(c, b, 0, NULL, NULL, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_EQ(zk_read_results_len(NULL), 0);
    zk_read_batch_free(b);
    b = zk_read_batch_new();
    CHECK_OK(zk_multi_read(c, b, 0, &r));
    CHECK_EQ(zk_read_results_len(r), 0);
    zk_read_results_free(r);
    CHECK_OK(zk_read_batch_get(b, "no-slash"));
    CHECK_RC(zk_multi_read(c, b, 0, &r), ZK_RESULT_INVALID_PATH);
    zk_read_batch_free(b);
    zk_read_batch_free(NULL);
    zk_read_results_free(NULL);

    /* After stop: CLOSED, from both. */
    b = zk_read_batch_new();
    CHECK_OK(zk_read_batch_get(b, "/"));
    zkt_teardown(c, root);
    c = zkt_connect();
    REQUIRE(c != NULL);
    CHECK_OK(zk_stop(c));
    CHECK_RC(zk_multi_read(c, b, 0, &r), ZK_RESULT_CLOSED);
    zk_read_batch_free(b);
    zk_client_free(c);
}

ZKT_SUITE(multi) = {
    ZKT_CASE(multi_applies_every_op),
    ZKT_CASE(a_failed_multi_applies_nothing),
    ZKT_CASE(multi_under_a_chroot_reports_chroot_relative_paths),
    ZKT_CASE(multi_refuses_bad_input),
    ZKT_CASE(multi_without_results_leaks_nothing),
    ZKT_CASE(multi_create_gives_its_stat_on_39),
    ZKT_CASE(multi_read_answers_each_read),
    ZKT_END,
};
