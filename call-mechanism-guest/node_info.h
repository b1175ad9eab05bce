/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The guest's reading of one node table entry (devcall_abi.h): how a
 * frontend names, protects and numbers an export's node. Plain C with no
 * kernel calls, so the same file builds into devcall.ko and into a
 * userspace unit test against the host's encoding.
 */
#ifndef DEVCALL_NODE_INFO_H
#define DEVCALL_NODE_INFO_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <asm/byteorder.h>
#else
#include <endian.h>
#include <linux/types.h>
#ifndef le32_to_cpu
#define le32_to_cpu le32toh
#endif
#endif

#include "devcall_abi.h"

/* The table's entry, checked, or the defaults when the host has none. */
struct devcall_node_info {
	char name[DEVCALL_NODE_NAME_MAX];	/* under /dev, never empty */
	char aliases[DEVCALL_NODE_ALIASES_MAX];	/* checked paths, ','-joined */
	char owner[DEVCALL_NODE_USER_MAX];	/* names for udev; may be "" */
	char group[DEVCALL_NODE_USER_MAX];
	__u32 flags;			/* DEVCALL_NODE_F_* */
	__u32 mode;			/* DEVCALL_NODE_F_MODE: 0..0777 */
	__u32 uid, gid;			/* DEVCALL_NODE_F_UID, _GID */
	__u32 host_type;		/* enum devcall_host_type */
	__u32 host_major, host_minor;
	__u32 devnum_major, devnum_minor;	/* DEVCALL_NODE_F_DEVNUM */
};

/* What devcall_node_parse() dropped, for the caller to log. */
#define DEVCALL_NODE_BAD_ID	(1u << 0)	/* entry of another export */
#define DEVCALL_NODE_BAD_NAME	(1u << 1)	/* default name kept */
#define DEVCALL_NODE_BAD_ALIAS	(1u << 2)	/* that alias left out */
#define DEVCALL_NODE_BAD_USER	(1u << 3)	/* owner or group name */

/*
 * A path under /dev the host may give: components of [A-Za-z0-9_.+-],
 * none "." or "..", joined by single slashes, below DEVCALL_NODE_NAME_MAX.
 */
int devcall_node_path_ok(const char *s);

/*
 * Fill n for export (name, id) from the host's entry cfg (NULL: no
 * table; defaults). cfg is the caller's private copy, its strings not
 * necessarily terminated. Returns the DEVCALL_NODE_BAD_* of what it
 * dropped; what it keeps is safe to use as /dev paths and udev values.
 */
unsigned int devcall_node_parse(struct devcall_node_info *n,
				const char *name, __u32 id,
				const struct devcall_config_node *cfg);

#endif /* DEVCALL_NODE_INFO_H */
