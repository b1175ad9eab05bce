// SPDX-License-Identifier: MIT
/*
 * Terminals, ptys and serial ports (TCGETS, TCSETS* and the window size
 * are in layouts_builtin.c).
 *
 * Not here, on purpose:
 *   TIOCSTI        injects input into a host terminal: whatever reads it
 *                  on the host would run the guest's keystrokes;
 *   TIOCSIG        signals the host processes behind a pty;
 *   TIOCSCTTY, TIOCNOTTY, TIOCSPGRP, TIOCGPGRP, TIOCGSID
 *                  the daemon's own session and host process ids: they
 *                  mean nothing to the guest, and a controlling tty would
 *                  let a hangup signal the daemon;
 *   FIONBIO, FIOASYNC, FIOCLEX, FIONCLEX
 *                  flags of the daemon's file (the guest's O_NONBLOCK
 *                  travels with each request; SIGIO would go to the
 *                  daemon);
 *   TIOCCONS, TIOCLINUX
 *                  the host console.
 * TIOCGPTPEER (flags in, the peer's new descriptor out) is in the table:
 * the guest gets a file of its own for the peer.
 * serial_struct's iomem_base is a number to the kernel, not a user
 * pointer: passed through as the guest wrote it, and the host's value
 * never goes back.
 */
#include <asm/termios.h>
#include <linux/serial.h>

#include "layouts_macros.h"

_Static_assert(sizeof(struct termios2) == 44, "termios2");
_Static_assert(sizeof(struct termio) == 18, "termio");
_Static_assert(sizeof(struct serial_struct) == 72, "serial_struct, x86_64");
_Static_assert(offsetof(struct serial_struct, iomem_base) == 48,
	       "iomem_base");

#define SERIAL(nr, d) {						\
	.cmd = (nr), .name = #nr,					\
	.arg_size = sizeof(struct serial_struct), .arg_dir = (d),	\
	.nr_ptrs = 1,							\
	.ptr = { { .off = offsetof(struct serial_struct, iomem_base),	\
		   .kind = LAYOUT_PTR_OPAQUE } } }

static const struct ioctl_layout layouts_tty[] = {
	SCALAR(TCGETS2, OUT, struct termios2),
	SCALAR(TCSETS2, IN, struct termios2),
	SCALAR(TCSETSW2, IN, struct termios2),
	SCALAR(TCSETSF2, IN, struct termios2),
	SCALAR(TCGETA, OUT, struct termio),
	SCALAR(TCSETA, IN, struct termio),
	SCALAR(TCSETAW, IN, struct termio),
	SCALAR(TCSETAF, IN, struct termio),
	INTARG(TCSBRK),
	INTARG(TCSBRKP),
	INTARG(TCXONC),
	INTARG(TCFLSH),
	NOARG(TIOCEXCL),
	NOARG(TIOCNXCL),
	SCALAR(TIOCGEXCL, OUT, int),
	SCALAR(TIOCOUTQ, OUT, int),
	SCALAR(TIOCMGET, OUT, int),
	SCALAR(TIOCMSET, IN, int),
	SCALAR(TIOCMBIS, IN, int),
	SCALAR(TIOCMBIC, IN, int),
	SCALAR(TIOCGSOFTCAR, OUT, int),
	SCALAR(TIOCSSOFTCAR, IN, int),
	SCALAR(TIOCPKT, IN, int),
	SCALAR(TIOCGPKT, OUT, int),
	NOARG(TIOCSBRK),
	NOARG(TIOCCBRK),
	SCALAR(TIOCGPTLCK, OUT, int),
	FDOUT(TIOCGPTPEER),		/* open flags in, the peer out */
	SCALAR(TIOCGETD, OUT, int),
	SCALAR(TIOCSETD, IN, int),
	NOARG(TIOCVHANGUP),
	SCALAR(TIOCGDEV, OUT, unsigned int),
	SCALAR(TIOCSERGETLSR, OUT, unsigned int),
	SCALAR(TIOCGICOUNT, OUT, struct serial_icounter_struct),
	SCALAR(TIOCGRS485, OUT, struct serial_rs485),
	SCALAR(TIOCSRS485, BOTH, struct serial_rs485), /* the kernel's
							* choice comes back */
	SERIAL(TIOCGSERIAL, OUT),
	SERIAL(TIOCSSERIAL, IN),
	SCALAR(TIOCGLCKTRMIOS, OUT, struct termios),
	SCALAR(TIOCSLCKTRMIOS, IN, struct termios),
};

const struct layout_table layout_table_tty = LAYOUT_TABLE("tty", layouts_tty);
