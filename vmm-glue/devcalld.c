// SPDX-License-Identifier: MIT
/*
 * devcalld: the devcall host daemon. The ivshmem server of every
 * configured VM, and the device side of its devcall virtio device. This
 * file holds only the command line, signals, the event loop and the worker
 * pool; the logic is in vm_session.c and the call mechanism.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "privilege.h"
#include "vm_session.h"

#define MAX_WORKERS	64

static struct {
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct session_call *head, **tail;
} pool = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL,
	   &pool.head };

void session_queue(struct session_call *call)
{
	call->next = NULL;
	pthread_mutex_lock(&pool.lock);
	*pool.tail = call;
	pool.tail = &call->next;
	pthread_cond_signal(&pool.more);
	pthread_mutex_unlock(&pool.lock);
}

static __attribute__((noreturn)) void *worker(void *arg)
{
	struct session_call *call;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&pool.lock);
		while (!pool.head)
			pthread_cond_wait(&pool.more, &pool.lock);
		call = pool.head;
		pool.head = call->next;
		if (!pool.head)
			pool.tail = &pool.head;
		pthread_mutex_unlock(&pool.lock);
		session_serve(call);
	}
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: devcalld [options]\n"
"  --config FILE         INI configuration (docs/config.md)\n"
"  --vm NAME[,k=v...]    a VM (same keys as [vm NAME])\n"
"  --export VM:NAME=PATH[,opts]  an export (same keys as [export VM NAME])\n"
"  --plugin FILE.so      load a backend plugin\n"
"  --run-dir DIR         default socket directory (/run/devcall)\n"
"  --pidfile FILE        written once every socket listens\n"
"  --workers N           threads serving requests (default 8)\n"
"  --log-level L         err, warn, info (default) or debug\n"
"  --user NAME, --group NAME  run as (docs/config.md, [daemon])\n"
"  --no-seccomp          no system call filter (debugging)\n");
}

static int parse_level(const char *s)
{
	static const char *const names[] = { "err", "warn", "info", "debug" };
	int i;

	for (i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "vm", required_argument, NULL, 'v' },
		{ "export", required_argument, NULL, 'e' },
		{ "plugin", required_argument, NULL, 'P' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "workers", required_argument, NULL, 'w' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "user", required_argument, NULL, 'u' },
		{ "group", required_argument, NULL, 'g' },
		{ "no-seccomp", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static struct config cfg;
	struct vm_session *sessions[CONFIG_MAX_VMS] = { 0 };
	const char *run_dir = "/run/devcall", *pidfile = NULL;
	pthread_t thread;
	int nr_workers = 8, epfd, sfd, c, level;
	struct session_ev_src sig_src = { 0 };
	struct session_ev_src waitset_src = { .kind = SESSION_EV_WAITSET };
	struct session_ev_src timer_src = { .kind = SESSION_EV_TIMER };
	int tfd;
	struct host *host;
	char err[512];
	unsigned int i;
	sigset_t mask;
	int ret = 1;

	config_init(&cfg);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (config_load_file(&cfg, optarg, err, sizeof(err)))
				goto bad_config;
			break;
		case 'v':
		case 'e':
		case 'P':
			if (config_apply_flag(&cfg, c == 'v' ? "--vm" :
					      c == 'e' ? "--export" : "--plugin",
					      optarg, err, sizeof(err)))
				goto bad_config;
			break;
		case 'r':
			run_dir = optarg;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'w':
			nr_workers = atoi(optarg);
			if (nr_workers < 1 || nr_workers > MAX_WORKERS) {
				fprintf(stderr, "devcalld: --workers: 1..%d\n",
					MAX_WORKERS);
				return 2;
			}
			break;
		case 'l':
			level = parse_level(optarg);
			if (level < 0) {
				usage(stderr);
				return 2;
			}
			log_set_level(level);
			break;
		case 'f':
			break;		/* devcalld never daemonizes itself */
		case 'u':
		case 'g':
			snprintf(c == 'u' ? cfg.user : cfg.group,
				 sizeof(cfg.user), "%s", optarg);
			break;
		case 'S':
			cfg.seccomp_off = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (config_finish(&cfg, err, sizeof(err)))
		goto bad_config;
	if (!cfg.nr_vms) {
		fprintf(stderr, "devcalld: no VM configured\n");
		return 2;
	}

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);	/* workers inherit it */
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || epfd < 0) {
		perror("devcalld");
		return 1;
	}
	{
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.ptr = &sig_src };

		epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev);
	}
	mkdir(run_dir, 0755);
	host = host_create();
	if (!host)
		return 1;
	{
		/* Parked requests: no thread waits for a host file. */
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.ptr = &waitset_src };

		epoll_ctl(epfd, EPOLL_CTL_ADD, waitset_fd(host_waitset(host)),
			  &ev);
	}

	for (i = 0; i < cfg.nr_vms; i++) {
		int r = session_create(&sessions[i], host, &cfg.vms[i], run_dir,
				       epfd);

		if (r) {
			log_err("vm %s: %s", cfg.vms[i].name, strerror(-r));
			goto out;
		}
	}
	{
		/* The heartbeat the guests watch (DEVCALL_HEARTBEAT_MS). */
		struct itimerspec its = {
			.it_interval.tv_nsec = DEVCALL_HEARTBEAT_MS * 1000000L,
			.it_value.tv_nsec = DEVCALL_HEARTBEAT_MS * 1000000L,
		};
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.ptr = &timer_src };

		tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) ||
		    epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &ev)) {
			log_err("timer: %s", strerror(errno));
			goto out;
		}
	}
	if (pidfile) {
		FILE *f = fopen(pidfile, "w");

		if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f)) {
			log_err("pidfile %s: %s", pidfile, strerror(errno));
			goto out_workers;
		}
	}
	/* Everything needing root is done; the workers inherit the rest. */
	if (privilege_drop(&cfg))
		goto out_workers;
	/* Threads only now: the fd keepers were forked from one thread. */
	for (c = 0; c < nr_workers; c++)
		pthread_create(&thread, NULL, worker, NULL);
	log_info("ready: %u VM(s), %d worker(s)", cfg.nr_vms, nr_workers);

	for (;;) {
		struct epoll_event evs[32];
		int n = epoll_wait(epfd, evs, 32, -1), k;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (k = 0; k < n; k++) {
			struct session_ev_src *src = evs[k].data.ptr;

			if (src == &sig_src) {
				log_info("shutting down");
				ret = 0;
				goto out_workers;
			}
			switch (src->kind) {
			case SESSION_EV_LISTEN:
				session_accept(src->s);
				break;
			case SESSION_EV_CLIENT:
				session_client_event(src->s, evs[k].events);
				break;
			case SESSION_EV_DOORBELL:
				session_doorbell(src->s, src->vec);
				break;
			case SESSION_EV_QMP_LISTEN:
				session_qmp_accept(src->s);
				break;
			case SESSION_EV_QMP:
				session_qmp_event(src->s);
				break;
			case SESSION_EV_WAITSET:
				waitset_run(host_waitset(host));
				break;
			case SESSION_EV_TIMER: {
				uint64_t ticks;

				if (read(tfd, &ticks, sizeof(ticks)) < 0)
					break;
				for (i = 0; i < cfg.nr_vms; i++)
					session_tick(sessions[i]);
				break;
			}
			}
		}
	}
out_workers:
	/*
	 * Requests that wait for data are parked, not in workers; but a
	 * worker may sit in a long host ioctl for as long as the driver
	 * likes: do not wait for it. Remove what others can see and let exit
	 * close every host file.
	 */
	for (i = 0; i < cfg.nr_vms; i++) {
		unlink(cfg.vms[i].socket_path);
		unlink(cfg.vms[i].qmp_path);
		session_stop(sessions[i]);	/* QEMU sees us go */
	}
	if (pidfile)
		unlink(pidfile);
	return ret;
out:
	for (i = 0; i < cfg.nr_vms; i++)
		session_destroy(sessions[i]);
	return ret;

bad_config:
	fprintf(stderr, "devcalld: %s\n", err);
	return 2;
}
