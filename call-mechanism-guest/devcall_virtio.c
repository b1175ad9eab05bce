// SPDX-License-Identifier: GPL-2.0
/*
 * devcall call mechanism, guest half: a virtio driver. Each call is one
 * device-readable buffer (header, guest-physical segments, inline bytes)
 * and one device-writable buffer (the response) on the request queue.
 * User memory is pinned, never copied; it stays pinned until the host has
 * answered, even if the caller was interrupted and left. The exports read
 * from config space go on the devcall bus (devcall_bus.c) for frontends.
 */
#define pr_fmt(fmt) "devcall: " fmt

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rwsem.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/virtio.h>
#include <linux/delay.h>
#include <linux/virtio_config.h>
#include <linux/workqueue.h>

#include "devcall_bus.h"
#include "devcall_call.h"
#include "devcall_ivshmem.h"

#define DEVCALL_RESP_CAP (sizeof(struct devcall_resp) + DEVCALL_INLINE_MAX)
/* Calls of up to this many segments (a 4 KiB read) allocate no arrays. */
#define DEVCALL_SMALL_SEGS	4

/*
 * Per-stage timing for `make bench`, off by default: when off a call
 * pays one predictable branch per stage. The samples are the last
 * STAGES_NR synchronous calls; reading stages_report gives their medians.
 */
#define STAGES_NR	4096
enum {
	STAGE_TO_KICK, STAGE_KICK, STAGE_KICK_TO_IRQ, STAGE_IRQ_TO_RET,
	STAGE_COUNT
};
static bool stages;
static u32 stages_buf[STAGE_COUNT][STAGES_NR];
static atomic_t stages_next = ATOMIC_INIT(0);

/*
 * Polling for a call's answer (devcall_call_poll). A guest that waits
 * halts until the interrupt, and under TCG the interrupt costs two host
 * thread wake-ups (QEMU's main loop, then the vCPU's); polling the used
 * ring with interrupts off sees the answer as soon as the host writes it.
 * The window adapts per device as QEMU's poll-max-ns does: while calls
 * come back within poll_us it covers them (doubling, at least to what the
 * last one took), and it halves at each one that takes longer, so a
 * device whose calls wait (a read on a terminal, a slow disk) soon costs
 * no polling at all. The default covers a 1 MiB O_DIRECT write to a RAM
 * disk under TCG (about 190 us from the doorbell to the answer, 300 with
 * the interrupt); Linux's guest haltpoll and KVM's halt polling default
 * to 200 us for the same trade of CPU time against a wake-up.
 */
#define DEVCALL_POLL_US_MAX	1000u

static unsigned int poll_us = 300;
module_param(poll_us, uint, 0644);
MODULE_PARM_DESC(poll_us,
		 "poll for a call's answer up to this long, us (0: never; at most 1000)");

static u64 devcall_poll_max_ns(void)
{
	return (u64)min(READ_ONCE(poll_us), DEVCALL_POLL_US_MAX) *
	       NSEC_PER_USEC;
}

struct devcall_dev {
	struct kref ref;
	struct virtio_device *vdev;
	struct virtqueue *vq;
	spinlock_t lock;		/* vq, inflight, dead */
	wait_queue_head_t space;	/* waiting for ring space */
	struct list_head inflight;
	bool dead;
	int dead_err;			/* -ENXIO removed, -EIO daemon gone */
	atomic64_t next_tag;
	struct rw_semaphore users;	/* submitters vs. removal */
	/* The host changed its exports (a reload): diff the table. */
	struct work_struct config_work;
	u32 config_gen;			/* of the table the bus shows */
	u64 poll_ns;			/* devcall_call_poll()'s window now */
};

struct devcall_call {
	struct kref ref;		/* the caller's, and the ring's */
	struct completion done;
	devcall_done_fn done_fn;	/* async calls: run on completion */
	void *done_ctx;
	struct work_struct free_work;	/* unpinning may sleep */
	struct devcall_dev *orphan_dev;	/* an OPEN its caller gave up on */
	struct work_struct orphan_work;
	struct list_head node;
	struct devcall_req hdr;
	struct devcall_seg *segs;
	unsigned int nr_segs, max_segs;
	u8 inl[DEVCALL_INLINE_MAX];
	unsigned int inline_len;
	u8 *wire;			/* what the host reads */
	u8 *resp;			/* what the host writes */
	unsigned int resp_len;
	s64 status;			/* set when the device goes away */
	struct page **pages;
	unsigned int nr_pages, max_pages;
	bool pages_dirty;
	bool kernel_pages;		/* pages are referenced, not pinned */
	struct devcall_seg small_segs[DEVCALL_SMALL_SEGS];
	struct page *small_pages[DEVCALL_SMALL_SEGS];
	u8 resp_buf[DEVCALL_RESP_CAP];	/* what resp points at */
	u64 t_alloc, t_prekick, t_kick, t_irq;	/* bench stages, if on */
	u64 t_sent;			/* queued at, when polling is on */
};

static void devcall_call_free(struct devcall_call *c)
{
	unsigned int i;

	if (c->kernel_pages) {
		for (i = 0; i < c->nr_pages; i++)
			put_page(c->pages[i]);
	} else if (c->nr_pages) {
		unpin_user_pages_dirty_lock(c->pages, c->nr_pages,
					    c->pages_dirty);
	}
	if (c->pages != c->small_pages)
		kvfree(c->pages);
	if (c->segs != c->small_segs)
		kvfree(c->segs);
	kfree(c->wire);
	kfree(c);
}

static void devcall_call_release(struct kref *ref)
{
	devcall_call_free(container_of(ref, struct devcall_call, ref));
}

static void devcall_call_free_work(struct work_struct *work)
{
	devcall_call_free(container_of(work, struct devcall_call, free_work));
}

/*
 * Whether freeing c may sleep: unpinning user pages marks them dirty
 * under the page lock, and vfree() wants process context.
 */
static bool devcall_call_free_sleeps(const struct devcall_call *c)
{
	return (!c->kernel_pages && c->nr_pages) ||
	       is_vmalloc_addr(c->pages) || is_vmalloc_addr(c->segs);
}

/*
 * The last reference dropped in atomic context (the ring's, in the
 * interrupt handler): free it here when that cannot sleep (a block
 * request's kernel pages, kmalloc'ed tables), else from a worker. A
 * worker per block request was a context switch per request.
 */
static void devcall_call_release_deferred(struct kref *ref)
{
	struct devcall_call *c = container_of(ref, struct devcall_call, ref);

	if (devcall_call_free_sleeps(c))
		schedule_work(&c->free_work);
	else
		devcall_call_free(c);
}

static s64 devcall_result(struct devcall_call *c);

/*
 * The host opened a file for an OPEN whose caller was killed before the
 * answer came: close it, so neither the host file nor an exclusive claim
 * outlives the caller.
 */
static void devcall_orphan_close(struct work_struct *work)
{
	struct devcall_call *c = container_of(work, struct devcall_call,
					      orphan_work);
	struct devcall_dev *d = c->orphan_dev;
	s64 handle = devcall_result(c);
	struct devcall_call *close;

	close = devcall_call_alloc(DEVCALL_OP_CLOSE, 0);
	if (close) {
		close->hdr.handle = cpu_to_le64(handle);
		devcall_call_submit(d, close);
		devcall_call_put(close);
	}
	devcall_call_put(c);
	devcall_dev_put(d);
}

struct devcall_call *devcall_call_alloc(u16 op, unsigned int max_segs)
{
	struct devcall_call *c;

	if (max_segs > DEVCALL_MAX_SEGS)
		return NULL;
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return NULL;
	kref_init(&c->ref);
	init_completion(&c->done);
	INIT_WORK(&c->free_work, devcall_call_free_work);
	INIT_WORK(&c->orphan_work, devcall_orphan_close);
	INIT_LIST_HEAD(&c->node);
	c->hdr.op = cpu_to_le16(op);
	c->max_segs = max_segs;
	c->max_pages = max_segs;
	c->resp = c->resp_buf;
	if (unlikely(READ_ONCE(stages)))
		c->t_alloc = ktime_get_ns();
	if (max_segs <= DEVCALL_SMALL_SEGS) {
		c->segs = c->small_segs;
		c->pages = c->small_pages;
	} else {
		c->segs = kvcalloc(max_segs, sizeof(*c->segs), GFP_KERNEL);
		c->pages = kvcalloc(max_segs, sizeof(*c->pages), GFP_KERNEL);
		if (!c->segs || !c->pages)
			goto fail;
	}
	return c;
fail:
	devcall_call_put(c);
	return NULL;
}
EXPORT_SYMBOL_GPL(devcall_call_alloc);

void devcall_call_put(struct devcall_call *c)
{
	kref_put(&c->ref, devcall_call_release);
}
EXPORT_SYMBOL_GPL(devcall_call_put);

struct devcall_req *devcall_call_hdr(struct devcall_call *c)
{
	return &c->hdr;
}
EXPORT_SYMBOL_GPL(devcall_call_hdr);

int devcall_call_set_inline(struct devcall_call *c, const void *data,
			    unsigned int len)
{
	if (len > DEVCALL_INLINE_MAX)
		return -EINVAL;
	memcpy(c->inl, data, len);
	c->inline_len = len;
	return 0;
}
EXPORT_SYMBOL_GPL(devcall_call_set_inline);

/* Append len bytes at pa to buffer buf, merging with a contiguous tail. */
static int devcall_add_seg(struct devcall_call *c, phys_addr_t pa, size_t n,
			   u16 dir, u16 buf)
{
	struct devcall_seg *prev = c->nr_segs ? &c->segs[c->nr_segs - 1] : NULL;

	if (prev && le16_to_cpu(prev->buf) == buf &&
	    le16_to_cpu(prev->flags) == dir &&
	    le64_to_cpu(prev->addr) + le32_to_cpu(prev->len) == pa &&
	    le32_to_cpu(prev->len) + n <= U32_MAX) {
		prev->len = cpu_to_le32(le32_to_cpu(prev->len) + n);
		return 0;
	}
	if (c->nr_segs >= c->max_segs)
		return -E2BIG;
	c->segs[c->nr_segs].addr = cpu_to_le64(pa);
	c->segs[c->nr_segs].len = cpu_to_le32(n);
	c->segs[c->nr_segs].flags = cpu_to_le16(dir);
	c->segs[c->nr_segs].buf = cpu_to_le16(buf);
	c->nr_segs++;
	return 0;
}

int devcall_call_pin(struct devcall_call *c, unsigned long uaddr, size_t len,
		     u16 dir, u16 buf)
{
	bool host_writes = dir & DEVCALL_SEG_FROM_HOST;
	unsigned long first = uaddr & PAGE_MASK;
	unsigned int npages, i, off;
	struct page **pages;
	int got;

	if (!len)
		return 0;
	if (uaddr + len < uaddr || !(dir & DEVCALL_SEG_DIR_MASK) ||
	    (dir & ~DEVCALL_SEG_DIR_MASK))
		return -EFAULT;
	if (c->kernel_pages)
		return -EINVAL;		/* one kind of page per call */
	npages = (PAGE_ALIGN(uaddr + len) - first) >> PAGE_SHIFT;
	if (npages > c->max_pages - c->nr_pages)
		return -E2BIG;
	pages = c->pages + c->nr_pages;
	got = pin_user_pages_fast(first, npages, host_writes ? FOLL_WRITE : 0,
				  pages);
	if (got < 0)
		return got;
	c->nr_pages += got;
	if (host_writes)
		c->pages_dirty = true;
	if (got != npages)
		return -EFAULT;		/* what was pinned goes at release */

	off = offset_in_page(uaddr);
	for (i = 0; i < npages; i++) {
		size_t n = min_t(size_t, PAGE_SIZE - off, len);
		int ret;

		/* Physically contiguous pages make one segment. */
		ret = devcall_add_seg(c, page_to_phys(pages[i]) + off, n, dir,
				      buf);
		if (ret)
			return ret;
		len -= n;
		off = 0;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(devcall_call_pin);

int devcall_call_add_page(struct devcall_call *c, struct page *page,
			  unsigned int off, unsigned int len, u16 dir, u16 buf)
{
	int ret;

	if (!len)
		return 0;
	if (off + len < off || off + len > PAGE_SIZE ||
	    !(dir & DEVCALL_SEG_DIR_MASK) || (dir & ~DEVCALL_SEG_DIR_MASK))
		return -EINVAL;
	if (c->nr_pages && !c->kernel_pages)
		return -EINVAL;		/* one kind of page per call */
	if (c->nr_pages >= c->max_pages)
		return -E2BIG;
	ret = devcall_add_seg(c, page_to_phys(page) + off, len, dir, buf);
	if (ret)
		return ret;
	get_page(page);
	c->pages[c->nr_pages++] = page;
	c->kernel_pages = true;
	return 0;
}
EXPORT_SYMBOL_GPL(devcall_call_add_page);

const struct devcall_resp *devcall_call_resp(struct devcall_call *c)
{
	return (const struct devcall_resp *)c->resp;
}
EXPORT_SYMBOL_GPL(devcall_call_resp);

unsigned int devcall_call_resp_inline(struct devcall_call *c, void *dst,
				      unsigned int len)
{
	const struct devcall_resp *r = devcall_call_resp(c);
	unsigned int n = le16_to_cpu(r->inline_len);

	/* Trust no more than the host wrote, nor than the caller wants. */
	if (c->resp_len < sizeof(*r))
		return 0;
	n = min3(n, c->resp_len - (unsigned int)sizeof(*r), len);
	n = min_t(unsigned int, n, DEVCALL_INLINE_MAX);
	memcpy(dst, c->resp + sizeof(*r), n);
	return n;
}
EXPORT_SYMBOL_GPL(devcall_call_resp_inline);

static int devcall_build_wire(struct devcall_call *c, u64 tag)
{
	size_t segs_len = c->nr_segs * sizeof(struct devcall_seg);
	size_t len = sizeof(c->hdr) + segs_len + c->inline_len;

	c->hdr.magic = cpu_to_le32(DEVCALL_REQ_MAGIC);
	c->hdr.version = cpu_to_le16(DEVCALL_ABI_VERSION);
	c->hdr.tag = cpu_to_le64(tag);
	c->hdr.nr_segs = cpu_to_le16(c->nr_segs);
	c->hdr.inline_len = cpu_to_le16(c->inline_len);
	kfree(c->wire);
	c->wire = kmalloc(len, GFP_KERNEL);
	if (!c->wire)
		return -ENOMEM;
	memcpy(c->wire, &c->hdr, sizeof(c->hdr));
	memcpy(c->wire + sizeof(c->hdr), c->segs, segs_len);
	memcpy(c->wire + sizeof(c->hdr) + segs_len, c->inl, c->inline_len);
	return len;
}

/* Queue c; -ENOSPC if the ring is full. Under d->lock. */
static int devcall_queue(struct devcall_dev *d, struct devcall_call *c,
			 int wire_len)
{
	struct scatterlist out, in, *sgs[2] = { &out, &in };
	int ret;

	sg_init_one(&out, c->wire, wire_len);
	sg_init_one(&in, c->resp, DEVCALL_RESP_CAP);
	ret = virtqueue_add_sgs(d->vq, sgs, 1, 1, c, GFP_ATOMIC);
	if (ret)
		return ret;
	kref_get(&c->ref);		/* the ring's reference */
	list_add_tail(&c->node, &d->inflight);
	c->t_sent = devcall_poll_max_ns() ? ktime_get_ns() : 0;
	if (unlikely(c->t_alloc))
		c->t_prekick = ktime_get_ns();
	virtqueue_kick(d->vq);
	if (unlikely(c->t_alloc))
		c->t_kick = ktime_get_ns();
	return 0;
}

/* Build c and put it on the ring, waiting for room if it is full. */
static int devcall_enqueue(struct devcall_dev *d, struct devcall_call *c,
			   bool interruptible)
{
	int wire_len, ret;
	u64 tag = atomic64_inc_return(&d->next_tag);

	wire_len = devcall_build_wire(c, tag);
	if (wire_len < 0)
		return wire_len;

	down_read(&d->users);
	for (;;) {
		spin_lock_irq(&d->lock);
		ret = d->dead ? d->dead_err : devcall_queue(d, c, wire_len);
		spin_unlock_irq(&d->lock);
		if (ret != -ENOSPC)
			break;
		/* The ring is full: wait for the host to hand some back. */
		if (interruptible)
			ret = wait_event_interruptible(d->space, d->dead ||
						       d->vq->num_free >= 2);
		else
			ret = wait_event_killable(d->space, d->dead ||
						  d->vq->num_free >= 2);
		if (ret)
			break;
	}
	up_read(&d->users);
	/* Interrupted before anything was sent: the syscall may restart. */
	return ret;
}

static s64 devcall_result(struct devcall_call *c)
{
	const struct devcall_resp *r = devcall_call_resp(c);

	if (c->status)
		return c->status;
	if (c->resp_len < sizeof(*r) || r->tag != c->hdr.tag)
		return -EIO;
	return (s64)le64_to_cpu(r->result);
}

/*
 * A signal came while c waits on the host: ask the host to give up on it.
 * A call parked there (waiting for data) comes back -EINTR at once; one a
 * host driver is running finishes first. Either way we wait for the
 * answer, so no data the host produced is lost, unless the task is being
 * killed: then the ring's reference keeps the pinned memory until the
 * host is done.
 */
static s64 devcall_cancel(struct devcall_dev *d, struct devcall_call *c)
{
	struct devcall_call *cancel = devcall_call_alloc(DEVCALL_OP_CANCEL, 0);
	s64 ret;

	if (cancel) {
		cancel->hdr.arg = c->hdr.tag;
		if (!devcall_enqueue(d, cancel, false))
			wait_for_completion_killable(&cancel->done);
		devcall_call_put(cancel);
	}
	if (wait_for_completion_killable(&c->done)) {
		/* Killed: an OPEN that still succeeds gets closed for us. */
		if (le16_to_cpu(c->hdr.op) == DEVCALL_OP_OPEN) {
			unsigned long flags;
			bool answered;

			spin_lock_irqsave(&d->lock, flags);
			answered = completion_done(&c->done);
			if (!answered) {
				devcall_dev_get(d);
				kref_get(&c->ref);	/* the work's */
				c->orphan_dev = d;
			}
			spin_unlock_irqrestore(&d->lock, flags);
			if (answered && devcall_result(c) > 0) {
				devcall_dev_get(d);
				kref_get(&c->ref);
				c->orphan_dev = d;
				schedule_work(&c->orphan_work);
			}
		}
		return -EINTR;
	}
	ret = devcall_result(c);
	/* Given up before it started: the syscall may restart (SA_RESTART). */
	return ret == -EINTR ? -ERESTARTSYS : ret;
}

static void stages_record(struct devcall_call *c)
{
	unsigned int i = (unsigned int)atomic_inc_return(&stages_next) - 1;
	u64 now = ktime_get_ns();

	if (!c->t_kick || !c->t_irq)
		return;
	i %= STAGES_NR;
	stages_buf[STAGE_TO_KICK][i] = c->t_prekick - c->t_alloc;
	stages_buf[STAGE_KICK][i] = c->t_kick - c->t_prekick;
	stages_buf[STAGE_KICK_TO_IRQ][i] = c->t_irq - c->t_kick;
	stages_buf[STAGE_IRQ_TO_RET][i] = now - c->t_irq;
}

s64 devcall_call_submit(struct devcall_dev *d, struct devcall_call *c)
{
	int ret = devcall_enqueue(d, c, true);

	if (ret)
		return ret;
	devcall_call_poll(d, c);
	if (wait_for_completion_interruptible(&c->done))
		return devcall_cancel(d, c);
	if (unlikely(c->t_alloc))
		stages_record(c);
	return devcall_result(c);
}
EXPORT_SYMBOL_GPL(devcall_call_submit);

int devcall_call_submit_async(struct devcall_dev *d, struct devcall_call *c,
			      devcall_done_fn done, void *ctx)
{
	c->done_fn = done;
	c->done_ctx = ctx;
	return devcall_enqueue(d, c, false);
}
EXPORT_SYMBOL_GPL(devcall_call_submit_async);

s64 devcall_call_result(struct devcall_call *c)
{
	return devcall_result(c);
}
EXPORT_SYMBOL_GPL(devcall_call_result);

static void devcall_poll_adapt(struct devcall_dev *d, u64 took_ns)
{
	u64 max = devcall_poll_max_ns(), w = READ_ONCE(d->poll_ns);

	if (took_ns <= max)
		w = min(max, max(2 * w, took_ns));
	else
		w = w / 2 < NSEC_PER_USEC ? 0 : w / 2;
	WRITE_ONCE(d->poll_ns, w);
}

/* Under d->lock: take every answer the host gave; how many there were. */
static unsigned int devcall_vq_reap(struct devcall_dev *d)
{
	struct virtqueue *vq = d->vq;
	struct devcall_call *c;
	unsigned int len, n = 0;

	while ((c = virtqueue_get_buf(vq, &len))) {
		n++;
		/*
		 * Failed by devcall_remove already: a host that
		 * answers after the reset it did not see (it hung,
		 * then came back). Only the ring's reference is left.
		 */
		if (unlikely(list_empty(&c->node))) {
			kref_put(&c->ref, devcall_call_release_deferred);
			continue;
		}
		c->resp_len = min_t(unsigned int, len, DEVCALL_RESP_CAP);
		if (unlikely(c->t_alloc))
			c->t_irq = ktime_get_ns();
		if (c->t_sent)
			devcall_poll_adapt(d, ktime_get_ns() - c->t_sent);
		list_del_init(&c->node);
		complete(&c->done);
		if (c->done_fn)
			c->done_fn(c, c->done_ctx);
		if (c->orphan_dev) {
			if (devcall_result(c) > 0) {
				schedule_work(&c->orphan_work);
			} else {
				devcall_dev_put(c->orphan_dev);	/* a kfree at most */
				kref_put(&c->ref, devcall_call_release_deferred);
			}
		}
		kref_put(&c->ref, devcall_call_release_deferred);
	}
	return n;
}

static void devcall_vq_done(struct virtqueue *vq)
{
	struct devcall_dev *d = vq->vdev->priv;
	unsigned long flags;

	spin_lock_irqsave(&d->lock, flags);
	do {
		virtqueue_disable_cb(vq);
		devcall_vq_reap(d);
	} while (!virtqueue_enable_cb(vq));
	spin_unlock_irqrestore(&d->lock, flags);
	wake_up(&d->space);
}

void devcall_call_poll(struct devcall_dev *d, struct devcall_call *c)
{
	u64 end, w = min(READ_ONCE(d->poll_ns), devcall_poll_max_ns());
	unsigned long flags;
	unsigned int n;

	if (!w)
		return;
	end = ktime_get_ns() + w;
	/* The queue stays while we look at it: remove waits for us. */
	down_read(&d->users);
	spin_lock_irqsave(&d->lock, flags);
	if (d->dead) {
		spin_unlock_irqrestore(&d->lock, flags);
		goto out;
	}
	virtqueue_disable_cb(d->vq);
	spin_unlock_irqrestore(&d->lock, flags);
	while (!completion_done(&c->done) && !READ_ONCE(d->dead) &&
	       !need_resched() && !signal_pending(current) &&
	       ktime_get_ns() < end) {
		spin_lock_irqsave(&d->lock, flags);
		n = d->dead ? 0 : devcall_vq_reap(d);
		spin_unlock_irqrestore(&d->lock, flags);
		if (n)
			wake_up(&d->space);
		cpu_relax();
	}
	/* Interrupts back on, and whatever came meanwhile answered. */
	if (!READ_ONCE(d->dead))
		devcall_vq_done(d->vq);
out:
	up_read(&d->users);
}
EXPORT_SYMBOL_GPL(devcall_call_poll);

static void devcall_dev_release(struct kref *ref)
{
	kfree(container_of(ref, struct devcall_dev, ref));
}

void devcall_dev_get(struct devcall_dev *d)
{
	kref_get(&d->ref);
}
EXPORT_SYMBOL_GPL(devcall_dev_get);

void devcall_dev_put(struct devcall_dev *d)
{
	kref_put(&d->ref, devcall_dev_release);
}
EXPORT_SYMBOL_GPL(devcall_dev_put);

/*
 * The node table after nr exports, or NULL: a host without one leaves
 * no magic there (config space past its end reads as zero).
 */
static struct devcall_config_node *
devcall_read_nodes(struct virtio_device *vdev, unsigned int nr)
{
	struct devcall_config_nodes h;
	struct devcall_config_node *nodes;
	unsigned int off = sizeof(struct devcall_config) +
			   nr * sizeof(struct devcall_config_export);
	unsigned int i, esize;

	if (off + sizeof(h) > DEVCALL_SHM_CONFIG_MAX)
		return NULL;
	virtio_cread_bytes(vdev, off, &h, sizeof(h));
	if (le32_to_cpu(h.magic) != DEVCALL_NODES_MAGIC)
		return NULL;
	/* A newer host's entries may be longer: we read our part of each. */
	esize = le32_to_cpu(h.entry_size);
	if (esize < sizeof(*nodes) || esize > DEVCALL_SHM_CONFIG_MAX ||
	    off + sizeof(h) + (u64)nr * esize > DEVCALL_SHM_CONFIG_MAX) {
		dev_warn(&vdev->dev, "bad node table: defaults\n");
		return NULL;
	}
	nodes = kcalloc(max(nr, 1u), sizeof(*nodes), GFP_KERNEL);
	if (!nodes)
		return NULL;
	for (i = 0; i < nr; i++)
		virtio_cread_bytes(vdev, off + sizeof(h) + i * esize,
				   &nodes[i], sizeof(nodes[i]));
	for (i = 0; i < nr; i++) {	/* the host's strings are not trusted */
		nodes[i].name[sizeof(nodes[i].name) - 1] = '\0';
		nodes[i].aliases[sizeof(nodes[i].aliases) - 1] = '\0';
		nodes[i].owner[sizeof(nodes[i].owner) - 1] = '\0';
		nodes[i].group[sizeof(nodes[i].group) - 1] = '\0';
	}
	return nodes;
}

static struct devcall_config_export *
devcall_read_exports_once(struct virtio_device *vdev, unsigned int *nr)
{
	struct devcall_config_export *exps;
	struct devcall_config cfg;
	unsigned int i, n;

	virtio_cread_bytes(vdev, 0, &cfg, sizeof(cfg));
	if (le32_to_cpu(cfg.abi_version) != DEVCALL_ABI_VERSION) {
		dev_err(&vdev->dev, "host speaks ABI %u, we speak %u\n",
			le32_to_cpu(cfg.abi_version), DEVCALL_ABI_VERSION);
		return ERR_PTR(-EPROTO);
	}
	n = le32_to_cpu(cfg.nr_exports);
	if (n > (DEVCALL_SHM_CONFIG_MAX - sizeof(cfg)) / sizeof(*exps))
		return ERR_PTR(-EINVAL);
	exps = kcalloc(max(n, 1u), sizeof(*exps), GFP_KERNEL);
	if (!exps)
		return ERR_PTR(-ENOMEM);
	virtio_cread_bytes(vdev, sizeof(cfg), exps, n * sizeof(*exps));
	for (i = 0; i < n; i++)		/* the host's names are not trusted */
		exps[i].name[DEVCALL_NAME_MAX - 1] = '\0';
	*nr = n;
	return exps;
}

/*
 * The export table and the generation it was read at. The host rewrites
 * it live (a reload) with an odd generation while it writes: read again
 * until a whole read saw one even generation.
 */
static struct devcall_config_export *
devcall_read_exports(struct virtio_device *vdev, unsigned int *nr, u32 *gen)
{
	struct devcall_config_export *exps;
	unsigned int tries;
	u32 before, after;

	for (tries = 0; tries < 1000; tries++) {
		before = vdev->config->generation ?
			 vdev->config->generation(vdev) : 0;
		if (before & 1) {
			usleep_range(50, 100);
			continue;
		}
		virt_rmb();
		exps = devcall_read_exports_once(vdev, nr);
		if (IS_ERR(exps))
			return exps;
		virt_rmb();
		after = vdev->config->generation ?
			vdev->config->generation(vdev) : 0;
		if (before == after) {
			*gen = after;
			return exps;
		}
		kfree(exps);
	}
	return ERR_PTR(-EAGAIN);
}

static void devcall_config_work(struct work_struct *work)
{
	struct devcall_dev *d = container_of(work, struct devcall_dev,
					     config_work);
	struct virtio_device *vdev = d->vdev;
	struct devcall_config_export *exps;
	unsigned int nr = 0;
	u32 gen;

	exps = devcall_read_exports(vdev, &nr, &gen);
	if (IS_ERR(exps)) {
		dev_warn(&vdev->dev, "export table unreadable: %ld\n",
			 PTR_ERR(exps));
		return;
	}
	if (gen != d->config_gen) {
		/* Each node entry is checked against its export's id. */
		struct devcall_config_node *nodes = devcall_read_nodes(vdev, nr);

		d->config_gen = gen;
		devcall_exports_update(d, &vdev->dev, exps, nodes, nr);
		kfree(nodes);
	}
	kfree(exps);
}

/*
 * The config interrupt: a changed export table, or only the mailbox's
 * answer (the same vector). Either way look in process context.
 */
static void devcall_config_changed(struct virtio_device *vdev)
{
	struct devcall_dev *d = vdev->priv;

	if (d)
		schedule_work(&d->config_work);
}

static int devcall_probe(struct virtio_device *vdev)
{
	struct devcall_config_node *nodes;
	struct devcall_config_export *exps;
	struct devcall_dev *d;
	unsigned int nr = 0;
	int ret;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	kref_init(&d->ref);
	spin_lock_init(&d->lock);
	init_waitqueue_head(&d->space);
	INIT_LIST_HEAD(&d->inflight);
	init_rwsem(&d->users);
	INIT_WORK(&d->config_work, devcall_config_work);
	d->vdev = vdev;
	vdev->priv = d;

	exps = devcall_read_exports(vdev, &nr, &d->config_gen);
	if (IS_ERR(exps)) {
		ret = PTR_ERR(exps);
		goto out_free;
	}
	d->vq = virtio_find_single_vq(vdev, devcall_vq_done, "requests");
	if (IS_ERR(d->vq)) {
		ret = PTR_ERR(d->vq);
		goto out_exports;
	}
	virtio_device_ready(vdev);

	/* Frontends are offered the exports only now that calls work. */
	nodes = devcall_read_nodes(vdev, nr);
	ret = devcall_exports_add(d, &vdev->dev, exps, nodes, nr);
	kfree(nodes);
	if (ret)
		goto out_reset;
	kfree(exps);
	dev_info(&vdev->dev, "%u export(s)\n", nr);
	return 0;

out_reset:
	virtio_reset_device(vdev);
	vdev->config->del_vqs(vdev);
out_exports:
	kfree(exps);
out_free:
	vdev->priv = NULL;
	devcall_dev_put(d);
	return ret;
}

static void devcall_remove(struct virtio_device *vdev)
{
	struct devcall_dev *d = vdev->priv;
	struct devcall_call *c, *tmp;

	/* A transport that lost its daemon says FAILED: that is an I/O error. */
	int err = vdev->config->get_status(vdev) & VIRTIO_CONFIG_S_FAILED ?
		  -EIO : -ENXIO;

	/* Every call from now on fails at once; none is half queued. */
	spin_lock_irq(&d->lock);
	d->dead = true;
	d->dead_err = err;
	spin_unlock_irq(&d->lock);
	wake_up_all(&d->space);
	down_write(&d->users);
	up_write(&d->users);

	/*
	 * The host stops touching our memory before any call in flight is
	 * failed: a failed block request hands its pages back to their
	 * owner at once. A daemon already given up on (FAILED) is not
	 * asked: it answered nothing for DEVCALL_DEAD_MS, or no longer runs.
	 */
	virtio_reset_device(vdev);

	/*
	 * What the host answered before the reset keeps its answer; every
	 * other waiter fails, so a frontend's remove never waits on a host
	 * that will not answer. Pinned user memory stays with the ring's
	 * reference until the queue is torn down below.
	 */
	devcall_vq_done(d->vq);
	spin_lock_irq(&d->lock);
	list_for_each_entry_safe(c, tmp, &d->inflight, node) {
		c->status = err;
		list_del_init(&c->node);
		complete(&c->done);
		if (c->done_fn)
			c->done_fn(c, c->done_ctx);
		if (c->orphan_dev) {	/* nothing was opened to close */
			devcall_dev_put(c->orphan_dev);
			kref_put(&c->ref, devcall_call_release_deferred);
		}
	}
	spin_unlock_irq(&d->lock);

	/* No table diff from now on (config callbacks are off already). */
	cancel_work_sync(&d->config_work);
	/* The frontends let go while the queue still exists. */
	devcall_exports_remove(&vdev->dev);

	/* Then take back what the ring still holds. */
	while ((c = virtqueue_detach_unused_buf(d->vq)))
		kref_put(&c->ref, devcall_call_release);
	vdev->config->del_vqs(vdev);
	vdev->priv = NULL;
	devcall_dev_put(d);
}

static const struct virtio_device_id devcall_ids[] = {
	{ DEVCALL_VIRTIO_ID, VIRTIO_DEV_ANY_ID },
	{ 0 },
};
MODULE_DEVICE_TABLE(virtio, devcall_ids);

static unsigned int devcall_features[] = { };

static int stages_set(const char *val, const struct kernel_param *kp)
{
	int ret = param_set_bool(val, kp);

	if (!ret && READ_ONCE(stages))
		atomic_set(&stages_next, 0);	/* a fresh sample */
	return ret;
}

static int stages_cmp(const void *a, const void *b)
{
	u32 x = *(const u32 *)a, y = *(const u32 *)b;

	return x < y ? -1 : x > y;
}

/* "n=N to_kick=NS kick=NS kick_to_irq=NS irq_to_ret=NS": medians, ns. */
static int stages_get(char *buf, const struct kernel_param *kp)
{
	unsigned int n = min_t(unsigned int, atomic_read(&stages_next),
			       STAGES_NR);
	u32 med[STAGE_COUNT] = { 0 };
	u32 *tmp;
	int i;

	tmp = kvmalloc_array(STAGES_NR, sizeof(*tmp), GFP_KERNEL);
	if (!tmp)
		return -ENOMEM;
	for (i = 0; n && i < STAGE_COUNT; i++) {
		memcpy(tmp, stages_buf[i], n * sizeof(*tmp));
		sort(tmp, n, sizeof(*tmp), stages_cmp, NULL);
		med[i] = tmp[n / 2];
	}
	kvfree(tmp);
	return sysfs_emit(buf,
			  "n=%u to_kick=%u kick=%u kick_to_irq=%u irq_to_ret=%u\n",
			  n, med[STAGE_TO_KICK], med[STAGE_KICK],
			  med[STAGE_KICK_TO_IRQ], med[STAGE_IRQ_TO_RET]);
}

static const struct kernel_param_ops stages_ops = {
	.set = stages_set,
	.get = param_get_bool,
};
module_param_cb(stages, &stages_ops, &stages, 0644);
MODULE_PARM_DESC(stages, "record per-stage call timing (bench)");

static const struct kernel_param_ops stages_report_ops = {
	.get = stages_get,
};
module_param_cb(stages_report, &stages_report_ops, NULL, 0444);

static struct virtio_driver devcall_driver = {
	.driver.name	= KBUILD_MODNAME,
	.driver.owner	= THIS_MODULE,
	.id_table	= devcall_ids,
	.feature_table	= devcall_features,
	.feature_table_size = 0,
	.probe		= devcall_probe,
	.remove		= devcall_remove,
	.config_changed	= devcall_config_changed,
};

static int __init devcall_init(void)
{
	int ret = devcall_bus_init();

	if (ret)
		return ret;
	ret = register_virtio_driver(&devcall_driver);
	if (ret)
		devcall_bus_exit();
	return ret;
}

static void __exit devcall_exit(void)
{
	unregister_virtio_driver(&devcall_driver);
	devcall_bus_exit();
}

module_init(devcall_init);
module_exit(devcall_exit);
MODULE_DESCRIPTION("devcall: forward driver calls to the host");
MODULE_LICENSE("GPL");
