/* DataWatch and ChildrenWatch from C: every change reported in order with its event type,
 * deletion and re-creation, the callback calling the library (a blocking read, freeing
 * its own watch), stop and the finalizer, the end of a children watch with its node, a
 * freed client, and bad input. */
#include "zktest.h"

#include <stdlib.h>
#include <string.h>

#define WAIT_MS 10000

/* Records one callback: its value as text and the event type, in `r`'s event list. */
static void record(struct zkt_rec *r, zk_event_type type, const char *text)
{
    pthread_mutex_lock(&r->mu);
    if (r->n_events < ZKT_MAX_EVENTS) {
        struct zkt_event *e = &r->events[r->n_events++];
        e->type = type;
        snprintf(e->path, sizeof e->path, "%s", text);
    }
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* The text of the i-th callback, "?" if there was none within the wait. */
static const char *nth(struct zkt_rec *r, int i)
{
    if (!zkt_wait_events(r, i + 1, WAIT_MS))
        return "?";
    return r->events[i].path;
}

/* Records the data ("-" for no node). */
static bool on_data(void *ud, const uint8_t *data, size_t len, const zk_stat *stat,
                    zk_event_type event)
{
    char text[ZKT_PATH_MAX] = "-";
    if (stat != NULL) {
        if (len >= sizeof text)
            len = sizeof text - 1;
        memcpy(text, data, len);
        text[len] = 0;
    } else if (data != NULL || len != 0) {
        snprintf(text, sizeof text, "no stat but data");
    }
    record(ud, event, text);
    return true;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The children, sorted and joined with ','. */
static void join_sorted(const char *const *children, size_t count, char *out, size_t cap)
{
    const char **v = calloc(count + 1, sizeof *v);
    out[0] = 0;
    if (v == NULL)
        return;
    memcpy(v, children, count * sizeof *v);
    qsort(v, count, sizeof *v, by_name);
    for (size_t i = 0; i < count; i++) {
        strncat(out, v[i], cap - strlen(out) - 1);
        if (i + 1 < count)
            strncat(out, ",", cap - strlen(out) - 1);
    }
    free(v);
}

static bool on_children(void *ud, const char *const *children, size_t count,
                        zk_event_type event)
{
    char text[ZKT_PATH_MAX];
    join_sorted(children, count, text, sizeof text);
    record(ud, event, text);
    return true;
}

static void a_data_watch_reports_every_change_in_order(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX];
    struct zkt_rec r;
    zk_data_watch *w = NULL;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_rec_init(&r);
    zkt_path(path, "%s/node", root);
    REQUIRE_OK(zk_data_watch_new(c, path, on_data, &r, zkt_on_final, &w));
    CHECK(zk_data_watch_is_running(w));
    CHECK_STR(nth(&r, 0), "-");
    CHECK_EQ(r.events[0].type, ZK_EVENT_TYPE_NONE);
    CHECK_OK(zkt_create(c, path, "a"));
    CHECK_STR(nth(&r, 1), "a");
    CHECK_EQ(r.events[1].type, ZK_EVENT_TYPE_CREATED);
    CHECK_OK(zkt_set_str(c, path, "b"));
    CHECK_STR(nth(&r, 2), "b");
    CHECK_EQ(r.events[2].type, ZK_EVENT_TYPE_CHANGED);
    CHECK_OK(zk_delete(c, path, -1, false, 0));
    CHECK_STR(nth(&r, 3), "-");
    CHECK_EQ(r.events[3].type, ZK_EVENT_TYPE_DELETED);
    CHECK_OK(zkt_create(c, path, "c"));
    CHECK_STR(nth(&r, 4), "c");
    /* Stopped: no call after, the finalizer has run once, the result is OK. */
    CHECK_OK(zk_data_watch_stop(w));
    CHECK_EQ(zkt_rec_finals(&r), 1);
    CHECK(!zk_data_watch_is_running(w));
    CHECK_OK(zk_data_watch_get_failure(w));
    CHECK_OK(zkt_set_str(c, path, "d"));
    zkt_sleep_ms(300);
    CHECK_EQ(zkt_rec_events(&r), 5);
    zk_data_watch_free(w);
    CHECK_EQ(zkt_rec_finals(&r), 1);
    zkt_rec_destroy(&r);
    zkt_teardown(c, root);
}

/* A callback that reads the node again with a blocking call and stops after three. */
struct reader {
    struct zkt_rec rec; /* first: zkt_on_final takes the struct as a zkt_rec */
    zk_client *c;
    const char *path;
    int calls;
};

static bool read_back(void *ud, const uint8_t *data, size_t len, const zk_stat *stat,
                      zk_event_type event)
{
    struct reader *rd = ud;
    struct zk_buffer now = {0};
    zk_stat s;
    (void)event;
    /* A blocking call from the callback: it reads at least the version we were told of. */
    if (stat != NULL && zk_get(rd->c, rd->path, NULL, 0, &now, &s) == ZK_RESULT_OK &&
        s.mzxid >= stat->mzxid && (s.mzxid != stat->mzxid ||
                                   (now.len == len && memcmp(now.data, data, len) == 0)))
        record(&rd->rec, event, "read");
    else
        record(&rd->rec, event, "mismatch");
    zk_buffer_free(&now);
    return ++rd->calls < 3;
}

static void the_callback_may_call_the_library_and_stop_by_returning_false(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX];
    struct reader rd = {0};
    zk_data_watch *w = NULL;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_rec_init(&rd.rec);
    zkt_path(path, "%s/node", root);
    CHECK_OK(zkt_create(c, path, "0"));
    rd.c = c;
    rd.path = path;
    REQUIRE_OK(zk_data_watch_new(c, path, read_back, &rd, zkt_on_final, &w));
    CHECK_STR(nth(&rd.rec, 0), "read");
    CHECK_OK(zkt_set_str(c, path, "1"));
    CHECK_STR(nth(&rd.rec, 1), "read");
    CHECK_OK(zkt_set_str(c, path, "2"));
    CHECK_STR(nth(&rd.rec, 2), "read");
    /* The third call returned false: the watch ended, its finalizer ran. */
    CHECK(zkt_wait_finals(&rd.rec, 1, WAIT_MS));
    CHECK(!zk_data_watch_is_running(w));
    CHECK_OK(zk_data_watch_get_failure(w));
    CHECK_OK(zkt_set_str(c, path, "3"));
    zkt_sleep_ms(300);
    CHECK_EQ(zkt_rec_events(&rd.rec), 3);
    zk_data_watch_free(w);
    zkt_rec_destroy(&rd.rec);
    zkt_teardown(c, root);
}

/* A children callback that frees its own watch once it sees two children. */
struct self_freeing {
    struct zkt_rec rec; /* first, as in struct reader */
    zk_children_watch *w;
    pthread_mutex_t mu;
};

static bool free_at_two(void *ud, const char *const *children, size_t count, zk_event_type event)
{
    struct self_freeing *sf = ud;
    on_children(&sf->rec, children, count, event);
    if (count == 2) {
        pthread_mutex_lock(&sf->mu);
        zk_children_watch_free(sf->w);
        sf->w = NULL;
        pthread_mutex_unlock(&sf->mu);
    }
    return true;
}

static void a_children_watch_reports_changes_and_can_be_freed_from_its_callback(void)
{
    char root[ZKT_PATH_MAX], path[ZKT_PATH_MAX], kid[ZKT_PATH_MAX];
    struct self_freeing sf;
    zk_children_watch *w = NULL;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_rec_init(&sf.rec);
    pthread_mutex_init(&sf.mu, NULL);
    zkt_path(path, "%s/parent", root);
    CHECK_OK(zkt_create(c, path, ""));
    pthread_mutex_lock(&sf.mu);
    REQUIRE_OK(zk_children_watch_new(c, path, free_at_two, &sf, zkt_on_final, &sf.w));
    pthread_mutex_unlock(&sf.mu);
    CHECK_STR(nth(&sf.rec, 0), "");
    CHECK_OK(zkt_create(c, zkt_path(kid, "%s/x", path), ""));
    CHECK_STR(nth(&sf.rec, 1), "x");
    CHECK_EQ(sf.rec.events[1].type, ZK_EVENT_TYPE_CHILD);
    CHECK_OK(zkt_create(c, zkt_path(kid, "%s/y", path), ""));
    CHECK_STR(nth(&sf.rec, 2), "x,y");
    /* Freed from its callback: the finalizer runs once that call returned. */
    CHECK(zkt_wait_finals(&sf.rec, 1, WAIT_MS));
    CHECK_OK(zkt_create(c, zkt_path(kid, "%s/z", path), ""));
    zkt_sleep_ms(300);
    CHECK_EQ(zkt_rec_events(&sf.rec), 3);

    /* A second watch ends when its node is deleted, as kazoo's. */
    {
        struct zkt_rec r;
        zkt_rec_init(&r);
        REQUIRE_OK(zk_children_watch_new(c, path, on_children, &r, zkt_on_final, &w));
        CHECK_STR(nth(&r, 0), "x,y,z");
        CHECK_OK(zk_delete(c, zkt_path(kid, "%s/x", path), -1, false, 0));
        CHECK_OK(zk_delete(c, zkt_path(kid, "%s/y", path), -1, false, 0));
        CHECK_OK(zk_delete(c, zkt_path(kid, "%s/z", path), -1, false, 0));
        CHECK(zkt_wait_events(&r, 2, WAIT_MS));
        CHECK_OK(zk_delete(c, path, -1, false, 0));
        CHECK(zkt_wait_finals(&r, 1, WAIT_MS));
        CHECK(!zk_children_watch_is_running(w));
        CHECK_RC(zk_children_watch_get_failure(w), ZK_RESULT_NO_NODE);
        zk_children_watch_free(w);
        /* The node must exist. */
        w = NULL;
        CHECK_RC(zk_children_watch_new(c, path, on_children, &r, zkt_on_final, &w),
                 ZK_RESULT_NO_NODE);
        CHECK(w == NULL);
        CHECK_EQ(zkt_rec_finals(&r), 2);
        zkt_rec_destroy(&r);
    }
    pthread_mutex_destroy(&sf.mu);
    zkt_rec_destroy(&sf.rec);
    zkt_teardown(c, root);
}

static void a_watch_outlives_its_client_safely(void)
{
    char path[ZKT_PATH_MAX];
    struct zkt_rec r;
    zk_data_watch *w = NULL;
    zk_client *c = zkt_connect();
    REQUIRE(c != NULL);
    zkt_rec_init(&r);
    zkt_path(path, "/watchers-freed-client-%lld", (long long)zkt_wall_ms());
    REQUIRE_OK(zk_data_watch_new(c, path, on_data, &r, zkt_on_final, &w));
    CHECK_STR(nth(&r, 0), "-");
    zk_client_free(c);
    CHECK(zkt_wait_finals(&r, 1, WAIT_MS));
    CHECK(!zk_data_watch_is_running(w));
    CHECK_RC(zk_data_watch_get_failure(w), ZK_RESULT_CLOSED);
    zk_data_watch_free(w);
    zkt_rec_destroy(&r);
}

/* A callback that frees the watch's client once the node exists. */
struct client_freer {
    struct zkt_rec rec; /* first, as in struct reader */
    zk_client *c;
};

static bool free_client(void *ud, const uint8_t *data, size_t len, const zk_stat *stat,
                        zk_event_type event)
{
    struct client_freer *f = ud;
    on_data(&f->rec, data, len, stat, event);
    if (stat != NULL && f->c != NULL) {
        zk_client_free(f->c);
        f->c = NULL;
    }
    return true;
}

static void the_callback_may_free_the_client(void)
{
    char path[ZKT_PATH_MAX];
    struct client_freer f;
    zk_data_watch *w = NULL;
    zk_client *writer = zkt_connect();
    REQUIRE(writer != NULL);
    zkt_rec_init(&f.rec);
    f.c = zkt_connect();
    REQUIRE(f.c != NULL);
    zkt_path(path, "/watchers-free-client-%lld", (long long)zkt_wall_ms());
    REQUIRE_OK(zk_data_watch_new(f.c, path, free_client, &f, zkt_on_final, &w));
    CHECK_STR(nth(&f.rec, 0), "-");
    CHECK_OK(zkt_create(writer, path, "x"));
    CHECK_STR(nth(&f.rec, 1), "x");
    CHECK(zkt_wait_finals(&f.rec, 1, WAIT_MS));
    CHECK_RC(zk_data_watch_get_failure(w), ZK_RESULT_CLOSED);
    zk_data_watch_free(w);
    CHECK_OK(zk_delete(writer, path, -1, false, 0));
    zk_client_free(writer);
    zkt_rec_destroy(&f.rec);
}

static void watchers_refuse_bad_input(void)
{
    struct zkt_rec r;
    zk_data_watch *dw = NULL;
    zk_children_watch *cw = NULL;
    zk_client *c = zkt_connect();
    REQUIRE(c != NULL);
    zkt_rec_init(&r);
    CHECK_RC(zk_data_watch_new(c, "/x", NULL, &r, zkt_on_final, &dw), ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_data_watch_new(c, "x", on_data, &r, zkt_on_final, &dw), ZK_RESULT_INVALID_PATH);
    CHECK_RC(zk_children_watch_new(NULL, "/x", on_children, &r, zkt_on_final, &cw),
             ZK_RESULT_NULL_ARGUMENT);
    CHECK_RC(zk_children_watch_new(c, "/x", on_children, &r, zkt_on_final, NULL),
             ZK_RESULT_NULL_ARGUMENT);
    /* The finalizer runs for every failed call, and the callback never did. */
    CHECK_EQ(zkt_rec_finals(&r), 4);
    CHECK_EQ(zkt_rec_events(&r), 0);
    CHECK(dw == NULL && cw == NULL);
    CHECK_RC(zk_data_watch_stop(NULL), ZK_RESULT_NULL_ARGUMENT);
    CHECK(!zk_children_watch_is_running(NULL));
    zk_data_watch_free(NULL);
    zk_children_watch_free(NULL);
    zkt_rec_destroy(&r);
    zk_client_free(c);
}

ZKT_SUITE(recipe_watchers) = {
    ZKT_CASE(a_data_watch_reports_every_change_in_order),
    ZKT_CASE(the_callback_may_call_the_library_and_stop_by_returning_false),
    ZKT_CASE(a_children_watch_reports_changes_and_can_be_freed_from_its_callback),
    ZKT_CASE(a_watch_outlives_its_client_safely),
    ZKT_CASE(the_callback_may_free_the_client),
    ZKT_CASE(watchers_refuse_bad_input),
    ZKT_END,
};
