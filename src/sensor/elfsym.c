// SPDX-License-Identifier: Apache-2.0
/* Exported-function lookup with libelf. See elfsym.h. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>

#include "warden/elfsym.h"

/*
 * The file offset of virtual address vaddr: what a uprobe wants (the kernel
 * probes an inode at an offset, wherever it is mapped). 0 when no PT_LOAD
 * segment holds it.
 */
static uint64_t vaddr_to_offset(Elf *elf, uint64_t vaddr)
{
	size_t nph;

	if (elf_getphdrnum(elf, &nph))
		return 0;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_memsz)
			return vaddr - ph.p_vaddr + ph.p_offset;
	}
	return 0;
}

int elfsym_find_exported(const char *path, const char *const *names, unsigned int n,
			 uint32_t *found, uint64_t *offsets)
{
	Elf_Scn *scn = NULL;
	Elf *elf = NULL;
	int fd, r = -ENOEXEC;

	*found = 0;
	if (offsets)
		memset(offsets, 0, n * sizeof(*offsets));
	if (n > 32)
		return -EINVAL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOSYS;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		goto cleanup;
	r = 0;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;
			int type;

			if (!gelf_getsym(data, i, &sym) || sym.st_shndx == SHN_UNDEF)
				continue;
			type = GELF_ST_TYPE(sym.st_info);
			if (type != STT_FUNC && type != STT_GNU_IFUNC)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!name)
				continue;
			for (unsigned int k = 0; k < n; k++) {
				uint64_t off;

				if (strcmp(name, names[k]))
					continue;
				off = offsets ? vaddr_to_offset(elf, sym.st_value) : 1;
				if (!off)
					continue; /* not in an executable segment: not probeable */
				*found |= 1u << k;
				if (offsets)
					offsets[k] = off;
			}
		}
	}
cleanup:
	elf_end(elf);
	close(fd);
	return r;
}
