// SPDX-License-Identifier: MIT
/*
 * Guest node identity: the export keys (guest-name, guest-alias,
 * guest-mode, guest-owner, guest-group, guest-devnum) and the node table
 * the host publishes after the export table, and the guest's reading of
 * it (call-mechanism-guest/node_info.c) on what the host wrote and on
 * hostile entries.
 */
#include <endian.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "config.h"
#include "shm_transport.h"
#include "node_info.h"

static struct config cfg;
static char err[512], path[64];

static int load(const char *text)
{
	FILE *f;
	int ret;

	strcpy(path, "/tmp/devcall-node-XXXXXX");
	close(mkstemp(path));
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	config_init(&cfg);
	ret = config_load_file(&cfg, path, err, sizeof(err));
	if (!ret)
		ret = config_finish(&cfg, err, sizeof(err));
	unlink(path);
	return ret;
}

static const char nodes_ini[] =
	"[vm a]\n"
	"[export a cdrw]\n"
	"path = /dev/null\n"
	"guest-name = sg0\n"
	"guest-alias = cdrw, scsi/host0/cd\n"
	"guest-mode = 0660\n"
	"guest-owner = 0\n"
	"guest-group = cdrom\n"
	"guest-devnum = host\n"
	"[export a plain]\n"
	"path = /dev/null\n"
	"guest-group = 24\n"
	"guest-devnum = 21:7\n";

static void test_keys(void **state)
{
	const struct export *x;

	(void)state;
	assert_int_equal(load(nodes_ini), 0);
	x = &cfg.vms[0].exports[0];
	assert_string_equal(x->guest_name, "sg0");
	assert_string_equal(x->guest_alias, "cdrw,scsi/host0/cd");
	assert_int_equal(x->guest_mode, 0660);
	assert_int_equal(x->guest_uid, 0);
	assert_string_equal(x->guest_group, "cdrom");
	assert_int_equal(x->node_flags, DEVCALL_NODE_F_MODE |
			 DEVCALL_NODE_F_UID | DEVCALL_NODE_F_DEVNUM);
	assert_int_equal(x->host_type, DEVCALL_HOST_CHAR);
	assert_int_equal(x->host_major, 1);
	assert_int_equal(x->host_minor, 3);
	x = &cfg.vms[0].exports[1];
	assert_string_equal(x->guest_name, "");
	assert_int_equal(x->node_flags, DEVCALL_NODE_F_GID |
			 DEVCALL_NODE_F_DEVNUM);
	assert_int_equal(x->devnum_major, 21);
	assert_int_equal(x->devnum_minor, 7);
	assert_int_equal(x->guest_gid, 24);
	assert_string_equal(x->guest_group, "");
}

static void test_key_errors(void **state)
{
	static const struct {
		const char *line, *msg;
	} bad[] = {
		{ "guest-name = /dev/sg0", "is not a path under /dev" },
		{ "guest-name = a//b", "is not a path under /dev" },
		{ "guest-name = ../sda", "is not a path under /dev" },
		{ "guest-name = a/./b", "is not a path under /dev" },
		{ "guest-name = a/", "is not a path under /dev" },
		{ "guest-name = a b", "is not a path under /dev" },
		{ "guest-alias = ok,..", "is not a path under /dev" },
		{ "guest-alias = ok,", "is not a path under /dev" },
		{ "guest-mode = 0999", "is not an octal mode" },
		{ "guest-mode = 01777", "is not an octal mode" },
		{ "guest-mode = rw", "is not an octal mode" },
		{ "guest-owner = 12k", "is not an id" },
		{ "guest-owner = -1", "is not a name or a number" },
		{ "guest-group = a:b", "is not a name or a number" },
		{ "guest-devnum = fixed", "is not host, dynamic or" },
		{ "guest-devnum = 0:1", "is not host, dynamic or" },
		{ "guest-devnum = 21:", "is not host, dynamic or" },
		{ "guest-devnum = 21:1x", "is not host, dynamic or" },
	};
	char text[256];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
			 "[vm a]\n[export a n]\npath = /dev/null\n%s\n",
			 bad[i].line);
		assert_int_not_equal(load(text), 0);
		if (!strstr(err, bad[i].msg))
			fail_msg("%s: %s", bad[i].line, err);
	}
}

/* guest-devnum = host needs a host char device. */
static void test_devnum_host_needs_char(void **state)
{
	static char text[256], file[64];

	(void)state;
	strcpy(file, "/tmp/devcall-node-img-XXXXXX");
	close(mkstemp(file));
	snprintf(text, sizeof(text), "[vm a]\n[export a n]\npath = %s\n"
		 "guest-devnum = host\n", file);
	assert_int_not_equal(load(text), 0);
	unlink(file);
	assert_non_null(strstr(err, "guest-devnum = host: "));
	assert_non_null(strstr(err, "is not a char device"));
}

/* The table follows the export table; one entry per export, in order. */
static void test_wire(void **state)
{
	static uint8_t buf[8 + 2 * 256];
	const struct devcall_config_nodes *h = (void *)buf;
	const struct devcall_config_node *n = (void *)(h + 1);

	(void)state;
	assert_int_equal(load(nodes_ini), 0);
	cfg.vms[0].exports[1].host_type = DEVCALL_HOST_REGULAR;
	memset(buf, 0xa5, sizeof(buf));
	shm_transport_nodes_init(&cfg.vms[0], buf);
	assert_int_equal(le32toh(h->magic), DEVCALL_NODES_MAGIC);
	assert_int_equal(le32toh(h->entry_size), 256);
	assert_int_equal(le32toh(n[0].id), cfg.vms[0].exports[0].id);
	assert_int_equal(le32toh(n[0].flags), DEVCALL_NODE_F_MODE |
			 DEVCALL_NODE_F_UID | DEVCALL_NODE_F_DEVNUM);
	assert_int_equal(le32toh(n[0].mode), 0660);
	assert_int_equal(le32toh(n[0].uid), 0);
	assert_int_equal(le32toh(n[0].host_type), DEVCALL_HOST_CHAR);
	assert_int_equal(le32toh(n[0].host_major), 1);
	assert_int_equal(le32toh(n[0].host_minor), 3);
	assert_int_equal(le32toh(n[0].devnum_major), 1);
	assert_int_equal(le32toh(n[0].devnum_minor), 3);
	assert_string_equal(n[0].name, "sg0");
	assert_string_equal(n[0].aliases, "cdrw,scsi/host0/cd");
	assert_string_equal(n[0].owner, "");
	assert_string_equal(n[0].group, "cdrom");
	assert_int_equal(le32toh(n[1].id), cfg.vms[0].exports[1].id);
	assert_int_equal(le32toh(n[1].gid), 24);
	assert_int_equal(le32toh(n[1].devnum_major), 21);
	assert_int_equal(le32toh(n[1].devnum_minor), 7);
	assert_int_equal(le32toh(n[1].host_type), DEVCALL_HOST_REGULAR);
	assert_string_equal(n[1].name, "");
	/* Nothing of the poison is left in an entry: no stale bytes leak. */
	assert_int_equal(n[1].aliases[sizeof(n[1].aliases) - 1], 0);
	assert_int_equal(n[1].group[sizeof(n[1].group) - 1], 0);
}

/* What the host writes, the guest reads back as configured. */
static void test_guest_reads_host(void **state)
{
	static uint8_t buf[8 + 2 * 256];
	const struct devcall_config_node *n = (void *)(buf + 8);
	struct devcall_node_info ni;

	(void)state;
	assert_int_equal(load(nodes_ini), 0);
	shm_transport_nodes_init(&cfg.vms[0], buf);
	assert_int_equal(devcall_node_parse(&ni, "cdrw",
					    cfg.vms[0].exports[0].id, &n[0]), 0);
	assert_string_equal(ni.name, "sg0");
	assert_string_equal(ni.aliases, "cdrw,scsi/host0/cd");
	assert_string_equal(ni.group, "cdrom");
	assert_string_equal(ni.owner, "");
	assert_int_equal(ni.mode, 0660);
	assert_int_equal(ni.flags, DEVCALL_NODE_F_MODE | DEVCALL_NODE_F_UID |
			 DEVCALL_NODE_F_DEVNUM);
	assert_int_equal(ni.host_type, DEVCALL_HOST_CHAR);
	assert_int_equal(ni.devnum_major, 1);
	assert_int_equal(ni.devnum_minor, 3);
	assert_int_equal(devcall_node_parse(&ni, "plain",
					    cfg.vms[0].exports[1].id, &n[1]), 0);
	assert_string_equal(ni.name, "devcall/plain");
	assert_int_equal(ni.gid, 24);
	assert_int_equal(ni.devnum_major, 21);
	/* No table (an older host): the defaults. */
	assert_int_equal(devcall_node_parse(&ni, "x", 1, NULL), 0);
	assert_string_equal(ni.name, "devcall/x");
	assert_int_equal(ni.flags, 0);
	assert_string_equal(ni.aliases, "");
}

/* A hostile or broken host: nothing outside /dev, nothing unterminated. */
static void test_guest_hostile_entries(void **state)
{
	static const char *const bad_names[] = { "../etc/passwd", "/sda",
		"a//b", "a/", ".", "a/../b", "a b", "a\nb" };
	struct devcall_config_node c;
	struct devcall_node_info ni;
	unsigned int i, bad;

	(void)state;
	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		memset(&c, 0, sizeof(c));
		c.id = htole32(7);
		strcpy(c.name, bad_names[i]);
		bad = devcall_node_parse(&ni, "e", 7, &c);
		assert_int_equal(bad, DEVCALL_NODE_BAD_NAME);
		assert_string_equal(ni.name, "devcall/e");
	}
	/* Every string unterminated, the mode out of range. */
	memset(&c, 'a', sizeof(c));
	c.id = htole32(7);
	c.mode = htole32(07777);
	bad = devcall_node_parse(&ni, "e", 7, &c);
	assert_int_equal(bad, DEVCALL_NODE_BAD_NAME | DEVCALL_NODE_BAD_ALIAS |
			 DEVCALL_NODE_BAD_USER);
	assert_string_equal(ni.name, "devcall/e");
	assert_int_equal(ni.mode, 0777);
	assert_string_equal(ni.aliases, "");
	assert_string_equal(ni.owner, "");
	assert_string_equal(ni.group, "");
	/* Good aliases are kept, bad ones left out; bad user names go. */
	memset(&c, 0, sizeof(c));
	c.id = htole32(7);
	strcpy(c.aliases, "cdrw,..,,a//b,scsi/cd0,x y");
	strcpy(c.owner, "-rf");
	strcpy(c.group, "cd$rom");
	bad = devcall_node_parse(&ni, "e", 7, &c);
	assert_int_equal(bad, DEVCALL_NODE_BAD_ALIAS | DEVCALL_NODE_BAD_USER);
	assert_string_equal(ni.aliases, "cdrw,scsi/cd0");
	assert_string_equal(ni.owner, "");
	assert_string_equal(ni.group, "");
	/* Another export's entry: ignored whole. */
	strcpy(c.name, "sg0");
	assert_int_equal(devcall_node_parse(&ni, "e", 8, &c),
			 DEVCALL_NODE_BAD_ID);
	assert_string_equal(ni.name, "devcall/e");
	assert_string_equal(ni.aliases, "");
	/* A long export name still gives a terminated default. */
	assert_int_equal(devcall_node_parse(&ni, "0123456789012345678901234567890",
					    1, NULL), 0);
	assert_string_equal(ni.name, "devcall/0123456789012345678901234567890");
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_keys),
	cmocka_unit_test(test_key_errors),
	cmocka_unit_test(test_devnum_host_needs_char),
	cmocka_unit_test(test_wire),
	cmocka_unit_test(test_guest_reads_host),
	cmocka_unit_test(test_guest_hostile_entries),
};

TEST_MAIN("node_table", tests, NULL, NULL)
