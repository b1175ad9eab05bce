/* SPDX-License-Identifier: MIT */
/*
 * Least privilege: once everything that needs root is set up, devcalld
 * keeps only what its configured exports need, optionally as another user,
 * and under a seccomp filter of the system calls (and ioctl numbers) it
 * can make while serving guests.
 *
 * What the daemon does after start-up, and what each needs:
 *
 * - Open an exported node when a guest asks (backend open). No capability:
 *   as uid 0 without CAP_DAC_OVERRIDE the owner bits of a root-owned node
 *   apply (/dev/sda is root:disk 0660, so root may open it); as another
 *   user, that user needs group access to the node (groups disk, cdrom,
 *   tape: supplementary groups come from the user's, initgroups(3)).
 *   Nodes owned by somebody else with no group access are not opened.
 * - Raw SCSI through SG_IO: the kernel filters the command set of
 *   unprivileged callers (scsi_cmd_allowed) and refuses SG_IO on a
 *   partition; vendor commands (cdrecord's) need CAP_SYS_RAWIO. Kept only
 *   if an export says `scsi = passthrough`.
 * - Host partition changes (BLKPG, BLKRRPART) need CAP_SYS_ADMIN. Kept
 *   only if an export says `host-partitions = allow`.
 * - Map guest RAM: QEMU's memory-backend-file, opened read-write when the
 *   guest starts its queue. When QEMU runs as another user, give the file
 *   a group the daemon's user is in, mode 0660 (create it before QEMU, or
 *   QEMU's umask), rather than keeping CAP_DAC_OVERRIDE for every file.
 * - Accept QEMU's ivshmem and QMP connections, pass eventfds (SCM_RIGHTS),
 *   ask SO_PEERCRED, talk to the fd keeper over its open socket: the
 *   listening sockets exist already; none of this needs a capability.
 * - A VM added at run time (a reload, devcallctl vm add): its listening
 *   Unix sockets and shared memory; a socket group takes CAP_CHOWN
 *   (kept with [daemon] live-vms = yes, as memory = auto's two are).
 * - Nothing else: no other sockets, no exec, no fork (the fd keepers were
 *   forked before; they keep root, and only hold descriptors).
 *
 * The seccomp filter's default action traps (SIGSYS): a handler writes one
 * line to stderr (async-signal-safe) and makes the call return -EPERM. A
 * plugin that makes a forbidden call sees it fail and the daemon keeps
 * serving every VM; killing the process instead would end every other
 * guest's service for one plugin's mistake. The trapped call never runs
 * whatever the handler does, so trapping execve or ptrace contains no
 * less than killing would; they are trapped too. (If SIGSYS is blocked
 * in the calling thread, the kernel kills the process instead.)
 */
#ifndef DEVCALL_PRIVILEGE_H
#define DEVCALL_PRIVILEGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;

/*
 * Numbers a classic BPF program (4096 instructions) has room for: libseccomp
 * spends about one instruction per number. The built-in layouts take
 * about 420; the rest is for registered layouts and allow entries.
 */
#define PRIVILEGE_MAX_IOCTLS	1024

/* The capabilities a configuration needs, and why, for the log. */
struct privilege_caps {
	uint64_t mask;		/* 1ull << CAP_* */
	char why[256];		/* "cap_sys_rawio (export a/cd: ...)" */
};

/* The ioctl numbers the daemon may make with a configuration. */
#define PRIVILEGE_MAX_IOCTL_FAMILIES 64

struct privilege_ioctls {
	unsigned int nr;
	uint32_t cmd[PRIVILEGE_MAX_IOCTLS];	/* sorted, unique */
	/* Families (EVIOCGNAME(len)): any _IOC_SIZE, up to the layout's. */
	unsigned int nr_fam;
	uint32_t fam[PRIVILEGE_MAX_IOCTL_FAMILIES]; /* size bits clear */
};

/* Which capabilities cfg's exports need (none for most). */
void privilege_caps_compute(const struct config *cfg,
			    struct privilege_caps *out);

/*
 * Every number cfg can forward: built-in and plugin layouts (so call after
 * plugins are loaded), every export's allow list, the daemon's own. 0, or
 * -E2BIG past PRIVILEGE_MAX_IOCTLS.
 */
int privilege_ioctls_build(const struct config *cfg,
			   struct privilege_ioctls *out);

/*
 * May a reload change the exports of started (what privilege_drop() was
 * given) to those of next? Capabilities dropped and the seccomp filter
 * cannot grow: -EPERM, with the reason in why, if next needs a
 * capability or (with seccomp) an ioctl number started did not.
 */
int privilege_reload_check(const struct config *started,
			   const struct config *next, char *why, size_t len);

/*
 * May a VM be added now (a reload, devcallctl vm add) to the daemon
 * started with started? After privilege_drop(): not with a default RAM
 * directory (made for QEMU's user as root), nor with a socket group
 * unless cap_chown was kept ([daemon] live-vms = yes). 0, or -EPERM with
 * the reason in why. Capabilities and ioctls: privilege_reload_check().
 */
struct vm_config;
int privilege_vm_add_check(const struct config *started,
			   const struct vm_config *vm, char *why, size_t len);

/*
 * Install the SIGSYS handler and the seccomp filter (all threads, TSYNC)
 * allowing the daemon's system calls and ioctls' numbers. 0 or -errno.
 */
int privilege_seccomp_install(const struct privilege_ioctls *ioctls);

/*
 * The one call devcalld makes, after sockets, keepers, plugins and the run
 * directory exist and before any worker thread: no new privileges, switch
 * to cfg->user/cfg->group, keep only privilege_caps_compute()'s
 * capabilities (bounding set too), then the filter unless
 * cfg->seccomp_off. Logs what it kept. 0 or -errno (do not run on).
 */
int privilege_drop(const struct config *cfg);

#endif /* DEVCALL_PRIVILEGE_H */
