// SPDX-License-Identifier: MIT
/*
 * devcall-memmap MACHINE RAM_SIZE: print the guest-physical RAM layout
 * devcalld uses for a QEMU machine, one "gpa size file_offset" line per
 * region (hex). The end-to-end tests compare it with QEMU's `info mtree -f`.
 */
#include <stdio.h>
#include <stdlib.h>

#include "guest_mem.h"

int main(int argc, char **argv)
{
	struct guest_mem_layout_entry l[4];
	unsigned long long size;
	char *end;
	int n, i;

	if (argc != 3) {
		fprintf(stderr, "usage: devcall-memmap q35|pc RAM_BYTES\n");
		return 2;
	}
	size = strtoull(argv[2], &end, 0);
	n = *end ? -1 : guest_mem_layout_x86(argv[1], size, l, 4);
	if (n < 0) {
		fprintf(stderr, "devcall-memmap: bad machine or size\n");
		return 2;
	}
	for (i = 0; i < n; i++)
		printf("%llx %llx %llx\n", (unsigned long long)l[i].gpa,
		       (unsigned long long)l[i].size,
		       (unsigned long long)l[i].file_offset);
	return 0;
}
