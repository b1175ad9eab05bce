/* SPDX-License-Identifier: MIT */
/*
 * A VM's guest RAM as the daemon maps it, refcounted: the session holds
 * one reference while the guest runs, and every call holds one from the
 * moment it is taken from the guest until it is answered, so a reset that
 * maps the RAM again never pulls memory from under a call.
 */
#ifndef DEVCALL_RAM_MAP_H
#define DEVCALL_RAM_MAP_H

#include "guest_ram.h"

struct ram_map {
	struct guest_ram ram;		/* .gm: what calls translate with */
	unsigned int refs;		/* atomic */
};

/*
 * Map QEMU's RAM backing file at path as QEMU lays it out for machine
 * ("q35" or "pc"), after guest_ram_open()'s checks (no symlink, a regular
 * file of QEMU's user, alone in a private directory, of the configured
 * size). If the file is truncated under us, the mapping turns into zero
 * pages and event_fd is written (guest_ram.h): only this VM breaks. One
 * reference. 0 or -errno.
 */
int ram_map_open(struct ram_map **out, const char *path, const char *machine,
		 const char *vm_name, const struct guest_ram_policy *policy,
		 int event_fd);

/*
 * memory = auto: map the backends QEMU's QMP monitor named (ram, in
 * guest-physical order), taken from QEMU's fd table (pid: the peer of
 * the VM's ivshmem socket) after ram_discover_open()'s checks. policy's
 * size, if set, must be their total. One reference. 0 or -errno.
 */
struct qmp_ram;
int ram_map_discover(struct ram_map **out, pid_t pid,
		     const struct qmp_ram *ram, const char *machine,
		     const char *vm_name, const struct guest_ram_policy *policy,
		     int event_fd);

void ram_map_get(struct ram_map *m);
void ram_map_put(struct ram_map *m);

#endif /* DEVCALL_RAM_MAP_H */
