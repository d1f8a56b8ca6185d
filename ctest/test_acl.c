/* Digest ACLs and authentication: a node only its user can read, credentials added
 * after or at connect, wrong passwords, "auth" ACLs, default ACLs, refused schemes. */
#include "zktest.h"

#include <stdlib.h>

static const char CRED[] = "user:pw";

static zk_result add_auth(zk_client *c, const char *cred)
{
    return zk_add_auth(c, "digest", (const uint8_t *)cred, strlen(cred), 0);
}

/* The node root/secret readable only by digest user:pw; NULL on failure. */
static char *make_secret(zk_client *owner, const char *root, char path[ZKT_PATH_MAX])
{
    char *id = NULL;
    zk_acl acl;
    zk_result rc = zk_digest_id("user", "pw", &id);
    if (rc != ZK_RESULT_OK) {
        CHECK_OK(rc);
        return NULL;
    }
    acl.perms = ZK_PERM_ALL;
    acl.scheme = "digest";
    acl.id = id;
    CHECK_OK(zk_create(owner, zkt_path(path, "%s/secret", root), (const uint8_t *)"s3cret", 6,
                       &acl, 1, 0, 0, 0, NULL, NULL));
    return id;
}

static void digest_id_matches_zookeeper(void)
{
    char *id = NULL;
    /* The value ZooKeeper's DigestAuthenticationProvider.generateDigest gives. */
    CHECK_OK(zk_digest_id("super", "test", &id));
    CHECK_STR(id, "super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
    zk_string_free(id);
    id = NULL;
    CHECK_OK(zk_digest_id("", "", &id));
    CHECK(id != NULL && id[0] == ':');
    zk_string_free(id);
    id = NULL;
    /* The user may not contain the separator. */
    CHECK_RC(zk_digest_id("us:er", "pw", &id), ZK_RESULT_INVALID_ARGUMENT);
    CHECK(id == NULL);
}

static void digest_acl_node_reads_only_after_add_auth(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    char *id, *s = NULL;
    zk_client *a, *b;
    zk_acl_list *l = NULL;
    zk_acl got;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);

    a = zkt_connect();
    b = zkt_connect();
    if (a != NULL && b != NULL) {
        CHECK_OK(add_auth(a, CRED));
        id = make_secret(a, root, p);
        CHECK_OK(zkt_get_str(a, p, &s, NULL));
        CHECK_STR(s, "s3cret");
        free(s);
        s = NULL;

        /* The entry is what we gave (getACL needs READ or ADMIN since ZooKeeper 3.6). */
        CHECK_RC(zk_get_acl(b, p, 0, &l, NULL), ZK_RESULT_NO_AUTH);
        CHECK_OK(zk_get_acl(a, p, 0, &l, NULL));
        REQUIRE(zk_acl_list_len(l) == 1);
        CHECK_OK(zk_acl_list_get(l, 0, &got));
        CHECK_STR(got.scheme, "digest");
        CHECK_STR(got.id, id);
        CHECK_EQ(got.perms, ZK_PERM_ALL);
        zk_acl_list_free(l);

        CHECK_RC(zkt_get_str(b, p, &s, NULL), ZK_RESULT_NO_AUTH);
        CHECK_RC(zkt_set_str(b, p, "nope"), ZK_RESULT_NO_AUTH);
        CHECK_OK(add_auth(b, CRED));
        CHECK_OK(zkt_get_str(b, p, &s, NULL));
        CHECK_STR(s, "s3cret");
        free(s);
        CHECK_OK(zkt_set_str(b, p, "shared"));
        zk_string_free(id);
    }
    zk_client_free(a);
    zk_client_free(b);
    /* The recursive delete lists the secret's children, which needs READ on it. */
    CHECK_OK(add_auth(c, CRED));
    zkt_teardown(c, root);
}

static void wrong_password_authenticates_as_someone_else(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    char *id, *s = NULL;
    zk_client *b;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);

    CHECK_OK(add_auth(c, CRED));
    id = make_secret(c, root, p);
    zk_string_free(id);
    b = zkt_connect();
    if (b != NULL) {
        /* The digest provider accepts any user:password: a different identity, no error. */
        CHECK_OK(add_auth(b, "user:wrong"));
        CHECK(zk_is_connected(b));
        CHECK_RC(zkt_get_str(b, p, &s, NULL), ZK_RESULT_NO_AUTH);
        CHECK_OK(add_auth(b, "other:pw"));
        CHECK_RC(zkt_get_str(b, p, &s, NULL), ZK_RESULT_NO_AUTH);
        /* Identities add up: the right one still works after wrong ones. */
        CHECK_OK(add_auth(b, CRED));
        CHECK_OK(zkt_get_str(b, p, &s, NULL));
        free(s);
        zk_client_free(b);
    }
    zkt_teardown(c, root);
}

static void auth_given_at_connect_works_like_add_auth(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    char *id, *s = NULL;
    zk_options *o;
    zk_client *b;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);

    CHECK_OK(add_auth(c, CRED));
    id = make_secret(c, root, p);
    zk_string_free(id);

    o = zkt_options(NULL);
    CHECK_OK(zk_options_add_auth(o, "digest", (const uint8_t *)CRED, strlen(CRED)));
    b = zkt_start(o);
    if (b != NULL) {
        CHECK_OK(zkt_get_str(b, p, &s, NULL));
        CHECK_STR(s, "s3cret");
        free(s);
        s = NULL;
        /* It is sent again on every connect: still there after a restart. */
        CHECK_OK(zk_restart(b, (uint32_t)zkt_wait_ms(10000)));
        CHECK_OK(zkt_get_str(b, p, &s, NULL));
        free(s);
        zk_client_free(b);
    }
    zk_options_free(o);

    /* And the wrong one at connect: connected, but no access. */
    o = zkt_options(NULL);
    CHECK_OK(zk_options_add_auth(o, "digest", (const uint8_t *)"user:wrong", 10));
    b = zkt_start(o);
    zk_options_free(o);
    if (b != NULL) {
        CHECK_RC(zkt_get_str(b, p, &s, NULL), ZK_RESULT_NO_AUTH);
        zk_client_free(b);
    }
    zkt_teardown(c, root);
}

static void auth_scheme_acl_means_the_creators_identities(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    zk_acl creator = { ZK_PERM_ALL, "auth", "" };
    zk_acl_list *l = NULL;
    zk_acl got;
    char *id = NULL, *s = NULL;
    zk_client *b;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);

    /* Without any identity the server refuses an "auth" ACL. */
    CHECK_RC(zk_create(c, zkt_path(p, "%s/mine", root), NULL, 0, &creator, 1, 0, 0, 0, NULL,
                       NULL),
             ZK_RESULT_INVALID_ACL);
    CHECK_OK(add_auth(c, CRED));
    CHECK_OK(zk_create(c, p, (const uint8_t *)"m", 1, &creator, 1, 0, 0, 0, NULL, NULL));
    /* The server stores the digest of the creator. */
    CHECK_OK(zk_digest_id("user", "pw", &id));
    CHECK_OK(zk_get_acl(c, p, 0, &l, NULL));
    REQUIRE(zk_acl_list_len(l) == 1);
    CHECK_OK(zk_acl_list_get(l, 0, &got));
    CHECK_STR(got.scheme, "digest");
    CHECK_STR(got.id, id);
    zk_acl_list_free(l);
    zk_string_free(id);

    b = zkt_connect();
    if (b != NULL) {
        CHECK_RC(zkt_get_str(b, p, &s, NULL), ZK_RESULT_NO_AUTH);
        zk_client_free(b);
    }
    zkt_teardown(c, root);
}

static void default_acl_option_applies_to_creates_without_acl(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    zk_acl read_only = { ZK_PERM_READ, "world", "anyone" };
    zk_acl ip = { ZK_PERM_ALL, "ip", "127.0.0.1" };
    zk_acl_list *l = NULL;
    zk_acl got;
    zk_options *o;
    zk_client *d;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);

    o = zkt_options(NULL);
    CHECK_OK(zk_options_add_default_acl(o, &read_only));
    CHECK_OK(zk_options_add_default_acl(o, &ip));
    d = zkt_start(o);
    zk_options_free(o);
    if (d != NULL) {
        CHECK_OK(zkt_create(d, zkt_path(p, "%s/dflt", root), "x"));
        CHECK_OK(zk_get_acl(c, p, 0, &l, NULL));
        REQUIRE(zk_acl_list_len(l) == 2);
        CHECK_OK(zk_acl_list_get(l, 0, &got));
        CHECK_EQ(got.perms, ZK_PERM_READ);
        CHECK_STR(got.scheme, "world");
        CHECK_OK(zk_acl_list_get(l, 1, &got));
        CHECK_STR(got.scheme, "ip");
        CHECK_STR(got.id, "127.0.0.1");
        zk_acl_list_free(l);
        l = NULL;
        /* ensure_path uses it too */
        CHECK_OK(zk_ensure_path(d, zkt_path(p, "%s/e/f", root), NULL, 0, 0));
        CHECK_OK(zk_get_acl(c, p, 0, &l, NULL));
        CHECK_EQ(zk_acl_list_len(l), 2);
        zk_acl_list_free(l);
        zk_client_free(d);
    }
    zkt_teardown(c, root);
}

static bool auth_failed_seen(struct zkt_rec *r, void *arg)
{
    int i;
    (void)arg;
    for (i = 0; i < r->n_states && i < ZKT_MAX_EVENTS; i++)
        if (r->states[i] == ZK_STATE_LOST && r->keeper_states[i] == ZK_KEEPER_STATE_AUTH_FAILED)
            return true;
    return false;
}

static void refused_credential_makes_the_client_auth_failed(void)
{
    struct zkt_rec r;
    zk_client *c = zkt_connect();
    REQUIRE(c != NULL);
    zkt_rec_init(&r);
    CHECK_OK(zk_add_listener(c, zkt_on_state, &r, zkt_on_final, NULL));
    /* No such auth provider: the server refuses and closes the session. */
    CHECK_RC(zk_add_auth(c, "no-such-scheme", (const uint8_t *)"x", 1, 0), ZK_RESULT_AUTH_FAILED);
    CHECK(zkt_rec_wait(&r, auth_failed_seen, NULL, 5000));
    CHECK_EQ(zk_get_keeper_state(c), ZK_KEEPER_STATE_AUTH_FAILED);
    CHECK_EQ(zk_get_state(c), ZK_STATE_LOST);
    CHECK(!zk_is_connected(c));
    CHECK_RC(zk_exists(c, "/", NULL, 0, NULL), ZK_RESULT_AUTH_FAILED);
    /* "Final until the client is started again." */
    CHECK_OK(zk_stop(c));
    CHECK_OK(zk_start(c, (uint32_t)zkt_wait_ms(10000)));
    CHECK_OK(zk_exists(c, "/", NULL, 0, NULL));
    zk_client_free(c);
    CHECK_EQ(zkt_rec_finals(&r), 1);
    zkt_rec_destroy(&r);
}

/* A refused credential: the call returns AUTH_FAILED and the state already says so (the
 * I/O thread sets the state before it wakes the caller). */
static void add_auth_refused_sets_auth_failed_before_returning(void)
{
    int i;
    for (i = 0; i < 20; i++) {
        zk_client *c = zkt_connect();
        REQUIRE(c != NULL);
        CHECK_RC(zk_add_auth(c, "no-such-scheme", (const uint8_t *)"x", 1, 0),
                 ZK_RESULT_AUTH_FAILED);
        CHECK_EQ(zk_get_keeper_state(c), ZK_KEEPER_STATE_AUTH_FAILED);
        zk_client_free(c);
    }
}

ZKT_SUITE(acl) = {
    ZKT_CASE(digest_id_matches_zookeeper),
    ZKT_CASE(digest_acl_node_reads_only_after_add_auth),
    ZKT_CASE(wrong_password_authenticates_as_someone_else),
    ZKT_CASE(auth_given_at_connect_works_like_add_auth),
    ZKT_CASE(auth_scheme_acl_means_the_creators_identities),
    ZKT_CASE(default_acl_option_applies_to_creates_without_acl),
    ZKT_CASE(refused_credential_makes_the_client_auth_failed),
    ZKT_CASE(add_auth_refused_sets_auth_failed_before_returning),
    ZKT_END,
};
