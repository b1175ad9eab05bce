/* SPDX-License-Identifier: MIT */
/*
 * fakeqemu: a fake QEMU and a fake guest kernel in one struct, for tests
 * that talk to the real devcalld with no VM booted.
 *
 * The fake QEMU speaks QEMU's ivshmem client protocol to a VM's socket
 * (docs/specs/ivshmem-spec.rst): it receives the shared memory (the
 * register block of abi/devcall_ivshmem.h), the daemon's doorbell
 * eventfds (peer 0, which it rings) and its own interrupt eventfds. The
 * fake guest owns the VM's "RAM": the file the daemon's `memory =` names,
 * created and mapped here, where file offset == guest-physical address
 * (q35, RAM under the low-memory limit). It writes the mailbox, the split
 * ring and the requests by hand, so a test can do what a well-behaved
 * driver does (fq_driver_start, fq_call) or anything a hostile one may
 * (fq_desc, fq_publish, raw register writes).
 *
 * Guest RAM layout used by the driver helpers (guest-physical):
 *   FQ_RING_GPA(i)   ring set i: descriptors, avail at +0x4000, used at
 *                    +0x5000 (num <= FQ_NUM_MAX)
 *   FQ_SLOT_GPA      call slot s: request at +s*FQ_SLOT_SIZE, response
 *                    FQ_SLOT_REQ_MAX bytes further
 *   FQ_DATA_GPA..    free for tests (data buffers, big requests)
 * A call slot s uses descriptors 2s (request, readable) and 2s+1
 * (response, writable): a ring of num entries has num/2 slots.
 *
 * Not thread-safe: one thread drives one struct fq at a time.
 */
#ifndef DEVCALL_FAKEQEMU_H
#define DEVCALL_FAKEQEMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_ring.h>

#include "devcall_abi.h"
#include "devcall_ivshmem.h"

#define FQ_RAM_SIZE		(64ull << 20)
#define FQ_NUM_MAX		1024u
#define FQ_RING_GPA(i)		(0x100000ull + (uint64_t)(i) * 0x10000)
#define FQ_SLOT_GPA		0x200000ull
#define FQ_SLOT_SIZE		2048u
#define FQ_SLOT_REQ_MAX		1024u
#define FQ_RESP_MAX		(sizeof(struct devcall_resp) + DEVCALL_INLINE_MAX)
#define FQ_DATA_GPA		0x400000ull
#define FQ_MAX_SLOTS		(FQ_NUM_MAX / 2)

/* A call's result when the daemon never answered it. */
#define FQ_NO_ANSWER		INT64_MIN

enum fq_slot_state { FQ_SLOT_FREE, FQ_SLOT_BUSY, FQ_SLOT_DONE };

struct fq_slot {
	enum fq_slot_state state;
	uint64_t tag;
	uint32_t used_len;		/* bytes the daemon said it wrote */
	uint64_t resp_gpa;		/* where the response area is */
	struct devcall_resp resp;	/* copied out at reap, host order */
	uint8_t inl[DEVCALL_INLINE_MAX];
};

struct fq_queue {
	uint16_t num;			/* 0: no queue set up */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx;		/* next index we publish */
	uint16_t last_used;		/* used entries reaped */
	unsigned int nr_slots;
	struct fq_slot slot[FQ_MAX_SLOTS];
	unsigned long stray;		/* used entries naming no busy slot */
};

struct fq {
	const char *name;		/* for messages */
	int sock;			/* ivshmem connection, -1 if none */
	int64_t peer_id;
	int shm_fd;
	struct devcall_shm_regs *regs;
	int db_fd[DEVCALL_NR_VECTORS];	/* we write: the daemon's doorbells */
	int irq_fd[DEVCALL_NR_VECTORS];	/* we read: our MSI-X vectors */
	char ram_path[256];
	int ram_fd;
	uint8_t *ram;
	uint64_t ram_size;
	struct fq_queue q;
	uint64_t next_tag;
};

/* Zero f and mark every descriptor closed; name is used in messages. */
void fq_init(struct fq *f, const char *name);

/* Create (or reuse) the guest RAM file at path, size bytes, and map it. */
int fq_ram_create(struct fq *f, const char *path, uint64_t size);

/* Host pointer to guest-physical gpa (len bytes must be inside RAM). */
void *fq_gpa(struct fq *f, uint64_t gpa, size_t len);

/*
 * Connect to an ivshmem server socket and take the whole handshake,
 * retrying for up to timeout_ms while the daemon still refuses (a
 * previous connection not yet seen gone). 0 or -errno.
 */
int fq_connect(struct fq *f, const char *sock_path, int timeout_ms);

/* One connection attempt, no retry: -ECONNRESET if refused. */
int fq_connect_once(struct fq *f, const char *sock_path, int timeout_ms);

/* Close the connection, shared memory and eventfds (RAM stays). */
void fq_disconnect(struct fq *f);

/* fq_disconnect() and unmap RAM. */
void fq_destroy(struct fq *f);

/* Ring the daemon's doorbell vector vec (peer 0). */
void fq_ring(struct fq *f, unsigned int vec);

/* Wait up to timeout_ms for interrupt vector vec; 1 if one came. */
int fq_wait_irq(struct fq *f, unsigned int vec, int timeout_ms);

/*
 * A mailbox command as the guest driver sends it: cmd, arg, bump cmd_seq,
 * ring, wait for cmd_ack. The daemon's cmd_result (0 or a positive errno),
 * or -ETIMEDOUT.
 */
int fq_mailbox(struct fq *f, uint32_t cmd, uint32_t arg, int timeout_ms);

/* The status register as the daemon keeps it. */
uint32_t fq_status(struct fq *f);

/* SET_STATUS 0: the device resets; our queue is forgotten too. */
int fq_reset(struct fq *f);

/*
 * What a driver does at probe: reset, ACKNOWLEDGE|DRIVER, VERSION_1,
 * FEATURES_OK, queue 0 of num entries at ring set ring_set, QUEUE_ENABLE,
 * DRIVER_OK. 0, a positive errno the daemon answered, or -errno.
 */
int fq_driver_start(struct fq *f, uint16_t num, unsigned int ring_set);

/*
 * Queue 0's registers and QUEUE_ENABLE, with whatever addresses the
 * caller likes. The daemon's result. Our queue state is set up only if
 * it took them and they are in RAM.
 */
int fq_queue_enable(struct fq *f, uint32_t num, uint64_t desc, uint64_t avail,
		    uint64_t used);

/* A request header with magic, version, op and a fresh tag. */
void fq_req_init(struct fq *f, struct devcall_req *r, uint16_t op);

/*
 * Queue a call: the wire (hdr, segs, inline) is written to a free slot's
 * request area, chained with its response area and published; no kick.
 * Returns the slot, or -ENOSPC (no free slot) / -E2BIG (does not fit).
 */
int fq_submit(struct fq *f, const struct devcall_req *hdr,
	      const struct devcall_seg *segs, unsigned int nr_segs,
	      const void *inl, unsigned int inl_len);

/* The same for a request already in RAM at req_gpa, req_len bytes. */
int fq_submit_at(struct fq *f, uint64_t tag, uint64_t req_gpa,
		 uint32_t req_len);

/*
 * The most general form: a slot's two descriptors point at req_gpa and
 * resp_gpa with the lengths given (the response is read back from
 * resp_gpa if that is RAM). For tests of odd response areas.
 */
int fq_submit_raw(struct fq *f, uint64_t tag, uint64_t req_gpa,
		  uint32_t req_len, uint64_t resp_gpa, uint32_t resp_len);

/* Host pointer to slot's default response area (FQ_RESP_MAX bytes). */
uint8_t *fq_slot_resp(struct fq *f, int slot);

/* Ring the queue's doorbell. */
void fq_kick(struct fq *f);
/*
 * As Linux's driver: ring unless the device said VRING_USED_F_NO_NOTIFY.
 * True if it rang.
 */
bool fq_kick_prepared(struct fq *f);

/* Take the used ring's new entries into their slots; how many. */
int fq_reap(struct fq *f);

/* Wait up to timeout_ms for slot to be answered: 0, or -ETIMEDOUT. */
int fq_wait(struct fq *f, int slot, int timeout_ms);

/* The answered result of slot (FQ_NO_ANSWER if not answered). */
int64_t fq_result(const struct fq *f, int slot);

/* Give a slot back (answered or given up on: a late answer is stray). */
void fq_release(struct fq *f, int slot);

/* Busy slots right now (calls not answered). */
unsigned int fq_busy(const struct fq *f);

/*
 * Submit, kick, wait, release. The result, FQ_NO_ANSWER on timeout; the
 * response (with its inline bytes) in *out if out is not NULL.
 */
int64_t fq_call(struct fq *f, const struct devcall_req *hdr,
		const struct devcall_seg *segs, unsigned int nr_segs,
		const void *inl, unsigned int inl_len, int timeout_ms,
		struct fq_slot *out);

/* Common calls. Results as the daemon answers, or FQ_NO_ANSWER. */
int64_t fq_open(struct fq *f, uint32_t export_id, uint64_t oflags,
		int timeout_ms);
int64_t fq_close(struct fq *f, uint64_t handle, int timeout_ms);
int64_t fq_read_inline(struct fq *f, uint64_t handle, uint32_t len,
		       uint32_t flags, int timeout_ms);

/*
 * OPEN export_id read-only, READ 16 bytes, CLOSE: 0 if all three work
 * within timeout_ms in total, else -errno (-ETIMEDOUT, or what failed).
 */
int fq_roundtrip(struct fq *f, uint32_t export_id, int timeout_ms);

/*
 * Raw ring access for hostile tests: descriptor i of the current queue,
 * and publishing a head in the available ring (no kick).
 */
void fq_desc(struct fq *f, uint16_t i, uint64_t addr, uint32_t len,
	     uint16_t flags, uint16_t next);
void fq_publish(struct fq *f, uint16_t head);

/* Connect to a QMP socket (as this process) and send text. */
int fq_qmp_connect(const char *path);
int fq_qmp_send(int fd, const void *buf, size_t len);

/* Milliseconds on the monotonic clock. */
int64_t fq_now_ms(void);
int64_t fq_now_us(void);

#endif /* DEVCALL_FAKEQEMU_H */
