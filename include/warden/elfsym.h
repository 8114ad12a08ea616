/* SPDX-License-Identifier: Apache-2.0 */
#ifndef WARDEN_ELFSYM_H
#define WARDEN_ELFSYM_H

#include <stdint.h>

/*
 * Which of names[0..n) (n <= 32) path defines and exports as functions in
 * its dynamic symbol table: bit i of *found. Only .dynsym is read: a binary
 * that exports nothing of interest costs one pass over its exports.
 * offsets (NULL, or n entries) receives each found function's file offset,
 * the address a uprobe takes, so attaching needs no second pass over the
 * file. 0, or -errno / -ENOEXEC when the file is not an ELF object.
 */
int elfsym_find_exported(const char *path, const char *const *names, unsigned int n,
			 uint32_t *found, uint64_t *offsets);

#endif
