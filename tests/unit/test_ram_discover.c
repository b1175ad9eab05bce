// SPDX-License-Identifier: MIT
/*
 * memory = auto on the daemon's side: /proc/PID/maps lines as the kernel
 * writes them, and backends found in a live fd table (this process's own:
 * a RAM file and memfds mapped shared, as QEMU has them), with the
 * look-alikes that must be refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "ram_discover.h"

static void test_maps_lines(void **state)
{
	char l1[] = "7f1c40000000-7f1c60000000 rw-s 00000000 00:1a 4123 "
		    "        /var/lib/libvirt/qemu/ram/3-guest/pc.ram\n";
	char l2[] = "7f00000000-7f08000000 rw-s 00000000 00:01 77 "
		    "/memfd:memory-backend-memfd (deleted)\n";
	char l3[] = "7ffd1000-7ffd3000 rw-p 00000000 00:00 0 ";
	char l4[] = "55d0c000-55d0e000 r--p 00001000 fe:01 1310723 /usr/bin/qemu";
	char bad1[] = "7f1c40000000 rw-s 00000000 00:1a 4123 /x";
	char bad2[] = "2000-1000 rw-s 00000000 00:1a 4123 /x";
	char bad3[] = "1000-2000 rw-s 00000000 00:1a 4123x";
	char bad4[] = "";
	struct maps_entry e;

	(void)state;
	assert_int_equal(ram_discover_parse_maps_line(l1, &e), 0);
	assert_int_equal(e.start, 0x7f1c40000000ull);
	assert_int_equal(e.end, 0x7f1c60000000ull);
	assert_true(e.shared);
	assert_int_equal(e.dev_major, 0);
	assert_int_equal(e.dev_minor, 0x1a);
	assert_int_equal(e.ino, 4123);
	assert_string_equal(e.path, "/var/lib/libvirt/qemu/ram/3-guest/pc.ram");
	assert_int_equal(ram_discover_parse_maps_line(l2, &e), 0);
	assert_string_equal(e.path, "/memfd:memory-backend-memfd (deleted)");
	assert_int_equal(e.end - e.start, 0x8000000ull);
	assert_int_equal(ram_discover_parse_maps_line(l3, &e), 0);
	assert_false(e.shared);
	assert_string_equal(e.path, "");
	assert_int_equal(ram_discover_parse_maps_line(l4, &e), 0);
	assert_int_equal(e.dev_major, 0xfe);
	assert_false(e.shared);
	assert_int_equal(ram_discover_parse_maps_line(bad1, &e), -EINVAL);
	assert_int_equal(ram_discover_parse_maps_line(bad2, &e), -EINVAL);
	assert_int_equal(ram_discover_parse_maps_line(bad3, &e), -EINVAL);
	assert_int_equal(ram_discover_parse_maps_line(bad4, &e), -EINVAL);
}

/* A memfd of size, mapped shared as QEMU maps RAM. */
static int memfd_mapped(size_t size, void **map)
{
	int fd = memfd_create("memory-backend-memfd", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	*map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(*map != MAP_FAILED);
	return fd;
}

static void test_open_own(void **state)
{
	struct guest_ram_policy p = { .owner = geteuid() };
	char dir[] = "/tmp/devcall-disc-XXXXXX", path[64], lnk[80];
	struct qmp_ram ram = { 0 };
	void *m0, *m1, *m2, *m3;
	int f0, f1, f2, fds[2];
	const char *why;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/n0", dir);
	f0 = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	assert_true(f0 >= 0);
	assert_int_equal(ftruncate(f0, 2 << 20), 0);
	m0 = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, f0, 0);
	assert_true(m0 != MAP_FAILED);
	f1 = memfd_mapped(1 << 20, &m1);

	ram.nr = 2;
	strcpy(ram.b[0].id, "ram-node0");
	strcpy(ram.b[0].path, path);
	ram.b[0].size = 2 << 20;
	strcpy(ram.b[1].id, "ram-node1");
	ram.b[1].memfd = true;
	ram.b[1].size = 1 << 20;
	assert_int_equal(ram_discover_open(getpid(), &ram, &p, fds, &why), 0);
	/* The very files: a word written through one is read in the other. */
	((volatile char *)m0)[100] = 'Q';
	assert_int_equal(pread(fds[0], lnk, 1, 100), 1);
	assert_int_equal(lnk[0], 'Q');
	((volatile char *)m1)[7] = 'M';
	assert_int_equal(pread(fds[1], lnk, 1, 7), 1);
	assert_int_equal(lnk[0], 'M');
	close(fds[0]);
	close(fds[1]);

	/* QEMU's size must be the file's. */
	ram.b[0].size = 4 << 20;
	assert_true(ram_discover_open(getpid(), &ram, &p, fds, &why) < 0);
	ram.b[0].size = 2 << 20;

	/* Another user's file than QEMU's */
	p.owner = 12345;
	if (geteuid() != 0) {
		assert_int_equal(ram_discover_open(getpid(), &ram, &p, fds,
						   &why), -EPERM);
	}
	p.owner = geteuid();

	/* A second name (a hard link kept elsewhere) */
	snprintf(lnk, sizeof(lnk), "%s/kept", dir);
	assert_int_equal(link(path, lnk), 0);
	assert_int_equal(ram_discover_open(getpid(), &ram, &p, fds, &why),
			 -EMLINK);
	unlink(lnk);

	/* Two memfds of the node's size: which one is node 1? */
	f2 = memfd_mapped(1 << 20, &m2);
	assert_int_equal(ram_discover_open(getpid(), &ram, &p, fds, &why),
			 -ENOTUNIQ);
	/* Held but not mapped shared is not QEMU's RAM: only f1 fits. */
	munmap(m2, 1 << 20);
	assert_int_equal(ram_discover_open(getpid(), &ram, &p, fds, &why), 0);
	close(fds[0]);
	close(fds[1]);
	close(f2);

	/* Mapped privately (share=off) does not count. */
	munmap(m1, 1 << 20);
	m3 = mmap(NULL, 1 << 20, PROT_READ, MAP_PRIVATE, f1, 0);
	assert_true(m3 != MAP_FAILED);
	assert_int_equal(ram_discover_open(getpid(), &ram, &p, fds, &why),
			 -ENOENT);
	assert_non_null(why);
	munmap(m3, 1 << 20);
	/* No such process */
	assert_int_equal(ram_discover_open(0, &ram, &p, fds, &why), -ESRCH);

	munmap(m0, 2 << 20);
	close(f0);
	close(f1);
	unlink(path);
	rmdir(dir);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_maps_lines),
	cmocka_unit_test(test_open_own),
};

TEST_MAIN("ram_discover", tests, NULL, NULL)
