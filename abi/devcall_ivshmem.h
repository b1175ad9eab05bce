/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The virtio-over-ivshmem transport: the register block the daemon keeps at
 * the start of the shared memory (BAR2 of QEMU's ivshmem-doorbell device),
 * and how doorbells and MSI-X vectors are used. Included by the guest
 * transport driver and by the daemon (vmm-glue).
 *
 * Model: virtio-mmio's register set, held in shared memory instead of
 * trapped MMIO. Plain reads need no exit. Anything the device must act on
 * (status changes, feature acceptance, queue setup, reset) is a mailbox
 * command: the driver writes cmd/cmd_arg, publishes by bumping cmd_seq,
 * rings DEVCALL_DB_VEC_CMD and waits until cmd_ack == cmd_seq, then reads
 * cmd_result (0 or a positive errno). Queue kicks ring
 * DEVCALL_DB_VEC_QUEUE(q); the device signals used buffers on MSI-X vector
 * DEVCALL_MSIX_VEC_QUEUE(q) and configuration changes on DEVCALL_MSIX_VEC_CONFIG.
 *
 * Virtqueues are split rings (<linux/virtio_ring.h>) in guest RAM, at the
 * guest-physical addresses the driver writes into the queue registers.
 *
 * All fields are little-endian. The driver writes only driver_features,
 * status (through SET_STATUS), the queue registers of a queue that is not
 * ready, and the mailbox cmd, cmd_arg and cmd_seq fields. The device never
 * trusts any of them.
 */
#ifndef DEVCALL_IVSHMEM_H
#define DEVCALL_IVSHMEM_H

#include <linux/types.h>

#define DEVCALL_SHM_MAGIC	0x4d485344u	/* "DSHM" */
#define DEVCALL_SHM_VERSION	1
#define DEVCALL_SHM_SIZE	(1u << 20)	/* BAR2 size: power of two */
#define DEVCALL_SHM_CONFIG_OFF	4096u		/* device config space */
#define DEVCALL_SHM_CONFIG_MAX	(60u * 1024)	/* bytes of config space */

#define DEVCALL_SHM_MAX_QUEUES	4u
#define DEVCALL_QUEUE_REQ	0u	/* requests */
#define DEVCALL_QUEUE_NUM_MAX	1024u

/* ivshmem interrupt vectors: configure QEMU with vectors=DEVCALL_NR_VECTORS */
#define DEVCALL_DB_VEC_CMD	0u		/* guest -> daemon: mailbox */
#define DEVCALL_DB_VEC_QUEUE(q)	(1u + (q))	/* guest -> daemon: kick */
#define DEVCALL_MSIX_VEC_CONFIG	0u		/* daemon -> guest */
#define DEVCALL_MSIX_VEC_QUEUE(q) (1u + (q))	/* daemon -> guest */
#define DEVCALL_NR_VECTORS	(1u + DEVCALL_SHM_MAX_QUEUES)

/*
 * Liveness. The daemon bumps 'heartbeat' every DEVCALL_HEARTBEAT_MS while
 * it serves the VM. A guest that sees it stand still for DEVCALL_DEAD_MS
 * takes the device as gone (calls fail with EIO); when it moves again
 * under a new device_epoch, a restarted daemon is serving and the guest
 * attaches afresh.
 */
#define DEVCALL_HEARTBEAT_MS	100u
#define DEVCALL_DEAD_MS		1500u

/* Virtio device id: from the range virtio reserves for experiments. */
#define DEVCALL_VIRTIO_ID	0xdc01u
#define DEVCALL_VIRTIO_VENDOR	0x4c435644u	/* "DVCL" */

/* ivshmem BAR0 registers (QEMU docs/specs/ivshmem-spec.rst) */
#define IVSHMEM_REG_INTRMASK	0
#define IVSHMEM_REG_INTRSTATUS	4
#define IVSHMEM_REG_IVPOSITION	8
#define IVSHMEM_REG_DOORBELL	12
#define IVSHMEM_DOORBELL(peer, vec)	(((__u32)(peer) << 16) | ((vec) & 0xffff))

/* Mailbox commands */
enum devcall_shm_cmd {
	DEVCALL_CMD_NONE	= 0,
	DEVCALL_CMD_SET_STATUS	= 1,	/* cmd_arg: new status; 0 resets */
	DEVCALL_CMD_QUEUE_ENABLE = 2,	/* cmd_arg: queue index */
	DEVCALL_CMD_QUEUE_RESET	= 3,	/* cmd_arg: queue index */
};

struct devcall_shm_queue {
	__le32 num;		/*  0: driver: ring size chosen, power of 2 */
	__le32 num_max;		/*  4: device: largest ring size */
	__le32 ready;		/*  8: device: 1 once enabled */
	__le32 reserved;	/* 12 */
	__le64 desc;		/* 16: driver: descriptor table GPA */
	__le64 avail;		/* 24: driver: available ring GPA */
	__le64 used;		/* 32: driver: used ring GPA */
	__le64 reserved2;	/* 40 */
};

struct devcall_shm_regs {
	__le32 magic;		/*   0: DEVCALL_SHM_MAGIC once the daemon is up */
	__le32 version;		/*   4: DEVCALL_SHM_VERSION */
	__le32 device_id;	/*   8: DEVCALL_VIRTIO_ID */
	__le32 vendor_id;	/*  12: DEVCALL_VIRTIO_VENDOR */
	__le32 server_peer_id;	/*  16: ivshmem peer id to ring */
	__le32 num_queues;	/*  20: queues the device offers */
	__le64 device_features;	/*  24: device: offered features */
	__le64 driver_features;	/*  32: driver: accepted features */
	__le32 status;		/*  40: device: status as accepted */
	__le32 config_generation; /* 44: device: bumped on config change */
	__le32 config_size;	/*  48: device: bytes at DEVCALL_SHM_CONFIG_OFF */
	__le32 device_epoch;	/*  52: device: bumped on daemon (re)attach */
	__le32 cmd;		/*  56: driver: enum devcall_shm_cmd */
	__le32 cmd_arg;		/*  60: driver */
	__le32 cmd_seq;		/*  64: driver: bumped to submit a command */
	__le32 cmd_ack;		/*  68: device: = cmd_seq when done */
	__le32 cmd_result;	/*  72: device: 0 or a positive errno */
	__le32 heartbeat;	/*  76: device: bumped every DEVCALL_HEARTBEAT_MS */
	__le32 reserved[12];	/*  80 */
	struct devcall_shm_queue queue[DEVCALL_SHM_MAX_QUEUES]; /* 128 */
};

#ifdef __cplusplus
#define DEVCALL_SHM_STATIC_ASSERT static_assert
#else
#define DEVCALL_SHM_STATIC_ASSERT _Static_assert
#endif
DEVCALL_SHM_STATIC_ASSERT(sizeof(struct devcall_shm_queue) == 48, "shm queue size");
DEVCALL_SHM_STATIC_ASSERT(sizeof(struct devcall_shm_regs) == 128 + 4 * 48,
			  "shm regs size");

#endif /* DEVCALL_IVSHMEM_H */
