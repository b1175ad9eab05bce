// SPDX-License-Identifier: MIT
/* Worker threads of one VM: see worker_pool.h. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "worker_pool.h"

#define POOL_MAX_THREADS	64	/* config's workers limit */

enum { POOL_EV_JOB, POOL_EV_DOORBELL, POOL_EV_STOP };

struct worker {
	struct worker_pool *pool;
	int epfd;			/* job, doorbell and stop eventfds */
	pthread_t thread;
};

struct worker_pool {
	pthread_mutex_t lock;
	struct pool_job *head, **tail;
	unsigned int nr_threads, nr_started;
	unsigned int nr_idle;		/* workers in epoll_wait */
	int job_fd;			/* rung for a job when one idles */
	int stop_fd;			/* pool_stop(): wakes every worker */
	void (*doorbell)(void *ctx);
	void *ctx;
	bool started;
	bool stop;			/* pool_stop(): exit once idle */
	char name[16];			/* thread name, as the kernel allows */
	struct worker w[];
};

/*
 * Every worker has an epoll instance of its own holding the job eventfd
 * and the VM's doorbell, both EPOLLEXCLUSIVE: the kernel wakes one idle
 * worker per event (the followers stay asleep), and the one it wakes
 * serves what it found itself. There is no hand-off from a thread that
 * only listens: that costs a context switch per call.
 *
 * The doorbell is edge-triggered and never read: every ring (each
 * write to the eventfd) is an event, its count just grows (2^64 rings).
 * A read(2) per wake-up cost 1.2 us on this paravirtualised host, more
 * than the rest of the daemon's own work for a call. A ring while every
 * worker is busy is left on each busy worker's list: each comes back to
 * look at the ring once, finds what there is, and sleeps.
 */
static int worker_watch(struct worker *w, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE,
				  .data.u32 = tag };

	/*
	 * The stop eventfd is never read: level-triggered and for all, it
	 * keeps every worker's epoll_wait() returning until each has seen
	 * the stop flag and gone.
	 */
	if (tag == POOL_EV_STOP)
		ev.events = EPOLLIN;
	if (tag == POOL_EV_DOORBELL)
		ev.events |= EPOLLET;

	return epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

struct worker_pool *pool_create(const char *name, unsigned int nr_threads)
{
	struct worker_pool *p;
	unsigned int i;

	if (!nr_threads)
		nr_threads = 1;
	if (nr_threads > POOL_MAX_THREADS)
		nr_threads = POOL_MAX_THREADS;
	p = calloc(1, sizeof(*p) + nr_threads * sizeof(p->w[0]));
	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	p->tail = &p->head;
	p->nr_threads = nr_threads;
	snprintf(p->name, sizeof(p->name), "dc-%s", name);
	for (i = 0; i < nr_threads; i++)
		p->w[i].epfd = -1;
	p->job_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	p->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->job_fd < 0 || p->stop_fd < 0)
		goto fail;
	for (i = 0; i < nr_threads; i++) {
		p->w[i].pool = p;
		p->w[i].epfd = epoll_create1(EPOLL_CLOEXEC);
		if (p->w[i].epfd < 0 ||
		    worker_watch(&p->w[i], p->job_fd, POOL_EV_JOB) ||
		    worker_watch(&p->w[i], p->stop_fd, POOL_EV_STOP))
			goto fail;
	}
	return p;
fail:
	pool_free(p);
	return NULL;
}

void pool_set_doorbell(struct worker_pool *p, void (*fn)(void *ctx),
		       void *ctx)
{
	p->doorbell = fn;
	p->ctx = ctx;
}

int pool_watch(struct worker_pool *p, int fd)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; i < p->nr_threads && !ret; i++)
		ret = worker_watch(&p->w[i], fd, POOL_EV_DOORBELL);
	if (ret)
		pool_unwatch(p, fd);
	return ret;
}

void pool_unwatch(struct worker_pool *p, int fd)
{
	unsigned int i;

	/*
	 * Explicitly: QEMU holds the same eventfd, so closing ours would
	 * not take it out of the epoll sets.
	 */
	for (i = 0; i < p->nr_threads; i++)
		epoll_ctl(p->w[i].epfd, EPOLL_CTL_DEL, fd, NULL);
}

bool pool_has_idle(struct worker_pool *p)
{
	return __atomic_load_n(&p->nr_idle, __ATOMIC_RELAXED) > 0;
}

void pool_queue(struct worker_pool *p, struct pool_job *job)
{
	uint64_t one = 1;
	bool wake;

	job->next = NULL;
	pthread_mutex_lock(&p->lock);
	*p->tail = job;
	p->tail = &job->next;
	wake = __atomic_load_n(&p->nr_idle, __ATOMIC_RELAXED) > 0;
	pthread_mutex_unlock(&p->lock);
	/*
	 * With every worker busy no syscall is made at all: the busy ones
	 * take the job before they sleep.
	 */
	if (wake && write(p->job_fd, &one, sizeof(one)) < 0)
		return;		/* the counter is full: it is readable */
}

/*
 * The next job; none: count this worker idle (it goes to epoll_wait),
 * unless the pool stops (*stop: it exits). Jobs queued before the stop
 * still run.
 */
static struct pool_job *pool_take(struct worker_pool *p, bool idle,
				  bool *stop)
{
	struct pool_job *job;

	pthread_mutex_lock(&p->lock);
	job = p->head;
	*stop = false;
	if (job) {
		p->head = job->next;
		if (!p->head)
			p->tail = &p->head;
	} else if (p->stop) {
		*stop = true;
	} else if (idle) {
		__atomic_fetch_add(&p->nr_idle, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&p->lock);
	return job;
}

static void *pool_worker(void *arg)
{
	struct worker *w = arg;
	struct worker_pool *p = w->pool;
	struct epoll_event ev[3];
	struct pool_job *job;
	uint64_t n;
	bool stop;
	int i, nr;

	for (;;) {
		job = pool_take(p, true, &stop);
		if (job) {
			job->run(job);
			continue;
		}
		if (stop)
			return NULL;
		nr = epoll_wait(w->epfd, ev, 3, -1);
		__atomic_fetch_sub(&p->nr_idle, 1, __ATOMIC_RELAXED);
		for (i = 0; i < nr; i++) {
			if (ev[i].data.u32 == POOL_EV_JOB) {
				if (read(p->job_fd, &n, sizeof(n)) < 0)
					continue;	/* another took it */
			} else if (ev[i].data.u32 == POOL_EV_DOORBELL &&
				   p->doorbell &&
				   !__atomic_load_n(&p->stop,
						    __ATOMIC_ACQUIRE)) {
				p->doorbell(p->ctx);
			}
		}
	}
}

int pool_start(struct worker_pool *p)
{
	pthread_attr_t attr;
	unsigned int i;
	int ret = 0;

	if (p->started)
		return 0;
	pthread_attr_init(&attr);
	/*
	 * Joined only by pool_stop() (a VM removed): at exit a worker may
	 * still sit in a host driver for as long as the driver likes. Stacks
	 * are smaller than glibc's 8 MiB default: the dispatcher needs a few
	 * KiB, plugins get room.
	 */
	pthread_attr_setstacksize(&attr, 1u << 20);
	for (i = 0; i < p->nr_threads && !ret; i++) {
		ret = -pthread_create(&p->w[i].thread, &attr, pool_worker,
				      &p->w[i]);
		if (!ret) {
			pthread_setname_np(p->w[i].thread, p->name);
			p->nr_started++;
		}
	}
	pthread_attr_destroy(&attr);
	p->started = p->nr_started > 0;
	return ret;
}

void pool_stop(struct worker_pool *p)
{
	uint64_t one = 1;
	unsigned int i;
	ssize_t n;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	__atomic_store_n(&p->stop, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&p->lock);
	/*
	 * Workers asleep in epoll_wait() wake on it; one serving now sees
	 * the flag in pool_take() before it sleeps again. A doorbell already
	 * taken out of epoll with it is not served: the VM is gone.
	 */
	n = write(p->stop_fd, &one, sizeof(one));
	(void)n;	/* cannot fail: 0 before, and never read */
	for (i = 0; i < p->nr_started; i++)
		pthread_join(p->w[i].thread, NULL);
	p->started = false;
	pool_free(p);
}

void pool_free(struct worker_pool *p)
{
	unsigned int i;

	if (!p || p->started)
		return;
	for (i = 0; i < p->nr_threads; i++)
		if (p->w[i].epfd >= 0)
			close(p->w[i].epfd);
	if (p->job_fd >= 0)
		close(p->job_fd);
	if (p->stop_fd >= 0)
		close(p->stop_fd);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
