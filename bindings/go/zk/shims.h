/* C side of the Go binding: turns cgo.Handle integers into the void *userdata that
   zkclient.h callbacks carry, and hands the library pointers to the Go functions that
   callbacks.go exports. Kept in C so that Go never converts an integer to a pointer. */
#ifndef ZKGO_SHIMS_H
#define ZKGO_SHIMS_H

#include <stdbool.h>
#include <stdint.h>
#include "zkclient.h"

/* A watcher (one-shot, or persistent for zk_add_watch) whose callback and finalizer are
   the Go exports zkgoWatch and zkgoRelease, with `handle` as userdata. */
zk_watcher zkgo_watcher(uintptr_t handle);

/* zk_add_listener with zkgoListen / zkgoRelease and `handle` as userdata. */
zk_result zkgo_add_listener(zk_client *c, uintptr_t handle, uint64_t *id_out);

/* zk_options_set_logger with zkgoLog / zkgoRelease and `handle` as userdata. */
zk_result zkgo_set_logger(zk_options *o, uintptr_t handle, zk_log_level max_level);

/* The recipes' state callbacks: zkgoRecipeState / zkgoRelease with `handle` as userdata. */
zk_result zkgo_lock_set_state_callback(zk_lock *l, uintptr_t handle);
zk_result zkgo_semaphore_set_state_callback(zk_semaphore *s, uintptr_t handle);
zk_result zkgo_election_set_state_callback(zk_election *e, uintptr_t handle);
/* The set partitioner's: zkgoPartitionState / zkgoRelease. */
zk_result zkgo_partitioner_set_state_callback(zk_partitioner *p, uintptr_t handle);

/* DataWatch and ChildrenWatch: zkgoDataWatch / zkgoChildrenWatch / zkgoRelease. */
zk_result zkgo_data_watch_new(zk_client *c, const char *path, uintptr_t handle,
                              zk_data_watch **out);
zk_result zkgo_children_watch_new(zk_client *c, const char *path, uintptr_t handle,
                                  zk_children_watch **out);

/* zk_tree_cache_new with zkgoTreeEvent / zkgoRelease and `handle` as userdata. */
zk_result zkgo_tree_cache_new(zk_client *c, const char *path, bool one_shot_watches,
                              uintptr_t handle, zk_tree_cache **out);

#endif
