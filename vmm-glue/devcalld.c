// SPDX-License-Identifier: MIT
/*
 * devcalld: the devcall host daemon. The ivshmem server of every
 * configured VM, and the device side of its devcall virtio device. This
 * file holds only the command line, signals, the event loop and the worker
 * pool; the logic is in vm_session.c and the call mechanism.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ctl_server.h"
#include "ioctl_layout.h"
#include "layout_file.h"
#include "event_loop.h"
#include "log.h"
#include "policy.h"
#include "sock.h"
#include "privilege.h"
#include "runtime_state.h"
#include "sd_notify.h"
#include "vm_session.h"
#include "waitset.h"

/* The loop's own sources: signals (quit) and the wait set. */
struct loop_src {
	struct event_src src;
	int fd;
	bool *quit;
	bool *reload;
	struct waitset *ws;
};

/*
 * Where the configuration came from, in order: --config files and the
 * flags that build it, so a reload (SIGHUP) builds it again the same way.
 */
#define MAX_CONFIG_SOURCES	256

struct config_source {
	int c;			/* the option */
	const char *arg;	/* in argv */
};

static struct config_source config_sources[MAX_CONFIG_SOURCES];
static unsigned int nr_config_sources;
static bool config_sources_lost;	/* too many to record: no reload */

static void config_source_add(int c, const char *arg)
{
	if (nr_config_sources == MAX_CONFIG_SOURCES) {
		config_sources_lost = true;
		return;
	}
	config_sources[nr_config_sources].c = c;
	config_sources[nr_config_sources++].arg = arg;
}

/* "--NAME" of the option whose value is c (config_apply_flag's names). */
static const char *flag_name(const struct option *opts, int c)
{
	static char buf[32];

	for (; opts->name; opts++)
		if (opts->val == c)
			break;
	snprintf(buf, sizeof(buf), "--%s", opts->name ? opts->name : "?");
	return buf;
}

/*
 * Exports and VMs added or removed at run time (devcallctl export add,
 * vm add, ...), in the order they were asked for. Kept across reloads:
 * every reload builds the configuration from its sources and then
 * replays these, so a SIGHUP does not take a runtime export from a
 * guest. The configuration wins a conflict: an add whose name the
 * configuration now has, or a remove of a name it no longer has, is
 * forgotten (and logged). Kept across restarts too, in the run
 * directory (runtime_state.h): a restarted daemon replays them at start.
 */
static struct runtime_change runtime_changes[MAX_RUNTIME_CHANGES];
static unsigned int nr_runtime_changes;
static char runtime_state_path[PATH_MAX];	/* RUN/runtime-changes */

/* --workers: for every VM without a workers = of its own. */
static int nr_workers;

/*
 * The VMs served now, in the order they came. Changed on the event
 * loop's thread only (config_apply()), under live_lock: the heartbeat
 * thread reads them under it. The control socket reads them on the loop.
 */
static struct vm_session *live[CONFIG_MAX_VMS];
static unsigned int nr_live;
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static bool started;		/* privileges dropped, threads running */

/*
 * Event loop iterations done. A removed VM is freed only after the one
 * it was removed in: the events that iteration took from epoll may
 * still point at the VM's sources.
 */
static uint64_t loop_gen;

static struct vm_session *live_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < nr_live; i++)
		if (!strcmp(live[i]->cfg->name, name))
			return live[i];
	return NULL;
}

/*
 * A vm add, as config_build() replays it: the --vm value, then its file
 * (only that VM's sections: another VM's is refused), into ncfg. 0 or
 * -errno with the reason in err.
 */
static int vm_add_build(struct config *ncfg, const struct runtime_change *rc,
			char *err, size_t errlen)
{
	struct config *tmp = malloc(sizeof(*tmp));
	int ret = -EINVAL;

	if (!tmp) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	config_init(tmp);
	if (config_apply_flag(tmp, "--vm", rc->flag, err, errlen) ||
	    (rc->file[0] && config_load_file(tmp, rc->file, err, errlen)))
		goto out;
	if (tmp->nr_vms != 1 || strcmp(tmp->vms[0].name, rc->vm)) {
		snprintf(err, errlen, "%s: vm add %s: the file may hold only "
			 "[vm %s] and [export %s ...] sections", rc->file,
			 rc->vm, rc->vm, rc->vm);
		goto out;
	}
	if (ncfg->nr_vms == CONFIG_MAX_VMS) {
		snprintf(err, errlen, "more than %u VMs", CONFIG_MAX_VMS);
		goto out;
	}
	ncfg->vms[ncfg->nr_vms++] = tmp->vms[0];
	ret = 0;
out:
	free(tmp);
	return ret;
}

static struct export *vm_config_export(struct vm_config *vm, const char *name)
{
	unsigned int i;

	for (i = 0; i < vm->nr_exports; i++)
		if (!strcmp(vm->exports[i].name, name))
			return &vm->exports[i];
	return NULL;
}

/*
 * The configuration as its sources and the runtime changes make it,
 * checked whole (config_finish()) and against what the daemon can still
 * do (privilege_reload_check(); cur NULL: at start, before anything was
 * dropped). keep[i]: is runtime change i still wanted. 0, or -EINVAL
 * with the reason in err.
 */
static int config_build(const struct option *opts, const struct config *cur,
			struct config *ncfg, bool *keep, char *err,
			size_t errlen)
{
	unsigned int i;

	if (config_sources_lost) {
		snprintf(err, errlen, "too many configuration options to "
			 "replay");
		return -EINVAL;
	}
	config_init(ncfg);
	for (i = 0; i < nr_config_sources; i++) {
		const struct config_source *src = &config_sources[i];
		int r = src->c == 'c' ?
			config_load_file(ncfg, src->arg, err, errlen) :
			config_apply_flag(ncfg, flag_name(opts, src->c),
					  src->arg, err, errlen);

		if (r)
			return r;
	}
	for (i = 0; i < nr_runtime_changes; i++) {
		const struct runtime_change *rc = &runtime_changes[i];
		struct vm_config *vm = config_find_vm(ncfg, rc->vm);
		struct export *exp;

		if (rc->is_vm) {
			keep[i] = rc->remove ? vm != NULL : vm == NULL;
			if (!keep[i])
				continue;
			if (!rc->remove) {
				if (vm_add_build(ncfg, rc, err, errlen))
					return -EINVAL;
				continue;
			}
			memmove(vm, vm + 1, (size_t)(ncfg->vms + ncfg->nr_vms -
				vm - 1) * sizeof(*vm));
			ncfg->nr_vms--;
			continue;
		}
		exp = vm ? vm_config_export(vm, rc->name) : NULL;
		keep[i] = vm && (rc->remove ? exp != NULL : exp == NULL);
		if (!keep[i])
			continue;
		if (rc->remove) {
			unsigned int k;

			memmove(exp, exp + 1, (size_t)(vm->exports +
				vm->nr_exports - exp - 1) * sizeof(*exp));
			vm->nr_exports--;
			/* Positions, as config.c numbers them: a later add
			 * takes the next. (A reload ignores these ids.) */
			for (k = 0; k < vm->nr_exports; k++)
				vm->exports[k].id = k + 1;
		} else if (config_apply_flag(ncfg, "--export", rc->flag, err,
					     errlen)) {
			return -EINVAL;
		}
	}
	for (i = 0; nr_workers && i < ncfg->nr_vms; i++)
		if (!ncfg->vms[i].workers_set)
			ncfg->vms[i].limits.workers = (unsigned int)nr_workers;
	if (config_finish(ncfg, err, errlen))
		return -EINVAL;
	if (!cur)
		return 0;
	if (privilege_reload_check(cur, ncfg, err, errlen))
		return -EINVAL;
	/* A VM new to the daemon: can it still make what it needs? */
	for (i = 0; i < ncfg->nr_vms; i++)
		if (!live_find(ncfg->vms[i].name) &&
		    privilege_vm_add_check(cur, &ncfg->vms[i], err, errlen))
			return -EINVAL;
	return 0;
}

/*
 * Forget the runtime changes build found the configuration overrides;
 * when: "reload" or "start", for the log.
 */
static void runtime_changes_keep(const bool *keep, struct config *ncfg,
				 const char *when)
{
	unsigned int i, n = 0;

	for (i = 0; i < nr_runtime_changes; i++) {
		if (keep[i]) {
			runtime_changes[n++] = runtime_changes[i];
			continue;
		}
		if (runtime_changes[i].is_vm && runtime_changes[i].remove)
			continue;	/* a runtime VM's: nothing to undo */
		if (runtime_changes[i].is_vm)
			log_warn("%s: the configuration now %s vm %s: "
				 "runtime %s forgotten", when,
				 runtime_changes[i].remove ? "lacks" : "has",
				 runtime_changes[i].vm,
				 runtime_changes[i].remove ? "removal" : "add");
		else if (!config_find_vm(ncfg, runtime_changes[i].vm))
			log_warn("%s: the configuration now lacks vm %s: "
				 "runtime export %s %s forgotten", when,
				 runtime_changes[i].vm, runtime_changes[i].name,
				 runtime_changes[i].remove ? "removal" : "add");
		else
			log_warn("%s: the configuration now %s export "
				 "%s/%s: runtime %s forgotten", when,
				 runtime_changes[i].remove ? "lacks" : "has",
				 runtime_changes[i].vm, runtime_changes[i].name,
				 runtime_changes[i].remove ? "removal" :
				 "export");
	}
	nr_runtime_changes = n;
}

/* Into the run directory, for the next daemon (runtime_state.h). */
static void runtime_changes_save(void)
{
	char err[512];

	if (runtime_state_path[0] &&
	    runtime_state_save(runtime_state_path, runtime_changes,
			       nr_runtime_changes, err, sizeof(err)))
		log_warn("runtime changes not saved: %s: a restart forgets "
			 "them", err);
}

static void runtime_change_name(const struct runtime_change *rc, char *buf,
				size_t len)
{
	snprintf(buf, len, "%s %s%s%s", rc->is_vm ?
		 (rc->remove ? "vm remove" : "vm add") :
		 (rc->remove ? "export remove" : "export add"), rc->vm,
		 rc->is_vm ? "" : "/", rc->is_vm ? "" : rc->name);
}

/*
 * At start, before any VM is served: the runtime changes the last
 * daemon on this run directory saved, replayed onto cfg's VMs as a
 * reload would. One at a time: one that no longer applies (its vm add
 * file gone, an export the configuration now refuses) is logged and
 * dropped, the rest are served as they were.
 */
static void runtime_changes_restore(const struct option *opts,
				    struct config *cfg)
{
	static struct runtime_change loaded[MAX_RUNTIME_CHANGES];
	bool keep[MAX_RUNTIME_CHANGES];
	struct config *ncfg;
	char err[512], what[128];
	unsigned int i, n;
	bool ok;

	if (runtime_state_load(runtime_state_path, loaded, MAX_RUNTIME_CHANGES,
			       &n, err, sizeof(err))) {
		log_err("runtime changes of the last run not replayed: %s",
			err);
		runtime_changes_save();
		return;
	}
	if (!n)
		return;
	ncfg = malloc(sizeof(*ncfg));
	if (!ncfg) {
		log_err("runtime changes of the last run not replayed: %s",
			strerror(ENOMEM));
		return;
	}
	memcpy(runtime_changes, loaded, n * sizeof(loaded[0]));
	nr_runtime_changes = n;
	ok = !config_build(opts, NULL, ncfg, keep, err, sizeof(err));
	if (!ok) {
		/* Not all of them load: one at a time, keeping those that do. */
		nr_runtime_changes = 0;
		for (i = 0; i < n; i++) {
			runtime_changes[nr_runtime_changes++] = loaded[i];
			if (!config_build(opts, NULL, ncfg, keep, err,
					  sizeof(err)))
				continue;
			runtime_change_name(&loaded[i], what, sizeof(what));
			log_warn("runtime change of the last run not "
				 "replayed: %s: %s", what, err);
			nr_runtime_changes--;
		}
		ok = nr_runtime_changes &&
		     !config_build(opts, NULL, ncfg, keep, err, sizeof(err));
	}
	if (ok) {
		runtime_changes_keep(keep, ncfg, "start");
		cfg->nr_vms = ncfg->nr_vms;
		memcpy(cfg->vms, ncfg->vms, sizeof(cfg->vms));
		log_info("%u of %u runtime change(s) of the last run "
			 "replayed", nr_runtime_changes, n);
	} else {
		nr_runtime_changes = 0;
	}
	free(ncfg);
	runtime_changes_save();
}

/* Is VM vm one added at run time (devcallctl vm add), still kept? */
static bool runtime_vm_added(const char *vm)
{
	unsigned int i;

	for (i = 0; i < nr_runtime_changes; i++)
		if (runtime_changes[i].is_vm && !runtime_changes[i].remove &&
		    !strcmp(runtime_changes[i].vm, vm))
			return true;
	return false;
}

/*
 * Forget VM vm's runtime changes if it is a VM added at run time (its
 * exports' too): true if it was one.
 */
static bool runtime_vm_forget(const char *vm)
{
	unsigned int i, n = 0;

	if (!runtime_vm_added(vm))
		return false;
	for (i = 0; i < nr_runtime_changes; i++)
		if (strcmp(runtime_changes[i].vm, vm))
			runtime_changes[n++] = runtime_changes[i];
	nr_runtime_changes = n;
	return true;
}

/* Context of the daemon that config_apply() needs. */
struct daemon_ctx {
	struct host *host;
	const char *run_dir;
	int epfd;
};

static struct daemon_ctx dctx;

struct reaper {
	struct vm_session *s;
	uint64_t gen;		/* loop iteration it was retired in */
};

static void *reaper_thread(void *arg)
{
	struct reaper *r = arg;
	const struct timespec tick = { 0, 1000000L };

	while (__atomic_load_n(&loop_gen, __ATOMIC_ACQUIRE) <= r->gen)
		nanosleep(&tick, NULL);
	session_reap(r->s);
	free(r);
	return NULL;
}

/*
 * Stop serving live[i]: out of the lists (the heartbeat's under its
 * lock), its QEMU, files, claims and sockets let go now, its memory
 * freed on a thread of its own once its calls are done.
 */
static void live_remove(unsigned int i)
{
	struct vm_session *s = live[i];
	struct reaper *r = malloc(sizeof(*r));
	pthread_attr_t attr;
	pthread_t t;

	pthread_mutex_lock(&live_lock);
	memmove(&live[i], &live[i + 1], (nr_live - i - 1) * sizeof(*live));
	nr_live--;
	pthread_mutex_unlock(&live_lock);
	session_retire(s);
	if (!r) {
		log_err("vm %s: %s: its memory is not freed", s->cfg->name,
			strerror(ENOMEM));
		return;
	}
	r->s = s;
	r->gen = __atomic_load_n(&loop_gen, __ATOMIC_ACQUIRE);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256u << 10);
	if (pthread_create(&t, &attr, reaper_thread, r)) {
		log_err("vm %s: no thread to free it: its memory is not freed",
			s->cfg->name);
		free(r);
	}
	pthread_attr_destroy(&attr);
}

/*
 * Serve the VMs of ncfg the daemon does not serve yet: all or none (a
 * session that cannot be made undoes the others). 0 or -errno with the
 * reason in err.
 */
static int live_add_new(const struct config *cur, const struct config *ncfg,
			unsigned int *added, char *err, size_t errlen)
{
	struct vm_session *made[CONFIG_MAX_VMS];
	unsigned int i, n = 0;
	int ret = 0;

	for (i = 0; i < ncfg->nr_vms && !ret; i++) {
		if (live_find(ncfg->vms[i].name))
			continue;
		ret = session_create(&made[n], dctx.host, &cur->daemon,
				     &ncfg->vms[i], dctx.run_dir, dctx.epfd,
				     started);
		if (ret) {
			snprintf(err, errlen, "vm %s: %s", ncfg->vms[i].name,
				 strerror(-ret));
			break;
		}
		n++;
		ret = started ? session_start_workers(made[n - 1]) : 0;
		if (ret)
			snprintf(err, errlen, "vm %s: workers: %s",
				 ncfg->vms[i].name, strerror(-ret));
	}
	if (ret) {
		while (n) {
			/* Never served: no call, no QEMU. Its workers, if
			 * started, are joined by reaping it. */
			session_retire(made[--n]);
			session_reap(made[n]);
		}
		return ret;
	}
	pthread_mutex_lock(&live_lock);
	for (i = 0; i < n; i++)
		live[nr_live++] = made[i];
	pthread_mutex_unlock(&live_lock);
	for (i = 0; i < n; i++)
		log_info("vm %s: served", made[i]->cfg->name);
	*added = n;
	return 0;
}

/*
 * Read the configuration again (SIGHUP, devcallctl reload, export or vm
 * add or remove) and apply what can change live: the VMs served (a new
 * one is served, one gone is let go: its QEMU disconnected, its files
 * closed) and each VM's exports (session_reload()). The new
 * configuration is checked whole first; one that does not load, or a
 * new VM that cannot be served, changes nothing. Every other setting
 * needs a restart. 0, or -errno with the reason in msg; msg sums up
 * what changed.
 */
static int config_apply(const struct option *opts, const struct config *cur,
			char *msg, size_t len)
{
	bool keep[MAX_RUNTIME_CHANGES];
	struct config *ncfg;
	unsigned int i, j, added = 0, removed = 0, vms_added = 0;
	unsigned int vms_removed = 0;
	char err[512];
	int ret;

	ncfg = malloc(sizeof(*ncfg));
	if (!ncfg) {
		snprintf(msg, len, "%s", strerror(ENOMEM));
		log_err("reload: %s", msg);
		return -ENOMEM;
	}
	ret = config_build(opts, cur, ncfg, keep, err, sizeof(err));
	if (!ret)
		ret = live_add_new(cur, ncfg, &vms_added, err, sizeof(err));
	if (ret) {
		log_err("reload: %s: configuration unchanged", err);
		snprintf(msg, len, "%s: configuration unchanged", err);
		free(ncfg);
		return ret;
	}
	runtime_changes_keep(keep, ncfg, "reload");
	runtime_changes_save();
	for (j = nr_live; j-- > 0;) {
		if (config_find_vm(ncfg, live[j]->cfg->name))
			continue;
		live_remove(j);
		vms_removed++;
	}
	for (i = 0; i < ncfg->nr_vms; i++) {
		struct vm_reload_stats st;
		struct vm_session *s = live_find(ncfg->vms[i].name);

		if (s && session_reload(s, &ncfg->vms[i], &st) == 0) {
			added += st.added;
			removed += st.removed;
		}
	}
	log_info("reload: done");
	snprintf(msg, len, "reloaded: %u VM(s) added, %u removed; %u "
		 "export(s) added, %u removed", vms_added, vms_removed, added,
		 removed);
	free(ncfg);
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* config_apply(), told to systemd (RELOADING=1, then READY=1 again). */
static int config_reload(const struct option *opts, const struct config *cur,
			 char *msg, size_t len)
{
	int ret;

	notify_send("RELOADING=1\nMONOTONIC_USEC=%lld\n"
		    "STATUS=reloading the configuration",
		    (long long)now_ms() * 1000);
	ret = config_apply(opts, cur, msg, len);
	notify_send("READY=1\nSTATUS=serving %u VM(s), %s", nr_live,
		    ret ? "reload refused" : "configuration reloaded");
	return ret;
}

/* The control socket's hands on the configuration (ctl_server.h). */
struct ctl_ctx {
	const struct option *opts;
	const struct config *cfg;
};

static int ctl_reload(void *ctx, char *msg, size_t len)
{
	struct ctl_ctx *x = ctx;

	log_info("reload: asked on the control socket");
	return config_reload(x->opts, x->cfg, msg, len);
}

static struct vm_session *ctl_session(struct ctl_ctx *x, const char *vm)
{
	(void)x;
	return live_find(vm);
}

static bool vm_has_export(struct vm_session *s, const char *name)
{
	const struct export *exps[CONFIG_MAX_EXPORTS];
	unsigned int i, n = vm_exports(s->vm, exps, NULL);

	for (i = 0; i < n; i++)
		if (!strcmp(exps[i]->name, name))
			return true;
	return false;
}

/* Add change rc, reload, and take it back if the reload refuses. */
static int ctl_change(struct ctl_ctx *x, const struct runtime_change *rc,
		      char *msg, size_t len)
{
	struct runtime_change saved[MAX_RUNTIME_CHANGES];
	unsigned int nr_saved = nr_runtime_changes, i, n = 0;
	int ret;

	memcpy(saved, runtime_changes, sizeof(saved));
	/*
	 * Undoing a runtime export add or remove: the two cancel out. A
	 * VM's remove replaces every runtime change of that VM (a VM only
	 * added at run time leaves nothing: its remove is forgotten, unlogged,
	 * once applied); a VM's add comes after its remove, if any.
	 */
	for (i = 0; i < nr_runtime_changes; i++) {
		const struct runtime_change *o = &runtime_changes[i];

		if (rc->is_vm && rc->remove && !strcmp(o->vm, rc->vm))
			continue;
		if (!rc->is_vm && !o->is_vm && !strcmp(o->vm, rc->vm) &&
		    !strcmp(o->name, rc->name) && o->remove != rc->remove)
			continue;
		runtime_changes[n++] = *o;
	}
	if (n == nr_runtime_changes || rc->is_vm) {
		if (n == MAX_RUNTIME_CHANGES) {
			snprintf(msg, len, "more than %u runtime changes: put "
				 "them in the configuration",
				 MAX_RUNTIME_CHANGES);
			memcpy(runtime_changes, saved, sizeof(saved));
			return -ENOSPC;
		}
		runtime_changes[n++] = *rc;
	}
	nr_runtime_changes = n;
	ret = config_reload(x->opts, x->cfg, msg, len);
	if (ret) {
		memcpy(runtime_changes, saved, sizeof(saved));
		nr_runtime_changes = nr_saved;
	}
	return ret;
}

static int ctl_export_add(void *ctx, const struct ctl_req *req, char *msg,
			  size_t len)
{
	struct ctl_ctx *x = ctx;
	struct runtime_change rc = { .remove = false };
	struct vm_session *s = ctl_session(x, req->vm);

	if (!s) {
		snprintf(msg, len, "no VM '%s'", req->vm);
		return -ENOENT;
	}
	if (vm_has_export(s, req->name)) {
		snprintf(msg, len, "VM %s already has an export %s", req->vm,
			 req->name);
		return -EEXIST;
	}
	snprintf(rc.vm, sizeof(rc.vm), "%s", req->vm);
	snprintf(rc.name, sizeof(rc.name), "%s", req->name);
	if (ctl_export_flag(req, rc.flag, sizeof(rc.flag))) {
		snprintf(msg, len, "export too long");
		return -ENAMETOOLONG;
	}
	log_info("control: export add %s", rc.flag);
	return ctl_change(x, &rc, msg, len);
}

static int ctl_export_remove(void *ctx, const char *vm, const char *name,
			     char *msg, size_t len)
{
	struct ctl_ctx *x = ctx;
	struct runtime_change rc = { .remove = true };
	struct vm_session *s = ctl_session(x, vm);

	if (!s) {
		snprintf(msg, len, "no VM '%s'", vm);
		return -ENOENT;
	}
	if (!vm_has_export(s, name)) {
		snprintf(msg, len, "VM %s has no export %s", vm, name);
		return -ENOENT;
	}
	snprintf(rc.vm, sizeof(rc.vm), "%s", vm);
	snprintf(rc.name, sizeof(rc.name), "%s", name);
	log_info("control: export remove %s/%s", vm, name);
	return ctl_change(x, &rc, msg, len);
}

static int ctl_export_runtime(void *ctx, const char *vm, const char *name)
{
	unsigned int i;

	(void)ctx;
	for (i = 0; i < nr_runtime_changes; i++)
		if (!runtime_changes[i].remove &&
		    !strcmp(runtime_changes[i].vm, vm) &&
		    !strcmp(runtime_changes[i].name, name))
			return 1;
	return 0;
}

static int ctl_vm_runtime(void *ctx, const char *vm)
{
	(void)ctx;
	return runtime_vm_added(vm);
}

static int ctl_vm_add(void *ctx, const struct ctl_req *req, char *msg,
		      size_t len)
{
	struct ctl_ctx *x = ctx;
	struct runtime_change rc = { .is_vm = true };

	if (ctl_session(x, req->vm)) {
		snprintf(msg, len, "VM %s is served already", req->vm);
		return -EEXIST;
	}
	snprintf(rc.vm, sizeof(rc.vm), "%s", req->vm);
	snprintf(rc.file, sizeof(rc.file), "%s", req->path);
	if (ctl_vm_flag(req, rc.flag, sizeof(rc.flag))) {
		snprintf(msg, len, "vm options too long");
		return -ENAMETOOLONG;
	}
	log_info("control: vm add %s%s%s", rc.flag, rc.file[0] ?
		 " --config " : "", rc.file);
	return ctl_change(x, &rc, msg, len);
}

static int ctl_vm_remove(void *ctx, const char *vm, char *msg, size_t len)
{
	struct ctl_ctx *x = ctx;
	struct runtime_change rc = { .is_vm = true, .remove = true };

	if (!ctl_session(x, vm)) {
		snprintf(msg, len, "no VM '%s'", vm);
		return -ENOENT;
	}
	snprintf(rc.vm, sizeof(rc.vm), "%s", vm);
	log_info("control: vm remove %s", vm);
	return ctl_change(x, &rc, msg, len);
}

static const struct ctl_ops daemon_ctl_ops = {
	.reload = ctl_reload,
	.export_add = ctl_export_add,
	.export_remove = ctl_export_remove,
	.export_runtime = ctl_export_runtime,
	.vm_runtime = ctl_vm_runtime,
	.vm_add = ctl_vm_add,
	.vm_remove = ctl_vm_remove,
};

static void on_signal(struct event_src *src, uint32_t events)
{
	struct loop_src *l = (struct loop_src *)src;
	struct signalfd_siginfo si;

	(void)events;
	if (read(l->fd, &si, sizeof(si)) == sizeof(si) &&
	    si.ssi_signo == SIGHUP) {
		*l->reload = true;
		return;
	}
	log_info("shutting down");
	*l->quit = true;
}

static void on_waitset(struct event_src *src, uint32_t events)
{
	(void)events;
	waitset_run(((struct loop_src *)src)->ws);
}

/*
 * The heartbeat the guests watch (DEVCALL_HEARTBEAT_MS), on a thread of
 * its own: however busy the event loop is with a guest that publishes as
 * fast as it can, every other guest sees the daemon alive on time.
 */
static __attribute__((noreturn)) void *heartbeat_thread(void *arg)
{
	struct timespec next;
	unsigned int i;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		next.tv_nsec += DEVCALL_HEARTBEAT_MS * 1000000L;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
				       NULL) == EINTR)
			;
		/* A VM removed is out of live[] before it is let go. */
		pthread_mutex_lock(&live_lock);
		for (i = 0; i < nr_live; i++)
			session_heartbeat(live[i]);
		pthread_mutex_unlock(&live_lock);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: devcalld [options]\n"
"  --config FILE         INI configuration (docs/config.md)\n"
"  --vm NAME[,k=v...]    a VM (same keys as [vm NAME])\n"
"  --export VM:NAME=PATH[,opts]  an export (same keys as [export VM NAME])\n"
"  --plugin FILE.so      load a backend plugin\n"
"  --run-dir DIR         default socket directory (/run/devcall); devcallctl\n"
"                        talks to DIR/control\n"
"  --pidfile FILE        written once every socket listens\n"
"  --workers N           threads serving each VM (default 4; or per VM:\n"
"                        --vm NAME,workers=N)\n"
"  --log-level L         err, warn, info (default) or debug\n"
"  --user NAME, --group NAME  run as (docs/config.md, [daemon])\n"
"  --no-seccomp          no system call filter (debugging)\n"
"  --list-layouts        print the known ioctl layouts and exit\n"
"  --fd-store            under systemd: QEMU's descriptors in the service's\n"
"                        fd store (FileDescriptorStoreMax=), not fd keepers\n"
"  --qemu-user NAME, --socket-group NAME, --socket-mode MODE, --ram-dir DIR\n"
"                        who may connect, and where guest RAM lives\n");
}

static int parse_level(const char *s)
{
	static const char *const names[] = { "err", "warn", "info", "debug" };
	int i;

	for (i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "vm", required_argument, NULL, 'v' },
		{ "export", required_argument, NULL, 'e' },
		{ "plugin", required_argument, NULL, 'P' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "workers", required_argument, NULL, 'w' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "user", required_argument, NULL, 'u' },
		{ "group", required_argument, NULL, 'g' },
		{ "no-seccomp", no_argument, NULL, 'S' },
		{ "qemu-user", required_argument, NULL, 'Q' },
		{ "socket-group", required_argument, NULL, 'G' },
		{ "socket-mode", required_argument, NULL, 'M' },
		{ "ram-dir", required_argument, NULL, 'R' },
		{ "list-layouts", no_argument, NULL, 'L' },
		{ "fd-store", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static struct config cfg;
	const char *run_dir = "/run/devcall", *pidfile = NULL;
	pthread_t thread;
	int epfd, sfd, c, level, low_reserved;
	struct loop_src sig_src = { { on_signal }, -1, NULL, NULL, NULL };
	struct loop_src waitset_src = { { on_waitset }, -1, NULL, NULL, NULL };
	struct ctl_ctx ctl_ctx = { opts, &cfg };
	struct ctl_server *ctl = NULL;
	char ctl_path[PATH_MAX];
	bool quit = false, reload = false, list_layouts = false;
	bool want_fdstore = false;
	int64_t watchdog_next = 0;
	struct host *host;
	char err[512];
	unsigned int i;
	sigset_t mask;
	int ret = 1;

	/*
	 * First, before anything maps memory: the low 2 GiB of our address
	 * space reserved, so integer ioctl arguments there are proven not to
	 * be our addresses (policy.c). If it cannot be done, they are refused.
	 */
	low_reserved = policy_reserve_low_addresses();
	config_init(&cfg);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (config_load_file(&cfg, optarg, err, sizeof(err)))
				goto bad_config;
			config_source_add(c, optarg);
			break;
		case 'v':
		case 'e':
		case 'P':
		case 'Q':
		case 'G':
		case 'M':
		case 'R':
			if (config_apply_flag(&cfg, flag_name(opts, c), optarg,
					      err, sizeof(err)))
				goto bad_config;
			config_source_add(c, optarg);
			break;
		case 'r':
			run_dir = optarg;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'w':
			nr_workers = atoi(optarg);
			if (nr_workers < 1 || nr_workers > 64) {
				fprintf(stderr, "devcalld: --workers: 1..64\n");
				return 2;
			}
			break;
		case 'l':
			level = parse_level(optarg);
			if (level < 0) {
				usage(stderr);
				return 2;
			}
			log_set_level(level);
			break;
		case 'f':
			break;		/* devcalld never daemonizes itself */
		case 'u':
		case 'g':
			snprintf(c == 'u' ? cfg.user : cfg.group,
				 sizeof(cfg.user), "%s", optarg);
			break;
		case 'S':
			cfg.seccomp_off = true;
			break;
		case 'L':
			list_layouts = true;
			break;
		case 'F':
			want_fdstore = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	/* Before anything looks layouts up, and before seccomp. */
	if (cfg.layouts[0] && layout_file_load(cfg.layouts, err, sizeof(err)))
		goto bad_config;
	if (list_layouts) {	/* what a guest can call; no config needed */
		layout_list(stdout);
		return 0;
	}
	if (config_finish(&cfg, err, sizeof(err)))
		goto bad_config;
	/* LISTEN_FDS are 3 and up: still untouched, nothing closed them. */
	notify_init(want_fdstore);
	for (i = 0; nr_workers && i < cfg.nr_vms; i++)
		if (!cfg.vms[i].workers_set)
			cfg.vms[i].limits.workers = nr_workers;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);	/* reload (config_reload()) */
	pthread_sigmask(SIG_BLOCK, &mask, NULL);	/* workers inherit it */
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || epfd < 0) {
		perror("devcalld");
		return 1;
	}
	sig_src.quit = &quit;
	sig_src.reload = &reload;
	sig_src.fd = sfd;
	event_watch(epfd, sfd, &sig_src.src);
	/* 0750 (0700 without a socket group): only QEMU's side reaches in. */
	/*
	 * A control group other than the socket group must reach
	 * RUN/control: search (not read) for others, the sockets keep
	 * their own modes.
	 */
	ret = rundir_prepare(run_dir, cfg.daemon.socket_gid,
			     cfg.daemon.control_gid != (gid_t)-1 &&
			     cfg.daemon.control_gid != cfg.daemon.socket_gid);
	if (ret) {
		fprintf(stderr, "devcalld: run directory %s: %s\n", run_dir,
			strerror(-ret));
		return 1;
	}
	ret = 1;
	if ((size_t)snprintf(runtime_state_path, sizeof(runtime_state_path),
			     "%s/%s", run_dir, RUNTIME_STATE_FILE) >=
	    sizeof(runtime_state_path))
		runtime_state_path[0] = '\0';	/* then none is kept */
	runtime_changes_restore(opts, &cfg);
	host = host_create();
	if (!host)
		return 1;
	/* Parked requests: no thread waits for a host file. */
	waitset_src.ws = host_waitset(host);
	event_watch(epfd, waitset_fd(waitset_src.ws), &waitset_src.src);

	dctx = (struct daemon_ctx){ host, run_dir, epfd };
	for (i = 0; i < cfg.nr_vms;) {
		int r = session_create(&live[i], host, &cfg.daemon,
				       &cfg.vms[i], run_dir, epfd, false);

		/*
		 * A VM the last run added that cannot be served now (its
		 * socket's directory gone): not the configuration's error,
		 * nor a reason to serve no VM at all.
		 */
		if (r && runtime_vm_forget(cfg.vms[i].name)) {
			log_warn("vm %s (added at run time, replayed): %s: "
				 "not served", cfg.vms[i].name, strerror(-r));
			memmove(&cfg.vms[i], &cfg.vms[i + 1],
				(cfg.nr_vms - i - 1) * sizeof(cfg.vms[0]));
			cfg.nr_vms--;
			runtime_changes_save();
			continue;
		}
		if (r) {
			log_err("vm %s: %s", cfg.vms[i].name, strerror(-r));
			goto out;
		}
		nr_live = ++i;
	}
	if (!nr_live)
		log_info("no VM configured: serving none until one is added "
			 "(devcallctl vm add, a reload)");
	/* Every VM took what systemd kept for it; the rest is stale. */
	fdstore_release_unclaimed();
	/* devcallctl's socket: root and control-group only. */
	snprintf(ctl_path, sizeof(ctl_path), "%s/control", run_dir);
	ret = ctl_server_create(&ctl, ctl_path, cfg.daemon.control_gid, epfd,
				live, &nr_live, &daemon_ctl_ops,
				&ctl_ctx);
	if (ret) {
		log_err("control socket %s: %s", ctl_path, strerror(-ret));
		ret = 1;
		goto out;
	}
	ret = 1;
	if (pidfile) {
		FILE *f = fopen(pidfile, "w");

		if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f)) {
			log_err("pidfile %s: %s", pidfile, strerror(errno));
			goto out_workers;
		}
	}
	/* Everything needing root is done; the workers inherit the rest. */
	if (privilege_drop(&cfg))
		goto out_workers;
	/* Threads only now: the fd keepers were forked from one thread. */
	for (i = 0; i < nr_live; i++) {
		int r = session_start_workers(live[i]);

		if (r) {
			log_err("vm %s: workers: %s", live[i]->cfg->name,
				strerror(-r));
			goto out_workers;
		}
	}
	started = true;
	if (pthread_create(&thread, NULL, heartbeat_thread, NULL)) {
		log_err("heartbeat: %s", strerror(errno));
		goto out_workers;
	}
	if (low_reserved)
		log_warn("low address space not reserved (%s): integer ioctl "
			 "arguments from 64 KiB up are refused",
			 strerror(-low_reserved));
	log_info("ready: %u VM(s)", nr_live);
	notify_send("READY=1\nSTATUS=serving %u VM(s)%s", nr_live,
		    fdstore_enabled() ? ", QEMU's descriptors in the fd store" :
		    "");

	while (!quit) {
		struct epoll_event evs[32];
		int n = epoll_wait(epfd, evs, 32, notify_watchdog_ms()), k;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (k = 0; k < n && !quit; k++) {
			struct event_src *src = evs[k].data.ptr;

			src->handle(src, evs[k].events);
		}
		if (notify_watchdog_ms() > 0 && now_ms() >= watchdog_next) {
			notify_send("WATCHDOG=1");
			watchdog_next = now_ms() + notify_watchdog_ms();
		}
		if (reload && !quit) {
			reload = false;
			config_reload(opts, &cfg, err, sizeof(err));
		}
		/*
		 * Every event epoll gave is handled: VMs removed in this
		 * iteration may be freed now (no wait for the next event).
		 */
		__atomic_add_fetch(&loop_gen, 1, __ATOMIC_RELEASE);
	}
	notify_send("STOPPING=1\nSTATUS=shutting down");
	ret = quit ? 0 : 1;
out_workers:
	/*
	 * Requests that wait for data are parked, not in workers; but a
	 * worker may sit in a long host ioctl for as long as the driver
	 * likes: do not wait for it. Remove what others can see and let exit
	 * close every host file.
	 */
	for (i = 0; i < nr_live; i++) {
		unlink(live[i]->cfg->socket_path);
		unlink(live[i]->cfg->qmp_path);
		session_stop(live[i]);	/* QEMU sees us go */
	}
	if (pidfile)
		unlink(pidfile);
	ctl_server_destroy(ctl);
	return ret;
out:
	for (i = 0; i < nr_live; i++)
		session_destroy(live[i]);
	return ret;

bad_config:
	fprintf(stderr, "devcalld: %s\n", err);
	return 2;
}
