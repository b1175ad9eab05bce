// SPDX-License-Identifier: MIT
/*
 * memmap: every 32-bit (compat) layout, table-driven. Each entry checks
 * against the native layout its driver call uses; each converts a 32-bit
 * argument to the native one and back member by member; every native
 * layout with pointers has an entry (the host refuses the rest to 32-bit
 * callers); and the conversions of the ioctls the e2e test runs hold the
 * values the kernel's own compat handlers would.
 */
#include <errno.h>
#include <string.h>
#include <linux/blkpg.h>
#include <linux/cdrom.h>
#include <linux/fs.h>
#include <linux/gpio.h>
#include <linux/hdreg.h>
#include <linux/input.h>
#include <linux/kvm.h>
#include <linux/loop.h>
#include <scsi/sg.h>
#include <sys/ioctl.h>

#include "harness.h"
#include "devcall_abi.h"
#include "compat_layout.h"

static uint64_t get(const uint8_t *p, unsigned int size)
{
	uint64_t v = 0;

	memcpy(&v, p, size);
	return v;
}

/* Every entry: unique, consistent with its native layout. */
static void test_entries_check(void **state)
{
	unsigned int i, j, n = 0;

	(void)state;
	for (i = 0; i < compat_layouts_count; i++) {
		const struct compat_layout *c = &compat_layouts[i];
		const struct ioctl_layout *l = layout_find(c->cmd);

		if (!l)
			fail_msg("compat 0x%08x: no native layout 0x%08x",
				 c->cmd32, c->cmd);
		if (compat_check(c, l))
			fail_msg("compat 0x%08x (%s) inconsistent", c->cmd32,
				 c->layout32.name ? c->layout32.name : l->name);
		for (j = 0; j < i; j++)
			assert_int_not_equal(compat_layouts[j].cmd32, c->cmd32);
		assert_ptr_equal(compat_find(c->cmd32), c);
		/* A new 32-bit number must not shadow another native one. */
		if (c->cmd32 != c->cmd)
			assert_null(layout_find(c->cmd32));
		n++;
	}
	assert_true(n >= 25);
	assert_null(compat_find(0x5401));	/* TCGETS: the same in both */
}

/* The host cannot tell a pointer's width: every one needs an entry. */
/* Nested records carry native pointers only (docs/layouts.md). */
static bool has_records_ptr(const struct ioctl_layout *l)
{
	unsigned int i;

	for (i = 0; i < l->nr_ptrs; i++)
		if (l->ptr[i].kind == LAYOUT_PTR_RECORDS)
			return true;
	return false;
}

static void test_pointers_covered(void **state)
{
	unsigned int t, i;

	(void)state;
	for (t = 0; t < layout_tables_count; t++) {
		const struct layout_table *tab = layout_tables[t];

		for (i = 0; i < tab->count; i++) {
			const struct ioctl_layout *l = &tab->layouts[i];

			/* a 32-bit sg v3 write is refused by the guest
			 * frontend, and by the host for want of an entry */
			if (compat_native_ok(l) || compat_find(l->cmd) ||
			    has_records_ptr(l) || l->cmd == DEVCALL_SG_V3_WRITE)
				continue;
			fail_msg("%s: %s has pointers and no compat entry",
				 tab->family, l->name);
		}
	}
}

/*
 * Member by member, both ways: widened values land in the native struct
 * (zero- or sign-extended), and coming back every copied byte is the
 * guest's again while bytes no copy names are left alone.
 */
static void test_round_trip(void **state)
{
	uint8_t a32[LAYOUT_ARG_MAX], a64[LAYOUT_ARG_MAX], back[LAYOUT_ARG_MAX];
	unsigned int i, k, e, b;

	(void)state;
	for (i = 0; i < compat_layouts_count; i++) {
		const struct compat_layout *c = &compat_layouts[i];
		const struct ioctl_layout *l = layout_find(c->cmd);
		unsigned int nel = c->nr_elem ? c->nr_elem : 1;

		if (c->native || !c->layout32.arg_size)
			continue;
		for (b = 0; b < c->layout32.arg_size; b++)
			a32[b] = (uint8_t)(b * 37 + i + 1);
		compat_to_native(c, a32, a64, l->arg_size);
		for (e = 0; e < nel; e++) {
			for (k = 0; k < c->nr_copies; k++) {
				const struct compat_copy *cp = &c->copy[k];
				const uint8_t *p32 = a32 + e * c->elem32 +
						     cp->off32;
				const uint8_t *p64 = a64 + e * c->elem64 +
						     cp->off64;
				unsigned int sh = 64 - 8 * cp->size32;
				uint64_t v;

				if (cp->size32 == cp->size64) {
					if (memcmp(p32, p64, cp->size32))
						fail_msg("%s: copy %u",
							 c->layout32.name, k);
					continue;
				}
				v = get(p32, cp->size32);	/* <= 8 here */
				if ((cp->flags & COMPAT_SIGNED) && sh)
					v = (uint64_t)((int64_t)(v << sh) >>
						       sh);
				assert_int_equal(get(p64, cp->size64),
						 cp->size64 == 8 ? v :
						 v & ((1ull << (8 * cp->size64))
						      - 1));
			}
		}
		memset(back, 0xee, sizeof(back));
		assert_int_equal(compat_from_native(c, a64, back), 0);
		for (e = 0; e < nel; e++)
			for (k = 0; k < c->nr_copies; k++) {
				const struct compat_copy *cp = &c->copy[k];
				unsigned int o = e * c->elem32 + cp->off32;

				assert_memory_equal(back + o, a32 + o,
						    cp->size32);
				memset(back + o, 0xee, cp->size32);
			}
		for (b = 0; b < c->layout32.arg_size; b++)
			if (back[b] != 0xee)
				fail_msg("%s: byte %u touched by no copy",
					 c->layout32.name, b);
	}
}

/* The values the kernel's compat handlers give, for the e2e ioctls. */
static void test_known_conversions(void **state)
{
	const struct compat_layout *c;
	uint8_t a32[LAYOUT_ARG_MAX], a64[LAYOUT_ARG_MAX];
	uint64_t v;
	uint32_t u;

	(void)state;
	/* BLKGETSIZE64's 32-bit number: the native call, 8 bytes back. */
	c = compat_find(_IOR(0x12, 114, uint32_t));
	assert_non_null(c);
	assert_int_equal(c->cmd, BLKGETSIZE64);
	assert_int_equal(c->layout32.arg_size, 8);
	v = 64ull << 30;
	memset(a32, 0, 8);
	assert_int_equal(compat_from_native(c, &v, a32), 0);
	assert_memory_equal(a32, &v, 8);
	/* The native number serves 32-bit callers as it is. */
	assert_null(compat_find(BLKGETSIZE64));
	assert_true(compat_native_ok(layout_find(BLKGETSIZE64)));
	assert_true(compat_native_ok(layout_find(BLKSSZGET)));

	/* BLKGETSIZE: sectors in a 32-bit long, EFBIG past 2^32 - 1. */
	c = compat_find(BLKGETSIZE);
	v = 0xffffffffull;
	assert_int_equal(compat_from_native(c, &v, &u), 0);
	assert_int_equal(u, 0xffffffffu);
	v = 0x100000000ull;
	u = 7;
	assert_int_equal(compat_from_native(c, &v, &u), -EFBIG);
	assert_int_equal(u, 7);			/* left alone */

	/* BLKRAGET: a signed long. */
	c = compat_find(BLKRAGET);
	u = 0xfffffffe;
	compat_to_native(c, &u, a64, 8);
	assert_int_equal((int64_t)get(a64, 8), -2);

	/* HDIO_GETGEO: 8 bytes, start truncated as the kernel does. */
	c = compat_find(HDIO_GETGEO);
	{
		struct hd_geometry g = { .heads = 255, .sectors = 63,
					 .cylinders = 1000, .start = 2048 };

		memset(a32, 0, 8);
		assert_int_equal(compat_from_native(c, &g, a32), 0);
		assert_int_equal(a32[0], 255);
		assert_int_equal(a32[1], 63);
		assert_int_equal(get(a32 + 2, 2), 1000);
		assert_int_equal(get(a32 + 4, 4), 2048);
	}

	/* LOOP_GET_STATUS: a host dev_t that no 16-bit one holds. */
	c = compat_find(LOOP_GET_STATUS);
	{
		struct loop_info li = { .lo_number = 3, .lo_device = 0x10300 };

		assert_int_equal(c->layout32.arg_size, 140);
		assert_int_equal(compat_from_native(c, &li, a32), -EOVERFLOW);
		li.lo_device = 0x0700;
		assert_int_equal(compat_from_native(c, &li, a32), 0);
		assert_int_equal(get(a32 + 4, 2), 0x0700);
	}

	/* CDROM_SEND_PACKET: 44 bytes, pointers at 12, 24, 40. */
	c = compat_find(CDROM_SEND_PACKET);
	assert_int_equal(c->layout32.arg_size, 44);
	assert_int_equal(c->layout32.ptr[0].off, 12);
	assert_int_equal(c->layout32.ptr[1].off, 24);
	assert_int_equal(c->layout32.ptr[2].off, 40);

	/* SG_GET_REQUEST_TABLE: 16 records of 20 bytes, usr_ptr at 8. */
	c = compat_find(SG_GET_REQUEST_TABLE);
	assert_int_equal(c->layout32.arg_size, 16 * 20);
	{
		sg_req_info_t t[16];

		memset(t, 0, sizeof(t));
		t[5].pack_id = 42;
		t[5].usr_ptr = (void *)0x1234;
		t[5].duration = 9;
		assert_int_equal(compat_from_native(c, t, a32), 0);
		assert_int_equal(get(a32 + 5 * 20 + 4, 4), 42);
		assert_int_equal(get(a32 + 5 * 20 + 8, 4), 0x1234);
		assert_int_equal(get(a32 + 5 * 20 + 12, 4), 9);
	}

	/* An integer argument: only the number changes. */
	c = compat_find(_IOW('p', 0x0c, uint32_t));
	assert_non_null(c);
	assert_int_equal(c->layout32.arg_size, 0);

	/* evdev's masks carry a u64 pointer in both ABIs. */
	c = compat_find(EVIOCGMASK);
	assert_true(c && c->native);
}

/* A native layout that differs from what an entry expects is refused. */
static void test_check_catches_mismatch(void **state)
{
	const struct compat_layout *c = compat_find(SG_IO);
	struct ioctl_layout l = *layout_find(SG_IO);

	(void)state;
	assert_int_equal(compat_check(c, &l), 0);
	l.ptr[0].off = 32;			/* cmdp elsewhere */
	l.ptr[1].off = 24;
	assert_int_equal(compat_check(c, &l), -EINVAL);
	l = *layout_find(SG_IO);
	l.arg_size = 64;			/* too small for the copies */
	assert_int_equal(compat_check(c, &l), -EINVAL);
	l = *layout_find(SG_IO);
	l.nr_ptrs = 3;
	assert_int_equal(compat_check(c, &l), -EINVAL);
}

/*
 * Descriptor ioctls are the same in both ABIs (an int, struct loop_config,
 * KVM's register structs, struct kvm_create_device, struct
 * gpio_v2_line_request): native layouts, no entry. An entry that
 * carried a descriptor differently from its native layout is refused.
 */
static void test_descriptors_native(void **state)
{
	static const uint32_t cmds[] = { LOOP_SET_FD, LOOP_CHANGE_FD,
		LOOP_CONFIGURE, TIOCGPTPEER, KVM_CREATE_VM, KVM_CREATE_VCPU,
		KVM_GET_REGS, KVM_SET_SREGS, KVM_CREATE_DEVICE,
		GPIO_V2_GET_LINE_IOCTL };
	struct compat_layout c = *compat_find(BLKGETSIZE);
	struct ioctl_layout l = *layout_find(BLKGETSIZE);
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		assert_non_null(layout_find(cmds[i]));
		assert_null(compat_find(cmds[i]));
		assert_true(compat_native_ok(layout_find(cmds[i])));
	}
	assert_int_equal(layout_find(LOOP_CONFIGURE)->fd, LAYOUT_FD_IN_FIELD);
	assert_int_equal(compat_check(&c, &l), 0);
	/* The descriptor bits must be the native layout's. */
	l.fd = LAYOUT_FD_IN_FIELD;
	l.arg_dir = LAYOUT_DIR_BOTH;
	assert_int_equal(compat_check(&c, &l), -EINVAL);
	/* And no struct argument returns one (layout_validate). */
	l.fd = c.layout32.fd = LAYOUT_FD_OUT_RET;
	assert_int_equal(compat_check(&c, &l), -EINVAL);
	l = *layout_find(BLKGETSIZE);
	c = *compat_find(BLKGETSIZE);
	/* A descriptor field needs its own 4-byte copy. */
	l.fd = c.layout32.fd = LAYOUT_FD_IN_FIELD;
	l.arg_dir = c.layout32.arg_dir = LAYOUT_DIR_BOTH;
	assert_int_equal(layout_validate(&c.layout32), 0);
	assert_int_equal(compat_check(&c, &l), -EINVAL);	/* 4 -> 8 */
	c.copy[0].size64 = 4;
	assert_int_equal(compat_check(&c, &l), 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_entries_check),
	cmocka_unit_test(test_pointers_covered),
	cmocka_unit_test(test_round_trip),
	cmocka_unit_test(test_known_conversions),
	cmocka_unit_test(test_check_catches_mismatch),
	cmocka_unit_test(test_descriptors_native),
};

TEST_MAIN("compat_layouts", tests, NULL, NULL)
