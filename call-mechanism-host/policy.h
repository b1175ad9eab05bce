/* SPDX-License-Identifier: MIT */
/*
 * What an export lets through to the host driver beyond its ioctl
 * layouts: raw SCSI and its CDB opcode filter, partition-table ioctls,
 * integer ioctl arguments, the host's O_EXCL claim. The dispatcher asks;
 * docs/config.md and docs/security-exports.md say what each grants.
 */
#ifndef DEVCALL_POLICY_H
#define DEVCALL_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "ioctl_layout.h"
#include "ptr_rewrite.h"

struct vm;

#define POLICY_CDB_MAX	16

/* SG_IO, CDROM_SEND_PACKET, SCSI_IOCTL_SEND_COMMAND: commands to the
 * device itself, only on `scsi = passthrough` exports. */
bool policy_raw_scsi(uint32_t cmd);

/* The raw SCSI ioctls policy_scsi_check() can filter (SG_IO and
 * CDROM_SEND_PACKET); the others are refused even on passthrough. */
bool policy_scsi_filtered(uint32_t cmd);

/* BLKPG, BLKRRPART: only on `host-partitions = allow` exports. */
bool policy_host_partitions(uint32_t cmd);

/*
 * Tun ioctls that create host network interfaces or change who owns
 * them and how they live: only on `host-network = allow` exports.
 */
bool policy_host_network(uint32_t cmd);

/*
 * Ioctls no export's policy lets through (not even an allow entry): why,
 * for the log, or NULL. KVM_SET_USER_MEMORY_REGION (its userspace_addr
 * would be a daemon address) and KVM_RUN (needs the vCPU's mmap).
 */
const char *policy_never(uint32_t cmd);

/*
 * Could v, given to a driver as an integer ioctl argument, be an address
 * in the daemon? Then it is refused: a driver taking it as a pointer
 * would read or write the daemon's memory. See policy.c for the proof.
 */
bool policy_int_arg_is_address(uint64_t v);

/*
 * Reserve the daemon's address space below 2 GiB (from mmap_min_addr),
 * so integers there are proven not to be addresses of daemon memory.
 * Once, at start, before threads. 0, or -errno (then the check stays
 * strict).
 */
int policy_reserve_low_addresses(void);

/* The layout an `allow` entry for cmd states, in *out; false if none. */
bool policy_allow_layout(const struct ioctl_policy *pol, uint32_t cmd,
			 struct ioctl_layout *out);

/*
 * The CDB filter of a passthrough export, after rewrite_prepare() and
 * before the driver. SG_IO: the CDB is copied once into cdb (which must
 * outlive the driver call) and the host argument points there, so the
 * guest cannot change the opcode after the check. Returns 0: call the
 * driver; 1: answered without it (SG_IO: CHECK CONDITION, ILLEGAL
 * REQUEST, invalid command operation code, the ioctl succeeds); or a
 * negative errno (CDROM_SEND_PACKET refused: -EPERM, as the kernel's own
 * command filter answers). Logs one line per refusal.
 */
int policy_scsi_check(struct rewrite_ctx *ctx, const struct export *exp,
		      uint32_t cmd, uint8_t cdb[POLICY_CDB_MAX],
		      const struct vm *vm);

/*
 * O_EXCL on a block node takes the host kernel's exclusive claim (the
 * host can no longer mount or open it exclusively): kept only with
 * `host-exclusive = allow`. true: drop it from the host open.
 */
bool policy_drop_excl(const struct export *exp);

#endif /* DEVCALL_POLICY_H */
