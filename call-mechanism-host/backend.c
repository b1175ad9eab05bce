// SPDX-License-Identifier: MIT
/*
 * Backends by name. Built-ins are always there; plugins (shared objects)
 * add theirs when loaded, from a constructor or devcall_plugin_init().
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "backend.h"

#define BACKEND_MAX	16

static const struct backend_ops *backends[BACKEND_MAX] = {
	&backend_sys, &backend_mock,
};
static unsigned int nr_backends = 2;
static pthread_mutex_t backends_lock = PTHREAD_MUTEX_INITIALIZER;

const struct backend_ops *backend_find(const char *name)
{
	const struct backend_ops *found = NULL;
	unsigned int i;

	pthread_mutex_lock(&backends_lock);
	for (i = 0; i < nr_backends && !found; i++)
		if (!strcmp(backends[i]->name, name))
			found = backends[i];
	pthread_mutex_unlock(&backends_lock);
	return found;
}

int backend_register(const struct backend_ops *ops)
{
	unsigned int i;
	int ret = 0;

	if (!ops || !ops->name || !ops->open || !ops->close || !ops->read ||
	    !ops->write || !ops->ioctl)
		return -EINVAL;
	pthread_mutex_lock(&backends_lock);
	/* The same ops again is a no-op: stop before adding it twice. */
	for (i = 0; i < nr_backends; i++)
		if (!strcmp(backends[i]->name, ops->name))
			break;
	if (i < nr_backends)
		ret = backends[i] == ops ? 0 : -EEXIST;
	else if (nr_backends >= BACKEND_MAX)
		ret = -ENOSPC;
	else
		backends[nr_backends++] = ops;
	pthread_mutex_unlock(&backends_lock);
	return ret;
}

int backend_load_plugin(const char *path, char *errbuf, size_t errlen)
{
	int (*init)(void);
	void *h;
	int ret;

	/* The plugin lives as long as the daemon: never dlclose'd. */
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(errbuf, errlen, "%s", dlerror());
		return -ENOENT;
	}
	*(void **)&init = dlsym(h, "devcall_plugin_init");
	if (init) {
		ret = init();
		if (ret) {
			snprintf(errbuf, errlen, "devcall_plugin_init: %s",
				 strerror(ret < 0 ? -ret : ret));
			return ret < 0 ? ret : -ret;
		}
	}
	return 0;
}
