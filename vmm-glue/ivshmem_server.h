/* SPDX-License-Identifier: MIT */
/*
 * The server end of QEMU's ivshmem-doorbell device for one VM (QEMU
 * docs/specs/ivshmem-spec.rst): a listening socket, the one QEMU client
 * it serves, the shared memory and the eventfds of both directions, and
 * the fd keeper (or systemd's fd store, sd_notify.h) that holds them
 * across a daemon restart. The server only
 * ever sends little-endian int64 messages, some with a descriptor; any
 * byte from QEMU is a protocol error. Nothing here knows what the shared
 * memory holds.
 */
#ifndef DEVCALL_IVSHMEM_SERVER_H
#define DEVCALL_IVSHMEM_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "devcall_ivshmem.h"
#include "event_loop.h"
#include "sock.h"

#define IVSHMEM_SERVER_PEER	0	/* our peer id */
#define IVSHMEM_CLIENT_PEER	1	/* the one QEMU we serve */

struct ivshmem_server_ops {
	/* A QEMU is connected (or was taken back from the keeper). */
	void (*connected)(void *ctx);
	/* It went away, or broke the protocol; its descriptors are closed. */
	void (*disconnected)(void *ctx);
	/* It rang vector vec (the eventfd is drained already). */
	void (*doorbell)(void *ctx, unsigned int vec);
	/*
	 * Optional: vectors the owner waits on itself, on its own threads
	 * (ivshmem_server_doorbell_live()), instead of the event loop.
	 * Called with the eventfd once connected, and again with on false
	 * before it is closed.
	 */
	unsigned int direct_vecs;	/* a bit per vector */
	void (*doorbell_fd)(void *ctx, unsigned int vec, int fd, bool on);
};

/* Who may connect, and how the socket is made (config's [daemon]). */
struct ivshmem_server_access {
	mode_t socket_mode;
	gid_t socket_gid;		/* (gid_t)-1: the daemon's */
	struct sock_peer_policy peer;	/* QEMU's uid, the socket group */
	/*
	 * No fd keeper (a VM added to a running daemon: a keeper is forked
	 * only before threads start). systemd's fd store is used all the
	 * same.
	 */
	bool no_keeper;
};

struct ivshmem_server_ev {
	struct event_src src;
	struct ivshmem_server *srv;
	unsigned int vec;
};

struct ivshmem_server {
	const char *name;		/* the VM's, for logs */
	const char *socket_path;
	int epfd;
	const struct ivshmem_server_ops *ops;
	void *ctx;
	struct ivshmem_server_access access;
	int listen_fd;
	int client_fd;
	int shm_fd;
	int keeper;			/* fd_keeper.h: survives our death */
	/*
	 * db_fd[] and irq_fd[] against their closing: read-held by every
	 * worker's interrupt, rearm and doorbell check, which never wait on
	 * each other (an interrupt is a syscall); write-held, and preferred,
	 * where a connect or disconnect makes or closes them.
	 */
	pthread_rwlock_t fd_lock;
	int db_fd[DEVCALL_NR_VECTORS];	/* the guest rings; we read */
	int irq_fd[DEVCALL_NR_VECTORS];	/* we write; the guest is interrupted */
	struct ivshmem_server_ev ev_listen, ev_client;
	struct ivshmem_server_ev ev_db[DEVCALL_NR_VECTORS];
};

/*
 * Set up: reach this VM's fd keeper and take back a QEMU an earlier
 * daemon served (every descriptor checked: the connection's peer must be
 * QEMU's user, the shared memory exactly DEVCALL_SHM_SIZE, the rest
 * eventfds), else create the shared memory. The socket is not listening
 * yet (ivshmem_server_start()).
 */
int ivshmem_server_init(struct ivshmem_server *srv, const char *name,
			const char *socket_path, int epfd,
			const struct ivshmem_server_access *access,
			const struct ivshmem_server_ops *ops, void *ctx);

/*
 * Listen; if a QEMU was taken back from the keeper, watch it again and
 * report it connected. Call once the shared memory is initialised.
 */
int ivshmem_server_start(struct ivshmem_server *srv);

/*
 * Close everything (a start that failed). A keeper lets go of QEMU;
 * systemd's store keeps it for the next start.
 */
void ivshmem_server_fini(struct ivshmem_server *srv);

/* A clean stop: the keeper lets go of QEMU too. */
void ivshmem_server_stop(struct ivshmem_server *srv);

/* Forget the client (its descriptors), as if it had gone. */
void ivshmem_server_disconnect(struct ivshmem_server *srv);

bool ivshmem_server_connected(const struct ivshmem_server *srv);

/* The client QEMU's pid (SO_PEERCRED), or -1. */
pid_t ivshmem_server_peer_pid(const struct ivshmem_server *srv);

/* Raise vector vec in the guest. Any thread. */
void ivshmem_server_interrupt(struct ivshmem_server *srv, unsigned int vec);

/*
 * Whether the doorbell of a direct vector is still there (a QEMU), from
 * any thread. Its eventfd is not drained: its owner waits on it edge-
 * triggered (worker_pool.c), and a read(2) per wake-up cost more than
 * the rest of the daemon's own work per call.
 */
bool ivshmem_server_doorbell_live(struct ivshmem_server *srv,
				  unsigned int vec);

/*
 * Ring our own doorbell vec: the loop comes back to it after every other
 * ready source (fair service for work left over from one wake).
 */
void ivshmem_server_rearm(struct ivshmem_server *srv, unsigned int vec);

#endif /* DEVCALL_IVSHMEM_SERVER_H */
