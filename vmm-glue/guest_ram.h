/* SPDX-License-Identifier: MIT */
/*
 * A VM's RAM file, opened and mapped safely. QEMU creates the file
 * (memory-backend-file, share=on) and may be anybody's: the daemon opens
 * it only in a private directory, only if it is a regular file of QEMU's
 * user with no other name, and survives the file being truncated under it.
 *
 * Truncation: pages of a shared file mapping past the file's end raise
 * SIGBUS on access, which would kill the daemon and every VM it serves.
 * A process-wide SIGBUS handler knows every mapped RAM range (a fixed
 * registry, published with atomics). A fault inside one replaces that
 * whole range with anonymous zero pages (mmap MAP_FIXED over it), marks
 * that RAM broken and writes the eventfd given at map time; the faulting
 * access is then retried and completes on the zero pages (reads see
 * zeros, writes go to scratch). Only that VM loses its RAM: its session
 * sees guest_ram_broken() or the eventfd and disconnects it. A SIGBUS
 * outside every registered range, or sent by kill(2), restores the
 * default action and is raised again: a real bug still crashes with a
 * core. (The handler replaces any earlier SIGBUS handler; devcalld has
 * none.)
 *
 * Why this is sound:
 * - mmap and write are plain system calls; neither takes a lock a thread
 *   interrupted by the fault could hold (glibc's mmap is a bare syscall
 *   wrapper). errno is saved and restored.
 * - The handler can never map over memory that is no longer the RAM:
 *   guest_ram_unmap() first takes the range out of the registry and waits
 *   for handlers that are still looking at it (a per-slot count, ordered
 *   against the state with sequentially consistent atomics), and only then
 *   unmaps; so an address is registered only while the RAM mapping owns
 *   it, and no handler still holds it once it can be reused.
 * - Replacing the mapping is idempotent: two threads faulting at once both
 *   map zero pages over it; either result is the same to the daemon,
 *   which treats guest memory as hostile and changing anyway.
 * - A system call that touches the truncated range (read(2) into guest
 *   RAM) gets EFAULT instead of a signal: the backend answers the guest
 *   with an error, as for any bad buffer.
 */
#ifndef DEVCALL_GUEST_RAM_H
#define DEVCALL_GUEST_RAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "guest_mem.h"

/* How many RAM mappings may exist at once (one per VM is in use). */
#define GUEST_RAM_MAX_MAPS	64

/* What a VM's RAM file must be. */
struct guest_ram_policy {
	uid_t owner;		/* QEMU's user; root is accepted too */
	uint64_t size;		/* exact size in bytes; 0: any size > 0 */
};

/* A mapped RAM file: translate through gm. */
struct guest_ram {
	struct guest_mem gm;
	int slot;		/* in the SIGBUS registry; -1: none */
};

/*
 * Open a RAM file for mapping. The directory holding it must be owned by
 * root or p->owner and give no access to group or others (mode & 077 ==
 * 0): nobody else can have placed, replaced or read the file. The file is
 * opened O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC (a symlink: -ELOOP),
 * then must pass guest_ram_check_fd() and have exactly one name (st_nlink
 * == 1: -EMLINK; a hard link made elsewhere could be kept and read).
 * Returns the descriptor or -errno; *why (if why) gets a reason for the
 * log on failure.
 */
int guest_ram_open(const char *path, const struct guest_ram_policy *p,
		   const char **why);

/*
 * Check a descriptor that is to be mapped as guest RAM (opened by
 * guest_ram_open() or handed over, e.g. QEMU's memfd): a regular file
 * (-EINVAL), owned by root or p->owner (-EPERM), at most one name
 * (-EMLINK; a memfd has none), and a size > 0 that equals p->size if that
 * is set (-EINVAL). On success *size (if size) is the file's size.
 */
int guest_ram_check_fd(int fd, const struct guest_ram_policy *p,
		       uint64_t *size, const char **why);

/*
 * Map fd (checked) with the given layout (guest_mem_map_fd()) and register
 * the mapping with the SIGBUS handler, which it installs on first use.
 * event_fd, if >= 0, is an eventfd written (1) when the RAM breaks; it
 * must stay open until guest_ram_unmap() returns. fd stays the caller's.
 * Returns 0, -ENOSPC (registry full) or -errno.
 */
int guest_ram_map(struct guest_ram *ram, int fd,
		  const struct guest_mem_layout_entry *layout,
		  unsigned int nr_entries, int event_fd);

/* The same for several files one after the other (guest_mem_map_fds()). */
int guest_ram_map_fds(struct guest_ram *ram, const int *fds, unsigned int nr,
		      const struct guest_mem_layout_entry *layout,
		      unsigned int nr_entries, int event_fd);

/*
 * True once the file was truncated under the mapping: every access since
 * has been served by zero pages. Cheap (one atomic load): poll it freely.
 */
bool guest_ram_broken(const struct guest_ram *ram);

/* Unregister, then unmap. Nobody may be using ram->gm any more. */
void guest_ram_unmap(struct guest_ram *ram);

/*
 * The private directory of a VM's RAM file: <ram_dir>/<vm>, mode 0700,
 * owned by qemu_uid:qemu_gid (QEMU creates the file in it). ram_dir is
 * created 0711 if missing and must be owned by root (or the daemon's
 * user) and writable by nobody else. An existing <ram_dir>/<vm> must
 * already be exactly that (owner, group and mode 0700), and not a
 * symlink: -ELOOP, -ENOTDIR, -EPERM otherwise. Returns 0 or -errno.
 */
int guest_ram_dir_prepare(const char *ram_dir, const char *vm,
			  uid_t qemu_uid, gid_t qemu_gid, const char **why);

/*
 * The default RAM file of a VM: "<ram_dir>/<vm>/ram" into buf. Returns 0
 * or -ENAMETOOLONG. devcall-vm computes the same path.
 */
int guest_ram_default_path(char *buf, size_t len, const char *ram_dir,
			   const char *vm);

#endif /* DEVCALL_GUEST_RAM_H */
