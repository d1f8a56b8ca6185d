/* Persistent watches from C: zk_add_watch sees every event until zk_remove_watches, the
 * callback runs once more with the removal event, and the finalizer runs exactly once
 * (at removal, at stop, or before a failing call returns). */
#include "zktest.h"

static bool finals_at_least(struct zkt_rec *r, void *arg)
{
    return r->finals >= *(int *)arg;
}

static void persistent_watch_sees_every_change_until_removed(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    struct zkt_rec r;
    zk_watcher w;
    int one = 1;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_rec_init(&r);
    zkt_path(p, "%s/n", root);
    CHECK_OK(zkt_create(c, p, ""));
    w = zkt_watcher(&r);
    CHECK_OK(zk_add_watch(c, p, false, &w, 0));
    CHECK_OK(zkt_set_str(c, p, "1"));
    CHECK_OK(zkt_set_str(c, p, "2"));
    CHECK(zkt_wait_events(&r, 2, 5000));
    CHECK_EQ(zk_watch_count(c), 1);
    /* Its own type: ZooKeeper 3.9 removes that mode alone; 3.8, where the path holds only
     * this watch, is asked for ANY. */
    CHECK_RC(zk_remove_watches(c, p, ZK_WATCHER_TYPE_PERSISTENT_RECURSIVE, false, 0),
             ZK_RESULT_NO_WATCHER);
    CHECK_OK(zk_remove_watches(c, p, ZK_WATCHER_TYPE_PERSISTENT, false, 0));
    CHECK(zkt_wait_events(&r, 3, 5000));
    CHECK(zkt_rec_wait(&r, finals_at_least, &one, 5000));
    pthread_mutex_lock(&r.mu);
    CHECK_EQ(r.events[0].type, ZK_EVENT_TYPE_CHANGED);
    CHECK_STR(r.events[0].path, p);
    CHECK_EQ(r.events[1].type, ZK_EVENT_TYPE_CHANGED);
    CHECK_EQ(r.events[2].type, ZK_EVENT_TYPE_PERSISTENT_WATCH_REMOVED);
    CHECK_EQ(r.finals, 1);
    pthread_mutex_unlock(&r.mu);
    CHECK_EQ(zk_watch_count(c), 0);
    CHECK_RC(zk_remove_watches(c, p, ZK_WATCHER_TYPE_ANY, false, 0), ZK_RESULT_NO_WATCHER);
    CHECK_RC(zk_remove_watches(c, p, 6, false, 0), ZK_RESULT_INVALID_ARGUMENT);
    zkt_teardown(c, root);
    zkt_rec_destroy(&r);
}

static void recursive_watch_sees_descendants_and_ends_at_stop(void)
{
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    struct zkt_rec r;
    zk_watcher w;
    int one = 1;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_rec_init(&r);
    w = zkt_watcher(&r);
    CHECK_OK(zk_add_watch(c, root, true, &w, 0));
    CHECK_OK(zkt_create(c, zkt_path(p, "%s/a", root), ""));
    CHECK_OK(zkt_create(c, zkt_path(p, "%s/a/b", root), ""));
    CHECK(zkt_wait_events(&r, 2, 5000));
    pthread_mutex_lock(&r.mu);
    CHECK_EQ(r.events[1].type, ZK_EVENT_TYPE_CREATED);
    CHECK_STR(r.events[1].path, p);
    pthread_mutex_unlock(&r.mu);
    CHECK_OK(zk_stop(c));
    CHECK(zkt_wait_events(&r, 3, 5000));
    CHECK(zkt_rec_wait(&r, finals_at_least, &one, 5000));
    pthread_mutex_lock(&r.mu);
    CHECK_EQ(r.events[2].type, ZK_EVENT_TYPE_NONE);
    CHECK_EQ(r.events[2].state, ZK_KEEPER_STATE_CLOSED);
    CHECK_EQ(r.finals, 1);
    pthread_mutex_unlock(&r.mu);
    CHECK_OK(zk_start(c, 10000));
    zkt_teardown(c, root);
    zkt_rec_destroy(&r);
}

static void a_failing_add_watch_finalizes_before_returning(void)
{
    struct zkt_rec r;
    zk_watcher w;
    zk_client *c = zkt_connect();
    REQUIRE(c != NULL);
    zkt_rec_init(&r);
    w = zkt_watcher(&r);
    CHECK_RC(zk_add_watch(c, "no-slash", true, &w, 0), ZK_RESULT_INVALID_PATH);
    CHECK_EQ(zkt_rec_finals(&r), 1);
    CHECK_RC(zk_add_watch(c, "/", false, NULL, 0), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_add_watch(NULL, "/", false, &w, 0), ZK_RESULT_NULL_ARGUMENT);
    CHECK_EQ(zkt_rec_finals(&r), 2);
    CHECK_EQ(zkt_rec_events(&r), 0);
    zk_client_free(c);
    zkt_rec_destroy(&r);
}

static void a_one_shot_watch_beside_a_persistent_one_leaves_it_in_place(void)
{
    /* 3.9 keeps watch modes apart; 3.8 keeps one per path, and the library adds the
     * persistent mode back after the one-shot watch is set: the same on both. */
    char root[ZKT_PATH_MAX], p[ZKT_PATH_MAX];
    struct zkt_rec pr, once;
    zk_watcher pw, ow;
    struct zk_buffer data = {0};
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_rec_init(&pr);
    zkt_rec_init(&once);
    zkt_path(p, "%s/mix", root);
    CHECK_OK(zkt_create(c, p, ""));
    pw = zkt_watcher(&pr);
    ow = zkt_watcher(&once);
    CHECK_OK(zk_add_watch(c, p, false, &pw, 0));
    CHECK_OK(zk_get(c, p, &ow, 0, &data, NULL));
    zk_buffer_free(&data);
    CHECK_OK(zkt_set_str(c, p, "1"));
    CHECK(zkt_wait_events(&once, 1, 5000));
    CHECK(zkt_wait_events(&pr, 1, 5000));
    CHECK_OK(zkt_set_str(c, p, "2"));
    CHECK(zkt_wait_events(&pr, 2, 5000));
    pthread_mutex_lock(&pr.mu);
    CHECK_EQ(pr.events[1].type, ZK_EVENT_TYPE_CHANGED);
    pthread_mutex_unlock(&pr.mu);
    CHECK_EQ(zkt_rec_events(&once), 1);
    CHECK_OK(zk_remove_watches(c, p, ZK_WATCHER_TYPE_ANY, false, 0));
    zkt_teardown(c, root);
    zkt_rec_destroy(&pr);
    zkt_rec_destroy(&once);
}

ZKT_SUITE(persistent) = {
    ZKT_CASE(persistent_watch_sees_every_change_until_removed),
    ZKT_CASE(recursive_watch_sees_descendants_and_ends_at_stop),
    ZKT_CASE(a_failing_add_watch_finalizes_before_returning),
    ZKT_CASE(a_one_shot_watch_beside_a_persistent_one_leaves_it_in_place),
    ZKT_END,
};
