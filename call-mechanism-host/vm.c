// SPDX-License-Identifier: MIT
/*
 * Per-VM state: the handle table, limits, and the daemon-wide exclusive
 * claims. Handles carry a generation, so a stale handle never reaches the
 * file that reused its slot; files are refcounted, so a CLOSE racing a READ
 * on the same handle closes the host file only after the READ is done.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend.h"
#include "log.h"
#include "vm.h"
#include "waitset.h"

#define HOST_MAX_CLAIMS	256

#define container_of(p, type, member) \
	((type *)((char *)(p) - offsetof(type, member)))

struct host {
	pthread_mutex_t lock;
	struct waitset *waitset;
	unsigned int nr_claims;
	struct claim_key claims[HOST_MAX_CLAIMS];
};

struct vm_slot {
	struct open_file *file;
	uint32_t gen;
	uint32_t revoked_gen;		/* gen whose export was removed */
};

/* An export a reload added: freed with the VM, never before (below). */
struct vm_export {
	struct vm_export *next;
	struct export exp;
};

struct vm {
	struct waitset_owner waiters;	/* its requests in the wait set */
	struct host *host;
	const struct vm_config *cfg;
	const struct guest_mem *gm;
	pthread_mutex_t lock;
	pthread_cond_t idle;		/* inflight dropped to 0 */
	uint32_t epoch;
	unsigned int inflight;
	unsigned int calls;		/* the budget's: queued, running, parked */
	size_t call_bytes;
	struct log_ratelimit log_rl;
	unsigned int nr_open;
	struct vm_slot *slots;		/* cfg->limits.max_open of them */
	/*
	 * The exports the guest sees now. Readers (every request) take
	 * exp_lock shared; a reload takes it, and lock, exclusive. The
	 * structs themselves are never freed while the VM lives: a request
	 * or an open file may still use one a reload removed. What a reload
	 * adds is on added, freed by vm_destroy(): a bounded cost per reload.
	 */
	pthread_rwlock_t exp_lock;
	unsigned int nr_exp;
	const struct export *exp[CONFIG_MAX_EXPORTS];
	uint32_t last_id;		/* ids are never reused */
	uint32_t exp_gen;		/* bumped by every change */
	struct vm_export *added;
	struct callstats stats;		/* atomics, no lock (callstats.h) */
};

struct host *host_create(void)
{
	struct host *host = calloc(1, sizeof(*host));

	if (!host)
		return NULL;
	host->waitset = waitset_create();
	if (!host->waitset) {
		free(host);
		return NULL;
	}
	pthread_mutex_init(&host->lock, NULL);
	return host;
}

struct waitset *host_waitset(struct host *host)
{
	return host->waitset;
}

void host_destroy(struct host *host)
{
	if (!host)
		return;
	waitset_destroy(host->waitset);
	pthread_mutex_destroy(&host->lock);
	free(host);
}

int host_claim(struct host *host, const char *path, struct claim_key *key)
{
	struct stat st;
	unsigned int i;
	int ret = 0;

	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
		/* The device, whichever node or VM names it. */
		key->dev = (uint64_t)st.st_rdev | (S_ISBLK(st.st_mode) ?
						   1ull << 63 : 0);
		key->ino = 0;
	} else {
		key->dev = st.st_dev;
		key->ino = st.st_ino;
	}

	pthread_mutex_lock(&host->lock);
	for (i = 0; i < host->nr_claims; i++)
		if (host->claims[i].dev == key->dev &&
		    host->claims[i].ino == key->ino)
			ret = -EBUSY;
	if (!ret && host->nr_claims >= HOST_MAX_CLAIMS)
		ret = -ENFILE;
	if (!ret)
		host->claims[host->nr_claims++] = *key;
	pthread_mutex_unlock(&host->lock);
	return ret;
}

void host_release(struct host *host, const struct claim_key *key)
{
	unsigned int i;

	pthread_mutex_lock(&host->lock);
	for (i = 0; i < host->nr_claims; i++) {
		if (host->claims[i].dev == key->dev &&
		    host->claims[i].ino == key->ino) {
			host->claims[i] = host->claims[--host->nr_claims];
			break;
		}
	}
	pthread_mutex_unlock(&host->lock);
}

static bool vm_file_current(struct waitset_owner *o, uint64_t handle,
			    struct waitset_file *file);
static void vm_file_release(struct waitset_owner *o,
			    struct waitset_file *file);

static const struct waitset_owner_ops vm_waitset_ops = {
	.file_current = vm_file_current,
	.file_release = vm_file_release,
};

struct vm *vm_create(struct host *host, const struct vm_config *cfg)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	unsigned int i;

	if (!vm)
		return NULL;
	vm->slots = calloc(cfg->limits.max_open, sizeof(*vm->slots));
	if (!vm->slots) {
		free(vm);
		return NULL;
	}
	vm->host = host;
	vm->cfg = cfg;
	pthread_rwlock_init(&vm->exp_lock, NULL);
	for (i = 0; i < cfg->nr_exports; i++) {
		vm->exp[i] = &cfg->exports[i];
		if (cfg->exports[i].id > vm->last_id)
			vm->last_id = cfg->exports[i].id;
	}
	vm->nr_exp = cfg->nr_exports;
	waitset_owner_init(&vm->waiters, &vm_waitset_ops);
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->idle, NULL);
	log_ratelimit_init(&vm->log_rl);
	return vm;
}

uint32_t vm_epoch(struct vm *vm)
{
	uint32_t epoch;

	pthread_mutex_lock(&vm->lock);
	epoch = vm->epoch;
	pthread_mutex_unlock(&vm->lock);
	return epoch;
}

int vm_budget_take(struct vm *vm, size_t bytes)
{
	const struct vm_limits *l = &vm->cfg->limits;
	int ret = -EAGAIN;

	pthread_mutex_lock(&vm->lock);
	if (vm->calls < l->max_calls &&
	    bytes <= l->max_call_bytes - vm->call_bytes) {
		vm->calls++;
		vm->call_bytes += bytes;
		ret = 0;
	}
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

void vm_budget_give(struct vm *vm, size_t bytes)
{
	pthread_mutex_lock(&vm->lock);
	vm->calls--;
	vm->call_bytes -= bytes;
	pthread_mutex_unlock(&vm->lock);
}

void vm_budget_usage(struct vm *vm, unsigned int *calls, size_t *bytes)
{
	pthread_mutex_lock(&vm->lock);
	*calls = vm->calls;
	*bytes = vm->call_bytes;
	pthread_mutex_unlock(&vm->lock);
}

void vm_log(const struct vm *vm, enum log_level level, const char *fmt, ...)
{
	/* The limiter's state is bookkeeping, not the VM's: const is kept. */
	struct log_ratelimit *rl = (struct log_ratelimit *)&vm->log_rl;
	char prefix[8 + CONFIG_VM_NAME_MAX], line[960];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	snprintf(prefix, sizeof(prefix), "vm %s", vm->cfg->name);
	log_limited(rl, prefix, level, "%s", line);
}

void vm_set_memory(struct vm *vm, const struct guest_mem *gm)
{
	vm->gm = gm;
}

const struct guest_mem *vm_memory(const struct vm *vm)
{
	return vm->gm;
}

const struct vm_config *vm_config(const struct vm *vm)
{
	return vm->cfg;
}

const char *vm_name(const struct vm *vm)
{
	return vm->cfg->name;
}

struct host *vm_host(const struct vm *vm)
{
	return vm->host;
}

struct waitset_owner *vm_waitset_owner(struct vm *vm)
{
	return &vm->waiters;
}

int vm_request_begin(struct vm *vm)
{
	int ret = 0;

	pthread_mutex_lock(&vm->lock);
	if (vm->inflight >= vm->cfg->limits.max_inflight)
		ret = -EAGAIN;
	else
		vm->inflight++;
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

void vm_request_end(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	if (!--vm->inflight)
		pthread_cond_broadcast(&vm->idle);
	pthread_mutex_unlock(&vm->lock);
}

static void open_file_close(struct vm *vm, struct open_file *f)
{
	int ret = f->exp->backend->close(f->priv);

	if (ret)
		log_warn("vm %s: export %s: close: %s", vm->cfg->name,
			 f->exp->name, strerror(-ret));
	if (f->claimed)
		host_release(vm->host, &f->claim);
	free(f);
}

/* Is exp in the table? Under vm->lock or exp_lock (writers take both). */
static bool vm_export_live(const struct vm *vm, const struct export *exp)
{
	unsigned int i;

	for (i = 0; i < vm->nr_exp; i++)
		if (vm->exp[i] == exp)
			return true;
	return false;
}

int vm_file_add(struct vm *vm, struct open_file *f, uint32_t epoch,
		uint64_t *handle)
{
	unsigned int i;
	int ret = -EMFILE;

	pthread_mutex_lock(&vm->lock);
	if (epoch != vm->epoch)
		ret = -ECANCELED;	/* its VM is gone: nothing may keep it */
	else if (!vm_export_live(vm, f->exp))
		ret = -ENXIO;		/* a reload removed it meanwhile */
	for (i = 0; ret == -EMFILE && i < vm->cfg->limits.max_open; i++) {
		struct vm_slot *s = &vm->slots[i];

		if (s->file)
			continue;
		s->file = f;
		/* 31 bits: the handle stays positive as an s64 result. */
		s->gen = (s->gen + 1) & 0x7fffffff;
		f->refs = 1;		/* the table's */
		vm->nr_open++;
		*handle = (uint64_t)s->gen << 32 | (i + 1);
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

/* The slot handle names, if it is current. Under vm->lock. */
static struct vm_slot *vm_slot_of(struct vm *vm, uint64_t handle)
{
	uint32_t idx = (uint32_t)handle, gen = handle >> 32;
	struct vm_slot *s;

	if (!idx || idx > vm->cfg->limits.max_open)
		return NULL;
	s = &vm->slots[idx - 1];
	return s->file && s->gen == gen ? s : NULL;
}

struct open_file *vm_file_get(struct vm *vm, uint64_t handle)
{
	struct open_file *f = NULL;
	struct vm_slot *s;

	pthread_mutex_lock(&vm->lock);
	s = vm_slot_of(vm, handle);
	if (s) {
		f = s->file;
		f->refs++;
	}
	pthread_mutex_unlock(&vm->lock);
	return f;
}

void vm_file_put(struct vm *vm, struct open_file *f)
{
	unsigned int refs;

	pthread_mutex_lock(&vm->lock);
	refs = --f->refs;
	pthread_mutex_unlock(&vm->lock);
	if (!refs)
		open_file_close(vm, f);
}

/* The wait set asks: is file still behind handle (no CLOSE or reset)? */
static bool vm_file_current(struct waitset_owner *o, uint64_t handle,
			    struct waitset_file *file)
{
	struct vm *vm = container_of(o, struct vm, waiters);
	struct vm_slot *s;
	bool ret;

	pthread_mutex_lock(&vm->lock);
	s = vm_slot_of(vm, handle);
	ret = s && &s->file->wait == file;
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

/* The wait set is done with a reference it was handed. */
static void vm_file_release(struct waitset_owner *o,
			    struct waitset_file *file)
{
	vm_file_put(container_of(o, struct vm, waiters),
		    container_of(file, struct open_file, wait));
}

int vm_file_remove(struct vm *vm, uint64_t handle)
{
	struct open_file *f = NULL;
	struct vm_slot *s;

	pthread_mutex_lock(&vm->lock);
	s = vm_slot_of(vm, handle);
	if (s) {
		f = s->file;
		s->file = NULL;
		vm->nr_open--;
	}
	pthread_mutex_unlock(&vm->lock);
	if (!f)
		return -EBADF;
	vm_file_put(vm, f);
	return 0;
}

int vm_handle_error(struct vm *vm, uint64_t handle)
{
	uint32_t idx = (uint32_t)handle, gen = handle >> 32;
	int ret = -EBADF;

	pthread_mutex_lock(&vm->lock);
	if (idx && idx <= vm->cfg->limits.max_open &&
	    vm->slots[idx - 1].revoked_gen == gen && gen)
		ret = -ENXIO;
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

const struct export *vm_export_by_id(struct vm *vm, uint32_t id)
{
	const struct export *exp = NULL;
	unsigned int i;

	pthread_rwlock_rdlock(&vm->exp_lock);
	for (i = 0; i < vm->nr_exp; i++) {
		if (vm->exp[i]->id == id) {
			exp = vm->exp[i];
			break;
		}
	}
	pthread_rwlock_unlock(&vm->exp_lock);
	return exp;		/* never freed while the VM lives */
}

unsigned int vm_exports(struct vm *vm, const struct export **out,
			uint32_t *gen)
{
	unsigned int n;

	pthread_rwlock_rdlock(&vm->exp_lock);
	n = vm->nr_exp;
	memcpy(out, vm->exp, n * sizeof(*out));
	if (gen)
		*gen = vm->exp_gen;
	pthread_rwlock_unlock(&vm->exp_lock);
	return n;
}

/* Same export but for what config_finish() and use fill in. */
static bool export_same(const struct export *a, const struct export *b)
{
	static __thread struct export x, y;	/* 2 x 5 KiB: not the stack */

	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	x.id = y.id = 0;
	x.backend = y.backend = NULL;
	x.first_size_plus1 = y.first_size_plus1 = 0;
	return !memcmp(&x, &y, sizeof(x));
}

/*
 * exp left the table: close every file the VM has open on it. Its
 * handles answer -ENXIO from now on; its parked calls end with -ENXIO;
 * a call running on one closes it (and releases its claim) when done.
 */
static unsigned int vm_revoke_export(struct vm *vm, const struct export *exp)
{
	unsigned int i, n = 0;

	for (i = 0; i < vm->cfg->limits.max_open; i++) {
		struct vm_slot *s = &vm->slots[i];
		struct open_file *f;

		pthread_mutex_lock(&vm->lock);
		f = s->file;
		if (f && f->exp == exp) {
			s->file = NULL;
			s->revoked_gen = s->gen;
			vm->nr_open--;
		} else {
			f = NULL;
		}
		pthread_mutex_unlock(&vm->lock);
		if (!f)
			continue;
		n++;
		waitset_cancel_file(vm->host->waitset, &f->wait, -ENXIO);
		vm_file_put(vm, f);
	}
	return n;
}

int vm_exports_reload(struct vm *vm, const struct vm_config *ncfg,
		      struct vm_reload_stats *st)
{
	const struct export *next[CONFIG_MAX_EXPORTS];
	const struct export *gone[CONFIG_MAX_EXPORTS];
	struct vm_export *fresh = NULL, *ve;
	unsigned int i, j, nr_gone = 0;
	uint32_t id;

	memset(st, 0, sizeof(*st));
	if (ncfg->nr_exports > CONFIG_MAX_EXPORTS)
		return -EINVAL;
	/* Writers are serialised here; readers wait only for the swap. */
	pthread_rwlock_wrlock(&vm->exp_lock);
	id = vm->last_id;
	for (i = 0; i < ncfg->nr_exports; i++) {
		const struct export *n = &ncfg->exports[i];

		next[i] = NULL;
		for (j = 0; j < vm->nr_exp && !next[i]; j++)
			if (!strcmp(vm->exp[j]->name, n->name) &&
			    export_same(vm->exp[j], n))
				next[i] = vm->exp[j];
		if (next[i])
			continue;
		/* New, or changed: a changed export is removed and added. */
		ve = malloc(sizeof(*ve));
		if (!ve)
			goto out_nomem;
		memcpy(&ve->exp, n, sizeof(*n));
		ve->exp.id = ++id;
		ve->exp.first_size_plus1 = 0;
		ve->next = fresh;
		fresh = ve;
		next[i] = &ve->exp;
		st->added++;
	}
	for (j = 0; j < vm->nr_exp; j++) {
		for (i = 0; i < ncfg->nr_exports; i++)
			if (next[i] == vm->exp[j])
				break;
		if (i == ncfg->nr_exports)
			gone[nr_gone++] = vm->exp[j];
	}
	st->removed = nr_gone;

	pthread_mutex_lock(&vm->lock);
	memcpy(vm->exp, next, ncfg->nr_exports * sizeof(next[0]));
	vm->nr_exp = ncfg->nr_exports;
	vm->last_id = id;
	if (st->added || st->removed)
		vm->exp_gen++;
	while (fresh) {
		ve = fresh;
		fresh = ve->next;
		ve->next = vm->added;
		vm->added = ve;
	}
	pthread_mutex_unlock(&vm->lock);
	pthread_rwlock_unlock(&vm->exp_lock);

	/* Out of the table: no OPEN can add a file of theirs after this. */
	for (j = 0; j < nr_gone; j++)
		st->closed += vm_revoke_export(vm, gone[j]);
	return 0;

out_nomem:
	pthread_rwlock_unlock(&vm->exp_lock);
	while (fresh) {
		ve = fresh;
		fresh = ve->next;
		free(ve);
	}
	memset(st, 0, sizeof(*st));
	return -ENOMEM;
}

void vm_reset(struct vm *vm)
{
	unsigned int i;

	/* First: an OPEN still running can no longer add its file. */
	pthread_mutex_lock(&vm->lock);
	vm->epoch++;
	pthread_mutex_unlock(&vm->lock);
	for (i = 0; i < vm->cfg->limits.max_open; i++) {
		struct open_file *f;

		pthread_mutex_lock(&vm->lock);
		f = vm->slots[i].file;
		vm->slots[i].file = NULL;
		if (f)
			vm->nr_open--;
		pthread_mutex_unlock(&vm->lock);
		/* A request still using it closes it when it is done. */
		if (f)
			vm_file_put(vm, f);
	}
	/* Out of the table first: no waiter can park on them after this. */
	waitset_cancel_owner(vm->host->waitset, &vm->waiters, -ECANCELED);
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	vm_reset(vm);
	pthread_mutex_lock(&vm->lock);
	while (vm->inflight)
		pthread_cond_wait(&vm->idle, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
	pthread_cond_destroy(&vm->idle);
	pthread_mutex_destroy(&vm->lock);
	pthread_rwlock_destroy(&vm->exp_lock);
	while (vm->added) {
		struct vm_export *ve = vm->added;

		vm->added = ve->next;
		free(ve);
	}
	free(vm->slots);
	free(vm);
}

unsigned int vm_open_count(struct vm *vm)
{
	unsigned int n;

	pthread_mutex_lock(&vm->lock);
	n = vm->nr_open;
	pthread_mutex_unlock(&vm->lock);
	return n;
}

unsigned int vm_inflight_count(struct vm *vm)
{
	unsigned int n;

	pthread_mutex_lock(&vm->lock);
	n = vm->inflight;
	pthread_mutex_unlock(&vm->lock);
	return n;
}

struct callstats *vm_callstats(struct vm *vm)
{
	return &vm->stats;
}

unsigned int vm_open_files(struct vm *vm, struct vm_open_info *out,
			   unsigned int max)
{
	unsigned int i, n = 0;

	pthread_mutex_lock(&vm->lock);
	for (i = 0; i < vm->cfg->limits.max_open; i++) {
		const struct vm_slot *s = &vm->slots[i];

		if (!s->file)
			continue;
		if (n < max) {
			out[n].handle = (uint64_t)s->gen << 32 | (i + 1);
			out[n].exp = s->file->exp;
			out[n].oflags = s->file->oflags;
			out[n].claimed = s->file->claimed;
		}
		n++;
	}
	pthread_mutex_unlock(&vm->lock);
	return n;
}
