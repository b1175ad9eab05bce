/* SPDX-License-Identifier: MIT */
/*
 * One VM as the daemon serves it: the glue between the ivshmem server
 * (ivshmem_server.h: QEMU's connection and eventfds), the transport in its
 * shared memory (shm_transport.h: registers, mailbox, heartbeat), the
 * device behind it (the request virtqueue over the guest's RAM,
 * ram_map.h), the VM's own worker threads (worker_pool.h) and the call
 * mechanism (call.h: the life of each request).
 */
#ifndef DEVCALL_VM_SESSION_H
#define DEVCALL_VM_SESSION_H

#include <pthread.h>
#include <stdbool.h>

#include "config.h"
#include "event_loop.h"
#include "ivshmem_server.h"
#include "qmp_events.h"
#include "ram_map.h"
#include "shm_transport.h"
#include "virtqueue.h"
#include "vm.h"
#include "worker_pool.h"

/*
 * How long a queue enable may wait for QMP's answer on guest RAM
 * (memory = auto): below the guest driver's 3 s mailbox timeout.
 */
#define SESSION_DEFER_MS	2500

/* Chains taken from the ring per doorbell before others get a turn. */
#define SESSION_KICK_BUDGET	64

/*
 * Answers a worker may leave unsignalled while it serves the next chain
 * of a run, and the largest read or write it holds an interrupt for: one
 * interrupt then covers the run, and none waits behind a long call.
 */
#define SESSION_IRQ_BATCH	16
#define SESSION_IRQ_HOLD_BYTES	(64u << 10)

/*
 * A worker serving a short call wakes another for the chains behind it
 * only while such calls take this long on average (ns): a wake-up costs
 * a context switch or two (5-10 us on this 2-core host), a 4 KiB read
 * of a RAM disk 2 us, of a real disk 50 us and more, where running them
 * side by side is what gives the host device a queue depth.
 */
#define SESSION_HANDOFF_NS	20000u

/*
 * With poll-us, a worker that found the ring empty watches it up to that
 * long before it sleeps, as QEMU's adaptive polling (poll-max-ns): the
 * watch grows from this (ns) while the guest comes back sooner than
 * poll-us and shrinks to none while it does not.
 */
#define SESSION_POLL_MIN_NS	2000u

struct session_ev {
	struct event_src src;
	struct vm_session *s;
};

struct vm_session {
	const struct daemon_config *daemon;
	struct vm_config *cfg;
	struct vm *vm;
	int epfd;			/* the daemon's event loop */
	struct ivshmem_server srv;
	bool srv_ready;			/* srv initialised (error paths) */
	struct shm_transport shm;
	struct virtqueue vq;
	struct worker_pool *pool;
	uint64_t quick_ns;		/* atomic: short calls' time, average */
	uint64_t poll_ns;		/* atomic: how long to watch the ring */
	uint64_t idle_since;		/* atomic: ns a worker last went idle */
	struct ram_map *ram;		/* mapped at QUEUE_ENABLE; loop thread */
	pthread_mutex_t ram_lock;	/* ram as workers read it */
	int ram_broken_fd;		/* eventfd: the RAM file was truncated */
	struct session_ev ev_ram_broken;
	bool connected;			/* atomic: the heartbeat reads it */
	int qmp_listen_fd;
	struct qmp_events *qmp;		/* QEMU's events: resets */
	int qmp_wait_fd;		/* QMP come before ivshmem: held, -1 */
	uint64_t ram_deferred;		/* ms a queue enable waits for QMP; 0 */
	struct session_ev ev_qmp_listen, ev_qmp;
	struct vm_config own_cfg;	/* cfg points here */
};

/*
 * Create the session for a copy of cfg (filling default paths: sockets
 * under run_dir, guest RAM in the VM's private directory under the
 * daemon's ram-dir): the server, the shared memory with the register
 * block, a listening socket. live: the daemon runs already (threads): no
 * fd keeper is forked.
 */
int session_create(struct vm_session **out, struct host *host,
		   const struct daemon_config *daemon,
		   const struct vm_config *cfg, const char *run_dir, int epfd,
		   bool live);
void session_destroy(struct vm_session *s);

/* Start the VM's worker threads (after every fd keeper was forked). */
int session_start_workers(struct vm_session *s);

/*
 * The VM is removed from the configuration (event loop): QEMU's
 * connection closed, its host files closed and claims released, its
 * sockets unlinked, nothing of it watched by the loop any more. Take it
 * out of every list others read (the heartbeat's) first. The memory
 * stays until session_reap().
 */
void session_retire(struct vm_session *s);

/*
 * Free a retired session once its calls have ended and its workers are
 * joined. Blocks as long as a call sits in a host driver: run it on a
 * thread of its own, after the loop has handled the events it had when
 * the session was retired.
 */
void session_reap(struct vm_session *s);

/* Every DEVCALL_HEARTBEAT_MS, from the heartbeat thread. */
void session_heartbeat(struct vm_session *s);

/*
 * A configuration reload: make the VM's exports those of ncfg
 * (vm_exports_reload()) and tell the guest (the config interrupt). On the
 * event loop's thread. 0 or -errno (nothing changed).
 */
int session_reload(struct vm_session *s, const struct vm_config *ncfg,
		   struct vm_reload_stats *st);

/* A clean stop: the keeper lets go of QEMU too. */
void session_stop(struct vm_session *s);

#endif /* DEVCALL_VM_SESSION_H */
