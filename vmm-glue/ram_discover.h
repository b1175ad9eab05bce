/* SPDX-License-Identifier: MIT */
/*
 * memory = auto: open a running QEMU's guest RAM without a path in the
 * configuration. QEMU's QMP monitor names the backends (qmp_events.h:
 * ids, sizes, mem-paths); the files themselves are taken from QEMU's own
 * descriptor table, /proc/<pid>/fd/<n>, with pid the peer of the VM's
 * ivshmem connection (SO_PEERCRED). A file is accepted only if
 *  - that process holds it open and maps it shared (/proc/<pid>/maps,
 *    the same device and inode) over at least the backend's size,
 *  - a file backend's descriptor names exactly its mem-path and has one
 *    name; a memfd backend's is a memfd ("/memfd:" name, no link, seals
 *    answered),
 *  - and guest_ram_check_fd() passes: a regular file of root or QEMU's
 *    user, of exactly the size QEMU reports.
 * Reading another user's /proc/<pid>/maps and fd table takes
 * CAP_SYS_PTRACE (ptrace read access) and CAP_DAC_OVERRIDE (the fd
 * directory is QEMU's, 0500; the file 0600 or 0644): devcalld keeps both
 * when a VM has memory = auto (privilege.c). Its seccomp filter still
 * refuses ptrace(2) and process_vm_readv(2).
 */
#ifndef DEVCALL_RAM_DISCOVER_H
#define DEVCALL_RAM_DISCOVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "guest_ram.h"
#include "qmp_events.h"

/* One line of /proc/<pid>/maps. */
struct maps_entry {
	uint64_t start, end;
	bool shared;			/* 's' in the permissions */
	unsigned int dev_major, dev_minor;
	uint64_t ino;
	const char *path;		/* into the line; "" if none */
};

/*
 * Parse one maps line (a trailing newline is cut off: line is changed).
 * 0, or -EINVAL for anything not in the kernel's format.
 */
int ram_discover_parse_maps_line(char *line, struct maps_entry *e);

/*
 * Open the backends of ram in pid, in ram's order, into fds[ram->nr]
 * (checked as above, O_RDWR | O_CLOEXEC). 0, or -errno with *why set
 * and nothing left open.
 */
int ram_discover_open(pid_t pid, const struct qmp_ram *ram,
		      const struct guest_ram_policy *p, int *fds,
		      const char **why);

#endif /* DEVCALL_RAM_DISCOVER_H */
