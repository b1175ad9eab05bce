// SPDX-License-Identifier: MIT
/*
 * Small character devices: RTC, watchdog, /dev/vsock, /dev/kvm's system
 * ioctls, /dev/random.
 *
 * KVM: /dev/kvm's system ioctls, KVM_CREATE_VM, KVM_CREATE_VCPU and
 * KVM_CREATE_DEVICE (new descriptors, which the guest gets as files of its
 * own: the result, or struct kvm_create_device's fd) and the vCPU's
 * register ioctls. Not here: KVM_SET_USER_MEMORY_REGION (refused by
 * policy: its userspace_addr would be a daemon address; a guest process's
 * address means nothing on the host), KVM_RUN (needs the vCPU's mmap,
 * which devcall does not forward), the other VM and vCPU ioctls,
 * KVM_GET_MSR_INDEX_LIST and KVM_GET_SUPPORTED_CPUID (a header and as many
 * entries as it says, inline: no layout kind describes a variable-length
 * argument), RNDADDTOENTCNT, RNDADDENTROPY, RNDZAPENTCNT, RNDCLEARPOOL and
 * RNDRESEEDCRNG (CAP_SYS_ADMIN, which the daemon never holds for them).
 * RTC_SET_TIME needs CAP_SYS_TIME, which the daemon does not hold: the
 * kernel answers EACCES.
 */
#include <linux/kvm.h>
#include <linux/random.h>
#include <linux/rtc.h>
#include <linux/vm_sockets.h>
#include <linux/watchdog.h>

#include "layouts_macros.h"

_Static_assert(sizeof(struct rtc_time) == 36, "rtc_time");
_Static_assert(sizeof(struct rtc_wkalrm) == 40, "rtc_wkalrm");
_Static_assert(sizeof(struct rtc_param) == 24, "rtc_param");
_Static_assert(sizeof(struct watchdog_info) == 40, "watchdog_info");

static const struct ioctl_layout layouts_rtc[] = {
	NOARG(RTC_AIE_ON),
	NOARG(RTC_AIE_OFF),
	NOARG(RTC_UIE_ON),
	NOARG(RTC_UIE_OFF),
	NOARG(RTC_PIE_ON),
	NOARG(RTC_PIE_OFF),
	NOARG(RTC_WIE_ON),
	NOARG(RTC_WIE_OFF),
	SCALAR(RTC_ALM_SET, IN, struct rtc_time),
	SCALAR(RTC_ALM_READ, OUT, struct rtc_time),
	SCALAR(RTC_RD_TIME, OUT, struct rtc_time),
	SCALAR(RTC_SET_TIME, IN, struct rtc_time),
	SCALAR(RTC_IRQP_READ, OUT, unsigned long),
	INTARG(RTC_IRQP_SET),		/* the rate is the argument */
	SCALAR(RTC_EPOCH_READ, OUT, unsigned long),
	INTARG(RTC_EPOCH_SET),
	SCALAR(RTC_WKALM_SET, IN, struct rtc_wkalrm),
	SCALAR(RTC_WKALM_RD, OUT, struct rtc_wkalrm),
	SCALAR(RTC_PLL_GET, OUT, struct rtc_pll_info),
	SCALAR(RTC_PLL_SET, IN, struct rtc_pll_info),
	SCALAR(RTC_PARAM_GET, BOTH, struct rtc_param),	/* which one in */
	SCALAR(RTC_PARAM_SET, IN, struct rtc_param),
	SCALAR(RTC_VL_READ, OUT, unsigned int),
	NOARG(RTC_VL_CLR),
};

static const struct ioctl_layout layouts_watchdog[] = {
	SCALAR(WDIOC_GETSUPPORT, OUT, struct watchdog_info),
	SCALAR(WDIOC_GETSTATUS, OUT, int),
	SCALAR(WDIOC_GETBOOTSTATUS, OUT, int),
	SCALAR(WDIOC_GETTEMP, OUT, int),
	SCALAR(WDIOC_SETOPTIONS, IN, int),	/* _IOR, but read */
	NOARG(WDIOC_KEEPALIVE),
	SCALAR(WDIOC_SETTIMEOUT, BOTH, int),	/* the timeout set back */
	SCALAR(WDIOC_GETTIMEOUT, OUT, int),
	SCALAR(WDIOC_SETPRETIMEOUT, IN, int),
	SCALAR(WDIOC_GETPRETIMEOUT, OUT, int),
	SCALAR(WDIOC_GETTIMELEFT, OUT, int),
};

static const struct ioctl_layout layouts_misc[] = {
	SCALAR(IOCTL_VM_SOCKETS_GET_LOCAL_CID, OUT, __u32),
	NOARG(KVM_GET_API_VERSION),
	INTARG(KVM_CHECK_EXTENSION),
	NOARG(KVM_GET_VCPU_MMAP_SIZE),
	FDOUT(KVM_CREATE_VM),		/* machine type in, a VM out */
	FDOUT(KVM_CREATE_VCPU),		/* on a VM: vCPU id in, a vCPU out */
	/* On a VM: a device's type in, its descriptor out in fd. */
	FDNEWFIELD(KVM_CREATE_DEVICE, BOTH, struct kvm_create_device, fd),
	SCALAR(KVM_GET_REGS, OUT, struct kvm_regs),
	SCALAR(KVM_SET_REGS, IN, struct kvm_regs),
	SCALAR(KVM_GET_SREGS, OUT, struct kvm_sregs),
	SCALAR(KVM_SET_SREGS, IN, struct kvm_sregs),
	SCALAR(RNDGETENTCNT, OUT, int),
};

const struct layout_table layout_table_rtc = LAYOUT_TABLE("rtc", layouts_rtc);
const struct layout_table layout_table_watchdog =
	LAYOUT_TABLE("watchdog", layouts_watchdog);
const struct layout_table layout_table_misc = LAYOUT_TABLE("misc",
							   layouts_misc);
