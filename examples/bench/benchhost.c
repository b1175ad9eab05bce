// SPDX-License-Identifier: MIT
/*
 * benchhost: the host-side rows of `make bench` that need no VM.
 *
 *   benchhost tur N RUNS
 *	SG_IO TEST UNIT READY straight to the emulated drive plugin's
 *	ioctl op, as the daemon calls it: the host baseline of the guest's
 *	TUR rate.
 *   benchhost load DIR PID VMS DEPTH SECONDS DEV
 *	The real daemon (PID) serving VMS fake guests (tests/hostile's fake
 *	QEMU and guest: no TCG), VM i on DIR/run/vI.sock with RAM
 *	DIR/ram/vI.ram and export 1 the disk DEV. Prints the daemon's CPU
 *	per request (one VM, one call in flight, 4 KiB O_DIRECT reads) beside
 *	the same pread(2) made here; then every VM keeps DEPTH reads in
 *	flight for SECONDS: aggregate IOPS, p99 per VM, and the daemon's
 *	RSS and PSS idle and under load. With the CPU row, the floor: the
 *	same wake-up, pread(2) and eventfd answer by a bare thread.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <scsi/sg.h>

#include "config.h"
#include "emudrive.h"
#include "fakeqemu.h"

#define IO_SIZE		4096u
#define REGION		(32u << 20)
#define CPU_CALLS	20000
#define MAX_VMS		16
#define MAX_LAT		(1u << 20)

/*
 * BENCH_KICK=always: ring on every submission, as a driver that ignores
 * VRING_USED_F_NO_NOTIFY would (to compare with and without).
 */
static bool kick_always;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmd_tur(int n, int runs)
{
	char path[] = "/tmp/devcall-bench-disc-XXXXXX";
	struct backend_file_info info;
	unsigned char cdb[6] = { 0 }, sense[32];
	struct sg_io_hdr h;
	struct export exp;
	void *priv;
	double t;
	int fd, i, r;

	fd = mkstemp(path);
	if (fd < 0)
		return 1;
	close(fd);
	memset(&exp, 0, sizeof(exp));
	snprintf(exp.path, sizeof(exp.path), "%s", path);
	snprintf(exp.backend_opts, sizeof(exp.backend_opts), "media=cdrw");
	memset(&info, 0, sizeof(info));
	if (emudrive_ops.open(&exp, O_RDWR, &priv, &info)) {
		unlink(path);
		return 1;
	}
	for (r = 0; r < runs; r++) {
		t = now();
		for (i = 0; i < n; i++) {
			memset(&h, 0, sizeof(h));
			h.interface_id = 'S';
			h.cmd_len = sizeof(cdb);
			h.cmdp = cdb;
			h.mx_sb_len = sizeof(sense);
			h.sbp = sense;
			h.dxfer_direction = SG_DXFER_NONE;
			if (emudrive_ops.ioctl(priv, SG_IO, (unsigned long)&h))
				break;
		}
		printf("TUR calls_per_s=%.0f\n", i / (now() - t));
	}
	emudrive_ops.close(priv);
	unlink(path);
	return 0;
}

/*
 * The sum over every thread of pid of what fn reads from its
 * /proc/PID/task/TID/NAME; -1 if pid has no task directory.
 */
static double proc_tasks_sum(int pid, const char *name,
			     double (*fn)(FILE *f))
{
	char path[320];
	struct dirent *e;
	double sum = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/%s", pid,
			 e->d_name, name);
		f = fopen(path, "r");
		if (f) {
			sum += fn(f);
			fclose(f);
		}
	}
	closedir(d);
	return sum;
}

/* schedstat's first field: on-CPU time, ns. */
static double schedstat_cpu_ns(FILE *f)
{
	char line[128];

	return fgets(line, sizeof(line), f) ? strtod(line, NULL) : 0;
}

/* status: context switches, voluntary or not. */
static double status_ctxsw(FILE *f)
{
	char line[128];
	double sum = 0;
	long v;

	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1 ||
		    sscanf(line, "nonvoluntary_ctxt_switches: %ld", &v) == 1)
			sum += v;
	return sum;
}

/* CPU time of every thread of pid, in ns (schedstat: on-CPU time). */
static double proc_cpu_ns(int pid)
{
	return proc_tasks_sum(pid, "schedstat", schedstat_cpu_ns);
}

/* Context switches of every thread of pid, voluntary or not. */
static double proc_ctxsw(int pid)
{
	return proc_tasks_sum(pid, "status", status_ctxsw);
}

/* Rss and Pss of pid in KiB. */
static void proc_mem(int pid, long *rss, long *pss)
{
	char path[64], line[128];
	FILE *f;

	*rss = *pss = -1;
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "Rss: %ld", rss);
		sscanf(line, "Pss: %ld", pss);
	}
	fclose(f);
}

struct vm_load {
	struct fq f;
	uint64_t handle;
	unsigned int depth;
	double end;
	unsigned int seed;
	double *lat;			/* us, one per answered call */
	unsigned int nr_lat;
	int err;
	pthread_t th;
};

static int submit_read(struct vm_load *v, unsigned int i)
{
	struct devcall_seg seg;
	struct devcall_req r;
	off_t off = (off_t)(rand_r(&v->seed) % (REGION / IO_SIZE)) * IO_SIZE;

	fq_req_init(&v->f, &r, DEVCALL_OP_READ);
	r.handle = htole64(v->handle);
	r.len = htole32(IO_SIZE);
	r.offset = htole64((uint64_t)off);
	r.flags = htole32(DEVCALL_REQ_F_OFFSET | DEVCALL_REQ_F_DIRECT);
	r.nr_segs = htole16(1);
	seg.addr = htole64(FQ_DATA_GPA + (uint64_t)i * IO_SIZE);
	seg.len = htole32(IO_SIZE);
	seg.flags = htole16(DEVCALL_SEG_FROM_HOST);
	seg.buf = 0;
	return fq_submit(&v->f, &r, &seg, 1, NULL, 0);
}

/* Keep depth reads in flight until end; latency of each answer. */
static void *vm_load_run(void *p)
{
	struct vm_load *v = p;
	double sent[FQ_MAX_SLOTS];
	unsigned int i;
	int s;

	for (i = 0; i < v->depth; i++) {
		s = submit_read(v, (unsigned int)i);
		if (s < 0) {
			v->err = -s;
			return NULL;
		}
		sent[s] = now();
	}
	fq_kick(&v->f);
	while (now() < v->end) {
		unsigned int more = 0;

		fq_wait_irq(&v->f, DEVCALL_MSIX_VEC_QUEUE(DEVCALL_QUEUE_REQ),
			    100);
		fq_reap(&v->f);
		for (i = 0; i < v->f.q.nr_slots; i++) {
			if (v->f.q.slot[i].state != FQ_SLOT_DONE)
				continue;
			if (fq_result(&v->f, (int)i) != IO_SIZE)
				v->err = EIO;
			if (v->nr_lat < MAX_LAT)
				v->lat[v->nr_lat++] = (now() - sent[i]) * 1e6;
			fq_release(&v->f, (int)i);
			s = submit_read(v, i % v->depth);
			if (s >= 0) {
				sent[s] = now();
				more++;
			}
		}
		if (more && kick_always)
			fq_kick(&v->f);
		else if (more)
			fq_kick_prepared(&v->f);
	}
	/* Let what is in flight finish before the connection goes. */
	for (i = 0; i < v->f.q.nr_slots; i++)
		if (v->f.q.slot[i].state == FQ_SLOT_BUSY)
			fq_wait(&v->f, (int)i, 2000);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int vm_connect(struct vm_load *v, const char *dir, int i)
{
	char path[512];
	int64_t h;

	fq_init(&v->f, "bench");
	snprintf(path, sizeof(path), "%s/ram/v%d.ram", dir, i);
	if (fq_ram_create(&v->f, path, FQ_RAM_SIZE))
		return -1;
	snprintf(path, sizeof(path), "%s/run/v%d.sock", dir, i);
	if (fq_connect(&v->f, path, 5000) || fq_driver_start(&v->f, 256, 0))
		return -1;
	h = fq_open(&v->f, 1, DEVCALL_O_RDONLY | DEVCALL_O_DIRECT, 2000);
	if (h <= 0)
		return -1;
	v->handle = (uint64_t)h;
	v->seed = (unsigned int)i + 1;
	return 0;
}

/*
 * The floor under cpu_row()'s daemon figure on this host: a thread that
 * does what the daemon's worker must for one call and nothing else:
 * wake in epoll_wait() on a doorbell eventfd (edge-triggered, not read,
 * as the daemon's workers wait), pread() 4 KiB, write the interrupt
 * eventfd. Its CPU per call is what the kernel charges for that
 * wake-up, syscall and signal; the daemon's figure beyond it is
 * devcall's own code (decode, checks, ring, locks).
 */
struct floor_srv {
	int db, irq, ep, fd;
	void *buf;
	double cpu_ns;
};

static void *floor_server(void *arg)
{
	struct floor_srv *f = arg;
	struct epoll_event ev;
	struct timespec t0, t1;
	uint64_t one = 1;
	int i;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	for (i = 0; i < CPU_CALLS; i++) {
		if (epoll_wait(f->ep, &ev, 1, -1) != 1 ||
		    pread(f->fd, f->buf, IO_SIZE, (off_t)(rand() %
			  (REGION / IO_SIZE)) * IO_SIZE) != IO_SIZE ||
		    write(f->irq, &one, sizeof(one)) != sizeof(one))
			return NULL;
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	f->cpu_ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
	return NULL;
}

static double floor_us(const char *dev)
{
	struct floor_srv f = { .cpu_ns = -1 };
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	struct pollfd p = { .events = POLLIN };
	uint64_t n, one = 1;
	pthread_t th;
	int i, ok = 1;

	f.db = eventfd(0, EFD_CLOEXEC);
	f.irq = eventfd(0, EFD_CLOEXEC);
	f.ep = epoll_create1(EPOLL_CLOEXEC);
	f.fd = open(dev, O_RDONLY | O_DIRECT);
	if (f.db < 0 || f.irq < 0 || f.ep < 0 || f.fd < 0 ||
	    posix_memalign(&f.buf, IO_SIZE, IO_SIZE) ||
	    epoll_ctl(f.ep, EPOLL_CTL_ADD, f.db, &ev) ||
	    pthread_create(&th, NULL, floor_server, &f))
		return -1;
	p.fd = f.irq;
	for (i = 0; i < CPU_CALLS && ok; i++)
		ok = write(f.db, &one, sizeof(one)) == sizeof(one) &&
		     poll(&p, 1, 2000) == 1 &&
		     read(f.irq, &n, sizeof(n)) == sizeof(n);
	pthread_join(th, NULL);
	close(f.db);
	close(f.irq);
	close(f.ep);
	close(f.fd);
	free(f.buf);
	return ok && f.cpu_ns >= 0 ? f.cpu_ns / CPU_CALLS / 1e3 : -1;
}

/* One call at a time: the daemon's CPU per request, and the host's. */
static int cpu_row(int pid, struct vm_load *v, const char *dev)
{
	struct timespec t0, t1;
	double cpu0, cpu1, host, sw0, sw1, floor;
	void *buf;
	int fd, i, s;

	sw0 = proc_ctxsw(pid);
	cpu0 = proc_cpu_ns(pid);
	for (i = 0; i < CPU_CALLS; i++) {
		s = submit_read(v, 0);
		if (s < 0)
			return -1;
		fq_kick_prepared(&v->f);
		if (fq_wait(&v->f, s, 2000) || fq_result(&v->f, s) != IO_SIZE) {
			fprintf(stderr, "benchhost: READ answered %lld\n",
				(long long)fq_result(&v->f, s));
			return -1;
		}
		fq_release(&v->f, s);
	}
	cpu1 = proc_cpu_ns(pid);
	sw1 = proc_ctxsw(pid);
	fd = open(dev, O_RDONLY | O_DIRECT);
	if (fd < 0 || posix_memalign(&buf, IO_SIZE, IO_SIZE))
		return -1;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	for (i = 0; i < CPU_CALLS; i++)
		if (pread(fd, buf, IO_SIZE, (off_t)(rand() % (REGION / IO_SIZE)) *
			  IO_SIZE) != IO_SIZE)
			return -1;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	close(fd);
	free(buf);
	host = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) /
	       CPU_CALLS / 1e3;
	floor = floor_us(dev);
	printf("CPU daemon_us_per_call=%.2f host_syscall_us=%.2f "
	       "overhead_us=%.2f ctxsw_per_call=%.2f floor_us_per_call=%.2f "
	       "over_floor_us=%.2f\n",
	       (cpu1 - cpu0) / CPU_CALLS / 1e3, host,
	       (cpu1 - cpu0) / CPU_CALLS / 1e3 - host,
	       (sw1 - sw0) / CPU_CALLS, floor,
	       (cpu1 - cpu0) / CPU_CALLS / 1e3 - floor);
	return 0;
}

static int cmd_load(const char *dir, int pid, int nvms, unsigned int depth,
		    int secs, const char *dev)
{
	static struct vm_load vms[MAX_VMS];
	long rss_idle, pss_idle, rss_load = -1, pss_load = -1;
	double p99[MAX_VMS], pmin = 1e30, pmax = 0, t, sw, cpu;
	unsigned long total = 0;
	int i;

	if (nvms < 1 || nvms > MAX_VMS || !depth || depth > FQ_MAX_SLOTS / 2)
		return 2;
	for (i = 0; i < nvms; i++)
		if (vm_connect(&vms[i], dir, i)) {
			fprintf(stderr, "benchhost: VM %d would not start\n", i);
			return 1;
		}
	if (cpu_row(pid, &vms[0], dev)) {
		fprintf(stderr, "benchhost: the CPU row failed\n");
		return 1;
	}
	usleep(200000);
	proc_mem(pid, &rss_idle, &pss_idle);
	sw = proc_ctxsw(pid);
	cpu = proc_cpu_ns(pid);
	t = now();
	for (i = 0; i < nvms; i++) {
		vms[i].depth = depth;
		vms[i].end = t + secs;
		vms[i].lat = malloc(MAX_LAT * sizeof(double));
		if (!vms[i].lat ||
		    pthread_create(&vms[i].th, NULL, vm_load_run, &vms[i]))
			return 1;
	}
	usleep((useconds_t)secs * 500000);
	proc_mem(pid, &rss_load, &pss_load);
	for (i = 0; i < nvms; i++)
		pthread_join(vms[i].th, NULL);
	t = now() - t;
	sw = proc_ctxsw(pid) - sw;
	cpu = proc_cpu_ns(pid) - cpu;
	for (i = 0; i < nvms; i++) {
		struct vm_load *v = &vms[i];

		if (v->err || !v->nr_lat) {
			fprintf(stderr, "benchhost: VM %d: %s\n", i,
				strerror(v->err ? v->err : EIO));
			return 1;
		}
		qsort(v->lat, v->nr_lat, sizeof(double), cmp_double);
		p99[i] = v->lat[v->nr_lat * 99 / 100];
		pmin = p99[i] < pmin ? p99[i] : pmin;
		pmax = p99[i] > pmax ? p99[i] : pmax;
		total += v->nr_lat;
		printf("VM v%d calls=%u p50_us=%.0f p99_us=%.0f\n", i,
		       v->nr_lat, v->lat[v->nr_lat / 2], p99[i]);
	}
	printf("SCALE vms=%d depth=%u iops=%.0f p99_min_us=%.0f "
	       "p99_max_us=%.0f p99_ratio=%.2f cpu_us_per_call=%.2f "
	       "ctxsw_per_call=%.2f\n", nvms, depth, total / t, pmin, pmax,
	       pmax / pmin, cpu / total / 1e3, sw / total);
	printf("MEM vms=%d rss_idle_kib=%ld pss_idle_kib=%ld "
	       "rss_load_kib=%ld pss_load_kib=%ld\n", nvms, rss_idle, pss_idle,
	       rss_load, pss_load);
	for (i = 0; i < nvms; i++) {
		fq_close(&vms[i].f, vms[i].handle, 2000);
		fq_destroy(&vms[i].f);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "tur"))
		return cmd_tur(atoi(argv[2]), atoi(argv[3]));
	kick_always = getenv("BENCH_KICK") &&
		      !strcmp(getenv("BENCH_KICK"), "always");
	if (argc == 8 && !strcmp(argv[1], "load"))
		return cmd_load(argv[2], atoi(argv[3]), atoi(argv[4]),
				(unsigned int)atoi(argv[5]), atoi(argv[6]),
				argv[7]);
	fprintf(stderr, "usage: benchhost tur N RUNS | load DIR PID VMS "
		"DEPTH SECONDS DEV\n");
	return 2;
}
