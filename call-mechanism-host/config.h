/* SPDX-License-Identifier: MIT */
/*
 * Daemon configuration: VMs and the host nodes each may open (exports),
 * from an INI file (libinih) and from command-line flags, which build the
 * same structures. See docs/config.md for the format.
 */
#ifndef DEVCALL_CONFIG_H
#define DEVCALL_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "devcall_abi.h"

#define CONFIG_MAX_VMS		16
#define CONFIG_MAX_EXPORTS	64	/* per VM */
#define CONFIG_MAX_IOCTL_LIST	64
#define CONFIG_VM_NAME_MAX	32

struct backend_ops;

/* What an `allow` entry says the argument of its ioctl is. */
enum ioctl_arg_kind {
	IOCTL_ARG_NONE = 1,	/* no argument: the driver gets 0 */
	IOCTL_ARG_INT,		/* an integer by value */
	IOCTL_ARG_IN,		/* size flat bytes the driver reads */
	IOCTL_ARG_OUT,		/* size flat bytes the driver writes */
	IOCTL_ARG_INOUT,	/* both */
};

struct ioctl_allow {
	uint32_t cmd;
	uint32_t size;		/* IN/OUT/INOUT: bytes, 1..LAYOUT_ARG_MAX */
	enum ioctl_arg_kind kind;
};

struct ioctl_policy {
	unsigned int nr_allow;	/* allowed without a layout, as stated */
	struct ioctl_allow allow[CONFIG_MAX_IOCTL_LIST];
	unsigned int nr_deny;	/* refused whatever else says */
	uint32_t deny[CONFIG_MAX_IOCTL_LIST];
};

/* What the guest makes of an export (`guest-type`). */
enum export_guest_type {
	EXPORT_GUEST_AUTO = 0,	/* block if the host node is a block device */
	EXPORT_GUEST_CHAR,	/* a node whose file operations are forwarded */
	EXPORT_GUEST_BLOCK,	/* a guest disk (DEVCALL_EXPORT_F_BLOCK) */
};

struct export {
	uint32_t id;			/* 1.., unique within its VM */
	char name[DEVCALL_NAME_MAX];	/* [A-Za-z0-9_.-]+ */
	char path[PATH_MAX];		/* host node (or a plugin's image) */
	bool read_only;
	bool exclusive;			/* one opener across all VMs */
	char backend_name[32];
	const struct backend_ops *backend;	/* resolved at load */
	char backend_opts[256];		/* free-form, for plugins */
	char script[256];		/* backend = script: its rules */
	char record[256];		/* and where it records calls */
	struct ioctl_policy ioctl;
	/* Raw SCSI (SG_IO, CDROM_SEND_PACKET): off unless `scsi =
	 * passthrough`; then only CDB opcodes set in scsi_opcodes. */
	bool scsi_passthrough;		/* kept: CAP_SYS_RAWIO (privilege.c) */
	bool scsi_opcodes_set;		/* scsi-opcodes given */
	uint8_t scsi_opcodes[32];	/* bit n: opcode n allowed */
	bool host_partitions;		/* BLKPG, BLKRRPART reach the host:
					 * kept CAP_SYS_ADMIN (privilege.c) */
	bool host_network;		/* TUNSETIFF & co. create or change host
					 * interfaces: kept CAP_NET_ADMIN */
	bool host_exclusive;		/* O_EXCL on a block node reaches it */
	uint64_t max_size;		/* regular files: 0 = size at first
					 * open, CONFIG_GROW = unlimited */
	enum export_guest_type guest_type;	/* as configured */
	bool guest_block;		/* resolved by config_finish: the
					 * guest makes a disk of it */
	/* The guest's node (guest-name, guest-alias, guest-mode,
	 * guest-owner, guest-group, guest-devnum): see docs/config.md. */
	char guest_name[DEVCALL_NODE_NAME_MAX];	/* "": devcall/NAME */
	char guest_alias[DEVCALL_NODE_ALIASES_MAX]; /* comma-separated */
	uint32_t node_flags;		/* DEVCALL_NODE_F_* */
	uint32_t guest_mode;
	uint32_t guest_uid, guest_gid;
	bool devnum_host;		/* guest-devnum = host */
	uint32_t devnum_major, devnum_minor;	/* DEVCALL_NODE_F_DEVNUM */
	char guest_owner[DEVCALL_NODE_USER_MAX];	/* by name: udev */
	char guest_group[DEVCALL_NODE_USER_MAX];
	/* Set by config_finish from the host path. */
	enum devcall_host_type host_type;
	uint32_t host_major, host_minor;
	/* The sys backend's record of that size, plus one (0: none yet).
	 * Written once, atomically, at the first open; the only field
	 * that changes after config_finish(). */
	uint64_t first_size_plus1;
};

#define CONFIG_GROW	UINT64_MAX

/* Is CDB opcode op allowed on exp (a passthrough export)? */
static inline bool export_scsi_opcode_ok(const struct export *exp,
					 uint8_t op)
{
	return exp->scsi_opcodes[op >> 3] & (1u << (op & 7));
}

/*
 * Where config_finish() looks up block devices (MAJ:MIN/partition,
 * MAJ:MIN/dm). "/sys/dev/block"; tests point it at a fake tree.
 */
extern const char *config_sysfs_dev_block;

struct vm_limits {
	unsigned int max_open;		/* open handles */
	unsigned int max_inflight;	/* requests being served */
	uint32_t max_request_bytes;	/* data moved by one request */
	unsigned int max_calls;		/* calls queued, running or parked */
	uint64_t max_call_bytes;	/* daemon memory those calls hold */
	unsigned int workers;		/* threads serving this VM only */
	unsigned int poll_us;		/* adaptive ring polling, at most; 0 off */
};

struct vm_config {
	char name[CONFIG_VM_NAME_MAX];
	char socket_path[PATH_MAX];	/* ivshmem server socket */
	char qmp_path[PATH_MAX];	/* QMP events socket QEMU connects to */
	char memory_path[PATH_MAX];	/* guest RAM backing file */
	uint64_t memory_size;		/* exact size it must have; 0: any */
	bool memory_auto;		/* memory = auto: ask QEMU (QMP) */
	char machine[16];		/* "pc" or "q35" */
	struct vm_limits limits;
	bool workers_set;		/* limits.workers given for this VM */
	unsigned int nr_exports;
	struct export exports[CONFIG_MAX_EXPORTS];
};

/*
 * [daemon] settings that are about who may reach what: QEMU's user and
 * the group of the sockets (names resolved by config_finish), the mode of
 * the sockets, and where the private RAM directories are.
 */
struct daemon_config {
	char ram_dir[PATH_MAX];		/* default /dev/shm/devcall */
	char qemu_user[64];		/* default "root" */
	char socket_group[64];		/* "": none (see config_finish) */
	char control_group[64];		/* "": root and the daemon only */
	mode_t socket_mode;		/* 0: not set (see config_finish) */
	/* Set by config_finish: */
	uid_t qemu_uid;
	gid_t qemu_gid;			/* qemu-user's primary group */
	gid_t socket_gid;		/* (gid_t)-1: no group */
	gid_t control_gid;		/* (gid_t)-1: no group */
};

struct config {
	struct daemon_config daemon;
	unsigned int nr_vms;
	struct vm_config vms[CONFIG_MAX_VMS];
	char plugins[8][PATH_MAX];
	unsigned int nr_plugins;
	char user[64];			/* [daemon] user: run as (empty: stay) */
	char group[64];			/* [daemon] group (empty: user's) */
	bool seccomp_off;		/* [daemon] seccomp = off, --no-seccomp */
	bool live_vms;			/* [daemon] live-vms = yes: keep what
					 * VMs added at run time need */
	char layouts[PATH_MAX];		/* [daemon] layouts: a layout file */
};

/* Defaults for a VM's limits. */
void config_default_limits(struct vm_limits *limits);

/* An empty configuration. */
void config_init(struct config *cfg);

/*
 * Load an INI file into cfg (adding to what is there). On error returns
 * -EINVAL (or -errno for I/O) and writes "FILE:LINE: problem" to err.
 */
int config_load_file(struct config *cfg, const char *path, char *err,
		     size_t errlen);

/*
 * Apply one command-line flag (--vm, --export, --plugin, and the [daemon]
 * keys as --ram-dir, --socket-group, --socket-mode, --qemu-user) with its
 * value. Same validation and messages as the file, naming the flag.
 */
int config_apply_flag(struct config *cfg, const char *flag, const char *value,
		      char *err, size_t errlen);

/*
 * Final checks after everything is loaded: resolve backends, unique names
 * and ids, required fields; resolve qemu-user and socket-group (an
 * unknown name is an error). Without socket-group, a qemu-user other than
 * root makes its primary group the socket group (QEMU must reach its
 * sockets). socket-mode defaults to 0660 with a group, else 0600.
 * 0 or -EINVAL with a message.
 */
int config_finish(struct config *cfg, char *err, size_t errlen);

struct vm_config *config_find_vm(struct config *cfg, const char *name);

/* Is s (shorter than max) a path under /dev a guest node may have? */
bool config_node_path_ok(const char *s, size_t max);

#endif /* DEVCALL_CONFIG_H */
