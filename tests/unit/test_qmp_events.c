// SPDX-License-Identifier: MIT
/*
 * QMP event parsing: the greeting and answers are not events, RESET and
 * SHUTDOWN are, objects may arrive in pieces or several at once, and a
 * malformed or endless stream ends the connection, never the daemon.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "qmp_events.h"

static int resets, shutdowns, rams;

static void count(void *ctx, enum qmp_event ev)
{
	(void)ctx;
	resets += ev == QMP_EV_RESET;
	shutdowns += ev == QMP_EV_SHUTDOWN;
	rams += ev == QMP_EV_RAM;
}

static int feed(struct qmp_events *q, const char *s)
{
	return qmp_events_feed(q, s, strlen(s), count, NULL);
}

static void test_events(void **state)
{
	struct qmp_events *q = qmp_events_new();

	(void)state;
	resets = shutdowns = 0;
	assert_int_equal(feed(q, "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n"), 0);
	assert_int_equal(feed(q, "{\"return\": {}}\r\n"), 0);
	assert_int_equal(resets + shutdowns, 0);
	assert_int_equal(feed(q, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, "
			      "\"event\": \"RESET\", \"data\": {\"guest\": false}}\r\n"), 0);
	assert_int_equal(resets, 1);
	/* In pieces, and two in one read. */
	assert_int_equal(feed(q, "{\"event\": \"RES"), 0);
	assert_int_equal(feed(q, "ET\"}\r\n{\"event\": \"SHUTDOWN\"}\r\n{\"event\": \"STOP\"}"), 0);
	assert_int_equal(resets, 2);
	assert_int_equal(shutdowns, 1);
	/* An event name that is not a string is no event. */
	assert_int_equal(feed(q, "{\"event\": 5}\r\n"), 0);
	assert_int_equal(resets, 2);
	qmp_events_free(q);
}

static void test_bad_streams(void **state)
{
	struct qmp_events *q = qmp_events_new();
	char big[4096];
	int i, ret = 0;

	(void)state;
	assert_int_equal(feed(q, "{\"event\": }"), -EPROTO);
	qmp_events_free(q);

	/* An object that never ends is cut off, not buffered forever. */
	q = qmp_events_new();
	memset(big, ' ', sizeof(big));
	big[0] = '[';
	assert_int_equal(qmp_events_feed(q, big, 1, count, NULL), 0);
	for (i = 0; i < 100 && !ret; i++)
		ret = qmp_events_feed(q, big + 1, sizeof(big) - 1, count, NULL);
	assert_int_equal(ret, -EPROTO);
	qmp_events_free(q);
}

/*
 * Guest RAM discovery: a connection (socketpair) whose far end sees what
 * the daemon asks, and answers fed as QEMU 7.2 gives them.
 */
struct disc {
	struct qmp_events *q;
	int far;
};

static void disc_open(struct disc *d)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	d->q = qmp_events_new();
	qmp_events_discover(d->q);
	qmp_events_attach(d->q, sv[0]);
	d->far = sv[1];
	rams = 0;
}

static void disc_close(struct disc *d)
{
	qmp_events_free(d->q);
	close(d->far);
}

/* Everything the daemon sent since the last call. */
static const char *sent(struct disc *d)
{
	static char buf[8192];
	ssize_t n = recv(d->far, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static const char objects_numa[] =
	"{\"return\": [{\"name\": \"type\", \"type\": \"string\"}, "
	"{\"name\": \"ram-node1\", \"type\": \"child<memory-backend-memfd>\"}, "
	"{\"name\": \"ram-node0\", \"type\": \"child<memory-backend-file>\"}, "
	"{\"name\": \"ram-nodes\", \"type\": \"child<memory-backend-ram>\"}, "
	"{\"name\": \"rng0\", \"type\": \"child<rng-random>\"}], \"id\": 2}\r\n";

static void test_discover_machine_backend(void **state)
{
	const struct qmp_ram *ram;
	const char *why, *out;
	struct disc d;
	int err;

	(void)state;
	disc_open(&d);
	out = sent(&d);
	assert_non_null(strstr(out, "qmp_capabilities"));
	assert_non_null(strstr(out, "\"path\": \"/machine\", \"property\": "
			       "\"memory-backend\"}, \"id\": 1"));
	assert_null(qmp_events_ram(d.q, &err, &why));
	assert_int_equal(err, 0);
	/* libvirt: -machine memory-backend=pc.ram */
	assert_int_equal(feed(d.q, "{\"QMP\": {}}\r\n{\"return\": {}}\r\n"
			      "{\"return\": \"/objects/pc.ram\", \"id\": 1}\r\n"), 0);
	assert_non_null(strstr(sent(&d), "\"qom-list\""));
	assert_int_equal(feed(d.q, "{\"return\": [{\"name\": \"pc.ram\", "
			      "\"type\": \"child<memory-backend-file>\"}, "
			      "{\"name\": \"ram-node0\", \"type\": "
			      "\"child<memory-backend-file>\"}], \"id\": 2}"), 0);
	out = sent(&d);
	assert_non_null(strstr(out, "\"/objects/pc.ram\", \"property\": \"size\"}, \"id\": 100"));
	assert_non_null(strstr(out, "\"property\": \"share\"}, \"id\": 101"));
	assert_non_null(strstr(out, "\"property\": \"mem-path\"}, \"id\": 102"));
	assert_null(strstr(out, "ram-node0"));
	assert_int_equal(feed(d.q, "{\"return\": 536870912, \"id\": 100}"
			      "{\"event\": \"RESET\"}"
			      "{\"return\": true, \"id\": 101}"), 0);
	assert_int_equal(rams, 0);
	assert_int_equal(feed(d.q, "{\"return\": \"/var/lib/libvirt/qemu/ram/"
			      "3-guest/pc.ram\", \"id\": 102}\r\n"), 0);
	assert_int_equal(rams, 1);
	ram = qmp_events_ram(d.q, &err, &why);
	assert_non_null(ram);
	assert_int_equal(ram->nr, 1);
	assert_string_equal(ram->b[0].id, "pc.ram");
	assert_false(ram->b[0].memfd);
	assert_string_equal(ram->b[0].path,
			    "/var/lib/libvirt/qemu/ram/3-guest/pc.ram");
	assert_int_equal(ram->b[0].size, 512u << 20);
	disc_close(&d);
}

static void test_discover_numa(void **state)
{
	const struct qmp_ram *ram;
	const char *why, *out;
	struct disc d;
	int err;

	(void)state;
	disc_open(&d);
	sent(&d);
	assert_int_equal(feed(d.q, "{\"return\": \"\", \"id\": 1}"), 0);
	sent(&d);
	assert_int_equal(feed(d.q, objects_numa), 0);
	out = sent(&d);
	/* Node order, and no mem-path asked of the memfd (id 105). */
	assert_non_null(strstr(out, "/objects/ram-node0\", \"property\": \"size\"}, \"id\": 100"));
	assert_non_null(strstr(out, "/objects/ram-node1\", \"property\": \"size\"}, \"id\": 103"));
	assert_null(strstr(out, "\"id\": 105"));
	assert_int_equal(feed(d.q, "{\"return\": 268435456, \"id\": 103}"
			      "{\"return\": true, \"id\": 104}"
			      "{\"return\": 134217728, \"id\": 100}"
			      "{\"return\": true, \"id\": 101}"
			      "{\"return\": \"/dev/shm/d/n0\", \"id\": 102}"), 0);
	assert_int_equal(rams, 1);
	ram = qmp_events_ram(d.q, &err, &why);
	assert_non_null(ram);
	assert_int_equal(ram->nr, 2);
	assert_string_equal(ram->b[0].id, "ram-node0");
	assert_string_equal(ram->b[0].path, "/dev/shm/d/n0");
	assert_int_equal(ram->b[0].size, 128u << 20);
	assert_string_equal(ram->b[1].id, "ram-node1");
	assert_true(ram->b[1].memfd);
	assert_int_equal(ram->b[1].size, 256u << 20);
	disc_close(&d);
}

/* Feed the first answers, then bad; discovery must end with err. */
static void discover_refused(const char *mb, const char *objects,
			     const char *props, int want)
{
	const char *why;
	struct disc d;
	int err;

	disc_open(&d);
	assert_int_equal(feed(d.q, mb), 0);
	if (objects)
		assert_int_equal(feed(d.q, objects), 0);
	if (props)
		assert_int_equal(feed(d.q, props), 0);
	assert_int_equal(rams, 1);
	assert_null(qmp_events_ram(d.q, &err, &why));
	assert_int_equal(err, want);
	assert_non_null(why);
	disc_close(&d);
}

static void test_discover_refused(void **state)
{
	static const char empty_mb[] = "{\"return\": \"\", \"id\": 1}";

	(void)state;
	/* share=off: the daemon would map a copy */
	discover_refused(empty_mb, objects_numa,
			 "{\"return\": 4096, \"id\": 100}"
			 "{\"return\": false, \"id\": 101}"
			 "{\"return\": \"/x/n0\", \"id\": 102}"
			 "{\"return\": 4096, \"id\": 103}"
			 "{\"return\": true, \"id\": 104}", -EPERM);
	/* memory-backend-ram as the machine's RAM */
	discover_refused("{\"return\": \"pc.ram\", \"id\": 1}",
			 "{\"return\": [{\"name\": \"pc.ram\", \"type\": "
			 "\"child<memory-backend-ram>\"}], \"id\": 2}", NULL,
			 -EOPNOTSUPP);
	/* nodes with a gap */
	discover_refused(empty_mb, "{\"return\": [{\"name\": \"ram-node0\", "
			 "\"type\": \"child<memory-backend-memfd>\"}, {\"name\": "
			 "\"ram-node2\", \"type\": \"child<memory-backend-memfd>\"}"
			 "], \"id\": 2}", NULL, -ENOENT);
	/* no RAM backend at all (QEMU's own -m RAM) */
	discover_refused(empty_mb, "{\"return\": [], \"id\": 2}", NULL,
			 -ENOENT);
	/* an old QEMU without the property */
	discover_refused("{\"error\": {\"class\": \"GenericError\"}, "
			 "\"id\": 1}", NULL, NULL, -ENOENT);
	/* a link elsewhere than /objects */
	discover_refused("{\"return\": \"/machine/x\", \"id\": 1}", NULL,
			 NULL, -EPROTO);
	/* an id that would not stay a JSON string in our next command */
	discover_refused("{\"return\": \"a\\\"b\", \"id\": 1}", NULL, NULL,
			 -EPROTO);
	/* a relative mem-path, a size of 0 */
	discover_refused("{\"return\": \"m\", \"id\": 1}",
			 "{\"return\": [{\"name\": \"m\", \"type\": "
			 "\"child<memory-backend-file>\"}], \"id\": 2}",
			 "{\"return\": \"ram\", \"id\": 102}", -EPROTO);
	discover_refused("{\"return\": \"m\", \"id\": 1}",
			 "{\"return\": [{\"name\": \"m\", \"type\": "
			 "\"child<memory-backend-file>\"}], \"id\": 2}",
			 "{\"return\": 0, \"id\": 100}", -EPROTO);
}

/* Another QEMU connecting forgets what the last one said. */
static void test_discover_reconnect(void **state)
{
	const char *why;
	struct disc d;
	int sv[2], err;

	(void)state;
	disc_open(&d);
	assert_int_equal(feed(d.q, "{\"return\": \"m\", \"id\": 1}"
			      "{\"return\": [{\"name\": \"m\", \"type\": "
			      "\"child<memory-backend-memfd>\"}], \"id\": 2}"
			      "{\"return\": 8192, \"id\": 100}"
			      "{\"return\": true, \"id\": 101}"), 0);
	assert_non_null(qmp_events_ram(d.q, &err, &why));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	qmp_events_attach(d.q, sv[0]);
	assert_null(qmp_events_ram(d.q, &err, &why));
	assert_int_equal(err, 0);
	close(sv[1]);
	disc_close(&d);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_discover_machine_backend),
	cmocka_unit_test(test_discover_numa),
	cmocka_unit_test(test_discover_refused),
	cmocka_unit_test(test_discover_reconnect),
	cmocka_unit_test(test_events),
	cmocka_unit_test(test_bad_streams),
};

TEST_MAIN("qmp_events", tests, NULL, NULL)
