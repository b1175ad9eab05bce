// SPDX-License-Identifier: MIT
/*
 * libFuzzer target over the device side: the virtqueue in guest RAM, the
 * request lifecycle (pop, private copy, dispatch, park, answer, push) and
 * the dispatcher with the mock backend behind a few exports. The guest
 * controls the ring, the requests, every buffer, and changes RAM between
 * the device's steps (the script of fuzz_device.h).
 *
 * Single-threaded and deterministic: the "worker pool" is a FIFO the
 * script drains, the wait set runs only when the script says the mock's
 * readiness fd fired, and every call, file and waiter is gone before an
 * input ends (checked: a leak aborts).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend_mock.h"
#include "call.h"
#include "config.h"
#include "dispatch.h"
#include "fuzz_device.h"
#include "guest_mem.h"
#include "ioctl_layout.h"
#include "log.h"
#include "virtqueue.h"
#include "vm.h"
#include "waitset.h"

#define FUZZ_MAX_POPS	4096	/* per input: bounds the time one takes */

int LLVMFuzzerInitialize(int *argc, char ***argv);
const char *__asan_default_options(void);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_call;

struct fuzz_dev {
	struct guest_mem gm;
	uint8_t *ram[2];
	struct virtqueue vq;
	uint32_t num;
	uint64_t desc, avail, used;
	bool broken;			/* NEEDS_RESET until a reset */
	struct host *host;
	struct vm *vm;
	unsigned int mock;		/* FUZZ_MOCK_* now */
	struct fuzz_call *queue;	/* the worker pool's, FIFO */
	struct fuzz_call **queue_tail;
	unsigned int live;		/* calls not yet answered */
	unsigned int pops;
};

/* One request between its pop and its answer (vm_session's session_call). */
struct fuzz_call {
	struct call call;		/* first: the wait set's waiter is */
	struct fuzz_dev *dev;
	struct fuzz_call *next;		/* the "worker pool" FIFO */
	struct vq_chain chain;
};

static struct config *fuzz_cfg;
static uint8_t *fuzz_ram[2];		/* allocated once: mmap per input is slow */
static int fuzz_pipe[2];		/* the mock's readiness fd */
static volatile uint8_t fuzz_sink;

/*
 * Every input allocates and frees its host, VM and calls: with ASan's
 * 256 MiB quarantine each allocation faults in fresh pages, and the
 * target runs at a third of the speed. A call lives within one input, so
 * a small quarantine still catches its use after free.
 */
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=16";
}

static void fuzz_log_sink(enum log_level level, const char *line)
{
	(void)level;
	(void)line;
}

/*
 * The transport side of the request lifecycle (call.h), as
 * vmm-glue/vm_session.c runs it: the lifecycle itself is the daemon's.
 */

static void fuzz_queue(struct fuzz_call *fc)
{
	struct fuzz_dev *dev = fc->dev;

	fc->next = NULL;
	*dev->queue_tail = fc;
	dev->queue_tail = &fc->next;
}

static struct fuzz_call *call_dequeue(struct fuzz_dev *dev)
{
	struct fuzz_call *fc = dev->queue;

	if (fc) {
		dev->queue = fc->next;
		if (!dev->queue)
			dev->queue_tail = &dev->queue;
	}
	return fc;
}

static void fuzz_call_answer(struct call *c, const void *resp, size_t n)
{
	struct fuzz_call *fc = (struct fuzz_call *)c;
	int done;

	if (!resp)
		return;
	done = vq_answer(&fc->dev->vq, &fc->chain, resp, n);
#ifdef FUZZ_DEVICE_TRACE	/* -DFUZZ_DEVICE_TRACE: what each seed does */
	if (n >= 16)
		fprintf(stderr, "answer head %u: tag %llu result %lld (%d of "
			"%zu bytes)\n", fc->chain.head,
			(unsigned long long)le64toh(*(const uint64_t *)resp),
			(long long)le64toh(*(const uint64_t *)
					   ((const uint8_t *)resp + 8)),
			done, n);
#else
	(void)done;
#endif
}

static void fuzz_call_queue(struct call *c)
{
	fuzz_queue((struct fuzz_call *)c);
}

static void fuzz_call_free(struct call *c)
{
	struct fuzz_call *fc = (struct fuzz_call *)c;

	fc->dev->live--;
	free(fc);
}

static const struct call_ops fuzz_call_ops = {
	.answer = fuzz_call_answer,
	.queue = fuzz_call_queue,
	.free = fuzz_call_free,
};

/* Pop one chain: 1 popped, 0 none (or the ring is broken). */
static int dev_pop(struct fuzz_dev *dev)
{
	struct dispatch_env env = { &dev->gm, vm_epoch(dev->vm) };
	struct fuzz_call *fc;
	int ret;

	if (dev->broken || dev->pops >= FUZZ_MAX_POPS)
		return 0;
	dev->pops++;
	fc = calloc(1, sizeof(*fc));
	if (!fc)
		abort();
	ret = vq_pop(&dev->vq, &fc->chain);
	if (ret != 1) {
		free(fc);
		if (ret == -EIO)	/* the guest broke the ring */
			dev->broken = true;
		return 0;
	}
	fc->dev = dev;
	dev->live++;
	if (!call_begin(&fc->call, &fuzz_call_ops, dev->vm, &env,
			fc->chain.in, fc->chain.nr_in, sizeof(*fc)))
		fuzz_queue(fc);
	return 1;
}

/* End of the lifecycle. */

static void dev_kick(struct fuzz_dev *dev)
{
	while (dev_pop(dev))
		;
}

static void dev_run(struct fuzz_dev *dev)
{
	struct fuzz_call *fc;

	while ((fc = call_dequeue(dev)))
		call_serve(&fc->call);
}

/* A driver for ioctls: reads what it may read, writes what it may write. */
static long fuzz_driver_ioctl(uint32_t cmd, unsigned long arg)
{
	const struct ioctl_layout *l = layout_find(cmd);
	struct ioctl_layout scratch;
	const uint8_t *p = (const uint8_t *)arg;

	if (!l && !layout_from_ioc(cmd, &scratch))
		l = &scratch;
	if (!l || !l->arg_size)
		return (long)(arg & 0xff);	/* an integer argument */
	if (l->arg_dir & LAYOUT_DIR_IN)
		fuzz_sink = p[0] ^ p[l->arg_size - 1];
	if (l->arg_dir & LAYOUT_DIR_OUT)
		memset((void *)arg, 0x5a, l->arg_size);
	return cmd & 1;
}

static void pipe_set(bool readable)
{
	uint8_t b[64];

	while (read(fuzz_pipe[0], b, sizeof(b)) > 0)
		;
	if (readable && write(fuzz_pipe[1], "", 1) != 1)
		abort();
}

static void dev_mock(struct fuzz_dev *dev, unsigned int flags)
{
	dev->mock = flags;
	mock_set_poll_fd(flags & FUZZ_MOCK_POLL_FD ? fuzz_pipe[0] : -1);
	mock_set_empty(flags & FUZZ_MOCK_EMPTY);
	mock_set_ioctl(flags & FUZZ_MOCK_IOCTL ? fuzz_driver_ioctl : NULL);
	mock_fail_next(MOCK_OPEN, flags & FUZZ_MOCK_FAIL_OPEN ? EIO : 0);
	mock_fail_next(MOCK_READ, flags & FUZZ_MOCK_FAIL_RW ? EIO : 0);
	mock_fail_next(MOCK_WRITE, flags & FUZZ_MOCK_FAIL_RW ? EIO : 0);
	pipe_set(flags & FUZZ_MOCK_READABLE);
}

static uint8_t *ram_byte(struct fuzz_dev *dev, uint32_t gpa)
{
	gpa %= FUZZ_RAM_SIZE;
	return gpa < FUZZ_RAM_SPLIT ? &dev->ram[0][gpa] :
				      &dev->ram[1][gpa - FUZZ_RAM_SPLIT];
}

/* The script, read byte by byte; zeros past its end. */
struct cursor {
	const uint8_t *p;
	size_t n;
};

static uint8_t get8(struct cursor *c)
{
	if (!c->n)
		return 0;
	c->n--;
	return *c->p++;
}

static uint32_t get32(struct cursor *c)
{
	uint32_t v = get8(c);

	v |= (uint32_t)get8(c) << 8;
	v |= (uint32_t)get8(c) << 16;
	return v | (uint32_t)get8(c) << 24;
}

static int dev_setup_queue(struct fuzz_dev *dev)
{
	dev->broken = false;
	return vq_setup(&dev->vq, &dev->gm, dev->num, FUZZ_RING_MAX,
			dev->desc, dev->avail, dev->used);
}

static void dev_step(struct fuzz_dev *dev, struct cursor *c)
{
	struct fuzz_call *call;
	uint32_t gpa;
	unsigned int n;

	switch (get8(c) % FUZZ_STEP_NR) {
	case FUZZ_STEP_KICK:
		dev_kick(dev);
		break;
	case FUZZ_STEP_POP:
		dev_pop(dev);
		break;
	case FUZZ_STEP_SERVE:
		call = call_dequeue(dev);
		if (call)
			call_serve(&call->call);
		break;
	case FUZZ_STEP_RUN:
		dev_run(dev);
		break;
	case FUZZ_STEP_POKE:
		gpa = get32(c);
		n = (get8(c) & 7) + 1;
		while (n--)
			*ram_byte(dev, gpa++) = get8(c);
		break;
	case FUZZ_STEP_FLIP:
		gpa = get32(c);
		*ram_byte(dev, gpa) ^= get8(c);
		break;
	case FUZZ_STEP_READY:
		pipe_set(true);
		waitset_run(host_waitset(dev->host));
		pipe_set(dev->mock & FUZZ_MOCK_READABLE);
		break;
	case FUZZ_STEP_MOCK:
		dev_mock(dev, get8(c));
		break;
	case FUZZ_STEP_RESET:
		/* QMP RESET, then the guest's driver sets the queue up again. */
		vm_reset(dev->vm);
		vq_reset(&dev->vq);
		dev_setup_queue(dev);
		break;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const flags[][2] = {
		{ "--vm", "a,max-open=8,max-request=64K,max-inflight=4" },
		{ "--export", "a:rw=/dev/null,backend=mock,"
			      "allow=0x4201:int+0x80044202:out:4" },
		{ "--export", "a:ro=/dev/null,backend=mock,ro" },
		{ "--export", "a:excl=/dev/zero,backend=mock,exclusive,"
			      "deny=0x2285" },
		{ "--export", "a:scsi=/dev/null,backend=mock,scsi=passthrough,"
			      "allow=0xc0105a01:inout:16" },
	};
	char err[256];
	unsigned int i;

	(void)argc;
	(void)argv;
	log_set_sink(fuzz_log_sink);
	fuzz_cfg = calloc(1, sizeof(*fuzz_cfg));
	fuzz_ram[0] = malloc(FUZZ_RAM_SPLIT);
	fuzz_ram[1] = malloc(FUZZ_RAM_SIZE - FUZZ_RAM_SPLIT);
	if (!fuzz_cfg || !fuzz_ram[0] || !fuzz_ram[1] ||
	    pipe2(fuzz_pipe, O_NONBLOCK | O_CLOEXEC))
		abort();
	config_init(fuzz_cfg);
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (config_apply_flag(fuzz_cfg, flags[i][0], flags[i][1], err,
				      sizeof(err))) {
			fprintf(stderr, "fuzz_device: %s\n", err);
			abort();
		}
	}
	if (config_finish(fuzz_cfg, err, sizeof(err))) {
		fprintf(stderr, "fuzz_device: %s\n", err);
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t small[4096];
	struct fuzz_dev dev;
	struct fuzz_dev_hdr h;
	struct cursor script;
	size_t rest, n;

	if (size < sizeof(h))
		return 0;
	memcpy(&h, data, sizeof(h));
	data += sizeof(h);
	size -= sizeof(h);
	script.p = data;
	script.n = le16toh(h.script_len) < size ? le16toh(h.script_len) : size;
	data += script.n;
	rest = size - script.n;

	memset(&dev, 0, sizeof(dev));
	dev.queue_tail = &dev.queue;
	dev.ram[0] = fuzz_ram[0];
	dev.ram[1] = fuzz_ram[1];
	memset(dev.ram[0], 0, FUZZ_RAM_SPLIT);
	memset(dev.ram[1], 0, FUZZ_RAM_SIZE - FUZZ_RAM_SPLIT);
	n = rest < FUZZ_RAM_SPLIT ? rest : FUZZ_RAM_SPLIT;
	memcpy(dev.ram[0], data, n);
	if (rest > n)
		memcpy(dev.ram[1], data + n,
		       rest - n < FUZZ_RAM_SIZE - FUZZ_RAM_SPLIT ?
		       rest - n : FUZZ_RAM_SIZE - FUZZ_RAM_SPLIT);
	guest_mem_init(&dev.gm);
	if (guest_mem_add_region(&dev.gm, 0, FUZZ_RAM_SPLIT, dev.ram[0]) ||
	    guest_mem_add_region(&dev.gm, FUZZ_RAM_SPLIT,
				 FUZZ_RAM_SIZE - FUZZ_RAM_SPLIT, dev.ram[1]))
		abort();

	vq_init(&dev.vq);
	dev.num = 1u << (h.ring_order & 15);
	dev.desc = le32toh(h.desc) % (FUZZ_RAM_SIZE + 256);
	dev.avail = le32toh(h.avail) % (FUZZ_RAM_SIZE + 256);
	dev.used = le32toh(h.used) % (FUZZ_RAM_SIZE + 256);
	if (dev_setup_queue(&dev))
		goto out_vq;

	mock_reset();
	if (h.mock & FUZZ_MOCK_SMALL)
		mock_set_content(small, sizeof(small));
	dev.host = host_create();
	if (!dev.host)
		abort();
	dev.vm = vm_create(dev.host, &fuzz_cfg->vms[0]);
	if (!dev.vm)
		abort();
	vm_set_memory(dev.vm, &dev.gm);
	dev_mock(&dev, h.mock);

	while (script.n)
		dev_step(&dev, &script);
	dev_kick(&dev);
	dev_run(&dev);

	/* Parked calls end here: the VM's reset cancels and answers them. */
	vm_destroy(dev.vm);
	if (dev.live || dev.queue || mock_calls()->open_now)
		abort();		/* a call or a host file leaked */
	host_destroy(dev.host);
out_vq:
	pthread_mutex_destroy(&dev.vq.lock);
	return 0;
}
