// SPDX-License-Identifier: MIT
/*
 * One VM as the daemon serves it: see vm_session.h. Everything that
 * changes the session's state (connect, disconnect, mailbox, QMP reset)
 * runs on the event loop's thread; workers take the request queue's
 * doorbell and serve calls, each holding its own reference to the RAM it
 * was taken against (taken under ram_lock).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "call.h"
#include "sd_notify.h"
#include "log.h"
#include "vm_session.h"

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint64_t now_ms(void)
{
	return mono_ns() / 1000000;
}

/*
 * Per-stage timing for `make bench`: with DEVCALLD_STAGES=FILE in the
 * environment, each call appends one line: its op and length, then
 * CLOCK_MONOTONIC ns stamps (doorbell seen, queued, worker runs it,
 * answer ready, interrupt sent).
 * Off, a call pays one predictable branch per stage.
 */
enum { TS_WAKE, TS_QUEUED, TS_RUN, TS_ANSWER, STAGE_TS };
static int stages_fd = -1;

static uint64_t stages_now(void)
{
	if (__builtin_expect(stages_fd < 0, 1))
		return 0;
	return mono_ns();
}

/* Opened before the privilege drop: the first session does it. */
static void stages_open(void)
{
	static bool tried;
	const char *path = getenv("DEVCALLD_STAGES");

	if (tried || !path || !path[0])
		return;
	tried = true;
	stages_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
			 O_CLOEXEC, 0600);
	if (stages_fd < 0)
		log_err("DEVCALLD_STAGES %s: %s", path, strerror(errno));
}

static void stages_write(const struct call *c, const uint64_t *ts)
{
	struct devcall_req h;
	char line[160];
	int n;

	if (!ts[TS_WAKE] || !ts[TS_RUN] || !c->wire ||
	    c->wire_len < sizeof(h))
		return;		/* a call begun before the stamps were on */
	memcpy(&h, c->wire, sizeof(h));
	n = snprintf(line, sizeof(line), "%u %u %llu %llu %llu %llu %llu\n",
		     le16toh(h.op), le32toh(h.len),
		     (unsigned long long)ts[TS_WAKE],
		     (unsigned long long)ts[TS_QUEUED],
		     (unsigned long long)ts[TS_RUN],
		     (unsigned long long)ts[TS_ANSWER],
		     (unsigned long long)stages_now());
	if (write(stages_fd, line, (size_t)n) < 0)
		return;		/* numbers for a bench, nothing depends on them */
}

/* A call as this transport carries it: the chain it answers into. */
struct session_call {
	struct call call;		/* first: the wait set's waiter is */
	struct pool_job job;
	struct vm_session *s;
	struct ram_map *ram;		/* what the chain's iovecs point into */
	struct vq_chain chain;
	uint64_t ts[STAGE_TS];		/* bench stages, if on */
};

static void fill_defaults(const struct daemon_config *d,
			  struct vm_config *cfg, const char *run_dir)
{
	if (!cfg->socket_path[0])
		snprintf(cfg->socket_path, sizeof(cfg->socket_path),
			 "%s/%s.sock", run_dir, cfg->name);
	if (!cfg->qmp_path[0])
		snprintf(cfg->qmp_path, sizeof(cfg->qmp_path), "%s/%s.qmp",
			 run_dir, cfg->name);
	if (!cfg->memory_path[0] && !cfg->memory_auto)
		guest_ram_default_path(cfg->memory_path,
				       sizeof(cfg->memory_path), d->ram_dir,
				       cfg->name);
	if (!cfg->machine[0])
		strcpy(cfg->machine, "q35");
}

/*
 * Answers put on the used ring by the worker serving a run of chains,
 * not signalled yet: the run ends with one interrupt for all of them, as
 * QEMU's virtio-blk sends one per batch of completions. Only while that
 * worker goes on to another short call (session_ring()): an answer
 * waits at most for it, never for a call that may block or a long
 * transfer. Parked calls answered by other threads signal at once.
 */
struct irq_batch {
	struct vm_session *s;
	unsigned int held;
};
static __thread struct irq_batch *irq_batch;

static void session_interrupt(struct vm_session *s)
{
	if (vq_wants_interrupt(&s->vq))
		ivshmem_server_interrupt(&s->srv,
					 DEVCALL_MSIX_VEC_QUEUE(DEVCALL_QUEUE_REQ));
}

static void irq_batch_flush(struct irq_batch *b)
{
	if (b->held) {
		b->held = 0;
		session_interrupt(b->s);
	}
}

/*
 * The call lifecycle's transport ops.
 */

static void scall_answer(struct call *c, const void *resp, size_t n)
{
	struct session_call *sc = (struct session_call *)c;
	struct vm_session *s = sc->s;
	struct irq_batch *b = irq_batch;

	sc->ts[TS_ANSWER] = stages_now();
	/* A call of an old epoch writes nothing: its queue is gone too. */
	if (resp && vq_answer(&s->vq, &sc->chain, resp, n) >= 0) {
		if (b && b->s == s) {
			if (++b->held >= SESSION_IRQ_BATCH)
				irq_batch_flush(b);
		} else {
			session_interrupt(s);
		}
	}
	if (__builtin_expect(stages_fd >= 0, 0))
		stages_write(c, sc->ts);
}

static void scall_queue(struct call *c)
{
	struct session_call *sc = (struct session_call *)c;

	sc->ts[TS_WAKE] = 0;	/* a parked call's times are no request's */
	pool_queue(sc->s->pool, &sc->job);
}

static void scall_free(struct call *c)
{
	struct session_call *sc = (struct session_call *)c;

	ram_map_put(sc->ram);
	free(sc);
}

static const struct call_ops session_call_ops = {
	.answer = scall_answer,
	.queue = scall_queue,
	.free = scall_free,
};

static void scall_run(struct pool_job *job)
{
	struct session_call *sc = (struct session_call *)
		((char *)job - offsetof(struct session_call, job));

	sc->ts[TS_RUN] = stages_now();
	call_serve(&sc->call);
}

/*
 * Take the next chain the guest published, with a reference to the RAM
 * its iovecs point into. NULL when there is none (or no RAM).
 */
static struct session_call *session_pop(struct vm_session *s,
					struct dispatch_env *env)
{
	static __thread struct vq_chain chain;
	struct session_call *sc;
	struct ram_map *ram;
	int ret;

	pthread_mutex_lock(&s->ram_lock);
	ram = s->ram;
	ret = ram ? vq_pop(&s->vq, &chain) : 0;
	if (ret > 0) {
		ram_map_get(ram);
		env->gm = &ram->ram.gm;
		env->epoch = vm_epoch(s->vm);
	}
	pthread_mutex_unlock(&s->ram_lock);
	if (ret < 0) {
		vm_warn(s->vm, "request ring broken by the guest: "
			"device needs a reset");
		shm_transport_needs_reset(&s->shm);
	}
	if (ret <= 0)
		return NULL;
	sc = malloc(sizeof(*sc));
	if (!sc) {
		vq_push(&s->vq, chain.gen, chain.head, 0);
		ram_map_put(ram);
		return NULL;
	}
	sc->s = s;
	sc->ram = ram;
	sc->chain = chain;
	sc->job.run = scall_run;
	return sc;
}

/*
 * Calls that never wait long (reads and writes that would wait are
 * parked in the wait set, not held): while one is served the driver need
 * not ring, this worker looks at the ring when it is done. Any other
 * (an open of a FIFO, a long ioctl, fsync, a tty close) turns the
 * doorbell back on first, so the calls published meanwhile wake another
 * worker.
 */
static bool scall_quick(const struct call *c, uint32_t *len)
{
	struct devcall_req h;
	unsigned int op;

	if (!c->wire || c->wire_len < sizeof(h))
		return false;
	memcpy(&h, c->wire, sizeof(h));
	op = le16toh(h.op);
	*len = le32toh(h.len);
	return op == DEVCALL_OP_READ || op == DEVCALL_OP_WRITE ||
	       op == DEVCALL_OP_BLKINFO || op == DEVCALL_OP_LAYOUT;
}

/*
 * Short calls (reads, writes) are served one after another by the
 * worker that took them unless they take long enough for a second
 * worker to pay for its wake-up (SESSION_HANDOFF_NS): the average moves
 * by an eighth of each call's time, racily (a hint, never a limit).
 */
static bool quick_handoff(struct vm_session *s)
{
	return __atomic_load_n(&s->quick_ns, __ATOMIC_RELAXED) >=
	       SESSION_HANDOFF_NS;
}

static void quick_account(struct vm_session *s, uint64_t ns)
{
	uint64_t avg = __atomic_load_n(&s->quick_ns, __ATOMIC_RELAXED);

	avg = avg - avg / 8 + ns / 8;
	__atomic_store_n(&s->quick_ns, avg, __ATOMIC_RELAXED);
}

/*
 * Adaptive polling (poll-us; off by default: the watch is CPU time, and
 * at one call in flight it costs about what the sleep it saves does, see
 * the README). A worker that woke on the doorbell looks at how long the
 * ring was idle: had a watch of at most poll-us caught the guest's next
 * call, the watch grows (doubling from SESSION_POLL_MIN_NS); idle longer
 * than that, it halves, down to none. A guest that answers in a few
 * microseconds then gets its next call taken with no sleep, wake-up nor
 * doorbell; a slow one (a TCG guest, an idle one) costs a few short
 * watches, then nothing.
 */
static void poll_adapt(struct vm_session *s, uint64_t now)
{
	uint64_t max = (uint64_t)s->cfg->limits.poll_us * 1000;
	uint64_t since = __atomic_load_n(&s->idle_since, __ATOMIC_RELAXED);
	uint64_t poll = __atomic_load_n(&s->poll_ns, __ATOMIC_RELAXED);
	uint64_t idle = since && now > since ? now - since : UINT64_MAX;

	if (!max)
		return;
	if (idle <= max) {
		if (idle > poll)
			poll = poll ? poll * 2 : SESSION_POLL_MIN_NS;
		if (poll > max)
			poll = max;
	} else {
		poll /= 2;
		if (poll < SESSION_POLL_MIN_NS)
			poll = 0;
	}
	__atomic_store_n(&s->poll_ns, poll, __ATOMIC_RELAXED);
}

/* A spinning CPU's hint to its sibling thread and to the hypervisor. */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
#endif
}

/*
 * Watch the ring for the guest's next chain for up to poll_ns, the
 * doorbell still off. True if one came. Holds the RAM the ring lives in
 * meanwhile.
 */
static bool session_poll(struct vm_session *s)
{
	uint64_t poll = __atomic_load_n(&s->poll_ns, __ATOMIC_RELAXED);
	const uint16_t *idx;
	struct ram_map *ram;
	uint64_t end;
	uint16_t last;
	bool found = false;
	unsigned int i;

	if (!poll)
		return false;
	pthread_mutex_lock(&s->ram_lock);
	ram = s->ram;
	if (ram)
		ram_map_get(ram);
	pthread_mutex_unlock(&s->ram_lock);
	if (!ram)
		return false;
	idx = vq_avail_idx(&s->vq, &last);
	end = mono_ns() + poll;
	while (idx && !found) {
		for (i = 0; i < 64 && !found; i++) {
			found = le16toh(__atomic_load_n(idx, __ATOMIC_ACQUIRE)) !=
				last;
			cpu_relax();
		}
		if (mono_ns() >= end)
			break;
	}
	ram_map_put(ram);
	return found;
}

/*
 * The guest rang the queue; this worker woke (the others sleep on):
 * serve what it published, here, with the doorbell off meanwhile
 * (vq_poll_enter()). Before a call that may block, turn the doorbell
 * back on and, with more chains waiting and a worker asleep, ring our
 * own doorbell: that one takes the next chain while this one serves, so
 * a call that blocks holds one worker, not the queue. Short calls are
 * handed on the same way only when they are slow (quick_handoff()); fast
 * ones this worker serves in a row, one wake-up for the run. At most
 * SESSION_KICK_BUDGET chains per wake: with more, ring again and look at
 * the pool's own jobs (parked calls woken) first.
 */
static void session_ring(void *ctx)
{
	struct vm_session *s = ctx;
	unsigned int vec = DEVCALL_DB_VEC_QUEUE(DEVCALL_QUEUE_REQ);
	struct irq_batch batch = { .s = s };
	struct dispatch_env env;
	struct session_call *sc;
	uint64_t woke = mono_ns(), wake, t0;
	bool quick, served = false;
	unsigned int n;
	uint32_t len;

	if (!ivshmem_server_doorbell_live(&s->srv, vec))
		return;
	irq_batch = &batch;
	vq_poll_enter(&s->vq);
	for (n = 0; n < SESSION_KICK_BUDGET; n++) {
		wake = stages_now();
		sc = session_pop(s, &env);
		if (!sc) {
			irq_batch_flush(&batch);
			/*
			 * Only a worker that took the guest's calls watches
			 * for the next and says when the ring went idle: one
			 * woken for nothing (another took the chain, or a
			 * ring left on its list while it was busy, see
			 * worker_pool.c) must not skew the watch.
			 */
			if (served && session_poll(s))
				continue;
			/* Published as we turned the doorbell on: take it. */
			if (!vq_poll_leave(&s->vq)) {
				if (served)
					__atomic_store_n(&s->idle_since,
							 mono_ns(),
							 __ATOMIC_RELAXED);
				goto out;
			}
			vq_poll_enter(&s->vq);
			continue;
		}
		if (!served) {
			served = true;
			poll_adapt(s, woke);
		}
		sc->ts[TS_WAKE] = wake;
		/* Over the VM's budget it is answered and gone already. */
		if (call_begin(&sc->call, &session_call_ops, s->vm, &env,
			       sc->chain.in, sc->chain.nr_in, sizeof(*sc)))
			continue;
		sc->ts[TS_QUEUED] = stages_now();
		sc->ts[TS_RUN] = sc->ts[TS_QUEUED];
		len = 0;
		quick = scall_quick(&sc->call, &len);
		/* The answers held so far do not wait behind this one. */
		if (!quick || len > SESSION_IRQ_HOLD_BYTES)
			irq_batch_flush(&batch);
		if (!quick) {
			if (vq_poll_leave(&s->vq) && pool_has_idle(s->pool))
				ivshmem_server_rearm(&s->srv, vec);
			call_serve(&sc->call);
			vq_poll_enter(&s->vq);
			continue;
		}
		if (quick_handoff(s) && vq_pending(&s->vq) &&
		    pool_has_idle(s->pool))
			ivshmem_server_rearm(&s->srv, vec);
		t0 = mono_ns();
		call_serve(&sc->call);
		quick_account(s, mono_ns() - t0);
	}
	irq_batch_flush(&batch);
	vq_poll_leave(&s->vq);
	/*
	 * A guest that keeps the ring full keeps its workers running: let
	 * the daemon's other threads (the heartbeat, the event loop, other
	 * VMs' workers) have the CPU before this one goes on.
	 */
	ivshmem_server_rearm(&s->srv, vec);
	irq_batch = NULL;
	sched_yield();
	return;
out:
	irq_batch = NULL;
}

static void session_doorbell_fd(void *ctx, unsigned int vec, int fd, bool on)
{
	struct vm_session *s = ctx;
	int ret;

	(void)vec;
	if (!on) {
		pool_unwatch(s->pool, fd);
		return;
	}
	ret = pool_watch(s->pool, fd);
	if (ret)
		log_err("vm %s: doorbell not watched: %s", s->cfg->name,
			strerror(-ret));
}

/*
 * The device behind the transport.
 */

static void ram_drop(struct vm_session *s)
{
	struct ram_map *m = s->ram;

	pthread_mutex_lock(&s->ram_lock);
	s->ram = NULL;
	pthread_mutex_unlock(&s->ram_lock);
	if (s->vm)
		vm_set_memory(s->vm, NULL);
	if (m)
		ram_map_put(m);
}

/*
 * Back to power-on: what a reset guest sees. Its RAM stays mapped (the
 * same QEMU, the same file) until QEMU goes: a guest resetting in a loop
 * costs no remapping; calls of the old epoch are refused all the same.
 */
static void device_reset(void *ctx)
{
	struct vm_session *s = ctx;

	s->ram_deferred = 0;
	vq_reset(&s->vq);
	vm_reset(s->vm);
}

/*
 * memory = auto: the backends QEMU's QMP monitor named, taken from the
 * fd table of the QEMU on the ivshmem socket (ram_discover.h). QEMU's
 * monitor connects when QEMU starts, seconds before a guest driver
 * enables its queue; but after a daemon restart the guest may come back
 * first (QEMU reconnects its monitor within a second): the enable is
 * then left unanswered (-EINPROGRESS) and answered when QMP has said
 * where the RAM is (session_on_qmp()). The guest gives up after 3 s.
 */
static int session_ram_discover(struct vm_session *s, struct ram_map **out,
				 const struct guest_ram_policy *policy)
{
	const struct qmp_ram *ram;
	const char *why;
	int err;

	ram = qmp_events_ram(s->qmp, &err, &why);
	if (!ram && !err) {
		if (!s->ram_deferred) {
			log_info("vm %s: queue enable waits for QEMU's QMP "
				 "monitor (memory = auto)", s->cfg->name);
			s->ram_deferred = now_ms();
		}
		return -EINPROGRESS;
	}
	s->ram_deferred = 0;
	if (!ram) {
		vm_warn(s->vm, "guest RAM not known (memory = auto): %s", why);
		return err ? err : -EAGAIN;
	}
	return ram_map_discover(out, ivshmem_server_peer_pid(&s->srv),
				ram, s->cfg->machine, s->cfg->name, policy,
				s->ram_broken_fd);
}

static int device_queue_enable(void *ctx, unsigned int q, uint32_t num,
			       uint64_t desc, uint64_t avail, uint64_t used)
{
	struct vm_session *s = ctx;
	int ret;

	(void)q;
	if (!s->ram) {
		struct guest_ram_policy policy = {
			.owner = s->daemon->qemu_uid,
			.size = s->cfg->memory_size,
		};

		struct ram_map *ram = NULL;

		ret = s->cfg->memory_auto ?
		      session_ram_discover(s, &ram, &policy) :
		      ram_map_open(&ram, s->cfg->memory_path,
				   s->cfg->machine, s->cfg->name, &policy,
				   s->ram_broken_fd);
		if (ret)
			return -ret;
		/* Workers take it when they pop (session_pop()). */
		pthread_mutex_lock(&s->ram_lock);
		s->ram = ram;
		pthread_mutex_unlock(&s->ram_lock);
		vm_set_memory(s->vm, &s->ram->ram.gm);
	}
	ret = vq_setup(&s->vq, &s->ram->ram.gm, num, DEVCALL_QUEUE_NUM_MAX, desc,
		       avail, used);
	if (ret) {
		vm_warn(s->vm, "queue refused: rings not in guest RAM, "
			"misaligned or of a bad size");
		return -ret;
	}
	return 0;
}

/*
 * The guest's driver reset the device: it is probing, or it was unloaded
 * (files of the guest still open then close, their claims go, as on a
 * guest reset). The line is the VM's, rate limited: a guest may do this
 * in a loop.
 */
static void device_driver_reset(void *ctx)
{
	struct vm_session *s = ctx;
	unsigned int n = vm_open_count(s->vm);

	if (n)
		vm_log(s->vm, LOG_INFO,
		       "the guest's driver reset the device: closing its %u open file(s)",
		       n);
	device_reset(s);
}

static void device_queue_reset(void *ctx, unsigned int q)
{
	struct vm_session *s = ctx;

	(void)q;
	vq_reset(&s->vq);
}

static void device_interrupt(void *ctx, unsigned int vec)
{
	struct vm_session *s = ctx;

	ivshmem_server_interrupt(&s->srv, vec);
}

static const struct shm_device_ops session_device_ops = {
	.queue_enable = device_queue_enable,
	.queue_reset = device_queue_reset,
	.reset = device_driver_reset,
	.interrupt = device_interrupt,
};

/*
 * The guest's RAM file was truncated under us (guest_ram.h): the mapping
 * is zero pages now, for this VM alone. It cannot be served any more:
 * let its QEMU go, which resets the device and closes its files.
 */
static void session_ram_broken(struct event_src *src, uint32_t events)
{
	struct vm_session *s = ((struct session_ev *)src)->s;
	uint64_t n;

	(void)events;
	if (read(s->ram_broken_fd, &n, sizeof(n)) < 0)
		return;
	log_err("vm %s: guest RAM file %s was truncated: disconnecting the VM",
		s->cfg->name, s->cfg->memory_auto ? "(memory = auto)" :
		s->cfg->memory_path);
	ivshmem_server_disconnect(&s->srv);
}

/*
 * The ivshmem server's events.
 */

static void session_qmp_check_waiting(struct vm_session *s);

static void server_connected(void *ctx)
{
	struct vm_session *s = ctx;

	__atomic_store_n(&s->connected, true, __ATOMIC_RELEASE);
	session_qmp_check_waiting(s);
}

static void server_disconnected(void *ctx)
{
	struct vm_session *s = ctx;

	__atomic_store_n(&s->connected, false, __ATOMIC_RELEASE);
	log_info("vm %s: QEMU disconnected: closing its %u open file(s)",
		 s->cfg->name, vm_open_count(s->vm));
	device_reset(s);
	ram_drop(s);
	if (s->shm.regs)
		shm_transport_republish(&s->shm);
}

static void server_doorbell(void *ctx, unsigned int vec)
{
	struct vm_session *s = ctx;

	if (vec == DEVCALL_DB_VEC_CMD)
		shm_transport_mailbox(&s->shm);
}

static const struct ivshmem_server_ops session_server_ops = {
	.connected = server_connected,
	.disconnected = server_disconnected,
	.doorbell = server_doorbell,
	/* The request queue's doorbell: the VM's workers wait on it. */
	.direct_vecs = 1u << DEVCALL_DB_VEC_QUEUE(DEVCALL_QUEUE_REQ),
	.doorbell_fd = session_doorbell_fd,
};

/*
 * QEMU's QMP events: a guest reset.
 */

/*
 * The guest was reset (QEMU's RESET event): its driver is gone with
 * everything it had open. Close its host files and release its claims
 * now, as a disconnect would; the guest's new driver finds a device that
 * is reset too.
 */
static void session_on_qmp(void *ctx, enum qmp_event ev)
{
	struct vm_session *s = ctx;

	if (ev == QMP_EV_RAM) {
		const char *why;
		int err;

		if (!qmp_events_ram(s->qmp, &err, &why))
			log_err("vm %s: guest RAM discovery through QMP "
				"failed: %s", s->cfg->name, why);
		/*
		 * A queue enable waiting for this is answered now, unless the
		 * guest has stopped waiting (its mailbox timeout, 3 s): then
		 * its rings may be freed memory already.
		 */
		if (s->ram_deferred &&
		    now_ms() - s->ram_deferred < SESSION_DEFER_MS)
			shm_transport_mailbox(&s->shm);
		s->ram_deferred = 0;
		return;
	}
	if (ev != QMP_EV_RESET)
		return;
	log_info("vm %s: guest reset: closing its %u open file(s)",
		 s->cfg->name, vm_open_count(s->vm));
	device_reset(s);
	shm_transport_reset_regs(&s->shm);
}

static void session_qmp_event(struct event_src *src, uint32_t events)
{
	struct vm_session *s = ((struct session_ev *)src)->s;
	int fd = qmp_events_fd(s->qmp);

	(void)events;
	if (fd >= 0 && qmp_events_read(s->qmp, session_on_qmp, s) < 0) {
		event_unwatch(s->epfd, fd);
		log_info("vm %s: QEMU's QMP events disconnected", s->cfg->name);
	}
}

/* Take QMP events from fd (a checked connection of this VM's QEMU). */
static void session_qmp_attach(struct vm_session *s, int fd)
{
	event_unwatch(s->epfd, qmp_events_fd(s->qmp));
	qmp_events_attach(s->qmp, fd);
	if (qmp_events_fd(s->qmp) >= 0 &&
	    event_watch(s->epfd, qmp_events_fd(s->qmp), &s->ev_qmp.src) == 0)
		log_info("vm %s: QEMU's QMP events connected", s->cfg->name);
}

static void session_qmp_unwait(struct vm_session *s)
{
	if (s->qmp_wait_fd >= 0)
		close(s->qmp_wait_fd);
	s->qmp_wait_fd = -1;
}

/*
 * The ivshmem connection came: a QMP connection held for it is taken
 * if it comes from the same QEMU.
 */
static void session_qmp_check_waiting(struct vm_session *s)
{
	pid_t qemu = ivshmem_server_peer_pid(&s->srv);
	struct ucred cred = { -1, (uid_t)-1, (gid_t)-1 };
	int fd = s->qmp_wait_fd;

	if (fd < 0 || qemu <= 0)
		return;
	s->qmp_wait_fd = -1;
	if (sock_peer_check(fd, &s->srv.access.peer, &cred) ||
	    cred.pid != qemu) {
		vm_warn(s->vm, "QMP connection from pid %d refused: not the "
			"QEMU of this VM (pid %d)", (int)cred.pid, (int)qemu);
		close(fd);
		return;
	}
	session_qmp_attach(s, fd);
}

/*
 * Events are taken only from the QEMU this VM's ivshmem connection comes
 * from: anyone else on the socket could otherwise reset the VM's files.
 *
 * A connection that comes before the ivshmem one is held, not closed:
 * libvirt puts <qemu:commandline> chardevs before the <shmem> one, so
 * QEMU's monitor may connect first. Closing it at once crashes QEMU 7.2
 * (and later, as of this writing): the EOF is read in the monitor's I/O
 * thread, which frees the channel while the main thread, still in
 * tcp_chr_connect() -> update_ioc_handlers(), goes on to
 * qio_channel_create_watch(s->ioc = NULL): a SIGSEGV in
 * object_get_class() (docs/libvirt.md). One connection is held; a newer
 * one replaces it.
 */
static void session_qmp_accept(struct event_src *src, uint32_t events)
{
	struct vm_session *s = ((struct session_ev *)src)->s;
	int fd = accept4(s->qmp_listen_fd, NULL, NULL, SOCK_CLOEXEC);
	pid_t qemu = ivshmem_server_peer_pid(&s->srv);
	struct ucred cred = { -1, (uid_t)-1, (gid_t)-1 };

	(void)events;
	if (fd < 0)
		return;
	if (sock_peer_check(fd, &s->srv.access.peer, &cred) ||
	    (qemu > 0 && cred.pid != qemu)) {
		vm_warn(s->vm, "QMP connection from pid %d refused: not the "
			"QEMU of this VM", (int)cred.pid);
		close(fd);
		return;
	}
	if (qemu <= 0) {
		session_qmp_unwait(s);
		s->qmp_wait_fd = fd;
		log_info("vm %s: QMP connection from pid %d waits for its "
			 "ivshmem connection", s->cfg->name, (int)cred.pid);
		return;
	}
	session_qmp_attach(s, fd);
}

static int qmp_listen(struct vm_session *s)
{
	s->qmp = qmp_events_new();
	if (!s->qmp)
		return -ENOMEM;
	if (s->cfg->memory_auto)
		qmp_events_discover(s->qmp);
	s->qmp_listen_fd = sock_listen(s->cfg->qmp_path,
				       SOCK_STREAM | SOCK_NONBLOCK, 2,
				       s->srv.access.socket_mode,
				       s->srv.access.socket_gid);
	if (s->qmp_listen_fd < 0)
		return s->qmp_listen_fd;
	return event_watch(s->epfd, s->qmp_listen_fd, &s->ev_qmp_listen.src);
}

/*
 * The session.
 */

int session_create(struct vm_session **out, struct host *host,
		   const struct daemon_config *daemon,
		   const struct vm_config *vcfg, const char *run_dir, int epfd,
		   bool live)
{
	struct ivshmem_server_access access = {
		.socket_mode = daemon->socket_mode,
		.socket_gid = daemon->socket_gid,
		.peer = { daemon->qemu_uid, daemon->socket_gid },
		.no_keeper = live,
	};
	bool own_ram_dir = !vcfg->memory_path[0] && !vcfg->memory_auto;
	struct vm_config *cfg;
	const char *why = NULL;
	struct vm_session *s;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	/* The session's own copy: a reload frees the configuration. */
	s->own_cfg = *vcfg;
	cfg = &s->own_cfg;
	fill_defaults(daemon, cfg, run_dir);
	stages_open();
	s->daemon = daemon;
	s->cfg = cfg;
	s->epfd = epfd;
	s->qmp_listen_fd = -1;
	s->qmp_wait_fd = -1;
	s->ev_ram_broken = (struct session_ev){ { session_ram_broken }, s };
	s->ev_qmp_listen = (struct session_ev){ { session_qmp_accept }, s };
	s->ev_qmp = (struct session_ev){ { session_qmp_event }, s };
	s->ram_broken_fd = -1;
	vq_init(&s->vq);
	pthread_mutex_init(&s->ram_lock, NULL);

	ret = -ENOMEM;
	s->vm = vm_create(host, cfg);
	s->pool = pool_create(cfg->name, cfg->limits.workers);
	/* Until calls were timed: as if slow, side by side. */
	s->quick_ns = 2 * SESSION_HANDOFF_NS;
	if (!s->vm || !s->pool)
		goto fail;
	pool_set_doorbell(s->pool, session_ring, s);
	/*
	 * The VM's RAM file goes in a directory of its own (0700, QEMU's);
	 * a memory = of the user's must be in one like it (guest_ram.h).
	 */
	ret = !own_ram_dir ? 0 :
	      guest_ram_dir_prepare(daemon->ram_dir, cfg->name,
				    daemon->qemu_uid, daemon->qemu_gid, &why);
	if (ret) {
		log_err("vm %s: RAM directory under %s: %s", cfg->name,
			daemon->ram_dir, why ? why : strerror(-ret));
		goto fail;
	}
	s->ram_broken_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->ram_broken_fd < 0 ||
	    event_watch(epfd, s->ram_broken_fd, &s->ev_ram_broken.src)) {
		ret = -errno;
		goto fail;
	}
	ret = ivshmem_server_init(&s->srv, cfg->name, cfg->socket_path, epfd,
				  &access, &session_server_ops, s);
	s->srv_ready = true;
	if (ret)
		goto fail;
	ret = shm_transport_init(&s->shm, s->srv.shm_fd, cfg, s->vm,
				 &session_device_ops, s);
	if (ret)
		goto fail;
	ret = ivshmem_server_start(&s->srv);
	if (ret)
		goto fail;
	/* QEMU's QMP monitor connects here (a client chardev with reconnect). */
	ret = qmp_listen(s);
	if (ret)
		goto fail;
	log_info("vm %s: listening on %s, %u export(s), %u worker(s)",
		 cfg->name, cfg->socket_path, cfg->nr_exports,
		 cfg->limits.workers);
	if (live && !fdstore_enabled())
		log_warn("vm %s: added to a running daemon: no fd keeper, a "
			 "daemon restart disconnects its QEMU (systemd's fd "
			 "store, --fd-store, has none of this)", cfg->name);
	*out = s;
	return 0;
fail:
	session_destroy(s);
	return ret;
}

int session_start_workers(struct vm_session *s)
{
	return pool_start(s->pool);
}

void session_destroy(struct vm_session *s)
{
	if (!s)
		return;
	if (s->srv_ready)
		ivshmem_server_fini(&s->srv);
	if (s->qmp_listen_fd >= 0) {
		event_unwatch(s->epfd, s->qmp_listen_fd);
		unlink(s->cfg->qmp_path);
		close(s->qmp_listen_fd);
	}
	session_qmp_unwait(s);
	qmp_events_free(s->qmp);
	shm_transport_fini(&s->shm);
	ram_drop(s);
	if (s->ram_broken_fd >= 0) {
		event_unwatch(s->epfd, s->ram_broken_fd);
		close(s->ram_broken_fd);
	}
	vm_destroy(s->vm);
	pool_free(s->pool);
	free(s);
}

void session_retire(struct vm_session *s)
{
	log_info("vm %s: removed: closing its %u open file(s)", s->cfg->name,
		 vm_open_count(s->vm));
	/* QEMU lets go (and systemd's store of it): the device is reset,
	 * its host files closed and claims released (vm_reset()). */
	ivshmem_server_disconnect(&s->srv);
	ivshmem_server_fini(&s->srv);
	s->srv_ready = false;
	vm_reset(s->vm);
	if (s->qmp_listen_fd >= 0) {
		event_unwatch(s->epfd, s->qmp_listen_fd);
		unlink(s->cfg->qmp_path);
		close(s->qmp_listen_fd);
		s->qmp_listen_fd = -1;
	}
	session_qmp_unwait(s);
	/* Closed when reaped: the loop may still hold an event of theirs. */
	event_unwatch(s->epfd, qmp_events_fd(s->qmp));
	event_unwatch(s->epfd, s->ram_broken_fd);
}

void session_reap(struct vm_session *s)
{
	const struct timespec tick = { 0, 5 * 1000000L };
	unsigned int calls;
	size_t bytes;

	/*
	 * Calls of the old epoch still queued, parked (vm_reset() sent them
	 * back to the workers) or running in a host driver end on their
	 * own, answering nobody; they hold the VM, its RAM map and its pool.
	 */
	for (;;) {
		vm_budget_usage(s->vm, &calls, &bytes);
		if (!calls)
			break;
		nanosleep(&tick, NULL);
	}
	pool_stop(s->pool);
	s->pool = NULL;
	qmp_events_free(s->qmp);
	s->qmp = NULL;
	session_destroy(s);
}

void session_heartbeat(struct vm_session *s)
{
	if (__atomic_load_n(&s->connected, __ATOMIC_ACQUIRE))
		shm_transport_heartbeat(&s->shm);
}

void session_stop(struct vm_session *s)
{
	ivshmem_server_stop(&s->srv);
}

int session_reload(struct vm_session *s, const struct vm_config *ncfg,
		   struct vm_reload_stats *out)
{
	struct vm_reload_stats st;
	int ret;

	ret = vm_exports_reload(s->vm, ncfg, &st);
	if (out)
		*out = st;
	if (ret) {
		log_err("vm %s: reload: %s", s->cfg->name, strerror(-ret));
		return ret;
	}
	if (!st.added && !st.removed)
		return 0;
	log_info("vm %s: reload: %u export(s) added, %u removed, %u open "
		 "file(s) closed", s->cfg->name, st.added, st.removed,
		 st.closed);
	shm_transport_exports_changed(&s->shm);
	return 0;
}
