// SPDX-License-Identifier: MIT
/*
 * The runtime changes' file (runtime_state.c): what is saved comes back
 * byte for byte, whatever bytes the names and values hold; a file that
 * is not the daemon's own (a symlink, another owner, writable by others)
 * or does not parse whole gives no change at all; a save replaces the
 * file whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "runtime_state.h"

struct fixture {
	char dir[64];
	char path[128];
	char err[1024];
	struct runtime_change in[MAX_RUNTIME_CHANGES + 1];
	struct runtime_change out[MAX_RUNTIME_CHANGES];
	unsigned int n;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/devcall-runtime-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/" RUNTIME_STATE_FILE, f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char p[160];

	unlink(f->path);
	snprintf(p, sizeof(p), "%s.new", f->path);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void set(struct runtime_change *rc, bool is_vm, bool remove,
		const char *vm, const char *name, const char *flag,
		const char *file)
{
	memset(rc, 0, sizeof(*rc));
	rc->is_vm = is_vm;
	rc->remove = remove;
	snprintf(rc->vm, sizeof(rc->vm), "%s", vm);
	snprintf(rc->name, sizeof(rc->name), "%s", name);
	snprintf(rc->flag, sizeof(rc->flag), "%s", flag);
	snprintf(rc->file, sizeof(rc->file), "%s", file);
}

static void assert_same(const struct runtime_change *a,
			const struct runtime_change *b)
{
	assert_int_equal(a->is_vm, b->is_vm);
	assert_int_equal(a->remove, b->remove);
	assert_string_equal(a->vm, b->vm);
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->flag, b->flag);
	assert_string_equal(a->file, b->file);
}

static int load(struct fixture *f)
{
	return runtime_state_load(f->path, f->out, MAX_RUNTIME_CHANGES, &f->n,
				  f->err, sizeof(f->err));
}

static void write_file(struct fixture *f, const char *text, mode_t mode)
{
	int fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* No file: no change, no error (a first start). */
static void test_no_file(void **state)
{
	struct fixture *f = *state;

	f->n = 99;
	assert_int_equal(load(f), 0);
	assert_int_equal(f->n, 0);
}

/* Every kind of change, and the bytes a line could trip on, come back. */
static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	char odd[256], path[PATH_MAX];
	struct stat st;
	unsigned int i;

	for (i = 0; i < 255; i++)
		odd[i] = (char)(i + 1);		/* every byte but NUL */
	odd[255] = '\0';
	memset(path, 'p', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	set(&f->in[0], true, false, "alpha", "", "alpha,memory=auto",
	    "/etc/devcall/libvirt/alpha.ini");
	set(&f->in[1], false, false, "alpha", "newx",
	    "alpha:newx=/dev/zram1,access=ro", "");
	set(&f->in[2], false, true, "alpha", "old-x", "", "");
	set(&f->in[3], true, true, "beta", "", "", "");
	set(&f->in[4], true, false, "gamma", "", "gamma", "");	/* no file */
	set(&f->in[5], false, false, "a b", "%;#[]=", odd, "");
	set(&f->in[6], false, false, "-", "-", "-", "");
	set(&f->in[7], true, false, "long", "", path, path);
	assert_int_equal(runtime_state_save(f->path, f->in, 8, f->err,
					    sizeof(f->err)), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(load(f), 0);
	assert_int_equal(f->n, 8);
	for (i = 0; i < 8; i++)
		assert_same(&f->in[i], &f->out[i]);
}

/* What the format says, in the file: one line a change. */
static void test_format(void **state)
{
	struct fixture *f = *state;
	char buf[512];
	ssize_t n;
	int fd;

	set(&f->in[0], true, false, "alpha", "", "alpha,memory=auto", "");
	set(&f->in[1], false, false, "alpha", "x", "alpha:x=/dev/a b", "");
	assert_int_equal(runtime_state_save(f->path, f->in, 2, f->err,
					    sizeof(f->err)), 0);
	fd = open(f->path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, "devcall-runtime-changes 1\n"
			    "vm-add alpha alpha,memory=auto -\n"
			    "export-add alpha x alpha:x=/dev/a%20b\n");
}

/* A save replaces the file whole; none left behind makes no change. */
static void test_save_replaces(void **state)
{
	struct fixture *f = *state;
	char tmp[160];

	set(&f->in[0], false, false, "a", "x", "a:x=/dev/null", "");
	set(&f->in[1], false, false, "a", "y", "a:y=/dev/null", "");
	assert_int_equal(runtime_state_save(f->path, f->in, 2, f->err,
					    sizeof(f->err)), 0);
	/* A save that died half way left its new file: not in the way. */
	snprintf(tmp, sizeof(tmp), "%s.new", f->path);
	close(open(tmp, O_WRONLY | O_CREAT, 0600));
	assert_int_equal(runtime_state_save(f->path, &f->in[1], 1, f->err,
					    sizeof(f->err)), 0);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(load(f), 0);
	assert_int_equal(f->n, 1);
	assert_string_equal(f->out[0].name, "y");
	assert_int_equal(runtime_state_save(f->path, f->in, 0, f->err,
					    sizeof(f->err)), 0);
	assert_int_equal(load(f), 0);
	assert_int_equal(f->n, 0);
}

/* Not the daemon's own file: refused, nothing taken from it. */
static void test_refuses_foreign_files(void **state)
{
	struct fixture *f = *state;
	const char *good = "devcall-runtime-changes 1\n"
			   "export-add a x a:x=/dev/sda\n";
	char target[160];

	write_file(f, good, 0600);
	assert_int_equal(load(f), 0);
	assert_int_equal(f->n, 1);

	write_file(f, good, 0620);		/* group may write */
	assert_int_equal(load(f), -EPERM);
	assert_int_equal(f->n, 0);
	assert_non_null(strstr(f->err, "writable by it alone"));
	write_file(f, good, 0602);		/* others may write */
	assert_int_equal(load(f), -EPERM);

	write_file(f, good, 0600);
	if (geteuid() == 0) {			/* another owner */
		assert_int_equal(chown(f->path, 65534, 65534), 0);
		assert_int_equal(load(f), -EPERM);
		assert_int_equal(chown(f->path, 0, 0), 0);
	}

	/* A symlink to a good file is not followed. */
	snprintf(target, sizeof(target), "%s/elsewhere", f->dir);
	assert_int_equal(rename(f->path, target), 0);
	assert_int_equal(symlink(target, f->path), 0);
	assert_int_equal(load(f), -ELOOP);
	assert_int_equal(f->n, 0);
	unlink(f->path);
	unlink(target);

	assert_int_equal(mkdir(f->path, 0700), 0);	/* not a file */
	assert_true(load(f) < 0);
	assert_int_equal(f->n, 0);
	rmdir(f->path);
}

/* A file that does not parse whole gives no change, and says where. */
static void test_refuses_bad_files(void **state)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "", "an empty file" },
		{ "devcall-runtime-changes 2\n", "not a devcall-runtime" },
		{ "export-add a x a:x=/dev/null\n", ":1: not a devcall" },
		{ "devcall-runtime-changes 1\nexport-add a x\n",
		  ":2: the wrong number of fields" },
		{ "devcall-runtime-changes 1\nexport-add a x y z\n",
		  ":2: the wrong number of fields" },
		{ "devcall-runtime-changes 1\nvm-remove a b\n",
		  ":2: the wrong number of fields" },
		{ "devcall-runtime-changes 1\nexport-add a x a:x=/dev/null\n"
		  "vm-grow a\n", ":3: an unknown change" },
		{ "devcall-runtime-changes 1\nexport-add a  x a:x=/dev/null\n",
		  ":2: fields are separated by one space" },
		{ "devcall-runtime-changes 1\nvm-remove a \n",
		  ":2: fields are separated by one space" },
		{ "devcall-runtime-changes 1\n\n", ":2: an empty line" },
		{ "devcall-runtime-changes 1\nexport-add a x a:x=%2\n",
		  ":2: a bad %-escape" },
		{ "devcall-runtime-changes 1\nexport-add a x a:x=%zz\n",
		  ":2: a bad %-escape" },
		{ "devcall-runtime-changes 1\nexport-add a x a:x=%00\n",
		  ":2: a NUL byte" },
		{ "devcall-runtime-changes 1\nexport-add a x a:x=\t/\n",
		  ":2: a byte that should be escaped" },
		{ "devcall-runtime-changes 1\nexport-add a "
		  "a23456789012345678901234567890123 a:x=/dev/null\n",
		  ":2: a field too long" },
		{ "devcall-runtime-changes 1\nexport-add - x a:x=/dev/null\n",
		  ":2: an empty field" },
		{ "devcall-runtime-changes 1\nexport-add a x -\n",
		  ":2: an empty field" },
	};
	struct fixture *f = *state;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(f, bad[i].text, 0600);
		f->err[0] = '\0';
		if (load(f) != -EINVAL || f->n ||
		    !strstr(f->err, bad[i].why))
			fail_msg("case %u: got n %u, \"%s\"; want \"%s\"", i,
				 f->n, f->err, bad[i].why);
	}
	/* A NUL byte inside a line. */
	{
		static const char text[] = "devcall-runtime-changes 1\n"
					   "export-add a x a:x=/d\0v\n";
		int fd = open(f->path, O_WRONLY | O_TRUNC);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, text, sizeof(text) - 1),
				 (ssize_t)sizeof(text) - 1);
		close(fd);
		assert_int_equal(load(f), -EINVAL);
		assert_non_null(strstr(f->err, ":2: a NUL byte"));
	}
}

/* At most max changes: one more and the file is refused whole. */
static void test_at_most_max(void **state)
{
	struct fixture *f = *state;
	unsigned int i;

	for (i = 0; i <= MAX_RUNTIME_CHANGES; i++) {
		char name[16];

		snprintf(name, sizeof(name), "x%u", i);
		set(&f->in[i], false, false, "a", name, "a:x=/dev/null", "");
	}
	assert_int_equal(runtime_state_save(f->path, f->in,
					    MAX_RUNTIME_CHANGES, f->err,
					    sizeof(f->err)), 0);
	assert_int_equal(load(f), 0);
	assert_int_equal(f->n, MAX_RUNTIME_CHANGES);
	assert_int_equal(runtime_state_save(f->path, f->in,
					    MAX_RUNTIME_CHANGES + 1, f->err,
					    sizeof(f->err)), 0);
	assert_int_equal(load(f), -EINVAL);
	assert_int_equal(f->n, 0);
	assert_non_null(strstr(f->err, "too many changes"));
}

/* A directory it cannot write: the error names the file, nothing left. */
static void test_save_fails_cleanly(void **state)
{
	struct fixture *f = *state;
	char path[160];

	snprintf(path, sizeof(path), "%s/missing/" RUNTIME_STATE_FILE, f->dir);
	set(&f->in[0], false, false, "a", "x", "a:x=/dev/null", "");
	assert_int_equal(runtime_state_save(path, f->in, 1, f->err,
					    sizeof(f->err)), -ENOENT);
	assert_non_null(strstr(f->err, path));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_no_file, setup, teardown),
	cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	cmocka_unit_test_setup_teardown(test_format, setup, teardown),
	cmocka_unit_test_setup_teardown(test_save_replaces, setup, teardown),
	cmocka_unit_test_setup_teardown(test_refuses_foreign_files, setup,
					teardown),
	cmocka_unit_test_setup_teardown(test_refuses_bad_files, setup,
					teardown),
	cmocka_unit_test_setup_teardown(test_at_most_max, setup, teardown),
	cmocka_unit_test_setup_teardown(test_save_fails_cleanly, setup,
					teardown),
};

TEST_MAIN("runtime_state", tests, NULL, NULL)
