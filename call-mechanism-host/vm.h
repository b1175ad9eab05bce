/* SPDX-License-Identifier: MIT */
/*
 * Per-VM state of the host call mechanism: the VM's exports and limits, its
 * table of open host files (handles), requests in flight, and the
 * daemon-wide registry of exclusive claims that all VMs share.
 */
#ifndef DEVCALL_VM_H
#define DEVCALL_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "callstats.h"
#include "config.h"
#include "guest_mem.h"
#include "log.h"
#include "waitset.h"

/* Daemon-wide state shared by every VM: exclusive claims. */
struct host;

struct host *host_create(void);
void host_destroy(struct host *host);

/* Requests waiting for host files, for every VM of the host (waitset.h). */
struct waitset *host_waitset(struct host *host);

struct vm;

/*
 * A VM served under cfg (which must outlive the VM). gm is the VM's guest
 * memory map (may be NULL until set; the VM does not own it).
 */
struct vm *vm_create(struct host *host, const struct vm_config *cfg);
void vm_set_memory(struct vm *vm, const struct guest_mem *gm);
const struct guest_mem *vm_memory(const struct vm *vm);
const struct vm_config *vm_config(const struct vm *vm);
const char *vm_name(const struct vm *vm);
struct host *vm_host(const struct vm *vm);

/* The VM as owner of requests in its host's wait set (waitset_park()). */
struct waitset_owner *vm_waitset_owner(struct vm *vm);

/*
 * The VM is gone (QEMU disconnected, reset): start a new epoch, cancel its
 * waiting requests, close every host file it had open and release its
 * exclusive claims. Requests still running close theirs when they finish;
 * requests of the old epoch are answered -ECANCELED without touching the
 * guest's RAM, and a file they open is refused by the handle table. The
 * VM can be served again afterwards (a reset guest).
 */
void vm_reset(struct vm *vm);

/* The VM's epoch: bumped by every vm_reset(). */
uint32_t vm_epoch(struct vm *vm);

/*
 * Per-VM budget of calls queued, running or parked, and of the daemon
 * memory they hold (limits.max_calls, limits.max_call_bytes). Take before
 * a call allocates anything; give back exactly what was taken when it
 * ends. -EAGAIN over either limit.
 */
int vm_budget_take(struct vm *vm, size_t bytes);
void vm_budget_give(struct vm *vm, size_t bytes);
void vm_budget_usage(struct vm *vm, unsigned int *calls, size_t *bytes);

/*
 * A log line a guest can provoke: prefixed with the VM's name and rate
 * limited per VM (log.h), so one guest can neither flood the log nor push
 * another VM's lines out of it.
 */
void vm_log(const struct vm *vm, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define vm_warn(vm, ...)	vm_log(vm, LOG_WARN, __VA_ARGS__)

/*
 * The VM's exports. At first those of its vm_config; a reload changes
 * them (vm_exports_reload()). Pointers stay valid while the VM lives.
 */

/* The export with this id, or NULL (none, or removed by a reload). */
const struct export *vm_export_by_id(struct vm *vm, uint32_t id);

/*
 * The current exports, CONFIG_MAX_EXPORTS at most, into out; their
 * number. gen (may be NULL): bumped by every reload that changed them.
 */
unsigned int vm_exports(struct vm *vm, const struct export **out,
			uint32_t *gen);

struct vm_reload_stats {
	unsigned int added;	/* new ids (new or changed exports) */
	unsigned int removed;	/* ids gone (removed or changed) */
	unsigned int closed;	/* open files of removed exports closed */
};

/*
 * Make the VM's exports those of ncfg (validated by config_finish()).
 * Matched by name: one whose settings are unchanged keeps its id and its
 * open files; a new one, or a changed one, gets an id past any the VM
 * ever had (ids are never reused); an export gone (or changed) has its
 * open files closed: their handles answer -ENXIO, their parked calls end
 * with -ENXIO, their exclusive claims go with the last reference (a call
 * running on one holds it until it is done). ncfg is copied: the caller
 * may free it. Limits and other VM settings are not changed. 0 or
 * -ENOMEM (nothing changed).
 */
int vm_exports_reload(struct vm *vm, const struct vm_config *ncfg,
		      struct vm_reload_stats *st);

/*
 * What a request on a handle vm_file_get() did not find gets: -ENXIO if
 * a reload removed its export, else -EBADF.
 */
int vm_handle_error(struct vm *vm, uint64_t handle);

/* vm_reset() and free. */
void vm_destroy(struct vm *vm);

/* Open handles right now (tests, leak checks). */
unsigned int vm_open_count(struct vm *vm);

/* Requests being served right now. */
unsigned int vm_inflight_count(struct vm *vm);

/* The VM's call counters (callstats.h); lives as long as the VM. */
struct callstats *vm_callstats(struct vm *vm);

/* One open handle, as `devcallctl status` shows it. */
struct vm_open_info {
	uint64_t handle;
	const struct export *exp;	/* never freed while the VM lives */
	int oflags;
	bool claimed;			/* holds its export's exclusive claim */
};

/* The VM's open handles, at most max into out; how many there are. */
unsigned int vm_open_files(struct vm *vm, struct vm_open_info *out,
			   unsigned int max);

/*
 * For the dispatcher.
 */

/* Count a request in; -EAGAIN past the VM's max_inflight. */
int vm_request_begin(struct vm *vm);
void vm_request_end(struct vm *vm);

/* An open host file, shared by the requests using it. */
struct open_file {
	const struct export *exp;
	void *priv;			/* the backend's */
	struct backend_file_info info;
	int oflags;			/* host open(2) flags it was opened with */
	bool claimed;			/* holds the export's exclusive claim */
	struct claim_key {
		uint64_t dev, ino;
	} claim;
	unsigned int refs;		/* under the VM's lock */
	struct waitset_file wait;	/* its waiters, if any */
};

/*
 * Exclusive claims on host nodes, across every VM of the host. The key
 * names the node (st_rdev for device nodes, else st_dev and st_ino).
 * -EBUSY if anyone holds it; -ENOENT etc. if the path cannot be stat'ed.
 */
int host_claim(struct host *host, const char *path, struct claim_key *key);
void host_release(struct host *host, const struct claim_key *key);

/*
 * Enter an opened file into the handle table (taking over its reference)
 * and return its handle; -EMFILE past the VM's max_open, -ECANCELED if
 * the VM was reset since epoch (the OPEN that opened it belongs to a VM
 * that is gone: the caller closes it and releases its claim).
 */
int vm_file_add(struct vm *vm, struct open_file *f, uint32_t epoch,
		uint64_t *handle);

/* The file behind handle with a reference held, or NULL (-EBADF). */
struct open_file *vm_file_get(struct vm *vm, uint64_t handle);

/* Drop a reference; the last one closes the backend file and the claim. */
void vm_file_put(struct vm *vm, struct open_file *f);

/* Remove handle from the table (CLOSE). 0 or -EBADF. */
int vm_file_remove(struct vm *vm, uint64_t handle);

#endif /* DEVCALL_VM_H */
