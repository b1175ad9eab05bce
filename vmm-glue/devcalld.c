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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ioctl_layout.h"
#include "layout_file.h"
#include "event_loop.h"
#include "log.h"
#include "policy.h"
#include "sock.h"
#include "privilege.h"
#include "sd_notify.h"
#include "vm_session.h"
#include "waitset.h"

/* The loop's own sources: signals (quit) and the wait set. */
struct loop_src {
	struct event_src src;
	int fd;
	bool *quit;
	bool *reload;
	struct waitset *ws;
};

/*
 * Where the configuration came from, in order: --config files and the
 * flags that build it, so a reload (SIGHUP) builds it again the same way.
 */
#define MAX_CONFIG_SOURCES	256

struct config_source {
	int c;			/* the option */
	const char *arg;	/* in argv */
};

static struct config_source config_sources[MAX_CONFIG_SOURCES];
static unsigned int nr_config_sources;
static bool config_sources_lost;	/* too many to record: no reload */

static void config_source_add(int c, const char *arg)
{
	if (nr_config_sources == MAX_CONFIG_SOURCES) {
		config_sources_lost = true;
		return;
	}
	config_sources[nr_config_sources].c = c;
	config_sources[nr_config_sources++].arg = arg;
}

/* "--NAME" of the option whose value is c (config_apply_flag's names). */
static const char *flag_name(const struct option *opts, int c)
{
	static char buf[32];

	for (; opts->name; opts++)
		if (opts->val == c)
			break;
	snprintf(buf, sizeof(buf), "--%s", opts->name ? opts->name : "?");
	return buf;
}

/*
 * SIGHUP: read the configuration again and apply what can change live:
 * each VM's exports (session_reload()). The new configuration is checked
 * whole first; one that does not load changes nothing. VMs added or
 * removed, and every other setting, need a restart: said in the log.
 */
static void config_reload(const struct option *opts, const struct config *cur,
			  struct vm_session **sessions)
{
	struct config *ncfg;
	char err[512];
	unsigned int i, j;

	if (config_sources_lost) {
		log_err("reload: too many configuration options to replay");
		return;
	}
	ncfg = malloc(sizeof(*ncfg));
	if (!ncfg) {
		log_err("reload: %s", strerror(ENOMEM));
		return;
	}
	config_init(ncfg);
	for (i = 0; i < nr_config_sources; i++) {
		const struct config_source *src = &config_sources[i];
		int r = src->c == 'c' ?
			config_load_file(ncfg, src->arg, err, sizeof(err)) :
			config_apply_flag(ncfg, flag_name(opts, src->c),
					  src->arg, err, sizeof(err));

		if (r)
			goto bad_config;
	}
	if (config_finish(ncfg, err, sizeof(err)))
		goto bad_config;
	if (privilege_reload_check(cur, ncfg, err, sizeof(err)))
		goto bad_config;
	for (i = 0; i < ncfg->nr_vms; i++) {
		for (j = 0; j < cur->nr_vms; j++)
			if (!strcmp(cur->vms[j].name, ncfg->vms[i].name))
				break;
		if (j == cur->nr_vms) {
			log_warn("reload: vm %s is new: not served until a "
				 "restart", ncfg->vms[i].name);
			continue;
		}
		session_reload(sessions[j], &ncfg->vms[i]);
	}
	for (j = 0; j < cur->nr_vms; j++) {
		for (i = 0; i < ncfg->nr_vms; i++)
			if (!strcmp(cur->vms[j].name, ncfg->vms[i].name))
				break;
		if (i == ncfg->nr_vms)
			log_warn("reload: vm %s is gone from the "
				 "configuration: still served until a restart",
				 cur->vms[j].name);
	}
	log_info("reload: done");
	free(ncfg);
	return;

bad_config:
	log_err("reload: %s: configuration unchanged", err);
	free(ncfg);
}

static void on_signal(struct event_src *src, uint32_t events)
{
	struct loop_src *l = (struct loop_src *)src;
	struct signalfd_siginfo si;

	(void)events;
	if (read(l->fd, &si, sizeof(si)) == sizeof(si) &&
	    si.ssi_signo == SIGHUP) {
		*l->reload = true;
		return;
	}
	log_info("shutting down");
	*l->quit = true;
}

static void on_waitset(struct event_src *src, uint32_t events)
{
	(void)events;
	waitset_run(((struct loop_src *)src)->ws);
}

/*
 * The heartbeat the guests watch (DEVCALL_HEARTBEAT_MS), on a thread of
 * its own: however busy the event loop is with a guest that publishes as
 * fast as it can, every other guest sees the daemon alive on time.
 */
struct heartbeat {
	struct vm_session **sessions;
	unsigned int nr;
};

static __attribute__((noreturn)) void *heartbeat_thread(void *arg)
{
	const struct heartbeat *hb = arg;
	struct timespec next;
	unsigned int i;

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		next.tv_nsec += DEVCALL_HEARTBEAT_MS * 1000000L;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
				       NULL) == EINTR)
			;
		for (i = 0; i < hb->nr; i++)
			session_heartbeat(hb->sessions[i]);
	}
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
"  --workers N           threads serving each VM (default 4; or per VM:\n"
"                        --vm NAME,workers=N)\n"
"  --log-level L         err, warn, info (default) or debug\n"
"  --user NAME, --group NAME  run as (docs/config.md, [daemon])\n"
"  --no-seccomp          no system call filter (debugging)\n"
"  --list-layouts        print the known ioctl layouts and exit\n"
"  --fd-store            under systemd: QEMU's descriptors in the service's\n"
"                        fd store (FileDescriptorStoreMax=), not fd keepers\n"
"  --qemu-user NAME, --socket-group NAME, --socket-mode MODE, --ram-dir DIR\n"
"                        who may connect, and where guest RAM lives\n");
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
		{ "qemu-user", required_argument, NULL, 'Q' },
		{ "socket-group", required_argument, NULL, 'G' },
		{ "socket-mode", required_argument, NULL, 'M' },
		{ "ram-dir", required_argument, NULL, 'R' },
		{ "list-layouts", no_argument, NULL, 'L' },
		{ "fd-store", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static struct config cfg;
	struct vm_session *sessions[CONFIG_MAX_VMS] = { 0 };
	const char *run_dir = "/run/devcall", *pidfile = NULL;
	pthread_t thread;
	int nr_workers = 0, epfd, sfd, c, level, low_reserved;
	struct loop_src sig_src = { { on_signal }, -1, NULL, NULL, NULL };
	struct loop_src waitset_src = { { on_waitset }, -1, NULL, NULL, NULL };
	struct heartbeat hb = { sessions, 0 };
	bool quit = false, reload = false, list_layouts = false;
	bool want_fdstore = false;
	int64_t watchdog_next = 0;
	struct host *host;
	char err[512];
	unsigned int i;
	sigset_t mask;
	int ret = 1;

	/*
	 * First, before anything maps memory: the low 2 GiB of our address
	 * space reserved, so integer ioctl arguments there are proven not to
	 * be our addresses (policy.c). If it cannot be done, they are refused.
	 */
	low_reserved = policy_reserve_low_addresses();
	config_init(&cfg);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			if (config_load_file(&cfg, optarg, err, sizeof(err)))
				goto bad_config;
			config_source_add(c, optarg);
			break;
		case 'v':
		case 'e':
		case 'P':
		case 'Q':
		case 'G':
		case 'M':
		case 'R':
			if (config_apply_flag(&cfg, flag_name(opts, c), optarg,
					      err, sizeof(err)))
				goto bad_config;
			config_source_add(c, optarg);
			break;
		case 'r':
			run_dir = optarg;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'w':
			nr_workers = atoi(optarg);
			if (nr_workers < 1 || nr_workers > 64) {
				fprintf(stderr, "devcalld: --workers: 1..64\n");
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
		case 'L':
			list_layouts = true;
			break;
		case 'F':
			want_fdstore = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	/* Before anything looks layouts up, and before seccomp. */
	if (cfg.layouts[0] && layout_file_load(cfg.layouts, err, sizeof(err)))
		goto bad_config;
	if (list_layouts) {	/* what a guest can call; no config needed */
		layout_list(stdout);
		return 0;
	}
	if (config_finish(&cfg, err, sizeof(err)))
		goto bad_config;
	/* LISTEN_FDS are 3 and up: still untouched, nothing closed them. */
	notify_init(want_fdstore);
	if (!cfg.nr_vms) {
		fprintf(stderr, "devcalld: no VM configured\n");
		return 2;
	}
	for (i = 0; nr_workers && i < cfg.nr_vms; i++)
		if (!cfg.vms[i].workers_set)
			cfg.vms[i].limits.workers = nr_workers;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);	/* reload (config_reload()) */
	pthread_sigmask(SIG_BLOCK, &mask, NULL);	/* workers inherit it */
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || epfd < 0) {
		perror("devcalld");
		return 1;
	}
	sig_src.quit = &quit;
	sig_src.reload = &reload;
	sig_src.fd = sfd;
	event_watch(epfd, sfd, &sig_src.src);
	/* 0750 (0700 without a socket group): only QEMU's side reaches in. */
	ret = rundir_prepare(run_dir, cfg.daemon.socket_gid);
	if (ret) {
		fprintf(stderr, "devcalld: run directory %s: %s\n", run_dir,
			strerror(-ret));
		return 1;
	}
	ret = 1;
	host = host_create();
	if (!host)
		return 1;
	/* Parked requests: no thread waits for a host file. */
	waitset_src.ws = host_waitset(host);
	event_watch(epfd, waitset_fd(waitset_src.ws), &waitset_src.src);

	for (i = 0; i < cfg.nr_vms; i++) {
		int r = session_create(&sessions[i], host, &cfg.daemon,
				       &cfg.vms[i], run_dir, epfd);

		if (r) {
			log_err("vm %s: %s", cfg.vms[i].name, strerror(-r));
			goto out;
		}
	}
	/* Every VM took what systemd kept for it; the rest is stale. */
	fdstore_release_unclaimed();
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
	hb.nr = cfg.nr_vms;
	for (i = 0; i < cfg.nr_vms; i++) {
		int r = session_start_workers(sessions[i]);

		if (r) {
			log_err("vm %s: workers: %s", cfg.vms[i].name,
				strerror(-r));
			goto out_workers;
		}
	}
	if (pthread_create(&thread, NULL, heartbeat_thread, &hb)) {
		log_err("heartbeat: %s", strerror(errno));
		goto out_workers;
	}
	if (low_reserved)
		log_warn("low address space not reserved (%s): integer ioctl "
			 "arguments from 64 KiB up are refused",
			 strerror(-low_reserved));
	log_info("ready: %u VM(s)", cfg.nr_vms);
	notify_send("READY=1\nSTATUS=serving %u VM(s)%s", cfg.nr_vms,
		    fdstore_enabled() ? ", QEMU's descriptors in the fd store" :
		    "");

	while (!quit) {
		struct epoll_event evs[32];
		int n = epoll_wait(epfd, evs, 32, notify_watchdog_ms()), k;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (k = 0; k < n && !quit; k++) {
			struct event_src *src = evs[k].data.ptr;

			src->handle(src, evs[k].events);
		}
		if (notify_watchdog_ms() > 0 && now_ms() >= watchdog_next) {
			notify_send("WATCHDOG=1");
			watchdog_next = now_ms() + notify_watchdog_ms();
		}
		if (reload && !quit) {
			reload = false;
			notify_send("RELOADING=1\nMONOTONIC_USEC=%lld\n"
				    "STATUS=reloading the configuration",
				    (long long)now_ms() * 1000);
			config_reload(opts, &cfg, sessions);
			notify_send("READY=1\nSTATUS=serving %u VM(s), "
				    "configuration reloaded", cfg.nr_vms);
		}
	}
	notify_send("STOPPING=1\nSTATUS=shutting down");
	ret = quit ? 0 : 1;
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
