// SPDX-License-Identifier: MIT
/*
 * The scripted mock backend: its line format (tokens, quoting, errors
 * with line numbers), which rule answers which call (call=N, times=N,
 * order), and the backend itself on a real export: answers, out bytes
 * into the argument and behind its pointers, and the JSON-lines record.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/ioctl.h>

#include "harness.h"
#include "backend_script.h"
#include "config.h"
#include "ioctl_layout.h"

static struct script s;

static int parse(const char *text, char *err)
{
	script_free(&s);
	return script_parse(text, &s, err, 256);
}

static void test_parse_rules(void **state)
{
	char err[256] = "";

	(void)state;
	assert_int_equal(parse("# comment\n\n"
			       "open errno=EACCES call=2\n"
			       "read out=\"hi\\n\\x00\" times=1  # trailing\n"
			       "ioctl BLKGETSIZE64 out=hex:0010000000000000\n"
			       "ioctl 0x1234 result=7 delay=5ms\n"
			       "ioctl * errno=25\n"
			       "write result=3\n", err), 0);
	assert_int_equal(s.nr_rules, 6);
	assert_int_equal(s.rule[0].line, 3);
	assert_int_equal(s.rule[0].op, SCRIPT_OPEN);
	assert_int_equal(s.rule[0].result, -EACCES);
	assert_int_equal(s.rule[0].call, 2);
	assert_int_equal(s.rule[1].out[0].len, 4);
	assert_memory_equal(s.rule[1].out[0].data, "hi\n\0", 4);
	assert_int_equal(s.rule[1].times, 1);
	assert_int_equal(s.rule[2].cmd, 0x80081272u);
	assert_int_equal(s.rule[2].out[0].len, 8);
	assert_int_equal(s.rule[2].out[0].data[1], 0x10);
	assert_int_equal(s.rule[3].cmd, 0x1234);
	assert_int_equal(s.rule[3].result, 7);
	assert_int_equal(s.rule[3].delay_us, 5000);
	assert_true(s.rule[4].any_cmd);
	assert_int_equal(s.rule[4].result, -ENOTTY);
}

static void test_parse_errors(void **state)
{
	static const struct { const char *text, *err; } bad[] = {
		{ "reed\n", "1: 'reed' is not open" },
		{ "\nioctl\n", "2: ioctl needs a layout name" },
		{ "ioctl errno=EIO\n", "1: ioctl needs a layout name" },
		{ "ioctl NO_SUCH_IOCTL\n", "1: 'NO_SUCH_IOCTL' is no ioctl" },
		{ "read errno=EWHAT\n", "1: errno: bad value" },
		{ "read result=-1\n", "1: result: bad value" },
		{ "read call=0\n", "1: call: bad value" },
		{ "read delay=5h\n", "1: delay: bad value" },
		{ "read delay=61s\n", "1: delay: bad value" },
		{ "read out=hex:0g\n", "1: out: bad value" },
		{ "read out=hex:012\n", "1: out: bad value" },
		{ "read out0=x\n", "1: out0: only ioctls" },
		{ "read out=\"open\n", "1: bad quoting" },
		{ "read out=\"\\q\"\n", "1: bad quoting" },
		{ "read colour=red\n", "1: unknown key 'colour'" },
		{ "read oops\n", "1: 'oops' is not KEY=VALUE" },
		{ "read out=a out=b\n", "1: out: bad value" },
	};
	char err[256];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(parse(bad[i].text, err), -EINVAL);
		if (strncmp(err, bad[i].err, strlen(bad[i].err))) {
			print_error("%s: got '%s'\n", bad[i].text, err);
			fail();
		}
	}
}

static void test_match_order(void **state)
{
	char err[256];
	unsigned int i;
	static const int want[] = { 5, 6, -EIO, 0, -EIO, -EIO };

	(void)state;
	/* A sequence: 5 once, 6 once, then EIO; the 4th read alone says 0. */
	assert_int_equal(parse("read result=5 times=1\n"
			       "read result=0 call=4\n"
			       "read result=6 times=1\n"
			       "read errno=EIO\n", err), 0);
	for (i = 0; i < 6; i++) {
		struct script_rule *r = script_match(&s, SCRIPT_READ, 0);

		assert_non_null(r);
		assert_int_equal(r->result, want[i]);
	}
	/* Other ops never match read rules. */
	assert_null(script_match(&s, SCRIPT_WRITE, 0));
}

static void test_match_ioctl(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(parse("ioctl 0x10 result=1 call=2\n"
			       "ioctl 0x10 result=2\n"
			       "ioctl * errno=EINVAL\n", err), 0);
	assert_int_equal(script_match(&s, SCRIPT_IOCTL, 0x10)->result, 2);
	/* call=2 counts calls of 0x10 only, not of 0x20. */
	assert_int_equal(script_match(&s, SCRIPT_IOCTL, 0x20)->result,
			 -EINVAL);
	assert_int_equal(script_match(&s, SCRIPT_IOCTL, 0x10)->result, 1);
	assert_int_equal(script_match(&s, SCRIPT_IOCTL, 0x10)->result, 2);
	assert_int_equal(script_errno("ENOTTY"), ENOTTY);
	assert_int_equal(script_errno("5"), 5);
	assert_int_equal(script_errno("ENOPE"), 0);
}

/* ---- the backend on an export ---- */

struct cfg_pair { uint32_t size; uint32_t pad; uint64_t ptr; };

#define T_SET	_IOW('x', 0x41, struct cfg_pair)
#define T_GET	_IOWR('x', 0x42, struct cfg_pair)

static const struct ioctl_layout t_layouts[] = {
	{ .cmd = T_SET, .name = "T_SET", .arg_size = 16,
	  .arg_dir = LAYOUT_DIR_IN, .nr_ptrs = 1,
	  .ptr[0] = { .off = 8, .kind = LAYOUT_PTR_BUF, .dir = LAYOUT_DIR_IN,
		      .len_field = { .off = 0, .size = 4 }, .len_max = 64 } },
	{ .cmd = T_GET, .name = "T_GET", .arg_size = 16,
	  .arg_dir = LAYOUT_DIR_BOTH, .nr_ptrs = 1,
	  .ptr[0] = { .off = 8, .kind = LAYOUT_PTR_BUF, .dir = LAYOUT_DIR_OUT,
		      .len_field = { .off = 0, .size = 4 }, .len_max = 64 } },
};

static char dir[] = "/tmp/test_backend_script.XXXXXX";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_backend_records(void **state)
{
	static struct export exp;
	struct backend_file_info info = { 0 };
	char buf[8] = "", line[11][1024], err[256];
	struct timespec t0, t1;
	uint8_t got[8] = { 0 }, in[4] = { 1, 2, 3, 4 };
	struct cfg_pair p;
	struct iovec iov = { buf, sizeof(buf) };
	unsigned int n = 0;
	void *priv;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(layout_register(&t_layouts[0]), 0);
	assert_int_equal(layout_register(&t_layouts[1]), 0);
	strcpy(exp.name, "dev");
	strcpy(exp.path, "/dev/null");
	snprintf(exp.script, sizeof(exp.script), "%s/s", dir);
	snprintf(exp.record, sizeof(exp.record), "%s/r", dir);
	write_file(exp.script, "read out=\"abc\" times=1\n"
		   "read out=\"ab\" result=5 times=1\n"
		   "ioctl T_GET out=hex:0300000007000000 out0=\"xyz\"\n"
		   "ioctl T_SET errno=EPERM call=2\n"
		   "ioctl T_SET\n"
		   "write result=2\n"
		   "fsync delay=30ms errno=EIO\n");
	assert_int_equal(script_check(&exp, err, sizeof(err)), 0);

	assert_int_equal(backend_script.open(&exp, O_RDWR, &priv, &info), 0);
	assert_int_equal(backend_script.read(priv, &iov, 1, -1, false), 3);
	assert_memory_equal(buf, "abc", 3);
	/* result= past the data: zeros, never what the buffer held. */
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(backend_script.read(priv, &iov, 1, -1, false), 5);
	assert_memory_equal(buf, "ab\0\0\0ZZZ", 8);
	assert_int_equal(backend_script.read(priv, &iov, 1, -1, false), 0);
	iov.iov_base = (void *)"hello";
	iov.iov_len = 5;
	assert_int_equal(backend_script.write(priv, &iov, 1, -1, false), 2);
	p = (struct cfg_pair){ .size = 4, .ptr = (uintptr_t)in };
	assert_int_equal(backend_script.ioctl(priv, T_SET,
					      (unsigned long)&p), 0);
	assert_int_equal(backend_script.ioctl(priv, T_SET,
					      (unsigned long)&p), -EPERM);
	/* out= lands in the argument, out0= behind its pointer, clamped to
	 * the pointer's length (size 3 after out=). */
	p = (struct cfg_pair){ .size = 8, .ptr = (uintptr_t)got };
	assert_int_equal(backend_script.ioctl(priv, T_GET,
					      (unsigned long)&p), 0);
	assert_int_equal(p.size, 3);
	assert_memory_equal(got, "xyz", 3);
	assert_int_equal(backend_script.ioctl(priv, 0x5401, 0), -ENOTTY);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(backend_script.fsync(priv, false), -EIO);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000000000L +
		    (t1.tv_nsec - t0.tv_nsec) >= 30000000L);
	assert_int_equal(backend_script.close(priv), 0);

	f = fopen(exp.record, "r");
	assert_non_null(f);
	while (n < 11 && fgets(line[n], sizeof(line[0]), f))
		n++;
	fclose(f);
	assert_int_equal(n, 11);
	assert_non_null(strstr(line[0], "\"op\":\"open\",\"flags\":\"0x2\""));
	assert_non_null(strstr(line[1], "\"op\":\"read\",\"len\":8,\"off\":-1"));
	assert_non_null(strstr(line[1], "\"result\":3,\"rule\":1}"));
	assert_non_null(strstr(line[2], "\"result\":5,\"rule\":2}"));
	assert_non_null(strstr(line[3], "\"result\":0,\"rule\":0}"));
	assert_non_null(strstr(line[4], "\"in\":\"68656c6c6f\""));
	/* The pointer field: zeros, not a daemon address. */
	assert_non_null(strstr(line[5], "\"name\":\"T_SET\",\"in\":"
			       "\"04000000000000000000000000000000\""));
	assert_non_null(strstr(line[5], "\"in0\":\"01020304\""));
	assert_non_null(strstr(line[6], "\"result\":-1,\"errno\":\"EPERM\","
			       "\"rule\":4}"));
	assert_non_null(strstr(line[7], "\"out\":\"0300000007000000"));
	assert_non_null(strstr(line[8], "\"cmd\":\"0x00005401\""));
	assert_non_null(strstr(line[8], "\"errno\":\"ENOTTY\""));
	assert_non_null(strstr(line[9], "\"op\":\"fsync\",\"result\":-5,"
			       "\"errno\":\"EIO\",\"rule\":7}"));
	assert_non_null(strstr(line[10], "\"op\":\"close\""));
	unlink(exp.script);
	unlink(exp.record);
	rmdir(dir);
	strcpy(dir, "/tmp/test_backend_script.XXXXXX");
	layout_unregister_all();
}

/* The export keys, and config_finish() loading the script. */
static void test_config_keys(void **state)
{
	static struct config cfg;
	const struct export *exp;
	char err[512] = "", spec[600];

	(void)state;
	config_init(&cfg);
	assert_int_equal(config_apply_flag(&cfg, "--export",
					   "v:d=/dev/null,backend=script,"
					   "script=rel.script", err,
					   sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "script: 'rel.script' is not an "
			       "absolute path"));
	assert_non_null(mkdtemp(dir));
	snprintf(spec, sizeof(spec), "v:d=/dev/null,backend=script,"
		 "script=%s/s,record=%s/r", dir, dir);
	config_init(&cfg);
	assert_int_equal(config_apply_flag(&cfg, "--export", spec, err,
					   sizeof(err)), 0);
	exp = &cfg.vms[0].exports[0];
	/* A script that does not parse stops the daemon, naming its line. */
	write_file(exp->script, "read\nwrite errno=ENOPE\n");
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "export v/d: "));
	assert_non_null(strstr(err, "/s:2: errno: bad value"));
	write_file(exp->script, "read\n");
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), 0);
	assert_ptr_equal(exp->backend, &backend_script);
	assert_non_null(strstr(exp->record, "/r"));
	unlink(exp->script);
	rmdir(dir);
	strcpy(dir, "/tmp/test_backend_script.XXXXXX");
}

static int teardown(void **state)
{
	(void)state;
	script_free(&s);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_rules),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_match_order),
		cmocka_unit_test(test_match_ioctl),
		cmocka_unit_test(test_backend_records),
		cmocka_unit_test(test_config_keys),
	};
	const char *filter = argc > 1 ? argv[1] : getenv("DEVCALL_TEST_FILTER");

	if (filter && *filter)
		cmocka_set_test_filter(filter);
	return cmocka_run_group_tests_name("backend_script", tests, NULL,
					   teardown);
}
