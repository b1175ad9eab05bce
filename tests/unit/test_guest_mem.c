// SPDX-License-Identifier: MIT
/* memmap: guest memory map and guest buffers, with hostile inputs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "fake_guest.h"
#include "guest_buf.h"
#include "guest_mem.h"

static void test_add_region_rejects_bad(void **state)
{
	static uint8_t ram[4096];
	struct guest_mem gm;
	unsigned int i;

	(void)state;
	guest_mem_init(&gm);
	assert_int_equal(guest_mem_add_region(&gm, 0x1000, 0, ram), -EINVAL);
	assert_int_equal(guest_mem_add_region(&gm, ~0ull - 10, 4096, ram),
			 -EINVAL);
	assert_int_equal(guest_mem_add_region(&gm, 0x1000, 4096, NULL),
			 -EINVAL);
	assert_int_equal(guest_mem_add_region(&gm, 0x10000, 4096, ram), 0);
	/* Overlaps from below, inside, from above, and an exact repeat. */
	assert_int_equal(guest_mem_add_region(&gm, 0xf800, 4096, ram), -EINVAL);
	assert_int_equal(guest_mem_add_region(&gm, 0x10800, 16, ram), -EINVAL);
	assert_int_equal(guest_mem_add_region(&gm, 0x10fff, 4096, ram),
			 -EINVAL);
	assert_int_equal(guest_mem_add_region(&gm, 0x10000, 4096, ram),
			 -EINVAL);
	/* Touching is fine, and regions stay sorted. */
	assert_int_equal(guest_mem_add_region(&gm, 0xf000, 4096, ram), 0);
	assert_int_equal(gm.region[0].gpa, 0xf000);
	for (i = gm.nr_regions; i < GUEST_MEM_MAX_REGIONS; i++)
		assert_int_equal(guest_mem_add_region(&gm, 0x100000 * (i + 1),
						      4096, ram), 0);
	assert_int_equal(guest_mem_add_region(&gm, 0x7000000, 4096, ram),
			 -ENOSPC);
}

static void test_translate_clamps_to_region(void **state)
{
	struct fake_guest g;
	size_t len;
	uint8_t *p;

	(void)state;
	fake_guest_init(&g);
	/* Last byte of region 0: one byte available, never more. */
	len = 4096;
	p = guest_mem_translate(&g.gm, FAKE_RAM1_GPA - 1, &len);
	assert_ptr_equal(p, g.ram[0] + FAKE_RAM_SIZE - 1);
	assert_int_equal(len, 1);
	/* First byte of region 1. */
	len = 16;
	p = guest_mem_translate(&g.gm, FAKE_RAM1_GPA, &len);
	assert_ptr_equal(p, g.ram[1]);
	assert_int_equal(len, 16);
	/* Just before and just after RAM, and zero length. */
	len = 1;
	assert_null(guest_mem_translate(&g.gm, FAKE_RAM0_GPA - 1, &len));
	len = 1;
	assert_null(guest_mem_translate(&g.gm, FAKE_RAM1_GPA + FAKE_RAM_SIZE,
					&len));
	len = 0;
	assert_null(guest_mem_translate(&g.gm, FAKE_RAM0_GPA, &len));
	len = 1;
	assert_null(guest_mem_translate(&g.gm, ~0ull, &len));
	fake_guest_fini(&g);
}

static void test_range_whole_or_nothing(void **state)
{
	struct fake_guest g;

	(void)state;
	fake_guest_init(&g);
	assert_non_null(guest_mem_range(&g.gm, FAKE_RAM0_GPA, FAKE_RAM_SIZE));
	/* Crossing the region boundary is not one host range. */
	assert_null(guest_mem_range(&g.gm, FAKE_RAM1_GPA - 8, 16));
	assert_null(guest_mem_range(&g.gm, FAKE_RAM0_GPA, 0));
	assert_null(guest_mem_range(&g.gm, ~0ull - 4, 16));	/* wraps */
	assert_null(guest_mem_range(&g.gm, FAKE_RAM1_GPA + FAKE_RAM_SIZE - 4,
				    8));
	fake_guest_fini(&g);
}

static void test_layout_x86(void **state)
{
	struct guest_mem_layout_entry l[2];

	(void)state;
	assert_int_equal(guest_mem_layout_x86("q35", 512ull << 20, l, 2), 1);
	assert_int_equal(l[0].gpa, 0);
	assert_int_equal(l[0].size, 512ull << 20);
	/* q35 at 3 GiB: 2 GiB low, 1 GiB from 4 GiB at file offset 2 GiB. */
	assert_int_equal(guest_mem_layout_x86("q35", 3ull << 30, l, 2), 2);
	assert_int_equal(l[0].size, 2ull << 30);
	assert_int_equal(l[1].gpa, 4ull << 30);
	assert_int_equal(l[1].file_offset, 2ull << 30);
	assert_int_equal(l[1].size, 1ull << 30);
	/* q35 just below its threshold keeps everything low. */
	assert_int_equal(guest_mem_layout_x86("q35", 0xafff0000ull, l, 2), 1);
	/* pc at 4 GiB: 3 GiB low, 1 GiB high. */
	assert_int_equal(guest_mem_layout_x86("pc", 4ull << 30, l, 2), 2);
	assert_int_equal(l[0].size, 3ull << 30);
	assert_int_equal(l[1].size, 1ull << 30);
	assert_int_equal(guest_mem_layout_x86("pc", 3ull << 30, l, 2), 1);
	assert_int_equal(guest_mem_layout_x86("virt", 1ull << 30, l, 2),
			 -EINVAL);
	assert_int_equal(guest_mem_layout_x86("q35", 3ull << 30, l, 1),
			 -EINVAL);
	assert_int_equal(guest_mem_layout_x86("q35", 0, l, 2), -EINVAL);
}

static void test_map_file(void **state)
{
	char path[] = "/tmp/devcall-gm-XXXXXX";
	struct guest_mem_layout_entry l[2] = {
		{ .gpa = 0, .file_offset = 0, .size = 0x10000 },
		{ .gpa = 1ull << 32, .file_offset = 0x10000, .size = 0x10000 },
	};
	struct guest_mem gm;
	char buf[6] = "";
	uint8_t *p;
	size_t len = 5;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 0x20000), 0);
	guest_mem_init(&gm);
	assert_int_equal(guest_mem_map_file(&gm, path, l, 2), 0);
	/* A write at GPA 4 GiB + 16 lands at file offset 64 KiB + 16. */
	p = guest_mem_translate(&gm, (1ull << 32) + 16, &len);
	assert_non_null(p);
	memcpy(p, "hello", 5);
	assert_int_equal(pread(fd, buf, 5, 0x10010), 5);
	assert_string_equal(buf, "hello");
	guest_mem_fini(&gm);
	assert_int_equal(gm.nr_regions, 0);

	/* A layout reaching past the end of the file is refused. */
	l[1].size = 0x10001;
	assert_int_equal(guest_mem_map_file(&gm, path, l, 2), -EINVAL);
	l[1].file_offset = ~0ull - 4;
	assert_int_equal(guest_mem_map_file(&gm, path, l, 2), -EINVAL);
	assert_int_equal(guest_mem_map_file(&gm, "/nonexistent/ram", l, 1),
			 -ENOENT);
	close(fd);
	unlink(path);
}

/*
 * NUMA: two nodes' files one after the other, as QEMU concatenates them;
 * a layout piece that spans both reads each file at the right place.
 */
static void test_map_fds(void **state)
{
	struct guest_mem_layout_entry layout[2] = {
		{ 0, 0, 3 << 20 },			/* node 0 and half of 1 */
		{ 1ull << 32, 3 << 20, 1 << 20 },	/* the rest of node 1 */
	};
	struct guest_mem gm;
	int fds[2], i;
	size_t len = 1;
	char c;

	(void)state;
	for (i = 0; i < 2; i++) {
		fds[i] = memfd_create("node", MFD_CLOEXEC);
		assert_true(fds[i] >= 0);
		assert_int_equal(ftruncate(fds[i], 2 << 20), 0);
	}
	c = 'A';
	assert_int_equal(pwrite(fds[0], &c, 1, (1 << 20) + 5), 1);
	c = 'B';
	assert_int_equal(pwrite(fds[1], &c, 1, 7), 1);
	c = 'C';
	assert_int_equal(pwrite(fds[1], &c, 1, (1 << 20) + 9), 1);
	guest_mem_init(&gm);
	assert_int_equal(guest_mem_map_fds(&gm, fds, 2, layout, 2), 0);
	assert_int_equal(*(char *)guest_mem_translate(&gm, (1 << 20) + 5, &len),
			 'A');
	assert_int_equal(*(char *)guest_mem_translate(&gm, (2 << 20) + 7, &len),
			 'B');
	assert_int_equal(*(char *)guest_mem_translate(&gm, (1ull << 32) + 9,
						      &len), 'C');
	/* Writes land in the file too. */
	*(char *)guest_mem_translate(&gm, (2 << 20) + 8, &len) = 'D';
	assert_int_equal(pread(fds[1], &c, 1, 8), 1);
	assert_int_equal(c, 'D');
	/* A piece past the end of both, and a file of no whole pages. */
	layout[1].size = (1 << 20) + 4096;
	assert_int_equal(guest_mem_map_fds(&gm, fds, 2, layout, 2), -EINVAL);
	assert_int_equal(ftruncate(fds[1], (2 << 20) + 100), 0);
	layout[1].size = 1 << 20;
	assert_int_equal(guest_mem_map_fds(&gm, fds, 2, layout, 2), -EINVAL);
	guest_mem_fini(&gm);
	close(fds[0]);
	close(fds[1]);
}

static void test_buf_group_hostile(void **state)
{
	struct guest_buf bufs[4];
	struct guest_seg s[3] = {
		{ 0x100000, 16, GUEST_SEG_TO_HOST, 0 },
		{ 0x100100, 16, GUEST_SEG_TO_HOST, 2 },
		{ 0x100200, 16, GUEST_SEG_TO_HOST, 1 },
	};

	(void)state;
	/* Out of order. */
	assert_int_equal(guest_buf_group(s, 3, bufs, 4), -EINVAL);
	/* Gaps are fine: buffer 1 is empty. */
	assert_int_equal(guest_buf_group(s, 2, bufs, 4), 3);
	assert_int_equal(bufs[1].nr_segs, 0);
	assert_int_equal(bufs[2].len, 16);
	/* Index beyond max, zero length, bad direction bits. */
	assert_int_equal(guest_buf_group(s, 2, bufs, 2), -EINVAL);
	s[1].buf = 1;
	s[1].len = 0;
	assert_int_equal(guest_buf_group(s, 2, bufs, 4), -EINVAL);
	s[1].len = 16;
	s[1].dir = 4;
	assert_int_equal(guest_buf_group(s, 2, bufs, 4), -EINVAL);
	s[1].dir = 0;
	assert_int_equal(guest_buf_group(s, 2, bufs, 4), -EINVAL);
}

static void test_buf_to_iov_hostile(void **state)
{
	struct fake_guest g;
	struct guest_buf b;
	struct guest_seg s[2];
	struct iovec iov[4];
	static const struct {
		uint64_t gpa;
		uint32_t len;
		int want;
	} bad[] = {
		{ 0, 16, -EFAULT },				/* not RAM */
		{ FAKE_RAM0_GPA - 8, 16, -EFAULT },		/* starts before */
		{ FAKE_RAM1_GPA + FAKE_RAM_SIZE - 8, 16, -EFAULT }, /* ends after */
		{ ~0ull - 7, 16, -EFAULT },			/* wraps */
		{ 0xffffffffull, 0xffffffffu, -EFAULT },
	};
	unsigned int i;

	(void)state;
	fake_guest_init(&g);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s[0] = (struct guest_seg){ bad[i].gpa, bad[i].len,
					   GUEST_SEG_FROM_HOST, 0 };
		assert_int_equal(guest_buf_group(s, 1, &b, 1), 1);
		assert_int_equal(guest_buf_to_iov(&g.gm, &b, bad[i].len,
						  GUEST_SEG_FROM_HOST, iov, 4),
				 bad[i].want);
	}
	/* Wrong direction. */
	s[0] = (struct guest_seg){ FAKE_RAM0_GPA, 64, GUEST_SEG_TO_HOST, 0 };
	guest_buf_group(s, 1, &b, 1);
	assert_int_equal(guest_buf_to_iov(&g.gm, &b, 64, GUEST_SEG_FROM_HOST,
					  iov, 4), -EACCES);
	/* Asking for more than the buffer holds. */
	assert_int_equal(guest_buf_to_iov(&g.gm, &b, 65, GUEST_SEG_TO_HOST,
					  iov, 4), -EFAULT);
	fake_guest_fini(&g);
}

static void test_buf_to_iov_splits_and_merges(void **state)
{
	struct fake_guest g;
	struct guest_buf b;
	struct guest_seg s[2];
	struct iovec iov[4];

	(void)state;
	fake_guest_init(&g);
	/* One segment across the region boundary: two iovecs. */
	s[0] = (struct guest_seg){ FAKE_RAM1_GPA - 100, 200,
				   GUEST_SEG_FROM_HOST, 0 };
	guest_buf_group(s, 1, &b, 1);
	assert_int_equal(guest_buf_to_iov(&g.gm, &b, 200, GUEST_SEG_FROM_HOST,
					  iov, 4), 2);
	assert_ptr_equal(iov[0].iov_base, g.ram[0] + FAKE_RAM_SIZE - 100);
	assert_int_equal(iov[0].iov_len, 100);
	assert_ptr_equal(iov[1].iov_base, g.ram[1]);
	assert_int_equal(iov[1].iov_len, 100);
	/* ...which is too many for one slot, and not contiguous. */
	assert_int_equal(guest_buf_to_iov(&g.gm, &b, 200, GUEST_SEG_FROM_HOST,
					  iov, 1), -E2BIG);
	assert_null(guest_buf_contig(&g.gm, &b, 200, GUEST_SEG_FROM_HOST));
	/* Two page-crossing segments adjacent in RAM merge into one. */
	s[0] = (struct guest_seg){ FAKE_RAM0_GPA + 4000, 200,
				   GUEST_SEG_FROM_HOST, 0 };
	s[1] = (struct guest_seg){ FAKE_RAM0_GPA + 4200, 100,
				   GUEST_SEG_FROM_HOST, 0 };
	guest_buf_group(s, 2, &b, 1);
	assert_int_equal(guest_buf_to_iov(&g.gm, &b, 300, GUEST_SEG_FROM_HOST,
					  iov, 4), 1);
	assert_int_equal(iov[0].iov_len, 300);
	assert_ptr_equal(guest_buf_contig(&g.gm, &b, 300, GUEST_SEG_FROM_HOST),
			 g.ram[0] + 4000);
	/* A prefix is fine. */
	assert_int_equal(guest_buf_to_iov(&g.gm, &b, 250, GUEST_SEG_FROM_HOST,
					  iov, 4), 1);
	assert_int_equal(iov[0].iov_len, 250);
	fake_guest_fini(&g);
}

static void test_buf_read_write_offsets(void **state)
{
	struct fake_guest g;
	struct guest_buf b;
	struct guest_seg s[3];
	char out[32] = "";

	(void)state;
	fake_guest_init(&g);
	/* Three scattered pieces: 5 + 3 + 8 bytes. */
	s[0] = (struct guest_seg){ FAKE_RAM0_GPA + 0x1000, 5,
				   GUEST_SEG_TO_HOST | GUEST_SEG_FROM_HOST, 0 };
	s[1] = (struct guest_seg){ FAKE_RAM1_GPA - 3, 3,
				   GUEST_SEG_TO_HOST | GUEST_SEG_FROM_HOST, 0 };
	s[2] = (struct guest_seg){ FAKE_RAM1_GPA + 0x40, 8,
				   GUEST_SEG_TO_HOST | GUEST_SEG_FROM_HOST, 0 };
	guest_buf_group(s, 3, &b, 1);
	assert_int_equal(b.len, 16);
	assert_int_equal(guest_buf_write(&g.gm, &b, 0, "abcdefghijklmnop",
					 16), 0);
	fake_guest_read(&g, FAKE_RAM1_GPA - 3, out, 3);
	assert_memory_equal(out, "fgh", 3);
	assert_int_equal(guest_buf_read(&g.gm, &b, 4, out, 6), 0);
	assert_memory_equal(out, "efghij", 6);
	assert_int_equal(guest_buf_write(&g.gm, &b, 7, "XY", 2), 0);
	assert_int_equal(guest_buf_read(&g.gm, &b, 0, out, 16), 0);
	assert_memory_equal(out, "abcdefgXYjklmnop", 16);
	/* Past the end, and an offset that wraps. */
	assert_int_equal(guest_buf_read(&g.gm, &b, 10, out, 7), -EFAULT);
	assert_int_equal(guest_buf_read(&g.gm, &b, ~(size_t)0, out, 2),
			 -EFAULT);
	fake_guest_fini(&g);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_add_region_rejects_bad),
	cmocka_unit_test(test_translate_clamps_to_region),
	cmocka_unit_test(test_range_whole_or_nothing),
	cmocka_unit_test(test_layout_x86),
	cmocka_unit_test(test_map_file),
	cmocka_unit_test(test_map_fds),
	cmocka_unit_test(test_buf_group_hostile),
	cmocka_unit_test(test_buf_to_iov_hostile),
	cmocka_unit_test(test_buf_to_iov_splits_and_merges),
	cmocka_unit_test(test_buf_read_write_offsets),
};

TEST_MAIN("guest_mem", tests, NULL, NULL)
