// SPDX-License-Identifier: MIT
/*
 * dcprobe: small checks the end-to-end tests run inside the guest, on
 * /dev/devcall nodes, with plain system calls as any program would.
 * Each prints one line and exits 0 on success.
 *
 *   dcprobe size DEV                 BLKGETSIZE64, in bytes
 *   dcprobe shortread DEV            read across the end of the device
 *   dcprobe offsets DEV              pwrite/pread and lseek at offsets
 *   dcprobe big DEV                  one 2 MiB write(2) and one read(2)
 *   dcprobe parallel DEV N           N processes, each its own region
 *   dcprobe readonly DEV             writes at 48 MiB must fail, with errno
 *   dcprobe stream DEV SECONDS       read and write until killed
 *   dcprobe sectorsize DEV           BLKSSZGET (no _IOC bits: host layout)
 *   dcprobe blkpg DEV add|del        partition 1 at 1 MiB, 8 MiB long
 *   dcprobe blkpg-fault DEV          BLKPG whose data pointer is unmapped:
 *                                    must fail with EFAULT
 *   dcprobe bench DEV OFFSET_MIB     1 MiB sequential write and read
 *                                    throughput, 4 KiB read latency
 *                                    (O_DIRECT where the node takes it)
 *   dcprobe fsync DEV fsync|fdatasync  prints 0 or the errno's name
 *   dcprobe put DEV FLAGS SRC OFF BS  SRC to DEV at byte OFF in BS writes
 *                                    from a page-aligned buffer; FLAGS:
 *                                    direct,sync,dsync (comma list) or -
 *   dcprobe hold DEV FLAGS SECONDS   open with FLAGS, print HOLDING, wait
 *                                    (or print the open's errno name)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/blkpg.h>
#include <linux/fs.h>

#define BIG	(2u << 20)

static int fail(const char *what)
{
	printf("FAIL %s: %s\n", what, strerror(errno));
	return 1;
}

static void fill(uint8_t *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 131 + seed * 7 + (i >> 12));
}

static int open_dev(const char *dev, int flags)
{
	int fd = open(dev, flags);

	if (fd < 0) {
		printf("FAIL open %s: %s\n", dev, strerror(errno));
		exit(1);
	}
	return fd;
}

static int cmd_size(const char *dev)
{
	uint64_t size;
	int fd = open_dev(dev, O_RDONLY);

	if (ioctl(fd, BLKGETSIZE64, &size))
		return fail("BLKGETSIZE64");
	printf("%llu\n", (unsigned long long)size);
	return 0;
}

static int cmd_shortread(const char *dev)
{
	char buf[4096];
	int fd = open_dev(dev, O_RDONLY);
	off_t end = lseek(fd, 0, SEEK_END);
	ssize_t a, b;

	if (end <= 1000 || lseek(fd, end - 1000, SEEK_SET) != end - 1000)
		return fail("lseek");
	a = read(fd, buf, sizeof(buf));
	b = read(fd, buf, sizeof(buf));
	printf("end=%lld first=%zd then=%zd\n", (long long)end, a, b);
	return a == 1000 && b == 0 ? 0 : 1;
}

static int cmd_offsets(const char *dev)
{
	static uint8_t w[3000], r[3000];
	int fd = open_dev(dev, O_RDWR);
	off_t offs[] = { 0, 511, 4095, 1 << 20, 3 << 20 };
	unsigned int i;

	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		fill(w, sizeof(w), i + 1);
		if (pwrite(fd, w, sizeof(w), offs[i]) != sizeof(w))
			return fail("pwrite");
		memset(r, 0, sizeof(r));
		if (lseek(fd, offs[i], SEEK_SET) != offs[i] ||
		    read(fd, r, sizeof(r)) != sizeof(r))
			return fail("lseek+read");
		if (memcmp(w, r, sizeof(w))) {
			printf("FAIL data differs at offset %lld\n",
			       (long long)offs[i]);
			return 1;
		}
		if (lseek(fd, 0, SEEK_CUR) != offs[i] + (off_t)sizeof(r))
			return fail("file position");
	}
	printf("offsets ok\n");
	return 0;
}

static int cmd_big(const char *dev)
{
	uint8_t *w = malloc(BIG), *r = malloc(BIG);
	int fd = open_dev(dev, O_RDWR);
	ssize_t n;

	fill(w, BIG, 42);
	n = pwrite(fd, w, BIG, 8 << 20);
	if (n != BIG) {
		printf("FAIL one 2 MiB write returned %zd\n", n);
		return 1;
	}
	memset(r, 0, BIG);
	n = pread(fd, r, BIG, 8 << 20);
	if (n != BIG || memcmp(w, r, BIG)) {
		printf("FAIL one 2 MiB read returned %zd or other data\n", n);
		return 1;
	}
	printf("2 MiB ok\n");
	return 0;
}

static int cmd_parallel(const char *dev, int n)
{
	int i, status, bad = 0;

	for (i = 0; i < n; i++) {
		if (fork() == 0) {
			static uint8_t w[65536], r[65536];
			int fd = open_dev(dev, O_RDWR), k;
			off_t base = (16 << 20) + (off_t)i * (1 << 20);

			for (k = 0; k < 16; k++) {
				off_t off = base + k * (off_t)sizeof(w);

				fill(w, sizeof(w), i * 100 + k);
				if (pwrite(fd, w, sizeof(w), off) != sizeof(w) ||
				    pread(fd, r, sizeof(r), off) != sizeof(r) ||
				    memcmp(w, r, sizeof(w)))
					_exit(1);
			}
			_exit(0);
		}
	}
	for (i = 0; i < n; i++)
		if (wait(&status) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			bad++;
	printf("%d processes, %d failed\n", n, bad);
	return bad ? 1 : 0;
}

static int cmd_readonly(const char *dev)
{
	int fd = open(dev, O_RDWR);
	int e1 = errno;
	ssize_t n;
	int e2;

	if (fd >= 0) {
		printf("FAIL read-write open succeeded\n");
		return 1;
	}
	/* At 48 MiB, a region the host side checks and no test writes. */
	fd = open_dev(dev, O_RDONLY);
	if (lseek(fd, 48 << 20, SEEK_SET) != 48 << 20)
		return fail("lseek");
	n = write(fd, "overwritten?", 12);
	e2 = errno;
	printf("open rw: %s; write: %zd %s\n", strerror(e1), n, strerror(e2));
	return e1 == EROFS && n < 0 && e2 == EBADF ? 0 : 1;
}

static int cmd_stream(const char *dev, int seconds)
{
	static uint8_t buf[65536];
	int fd = open_dev(dev, O_RDWR);
	time_t end = time(NULL) + seconds;

	printf("streaming\n");
	fflush(stdout);
	while (time(NULL) < end) {
		if (pwrite(fd, buf, sizeof(buf), 0) < 0 ||
		    pread(fd, buf, sizeof(buf), 0) < 0)
			return fail("stream");
	}
	return 0;
}

static int cmd_sectorsize(const char *dev)
{
	int fd = open_dev(dev, O_RDONLY), ssz = 0;

	if (ioctl(fd, BLKSSZGET, &ssz))
		return fail("BLKSSZGET");
	printf("%d\n", ssz);
	return 0;
}

static int cmd_blkpg(const char *dev, const char *what)
{
	struct blkpg_partition p = { .start = 1 << 20, .length = 8 << 20,
				     .pno = 1 };
	struct blkpg_ioctl_arg a = { .datalen = sizeof(p), .data = &p };
	int fd = open_dev(dev, O_RDWR);

	if (!strcmp(what, "fault")) {
		a.op = BLKPG_ADD_PARTITION;
		a.data = (void *)8;	/* nothing is mapped there */
		if (ioctl(fd, BLKPG, &a) == 0) {
			printf("FAIL BLKPG with a bad pointer succeeded\n");
			return 1;
		}
		printf("%s\n", strerror(errno));
		return errno == EFAULT ? 0 : 1;
	}
	a.op = !strcmp(what, "add") ? BLKPG_ADD_PARTITION : BLKPG_DEL_PARTITION;
	if (ioctl(fd, BLKPG, &a))
		return fail("BLKPG");
	printf("BLKPG %s ok\n", what);
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmd_bench(const char *dev, int off_mib)
{
	const size_t blk = 1 << 20, total = 32u << 20, small = 4096;
	const int reads = 2000;
	off_t base = (off_t)off_mib << 20;
	double t, wr, rd, lat;
	const char *mode = "O_DIRECT";
	void *buf;
	size_t done;
	int fd, i;

	fd = open(dev, O_RDWR | O_DIRECT);
	if (fd < 0) {
		mode = "buffered";
		fd = open_dev(dev, O_RDWR);
	}
	if (posix_memalign(&buf, 4096, blk))
		return fail("posix_memalign");
	fill(buf, blk, 9);
	t = now();
	for (done = 0; done < total; done += blk)
		if (pwrite(fd, buf, blk, base + done) != (ssize_t)blk)
			return fail("bench write");
	fsync(fd);
	wr = total / (now() - t) / 1e6;
	t = now();
	for (done = 0; done < total; done += blk)
		if (pread(fd, buf, blk, base + done) != (ssize_t)blk)
			return fail("bench read");
	rd = total / (now() - t) / 1e6;
	t = now();
	for (i = 0; i < reads; i++)
		if (pread(fd, buf, small, base + (off_t)(i % 4096) * small) !=
		    (ssize_t)small)
			return fail("bench 4k read");
	lat = (now() - t) / reads * 1e6;
	printf("BENCH %s write_MBps=%.1f read_MBps=%.1f read4k_us=%.1f\n",
	       mode, wr, rd, lat);
	return 0;
}

static const char *errno_name(int err)
{
	static const struct { int err; const char *name; } names[] = {
		{ EINVAL, "EINVAL" }, { EIO, "EIO" }, { EBADF, "EBADF" },
		{ EROFS, "EROFS" }, { ENOSPC, "ENOSPC" }, { ENXIO, "ENXIO" },
		{ EOPNOTSUPP, "EOPNOTSUPP" }, { EACCES, "EACCES" },
	};
	static char num[16];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].err == err)
			return names[i].name;
	snprintf(num, sizeof(num), "%d", err);
	return num;
}

/* "direct,dsync" to open(2) flags; "-" for none. */
static int parse_flags(const char *s)
{
	int flags = 0;

	if (strstr(s, "direct"))
		flags |= O_DIRECT;
	if (strstr(s, "dsync"))
		flags |= O_DSYNC;
	else if (strstr(s, "sync"))
		flags |= O_SYNC;
	return flags;
}

static int cmd_fsync(const char *dev, const char *how)
{
	int fd = open(dev, O_RDWR), ret;

	if (fd < 0)
		fd = open_dev(dev, O_RDONLY);
	ret = strcmp(how, "fdatasync") ? fsync(fd) : fdatasync(fd);
	printf("%s\n", ret ? errno_name(errno) : "0");
	return 0;
}

static int cmd_put(const char *dev, const char *flags, const char *src,
		   off_t off, size_t bs)
{
	int in = open_dev(src, O_RDONLY);
	int fd = open_dev(dev, O_WRONLY | parse_flags(flags));
	size_t total = 0;
	ssize_t n;
	void *buf;

	if (!bs || posix_memalign(&buf, 4096, bs))
		return fail("posix_memalign");
	while ((n = read(in, buf, bs)) > 0) {
		if (pwrite(fd, buf, n, off + total) != n)
			return fail("pwrite");
		total += n;
	}
	if (n < 0)
		return fail("read");
	if (close(fd))
		return fail("close");
	printf("%zu\n", total);
	return 0;
}

static int cmd_hold(const char *dev, const char *flags, int seconds)
{
	int fd = open(dev, O_RDWR | parse_flags(flags));

	if (fd < 0) {
		printf("%s\n", errno_name(errno));
		return 1;
	}
	printf("HOLDING\n");
	fflush(stdout);
	sleep(seconds);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: dcprobe CMD DEV [ARG]\n");
		return 2;
	}
	if (!strcmp(argv[1], "size"))
		return cmd_size(argv[2]);
	if (!strcmp(argv[1], "shortread"))
		return cmd_shortread(argv[2]);
	if (!strcmp(argv[1], "offsets"))
		return cmd_offsets(argv[2]);
	if (!strcmp(argv[1], "big"))
		return cmd_big(argv[2]);
	if (!strcmp(argv[1], "parallel") && argc > 3)
		return cmd_parallel(argv[2], atoi(argv[3]));
	if (!strcmp(argv[1], "readonly"))
		return cmd_readonly(argv[2]);
	if (!strcmp(argv[1], "sectorsize"))
		return cmd_sectorsize(argv[2]);
	if (!strcmp(argv[1], "blkpg") && argc > 3)
		return cmd_blkpg(argv[2], argv[3]);
	if (!strcmp(argv[1], "blkpg-fault"))
		return cmd_blkpg(argv[2], "fault");
	if (!strcmp(argv[1], "bench") && argc > 3)
		return cmd_bench(argv[2], atoi(argv[3]));
	if (!strcmp(argv[1], "stream") && argc > 3)
		return cmd_stream(argv[2], atoi(argv[3]));
	if (!strcmp(argv[1], "fsync") && argc > 3)
		return cmd_fsync(argv[2], argv[3]);
	if (!strcmp(argv[1], "put") && argc > 6)
		return cmd_put(argv[2], argv[3], argv[4], atoll(argv[5]),
			       strtoul(argv[6], NULL, 0));
	if (!strcmp(argv[1], "hold") && argc > 4)
		return cmd_hold(argv[2], argv[3], atoi(argv[4]));
	fprintf(stderr, "dcprobe: unknown command %s\n", argv[1]);
	return 2;
}
