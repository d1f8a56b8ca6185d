/* The tree cache from C: the initial load and INITIALIZED, node events with their data
 * copied out of the callback, reads from memory, a connection cut with changes meanwhile
 * (exactly those reported after it), in both watch modes; bad input gets a result code. */
#include "zktest.h"

#include <stdlib.h>
#include <string.h>

#define WAIT_MS zkt_wait_ms(10000)
#define MAX_TREE_EVENTS 64

struct tree_ev {
    zk_tree_event_kind kind;
    char path[ZKT_PATH_MAX];
    char data[32];
};

struct tree_rec {
    pthread_mutex_t mu;
    struct tree_ev evs[MAX_TREE_EVENTS];
    int n;
    int finals;
};

static void on_tree_event(void *ud, const zk_tree_event *e)
{
    struct tree_rec *r = ud;
    pthread_mutex_lock(&r->mu);
    if (r->n < MAX_TREE_EVENTS) {
        struct tree_ev *t = &r->evs[r->n++];
        t->kind = e->kind;
        snprintf(t->path, sizeof t->path, "%s", e->path);
        size_t len = e->data_len < sizeof t->data - 1 ? e->data_len : sizeof t->data - 1;
        if (e->data != NULL)
            memcpy(t->data, e->data, len);
        t->data[e->data != NULL ? len : 0] = 0;
        if (e->kind <= ZK_TREE_EVENT_KIND_NODE_REMOVED && e->stat == NULL)
            t->kind = (zk_tree_event_kind)-1; /* a node event without its Stat: wrong */
    }
    pthread_mutex_unlock(&r->mu);
}

static void on_tree_final(void *ud)
{
    struct tree_rec *r = ud;
    pthread_mutex_lock(&r->mu);
    r->finals++;
    pthread_mutex_unlock(&r->mu);
}

static int rec_count(struct tree_rec *r)
{
    pthread_mutex_lock(&r->mu);
    int n = r->n;
    pthread_mutex_unlock(&r->mu);
    return n;
}

/* Waits until `n` events were recorded; true if they were within the wait. */
static bool wait_count(struct tree_rec *r, int n)
{
    int64_t end = zkt_now_ms() + WAIT_MS;
    while (rec_count(r) < n) {
        if (zkt_now_ms() > end)
            return false;
        zkt_sleep_ms(10);
    }
    return true;
}

/* The index of the event of `kind` on `path` at or after `from`, or -1. */
static int find(struct tree_rec *r, int from, zk_tree_event_kind kind, const char *path)
{
    pthread_mutex_lock(&r->mu);
    int at = -1;
    for (int i = from; i < r->n && at < 0; i++)
        if (r->evs[i].kind == kind && strcmp(r->evs[i].path, path) == 0)
            at = i;
    pthread_mutex_unlock(&r->mu);
    return at;
}

static void load_events_and_reads(bool one_shot)
{
    char root[ZKT_PATH_MAX], a[ZKT_PATH_MAX], b[ZKT_PATH_MAX];
    struct tree_rec r = {.mu = PTHREAD_MUTEX_INITIALIZER};
    zk_tree_cache *t = NULL;
    zk_buffer data = {0};
    zk_stat st = {0};
    zk_string_list *kids = NULL;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    CHECK_OK(zkt_create(c, zkt_path(a, "%s/a", root), "A"));
    REQUIRE_OK(zk_tree_cache_new(c, root, one_shot, on_tree_event, &r, on_tree_final, &t));
    CHECK_EQ(zk_tree_cache_len(t), 0u);
    CHECK_OK(zk_tree_cache_start(t));
    CHECK(wait_count(&r, 3));
    CHECK_EQ(find(&r, 0, ZK_TREE_EVENT_KIND_INITIALIZED, ""), 2);
    CHECK(find(&r, 0, ZK_TREE_EVENT_KIND_NODE_ADDED, root) >= 0);
    CHECK(find(&r, 0, ZK_TREE_EVENT_KIND_NODE_ADDED, a) >= 0);
    CHECK_STR(r.evs[find(&r, 0, ZK_TREE_EVENT_KIND_NODE_ADDED, a)].data, "A");
    CHECK(zk_tree_cache_initialized(t));
    CHECK_EQ(zk_tree_cache_persistent_watch(t), !one_shot);

    /* Each change is one event. */
    CHECK_OK(zkt_set_str(c, a, "A2"));
    CHECK(wait_count(&r, 4));
    CHECK_EQ(find(&r, 3, ZK_TREE_EVENT_KIND_NODE_UPDATED, a), 3);
    CHECK_STR(r.evs[3].data, "A2");
    CHECK_OK(zkt_create(c, zkt_path(b, "%s/b", root), "B"));
    CHECK(wait_count(&r, 5));
    CHECK_EQ(find(&r, 4, ZK_TREE_EVENT_KIND_NODE_ADDED, b), 4);

    /* Reads copy out of the cache. */
    CHECK_OK(zk_tree_cache_get(t, a, &data, &st));
    CHECK(data.len == 2 && memcmp(data.data, "A2", 2) == 0);
    CHECK_EQ(st.version, 1);
    zk_buffer_free(&data);
    CHECK_OK(zk_tree_cache_children(t, root, &kids));
    CHECK_EQ(zk_string_list_len(kids), 2u);
    CHECK_STR(zk_string_list_get(kids, 0), "a");
    CHECK_STR(zk_string_list_get(kids, 1), "b");
    zk_string_list_free(kids);
    CHECK_OK(zk_tree_cache_paths(t, &kids));
    CHECK_EQ(zk_string_list_len(kids), 3u);
    CHECK_STR(zk_string_list_get(kids, 0), root);
    zk_string_list_free(kids);
    CHECK_RC(zk_tree_cache_get(t, "/nowhere", &data, NULL), ZK_RESULT_NO_NODE);
    CHECK_RC(zk_tree_cache_children(t, "/nowhere", &kids), ZK_RESULT_NO_NODE);

    CHECK_OK(zk_delete(c, b, -1, false, 0));
    CHECK(wait_count(&r, 6));
    CHECK_EQ(find(&r, 5, ZK_TREE_EVENT_KIND_NODE_REMOVED, b), 5);
    CHECK_STR(r.evs[5].data, "B");

    /* Closed: nothing more, the content stays; freeing runs the finalizer. */
    CHECK_OK(zk_tree_cache_close(t));
    CHECK_OK(zkt_set_str(c, a, "A3"));
    zkt_sleep_ms(300);
    CHECK_EQ(rec_count(&r), 6);
    CHECK_EQ(zk_tree_cache_len(t), 2u);
    CHECK_RC(zk_tree_cache_start(t), ZK_RESULT_CLOSED);
    zk_tree_cache_free(t);
    CHECK_EQ(r.finals, 1);
    zkt_teardown(c, root);
}

static void a_cache_loads_and_follows_a_tree(void)
{
    load_events_and_reads(false);
}

static void a_cache_on_one_shot_watches_does_the_same(void)
{
    load_events_and_reads(true);
}

static void after_a_cut(bool one_shot)
{
    char root[ZKT_PATH_MAX], keep[ZKT_PATH_MAX], gone[ZKT_PATH_MAX], added[ZKT_PATH_MAX];
    char via[64];
    struct tree_rec r = {.mu = PTHREAD_MUTEX_INITIALIZER};
    zk_tree_cache *t = NULL;
    int port = 0;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    struct zkt_proxy *proxy = zkt_proxy_start(&port);
    REQUIRE(proxy != NULL);
    snprintf(via, sizeof via, "127.0.0.1:%d", port);
    zk_options *o = zk_options_new();
    CHECK_OK(zk_options_set_hosts(o, via));
    CHECK_OK(zk_options_set_session_timeout_ms(o, 10000));
    zk_client *away = zkt_start(o);
    zk_options_free(o);
    REQUIRE(away != NULL);
    CHECK_OK(zkt_create(c, zkt_path(keep, "%s/keep", root), "k"));
    CHECK_OK(zkt_create(c, zkt_path(gone, "%s/gone", root), "g"));
    REQUIRE_OK(zk_tree_cache_new(away, root, one_shot, on_tree_event, &r, NULL, &t));
    CHECK_OK(zk_tree_cache_start(t));
    CHECK(wait_count(&r, 4));
    CHECK_EQ(find(&r, 0, ZK_TREE_EVENT_KIND_INITIALIZED, ""), 3);

    zkt_proxy_cut(proxy, true);
    CHECK(wait_count(&r, 5));
    CHECK_EQ(find(&r, 4, ZK_TREE_EVENT_KIND_SUSPENDED, ""), 4);
    CHECK_OK(zkt_set_str(c, keep, "k2"));
    CHECK_OK(zk_delete(c, gone, -1, false, 0));
    CHECK_OK(zkt_create(c, zkt_path(added, "%s/added", root), "n"));
    zkt_proxy_cut(proxy, false);
    CHECK(wait_count(&r, 9));
    CHECK_EQ(find(&r, 5, ZK_TREE_EVENT_KIND_RECONNECTED, ""), 5);
    CHECK(find(&r, 6, ZK_TREE_EVENT_KIND_NODE_UPDATED, keep) > 0);
    CHECK(find(&r, 6, ZK_TREE_EVENT_KIND_NODE_REMOVED, gone) > 0);
    CHECK(find(&r, 6, ZK_TREE_EVENT_KIND_NODE_ADDED, added) > 0);
    zkt_sleep_ms(300);
    CHECK_EQ(rec_count(&r), 9); /* exactly those */
    zk_tree_cache_free(t);
    zk_client_free(away);
    zkt_proxy_free(proxy);
    zkt_teardown(c, root);
}

static void after_a_cut_exactly_the_changes_meanwhile_are_reported(void)
{
    after_a_cut(false);
}

static void after_a_cut_on_one_shot_watches_the_same(void)
{
    after_a_cut(true);
}

static void tree_caches_refuse_bad_input(void)
{
    zk_tree_cache *t = NULL;
    zk_buffer data = {0};
    zk_string_list *kids = NULL;
    zk_client *c = zkt_connect();
    REQUIRE(c != NULL);
    CHECK_RC(zk_tree_cache_new(NULL, "/t", false, NULL, NULL, NULL, &t), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_tree_cache_new(c, NULL, false, NULL, NULL, NULL, &t), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_tree_cache_new(c, "/t", false, NULL, NULL, NULL, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_tree_cache_new(c, "t", false, NULL, NULL, NULL, &t), ZK_RESULT_INVALID_PATH);
    CHECK_RC(zk_tree_cache_new(c, "/t/", false, NULL, NULL, NULL, &t), ZK_RESULT_INVALID_PATH);
    CHECK(t == NULL);
    REQUIRE_OK(zk_tree_cache_new(c, "/t", false, NULL, NULL, NULL, &t));
    CHECK_RC(zk_tree_cache_get(t, NULL, &data, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_tree_cache_get(t, "/t", NULL, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_tree_cache_children(t, "/t", NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_tree_cache_paths(t, NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_tree_cache_children(t, "/t", &kids), ZK_RESULT_NO_NODE);
    CHECK_RC(zk_tree_cache_start(NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_tree_cache_close(NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK_EQ(zk_tree_cache_len(NULL), 0u);
    CHECK(!zk_tree_cache_initialized(NULL));
    CHECK(!zk_tree_cache_persistent_watch(NULL));
    zk_tree_cache_free(NULL);
    zk_tree_cache_free(t);
    zk_client_free(c);
}

ZKT_SUITE(recipe_tree_cache) = {
    ZKT_CASE(a_cache_loads_and_follows_a_tree),
    ZKT_CASE(a_cache_on_one_shot_watches_does_the_same),
    ZKT_CASE(after_a_cut_exactly_the_changes_meanwhile_are_reported),
    ZKT_CASE(after_a_cut_on_one_shot_watches_the_same),
    ZKT_CASE(tree_caches_refuse_bad_input),
    ZKT_END,
};
