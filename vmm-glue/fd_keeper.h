/* SPDX-License-Identifier: MIT */
/*
 * The file descriptor keeper: one small process per VM that holds what
 * the VM's QEMU was given and connected to - the ivshmem socket, the
 * shared memory, the doorbell and interrupt eventfds - so that a daemon
 * that was killed can be started again and take them back. QEMU never
 * sees the daemon go: its connection stays open in the keeper. This is
 * what systemd's file descriptor store (FDSTORE=1) does for a service,
 * without needing systemd.
 *
 * QEMU's own answer, a chardev with reconnect=N, cannot be used: QEMU's
 * ivshmem-doorbell reads the server's setup messages synchronously while
 * the device is created, before a reconnecting chardev has connected, and
 * never starts (QEMU 7.2); and a reconnected server could not hand QEMU
 * new interrupt eventfds (it accepts only 'vectors' of them, ever).
 *
 * The keeper runs until the daemon tells it to quit (a clean shutdown) or
 * drops a VM's descriptors (QEMU went away); a daemon that dies leaves it
 * holding them for the next one.
 */
#ifndef DEVCALL_FD_KEEPER_H
#define DEVCALL_FD_KEEPER_H

#include <stdint.h>

#include "sock.h"

#define KEEPER_MAX_FDS	16

/*
 * Connect to the keeper listening at path, starting one if there is none
 * (its socket 0600; it serves only root and the daemon's user). Returns
 * the connection (close-on-exec), -EACCES if what listens there is not
 * run by the daemon's user, or -errno.
 */
int keeper_open(const char *path);

/* Hand the keeper these descriptors (replacing what it held). */
int keeper_put(int ks, const int *fds, unsigned int nr);

/*
 * Take back what the keeper holds: the number of descriptors put in fds
 * (0 if it holds none), or -errno. The keeper keeps its own copies.
 */
int keeper_take(int ks, int *fds, unsigned int max);

/* Forget the descriptors (QEMU went away). */
int keeper_drop(int ks);

/* End the keeper (the daemon stops cleanly) and close ks. */
void keeper_quit(int ks);

/*
 * What a session hands its keeper: [0] QEMU's ivshmem connection, [1] the
 * shared memory, then the doorbell and interrupt eventfds.
 */
struct keeper_expect {
	unsigned int nr_fds;		/* exactly this many */
	uint64_t shm_size;		/* bytes of [1] */
	struct sock_peer_policy qemu;	/* who [0]'s peer may be */
};

/*
 * Check descriptors taken back from a keeper before adopting them: [0] a
 * connected AF_UNIX stream socket whose peer passes e->qemu
 * (sock_peer_check), [1] a regular file (memfd) of the daemon's user of
 * exactly e->shm_size bytes, every other one an eventfd. 0, or -EINVAL
 * (count, type, size), -ENOTCONN, -EACCES (peer), -EPERM (owner), with a
 * reason for the log in *why (if why). The descriptors stay open.
 */
int keeper_check_fds(const int *fds, unsigned int nr,
		     const struct keeper_expect *e, const char **why);

#endif /* DEVCALL_FD_KEEPER_H */
