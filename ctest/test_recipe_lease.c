/* The lease recipes from C: one identifier obtains a lease and renews it, another does
 * not get it while it lasts, the record is kazoo's JSON; a multi-lease hands out each slot
 * once; bad input gets a result code. */
#include "zktest.h"

#include <string.h>

#define HOUR_MS (3600ull * 1000)

static void a_lease_goes_to_one_identifier_and_is_renewed_by_it(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX], holder[ZKT_PATH_MAX];
    struct zk_buffer data = {0};
    bool got = false;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_path(path, "%s/lease", root);
    CHECK_OK(zk_lease_obtain(c, path, HOUR_MS, "a", 0, &got));
    CHECK(got);
    CHECK_OK(zk_lease_obtain(c, path, HOUR_MS, "b", 0, &got));
    CHECK(!got);
    CHECK_OK(zk_lease_obtain(c, path, 2 * HOUR_MS, "a", 0, &got));
    CHECK(got);
    CHECK_OK(zk_get(c, zkt_path(holder, "%s/lease_holder", path), NULL, 0, &data, NULL));
    CHECK(data.len > 30 && memcmp(data.data, "{\"version\": 1, \"holder\": \"a\", \"end\": \"", 38) == 0);
    zk_buffer_free(&data);
    /* Only the record is left: the lock's nodes went with each attempt. */
    CHECK_EQ(zkt_count_children(c, path), 1);
    zkt_teardown(c, root);
}

static void a_multi_lease_hands_out_each_slot_once(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX];
    int64_t slot = 99;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_path(path, "%s/multi", root);
    CHECK_OK(zk_multi_lease_obtain(c, 2, path, HOUR_MS, "a", 0, &slot));
    CHECK_EQ(slot, 0);
    CHECK_OK(zk_multi_lease_obtain(c, 2, path, HOUR_MS, "b", 0, &slot));
    CHECK_EQ(slot, 1);
    CHECK_OK(zk_multi_lease_obtain(c, 2, path, HOUR_MS, "c", 0, &slot));
    CHECK_EQ(slot, -1);
    CHECK_OK(zk_multi_lease_obtain(c, 2, path, HOUR_MS, "b", 0, &slot));
    CHECK_EQ(slot, 1);
    zkt_teardown(c, root);
}

static void leases_refuse_bad_input(void)
{
    static const char bad_utf8[] = {'/', (char)0xff, 0};
    bool got = true;
    int64_t slot = 0;
    zk_client *c = zkt_connect();
    REQUIRE(c != NULL);
    CHECK_RC(zk_lease_obtain(NULL, "/l", HOUR_MS, NULL, 0, &got), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_lease_obtain(c, NULL, HOUR_MS, NULL, 0, &got), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_lease_obtain(c, "/l", HOUR_MS, NULL, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_lease_obtain(c, "/", HOUR_MS, NULL, 0, &got), ZK_RESULT_INVALID_PATH);
    CHECK_RC(zk_lease_obtain(c, "l", HOUR_MS, NULL, 0, &got), ZK_RESULT_INVALID_PATH);
    CHECK_RC(zk_lease_obtain(c, bad_utf8, HOUR_MS, NULL, 0, &got), ZK_RESULT_INVALID_UTF8);
    CHECK_RC(zk_lease_obtain(c, "/l", HOUR_MS, bad_utf8, 0, &got), ZK_RESULT_INVALID_UTF8);
    CHECK_RC(zk_lease_obtain(c, "/l", UINT64_MAX, NULL, 0, &got), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_multi_lease_obtain(c, 0, "/l", HOUR_MS, NULL, 0, &slot), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_multi_lease_obtain(c, 2, "/l", HOUR_MS, NULL, 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    zk_client_free(c);
}

ZKT_SUITE(recipe_lease) = {
    ZKT_CASE(a_lease_goes_to_one_identifier_and_is_renewed_by_it),
    ZKT_CASE(a_multi_lease_hands_out_each_slot_once),
    ZKT_CASE(leases_refuse_bad_input),
    ZKT_END,
};
