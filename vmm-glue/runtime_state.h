/* SPDX-License-Identifier: MIT */
/*
 * The runtime changes (devcallctl export add/remove, vm add/remove) kept
 * in a file of the daemon's run directory, so that a restarted daemon
 * serves the VMs and exports it was serving: a libvirt domain added by
 * the hook keeps its devices across `systemctl restart devcalld`. The
 * run directory lives as long as the VMs do (tmpfs, kept across a
 * restart by RuntimeDirectoryPreserve=restart), so the file never
 * outlives them: a reboot or a stop forgets the changes.
 *
 * The file is text, a line per change in the order they were made,
 * after a line naming the format:
 *
 *	devcall-runtime-changes 1
 *	vm-add alpha alpha,memory=auto /etc/devcall/libvirt/alpha.ini
 *	export-add alpha newx alpha:newx=/dev/zram1,access=ro
 *	export-remove alpha oldx
 *	vm-remove beta
 *
 * Fields are separated by one space and percent-encoded (every byte
 * outside '!'..'~', and '%'), so any string the control socket took
 * comes back as it was; a field of just "-" is an empty one (vm-add's
 * FILE when it has none), a value "-" is written "%2d". Not INI: inih's
 * lines end at 200 bytes, a field here may take 8 KiB.
 */
#ifndef DEVCALL_RUNTIME_STATE_H
#define DEVCALL_RUNTIME_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "devcall_abi.h"

/* At most this many changes are kept (devcallctl says so past it). */
#define MAX_RUNTIME_CHANGES	64

/* The file in the run directory. */
#define RUNTIME_STATE_FILE	"runtime-changes"

struct runtime_change {
	bool remove;
	bool is_vm;			/* a VM (vm add, remove), not an export */
	char vm[CONFIG_VM_NAME_MAX];
	char name[DEVCALL_NAME_MAX];
	char flag[2 * PATH_MAX];	/* add: the --export or --vm value */
	char file[PATH_MAX];		/* vm add: its --config file, or "" */
};

/*
 * Write the n changes to path, whole or not at all (a new file renamed
 * over the old one), mode 0600. 0, or -errno with the reason in err.
 */
int runtime_state_save(const char *path, const struct runtime_change *rc,
		       unsigned int n, char *err, size_t errlen);

/*
 * Read path into rc (at most max). No file: 0 changes. A file that is
 * not a regular file of this user, is writable by others, or does not
 * parse whole is refused: -errno with the reason in err, *n 0.
 */
int runtime_state_load(const char *path, struct runtime_change *rc,
		       unsigned int max, unsigned int *n, char *err,
		       size_t errlen);

#endif
