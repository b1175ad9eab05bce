/* SPDX-License-Identifier: MIT */
/*
 * Driver backends: what actually serves an open export. The real-syscall
 * backend, the mock and plugins (such as the emulated drive) all sit behind
 * one const ops table, struct backend_ops; the dispatcher never knows which
 * it calls. The table, what a backend is handed (which memory is a private
 * copy, which is live guest RAM), the blocking rules and backend_register()
 * are the plugin SDK's: include/devcall-plugin.h. This header adds what
 * only the daemon uses.
 */
#ifndef DEVCALL_BACKEND_H
#define DEVCALL_BACKEND_H

#include "devcall-plugin.h"

/* Built-in backends. */
extern const struct backend_ops backend_sys;
extern const struct backend_ops backend_mock;

/*
 * Backends by name: "sys", "mock", and any that plugins registered.
 * Returns NULL if unknown.
 */
const struct backend_ops *backend_find(const char *name);

/*
 * Load a plugin shared object and run its init once (a second load of the
 * same object, on a reload, is a no-op). A plugin built with the SDK
 * exports devcall_plugin (DEVCALL_PLUGIN()): one built for another
 * DEVCALL_PLUGIN_ABI is refused before its init runs. One without it, with
 * a bare devcall_plugin_init(), is an in-tree plugin built against this
 * daemon's own headers: loaded, with a warning. 0 or -errno, with a
 * message in errbuf.
 */
int backend_load_plugin(const char *path, char *errbuf, size_t errlen);

#endif /* DEVCALL_BACKEND_H */
