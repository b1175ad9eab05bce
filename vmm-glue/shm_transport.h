/* SPDX-License-Identifier: MIT */
/*
 * The devcall virtio transport in ivshmem shared memory: the register
 * block (abi/devcall_ivshmem.h), the command mailbox the guest driver
 * rings, the device configuration (the VM's exports) and the heartbeat.
 * It activates the device behind it with guest memory and a queue, and
 * resets it, as a virtio transport does (crosvm's activate/reset); it
 * never sees a request.
 */
#ifndef DEVCALL_SHM_TRANSPORT_H
#define DEVCALL_SHM_TRANSPORT_H

#include <stdint.h>

#include "config.h"
#include "log.h"
#include "vm.h"
#include "devcall_ivshmem.h"

struct shm_device_ops {
	/*
	 * The driver enabled queue q with these rings: map guest RAM and
	 * serve the queue. 0, or a positive errno for the mailbox result;
	 * EINPROGRESS leaves the command unanswered (the guest driver waits
	 * up to 3 s) until shm_transport_mailbox() is called again.
	 */
	int (*queue_enable)(void *ctx, unsigned int q, uint32_t num,
			    uint64_t desc, uint64_t avail, uint64_t used);
	/* Stop serving queue q. */
	void (*queue_reset)(void *ctx, unsigned int q);
	/* The driver reset the device (status 0): back to power-on. */
	void (*reset)(void *ctx);
	/* Raise MSI-X vector vec. */
	void (*interrupt)(void *ctx, unsigned int vec);
};

struct shm_transport {
	struct devcall_shm_regs *regs;	/* mapped shared memory */
	const struct vm_config *cfg;
	struct vm *vm;			/* whose exports are the config */
	const struct shm_device_ops *dev;
	void *ctx;
	uint32_t cmd_seq_done;
	char log_prefix[8 + CONFIG_VM_NAME_MAX];
	struct log_ratelimit log_rl;	/* what the guest's driver provokes */
};

/*
 * Map the shared memory (shm_fd, DEVCALL_SHM_SIZE bytes) and publish a
 * device: registers at power-on, the exports as config, a new device
 * epoch. 0 or -errno.
 */
/*
 * Write cfg's node table (struct devcall_config_nodes, then one
 * struct devcall_config_node per export) at at, right after the export
 * table in config space.
 */
void shm_transport_nodes_init(const struct vm_config *cfg, void *at);

int shm_transport_init(struct shm_transport *t, int shm_fd,
		       const struct vm_config *cfg, struct vm *vm,
		       const struct shm_device_ops *dev, void *ctx);
void shm_transport_fini(struct shm_transport *t);

/*
 * A new QEMU (or a daemon restart): the device is new to the guest, with
 * a new epoch; the driver sees it and attaches afresh.
 */
void shm_transport_republish(struct shm_transport *t);

/*
 * The VM's exports changed (a reload): rewrite the config space, bump
 * config_generation and raise the config interrupt; the driver re-reads
 * the table and adds or removes its export devices.
 */
void shm_transport_exports_changed(struct shm_transport *t);

/*
 * The guest rang the mailbox vector: run its command, if a new one (or
 * the one a queue_enable left unanswered).
 */
void shm_transport_mailbox(struct shm_transport *t);

/* Registers back to power-on after a reset the guest did not ask for. */
void shm_transport_reset_regs(struct shm_transport *t);

/* The device is broken (a hostile or buggy driver): NEEDS_RESET. */
void shm_transport_needs_reset(struct shm_transport *t);

/* Every DEVCALL_HEARTBEAT_MS: show the guest the daemon is alive. */
void shm_transport_heartbeat(struct shm_transport *t);

#endif /* DEVCALL_SHM_TRANSPORT_H */
