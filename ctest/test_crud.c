/* Node operations against the real server: create in every mode, get, set, delete,
 * exists, get_children, ensure_path, sync and the client's state accessors. */
#include "zktest.h"

#include <stdlib.h>

/* The server hides what kind of node a container or TTL node is (its Stat says
 * ephemeralOwner 0), so those tests watch the server's ContainerManager remove them. It
 * runs every znode.container.checkIntervalMs (60 s by default); run.sh starts the server
 * with 100 ms. */
#define REAPER_WAIT_MS 10000

static bool stat_eq(const zk_stat *a, const zk_stat *b)
{
    return a->czxid == b->czxid && a->mzxid == b->mzxid && a->ctime == b->ctime &&
           a->mtime == b->mtime && a->version == b->version && a->cversion == b->cversion &&
           a->aversion == b->aversion && a->ephemeral_owner == b->ephemeral_owner &&
           a->data_length == b->data_length && a->num_children == b->num_children &&
           a->pzxid == b->pzxid;
}

/* Polls until `path` is gone; false after REAPER_WAIT_MS. */
static bool reaped(zk_client *c, const char *path)
{
    int64_t end = zkt_now_ms() + zkt_wait_ms(REAPER_WAIT_MS);
    while (zkt_now_ms() < end) {
        if (zk_exists(c, path, NULL, 0, NULL) == ZK_RESULT_NO_NODE)
            return true;
        zkt_sleep_ms(50);
    }
    fprintf(stderr, "  %s still exists after %d ms: does the server run with "
                    "-Dznode.container.checkIntervalMs=100 (run.sh does)?\n",
            path, REAPER_WAIT_MS);
    return false;
}

static void create_plain_then_get_returns_the_data(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX], q[ZKT_PATH_MAX];
    char *s = NULL;
    zk_stat st;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);

    CHECK_OK(zkt_create(c, zkt_path(p, "%s/plain", root), "hello"));
    CHECK_OK(zkt_get_str(c, p, &s, &st));
    CHECK_STR(s, "hello");
    CHECK_EQ(st.version, 0);
    CHECK_EQ(st.data_length, 5);
    CHECK_EQ(st.num_children, 0);
    CHECK_EQ(st.ephemeral_owner, 0);
    free(s);

    CHECK_RC(zkt_create(c, p, "again"), ZK_RESULT_NODE_EXISTS);
    CHECK_RC(zkt_create(c, zkt_path(q, "%s/missing/child", root), "x"), ZK_RESULT_NO_NODE);
    zkt_teardown(c, root);
}

static void create_fills_path_out_and_stat_out(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    char *created = NULL;
    zk_stat st, st2;
    zk_buffer b = { NULL, 0 };
    int64_t now = zkt_wall_ms();
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);

    memset(&st, 0xAB, sizeof st);
    CHECK_OK(zk_create(c, zkt_path(p, "%s/out", root), (const uint8_t *)"abc", 3, NULL, 0, 0, 0,
                       0, &created, &st));
    CHECK_STR(created, p);
    zk_string_free(created);
    CHECK_EQ(st.version, 0);
    CHECK_EQ(st.data_length, 3);
    CHECK_EQ(st.czxid, st.mzxid);
    CHECK(st.czxid > 0);
    CHECK_EQ(st.ephemeral_owner, 0);
    /* Same machine, so the server's clock is ours. */
    CHECK(st.ctime > now - 60000 && st.ctime < now + 60000);
    CHECK_EQ(st.ctime, st.mtime);

    /* The Stat from create is the one get reports. */
    CHECK_OK(zk_get(c, p, NULL, 0, &b, &st2));
    CHECK(stat_eq(&st, &st2));
    CHECK_EQ(b.len, 3);
    zk_buffer_free(&b);
    CHECK(b.data == NULL && b.len == 0);
    zkt_teardown(c, root);
}

static void create_with_empty_data_reads_back_empty(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    zk_buffer b = { NULL, 0 };
    zk_stat st;
    uint8_t byte = 'x';
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);

    CHECK_OK(zk_create(c, zkt_path(p, "%s/null-data", root), NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL));
    CHECK_OK(zk_get(c, p, NULL, 0, &b, &st));
    CHECK_EQ(b.len, 0);
    CHECK_EQ(st.data_length, 0);
    zk_buffer_free(&b);

    /* A non-NULL pointer with length 0 is empty data too. */
    CHECK_OK(zk_create(c, zkt_path(p, "%s/zero-len", root), &byte, 0, NULL, 0, 0, 0, 0, NULL, NULL));
    CHECK_OK(zk_get(c, p, NULL, 0, &b, NULL));
    CHECK_EQ(b.len, 0);
    zk_buffer_free(&b);
    zkt_teardown(c, root);
}

static void create_binary_data_round_trips(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    uint8_t data[1000];
    zk_buffer b = { NULL, 0 };
    size_t i;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);

    for (i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7);
    data[0] = 0; /* embedded NULs are data, not terminators */
    CHECK_OK(zk_create(c, zkt_path(p, "%s/bin", root), data, sizeof data, NULL, 0, 0, 0, 0, NULL,
                       NULL));
    CHECK_OK(zk_get(c, p, NULL, 0, &b, NULL));
    REQUIRE(b.len == sizeof data);
    CHECK(memcmp(b.data, data, sizeof data) == 0);
    zk_buffer_free(&b);
    zkt_teardown(c, root);
}

static void create_makepath_creates_missing_parents(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    char *created = NULL;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);

    CHECK_RC(zkt_create(c, zkt_path(p, "%s/a/b/c", root), "leaf"), ZK_RESULT_NO_NODE);
    CHECK_OK(zk_create(c, p, (const uint8_t *)"leaf", 4, NULL, 0, ZK_CREATE_FLAG_MAKEPATH, 0, 0,
                       &created, NULL));
    CHECK_STR(created, p);
    zk_string_free(created);
    CHECK_OK(zk_exists(c, zkt_path(p, "%s/a", root), NULL, 0, NULL));
    CHECK_OK(zk_exists(c, zkt_path(p, "%s/a/b", root), NULL, 0, NULL));
    CHECK_OK(zk_exists(c, zkt_path(p, "%s/a/b/c", root), NULL, 0, NULL));
    /* With the parents there, makepath is an ordinary create. */
    CHECK_OK(zk_create(c, zkt_path(p, "%s/a/b/d", root), NULL, 0, NULL, 0, ZK_CREATE_FLAG_MAKEPATH,
                       0, 0, NULL, NULL));
    CHECK_RC(zk_create(c, p, NULL, 0, NULL, 0, ZK_CREATE_FLAG_MAKEPATH, 0, 0, NULL, NULL),
             ZK_RESULT_NODE_EXISTS);
    zkt_teardown(c, root);
}

static void create_container_is_removed_with_its_last_child(void)
{
    char root[ZKT_PATH_MAX], box[ZKT_PATH_MAX], item[ZKT_PATH_MAX], plain[ZKT_PATH_MAX];
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);

    CHECK_OK(zk_create(c, zkt_path(box, "%s/box", root), NULL, 0, NULL, 0,
                       ZK_CREATE_FLAG_CONTAINER, 0, 0, NULL, NULL));
    /* A persistent node treated the same way stays: the control. */
    CHECK_OK(zkt_create(c, zkt_path(plain, "%s/plain", root), NULL));
    /* Unlike an ephemeral, a container has children. */
    CHECK_OK(zkt_create(c, zkt_path(item, "%s/item", box), "x"));
    CHECK_OK(zkt_create(c, zkt_path(item, "%s/item", plain), "x"));
    CHECK_OK(zk_delete(c, zkt_path(item, "%s/item", box), -1, false, 0));
    CHECK_OK(zk_delete(c, zkt_path(item, "%s/item", plain), -1, false, 0));
    CHECK(reaped(c, box));
    CHECK_OK(zk_exists(c, plain, NULL, 0, NULL));
    zkt_teardown(c, root);
}

static void create_ttl_node_expires(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX], long_lived[ZKT_PATH_MAX];
    char *created = NULL;
    zk_stat st;
    size_t plen;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);

    CHECK_OK(zk_create(c, zkt_path(long_lived, "%s/ttl-long", root), (const uint8_t *)"t", 1,
                       NULL, 0, 0, 600000, 0, &created, &st));
    CHECK_STR(created, long_lived);
    CHECK_EQ(st.data_length, 1);
    zk_string_free(created);

    /* TTL with SEQUENCE is a mode of its own. */
    created = NULL;
    plen = strlen(zkt_path(p, "%s/ttl-short-", root));
    CHECK_OK(zk_create(c, p, NULL, 0, NULL, 0, ZK_CREATE_FLAG_SEQUENCE, 200, 0, &created, NULL));
    REQUIRE(created != NULL);
    CHECK_EQ(strlen(created), plen + 10);
    CHECK(reaped(c, created));
    CHECK_OK(zk_exists(c, long_lived, NULL, 0, NULL));
    zk_string_free(created);
    zkt_teardown(c, root);
}

static bool ten_digits(const char *s)
{
    int i;
    for (i = 0; i < 10; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return s[10] == '\0';
}

static void create_sequence_appends_increasing_10_digit_suffix(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX], want[ZKT_PATH_MAX];
    char *a = NULL, *b = NULL, *d = NULL;
    size_t plen;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);

    zkt_path(p, "%s/seq-", root);
    plen = strlen(p);
    CHECK_OK(zk_create(c, p, NULL, 0, NULL, 0, ZK_CREATE_FLAG_SEQUENCE, 0, 0, &a, NULL));
    CHECK_OK(zk_create(c, p, NULL, 0, NULL, 0, ZK_CREATE_FLAG_SEQUENCE, 0, 0, &b, NULL));
    REQUIRE(a != NULL && b != NULL);
    CHECK(strncmp(a, p, plen) == 0 && ten_digits(a + plen));
    CHECK(strncmp(b, p, plen) == 0 && ten_digits(b + plen));
    /* The counter is the parent's cversion: the first child of a fresh root is 0. */
    CHECK_STR(a + plen, "0000000000");
    CHECK(strtol(b + plen, NULL, 10) > strtol(a + plen, NULL, 10));
    CHECK_OK(zk_exists(c, a, NULL, 0, NULL));
    CHECK_OK(zk_exists(c, b, NULL, 0, NULL));

    /* "root/" is a valid sequential path: the server names the node by the counter only. */
    CHECK_OK(zk_create(c, zkt_path(want, "%s/", root), NULL, 0, NULL, 0, ZK_CREATE_FLAG_SEQUENCE,
                       0, 0, &d, NULL));
    CHECK(d != NULL && strncmp(d, want, strlen(want)) == 0 && ten_digits(d + strlen(want)));
    zk_string_free(a);
    zk_string_free(b);
    zk_string_free(d);
    zkt_teardown(c, root);
}

static void create_ephemeral_is_owned_by_the_session(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX], q[ZKT_PATH_MAX];
    zk_client_id id;
    zk_stat st;
    char *seq = NULL;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);

    REQUIRE_OK(zk_get_client_id(c, &id));
    CHECK_OK(zk_create(c, zkt_path(p, "%s/eph", root), NULL, 0, NULL, 0, ZK_CREATE_FLAG_EPHEMERAL,
                       0, 0, NULL, &st));
    CHECK_EQ(st.ephemeral_owner, id.session_id);
    CHECK_RC(zk_create(c, zkt_path(q, "%s/eph/child", root), NULL, 0, NULL, 0, 0, 0, 0, NULL, NULL),
             ZK_RESULT_NO_CHILDREN_FOR_EPHEMERALS);
    CHECK_OK(zk_create(c, zkt_path(q, "%s/eseq-", root), NULL, 0, NULL, 0,
                       ZK_CREATE_FLAG_EPHEMERAL | ZK_CREATE_FLAG_SEQUENCE, 0, 0, &seq, &st));
    CHECK_EQ(st.ephemeral_owner, id.session_id);
    CHECK(seq != NULL && ten_digits(seq + strlen(q)));
    zk_string_free(seq);
    zkt_teardown(c, root);
}

static void set_checks_the_version(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    char *s = NULL;
    zk_stat st;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);

    CHECK_OK(zkt_create(c, zkt_path(p, "%s/v", root), "v0"));
    CHECK_OK(zk_set(c, p, (const uint8_t *)"v1", 2, 0, 0, &st));
    CHECK_EQ(st.version, 1);
    CHECK(st.mzxid > st.czxid);
    CHECK_RC(zk_set(c, p, (const uint8_t *)"stale", 5, 0, 0, &st), ZK_RESULT_BAD_VERSION);
    CHECK_EQ(st.version, 1); /* out-parameters are written only on success */
    CHECK_RC(zk_set(c, p, (const uint8_t *)"ahead", 5, 7, 0, NULL), ZK_RESULT_BAD_VERSION);
    CHECK_OK(zk_set(c, p, (const uint8_t *)"v2", 2, 1, 0, NULL));
    CHECK_OK(zk_set(c, p, (const uint8_t *)"any", 3, -1, 0, &st));
    CHECK_EQ(st.version, 3);
    CHECK_OK(zkt_get_str(c, p, &s, &st));
    CHECK_STR(s, "any");
    CHECK_EQ(st.version, 3);
    CHECK_EQ(st.data_length, 3);
    free(s);
    /* Setting empty data is allowed. */
    CHECK_OK(zk_set(c, p, NULL, 0, -1, 0, &st));
    CHECK_EQ(st.data_length, 0);
    CHECK_RC(zk_set(c, zkt_path(p, "%s/none", root), NULL, 0, -1, 0, NULL), ZK_RESULT_NO_NODE);
    zkt_teardown(c, root);
}

static void delete_checks_the_version(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);

    CHECK_OK(zkt_create(c, zkt_path(p, "%s/d", root), "x"));
    CHECK_OK(zkt_set_str(c, p, "y")); /* version 1 */
    CHECK_RC(zk_delete(c, p, 0, false, 0), ZK_RESULT_BAD_VERSION);
    CHECK_OK(zk_exists(c, p, NULL, 0, NULL));
    CHECK_OK(zk_delete(c, p, 1, false, 0));
    CHECK_RC(zk_exists(c, p, NULL, 0, NULL), ZK_RESULT_NO_NODE);
    CHECK_RC(zk_delete(c, p, -1, false, 0), ZK_RESULT_NO_NODE);
    zkt_teardown(c, root);
}

static void delete_refuses_non_empty_unless_recursive(void)
{
    static const char *const tree[] = { "t", "t/a", "t/a/x", "t/a/y", "t/a/y/deep", "t/b" };
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    size_t i;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);

    for (i = 0; i < sizeof tree / sizeof tree[0]; i++)
        CHECK_OK(zkt_create(c, zkt_path(p, "%s/%s", root, tree[i]), tree[i]));
    CHECK_RC(zk_delete(c, zkt_path(p, "%s/t", root), -1, false, 0), ZK_RESULT_NOT_EMPTY);
    CHECK_RC(zk_delete(c, zkt_path(p, "%s/t/a", root), -1, false, 0), ZK_RESULT_NOT_EMPTY);
    CHECK_OK(zk_delete(c, zkt_path(p, "%s/t", root), -1, true, 0));
    for (i = 0; i < sizeof tree / sizeof tree[0]; i++)
        CHECK_RC(zk_exists(c, zkt_path(p, "%s/%s", root, tree[i]), NULL, 0, NULL),
                 ZK_RESULT_NO_NODE);
    /* Recursive on a leaf is a plain delete; on a missing node NO_NODE. */
    CHECK_OK(zkt_create(c, zkt_path(p, "%s/leaf", root), NULL));
    CHECK_OK(zk_delete(c, p, -1, true, 0));
    CHECK_RC(zk_delete(c, p, -1, true, 0), ZK_RESULT_NO_NODE);
    /* The root of the tree can never go. */
    CHECK_RC(zk_delete(c, "/", -1, true, 0), ZK_RESULT_INVALID_ARGUMENT);
    zkt_teardown(c, root);
}

static void exists_reports_ok_or_no_node(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    zk_stat st, poison;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);

    CHECK_OK(zkt_create(c, zkt_path(p, "%s/e", root), "12345"));
    CHECK_OK(zk_exists(c, p, NULL, 0, &st));
    CHECK_EQ(st.data_length, 5);
    CHECK_OK(zk_exists(c, p, NULL, 0, NULL));
    memset(&st, 0x5A, sizeof st);
    poison = st;
    CHECK_RC(zk_exists(c, zkt_path(p, "%s/nope", root), NULL, 0, &st), ZK_RESULT_NO_NODE);
    CHECK(memcmp(&st, &poison, sizeof st) == 0);
    CHECK_OK(zk_exists(c, "/", NULL, 0, NULL));
    zkt_teardown(c, root);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Async results for get_ephemerals_and_all_children_number. */
static pthread_mutex_t ecount_mu = PTHREAD_MUTEX_INITIALIZER;
static int eph_done, count_done, eph_n = -1;
static uint32_t count_got;
static char eph_first[64];
static void on_ephemerals(void *ud, zk_result rc, const zk_string_list *l, const zk_stat *st)
{
    (void)ud;
    pthread_mutex_lock(&ecount_mu);
    if (rc == ZK_RESULT_OK && st == NULL) {
        eph_n = (int)zk_string_list_len(l);
        if (eph_n > 0)
            snprintf(eph_first, sizeof eph_first, "%s", zk_string_list_get(l, 0));
    }
    eph_done++;
    pthread_mutex_unlock(&ecount_mu);
}
static void on_count(void *ud, zk_result rc, uint32_t n)
{
    (void)ud;
    pthread_mutex_lock(&ecount_mu);
    count_got = rc == ZK_RESULT_OK ? n : 9999;
    count_done++;
    pthread_mutex_unlock(&ecount_mu);
}

/* getEphemerals lists this session's ephemerals by prefix, relative to the chroot, and
 * getAllChildrenNumber counts every node below a path; blocking and async. */
static void get_ephemerals_and_all_children_number(void)
{
    char root[ZKT_PATH_MAX], hosts[512];
    const char *got[4];
    zk_string_list *l = NULL;
    uint32_t n = 0;
    zk_options *o;
    zk_client *c, *setup = zkt_setup(root);
    int i, done = 0;
    REQUIRE(setup != NULL);
    /* a client chrooted at the test's root */
    o = zkt_options(NULL);
    snprintf(hosts, sizeof hosts, "%s%s", zkt_hosts(), root);
    CHECK_OK(zk_options_set_hosts(o, hosts));
    c = zkt_start(o);
    zk_options_free(o);
    REQUIRE(c != NULL);

    CHECK_OK(zk_ensure_path(c, "/a/deep", NULL, 0, 0));
    CHECK_OK(zk_create(c, "/a/e1", NULL, 0, NULL, 0, ZK_CREATE_FLAG_EPHEMERAL, 0, 0, NULL, NULL));
    CHECK_OK(zk_create(c, "/a/deep/e2", NULL, 0, NULL, 0, ZK_CREATE_FLAG_EPHEMERAL, 0, 0, NULL,
                       NULL));
    CHECK_OK(zk_get_ephemerals(c, "/a", 0, &l));
    REQUIRE(zk_string_list_len(l) == 2);
    for (i = 0; i < 2; i++)
        got[i] = zk_string_list_get(l, (size_t)i);
    qsort(got, 2, sizeof got[0], cmp_str);
    CHECK_STR(got[0], "/a/deep/e2");
    CHECK_STR(got[1], "/a/e1");
    zk_string_list_free(l);
    l = NULL;
    CHECK_RC(zk_get_ephemerals(c, "a", 0, &l), ZK_RESULT_INVALID_PATH);
    CHECK_RC(zk_get_ephemerals(c, "/a", 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK(l == NULL);

    CHECK_OK(zk_get_all_children_number(c, "/", 0, &n));
    CHECK_EQ(n, 4); /* a, a/deep, a/e1, a/deep/e2 */
    CHECK_RC(zk_get_all_children_number(c, "/none", 0, &n), ZK_RESULT_NO_NODE);

    CHECK_OK(zk_get_ephemerals_async(c, "/a/deep", 0, on_ephemerals, NULL, NULL));
    CHECK_OK(zk_get_all_children_number_async(c, "/a", 0, on_count, NULL, NULL));
    for (i = 0; i < 1000 && !done; i++) {
        pthread_mutex_lock(&ecount_mu);
        done = eph_done == 1 && count_done == 1;
        pthread_mutex_unlock(&ecount_mu);
        if (!done)
            zkt_sleep_ms(5);
    }
    CHECK(done);
    CHECK_EQ(eph_n, 1);
    CHECK_STR(eph_first, "/a/deep/e2");
    CHECK_EQ(count_got, 3); /* deep, e1, deep/e2 */
    zk_client_free(c);
    zkt_teardown(setup, root);
}

static void get_children_lists_every_child(void)
{
    static const char *const names[] = { "charlie", "alpha", "delta", "bravo" };
    static const char *const sorted[] = { "alpha", "bravo", "charlie", "delta" };
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    const char *got[8];
    zk_string_list *l = NULL;
    zk_stat st;
    size_t i, n;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);

    CHECK_OK(zk_get_children(c, root, NULL, 0, &l, NULL));
    CHECK_EQ(zk_string_list_len(l), 0);
    CHECK(zk_string_list_get(l, 0) == NULL);
    zk_string_list_free(l);

    for (i = 0; i < 4; i++)
        CHECK_OK(zkt_create(c, zkt_path(p, "%s/%s", root, names[i]), NULL));
    l = NULL;
    CHECK_OK(zk_get_children(c, root, NULL, 0, &l, NULL));
    n = zk_string_list_len(l);
    REQUIRE(n == 4);
    for (i = 0; i < n; i++)
        got[i] = zk_string_list_get(l, i);
    CHECK(zk_string_list_get(l, n) == NULL);
    qsort(got, n, sizeof got[0], cmp_str);
    for (i = 0; i < n; i++)
        CHECK_STR(got[i], sorted[i]);
    zk_string_list_free(l);

    l = NULL;
    CHECK_OK(zk_get_children(c, root, NULL, 0, &l, &st));
    CHECK_EQ(zk_string_list_len(l), 4);
    CHECK_EQ(st.num_children, 4);
    CHECK_EQ(st.cversion, 4);
    zk_string_list_free(l);

    l = NULL;
    CHECK_RC(zk_get_children(c, zkt_path(p, "%s/none", root), NULL, 0, &l, NULL), ZK_RESULT_NO_NODE);
    CHECK(l == NULL);
    zkt_teardown(c, root);
}

static void ensure_path_creates_deep_paths_and_accepts_existing(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    zk_acl_list *acl = NULL;
    zk_acl a;
    zk_acl open = { ZK_PERM_ALL, "world", "anyone" };
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);

    CHECK_OK(zk_ensure_path(c, zkt_path(p, "%s/1/2/3/4/5", root), NULL, 0, 0));
    CHECK_OK(zk_exists(c, p, NULL, 0, NULL));
    CHECK_OK(zk_exists(c, zkt_path(p, "%s/1/2/3", root), NULL, 0, NULL));
    CHECK_OK(zk_ensure_path(c, zkt_path(p, "%s/1/2/3/4/5", root), NULL, 0, 0));
    CHECK_OK(zk_ensure_path(c, root, NULL, 0, 0));
    CHECK_OK(zk_ensure_path(c, "/", NULL, 0, 0));

    /* With an explicit ACL, the new nodes carry it. */
    CHECK_OK(zk_ensure_path(c, zkt_path(p, "%s/x/y", root), &open, 1, 0));
    CHECK_OK(zk_get_acl(c, p, 0, &acl, NULL));
    REQUIRE(zk_acl_list_len(acl) == 1);
    CHECK_OK(zk_acl_list_get(acl, 0, &a));
    CHECK_EQ(a.perms, ZK_PERM_ALL);
    CHECK_STR(a.scheme, "world");
    CHECK_STR(a.id, "anyone");
    zk_acl_list_free(acl);
    zkt_teardown(c, root);
}

static void sync_succeeds(void)
{
    char root[ZKT_PATH_MAX];
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    CHECK_OK(zk_sync(c, root, 0));
    CHECK_OK(zk_sync(c, "/", 0));
    zkt_teardown(c, root);
}

static void get_acl_and_set_acl_round_trip(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    zk_acl_list *l = NULL;
    zk_acl a, ro = { ZK_PERM_READ, "world", "anyone" };
    zk_acl two[2] = { { ZK_PERM_READ | ZK_PERM_WRITE, "world", "anyone" },
                      { ZK_PERM_ALL, "ip", "127.0.0.1" } };
    zk_stat st;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);

    CHECK_OK(zkt_create(c, zkt_path(p, "%s/acl", root), "x"));
    CHECK_OK(zk_get_acl(c, p, 0, &l, &st));
    CHECK_EQ(st.aversion, 0);
    REQUIRE(zk_acl_list_len(l) == 1);
    CHECK_OK(zk_acl_list_get(l, 0, &a));
    CHECK_EQ(a.perms, ZK_PERM_ALL);
    CHECK_STR(a.scheme, "world");
    CHECK_STR(a.id, "anyone");
    CHECK_RC(zk_acl_list_get(l, 1, &a), ZK_RESULT_INVALID_ARGUMENT);
    zk_acl_list_free(l);

    CHECK_OK(zk_set_acl(c, p, two, 2, 0, 0, &st));
    CHECK_EQ(st.aversion, 1);
    CHECK_RC(zk_set_acl(c, p, two, 2, 0, 0, NULL), ZK_RESULT_BAD_VERSION);
    l = NULL;
    CHECK_OK(zk_get_acl(c, p, 0, &l, NULL));
    REQUIRE(zk_acl_list_len(l) == 2);
    CHECK_OK(zk_acl_list_get(l, 1, &a));
    CHECK_EQ(a.perms, ZK_PERM_ALL);
    CHECK_STR(a.scheme, "ip");
    CHECK_STR(a.id, "127.0.0.1");
    zk_acl_list_free(l);

    /* Read-only for everyone: the server now refuses writes. */
    CHECK_OK(zk_set_acl(c, p, &ro, 1, -1, 0, NULL));
    CHECK_RC(zkt_set_str(c, p, "denied"), ZK_RESULT_NO_AUTH);
    CHECK_RC(zk_set_acl(c, p, &ro, 1, -1, 0, NULL), ZK_RESULT_NO_AUTH); /* no ADMIN either */
    /* An empty ACL is refused before anything is sent. */
    CHECK_RC(zk_set_acl(c, root, NULL, 0, -1, 0, NULL), ZK_RESULT_INVALID_ACL);
    CHECK_RC(zk_get_acl(c, zkt_path(p, "%s/none", root), 0, &l, NULL), ZK_RESULT_NO_NODE);
    /* Deleting needs DELETE on the parent, which is still open. */
    zkt_teardown(c, root);
}

static void state_accessors_follow_the_lifecycle(void)
{
    zk_options *o = zkt_options(NULL);
    zk_client *c = NULL;
    zk_client_id id, id2;

    REQUIRE_OK(zk_client_new(o, &c));
    zk_options_free(o); /* copied by zk_client_new */
    CHECK_EQ(zk_get_state(c), ZK_STATE_LOST);
    CHECK_EQ(zk_get_keeper_state(c), ZK_KEEPER_STATE_CLOSED);
    CHECK(!zk_is_connected(c));
    CHECK_EQ(zk_session_timeout_ms(c), 0);
    CHECK_EQ(zk_watch_count(c), 0);
    CHECK_RC(zk_get_client_id(c, &id), ZK_RESULT_CONNECTION_LOSS);

    CHECK_OK(zk_start(c, (uint32_t)zkt_wait_ms(10000)));
    CHECK_EQ(zk_get_state(c), ZK_STATE_CONNECTED);
    CHECK_EQ(zk_get_keeper_state(c), ZK_KEEPER_STATE_CONNECTED);
    CHECK(zk_is_connected(c));
    CHECK(zk_session_timeout_ms(c) > 0);
    CHECK_OK(zk_get_client_id(c, &id));
    CHECK(id.session_id != 0);
    /* Starting a started client is a no-op. */
    CHECK_OK(zk_start(c, 0));
    CHECK_OK(zk_get_client_id(c, &id2));
    CHECK_EQ(id2.session_id, id.session_id);

    /* restart = a new session */
    CHECK_OK(zk_restart(c, (uint32_t)zkt_wait_ms(10000)));
    CHECK(zk_is_connected(c));
    CHECK_OK(zk_get_client_id(c, &id2));
    CHECK(id2.session_id != id.session_id);

    CHECK_OK(zk_stop(c));
    CHECK_EQ(zk_get_state(c), ZK_STATE_LOST);
    CHECK_EQ(zk_get_keeper_state(c), ZK_KEEPER_STATE_CLOSED);
    CHECK(!zk_is_connected(c));
    CHECK_OK(zk_stop(c)); /* idempotent */

    /* A stopped client starts again with a new session. */
    CHECK_OK(zk_start(c, (uint32_t)zkt_wait_ms(10000)));
    CHECK_OK(zk_get_client_id(c, &id));
    CHECK(id.session_id != id2.session_id);
    CHECK_OK(zk_close(c));
    CHECK_EQ(zk_get_keeper_state(c), ZK_KEEPER_STATE_CLOSED);
    CHECK_RC(zk_exists(c, "/", NULL, 0, NULL), ZK_RESULT_CLOSED);
    zk_client_free(c);
}

static void options_are_applied(void)
{
    zk_options *o = zkt_options(NULL);
    zk_retry_policy p, q;
    zk_client *c;
    zk_acl open_acl = { ZK_PERM_ALL, "world", "anyone" };

    CHECK_OK(zk_retry_policy_init(&p));
    /* kazoo's defaults, as documented */
    CHECK_EQ(p.max_tries, -1);
    CHECK_EQ(p.delay_ms, 100);
    CHECK(p.backoff == 2.0);
    CHECK(p.max_jitter > 0.39 && p.max_jitter < 0.41);
    CHECK_EQ(p.max_delay_ms, 60000);
    CHECK_EQ(p.deadline_ms, -1);

    q = p;
    q.max_tries = 5;
    q.deadline_ms = 20000;
    CHECK_OK(zk_options_set_connection_retry(o, &q));
    CHECK_OK(zk_options_set_command_retry(o, &q));
    CHECK_OK(zk_options_set_session_timeout_ms(o, 8000));
    CHECK_OK(zk_options_set_operation_timeout_ms(o, 5000));
    CHECK_OK(zk_options_set_max_frame(o, 1 << 20));
    CHECK_OK(zk_options_set_randomize_hosts(o, false));
    CHECK_OK(zk_options_set_expiry_final(o, true));
    /* read-only allowed, but this server has a quorum: a read-write session */
    CHECK_OK(zk_options_set_read_only(o, true));
    CHECK_OK(zk_options_add_default_acl(o, &open_acl));
    c = zkt_start(o);
    zk_options_free(o);
    REQUIRE(c != NULL);
    CHECK_EQ(zk_get_keeper_state(c), ZK_KEEPER_STATE_CONNECTED);
    /* The server grants at most what was asked (the default, 10 s, is its maximum with
     * the harness's 500 ms tick), so the option reached it. */
    CHECK(zk_session_timeout_ms(c) > 0 && zk_session_timeout_ms(c) <= 8000);
    CHECK_OK(zk_exists(c, "/", NULL, 0, NULL));
    zk_client_free(c);
}

static void max_frame_limits_requests_and_replies(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    static uint8_t big[6000]; /* over 4096 + the 1 KiB a reply may add */
    zk_buffer b = { NULL, 0 };
    zk_options *o;
    zk_client *small;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);

    memset(big, 'b', sizeof big);
    CHECK_OK(zk_create(c, zkt_path(p, "%s/big", root), big, sizeof big, NULL, 0, 0, 0, 0, NULL,
                       NULL));
    o = zkt_options(NULL);
    CHECK_OK(zk_options_set_max_frame(o, 4096));
    small = zkt_start(o);
    zk_options_free(o);
    if (small != NULL) {
        char q[ZKT_PATH_MAX];
        CHECK_RC(zk_create(small, zkt_path(q, "%s/big2", root), big, sizeof big, NULL, 0, 0, 0, 0,
                           NULL, NULL),
                 ZK_RESULT_TOO_LARGE);
        CHECK_RC(zk_set(small, p, big, sizeof big, -1, 0, NULL), ZK_RESULT_TOO_LARGE);
        /* a reply over the limit fails that call only */
        CHECK_RC(zk_get(small, p, NULL, 0, &b, NULL), ZK_RESULT_TOO_LARGE);
        CHECK(b.data == NULL);
        CHECK_OK(zk_set(small, p, big, 100, -1, 0, NULL));
        CHECK_OK(zk_get(small, p, NULL, 0, &b, NULL));
        CHECK_EQ(b.len, 100);
        zk_buffer_free(&b);
        CHECK(zk_is_connected(small));
        zk_client_free(small);
    }
    zkt_teardown(c, root);
}

struct who_done {
    struct zkt_rec rec;
    zk_result rc;
    size_t n;
};

static void on_who(void *ud, zk_result rc, const zk_identity_list *l)
{
    struct who_done *d = ud;
    d->rc = rc;
    d->n = zk_identity_list_len(l);
    zkt_on_final(&d->rec);
}

/* whoAmI: the connection's address, then the digest user after zk_add_auth. */
static void who_am_i_names_the_address_then_the_digest_user(void)
{
    zk_identity_list *l = NULL;
    zk_identity id;
    struct who_done d;
    int saw_digest = 0, saw_ip = 0;
    zk_client *c = zkt_connect();
    REQUIRE(c != NULL);
    CHECK_OK(zk_who_am_i(c, 0, &l));
    CHECK_EQ(zk_identity_list_len(l), 1);
    CHECK_OK(zk_identity_list_get(l, 0, &id));
    CHECK_STR(id.scheme, "ip");
    CHECK_STR(id.user, "127.0.0.1");
    CHECK_RC(zk_identity_list_get(l, 1, &id), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_identity_list_get(l, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    zk_identity_list_free(l);

    CHECK_OK(zk_add_auth(c, "digest", (const uint8_t *)"who:pw", 6, 0));
    CHECK_OK(zk_who_am_i(c, 0, &l));
    CHECK_EQ(zk_identity_list_len(l), 2);
    for (size_t i = 0; i < zk_identity_list_len(l); i++) {
        CHECK_OK(zk_identity_list_get(l, i, &id));
        if (strcmp(id.scheme, "digest") == 0 && strcmp(id.user, "who") == 0)
            saw_digest = 1;
        if (strcmp(id.scheme, "ip") == 0)
            saw_ip = 1;
    }
    CHECK(saw_digest && saw_ip);
    zk_identity_list_free(l);

    zkt_rec_init(&d.rec);
    d.rc = ZK_RESULT_SYSTEM_ERROR;
    d.n = 0;
    CHECK_OK(zk_who_am_i_async(c, 0, on_who, &d, NULL));
    CHECK(zkt_wait_finals(&d.rec, 1, 10000));
    CHECK_EQ(d.rc, ZK_RESULT_OK);
    CHECK_EQ(d.n, 2);
    zkt_rec_destroy(&d.rec);

    CHECK_RC(zk_who_am_i(c, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_who_am_i(NULL, 0, &l), ZK_RESULT_NULL_ARGUMENT);
    CHECK_EQ(zk_identity_list_len(NULL), 0);
    zk_identity_list_free(NULL);
    CHECK_OK(zk_stop(c));
    CHECK_RC(zk_who_am_i(c, 0, &l), ZK_RESULT_CLOSED);
    zk_client_free(c);
}

ZKT_SUITE(crud) = {
    ZKT_CASE(who_am_i_names_the_address_then_the_digest_user),
    ZKT_CASE(create_plain_then_get_returns_the_data),
    ZKT_CASE(create_fills_path_out_and_stat_out),
    ZKT_CASE(create_with_empty_data_reads_back_empty),
    ZKT_CASE(create_binary_data_round_trips),
    ZKT_CASE(create_makepath_creates_missing_parents),
    ZKT_CASE(create_container_is_removed_with_its_last_child),
    ZKT_CASE(create_ttl_node_expires),
    ZKT_CASE(create_sequence_appends_increasing_10_digit_suffix),
    ZKT_CASE(create_ephemeral_is_owned_by_the_session),
    ZKT_CASE(set_checks_the_version),
    ZKT_CASE(delete_checks_the_version),
    ZKT_CASE(delete_refuses_non_empty_unless_recursive),
    ZKT_CASE(exists_reports_ok_or_no_node),
    ZKT_CASE(get_children_lists_every_child),
    ZKT_CASE(get_ephemerals_and_all_children_number),
    ZKT_CASE(ensure_path_creates_deep_paths_and_accepts_existing),
    ZKT_CASE(sync_succeeds),
    ZKT_CASE(get_acl_and_set_acl_round_trip),
    ZKT_CASE(state_accessors_follow_the_lifecycle),
    ZKT_CASE(options_are_applied),
    ZKT_CASE(max_frame_limits_requests_and_replies),
    ZKT_END,
};
