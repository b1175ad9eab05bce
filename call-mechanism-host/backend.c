// SPDX-License-Identifier: MIT
/*
 * Backends by name, and the plugin SDK's functions
 * (include/devcall-plugin.h). Built-ins are always there; plugins (shared
 * objects) add theirs when loaded, from their init.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "backend_script.h"
#include "config.h"
#include "ioctl_layout.h"
#include "log.h"

/*
 * The SDK's structs are the plugin ABI: a change of their size is a new
 * DEVCALL_PLUGIN_ABI (and these numbers with it), or old plugins would
 * read and write past them.
 */
_Static_assert(sizeof(struct backend_ops) == 88 &&
	       sizeof(struct backend_file_info) == 24 &&
	       sizeof(struct ioctl_layout) == 520 &&
	       sizeof(struct devcall_plugin) == 24,
	       "plugin ABI structs changed: bump DEVCALL_PLUGIN_ABI");
_Static_assert((int)DEVCALL_LOG_ERR == (int)LOG_ERR &&
	       (int)DEVCALL_LOG_DEBUG == (int)LOG_DEBUG, "log levels");

#define BACKEND_MAX	16

static const struct backend_ops *backends[BACKEND_MAX] = {
	&backend_sys, &backend_mock, &backend_script,
};
static unsigned int nr_backends = 3;
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

/* Objects whose init ran: a reload loads every plugin again. */
#define PLUGIN_MAX	16
static void *plugins_inited[PLUGIN_MAX];
static unsigned int nr_plugins_inited;

static bool plugin_inited(void *h)
{
	unsigned int i;

	for (i = 0; i < nr_plugins_inited; i++)
		if (plugins_inited[i] == h)
			return true;
	return false;
}

/*
 * The init a plugin asks for: an SDK plugin's stamp checked first, else
 * an in-tree plugin's bare devcall_plugin_init(). NULL init with 0: none.
 */
static int plugin_entry(void *h, const char *path, int (**init)(void),
			char *errbuf, size_t errlen)
{
	const struct devcall_plugin *p;

	p = dlsym(h, "devcall_plugin");
	if (p) {
		if (p->abi != DEVCALL_PLUGIN_ABI ||
		    p->size != sizeof(struct devcall_plugin)) {
			snprintf(errbuf, errlen, "built for devcall plugin "
				 "ABI %u, this daemon has ABI %u: rebuild it "
				 "against this daemon's devcall-plugin.h",
				 p->abi, DEVCALL_PLUGIN_ABI);
			return -ENOEXEC;
		}
		*init = p->init;
		log_msg(LOG_INFO, "plugin %s: %s, ABI %u", path,
			p->name ? p->name : "(unnamed)", p->abi);
		return 0;
	}
	*(void **)init = dlsym(h, "devcall_plugin_init");
	log_msg(LOG_WARN, "plugin %s: no DEVCALL_PLUGIN() stamp, so no ABI "
		"check: loaded as an in-tree plugin built with this daemon",
		path);
	return 0;
}

int backend_load_plugin(const char *path, char *errbuf, size_t errlen)
{
	int (*init)(void) = NULL;
	void *h;
	int ret;

	/*
	 * The plugin lives as long as the daemon: never dlclose'd. RTLD_LOCAL
	 * keeps its symbols (and its devcall_plugin) to itself.
	 */
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(errbuf, errlen, "%s", dlerror());
		return -ENOENT;
	}
	if (plugin_inited(h))
		return 0;
	if (nr_plugins_inited >= PLUGIN_MAX) {
		snprintf(errbuf, errlen, "more than %d plugins", PLUGIN_MAX);
		return -ENOSPC;
	}
	ret = plugin_entry(h, path, &init, errbuf, errlen);
	if (ret)
		return ret;
	if (init) {
		ret = init();
		if (ret) {
			snprintf(errbuf, errlen, "init: %s",
				 strerror(ret < 0 ? -ret : ret));
			return ret < 0 ? ret : -ret;
		}
	}
	plugins_inited[nr_plugins_inited++] = h;
	return 0;
}

/* The rest of the SDK (include/devcall-plugin.h), for plugins. */

const char *devcall_export_name(const struct export *exp)
{
	return exp->name;
}

const char *devcall_export_path(const struct export *exp)
{
	return exp->path;
}

const char *devcall_export_options(const struct export *exp)
{
	return exp->backend_opts;
}

bool devcall_export_read_only(const struct export *exp)
{
	return exp->read_only;
}

int devcall_option_get(const char *options, const char *key, char *buf,
		       size_t len)
{
	size_t klen = strlen(key);
	const char *p = options;

	while (p && *p) {
		const char *end = strchrnul(p, ',');
		size_t vlen;

		if (!strncmp(p, key, klen) &&
		    (p + klen == end || p[klen] == '=')) {
			p += klen + (p + klen < end);
			vlen = (size_t)(end - p);
			if (vlen >= len)
				return -ENAMETOOLONG;
			memcpy(buf, p, vlen);
			buf[vlen] = '\0';
			return 0;
		}
		p = *end ? end + 1 : NULL;
	}
	return -ENOENT;
}

void devcall_log(enum devcall_log_level level, const char *fmt, ...)
{
	char line[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_msg((enum log_level)level, "%s", line);
}

int devcall_layout_get(uint32_t cmd, struct ioctl_layout *out)
{
	struct ioctl_layout scratch;
	const struct ioctl_layout *l = layout_lookup(cmd, &scratch);

	if (!l)
		return -ENOENT;
	*out = *l;
	return 0;
}
