/* SPDX-License-Identifier: MIT */
/*
 * Worker threads of one VM. Each VM has its own small pool, so a guest
 * whose calls block in host drivers (a blocking open of a FIFO, a tty
 * waiting for carrier, TCSETSW draining output, an SG_IO with a long
 * timeout, a slow plugin) holds at most its own threads: other VMs are
 * served by theirs. Jobs run in FIFO order.
 */
#ifndef DEVCALL_WORKER_POOL_H
#define DEVCALL_WORKER_POOL_H

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
 * Let the workers finish the jobs queued, join them and free the pool
 * (a VM removed). Blocks as long as a job runs: not on the event loop.
 */
void pool_stop(struct worker_pool *p);

/* Free a pool that was never started (error paths). */
void pool_free(struct worker_pool *p);

#endif /* DEVCALL_WORKER_POOL_H */
