/* SPDX-License-Identifier: MIT */
/*
 * One VM as the daemon serves it: the ivshmem server end of QEMU's
 * ivshmem-doorbell device (socket, shared memory, eventfds), the virtio
 * device behind the register block, the request queue, the VM's guest RAM
 * and its host call-mechanism state.
 */
#ifndef DEVCALL_VM_SESSION_H
#define DEVCALL_VM_SESSION_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "devcall_ivshmem.h"
#include "qmp_events.h"
#include "virtqueue.h"
#include "vm.h"
#include "waitset.h"

#define SESSION_SERVER_PEER	0	/* our ivshmem peer id */
#define SESSION_CLIENT_PEER	1	/* the one QEMU we serve */

/* What an epoll event is about. */
enum session_ev { SESSION_EV_LISTEN, SESSION_EV_CLIENT, SESSION_EV_DOORBELL,
		  SESSION_EV_WAITSET, SESSION_EV_TIMER, SESSION_EV_QMP_LISTEN,
		  SESSION_EV_QMP };

struct session_ev_src {
	enum session_ev kind;
	struct vm_session *s;
	unsigned int vec;
};

/* Guest RAM, refcounted: requests in flight keep it mapped. */
struct session_memory {
	struct guest_mem gm;
	unsigned int refs;		/* under the session's lock */
};

struct vm_session {
	struct vm_config *cfg;
	struct vm *vm;
	int epfd;			/* the daemon's event loop */
	struct session_ev_src ev_listen, ev_client;
	struct session_ev_src ev_qmp_listen, ev_qmp;
	int qmp_listen_fd;
	struct qmp_events *qmp;		/* QEMU's events: resets */
	struct session_ev_src ev_db[DEVCALL_NR_VECTORS];
	pthread_mutex_t lock;		/* memory, client state */
	int keeper;			/* fd_keeper.h: survives our death */
	int listen_fd;
	int client_fd;
	int shm_fd;
	struct devcall_shm_regs *regs;
	int db_fd[DEVCALL_NR_VECTORS];	/* the guest rings; we read */
	int irq_fd[DEVCALL_NR_VECTORS];	/* we write; the guest is interrupted */
	uint32_t cmd_seq_done;
	struct virtqueue vq;
	struct session_memory *mem;	/* mapped at QUEUE_ENABLE */
};

/*
 * Create the session for cfg (filling default paths under run_dir):
 * shared memory with the register block, and a listening socket.
 */
int session_create(struct vm_session **out, struct host *host,
		   struct vm_config *cfg, const char *run_dir, int epfd);
void session_destroy(struct vm_session *s);

/* Every DEVCALL_HEARTBEAT_MS: show the guest the daemon is alive. */
void session_tick(struct vm_session *s);

/* A clean stop: the keeper lets go of QEMU too. */
void session_stop(struct vm_session *s);

/* A QEMU connects: refuse a second one, else speak the protocol. */
int session_accept(struct vm_session *s);

/* QEMU's QMP connection: a new one, and its events. */
void session_qmp_accept(struct vm_session *s);
void session_qmp_event(struct vm_session *s);

/* The QEMU's socket has events: EOF or any byte ends the session. */
void session_client_event(struct vm_session *s, uint32_t events);

/* The QEMU went away (or broke the protocol): forget all it had. */
void session_disconnect(struct vm_session *s);

/* The guest rang vector vec. Serves the mailbox or queues requests. */
void session_doorbell(struct vm_session *s, unsigned int vec);

/* Raise MSI-X vector vec in the guest. */
void session_interrupt(struct vm_session *s, unsigned int vec);

/* Memory references for requests in flight. */
struct session_memory *session_memory_get(struct vm_session *s);
void session_memory_put(struct vm_session *s, struct session_memory *m);

/*
 * One request from its chain being popped to its answer. It may wait in
 * the host's wait set in between (waiter), holding the guest memory its
 * chain points into and a private copy of the request bytes, so that a
 * retry serves exactly what was first read.
 */
struct session_call {
	struct waiter waiter;
	struct vm_session *s;
	struct session_memory *m;
	struct session_call *next;	/* the worker pool's queue */
	uint8_t *wire;			/* NULL until first served */
	size_t wire_len;
	uint64_t done;			/* dispatch_wait.done between tries */
	struct vq_chain chain;
};

/*
 * The worker pool (implemented by the daemon): queue a call to be served
 * by session_serve() on a worker thread.
 */
void session_queue(struct session_call *call);

/*
 * Serve a call: decode, dispatch, then answer it (interrupting the guest)
 * and free it, or park it in the wait set until its host file is ready.
 */
void session_serve(struct session_call *call);

#endif /* DEVCALL_VM_SESSION_H */
