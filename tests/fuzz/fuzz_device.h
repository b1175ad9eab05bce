/* SPDX-License-Identifier: MIT */
/*
 * Input format of the fuzz_device target, shared by the harness and the
 * seed generator (make_seeds.c). All fields little-endian:
 *
 *   struct fuzz_dev_hdr | script (hdr.script_len bytes) | guest RAM image
 *
 * The RAM image is copied to guest-physical 0 of FUZZ_RAM_SIZE bytes of
 * RAM (zero-padded), made of two host buffers adjacent in guest-physical
 * space so guest buffers can straddle them. The ring lives there, at the
 * addresses the header gives (reduced modulo FUZZ_RAM_SIZE + 256, so a few
 * lie past the end of RAM). The script is what the guest and the host do
 * over time: each step one op byte and its arguments. After the script
 * the harness kicks the queue once more, serves every queued call and
 * tears everything down.
 */
#ifndef DEVCALL_FUZZ_DEVICE_H
#define DEVCALL_FUZZ_DEVICE_H

#include <stdint.h>

#define FUZZ_RAM_SIZE		0x40000u	/* 256 KiB */
#define FUZZ_RAM_SPLIT		0x20000u	/* second host buffer from here */
#define FUZZ_RING_MAX		1024u		/* the daemon's queue size */

struct fuzz_dev_hdr {
	uint8_t ring_order;	/* ring of 1 << (ring_order & 15) entries */
	uint8_t mock;		/* FUZZ_MOCK_* */
	uint16_t script_len;
	uint32_t desc, avail, used;	/* guest-physical ring addresses */
} __attribute__((packed));

/* How the mock backend behaves (header, and the MOCK step). */
#define FUZZ_MOCK_POLL_FD	(1u << 0) /* a readiness fd: blocking calls park */
#define FUZZ_MOCK_EMPTY		(1u << 1) /* nothing to read (EAGAIN) */
#define FUZZ_MOCK_SMALL		(1u << 2) /* 4 KiB device: writes go short */
#define FUZZ_MOCK_IOCTL		(1u << 3) /* a driver that answers ioctls */
#define FUZZ_MOCK_FAIL_OPEN	(1u << 4) /* the next open fails */
#define FUZZ_MOCK_FAIL_RW	(1u << 5) /* the next read and write fail */
#define FUZZ_MOCK_READABLE	(1u << 6) /* the readiness fd has data */

/* Script steps: op byte, then the arguments named. */
enum fuzz_step {
	FUZZ_STEP_KICK = 0,	/* the doorbell: pop every available chain */
	FUZZ_STEP_POP,		/* pop one chain */
	FUZZ_STEP_SERVE,	/* serve the oldest queued call */
	FUZZ_STEP_RUN,		/* serve queued calls until none is left */
	FUZZ_STEP_POKE,		/* u32 gpa, u8 n, n bytes (n & 7) + 1 */
	FUZZ_STEP_FLIP,		/* u32 gpa, u8 mask: xor one RAM byte */
	FUZZ_STEP_READY,	/* the readiness fd fires once (wait set runs) */
	FUZZ_STEP_MOCK,		/* u8: new FUZZ_MOCK_* flags */
	FUZZ_STEP_RESET,	/* guest reset: VM reset, queue set up again */
	FUZZ_STEP_NR
};

#endif /* DEVCALL_FUZZ_DEVICE_H */
