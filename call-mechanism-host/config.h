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

#include "devcall_abi.h"

#define CONFIG_MAX_VMS		16
#define CONFIG_MAX_EXPORTS	64	/* per VM */
#define CONFIG_MAX_IOCTL_LIST	64
#define CONFIG_VM_NAME_MAX	32

struct backend_ops;

enum ioctl_mode {
	IOCTL_MODE_KNOWN = 0,	/* default: only ioctls with a layout */
	IOCTL_MODE_IOC,		/* also any well-formed _IOC number */
};

struct ioctl_policy {
	enum ioctl_mode mode;
	unsigned int nr_allow;	/* allowed without a layout: by _IOC bits,
				 * else as an integer argument */
	uint32_t allow[CONFIG_MAX_IOCTL_LIST];
	unsigned int nr_deny;	/* refused whatever else says */
	uint32_t deny[CONFIG_MAX_IOCTL_LIST];
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
	struct ioctl_policy ioctl;
	bool scsi_passthrough;		/* scsi = passthrough: CAP_SYS_RAWIO */
	bool host_partitions;		/* host-partitions = allow: CAP_SYS_ADMIN */
};

struct vm_limits {
	unsigned int max_open;		/* open handles */
	unsigned int max_inflight;	/* requests being served */
	uint32_t max_request_bytes;	/* data moved by one request */
};

struct vm_config {
	char name[CONFIG_VM_NAME_MAX];
	char socket_path[PATH_MAX];	/* ivshmem server socket */
	char qmp_path[PATH_MAX];	/* QMP events socket QEMU connects to */
	char memory_path[PATH_MAX];	/* guest RAM backing file */
	uint64_t memory_size;
	char machine[16];		/* "pc" or "q35" */
	struct vm_limits limits;
	unsigned int nr_exports;
	struct export exports[CONFIG_MAX_EXPORTS];
};

struct config {
	unsigned int nr_vms;
	struct vm_config vms[CONFIG_MAX_VMS];
	char plugins[8][PATH_MAX];
	unsigned int nr_plugins;
	char user[64];			/* [daemon] user: run as (empty: stay) */
	char group[64];			/* [daemon] group (empty: user's) */
	bool seccomp_off;		/* [daemon] seccomp = off, --no-seccomp */
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
 * Apply one command-line flag (--vm, --export ...; see config.c) with its
 * value. Same validation and messages as the file, naming the flag.
 */
int config_apply_flag(struct config *cfg, const char *flag, const char *value,
		      char *err, size_t errlen);

/*
 * Final checks after everything is loaded: resolve backends, unique names
 * and ids, required fields. 0 or -EINVAL with a message.
 */
int config_finish(struct config *cfg, char *err, size_t errlen);

struct vm_config *config_find_vm(struct config *cfg, const char *name);

#endif /* DEVCALL_CONFIG_H */
