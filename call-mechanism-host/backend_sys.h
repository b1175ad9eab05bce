/* SPDX-License-Identifier: MIT */
/*
 * The sys backend's classification of host nodes (backend_sys.c): which
 * drivers' read/write payloads carry addresses, so that read and write on
 * them are refused with EOPNOTSUPP while their ioctls keep working.
 */
#ifndef DEVCALL_BACKEND_SYS_H
#define DEVCALL_BACKEND_SYS_H

/*
 * The driver name if a character device with this number, or this name
 * under /dev (sysfs DEVNAME, e.g. "bsg/0:0:0:0"; NULL or "" for unknown),
 * takes addresses in its read/write payloads; else NULL.
 */
const char *backend_sys_rw_pointers(unsigned int major, unsigned int minor,
				    const char *devname);

/* Where sysfs is ("/sys"; NULL restores it). For tests. */
void backend_sys_set_sysfs_root(const char *root);

#endif /* DEVCALL_BACKEND_SYS_H */
