// SPDX-License-Identifier: MIT
/*
 * dcbench: the loops `make bench` times, the same binary on the host and
 * in the guest (static), so every path runs the same code. Numbers only,
 * one line per run; examples/bench.sh takes min/median/max.
 *
 *   dcbench io DEV OFFSET_MIB RUNS   O_DIRECT: 1 MiB sequential write and
 *                                    read over 32 MiB, 4 KiB random read
 *                                    latency at qd1, 4 KiB read IOPS at
 *                                    qd32 (32 threads, one read each)
 *   dcbench ioctl DEV N RUNS         BLKGETSIZE64 calls per second
 *   dcbench tur DEV N RUNS           SG_IO TEST UNIT READY per second
 *   dcbench lat DEV N                N 4 KiB O_DIRECT reads at qd1, one
 *                                    line (for the per-stage breakdown)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>
#include <scsi/sg.h>

#define REGION		(32u << 20)
#define BLK		(1u << 20)
#define SMALL		4096u
#define QD		32
#define QD_OPS		128		/* per thread */
#define LAT_OPS		2000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fail(const char *what)
{
	printf("FAIL %s: %s\n", what, strerror(errno));
	return 1;
}

struct qd_arg {
	int fd;
	off_t base;
	unsigned int seed;
	int err;
};

static void *qd_thread(void *p)
{
	struct qd_arg *a = p;
	void *buf;
	int i;

	if (posix_memalign(&buf, SMALL, SMALL)) {
		a->err = ENOMEM;
		return NULL;
	}
	for (i = 0; i < QD_OPS; i++) {
		off_t off = (off_t)(rand_r(&a->seed) % (REGION / SMALL)) * SMALL;

		if (pread(a->fd, buf, SMALL, a->base + off) != SMALL) {
			a->err = errno ? errno : EIO;
			break;
		}
	}
	free(buf);
	return NULL;
}

static double qd_iops(int fd, off_t base)
{
	struct qd_arg args[QD];
	pthread_t th[QD];
	double t;
	int i;

	t = now();
	for (i = 0; i < QD; i++) {
		args[i] = (struct qd_arg){ fd, base, 77u * (unsigned int)i + 1, 0 };
		if (pthread_create(&th[i], NULL, qd_thread, &args[i]))
			return -1;
	}
	for (i = 0; i < QD; i++)
		pthread_join(th[i], NULL);
	t = now() - t;
	for (i = 0; i < QD; i++)
		if (args[i].err) {
			errno = args[i].err;
			return -1;
		}
	return QD * QD_OPS / t;
}

static int cmd_io(const char *dev, int off_mib, int runs)
{
	off_t base = (off_t)off_mib << 20;
	unsigned int seed = 1;
	double t, wr, rd, lat, iops;
	size_t done;
	void *buf;
	int fd, i, r;

	fd = open(dev, O_RDWR | O_DIRECT);
	if (fd < 0)
		return fail("open O_DIRECT");
	if (posix_memalign(&buf, SMALL, BLK))
		return fail("posix_memalign");
	memset(buf, 0x5a, BLK);
	for (r = 0; r < runs; r++) {
		t = now();
		for (done = 0; done < REGION; done += BLK)
			if (pwrite(fd, buf, BLK, base + done) != BLK)
				return fail("write");
		if (fsync(fd))
			return fail("fsync");
		wr = REGION / (now() - t) / 1e6;
		t = now();
		for (done = 0; done < REGION; done += BLK)
			if (pread(fd, buf, BLK, base + done) != BLK)
				return fail("read");
		rd = REGION / (now() - t) / 1e6;
		t = now();
		for (i = 0; i < LAT_OPS; i++) {
			off_t off = (off_t)(rand_r(&seed) % (REGION / SMALL)) *
				    SMALL;

			if (pread(fd, buf, SMALL, base + off) != SMALL)
				return fail("4k read");
		}
		lat = (now() - t) / LAT_OPS * 1e6;
		iops = qd_iops(fd, base);
		if (iops < 0)
			return fail("qd32 read");
		printf("BENCH O_DIRECT write_MBps=%.1f read_MBps=%.1f "
		       "read4k_us=%.1f iops_qd32=%.0f\n", wr, rd, lat, iops);
		fflush(stdout);
	}
	close(fd);
	free(buf);
	return 0;
}

static int cmd_ioctl(const char *dev, int n, int runs)
{
	uint64_t size;
	double t;
	int fd, i, r;

	fd = open(dev, O_RDONLY);
	if (fd < 0)
		return fail("open");
	for (r = 0; r < runs; r++) {
		t = now();
		for (i = 0; i < n; i++)
			if (ioctl(fd, BLKGETSIZE64, &size))
				return fail("BLKGETSIZE64");
		printf("IOCTL calls_per_s=%.0f\n", n / (now() - t));
		fflush(stdout);
	}
	close(fd);
	return 0;
}

/* One TEST UNIT READY; 0 if it went through (the drive's answer aside). */
static int tur_once(int fd)
{
	unsigned char cdb[6] = { 0 }, sense[32];
	struct sg_io_hdr h;

	memset(&h, 0, sizeof(h));
	h.interface_id = 'S';
	h.cmd_len = sizeof(cdb);
	h.cmdp = cdb;
	h.mx_sb_len = sizeof(sense);
	h.sbp = sense;
	h.dxfer_direction = SG_DXFER_NONE;
	h.timeout = 10000;
	return ioctl(fd, SG_IO, &h);
}

static int cmd_tur(const char *dev, int n, int runs)
{
	double t;
	int fd, i, r;

	fd = open(dev, O_RDWR | O_NONBLOCK);
	if (fd < 0)
		return fail("open");
	for (r = 0; r < runs; r++) {
		t = now();
		for (i = 0; i < n; i++)
			if (tur_once(fd))
				return fail("SG_IO");
		printf("TUR calls_per_s=%.0f\n", n / (now() - t));
		fflush(stdout);
	}
	close(fd);
	return 0;
}

static int cmd_lat(const char *dev, int n)
{
	unsigned int seed = 3;
	void *buf;
	double t;
	int fd, i;

	fd = open(dev, O_RDONLY | O_DIRECT);
	if (fd < 0 || posix_memalign(&buf, SMALL, SMALL))
		return fail("open O_DIRECT");
	t = now();
	for (i = 0; i < n; i++)
		if (pread(fd, buf, SMALL, (off_t)(rand_r(&seed) %
			  (REGION / SMALL)) * SMALL) != SMALL)
			return fail("4k read");
	printf("LAT read4k_us=%.1f\n", (now() - t) / n * 1e6);
	close(fd);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "lat"))
		return cmd_lat(argv[2], atoi(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "io"))
		return cmd_io(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "ioctl"))
		return cmd_ioctl(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "tur"))
		return cmd_tur(argv[2], atoi(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: dcbench io|ioctl|tur DEV ARG RUNS\n");
	return 2;
}
