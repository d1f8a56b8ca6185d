/* Read-only mode on an ensemble of its own: two of three servers down, then read-write
 * again with a quorum. */
#include "faults.h"

#include <stdlib.h>
#include <unistd.h>

/* ------------------------------------------------------------------ 7. read-only */

static void faults_read_only_with_two_servers_down_then_read_write_with_quorum(void)
{
    static const int all[] = { 1, 2, 3, 0 };
    struct cluster ro;
    char mode[64] = "", *data = NULL;
    zk_client *c = NULL, *rw;
    struct zkt_rec r;
    int64_t deadline;
    int i;
    REQUIRE(cluster_start(&ro, "--readonly"));
    rw = client_on(&ro, all, false, false);
    if (rw != NULL) {
        CHECK_OK(zkt_create(rw, "/ro-data", "kept"));
        CHECK_OK(zk_sync(rw, "/ro-data", 0));
        zk_client_free(rw);
    }
    for (i = 1; i <= N_SERVERS; i++) { /* every member has it before two of them go */
        int only[2];
        only[0] = i;
        only[1] = 0;
        rw = client_on(&ro, only, false, true);
        if (rw != NULL) {
            CHECK_OK(zk_sync(rw, "/ro-data", 0));
            zk_client_free(rw);
        }
    }
    cluster_kill(&ro, 2);
    cluster_kill(&ro, 3);
    deadline = zkt_now_ms() + 15000;
    while (strcmp(mode, "read-only") != 0 && zkt_now_ms() < deadline) {
        zkt_sleep_ms(200);
        cluster_mode(&ro, 1, mode, sizeof mode);
    }
    CHECK_STR(mode, "read-only");

    zkt_rec_init(&r);
    {
        char hosts[256];
        zk_options *o = zk_options_new();
        hosts_of(&ro, all, hosts, sizeof hosts);
        CHECK_OK(zk_options_set_hosts(o, hosts));
        CHECK_OK(zk_options_set_read_only(o, true));
        CHECK_OK(zk_options_set_session_timeout_ms(o, 4000));
        if (zk_client_new(o, &c) != ZK_RESULT_OK)
            c = NULL;
        zk_options_free(o);
    }
    if (c != NULL) {
        CHECK_OK(zk_add_listener(c, zkt_on_state, &r, NULL, NULL));
        CHECK_OK(zk_start(c, (uint32_t)zkt_wait_ms(20000)));
        i = WAIT_STATE(&r, ZK_STATE_CONNECTED, ZK_KEEPER_STATE_CONNECTED_RO, 0, EVENT_WAIT_MS);
        CHECK_EQ(zk_get_keeper_state(c), ZK_KEEPER_STATE_CONNECTED_RO);
        CHECK(zk_is_connected(c));
        CHECK_OK(zkt_get_str(c, "/ro-data", &data, NULL));
        CHECK_STR(data, "kept");
        free(data);
        CHECK_RC(zkt_create(c, "/ro-new", ""), ZK_RESULT_NOT_READ_ONLY);
        CHECK_RC(zkt_set_str(c, "/ro-data", "x"), ZK_RESULT_NOT_READ_ONLY);

        cluster_restart(&ro, 2); /* quorum again */
        WAIT_STATE(&r, ZK_STATE_CONNECTED, ZK_KEEPER_STATE_CONNECTED, i + 1, 30000);
        CHECK_OK(zkt_create(c, "/ro-new", ""));
        CHECK_OK(zkt_set_str(c, "/ro-data", "written"));
        zk_client_free(c);
    }
    zkt_rec_destroy(&r);
    cluster_stop(&ro);
}

ZKT_SUITE(faults_readonly) = {
    ZKT_CASE(faults_read_only_with_two_servers_down_then_read_write_with_quorum),
    ZKT_END,
};
