/* Four-letter words and the server version. The harness whitelists every command. */
#include "zktest.h"

static char *command(zk_client *c, const char *cmd)
{
    char *out = NULL;
    CHECK_OK(zk_command(c, cmd, 0, &out));
    return out;
}

static void ruok_answers_imok(void)
{
    zk_client *c = zkt_connect();
    char *s;
    REQUIRE(c != NULL);
    s = command(c, "ruok");
    CHECK_STR(s, "imok");
    zk_string_free(s);
    zk_client_free(c);
}

static void srvr_reports_the_version_and_mode(void)
{
    zk_client *c = zkt_connect();
    char *s;
    REQUIRE(c != NULL);
    s = command(c, "srvr");
    CHECK(s != NULL && strstr(s, "Zookeeper version") != NULL);
    CHECK(s != NULL && strstr(s, "Mode: standalone") != NULL);
    zk_string_free(s);
    zk_client_free(c);
}

static void every_known_command_returns_text(void)
{
    static const char *const cmds[] = { "stat", "conf", "cons", "dump", "envi", "wchs",
                                        "wchc", "wchp", "mntr", "isro", "srvr", "dirs" };
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    struct zkt_rec r;
    zk_watcher w;
    char *s;
    size_t i;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_rec_init(&r);
    /* wchc and wchp list watches: have one. */
    w = zkt_watcher(&r);
    CHECK_RC(zk_exists(c, zkt_path(p, "%s/w", root), &w, 0, NULL), ZK_RESULT_NO_NODE);
    for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        s = command(c, cmds[i]);
        if (s == NULL || s[0] == '\0')
            zkt_fail(__FILE__, __LINE__, "%s: empty reply", cmds[i]);
        zk_string_free(s);
    }
    /* reqs is unknown to ZooKeeper 3.8 and 3.9: it closes without a byte, which the library reports
     * as UNIMPLEMENTED rather than as an empty answer. */
    s = NULL;
    CHECK_RC(zk_command(c, "reqs", 0, &s), ZK_RESULT_UNIMPLEMENTED);
    CHECK(s == NULL);
    zkt_teardown(c, root);
    zkt_rec_destroy(&r);
}

static void replies_say_what_each_command_is_about(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    struct zkt_rec r;
    zk_watcher w;
    zk_client_id id;
    char sid[32];
    char *s;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_rec_init(&r);

    s = command(c, "isro");
    CHECK_STR(s, "rw");
    zk_string_free(s);
    s = command(c, "mntr");
    CHECK(s != NULL && strstr(s, "zk_server_state\tstandalone") != NULL);
    zk_string_free(s);
    s = command(c, "conf");
    CHECK(s != NULL && strstr(s, "clientPort=") != NULL);
    zk_string_free(s);

    /* Our own session shows up in cons, and our watch in wchp/wchc. */
    CHECK_OK(zk_get_client_id(c, &id));
    snprintf(sid, sizeof sid, "sid=0x%llx", (unsigned long long)id.session_id);
    s = command(c, "cons");
    CHECK(s != NULL && strstr(s, sid) != NULL);
    zk_string_free(s);
    w = zkt_watcher(&r);
    CHECK_RC(zk_exists(c, zkt_path(p, "%s/watched", root), &w, 0, NULL), ZK_RESULT_NO_NODE);
    s = command(c, "wchp");
    CHECK(s != NULL && strstr(s, p) != NULL);
    zk_string_free(s);
    s = command(c, "wchc");
    CHECK(s != NULL && strstr(s, p) != NULL);
    zk_string_free(s);
    zkt_teardown(c, root);
    CHECK_EQ(zkt_rec_finals(&r), 1);
    zkt_rec_destroy(&r);
}

static void unknown_commands_are_refused_before_sending(void)
{
    zk_client *c = zkt_connect();
    char *s = NULL;
    REQUIRE(c != NULL);
    CHECK_RC(zk_command(c, "xxxx", 0, &s), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_command(c, "kill", 0, &s), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_command(c, "ruokk", 0, &s), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_command(c, "ruo", 0, &s), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_command(c, "", 0, &s), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_command(c, "RUOK", 0, &s), ZK_RESULT_INVALID_ARGUMENT);
    CHECK(s == NULL);
    CHECK_RC(zk_command(c, "ruok", 0, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_command(c, NULL, 0, &s), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_command(NULL, "ruok", 0, &s), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_command(c, "\xff\xfe\xfd\xfc", 0, &s), ZK_RESULT_INVALID_UTF8);
    CHECK(zk_is_connected(c));
    zk_client_free(c);
}

/* The library's parse of `srvr` agrees with the test harness's own (3.8.0 or 3.9.5). */
static void server_version_is_the_running_servers(void)
{
    uint32_t major = 0, minor = 0, patch = 999;
    struct zkt_version v = zkt_server_version();
    zk_client *c = zkt_connect();
    REQUIRE(c != NULL);
    REQUIRE(zkt_version_at_least(v, 3, 8) && !zkt_version_at_least(v, 3, 10));
    CHECK_OK(zk_server_version(c, 0, &major, &minor, &patch));
    CHECK_EQ(major, (uint32_t)v.major);
    CHECK_EQ(minor, (uint32_t)v.minor);
    CHECK_EQ(patch, (uint32_t)v.patch);
    /* Each out-parameter is optional. */
    minor = 0;
    CHECK_OK(zk_server_version(c, 0, NULL, &minor, NULL));
    CHECK_EQ(minor, (uint32_t)v.minor);
    CHECK_OK(zk_server_version(c, 0, NULL, NULL, NULL));
    CHECK_RC(zk_server_version(NULL, 0, &major, &minor, &patch), ZK_RESULT_NULL_ARGUMENT);
    zk_client_free(c);
}

ZKT_SUITE(fourlw) = {
    ZKT_CASE(ruok_answers_imok),
    ZKT_CASE(srvr_reports_the_version_and_mode),
    ZKT_CASE(every_known_command_returns_text),
    ZKT_CASE(replies_say_what_each_command_is_about),
    ZKT_CASE(unknown_commands_are_refused_before_sending),
    ZKT_CASE(server_version_is_the_running_servers),
    ZKT_END,
};
