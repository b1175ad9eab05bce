/* SPDX-License-Identifier: MIT */
/*
 * Worker threads of one VM. Each VM has its own small pool, so a guest
 * whose calls block in host drivers (a blocking open of a FIFO, a tty
 * waiting for carrier, TCSETSW draining output, an SG_IO with a long
 * timeout, a slow plugin) holds at most its own threads: other VMs are
 * served by theirs. Jobs run in FIFO order.
 *
 * The workers also wait on the VM's doorbell themselves (leader and
 * followers: the kernel wakes one idle worker, which serves the chain it
 * takes): no thread hands calls over, so a call costs no extra wake-up.
 */
#ifndef DEVCALL_WORKER_POOL_H
#define DEVCALL_WORKER_POOL_H

#include <stdbool.h>

struct pool_job {
	void (*run)(struct pool_job *job);
	struct pool_job *next;
};

struct worker_pool;

/* A pool of nr_threads (not started: see pool_start()); NULL on ENOMEM. */
struct worker_pool *pool_create(const char *name, unsigned int nr_threads);

/*
 * Start the threads. Separate from create: the daemon forks its fd
 * keepers first, from one thread. 0 or -errno.
 */
int pool_start(struct worker_pool *p);

/* Queue a job; a worker runs job->run(job). */
void pool_queue(struct worker_pool *p, struct pool_job *job);

/*
 * What a worker runs when the doorbell it waits on (pool_watch()) rings;
 * set before the pool starts. Edge-triggered: nobody reads the eventfd.
 */
void pool_set_doorbell(struct worker_pool *p, void (*fn)(void *ctx),
		       void *ctx);

/* Wait on fd (a doorbell eventfd) too, or no more. 0 or -errno. */
int pool_watch(struct worker_pool *p, int fd);
void pool_unwatch(struct worker_pool *p, int fd);

/* Whether a worker sleeps now (a hint: it may be taken meanwhile). */
bool pool_has_idle(struct worker_pool *p);

/*
 * Let the workers finish the jobs queued, join them and free the pool
 * (a VM removed): those asleep on the doorbell are woken for it (its
 * fd should be unwatched first). Blocks as long as a job runs: not on
 * the event loop.
 */
void pool_stop(struct worker_pool *p);

/* Free a pool that was never started (error paths). */
void pool_free(struct worker_pool *p);

#endif /* DEVCALL_WORKER_POOL_H */
