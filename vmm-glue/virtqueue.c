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

	if (!num || num > max_num || (num & (num - 1)) || num > 32768)
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
	pthread_mutex_unlock(&vq->lock);
	return 0;
}

void vq_reset(struct virtqueue *vq)
{
	pthread_mutex_lock(&vq->lock);
	vq->ready = false;
	vq->gen++;
	vq->broken = false;
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	vq->last_avail = 0;
	pthread_mutex_unlock(&vq->lock);
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
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->num) {
		vq->broken = true;	/* more entries than the ring holds */
		ret = -EIO;
		goto out;
	}
	/* The ring entry is read only after the index that published it. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	chain->head = rd16(&vq->avail->ring[vq->last_avail % vq->num]);
	chain->gen = vq->gen;
	vq->last_avail++;
	if (chain->head >= vq->num) {
		vq->broken = true;
		ret = -EIO;
		goto out;
	}
	ret = vq_walk(vq, chain) ? -EINVAL : 1;
out:
	pthread_mutex_unlock(&vq->lock);
	return ret;
}

void vq_push(struct virtqueue *vq, uint32_t gen, uint16_t head, uint32_t len)
{
	struct vring_used_elem *e;
	uint16_t idx;

	pthread_mutex_lock(&vq->lock);
	if (!vq->ready || vq->gen != gen) {
		pthread_mutex_unlock(&vq->lock);
		return;
	}
	idx = vq->used_idx++;
	e = &vq->used->ring[idx % vq->num];
	e->id = htole32(head);
	e->len = htole32(len);
	/* The element must be visible before the index that publishes it. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&vq->used->idx, htole16(idx + 1), __ATOMIC_RELAXED);
	pthread_mutex_unlock(&vq->lock);
}
