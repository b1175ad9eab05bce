/* SPDX-License-Identifier: MIT */
/*
 * The control socket devcallctl talks to (docs/devcallctl.md): RUN/control,
 * a Unix stream socket for root, the daemon's user and the socket group
 * (mode 0660 with a group, else 0600, and SO_PEERCRED checked at accept).
 * Served on the event loop without ever waiting on a client: non-blocking
 * sockets, a bounded buffer each way, CTL_MAX_CLIENTS at a time. A client
 * that reads too slowly loses trace events (counted), not the daemon's
 * time.
 */
#ifndef DEVCALL_CTL_SERVER_H
#define DEVCALL_CTL_SERVER_H

#include <stddef.h>
#include <sys/types.h>

#include "ctl_proto.h"
#include "vm_session.h"

#define CTL_MAX_CLIENTS		8
/* One client's unsent bytes: a status of 16 VMs with every file open. */
#define CTL_OUT_MAX		(16u << 20)
#define CTL_TRACE_OUT_HIGH	(64u << 10)	/* trace stops filling here */

/* What only the daemon's main can do: change the configuration. */
struct ctl_ops {
	/* Read the configuration again (as SIGHUP). 0, or -errno with the
	 * reason in msg; msg says what changed either way. */
	int (*reload)(void *ctx, char *msg, size_t len);
	int (*export_add)(void *ctx, const struct ctl_req *req, char *msg,
			  size_t len);
	int (*export_remove)(void *ctx, const char *vm, const char *name,
			     char *msg, size_t len);
	/* Was this export added at run time (devcallctl export add)? */
	int (*export_runtime)(void *ctx, const char *vm, const char *name);
	/* Was this VM added at run time (devcallctl vm add)? */
	int (*vm_runtime)(void *ctx, const char *vm);
	/* devcallctl vm add / vm remove: as export_add, export_remove. */
	int (*vm_add)(void *ctx, const struct ctl_req *req, char *msg,
		      size_t len);
	int (*vm_remove)(void *ctx, const char *vm, char *msg, size_t len);
};

struct ctl_server;

/*
 * Listen on path for the daemon's sessions[0..*nr). The array and *nr
 * follow VMs added and removed; both change only on the event loop's
 * thread, which is the one serving the control socket. gid: the socket
 * group, or (gid_t)-1. ops run on the event loop's thread. 0 or -errno.
 */
int ctl_server_create(struct ctl_server **out, const char *path, gid_t gid,
		      int epfd, struct vm_session **sessions,
		      const unsigned int *nr,
		      const struct ctl_ops *ops, void *ctx);

/* Close every client and the socket; the path is removed. */
void ctl_server_destroy(struct ctl_server *cs);

#endif /* DEVCALL_CTL_SERVER_H */
