/* SPDX-License-Identifier: MIT */
/*
 * Ioctl layouts from a file ([daemon] layouts = FILE): an INI file, one
 * section per ioctl, registered with layout_register() at start, before
 * the seccomp filter is built. The format is docs/layouts.md's.
 */
#ifndef DEVCALL_LAYOUT_FILE_H
#define DEVCALL_LAYOUT_FILE_H

#include <stddef.h>

#include "ioctl_layout.h"

/*
 * Parse path into out[0..max); *nr gets how many. 0, or -errno with
 * "FILE:LINE: why" in err. Names point into memory that is never freed
 * (layouts live as long as the daemon).
 */
int layout_file_parse(const char *path, struct ioctl_layout *out,
		      unsigned int max, unsigned int *nr, char *err,
		      size_t errlen);

/*
 * Parse path and register every layout in it; on a parse error none is
 * registered. 0, or -errno with "FILE:LINE: why" in err.
 */
int layout_file_load(const char *path, char *err, size_t errlen);

#endif /* DEVCALL_LAYOUT_FILE_H */
