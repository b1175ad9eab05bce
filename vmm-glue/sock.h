/* SPDX-License-Identifier: MIT */
/*
 * The daemon's Unix sockets and their directory: created with the mode
 * and group asked for and never wider for a moment, and a check of who
 * connected (SO_PEERCRED), since a socket's mode only says who may
 * connect, not who did.
 */
#ifndef DEVCALL_SOCK_H
#define DEVCALL_SOCK_H

#include <sys/socket.h>
#include <stdbool.h>
#include <sys/types.h>

/*
 * Who may be a socket's peer, besides root and the daemon's own user
 * (always accepted: they can do anything the daemon can). A peer is
 * accepted if its effective uid is uid, or its effective (primary) gid
 * is gid, both as SO_PEERCRED saw them at connect(). Supplementary
 * groups are not looked at. (uid_t)-1 / (gid_t)-1: nobody by that rule.
 */
struct sock_peer_policy {
	uid_t uid;		/* QEMU's user (qemu-user) */
	gid_t gid;		/* socket-group */
};

/* Nobody but root and the daemon's user: the fd keeper's policy. */
#define SOCK_PEER_SELF	((struct sock_peer_policy){ (uid_t)-1, (gid_t)-1 })

/*
 * Listen on a new AF_UNIX socket of type (SOCK_STREAM, SOCK_SEQPACKET,
 * | SOCK_NONBLOCK; SOCK_CLOEXEC is added) at path. An old socket there is
 * removed; anything else there is left and -EEXIST returned. The path
 * gets exactly mode (e.g. 0600, 0660) and, unless gid is (gid_t)-1, that
 * group; it is created no wider than mode (the socket's inode mode is set
 * before bind, which creates the path from it) and owned by the daemon's
 * group until chowned. Returns the descriptor or -errno.
 */
int sock_listen(const char *path, int type, int backlog, mode_t mode,
		gid_t gid);

/*
 * Is fd's peer allowed by p? 0, -EACCES (not allowed) or -errno; *cred
 * (if cred) gets the peer's credentials for the log either way.
 */
int sock_peer_check(int fd, const struct sock_peer_policy *p,
		    struct ucred *cred);

/*
 * The daemon's run directory (sockets, fd keepers): created if missing,
 * never through a symlink (-ELOOP), owned by the daemon's user (-EPERM
 * otherwise), and set to mode 0750 with group gid, or 0700 if gid is
 * (gid_t)-1: QEMU reaches its sockets through the group. An existing
 * directory wider than that is tightened. Returns 0 or -errno.
 */
int rundir_prepare(const char *dir, gid_t gid, bool others_search);

#endif /* DEVCALL_SOCK_H */
