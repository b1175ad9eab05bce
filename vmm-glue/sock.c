// SPDX-License-Identifier: MIT
/*
 * The daemon's Unix sockets and their directory: see sock.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sock.h"

int sock_listen(const char *path, int type, int backlog, mode_t mode,
		gid_t gid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old_mask = 0;
	bool masked = false;
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(path);
	}
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/*
	 * bind() makes the path with the socket inode's mode less the
	 * umask: set it first, and there is no moment the path is wider.
	 * Kernels that refuse fchmod on a socket get the umask instead
	 * (process-wide, but only for the bind).
	 */
	if (fchmod(fd, mode & 0777)) {
		old_mask = umask(~mode & 0777);
		masked = true;
	}
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (masked)
		umask(old_mask);
	if (ret) {
		ret = -errno;
		goto out_close;
	}
	/* The umask may have taken bits away: exactly mode now. */
	if (chmod(path, mode & 0777) ||
	    (gid != (gid_t)-1 &&
	     fchownat(AT_FDCWD, path, (uid_t)-1, gid, AT_SYMLINK_NOFOLLOW)) ||
	    listen(fd, backlog)) {
		ret = -errno;
		unlink(path);
		goto out_close;
	}
	return fd;

out_close:
	close(fd);
	return ret;
}

int sock_peer_check(int fd, const struct sock_peer_policy *p,
		    struct ucred *cred)
{
	struct ucred c;
	socklen_t len = sizeof(c);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, &len))
		return -errno;
	if (cred)
		*cred = c;
	if (c.uid == 0 || c.uid == geteuid())
		return 0;
	if (p->uid != (uid_t)-1 && c.uid == p->uid)
		return 0;
	if (p->gid != (gid_t)-1 && c.gid == p->gid)
		return 0;
	return -EACCES;
}

int rundir_prepare(const char *dir, gid_t gid, bool others_search)
{
	mode_t want = (gid != (gid_t)-1 ? 0750 : 0700) | (others_search ? 01 : 0);
	struct stat st;
	int fd, ret = 0;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	if (lstat(dir, &st))
		return -errno;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		goto out;
	}
	if (st.st_uid != geteuid()) {
		ret = -EPERM;
		goto out;
	}
	if (gid != (gid_t)-1 && st.st_gid != gid &&
	    fchown(fd, (uid_t)-1, gid)) {
		ret = -errno;
		goto out;
	}
	if ((st.st_mode & 07777) != want && fchmod(fd, want))
		ret = -errno;
out:
	close(fd);
	return ret;
}
