// SPDX-License-Identifier: MIT
/*
 * Export policy beyond layouts: see policy.h. Everything here is decided
 * from the daemon's private copies (the argument, the CDB), never from
 * guest memory a second time.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/blkpg.h>
#include <linux/cdrom.h>
#include <linux/fs.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <scsi/scsi.h>
#include <scsi/scsi_ioctl.h>
#include <scsi/sg.h>

#include "devcall_abi.h"
#include "log.h"
#include "policy.h"
#include "vm.h"

#define SCSI_STATUS_CHECK	0x02	/* CHECK CONDITION */
#define SCSI_MASKED_CHECK	0x01	/* status >> 1, as sg reports it */
#define SCSI_DRIVER_SENSE	0x08
#define SENSE_ILLEGAL_REQUEST	0x05
#define ASC_INVALID_OPCODE	0x20

bool policy_raw_scsi(uint32_t cmd)
{
	return cmd == SG_IO || cmd == CDROM_SEND_PACKET ||
	       cmd == SCSI_IOCTL_SEND_COMMAND || cmd == DEVCALL_SG_V3_WRITE;
}

bool policy_scsi_filtered(uint32_t cmd)
{
	return cmd == SG_IO || cmd == CDROM_SEND_PACKET ||
	       cmd == DEVCALL_SG_V3_WRITE;
}

bool policy_host_partitions(uint32_t cmd)
{
	return cmd == BLKPG || cmd == BLKRRPART;
}

bool policy_host_network(uint32_t cmd)
{
	switch (cmd) {
	case TUNSETIFF:
	case TUNSETPERSIST:
	case TUNSETOWNER:
	case TUNSETGROUP:
	case TUNSETLINK:
		return true;
	default:
		return false;
	}
}

const char *policy_never(uint32_t cmd)
{
	switch (cmd) {
	case KVM_SET_USER_MEMORY_REGION:
#ifdef KVM_SET_USER_MEMORY_REGION2
	case KVM_SET_USER_MEMORY_REGION2:
#endif
		/* A guest process's address is no host address; the
		 * daemon's would hand its own memory to the guest's VM. */
		return "guest memory cannot back a host KVM memory slot";
	case KVM_RUN:
		return "KVM_RUN needs the vCPU's mmap, which is not forwarded";
	}
	return NULL;
}

static uint64_t mmap_min_addr = 4096;
static pthread_once_t mmap_min_once = PTHREAD_ONCE_INIT;

static void read_mmap_min_addr(void)
{
	FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "r");
	unsigned long long v;

	if (!f)
		return;
	if (fscanf(f, "%llu", &v) == 1)
		mmap_min_addr = v;
	fclose(f);
}

/*
 * The low 2 GiB of the daemon's address space, reserved: no access, no
 * memory behind it, and nothing can be mapped there while the daemon
 * lives (policy_reserve_low_addresses()). 0 while not reserved.
 */
#define POLICY_LOW_END	(1ull << 31)
static uint64_t reserved_end;

int policy_reserve_low_addresses(void)
{
	uint64_t start;
	void *p;

	pthread_once(&mmap_min_once, read_mmap_min_addr);
	start = (mmap_min_addr + 0xfff) & ~0xfffull;
	if (start >= POLICY_LOW_END)
		return -EINVAL;
	/*
	 * PROT_NONE and never touched: no RSS, no commit charge. It fails if
	 * anything is mapped there already (a non-PIE build at 0x400000):
	 * then nothing is proven and the check stays as strict as it was.
	 */
	p = mmap((void *)(uintptr_t)start, POLICY_LOW_END - start, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
		 MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	if (p != (void *)(uintptr_t)start) {	/* kernels before 4.17 */
		munmap(p, POLICY_LOW_END - start);
		return -EEXIST;
	}
	__atomic_store_n(&reserved_end, POLICY_LOW_END, __ATOMIC_RELEASE);
	return 0;
}

/*
 * Every address the daemon can hold lies in [mmap_min_addr, 1 << 47):
 * - below mmap_min_addr the kernel places no mapping of its own accord;
 *   only MAP_FIXED with CAP_SYS_RAWIO could put one there, and the
 *   daemon never maps at a fixed low address;
 * - on x86_64 user space ends at 1 << 47 with 4-level paging; with
 *   5-level paging mmap returns addresses above it only when the caller
 *   passes a hint above it, which the daemon never does, and brk, stacks
 *   and the loader stay below it too. (The vsyscall page above is
 *   kernel-owned and read-only to copy_to_user.)
 * So an integer outside that range cannot name daemon memory, whatever a
 * driver makes of it. Below 2 GiB the daemon reserves its own address
 * space at start (PROT_NONE, mapped over nothing, never unmapped), so a
 * driver that takes such an integer as an address faults (EFAULT):
 * values such as CDSL_CURRENT (INT_MAX), block sizes, uids and rates
 * pass. Anything else in the range is refused even if it is a legitimate
 * number (documented: such ioctls need a layout or an in/out entry).
 */
bool policy_int_arg_is_address(uint64_t v)
{
	uint64_t low = __atomic_load_n(&reserved_end, __ATOMIC_ACQUIRE);

	pthread_once(&mmap_min_once, read_mmap_min_addr);
	if (v < low)		/* reserved: a driver following it faults */
		return false;
	return v >= mmap_min_addr && v < (1ull << 47);
}

bool policy_allow_layout(const struct ioctl_policy *pol, uint32_t cmd,
			 struct ioctl_layout *out)
{
	const struct ioctl_allow *a = NULL;
	unsigned int i;

	for (i = 0; i < pol->nr_allow && !a; i++)
		if (pol->allow[i].cmd == cmd)
			a = &pol->allow[i];
	if (!a)
		return false;
	layout_integer(cmd, out);
	switch (a->kind) {
	case IOCTL_ARG_NONE:
		out->name = "allow:none";
		out->arg_unused = true;
		break;
	case IOCTL_ARG_INT:
		out->name = "allow:int";
		break;
	case IOCTL_ARG_IN:
	case IOCTL_ARG_OUT:
	case IOCTL_ARG_INOUT:
		out->name = "allow:bytes";
		out->arg_size = a->size;
		out->arg_dir = a->kind == IOCTL_ARG_IN ? LAYOUT_DIR_IN :
			       a->kind == IOCTL_ARG_OUT ? LAYOUT_DIR_OUT :
			       LAYOUT_DIR_BOTH;
		break;
	}
	return true;
}

/* Answer a refused SG_IO as a drive without the command would. */
static void sg_io_refuse(struct sg_io_hdr *h)
{
	uint8_t sense[18] = { 0x70, 0, SENSE_ILLEGAL_REQUEST, 0, 0, 0, 0,
			      10, 0, 0, 0, 0, ASC_INVALID_OPCODE, 0 };
	size_t n = h->sbp ? h->mx_sb_len : 0;

	if (n > sizeof(sense))
		n = sizeof(sense);
	if (n)
		memcpy(h->sbp, sense, n);
	h->sb_len_wr = (unsigned char)n;
	h->status = SCSI_STATUS_CHECK;
	h->masked_status = SCSI_MASKED_CHECK;
	h->msg_status = 0;
	h->host_status = 0;
	h->driver_status = SCSI_DRIVER_SENSE;
	h->resid = (int)h->dxfer_len;
	h->duration = 0;
	h->info = SG_INFO_CHECK;
}

int policy_scsi_check(struct rewrite_ctx *ctx, const struct export *exp,
		      uint32_t cmd, uint8_t cdb[POLICY_CDB_MAX],
		      const struct vm *vm)
{
	uint8_t *arg = rewrite_host_arg(ctx);
	struct sg_io_hdr h;

	if (cmd == CDROM_SEND_PACKET) {
		/* cmd[] is inside the argument: our copy, which is also
		 * what the driver reads. */
		if (export_scsi_opcode_ok(exp, arg[0]))
			return 0;
		vm_warn(vm, "export %s: CDROM_SEND_PACKET opcode 0x%02x "
			 "refused: not in scsi-opcodes", exp->name,
			 arg[0]);
		return -EPERM;
	}
	if (cmd != SG_IO && cmd != DEVCALL_SG_V3_WRITE)
		return 0;

	memcpy(&h, arg, sizeof(h));
	if (h.interface_id != 'S')	/* sg's answer; bsg's v4 is 'Q' */
		return -ENOSYS;
	if (!h.cmdp || h.cmd_len < 6 || h.cmd_len > POLICY_CDB_MAX)
		return -EMSGSIZE;	/* as sg */
	/* One read of the CDB; the driver gets this copy. */
	memcpy(cdb, h.cmdp, h.cmd_len);
	h.cmdp = cdb;
	if (!export_scsi_opcode_ok(exp, cdb[0])) {
		vm_warn(vm, "export %s: SG_IO opcode 0x%02x refused: not "
			 "in scsi-opcodes", exp->name, cdb[0]);
		/* a v3 write has no reply to carry the sense: refused */
		if (cmd == DEVCALL_SG_V3_WRITE)
			return -EPERM;
		sg_io_refuse(&h);
		memcpy(arg, &h, sizeof(h));
		return 1;
	}
	memcpy(arg, &h, sizeof(h));
	return 0;
}

bool policy_drop_excl(const struct export *exp)
{
	struct stat st;

	if (exp->host_exclusive)
		return false;
	/* The path is the operator's, not the guest's: a stat here and the
	 * open after it see the same node unless the host changes it. */
	return !stat(exp->path, &st) && S_ISBLK(st.st_mode);
}
