// SPDX-License-Identifier: MIT
/*
 * devcallctl: ask a running devcalld what its guests are doing, and change
 * their exports, over its control socket (docs/devcallctl.md). A thin
 * client: each subcommand is one JSON request line; the daemon's reply is
 * printed as it came (--json) or for a person.
 */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ctl_proto.h"

#define DEFAULT_SOCKET	"/run/devcall/control"

static bool json_out;

static void usage(FILE *f)
{
	fprintf(f,
"usage: devcallctl [--socket PATH] [--json] COMMAND [ARGS]\n"
"  status [VM]                   VMs, exports, open files, claims, budgets\n"
"  stats [VM]                    call counters and latency histograms\n"
"  trace [VM] [--export NAME] [--op OP]  forwarded calls as they end\n"
"  export add VM NAME PATH [key=value ...]  a new export, live\n"
"  export remove VM NAME         take an export away, live\n"
"  vm add NAME [--config FILE] [key=value ...]  serve a new VM, live: its\n"
"                                [vm NAME] keys, its sections in FILE\n"
"  vm remove NAME                stop serving a VM: its files closed\n"
"  reload                        read the configuration again (as SIGHUP)\n"
"  --socket PATH   the daemon's control socket (%s)\n"
"  --run-dir DIR   the daemon's --run-dir: the socket is DIR/control\n"
"  --json          the daemon's JSON lines, as they come\n", DEFAULT_SOCKET);
}

static int ctl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "devcallctl: %s: path too long\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "devcallctl: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static const char *str_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

static int64_t int_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ?
	       json_object_get_int64(v) : 0;
}

static bool bool_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	       json_object_get_boolean(v);
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static void print_status(struct json_object *r)
{
	struct json_object *vms = get(r, "vms");
	size_t i, j, n = vms ? json_object_array_length(vms) : 0;

	for (i = 0; i < n; i++) {
		struct json_object *vm = json_object_array_get_idx(vms, i);
		struct json_object *a = get(vm, "exports"), *c, *b;

		printf("vm %s: %s%s\n", str_of(vm, "name"),
		       bool_of(vm, "attached") ? "attached" : "not attached",
		       bool_of(vm, "runtime") ? ", added at run time" : "");
		for (j = 0; a && j < json_object_array_length(a); j++) {
			struct json_object *e = json_object_array_get_idx(a, j);

			printf("  export %-12s %s (%s, %s%s)\n",
			       str_of(e, "name"), str_of(e, "path"),
			       str_of(e, "access"), str_of(e, "sharing"),
			       bool_of(e, "runtime") ? ", runtime" : "");
		}
		a = get(vm, "open_files");
		printf("  open files: %zu\n",
		       a ? json_object_array_length(a) : 0);
		for (j = 0; a && j < json_object_array_length(a); j++) {
			struct json_object *f = json_object_array_get_idx(a, j);

			printf("    handle %#llx %s (%s)%s\n",
			       (unsigned long long)int_of(f, "handle"),
			       str_of(f, "export"), str_of(f, "mode"),
			       bool_of(f, "claimed") ? " exclusive claim" : "");
		}
		a = get(vm, "claims");
		for (j = 0; a && j < json_object_array_length(a); j++) {
			struct json_object *f = json_object_array_get_idx(a, j);

			printf("  claim %s on %s\n", str_of(f, "export"),
			       str_of(f, "path"));
		}
		c = get(vm, "calls");
		printf("  calls: %lld in flight, %lld parked, %lld refused\n",
		       (long long)int_of(c, "inflight"),
		       (long long)int_of(c, "parked"),
		       (long long)int_of(c, "refused"));
		b = get(vm, "budget");
		printf("  budget: %lld/%lld calls, %lld/%lld bytes\n",
		       (long long)int_of(b, "calls"),
		       (long long)int_of(b, "max_calls"),
		       (long long)int_of(b, "call_bytes"),
		       (long long)int_of(b, "max_call_bytes"));
	}
}

static void print_row(const char *name, struct json_object *row)
{
	struct json_object *h = get(row, "latency_log2_us");
	int64_t calls = int_of(row, "calls");
	size_t i;

	printf("    %-12s %8lld calls %6lld errors %10lld bytes %8lld us avg  ",
	       name, (long long)calls, (long long)int_of(row, "errors"),
	       (long long)int_of(row, "bytes"),
	       (long long)(calls ? int_of(row, "latency_us_sum") / calls : 0));
	for (i = 0; h && i < json_object_array_length(h); i++) {
		int64_t v = json_object_get_int64(
			json_object_array_get_idx(h, i));

		if (v)
			printf(" <%lluus:%lld", 2ull << i, (long long)v);
	}
	printf("\n");
}

static void print_stats(struct json_object *r)
{
	struct json_object *vms = get(r, "vms");
	size_t i, n = vms ? json_object_array_length(vms) : 0;

	for (i = 0; i < n; i++) {
		struct json_object *vm = json_object_array_get_idx(vms, i);

		printf("vm %s: %lld refused, %lld parked\n", str_of(vm, "name"),
		       (long long)int_of(vm, "refused"),
		       (long long)int_of(vm, "parked"));
		printf("  per op:\n");
		json_object_object_foreach(get(vm, "ops"), k, v)
			print_row(k, v);
		printf("  per export:\n");
		json_object_object_foreach(get(vm, "exports"), k2, v2)
			print_row(k2, v2);
	}
}

static void print_event(struct json_object *e)
{
	const char *ev = str_of(e, "event"), *t = str_of(e, "time");

	if (ev && !strcmp(ev, "dropped")) {
		printf("-- %lld event(s) dropped: the trace could not keep "
		       "up\n", (long long)int_of(e, "count"));
		return;
	}
	printf("%s %s %s %s", t ? t + 11 : "?", str_of(e, "vm"),
	       str_of(e, "export") ? str_of(e, "export") : "-",
	       str_of(e, "op"));
	if (str_of(e, "cmd"))
		printf(" %s(%s)", str_of(e, "ioctl") ? str_of(e, "ioctl") :
		       "?", str_of(e, "cmd"));
	printf(" %lld B -> ", (long long)int_of(e, "bytes"));
	if (str_of(e, "errno"))
		printf("%s", str_of(e, "errno"));
	else
		printf("%lld", (long long)int_of(e, "result"));
	printf(" %lld us\n", (long long)int_of(e, "latency_us"));
	fflush(stdout);
}

/* Send req; print replies (one, or a stream for trace). Exit status. */
static int run(const char *sock, struct json_object *req, bool stream)
{
	const char *s = json_object_to_json_string_ext(req,
			JSON_C_TO_STRING_PLAIN |
			JSON_C_TO_STRING_NOSLASHESCAPE);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	bool first = true;
	int fd, ret = 1;
	FILE *f;

	fd = ctl_connect(sock);
	if (fd < 0)
		return 1;
	/* A refused client may find the socket closed: read why anyway. */
	if (dprintf(fd, "%s\n", s) < 0 && errno != EPIPE) {
		fprintf(stderr, "devcallctl: %s: %s\n", sock, strerror(errno));
		close(fd);
		return 1;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return 1;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		struct json_object *r = json_tokener_parse(line);
		const char *cmd = str_of(req, "cmd");

		if (!r) {
			fprintf(stderr, "devcallctl: not JSON from the "
				"daemon: %s", line);
			break;
		}
		if (first && !bool_of(r, "ok")) {
			if (json_out)
				fputs(line, stdout);
			fprintf(stderr, "devcallctl: %s\n",
				str_of(r, "error") ? str_of(r, "error") :
				"refused");
			json_object_put(r);
			break;
		}
		if (json_out) {
			fputs(line, stdout);
			fflush(stdout);
		} else if (!strcmp(cmd, "status")) {
			print_status(r);
		} else if (!strcmp(cmd, "stats")) {
			print_stats(r);
		} else if (!first) {
			print_event(r);
		} else if (str_of(r, "message")) {
			printf("%s\n", str_of(r, "message"));
		}
		json_object_put(r);
		if (first)
			ret = 0;
		first = false;
		if (!stream)
			break;
	}
	if (first && n <= 0)
		fprintf(stderr, "devcallctl: %s: the daemon closed the "
			"connection\n", sock);
	free(line);
	fclose(f);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "export", required_argument, NULL, 'e' },
		{ "op", required_argument, NULL, 'o' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *sock = DEFAULT_SOCKET, *exp = NULL, *op = NULL, *cmd;
	const char *config = NULL;
	static char run_sock[4096], config_path[PATH_MAX];
	struct json_object *req;
	bool stream = false;
	int c, ret;

	/* Options anywhere: "trace a --op ioctl" reads as it is written. */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			sock = optarg;
			break;
		case 'r':
			snprintf(run_sock, sizeof(run_sock), "%s/control",
				 optarg);
			sock = run_sock;
			break;
		case 'j':
			json_out = true;
			break;
		case 'e':
			exp = optarg;
			break;
		case 'o':
			op = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argv += optind;
	argc -= optind;
	if (argc < 1) {
		usage(stderr);
		return 2;
	}
	cmd = argv[0];
	req = json_object_new_object();
	json_object_object_add(req, "v",
			       json_object_new_int(CTL_PROTO_VERSION));
	if (config && (strcmp(cmd, "vm") || argc < 2 ||
		       strcmp(argv[1], "add")))
		goto bad;
	if (!strcmp(cmd, "status") || !strcmp(cmd, "stats") ||
	    !strcmp(cmd, "trace")) {
		if (argc > 2 || ((exp || op) && strcmp(cmd, "trace")))
			goto bad;
		json_object_object_add(req, "cmd", json_object_new_string(cmd));
		if (argc == 2)
			json_object_object_add(req, "vm",
					       json_object_new_string(argv[1]));
		if (exp)
			json_object_object_add(req, "export",
					       json_object_new_string(exp));
		if (op)
			json_object_object_add(req, "op",
					       json_object_new_string(op));
		stream = !strcmp(cmd, "trace");
	} else if (!strcmp(cmd, "reload") && argc == 1) {
		json_object_object_add(req, "cmd",
				       json_object_new_string("reload"));
	} else if (!strcmp(cmd, "export") && argc >= 4 &&
		   !strcmp(argv[1], "add") && argc >= 5) {
		struct json_object *o = json_object_new_array();
		int i;

		json_object_object_add(req, "cmd",
				       json_object_new_string("export-add"));
		json_object_object_add(req, "vm",
				       json_object_new_string(argv[2]));
		json_object_object_add(req, "export",
				       json_object_new_string(argv[3]));
		json_object_object_add(req, "path",
				       json_object_new_string(argv[4]));
		for (i = 5; i < argc; i++)
			json_object_array_add(o,
					      json_object_new_string(argv[i]));
		json_object_object_add(req, "options", o);
	} else if (!strcmp(cmd, "export") && argc == 4 &&
		   !strcmp(argv[1], "remove")) {
		json_object_object_add(req, "cmd",
				       json_object_new_string("export-remove"));
		json_object_object_add(req, "vm",
				       json_object_new_string(argv[2]));
		json_object_object_add(req, "export",
				       json_object_new_string(argv[3]));
	} else if (!strcmp(cmd, "vm") && argc >= 3 &&
		   !strcmp(argv[1], "add")) {
		struct json_object *o = json_object_new_array();
		int i;

		json_object_object_add(req, "cmd",
				       json_object_new_string("vm-add"));
		json_object_object_add(req, "vm",
				       json_object_new_string(argv[2]));
		/* The daemon reads it, from another directory. */
		if (config && !realpath(config, config_path)) {
			fprintf(stderr, "devcallctl: %s: %s\n", config,
				strerror(errno));
			json_object_put(o);
			json_object_put(req);
			return 1;
		}
		if (config)
			json_object_object_add(req, "path",
					json_object_new_string(config_path));
		for (i = 3; i < argc; i++)
			json_object_array_add(o,
					      json_object_new_string(argv[i]));
		json_object_object_add(req, "options", o);
	} else if (!strcmp(cmd, "vm") && argc == 3 &&
		   !strcmp(argv[1], "remove")) {
		json_object_object_add(req, "cmd",
				       json_object_new_string("vm-remove"));
		json_object_object_add(req, "vm",
				       json_object_new_string(argv[2]));
	} else {
		goto bad;
	}
	if (stream)
		setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	ret = run(sock, req, stream);
	json_object_put(req);
	return ret;
bad:
	json_object_put(req);
	usage(stderr);
	return 2;
}
