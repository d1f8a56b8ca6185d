/* SASL DIGEST-MD5 from C. run.sh starts the suite's server with the harness's
 * --sasl-digest bob=pw (a JAAS DigestLoginModule that knows bob, and the `sasl` ACL
 * scheme). The exchange made again after a server restart is in test_faults_replay.c,
 * on the fault tests' ensemble. */
#include "zktest.h"

#include <stdlib.h>

#define USER "bob"
#define PASSWORD "pw"

static zk_options *sasl_options(const char *user, const char *password)
{
    zk_options *o = zkt_options(NULL);
    CHECK_OK(zk_options_set_sasl_digest_md5(o, user, password, NULL));
    return o;
}

/* Creates `path` with an ACL giving everything to the SASL user bob only. */
static zk_result create_for_bob(zk_client *c, const char *path)
{
    zk_acl acl = { ZK_PERM_ALL, "sasl", USER };
    return zk_create(c, path, (const uint8_t *)"bob's", 5, &acl, 1, 0, 0, 0, NULL, NULL);
}

static void sasl_acl_admits_the_user_and_no_one_else(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX], *s = NULL;
    zk_options *o;
    zk_client *bob, *legacy;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    o = sasl_options(USER, PASSWORD);
    bob = zkt_start(o);
    zk_options_free(o);
    if (bob != NULL) {
        CHECK_OK(create_for_bob(bob, zkt_path(p, "%s/bob", root)));
        CHECK_OK(zkt_get_str(bob, p, &s, NULL));
        CHECK_STR(s, "bob's");
        free(s);
        s = NULL;
        CHECK_OK(zkt_set_str(bob, p, "still bob's"));
        /* Without SASL: no access. */
        CHECK_RC(zkt_get_str(c, p, &s, NULL), ZK_RESULT_NO_AUTH);
        /* kazoo's legacy form, a "sasl" credential "user:password", is the same. */
        o = zkt_options(NULL);
        CHECK_OK(zk_options_add_auth(o, "sasl", (const uint8_t *)"bob:pw", 6));
        legacy = zkt_start(o);
        zk_options_free(o);
        if (legacy != NULL) {
            CHECK_OK(zkt_get_str(legacy, p, &s, NULL));
            CHECK_STR(s, "still bob's");
            free(s);
            s = NULL;
            /* Once connected, "sasl" is no credential to add. */
            CHECK_RC(zk_add_auth(legacy, "sasl", (const uint8_t *)"bob:pw", 6, 0),
                     ZK_RESULT_INVALID_ARGUMENT);
            CHECK(zk_is_connected(legacy));
            zk_client_free(legacy);
        }
        CHECK_OK(zk_delete(bob, p, -1, false, 0));
        zk_client_free(bob);
    }
    zkt_teardown(c, root);
}

static void sasl_wrong_password_fails_zk_start_for_good(void)
{
    /* A wrong password, and a user the server does not know. */
    const char *users[] = { USER, "mallory" };
    const char *passwords[] = { "wrong", "no-such-password" };
    zk_options *o;
    zk_client *c = NULL;
    char *why = NULL;
    int i;
    for (i = 0; i < 2; i++) {
        o = sasl_options(users[i], passwords[i]);
        CHECK_OK(zk_client_new(o, &c));
        zk_options_free(o);
        REQUIRE(c != NULL);
        CHECK_RC(zk_start(c, (uint32_t)zkt_wait_ms(10000)), ZK_RESULT_AUTH_FAILED);
        CHECK_EQ(zk_get_keeper_state(c), ZK_KEEPER_STATE_AUTH_FAILED);
        CHECK_EQ(zk_get_state(c), ZK_STATE_LOST);
        CHECK_OK(zk_connect_error(c, &why));
        CHECK(why != NULL && strstr(why, ": SASL DIGEST-MD5: the server refused the credentials"));
        zk_string_free(why);
        why = NULL;
        CHECK_RC(zk_exists(c, "/", NULL, 0, NULL), ZK_RESULT_AUTH_FAILED);
        zk_client_free(c);
        c = NULL;
    }
    /* The legacy form with a wrong password: the same. */
    o = zkt_options(NULL);
    CHECK_OK(zk_options_add_auth(o, "sasl", (const uint8_t *)"bob:nope", 8));
    CHECK_OK(zk_client_new(o, &c));
    zk_options_free(o);
    REQUIRE(c != NULL);
    CHECK_RC(zk_start(c, (uint32_t)zkt_wait_ms(10000)), ZK_RESULT_AUTH_FAILED);
    zk_client_free(c);
}

static void sasl_options_refuse_bad_arguments(void)
{
    char long_name[600];
    zk_options *o = zkt_options(NULL);
    zk_client *c;
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    CHECK_RC(zk_options_set_sasl_digest_md5(o, NULL, PASSWORD, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_options_set_sasl_digest_md5(o, USER, NULL, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_options_set_sasl_digest_md5(o, "", PASSWORD, NULL), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_options_set_sasl_digest_md5(o, long_name, PASSWORD, NULL),
             ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_options_set_sasl_digest_md5(o, USER, PASSWORD, ""), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_options_set_sasl_digest_md5(o, "b\xff", PASSWORD, NULL), ZK_RESULT_INVALID_UTF8);
    CHECK_RC(zk_options_add_auth(o, "sasl", (const uint8_t *)"nocolon", 7),
             ZK_RESULT_INVALID_ARGUMENT);
    /* One SASL setting: the second form is refused and the first stays. */
    CHECK_OK(zk_options_set_sasl_digest_md5(o, USER, PASSWORD, "an authzid"));
    CHECK_RC(zk_options_add_auth(o, "sasl", (const uint8_t *)"bob:pw", 6),
             ZK_RESULT_INVALID_ARGUMENT);
    /* A refused setter left the options as they were: they still work. */
    c = zkt_start(o);
    zk_options_free(o);
    if (c != NULL) {
        CHECK_OK(zk_exists(c, "/", NULL, 0, NULL));
        zk_client_free(c);
    }
}

ZKT_SUITE(sasl) = {
    ZKT_CASE(sasl_acl_admits_the_user_and_no_one_else),
    ZKT_CASE(sasl_wrong_password_fails_zk_start_for_good),
    ZKT_CASE(sasl_options_refuse_bad_arguments),
    ZKT_END,
};
