// SPDX-License-Identifier: MIT
/*
 * The device side of the split virtqueue, against hostile rings: every
 * index, chain and length the guest controls.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "harness.h"
#include "fake_guest.h"
#include "virtqueue.h"

#define NUM	8

struct fixture {
	struct fake_guest g;
	struct virtqueue vq;
	struct vq_chain chain;
	uint64_t desc, avail, used;
	struct vring_desc *d;
	struct vring_avail *a;
	struct vring_used *u;
	uint64_t buf;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	fake_guest_init(&f->g);
	vq_init(&f->vq);
	f->desc = fake_guest_alloc(&f->g, NUM * sizeof(struct vring_desc));
	f->avail = fake_guest_alloc(&f->g, 6 + 2 * NUM);
	f->used = fake_guest_alloc(&f->g, 6 + 8 * NUM);
	f->buf = fake_guest_alloc(&f->g, 4096);
	f->d = fake_guest_ptr(&f->g, f->desc);
	f->a = fake_guest_ptr(&f->g, f->avail);
	f->u = fake_guest_ptr(&f->g, f->used);
	assert_int_equal(vq_setup(&f->vq, &f->g.gm, NUM, 256, f->desc,
				  f->avail, f->used), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fake_guest_fini(&f->g);
	free(f);
	return 0;
}

static void set_desc(struct fixture *f, unsigned int i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	f->d[i].addr = htole64(addr);
	f->d[i].len = htole32(len);
	f->d[i].flags = htole16(flags);
	f->d[i].next = htole16(next);
}

static void publish(struct fixture *f, uint16_t head)
{
	uint16_t idx = le16toh(f->a->idx);

	f->a->ring[idx % NUM] = htole16(head);
	f->a->idx = htole16(idx + 1);
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;

	set_desc(f, 0, f->buf, 100, VRING_DESC_F_NEXT, 1);
	set_desc(f, 1, f->buf + 100, 50, VRING_DESC_F_NEXT, 2);
	set_desc(f, 2, f->buf + 1024, 552, VRING_DESC_F_WRITE, 0);
	publish(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->chain), 1);
	assert_int_equal(f->chain.head, 0);
	assert_int_equal(f->chain.nr_in, 2);
	assert_int_equal(f->chain.in_len, 150);
	assert_int_equal(f->chain.nr_out, 1);
	assert_int_equal(f->chain.out_len, 552);
	assert_ptr_equal(f->chain.out[0].iov_base,
			 fake_guest_ptr(&f->g, f->buf + 1024));
	assert_int_equal(vq_pop(&f->vq, &f->chain), 0);	/* nothing more */
	vq_push(&f->vq, f->chain.gen, 0, 40);
	assert_int_equal(le16toh(f->u->idx), 1);
	assert_int_equal(le32toh(f->u->ring[0].id), 0);
	assert_int_equal(le32toh(f->u->ring[0].len), 40);
}

/* Found by fuzz_device: a NULL iovec base reached memcpy() (UB). */
static void test_empty_descriptors_skipped(void **state)
{
	struct fixture *f = *state;
	unsigned int i;

	set_desc(f, 0, 0, 0, VRING_DESC_F_NEXT, 1);
	set_desc(f, 1, f->buf, 64, VRING_DESC_F_NEXT, 2);
	set_desc(f, 2, f->buf + 1024, 0,
		 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 3);
	set_desc(f, 3, f->buf + 2048, 40, VRING_DESC_F_WRITE, 0);
	publish(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->chain), 1);
	assert_int_equal(f->chain.nr_in, 1);
	assert_int_equal(f->chain.in_len, 64);
	assert_int_equal(f->chain.nr_out, 1);
	assert_int_equal(f->chain.out_len, 40);
	for (i = 0; i < f->chain.nr_in; i++)
		assert_non_null(f->chain.in[i].iov_base);
	assert_ptr_equal(f->chain.out[0].iov_base,
			 fake_guest_ptr(&f->g, f->buf + 2048));

	/* Nothing but empty descriptors: a chain with no iovecs at all. */
	set_desc(f, 4, f->buf, 0, VRING_DESC_F_NEXT, 5);
	set_desc(f, 5, f->buf, 0, VRING_DESC_F_WRITE, 0);
	publish(f, 4);
	assert_int_equal(vq_pop(&f->vq, &f->chain), 1);
	assert_int_equal(f->chain.nr_in, 0);
	assert_int_equal(f->chain.nr_out, 0);
}

/* Break the queue as a bad chain does, then reset and set it up again. */
static void reset_queue(struct fixture *f)
{
	vq_reset(&f->vq);
	memset(f->a, 0, 6 + 2 * NUM);
	memset(f->u, 0, 6 + 8 * NUM);
	assert_int_equal(vq_setup(&f->vq, &f->g.gm, NUM, 256, f->desc,
				  f->avail, f->used), 0);
}

static void test_bad_chains_break_queue(void **state)
{
	struct fixture *f = *state;
	static const struct {
		uint64_t addr_off;	/* from f->buf; ~0 = outside RAM */
		uint32_t len;
		uint16_t flags;
		uint16_t next;
	} bad[] = {
		{ ~0ull, 16, 0, 0 },				/* not RAM */
		{ 0, 0xffffffff, 0, 0 },			/* too long */
		{ 0, 16, VRING_DESC_F_NEXT, NUM },		/* next out of range */
		{ 0, 16, VRING_DESC_F_NEXT, 0 },		/* loops to itself */
		{ 0, 16, VRING_DESC_F_INDIRECT, 0 },		/* not offered */
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set_desc(f, 0, bad[i].addr_off == ~0ull ? 0x10 :
			 f->buf + bad[i].addr_off, bad[i].len, bad[i].flags,
			 bad[i].next);
		publish(f, 0);
		/* Broken, not answered one by one: the guest must reset. */
		assert_int_equal(vq_pop(&f->vq, &f->chain), -EIO);
		assert_int_equal(vq_pop(&f->vq, &f->chain), -EIO);
		assert_int_equal(le16toh(f->u->idx), 0);
		reset_queue(f);
	}
	/* Readable after writable. */
	set_desc(f, 0, f->buf, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(f, 1, f->buf + 16, 16, 0, 0);
	publish(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->chain), -EIO);
	/* After a reset the queue works again. */
	reset_queue(f);
	set_desc(f, 0, f->buf, 16, 0, 0);
	publish(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->chain), 1);
}

/* A head published again while in flight breaks the queue. */
static void test_republished_head(void **state)
{
	struct fixture *f = *state;

	set_desc(f, 0, f->buf, 16, 0, 0);
	set_desc(f, 1, f->buf, 16, 0, 0);
	publish(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->chain), 1);
	assert_int_equal(vq_inflight(&f->vq), 1);
	publish(f, 1);				/* another head: fine */
	assert_int_equal(vq_pop(&f->vq, &f->chain), 1);
	publish(f, 0);				/* head 0 again: not ours */
	assert_int_equal(vq_pop(&f->vq, &f->chain), -EIO);
	assert_int_equal(vq_pop(&f->vq, &f->chain), -EIO);

	/* Once pushed back, a head may be published again. */
	reset_queue(f);
	publish(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->chain), 1);
	vq_push(&f->vq, f->chain.gen, 0, 0);
	assert_int_equal(vq_inflight(&f->vq), 0);
	publish(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->chain), 1);
	/* A push of a head not in flight publishes nothing. */
	vq_push(&f->vq, f->chain.gen, 1, 0);
	assert_int_equal(le16toh(f->u->idx), 1);
}

/* An answer lands in the chain only while the queue is the same one. */
static void test_answer(void **state)
{
	struct fixture *f = *state;
	uint8_t *out = fake_guest_ptr(&f->g, f->buf + 1024);
	static const char msg[] = "answer";
	struct vq_chain old;

	set_desc(f, 0, f->buf, 16, VRING_DESC_F_NEXT, 1);
	set_desc(f, 1, f->buf + 1024, 4, VRING_DESC_F_WRITE, 0);
	publish(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->chain), 1);
	assert_int_equal(vq_answer(&f->vq, &f->chain, msg, sizeof(msg)), 4);
	assert_memory_equal(out, "answ", 4);
	assert_int_equal(le32toh(f->u->ring[0].len), 4);

	publish(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->chain), 1);
	old = f->chain;
	reset_queue(f);
	memset(out, 0xee, 4);
	assert_int_equal(vq_answer(&f->vq, &old, msg, sizeof(msg)), -ESTALE);
	assert_int_equal(out[0], 0xee);		/* RAM untouched */
}

static void test_broken_ring(void **state)
{
	struct fixture *f = *state;

	/* The guest claims more new entries than the ring holds. */
	f->a->idx = htole16(NUM + 1);
	assert_int_equal(vq_pop(&f->vq, &f->chain), -EIO);
	assert_int_equal(vq_pop(&f->vq, &f->chain), -EIO);	/* stays so */
	vq_reset(&f->vq);
	assert_int_equal(vq_pop(&f->vq, &f->chain), 0);		/* not ready */
}

static void test_head_out_of_range(void **state)
{
	struct fixture *f = *state;

	publish(f, NUM + 3);
	assert_int_equal(vq_pop(&f->vq, &f->chain), -EIO);
}

static void test_setup_validates(void **state)
{
	struct fixture *f = *state;

	vq_reset(&f->vq);
	assert_int_equal(vq_setup(&f->vq, &f->g.gm, 6, 256, f->desc, f->avail,
				  f->used), -EINVAL);		/* not 2^n */
	assert_int_equal(vq_setup(&f->vq, &f->g.gm, 512, 256, f->desc,
				  f->avail, f->used), -EINVAL);	/* > max */
	assert_int_equal(vq_setup(&f->vq, &f->g.gm, 0, 256, f->desc, f->avail,
				  f->used), -EINVAL);
	assert_int_equal(vq_setup(&f->vq, &f->g.gm, NUM, 256, f->desc + 8,
				  f->avail, f->used), -EINVAL);	/* misaligned */
	assert_int_equal(vq_setup(&f->vq, &f->g.gm, NUM, 256, 0x1000,
				  f->avail, f->used), -EINVAL);	/* not RAM */
	assert_int_equal(vq_setup(&f->vq, &f->g.gm, 256, 256, f->desc,
				  f->avail, FAKE_RAM1_GPA + FAKE_RAM_SIZE - 64),
			 -EINVAL);				/* runs off RAM */
}

static void test_stale_push_ignored(void **state)
{
	struct fixture *f = *state;
	uint32_t gen;

	set_desc(f, 0, f->buf, 16, 0, 0);
	publish(f, 0);
	assert_int_equal(vq_pop(&f->vq, &f->chain), 1);
	gen = f->chain.gen;
	/* The guest resets and sets the queue up again meanwhile. */
	vq_reset(&f->vq);
	memset(f->u, 0, 6 + 8 * NUM);
	assert_int_equal(vq_setup(&f->vq, &f->g.gm, NUM, 256, f->desc,
				  f->avail, f->used), 0);
	vq_push(&f->vq, gen, 0, 16);
	assert_int_equal(le16toh(f->u->idx), 0);	/* not published */
}

/*
 * The driver's VRING_AVAIL_F_NO_INTERRUPT is followed while it is set and
 * only then; a reset queue (no ring) always gets its interrupt.
 */
static void test_interrupt_suppression(void **state)
{
	struct fixture *f = *state;

	assert_true(vq_wants_interrupt(&f->vq));
	f->a->flags = htole16(VRING_AVAIL_F_NO_INTERRUPT);
	assert_false(vq_wants_interrupt(&f->vq));
	f->a->flags = htole16(0xffff & ~VRING_AVAIL_F_NO_INTERRUPT);
	assert_true(vq_wants_interrupt(&f->vq));	/* other bits: no */
	f->a->flags = htole16(VRING_AVAIL_F_NO_INTERRUPT);
	vq_reset(&f->vq);
	assert_true(vq_wants_interrupt(&f->vq));
}

/* The flag follows the pollers: set by the first, cleared by the last. */
static void test_notify_suppression(void **state)
{
	struct fixture *f = *state;

	set_desc(f, 0, f->buf, 16, 0, 0);
	vq_poll_enter(&f->vq);
	assert_true(le16toh(f->u->flags) & VRING_USED_F_NO_NOTIFY);
	vq_poll_enter(&f->vq);
	assert_false(vq_poll_leave(&f->vq));
	assert_true(le16toh(f->u->flags) & VRING_USED_F_NO_NOTIFY);
	/* Published while notifications were off: leave reports it. */
	publish(f, 0);
	assert_true(vq_poll_leave(&f->vq));
	assert_false(le16toh(f->u->flags) & VRING_USED_F_NO_NOTIFY);
	assert_int_equal(vq_pop(&f->vq, &f->chain), 1);
	vq_poll_enter(&f->vq);
	assert_false(vq_poll_leave(&f->vq));
	assert_int_equal(le16toh(f->u->flags), 0);
}

/*
 * A reset (the VM gone or its driver reset) while a worker polls: the
 * flag is cleared in the ring, the worker's late leave changes nothing,
 * and the next driver's queue starts with notifications on.
 */
static void test_notify_reset(void **state)
{
	struct fixture *f = *state;

	vq_poll_enter(&f->vq);
	vq_poll_enter(&f->vq);
	assert_true(le16toh(f->u->flags) & VRING_USED_F_NO_NOTIFY);
	vq_reset(&f->vq);
	assert_int_equal(le16toh(f->u->flags), 0);
	assert_false(vq_poll_leave(&f->vq));
	assert_false(vq_poll_leave(&f->vq));
	assert_int_equal(f->vq.nr_pollers, 0);
}

#define RACE_CALLS	100000

struct race {
	struct fixture *f;
	int efd;			/* the doorbell */
	unsigned long notified;
	bool stop;			/* the device gave up */
};

/* A driver as Linux's: publish, full barrier, notify unless told not to. */
static void *race_driver(void *arg)
{
	struct race *r = arg;
	struct fixture *f = r->f;
	uint64_t one = 1;
	uint16_t k;
	unsigned int i;

	for (i = 0; i < RACE_CALLS; i++) {
		k = (uint16_t)i;
		/* Its head back first: it may not be published twice. */
		while ((uint16_t)(k - __atomic_load_n(&f->u->idx,
						      __ATOMIC_ACQUIRE)) >= NUM)
			if (__atomic_load_n(&r->stop, __ATOMIC_RELAXED))
				return NULL;
		f->a->ring[k % NUM] = htole16(k % NUM);
		__atomic_store_n(&f->a->idx, htole16(k + 1), __ATOMIC_RELEASE);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (!(le16toh(__atomic_load_n(&f->u->flags, __ATOMIC_RELAXED)) &
		      VRING_USED_F_NO_NOTIFY)) {
			r->notified++;
			if (write(r->efd, &one, sizeof(one)) != sizeof(one))
				break;
		}
	}
	return NULL;
}

/*
 * The device sleeps on the doorbell whenever leave says the ring is
 * empty: a chain published as the flag was cleared, and not rung for,
 * would leave it asleep (the poll times out) with calls not served.
 */
static void test_notify_race(void **state)
{
	struct fixture *f = *state;
	struct race r = { .f = f };
	struct pollfd p;
	unsigned long served = 0;
	pthread_t th;
	uint64_t n;
	unsigned int i;

	for (i = 0; i < NUM; i++)
		set_desc(f, i, f->buf + i * 16, 16, 0, 0);
	r.efd = eventfd(0, EFD_CLOEXEC);
	assert_true(r.efd >= 0);
	p = (struct pollfd){ .fd = r.efd, .events = POLLIN };
	assert_int_equal(pthread_create(&th, NULL, race_driver, &r), 0);
	while (served < RACE_CALLS) {
		if (poll(&p, 1, 5000) != 1)
			break;		/* a lost wake-up */
		assert_int_equal(read(r.efd, &n, sizeof(n)), sizeof(n));
		vq_poll_enter(&f->vq);
		do {
			while (vq_pop(&f->vq, &f->chain) == 1) {
				vq_push(&f->vq, f->chain.gen, f->chain.head, 0);
				served++;
			}
		} while (vq_poll_leave(&f->vq) && (vq_poll_enter(&f->vq), 1));
	}
	__atomic_store_n(&r.stop, true, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	close(r.efd);
	print_message("# %lu calls, %lu doorbells\n", served, r.notified);
	/* How often it rang depends on the scheduler: not asserted. */
	assert_int_equal(served, RACE_CALLS);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

static const struct CMUnitTest tests[] = {
	T(test_round_trip),
	T(test_bad_chains_break_queue),
	T(test_republished_head),
	T(test_answer),
	T(test_empty_descriptors_skipped),
	T(test_broken_ring),
	T(test_head_out_of_range),
	T(test_setup_validates),
	T(test_stale_push_ignored),
	T(test_interrupt_suppression),
	T(test_notify_suppression),
	T(test_notify_reset),
	T(test_notify_race),
};

TEST_MAIN("virtqueue", tests, NULL, NULL)
