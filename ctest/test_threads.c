/* One client shared by many threads: calls are pipelined on one connection and each
 * thread gets its own replies. 16 threads x ZKTEST_THREAD_OPS (default 1000) set+get
 * rounds, each thread on its own node, reading back exactly what it wrote. */
#include "zktest.h"

#include <dirent.h>
#include <semaphore.h>
#include <stdlib.h>

#define THREADS 16

struct worker {
    pthread_t tid;
    zk_client *c;
    char path[ZKT_PATH_MAX];
    int index;
    long ops;
    long done;
    int errors;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    char want[64];
    long i;
    for (i = 0; i < w->ops; i++) {
        zk_buffer b = { NULL, 0 };
        zk_stat st;
        zk_result rc;
        int n = snprintf(want, sizeof want, "thread %d value %ld", w->index, i);
        rc = zk_set(w->c, w->path, (const uint8_t *)want, (size_t)n, (int32_t)i, 0, &st);
        if (rc != ZK_RESULT_OK) {
            zkt_fail(__FILE__, __LINE__, "thread %d op %ld: set: %s", w->index, i,
                     zk_result_message(rc));
            w->errors++;
            break;
        }
        rc = zk_get(w->c, w->path, NULL, 0, &b, &st);
        if (rc != ZK_RESULT_OK) {
            zkt_fail(__FILE__, __LINE__, "thread %d op %ld: get: %s", w->index, i,
                     zk_result_message(rc));
            w->errors++;
            break;
        }
        if (b.len != (size_t)n || memcmp(b.data, want, (size_t)n) != 0 || st.version != i + 1) {
            zkt_fail(__FILE__, __LINE__, "thread %d op %ld: read back \"%.*s\" version %d",
                     w->index, i, (int)b.len, (const char *)b.data, st.version);
            w->errors++;
            zk_buffer_free(&b);
            break;
        }
        zk_buffer_free(&b);
        w->done++;
    }
    return NULL;
}

static void sixteen_threads_share_one_client(void)
{
    char root[ZKT_PATH_MAX];
    static struct worker w[THREADS];
    long ops = zkt_env_long("ZKTEST_THREAD_OPS", 1000);
    int i, started = 0;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);

    for (i = 0; i < THREADS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].c = c;
        w[i].index = i;
        w[i].ops = ops;
        zkt_path(w[i].path, "%s/t%02d", root, i);
        CHECK_OK(zkt_create(c, w[i].path, NULL));
    }
    for (i = 0; i < THREADS; i++) {
        if (pthread_create(&w[i].tid, NULL, work, &w[i]) != 0) {
            zkt_fail(__FILE__, __LINE__, "pthread_create %d", i);
            break;
        }
        started++;
    }
    for (i = 0; i < started; i++)
        pthread_join(w[i].tid, NULL);
    for (i = 0; i < started; i++) {
        CHECK_EQ(w[i].errors, 0);
        CHECK_EQ(w[i].done, ops);
    }
    CHECK_EQ(started, THREADS);
    CHECK(zk_is_connected(c));
    zkt_teardown(c, root);
}

/* Watches set and fired from many threads at once still end exactly once each. */
static void watches_from_many_threads_each_end_once(void)
{
    char root[ZKT_PATH_MAX];
    static struct worker w[THREADS];
    static struct zkt_rec r;
    int i;
    zk_watcher wt;
    zk_client *c = zkt_setup(root);
    REQUIRE(c != NULL);
    zkt_rec_init(&r);
    wt = zkt_watcher(&r);

    for (i = 0; i < THREADS; i++) {
        zkt_path(w[i].path, "%s/w%02d", root, i);
        CHECK_OK(zkt_create(c, w[i].path, NULL));
        CHECK_OK(zk_exists(c, w[i].path, &wt, 0, NULL));
        CHECK_OK(zk_exists(c, w[i].path, &wt, 0, NULL));
    }
    CHECK_EQ(zk_watch_count(c), 2 * THREADS);
    /* The sets run on the worker threads (one round each). */
    for (i = 0; i < THREADS; i++) {
        w[i].c = c;
        w[i].index = i;
        w[i].ops = 1;
        w[i].done = 0;
        w[i].errors = 0;
        CHECK(pthread_create(&w[i].tid, NULL, work, &w[i]) == 0);
    }
    for (i = 0; i < THREADS; i++)
        pthread_join(w[i].tid, NULL);
    CHECK(zkt_wait_finals(&r, 2 * THREADS, 5000));
    CHECK_EQ(zkt_rec_events(&r), 2 * THREADS);
    zkt_teardown(c, root);
    CHECK_EQ(zkt_rec_finals(&r), 2 * THREADS);
    zkt_rec_destroy(&r);
}

/* How many threads of this process are named `name`. */
static int threads_named(const char *name)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        char path[300], comm[64] = "";
        FILE *f;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        f = fopen(path, "r");
        if (f == NULL)
            continue;
        if (fgets(comm, sizeof comm, f) != NULL)
            comm[strcspn(comm, "\n")] = '\0';
        fclose(f);
        n += strcmp(comm, name) == 0;
    }
    closedir(d);
    return n;
}

static void got_data(void *ud, zk_result rc, const uint8_t *data, size_t len,
                     const zk_stat *stat)
{
    (void)data, (void)len, (void)stat;
    if (rc != ZK_RESULT_OK)
        zkt_fail(__FILE__, __LINE__, "get_async: %s", zk_result_message(rc));
    sem_post(ud);
}

/* The event thread starts with the first event that needs it: a client that only makes
 * blocking calls and has no listener runs its I/O thread and no other; the first async
 * call starts it, and freeing the client ends both. */
static void the_event_thread_starts_when_first_needed(void)
{
    char root[ZKT_PATH_MAX];
    sem_t done;
    zk_buffer b = { NULL, 0 };
    zk_client *c;
    CHECK_EQ(threads_named("zk-events"), 0);
    c = zkt_setup(root);
    CHECK_OK(zk_get(c, root, NULL, 0, &b, NULL));
    zk_buffer_free(&b);
    CHECK_EQ(threads_named("zk-events"), 0);
    sem_init(&done, 0, 0);
    CHECK_OK(zk_get_async(c, root, NULL, 0, got_data, &done, NULL));
    CHECK_EQ(sem_wait(&done), 0);
    CHECK_EQ(threads_named("zk-events"), 1);
    zkt_teardown(c, root);
    CHECK_EQ(threads_named("zk-events"), 0);
    sem_destroy(&done);
}

ZKT_SUITE(threads) = {
    ZKT_CASE(the_event_thread_starts_when_first_needed),
    ZKT_CASE(sixteen_threads_share_one_client),
    ZKT_CASE(watches_from_many_threads_each_end_once),
    ZKT_END,
};
