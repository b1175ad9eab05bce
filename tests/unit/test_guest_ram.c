// SPDX-License-Identifier: MIT
/*
 * Guest RAM files: what guest_ram_open() refuses (symlink, other owner,
 * not a regular file, a second name, a directory open to others, the
 * wrong size), the private directory guest_ram_dir_prepare() makes and
 * refuses, and SIGBUS containment: a RAM file truncated under its
 * mapping breaks that RAM only (reads see zeros, the flag and the eventfd
 * say so), while a SIGBUS anywhere else still kills the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "guest_ram.h"

#define RAM_SIZE	(64u << 10)
#define NOBODY		65534

static char dir[64], ram[96];

static int setup(void **state)
{
	int fd;

	(void)state;
	strcpy(dir, "/tmp/devcall-ram-test.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(ram, sizeof(ram), "%s/ram", dir);
	fd = open(ram, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || ftruncate(fd, RAM_SIZE))
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

static const struct guest_ram_policy any_size = { .owner = NOBODY };

static void test_open_plain_file(void **state)
{
	struct guest_ram_policy sized = { .owner = NOBODY, .size = RAM_SIZE };
	const char *why = NULL;
	int fd;

	(void)state;
	fd = guest_ram_open(ram, &any_size, &why);
	assert_true(fd >= 0);
	close(fd);
	fd = guest_ram_open(ram, &sized, &why);
	assert_true(fd >= 0);
	close(fd);
	sized.size = RAM_SIZE * 2;
	assert_int_equal(guest_ram_open(ram, &sized, &why), -EINVAL);
	assert_non_null(why);
}

static void test_open_refuses_symlink(void **state)
{
	char link[128];

	(void)state;
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink(ram, link), 0);
	assert_int_equal(guest_ram_open(link, &any_size, NULL), -ELOOP);
}

static void test_open_refuses_other_owner(void **state)
{
	struct guest_ram_policy other = { .owner = 1234 };

	(void)state;
	if (geteuid())
		skip();
	assert_int_equal(chown(ram, NOBODY, NOBODY), 0);
	assert_int_equal(guest_ram_open(ram, &other, NULL), -EPERM);
	/* QEMU's own user is fine. */
	other.owner = NOBODY;
	close(guest_ram_open(ram, &other, NULL));
	/* A directory of a third user is not private to QEMU. */
	assert_int_equal(chown(dir, 4321, 4321), 0);
	assert_int_equal(guest_ram_open(ram, &other, NULL), -EPERM);
}

static void test_open_refuses_non_regular(void **state)
{
	char fifo[128], sub[128];

	(void)state;
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(guest_ram_open(fifo, &any_size, NULL), -EINVAL);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(guest_ram_open(sub, &any_size, NULL), -EISDIR);
}

static void test_open_refuses_second_name(void **state)
{
	char other[128];

	(void)state;
	snprintf(other, sizeof(other), "%s/copy", dir);
	assert_int_equal(link(ram, other), 0);
	assert_int_equal(guest_ram_open(ram, &any_size, NULL), -EMLINK);
}

static void test_open_refuses_open_dir(void **state)
{
	int fd;

	(void)state;
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(guest_ram_open(ram, &any_size, NULL), -EPERM);
	/* A group of ours may read its way in (a daemon with its own user)... */
	assert_int_equal(chown(dir, -1, getegid()), 0);
	assert_int_equal(chmod(dir, 0750), 0);
	fd = guest_ram_open(ram, &any_size, NULL);
	assert_true(fd >= 0);
	close(fd);
	/* ...but not write, and no group of somebody else's. */
	assert_int_equal(chmod(dir, 0770), 0);
	assert_int_equal(guest_ram_open(ram, &any_size, NULL), -EPERM);
	assert_int_equal(chown(dir, -1, 65534), 0);
	assert_int_equal(chmod(dir, 0750), 0);
	assert_int_equal(guest_ram_open(ram, &any_size, NULL), -EPERM);
	assert_int_equal(chown(dir, -1, getegid()), 0);
	assert_int_equal(chmod(dir, 0700), 0);
}

static void test_open_refuses_empty(void **state)
{
	(void)state;
	assert_int_equal(truncate(ram, 0), 0);
	assert_int_equal(guest_ram_open(ram, &any_size, NULL), -EINVAL);
}

static void test_truncated_ram_is_contained(void **state)
{
	struct guest_mem_layout_entry layout = { 0, 0, RAM_SIZE };
	struct guest_ram r;
	volatile uint8_t *p;
	uint64_t events = 0;
	int fd, efd, i;

	(void)state;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(efd >= 0);
	fd = guest_ram_open(ram, &any_size, NULL);
	assert_true(fd >= 0);
	assert_int_equal(guest_ram_map(&r, fd, &layout, 1, efd), 0);
	p = guest_mem_range(&r.gm, 0, RAM_SIZE);
	assert_non_null(p);
	p[RAM_SIZE - 1] = 0x5a;
	assert_false(guest_ram_broken(&r));

	/* "QEMU's user" shrinks the file under the daemon. */
	assert_int_equal(ftruncate(fd, 0), 0);
	close(fd);
	assert_int_equal(p[RAM_SIZE - 1], 0);	/* would be SIGBUS */
	p[4096] = 7;				/* into scratch */
	assert_int_equal(p[4096], 7);
	for (i = 0; i < 16; i++)
		assert_int_equal(p[i * 4096], i == 1 ? 7 : 0);
	assert_true(guest_ram_broken(&r));
	assert_int_equal(read(efd, &events, sizeof(events)), sizeof(events));
	assert_int_equal(events, 1);
	guest_ram_unmap(&r);
	assert_false(guest_ram_broken(&r));

	/* The slot is free again, and a new mapping is whole. */
	assert_int_equal(ftruncate(fd = open(ram, O_RDWR), RAM_SIZE), 0);
	assert_int_equal(guest_ram_map(&r, fd, &layout, 1, -1), 0);
	close(fd);
	assert_false(guest_ram_broken(&r));
	guest_ram_unmap(&r);
	close(efd);
}

/* A SIGBUS that is not guest RAM's still kills: nothing swallowed. */
static void test_foreign_sigbus_kills(void **state)
{
	struct guest_mem_layout_entry layout = { 0, 0, RAM_SIZE };
	int status, fd;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit none = { 0, 0 };
		struct guest_ram r;
		volatile uint8_t *other;
		char path[128];

		setrlimit(RLIMIT_CORE, &none);
		fd = guest_ram_open(ram, &any_size, NULL);
		if (fd < 0 || guest_ram_map(&r, fd, &layout, 1, -1))
			_exit(2);	/* the handler is installed now */
		snprintf(path, sizeof(path), "%s/other", dir);
		fd = open(path, O_RDWR | O_CREAT, 0600);
		if (fd < 0 || ftruncate(fd, 4096))
			_exit(3);
		other = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
			     fd, 0);
		if (other == MAP_FAILED || ftruncate(fd, 0))
			_exit(4);
		(void)other[0];
		_exit(0);		/* swallowed: wrong */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGBUS);
}

static void test_dir_prepare(void **state)
{
	char ram_dir[128], vm_dir[160], link[160];
	const char *why = NULL;
	struct stat st;

	(void)state;
	if (geteuid())
		skip();
	snprintf(ram_dir, sizeof(ram_dir), "%s/ramdir", dir);
	snprintf(vm_dir, sizeof(vm_dir), "%s/alpha", ram_dir);
	assert_int_equal(guest_ram_dir_prepare(ram_dir, "alpha", NOBODY,
					       NOBODY, &why), 0);
	assert_int_equal(lstat(ram_dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0711);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(lstat(vm_dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(st.st_uid, NOBODY);
	assert_int_equal(st.st_gid, NOBODY);
	/* Again (a daemon restart): the same directory is fine. */
	assert_int_equal(guest_ram_dir_prepare(ram_dir, "alpha", NOBODY,
					       NOBODY, &why), 0);
	/* For another QEMU user, or opened up: refused, not repaired. */
	assert_int_equal(guest_ram_dir_prepare(ram_dir, "alpha", 1234, 1234,
					       &why), -EPERM);
	assert_int_equal(chmod(vm_dir, 0755), 0);
	assert_int_equal(guest_ram_dir_prepare(ram_dir, "alpha", NOBODY,
					       NOBODY, &why), -EPERM);
	/* A symlink planted for the VM. */
	snprintf(link, sizeof(link), "%s/beta", ram_dir);
	assert_int_equal(symlink(dir, link), 0);
	assert_int_equal(guest_ram_dir_prepare(ram_dir, "beta", NOBODY,
					       NOBODY, &why), -ELOOP);
	/* ram-dir itself as a symlink, or writable by others. */
	snprintf(link, sizeof(link), "%s/ramlink", dir);
	assert_int_equal(symlink(ram_dir, link), 0);
	assert_int_equal(guest_ram_dir_prepare(link, "alpha", NOBODY, NOBODY,
					       &why), -ELOOP);
	assert_int_equal(chmod(ram_dir, 0777), 0);
	assert_int_equal(guest_ram_dir_prepare(ram_dir, "gamma", NOBODY,
					       NOBODY, &why), -EPERM);
	assert_int_equal(guest_ram_dir_prepare(ram_dir, "../x", NOBODY,
					       NOBODY, &why), -EINVAL);
}

static void test_default_path(void **state)
{
	char buf[64], small[8];

	(void)state;
	assert_int_equal(guest_ram_default_path(buf, sizeof(buf),
						"/dev/shm/devcall", "alpha"),
			 0);
	assert_string_equal(buf, "/dev/shm/devcall/alpha/ram");
	assert_int_equal(guest_ram_default_path(small, sizeof(small),
						"/dev/shm/devcall", "alpha"),
			 -ENAMETOOLONG);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static const struct CMUnitTest tests[] = {
	T(test_open_plain_file),
	T(test_open_refuses_symlink),
	T(test_open_refuses_other_owner),
	T(test_open_refuses_non_regular),
	T(test_open_refuses_second_name),
	T(test_open_refuses_open_dir),
	T(test_open_refuses_empty),
	T(test_truncated_ram_is_contained),
	T(test_foreign_sigbus_kills),
	T(test_dir_prepare),
	T(test_default_path),
};

TEST_MAIN("guest_ram", tests, NULL, NULL)
