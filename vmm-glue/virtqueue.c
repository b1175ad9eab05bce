// SPDX-License-Identifier: MIT
/* Device side of a split virtqueue: see virtqueue.h. */
#include <errno.h>
#include <string.h>

#include "virtqueue.h"

void vq_init(struct virtqueue *vq)
{
	memset(vq, 0, sizeof(*vq));
	pthread_mutex_init(&vq->lock, NULL);
}

static uint16_t rd16(const void *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED));
}

int vq_setup(struct virtqueue *vq, const struct guest_mem *gm, uint32_t num,
	     uint32_t max_num, uint64_t desc, uint64_t avail, uint64_t used)
{
	size_t dlen = (size_t)num * sizeof(struct vring_desc);
	size_t alen = 4 + 2 * (size_t)num + 2;	/* flags, idx, ring, event */
	size_t ulen = 4 + 8 * (size_t)num + 2;
	void *d, *a, *u;

	if (!num || num > max_num || (num & (num - 1)) || num > VQ_NUM_MAX)
		return -EINVAL;
	/* Alignment of the split ring (virtio 1.x, 2.7.10). */
	if ((desc & 15) || (avail & 1) || (used & 3))
		return -EINVAL;
	d = guest_mem_range(gm, desc, dlen);
	a = guest_mem_range(gm, avail, alen);
	u = guest_mem_range(gm, used, ulen);
	if (!d || !a || !u)
		return -EINVAL;
	pthread_mutex_lock(&vq->lock);
	vq->gm = gm;
	vq->num = num;
	vq->desc = d;
	vq->avail = a;
	vq->used = u;
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->broken = false;
	vq->ready = true;
	vq->gen++;
	vq->nr_inflight = 0;
	memset(vq->inflight, 0, sizeof(vq->inflight));
	pthread_mutex_unlock(&vq->lock);
	return 0;
}

void vq_reset(struct virtqueue *vq)
{
	pthread_mutex_lock(&vq->lock);
	/*
	 * No worker polls this ring any more: the driver must ring again
	 * (its RAM is still mapped here). A worker still between enter and
	 * leave finds nr_pollers 0 and leaves the flag alone; or, if one
	 * polls the next queue already, clears it early: one ring more.
	 */
	if (vq->nr_pollers && vq->ready && vq->used)
		__atomic_store_n(&vq->used->flags, 0, __ATOMIC_RELAXED);
	vq->nr_pollers = 0;
	vq->ready = false;
	vq->gen++;
	vq->broken = false;
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	vq->last_avail = 0;
	vq->nr_inflight = 0;
	memset(vq->inflight, 0, sizeof(vq->inflight));
	pthread_mutex_unlock(&vq->lock);
}

static bool head_inflight(const struct virtqueue *vq, uint16_t head)
{
	return vq->inflight[head / 64] & (1ull << (head % 64));
}

static void head_mark(struct virtqueue *vq, uint16_t head, bool on)
{
	if (on)
		vq->inflight[head / 64] |= 1ull << (head % 64);
	else
		vq->inflight[head / 64] &= ~(1ull << (head % 64));
	vq->nr_inflight += on ? 1 : -1;
}

/* Walk the chain at head into host iovecs. Under vq->lock. */
static int vq_walk(struct virtqueue *vq, struct vq_chain *c)
{
	uint16_t i = c->head;
	unsigned int n = 0;
	bool writing = false;

	c->nr_in = c->nr_out = 0;
	c->in_len = c->out_len = 0;
	for (;;) {
		struct vring_desc d;
		struct iovec *iov;
		size_t len;
		void *p;

		if (i >= vq->num || ++n > vq->num || n > VQ_MAX_CHAIN)
			return -EINVAL;		/* bad index, or a loop */
		memcpy(&d, &vq->desc[i], sizeof(d));	/* read it once */
		d.addr = le64toh(d.addr);
		d.len = le32toh(d.len);
		d.flags = le16toh(d.flags);
		d.next = le16toh(d.next);
		if (d.flags & VRING_DESC_F_INDIRECT)
			return -EINVAL;		/* not offered */
		len = d.len;
		p = len ? guest_mem_range(vq->gm, d.addr, len) : NULL;
		if (len && !p)
			return -EINVAL;
		if (d.flags & VRING_DESC_F_WRITE) {
			writing = true;
			iov = len ? &c->out[c->nr_out++] : NULL;
			c->out_len += len;
		} else {
			if (writing)		/* readable after writable */
				return -EINVAL;
			iov = len ? &c->in[c->nr_in++] : NULL;
			c->in_len += len;
		}
		/*
		 * An empty descriptor moves nothing and has no host address:
		 * no iovec, so no caller ever memcpy()s to or from NULL.
		 */
		if (iov) {
			iov->iov_base = p;
			iov->iov_len = len;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		i = d.next;
	}
}

int vq_pop(struct virtqueue *vq, struct vq_chain *chain)
{
	uint16_t avail_idx;
	int ret;

	pthread_mutex_lock(&vq->lock);
	if (!vq->ready || vq->broken) {
		ret = vq->broken ? -EIO : 0;
		goto out;
	}
	avail_idx = rd16(&vq->avail->idx);
	if (avail_idx == vq->last_avail) {
		ret = 0;
		goto out;
	}
	ret = -EIO;
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->num)
		goto broken;	/* more entries than the ring holds */
	/* The ring entry is read only after the index that published it. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	chain->head = rd16(&vq->avail->ring[vq->last_avail % vq->num]);
	chain->gen = vq->gen;
	vq->last_avail++;
	/*
	 * A head still in flight is the device's until it is pushed back: a
	 * guest that publishes it again would have it served twice (and could
	 * have every pop allocate a call for the same chain forever).
	 */
	if (chain->head >= vq->num || head_inflight(vq, chain->head) ||
	    vq_walk(vq, chain))
		goto broken;
	head_mark(vq, chain->head, true);
	ret = 1;
	goto out;
broken:
	vq->broken = true;
out:
	pthread_mutex_unlock(&vq->lock);
	return ret;
}

/* Publish one used element. Under vq->lock, queue current, head in flight. */
static void vq_push_locked(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem *e;
	uint16_t idx;

	head_mark(vq, head, false);
	idx = vq->used_idx++;
	e = &vq->used->ring[idx % vq->num];
	e->id = htole32(head);
	e->len = htole32(len);
	/* The element must be visible before the index that publishes it. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&vq->used->idx, htole16(idx + 1), __ATOMIC_RELAXED);
}

static bool vq_current(const struct virtqueue *vq, uint32_t gen, uint16_t head)
{
	return vq->ready && vq->gen == gen && head < vq->num &&
	       head_inflight(vq, head);
}

void vq_push(struct virtqueue *vq, uint32_t gen, uint16_t head, uint32_t len)
{
	pthread_mutex_lock(&vq->lock);
	if (vq_current(vq, gen, head))
		vq_push_locked(vq, head, len);
	pthread_mutex_unlock(&vq->lock);
}

int vq_answer(struct virtqueue *vq, const struct vq_chain *c,
	      const void *resp, size_t n)
{
	size_t done = 0;
	unsigned int i;

	pthread_mutex_lock(&vq->lock);
	if (!vq_current(vq, c->gen, c->head)) {
		pthread_mutex_unlock(&vq->lock);
		return -ESTALE;
	}
	for (i = 0; i < c->nr_out && done < n; i++) {
		size_t k = c->out[i].iov_len < n - done ?
			   c->out[i].iov_len : n - done;

		memcpy(c->out[i].iov_base, (const uint8_t *)resp + done, k);
		done += k;
	}
	/* Too small a response area: the guest sees a short answer. */
	vq_push_locked(vq, c->head, done);
	pthread_mutex_unlock(&vq->lock);
	return (int)done;
}

unsigned int vq_inflight(struct virtqueue *vq)
{
	unsigned int n;

	pthread_mutex_lock(&vq->lock);
	n = vq->nr_inflight;
	pthread_mutex_unlock(&vq->lock);
	return n;
}

bool vq_wants_interrupt(struct virtqueue *vq)
{
	bool want = true;

	pthread_mutex_lock(&vq->lock);
	/*
	 * The used index we wrote before the flag we read: the driver
	 * clears the flag before it reads the index (a full barrier on both
	 * sides), so one of us sees the other and no answer goes unseen.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->ready && vq->avail)
		want = !(rd16(&vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	pthread_mutex_unlock(&vq->lock);
	return want;
}

bool vq_pending(struct virtqueue *vq)
{
	bool more;

	pthread_mutex_lock(&vq->lock);
	more = vq->ready && !vq->broken && vq->avail &&
	       rd16(&vq->avail->idx) != vq->last_avail;
	pthread_mutex_unlock(&vq->lock);
	return more;
}

static void used_flags_set(struct virtqueue *vq, bool no_notify)
{
	uint16_t f = no_notify ? VRING_USED_F_NO_NOTIFY : 0;

	if (vq->ready && vq->used)
		__atomic_store_n(&vq->used->flags, htole16(f),
				 __ATOMIC_RELAXED);
}

const uint16_t *vq_avail_idx(struct virtqueue *vq, uint16_t *last)
{
	const uint16_t *p = NULL;

	pthread_mutex_lock(&vq->lock);
	if (vq->ready && !vq->broken && vq->avail) {
		p = &vq->avail->idx;
		*last = vq->last_avail;
	}
	pthread_mutex_unlock(&vq->lock);
	return p;
}

void vq_poll_enter(struct virtqueue *vq)
{
	pthread_mutex_lock(&vq->lock);
	if (!vq->nr_pollers++)
		used_flags_set(vq, true);
	pthread_mutex_unlock(&vq->lock);
}

bool vq_poll_leave(struct virtqueue *vq)
{
	bool more = false;

	pthread_mutex_lock(&vq->lock);
	if (vq->nr_pollers && !--vq->nr_pollers) {
		used_flags_set(vq, false);
		/*
		 * The flag we cleared before the index we read; the driver
		 * writes its index before it reads the flag (a full barrier
		 * on both sides): one of us sees the other.
		 */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		more = vq->ready && !vq->broken && vq->avail &&
		       rd16(&vq->avail->idx) != vq->last_avail;
	}
	pthread_mutex_unlock(&vq->lock);
	return more;
}
