// SPDX-License-Identifier: MIT
/* Worker threads of one VM: see worker_pool.h. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker_pool.h"

struct worker_pool {
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct pool_job *head, **tail;
	unsigned int nr_threads, nr_started;
	unsigned int nr_idle;		/* workers in pthread_cond_wait */
	pthread_t *threads;
	bool started;
	bool stop;			/* pool_stop(): exit once idle */
	char name[16];			/* thread name, as the kernel allows */
};

struct worker_pool *pool_create(const char *name, unsigned int nr_threads)
{
	struct worker_pool *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->more, NULL);
	p->tail = &p->head;
	p->nr_threads = nr_threads ? nr_threads : 1;
	p->threads = calloc(p->nr_threads, sizeof(*p->threads));
	if (!p->threads) {
		free(p);
		return NULL;
	}
	snprintf(p->name, sizeof(p->name), "dc-%s", name);
	return p;
}

void pool_queue(struct worker_pool *p, struct pool_job *job)
{
	bool wake;

	job->next = NULL;
	pthread_mutex_lock(&p->lock);
	*p->tail = job;
	p->tail = &job->next;
	wake = p->nr_idle > 0;
	pthread_mutex_unlock(&p->lock);
	/*
	 * After the unlock: the worker we wake does not block on the lock
	 * we still hold. With every worker busy no futex call is made at
	 * all; the busy ones take the job before they sleep.
	 */
	if (wake)
		pthread_cond_signal(&p->more);
}

static void *pool_worker(void *arg)
{
	struct worker_pool *p = arg;
	struct pool_job *job;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (!p->head && !p->stop) {
			p->nr_idle++;
			pthread_cond_wait(&p->more, &p->lock);
			p->nr_idle--;
		}
		if (!p->head) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		job = p->head;
		p->head = job->next;
		if (!p->head)
			p->tail = &p->head;
		pthread_mutex_unlock(&p->lock);
		job->run(job);
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
		ret = -pthread_create(&p->threads[i], &attr, pool_worker, p);
		if (!ret) {
			pthread_setname_np(p->threads[i], p->name);
			p->nr_started++;
		}
	}
	pthread_attr_destroy(&attr);
	p->started = p->nr_started > 0;
	return ret;
}

void pool_stop(struct worker_pool *p)
{
	unsigned int i;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nr_started; i++)
		pthread_join(p->threads[i], NULL);
	p->started = false;
	pool_free(p);
}

void pool_free(struct worker_pool *p)
{
	if (!p || p->started)
		return;
	free(p->threads);
	pthread_cond_destroy(&p->more);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
