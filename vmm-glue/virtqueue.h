/* SPDX-License-Identifier: MIT */
/*
 * Device side of a split virtqueue in guest RAM. Every index, descriptor,
 * chain and length the guest wrote is checked; a guest that breaks the
 * rules gets its queue marked broken, never a crash.
 */
#ifndef DEVCALL_VIRTQUEUE_H
#define DEVCALL_VIRTQUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <linux/virtio_ring.h>

#include "guest_mem.h"

#define VQ_MAX_CHAIN	64	/* descriptors in one chain we accept */
#define VQ_NUM_MAX	32768	/* the split ring's own limit */

struct virtqueue {
	pthread_mutex_t lock;
	const struct guest_mem *gm;
	uint16_t num;
	uint16_t last_avail;
	uint16_t used_idx;	/* ours: the guest may scribble on the ring */
	bool ready;
	uint32_t gen;		/* bumped on setup and reset */
	bool broken;
	unsigned int nr_inflight;
	unsigned int nr_pollers;	/* vq_poll_enter() without leave */
	/* Heads popped and not yet pushed: a guest may not publish them. */
	uint64_t inflight[VQ_NUM_MAX / 64];
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
};

/* A descriptor chain, as host iovecs: device-readable, then writable. */
struct vq_chain {
	uint16_t head;
	uint32_t gen;			/* the queue's, for vq_push */
	unsigned int nr_in, nr_out;
	struct iovec in[VQ_MAX_CHAIN];	/* the device reads these */
	struct iovec out[VQ_MAX_CHAIN];	/* the device writes these */
	size_t in_len, out_len;
};

void vq_init(struct virtqueue *vq);

/*
 * Start serving a ring of num entries (power of two, <= max_num) at the
 * given guest-physical addresses, which must be RAM and aligned as the
 * virtio spec says. 0 or -EINVAL.
 */
int vq_setup(struct virtqueue *vq, const struct guest_mem *gm, uint32_t num,
	     uint32_t max_num, uint64_t desc, uint64_t avail, uint64_t used);

/* Stop serving (reset). */
void vq_reset(struct virtqueue *vq);

/*
 * Take the next available chain. 1 and *chain filled; 0 when there is
 * none; -EIO when the guest broke the ring: an index jump past the ring
 * size, a head out of range, a head published again while still in
 * flight, or a malformed chain (bad index, loop, indirect, not RAM,
 * readable after writable). A broken queue stays broken until reset: the
 * guest driver is buggy or hostile, and answering chains one by one would
 * let it make the daemon work (and log) for every bad one it writes.
 */
int vq_pop(struct virtqueue *vq, struct vq_chain *chain);

/*
 * Return a chain to the guest with len bytes written, if the queue is
 * still the one (chain->gen) the chain came from.
 */
void vq_push(struct virtqueue *vq, uint32_t gen, uint16_t head, uint32_t len);

/*
 * Copy n bytes of resp into the chain's writable buffers and return it,
 * all under the queue's lock, only if the queue is still the one the
 * chain came from: after a reset (or a new ring) the buffers may belong
 * to the guest's next boot, and nothing is written. Returns the bytes
 * written, or -ESTALE.
 */
int vq_answer(struct virtqueue *vq, const struct vq_chain *chain,
	      const void *resp, size_t n);

/* Whether the guest has published chains not yet popped (a hint). */
bool vq_pending(struct virtqueue *vq);

/*
 * Doorbell suppression: between enter and leave a worker looks at the
 * ring itself, so the driver need not notify (VRING_USED_F_NO_NOTIFY,
 * set while any worker is between the two). Leave returns whether chains
 * are waiting after the flag was cleared: the caller takes them (enter
 * again), as the driver may have published them without ringing.
 */
/*
 * Where the driver publishes its avail index (little-endian), and the
 * index this side took up to, for a poller to watch without the lock:
 * NULL if the queue is not running. The pointer stays valid only while
 * the caller holds a reference to the RAM the queue was set up in; a
 * reset meanwhile makes it stale, never dangling.
 */
const uint16_t *vq_avail_idx(struct virtqueue *vq, uint16_t *last);

void vq_poll_enter(struct virtqueue *vq);
bool vq_poll_leave(struct virtqueue *vq);

/* Chains popped and not yet returned. */
unsigned int vq_inflight(struct virtqueue *vq);

/*
 * After an answer: whether the driver wants an interrupt for it. False
 * only while it has them off (VRING_AVAIL_F_NO_INTERRUPT): it is reaping
 * the used ring then and looks again before it turns them back on.
 */
bool vq_wants_interrupt(struct virtqueue *vq);

#endif /* DEVCALL_VIRTQUEUE_H */
