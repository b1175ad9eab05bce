/* SPDX-License-Identifier: MIT */
/*
 * systemd's service protocol, spoken directly: the notification datagrams
 * of sd_notify(3) (READY=1, STATUS=, RELOADING=1, STOPPING=1, WATCHDOG=1)
 * and the service's file descriptor store (FDSTORE=1 with FDNAME= and
 * SCM_RIGHTS, FDSTOREREMOVE=1; stored descriptors come back at the next
 * start as LISTEN_FDS/LISTEN_FDNAMES/LISTEN_PID, sd_listen_fds(3)). Both
 * are small, stable, documented wire formats (systemd's "interface
 * portability and stability" promise): a few datagrams need no library.
 *
 * The fd store is used in place of the fd keepers (fd_keeper.h) when
 * systemd runs the daemon (NOTIFY_SOCKET is set) and the store was asked
 * for: --fd-store, which the unit passes with FileDescriptorStoreMax=
 * (systemd 252 says nothing of the store to the service), or $FDSTORE
 * greater than 0 (systemd 254 and later set it).
 */
#ifndef DEVCALL_SD_NOTIFY_H
#define DEVCALL_SD_NOTIFY_H

#include <stdbool.h>

/*
 * Read and unset NOTIFY_SOCKET, WATCHDOG_USEC/WATCHDOG_PID, FDSTORE and
 * LISTEN_FDS/LISTEN_FDNAMES/LISTEN_PID (the descriptors are ours only if
 * LISTEN_PID is our pid; they are kept, close-on-exec, for
 * fdstore_take()). Call first in main, before anything opens a file.
 * want_fdstore: --fd-store. 0, or -errno if the notify socket cannot be
 * made (the daemon then runs as if systemd were not there).
 */
int notify_init(bool want_fdstore);

/* Does systemd listen (NOTIFY_SOCKET was set)? */
bool notify_active(void);

/* One notification, "KEY=VALUE" lines; nothing without systemd. */
int notify_send(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* WATCHDOG=1 due every this many ms (half of WATCHDOG_USEC), or -1. */
int notify_watchdog_ms(void);

/* Keep QEMU's descriptors in systemd's store, not in fd keepers? */
bool fdstore_enabled(void);

/* Store fd under name (FDSTORE=1, FDNAME=name). 0 or -errno. */
int fdstore_put(const char *name, int fd);

/* Drop every descriptor stored under name (FDSTOREREMOVE=1). */
int fdstore_remove(const char *name);

/*
 * The descriptor handed back under name at start (it is then ours), or
 * -ENOENT. One descriptor per name; a name given twice is refused
 * (-EEXIST) as the store cannot say which one is meant.
 */
int fdstore_take(const char *name);

/*
 * Close what was handed back and nobody took (a VM gone from the
 * configuration), and remove it from the store.
 */
void fdstore_release_unclaimed(void);

#endif /* DEVCALL_SD_NOTIFY_H */
