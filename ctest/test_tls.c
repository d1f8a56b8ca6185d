/* TLS to the server's secure client port. run.sh starts the server with the harness's
 * --tls, which adds a secure port (ZK_SECURE_HOSTS) next to the plain one and writes a
 * CA, a server and a client certificate to ZK_TLS_DIR; the server wants a client
 * certificate. */
#include "zktest.h"

#include <stdlib.h>
#include <unistd.h>

/* $ZK_SECURE_HOSTS and a file of $ZK_TLS_DIR; NULL (recorded) without them. */
static const char *secure_hosts(void)
{
    const char *h = getenv("ZK_SECURE_HOSTS");
    if (h == NULL || *h == '\0' || getenv("ZK_TLS_DIR") == NULL) {
        zkt_fail(__FILE__, __LINE__, "needs ZK_SECURE_HOSTS and ZK_TLS_DIR "
                                     "(run.sh starts the server with zkharness.py --tls)");
        return NULL;
    }
    return h;
}

static char *tls_file(char buf[ZKT_PATH_MAX], const char *name)
{
    const char *d = getenv("ZK_TLS_DIR");
    return zkt_path(buf, "%s/%s", d ? d : "/nonexistent", name);
}

/* Options for the secure port: CA and client certificate as asked, two connect tries. */
static zk_options *tls_options(const char *hosts, bool ca, bool client_cert, bool verify,
                               bool check_hostname)
{
    char cafile[ZKT_PATH_MAX], cert[ZKT_PATH_MAX], key[ZKT_PATH_MAX];
    zk_retry_policy p;
    zk_options *o = zk_options_new();
    CHECK_OK(zk_options_set_hosts(o, hosts));
    CHECK_OK(zk_options_set_tls(o, ca ? tls_file(cafile, "ca.pem") : NULL,
                                client_cert ? tls_file(cert, "client.pem") : NULL,
                                client_cert ? tls_file(key, "client-key.pem") : NULL, verify,
                                check_hostname));
    CHECK_OK(zk_retry_policy_init(&p));
    p.max_tries = 2;
    p.delay_ms = 50;
    CHECK_OK(zk_options_set_connection_retry(o, &p));
    return o;
}

static void operations_work_over_tls(void)
{
    char root[ZKT_PATH_MAX];
    char *s = NULL;
    zk_options *o;
    zk_client *c;
    const char *h = secure_hosts();
    REQUIRE(h != NULL);
    o = tls_options(h, true, true, true, true); /* the server cert names 127.0.0.1 */
    c = zkt_start(o);
    zk_options_free(o);
    REQUIRE(c != NULL);
    zkt_path(root, "/ctest-%ld-%s", (long)getpid(), zkt_test_name());
    CHECK_OK(zkt_create(c, root, "over tls"));
    CHECK_OK(zkt_get_str(c, root, &s, NULL));
    CHECK_STR(s, "over tls");
    free(s);
    /* Four-letter words go to the secure port over TLS too. */
    s = NULL;
    CHECK_OK(zk_command(c, "ruok", 0, &s));
    CHECK_STR(s, "imok");
    zk_string_free(s);
    CHECK_OK(zk_delete(c, root, -1, false, 0));
    zk_client_free(c);
}

static void without_verification_any_server_is_accepted(void)
{
    zk_options *o;
    zk_client *c;
    const char *h = secure_hosts();
    REQUIRE(h != NULL);
    o = tls_options(h, false, true, false, false);
    c = zkt_start(o);
    zk_options_free(o);
    REQUIRE(c != NULL);
    CHECK_OK(zk_exists(c, "/", NULL, 0, NULL));
    zk_client_free(c);
}

/* zk_connect_error says the server at `hosts` (one address) was reached and failed at the
 * TLS step: "ADDRESS: TLS handshake ...", not "no server could be reached". */
static void check_tls_step_failed(zk_client *c, const char *hosts)
{
    char want[128], *why = NULL;
    snprintf(want, sizeof want, "%s: TLS handshake ", hosts);
    CHECK_OK(zk_connect_error(c, &why));
    if (why == NULL || strncmp(why, want, strlen(want)) != 0)
        zkt_fail(__FILE__, __LINE__, "zk_connect_error: \"%s\", want \"%s...\"",
                 why ? why : "(null)", want);
    zk_string_free(why);
}

static void refused_tls_connections_fail_the_start_and_say_why(void)
{
    zk_options *o;
    zk_client *c = NULL;
    const char *h = secure_hosts();
    REQUIRE(h != NULL);

    /* The system bundle does not hold the harness's CA. */
    o = tls_options(h, false, true, true, false);
    CHECK_OK(zk_client_new(o, &c));
    zk_options_free(o);
    CHECK_RC(zk_start(c, (uint32_t)zkt_wait_ms(10000)), ZK_RESULT_RETRIES_EXHAUSTED);
    check_tls_step_failed(c, h);
    zk_client_free(c);

    /* TLS to the plain port. */
    c = NULL;
    o = tls_options(zkt_hosts(), true, true, true, false);
    CHECK_OK(zk_client_new(o, &c));
    zk_options_free(o);
    CHECK_RC(zk_start(c, (uint32_t)zkt_wait_ms(10000)), ZK_RESULT_RETRIES_EXHAUSTED);
    check_tls_step_failed(c, zkt_hosts());
    zk_client_free(c);
}

static void unusable_tls_settings_are_refused(void)
{
    char ca[ZKT_PATH_MAX], cert[ZKT_PATH_MAX], key[ZKT_PATH_MAX];
    zk_options *o = zk_options_new();
    zk_client *c = NULL;
    tls_file(ca, "ca.pem");
    tls_file(cert, "client.pem");
    tls_file(key, "client-key.pem");

    /* Checked by the setter: a certificate needs its key, host names need verification. */
    CHECK_RC(zk_options_set_tls(o, ca, cert, NULL, true, false), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_options_set_tls(o, ca, NULL, key, true, false), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_options_set_tls(o, ca, cert, key, false, true), ZK_RESULT_INVALID_ARGUMENT);
    CHECK_RC(zk_options_set_tls(o, "/\xff", NULL, NULL, true, false), ZK_RESULT_INVALID_UTF8);
    CHECK_RC(zk_options_set_tls(NULL, ca, cert, key, true, false), ZK_RESULT_NULL_ARGUMENT);

    /* Checked when the client is made: files that cannot be read or are not PEM. */
    CHECK_OK(zk_options_set_tls(o, "/no/such/ca.pem", NULL, NULL, true, false));
    CHECK_RC(zk_client_new(o, &c), ZK_RESULT_TLS);
    CHECK(c == NULL);
    CHECK_OK(zk_options_set_tls(o, ca, "/no/such/cert.pem", key, true, false));
    CHECK_RC(zk_client_new(o, &c), ZK_RESULT_TLS);
    /* A key where the CA should be: no certificate in it. */
    CHECK_OK(zk_options_set_tls(o, key, NULL, NULL, true, false));
    CHECK_RC(zk_client_new(o, &c), ZK_RESULT_TLS);
    /* A certificate where the key should be. */
    CHECK_OK(zk_options_set_tls(o, ca, cert, cert, true, false));
    CHECK_RC(zk_client_new(o, &c), ZK_RESULT_TLS);
    CHECK(c == NULL);
    /* And a good set is accepted. */
    CHECK_OK(zk_options_set_tls(o, ca, cert, key, true, true));
    CHECK_OK(zk_client_new(o, &c));
    zk_client_free(c);
    zk_options_free(o);
}

ZKT_SUITE(tls) = {
    ZKT_CASE(operations_work_over_tls),
    ZKT_CASE(without_verification_any_server_is_accepted),
    ZKT_CASE(refused_tls_connections_fail_the_start_and_say_why),
    ZKT_CASE(unusable_tls_settings_are_refused),
    ZKT_END,
};
