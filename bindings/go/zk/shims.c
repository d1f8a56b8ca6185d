#include "shims.h"
#include "_cgo_export.h"

/* The exports take non-const pointers (cgo has no const); the library's event is only
   read, so dropping const here is sound. */
static void zkgo_watch_trampoline(void *userdata, const zk_event *event) {
    zkgoWatch((uintptr_t)userdata, (zk_event *)event);
}

static void zkgo_listen_trampoline(void *userdata, zk_state state, zk_keeper_state keeper) {
    zkgoListen((uintptr_t)userdata, state, keeper);
}

static void zkgo_log_trampoline(void *userdata, zk_log_level level, const char *message) {
    zkgoLog((uintptr_t)userdata, level, (char *)message);
}

static void zkgo_recipe_state_trampoline(void *userdata, zk_lock_state state) {
    zkgoRecipeState((uintptr_t)userdata, state);
}

static void zkgo_partition_state_trampoline(void *userdata, zk_partition_state state) {
    zkgoPartitionState((uintptr_t)userdata, state);
}

static void zkgo_tree_event_trampoline(void *userdata, const zk_tree_event *event) {
    zkgoTreeEvent((uintptr_t)userdata, (zk_tree_event *)event);
}

static void zkgo_release_trampoline(void *userdata) {
    zkgoRelease((uintptr_t)userdata);
}

zk_watcher zkgo_watcher(uintptr_t handle) {
    zk_watcher w = { zkgo_watch_trampoline, (void *)handle, zkgo_release_trampoline };
    return w;
}

zk_result zkgo_add_listener(zk_client *c, uintptr_t handle, uint64_t *id_out) {
    return zk_add_listener(c, zkgo_listen_trampoline, (void *)handle, zkgo_release_trampoline,
                           id_out);
}

zk_result zkgo_set_logger(zk_options *o, uintptr_t handle, zk_log_level max_level) {
    return zk_options_set_logger(o, zkgo_log_trampoline, (void *)handle,
                                 zkgo_release_trampoline, max_level);
}

zk_result zkgo_lock_set_state_callback(zk_lock *l, uintptr_t handle) {
    return zk_lock_set_state_callback(l, zkgo_recipe_state_trampoline, (void *)handle,
                                      zkgo_release_trampoline);
}

zk_result zkgo_semaphore_set_state_callback(zk_semaphore *s, uintptr_t handle) {
    return zk_semaphore_set_state_callback(s, zkgo_recipe_state_trampoline, (void *)handle,
                                           zkgo_release_trampoline);
}

zk_result zkgo_election_set_state_callback(zk_election *e, uintptr_t handle) {
    return zk_election_set_state_callback(e, zkgo_recipe_state_trampoline, (void *)handle,
                                          zkgo_release_trampoline);
}

zk_result zkgo_partitioner_set_state_callback(zk_partitioner *p, uintptr_t handle) {
    return zk_partitioner_set_state_callback(p, zkgo_partition_state_trampoline,
                                             (void *)handle, zkgo_release_trampoline);
}

static bool zkgo_data_watch_trampoline(void *userdata, const uint8_t *data, size_t len,
                                       const zk_stat *stat, zk_event_type event) {
    return zkgoDataWatch((uintptr_t)userdata, (uint8_t *)data, len, (zk_stat *)stat, event);
}

static bool zkgo_children_watch_trampoline(void *userdata, const char *const *children,
                                           size_t count, zk_event_type event) {
    return zkgoChildrenWatch((uintptr_t)userdata, (char **)children, count, event);
}

zk_result zkgo_data_watch_new(zk_client *c, const char *path, uintptr_t handle,
                              zk_data_watch **out) {
    return zk_data_watch_new(c, path, zkgo_data_watch_trampoline, (void *)handle,
                             zkgo_release_trampoline, out);
}

zk_result zkgo_children_watch_new(zk_client *c, const char *path, uintptr_t handle,
                                  zk_children_watch **out) {
    return zk_children_watch_new(c, path, zkgo_children_watch_trampoline, (void *)handle,
                                 zkgo_release_trampoline, out);
}

zk_result zkgo_tree_cache_new(zk_client *c, const char *path, bool one_shot_watches,
                              uintptr_t handle, zk_tree_cache **out) {
    return zk_tree_cache_new(c, path, one_shot_watches, zkgo_tree_event_trampoline,
                             (void *)handle, zkgo_release_trampoline, out);
}
