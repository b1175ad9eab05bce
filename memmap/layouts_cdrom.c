// SPDX-License-Identifier: MIT
/*
 * SCSI generic's getters and setters and the CD-ROM layer (drivers/cdrom,
 * sr). SG_IO and CDROM_SEND_PACKET are in layouts_builtin.c.
 *
 * CDROMREADMODE1/MODE2/RAW read a struct cdrom_msf from the argument and
 * write one frame (2048, 2336 or 2352 bytes) over it: the argument is the
 * frame, moving both ways.
 *
 * Not here: SG_SCSI_RESET (resets a host bus or device for all its users;
 * it needs CAP_SYS_RAWIO, which the daemon holds only for scsi =
 * passthrough exports, and policy has no gate for it), CDROMREADAUDIO (its
 * buffer is nframes * 2352 bytes: a layout length is a field in bytes),
 * DVD_WRITE_STRUCT (no kernel implements it), CDROMAUDIOBUFSIZ (the same
 * number as SCSI_IOCTL_GET_IDLUN).
 */
#include <linux/cdrom.h>
#include <scsi/scsi.h>
#include <scsi/scsi_ioctl.h>
#include <scsi/sg.h>

#include "layouts_macros.h"

/* In the kernel's scsi/sg.h and scsi_ioctl.h, not in the C library's. */
#ifndef SG_GET_ACCESS_COUNT
#define SG_GET_ACCESS_COUNT	0x2289
#endif
#ifndef SCSI_IOCTL_GET_PCI
#define SCSI_IOCTL_GET_PCI	0x5387
#endif

#define SG_REQ_TABLE_LEN	16	/* SG_MAX_QUEUE in the kernel's sg.c */

_Static_assert(sizeof(struct sg_scsi_id) == 32, "sg_scsi_id");
_Static_assert(sizeof(sg_req_info_t) == 24, "sg_req_info, x86_64");
_Static_assert(sizeof(struct cdrom_msf) == 6, "cdrom_msf");
_Static_assert(sizeof(struct cdrom_tocentry) == 12, "cdrom_tocentry");
_Static_assert(sizeof(struct cdrom_subchnl) == 16, "cdrom_subchnl");

static const struct ioctl_layout layouts_sg[] = {
	SCALAR(SG_SET_FORCE_PACK_ID, IN, int),
	SCALAR(SG_GET_PACK_ID, OUT, int),
	SCALAR(SG_GET_NUM_WAITING, OUT, int),
	SCALAR(SG_GET_SG_TABLESIZE, OUT, int),
	SCALAR(SG_SET_COMMAND_Q, IN, int),
	SCALAR(SG_GET_COMMAND_Q, OUT, int),
	SCALAR(SG_SET_KEEP_ORPHAN, IN, int),
	SCALAR(SG_GET_KEEP_ORPHAN, OUT, int),
	SCALAR(SG_GET_SCSI_ID, OUT, struct sg_scsi_id),
	SCALAR(SG_EMULATED_HOST, OUT, int),
	SCALAR(SG_GET_ACCESS_COUNT, OUT, int),
	/* usr_ptr in each entry is the caller's own cookie, echoed. */
	SCALAR(SG_GET_REQUEST_TABLE, OUT, sg_req_info_t[SG_REQ_TABLE_LEN]),
	SCALAR(SG_SET_DEBUG, IN, int),
	SCALAR(SG_NEXT_CMD_LEN, IN, int),
	SCALAR(SG_GET_LOW_DMA, OUT, int),
	SCALAR(SG_SET_FORCE_LOW_DMA, IN, int),
	SCALAR(SCSI_IOCTL_GET_PCI, OUT, char[20]),
};

static const struct ioctl_layout layouts_cdrom[] = {
	NOARG(CDROMPAUSE),
	NOARG(CDROMRESUME),
	SCALAR(CDROMPLAYMSF, IN, struct cdrom_msf),
	SCALAR(CDROMPLAYTRKIND, IN, struct cdrom_ti),
	SCALAR(CDROMREADTOCHDR, OUT, struct cdrom_tochdr),
	SCALAR(CDROMREADTOCENTRY, BOTH, struct cdrom_tocentry),
	NOARG(CDROMSTOP),
	NOARG(CDROMSTART),
	NOARG(CDROMEJECT),
	SCALAR(CDROMVOLCTRL, IN, struct cdrom_volctrl),
	SCALAR(CDROMSUBCHNL, BOTH, struct cdrom_subchnl),
	SCALAR(CDROMREADMODE2, BOTH, char[CD_FRAMESIZE_RAW0]),
	SCALAR(CDROMREADMODE1, BOTH, char[CD_FRAMESIZE]),
	INTARG(CDROMEJECT_SW),
	SCALAR(CDROMMULTISESSION, BOTH, struct cdrom_multisession),
	SCALAR(CDROM_GET_MCN, OUT, struct cdrom_mcn),
	NOARG(CDROMRESET),
	SCALAR(CDROMVOLREAD, OUT, struct cdrom_volctrl),
	SCALAR(CDROMREADRAW, BOTH, char[CD_FRAMESIZE_RAW]),
	SCALAR(CDROMSEEK, IN, struct cdrom_msf),
	SCALAR(CDROMPLAYBLK, IN, struct cdrom_blk),
	NOARG(CDROMCLOSETRAY),
	INTARG(CDROM_SET_OPTIONS),
	INTARG(CDROM_CLEAR_OPTIONS),
	INTARG(CDROM_SELECT_SPEED),
	INTARG(CDROM_SELECT_DISC),
	INTARG(CDROM_MEDIA_CHANGED),
	INTARG(CDROM_DRIVE_STATUS),
	NOARG(CDROM_DISC_STATUS),
	NOARG(CDROM_CHANGER_NSLOTS),
	INTARG(CDROM_LOCKDOOR),
	INTARG(CDROM_DEBUG),
	NOARG(CDROM_GET_CAPABILITY),
	SCALAR(DVD_READ_STRUCT, BOTH, dvd_struct),
	SCALAR(DVD_AUTH, BOTH, dvd_authinfo),
	SCALAR(CDROM_NEXT_WRITABLE, OUT, long),
	SCALAR(CDROM_LAST_WRITTEN, OUT, long),
	SCALAR(CDROM_TIMED_MEDIA_CHANGE, BOTH,
	       struct cdrom_timed_media_change_info),
};

const struct layout_table layout_table_sg = LAYOUT_TABLE("sg", layouts_sg);
const struct layout_table layout_table_cdrom = LAYOUT_TABLE("cdrom",
							    layouts_cdrom);
