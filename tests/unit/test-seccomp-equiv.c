/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shipped profile with and without its x32 branch (what the seccomp
 * rule hands the runtime where the kernel cannot run x32 code) decides
 * every x86_64 and i386 syscall alike: both compiled by libseccomp as a
 * runtime compiles them, exported as BPF, and run here over every syscall
 * number with the arguments the profile's argument rules look at.  Without
 * the branch no x32 syscall is allowed.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "hardrun/cleanup.h"
#include "hardrun/seccomp.h"
#include "hardrun/util.h"
#include "tap.h"

#define PROFILES HR_TEST_SRCDIR "/profiles/seccomp"
#define X32_BIT	 0x40000000u

struct prog {
	struct sock_filter *insn;
	size_t len;
};

static struct hr_json *with_arches(const struct hr_json *profile, const char *const *arches)
{
	struct hr_json *p = hr_json_clone(profile), *a = hr_json_new(HR_JSON_ARRAY);

	for (; *arches; arches++)
		hr_json_append(a, hr_json_new_string(*arches));
	hr_json_set(p, "architectures", a);
	return p;
}

static int compile(const struct hr_json *profile, struct prog *out)
{
	scmp_filter_ctx ctx = NULL;
	struct hr_error *err = NULL;
	int fd = memfd_create("equiv", MFD_CLOEXEC);
	off_t size;

	if (fd < 0 || hr_seccomp_compile(profile, &ctx, &err) < 0) {
		hr_error_clear(&err);
		return -1;
	}
	if (seccomp_export_bpf(ctx, fd) < 0 || (size = lseek(fd, 0, SEEK_END)) <= 0) {
		seccomp_release(ctx);
		return -1;
	}
	seccomp_release(ctx);
	out->insn = hr_xmalloc((size_t)size);
	out->len = (size_t)size / sizeof(*out->insn);
	return pread(fd, out->insn, (size_t)size, 0) == size ? close(fd) : -1;
}

static int alu(unsigned op, uint32_t *a, uint32_t src)
{
	switch (op) {
	case BPF_AND:
		*a &= src;
		return 0;
	case BPF_OR:
		*a |= src;
		return 0;
	case BPF_SUB:
		*a -= src;
		return 0;
	case BPF_ADD:
		*a += src;
		return 0;
	case BPF_RSH:
		*a >>= src;
		return 0;
	case BPF_LSH:
		*a <<= src;
		return 0;
	}
	return -1;
}

/* The classic BPF a seccomp filter may hold, over one seccomp_data; ~0u: bad program. */
static uint32_t run(const struct prog *p, const struct seccomp_data *d)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};

	for (size_t pc = 0; pc < p->len; pc++) {
		const struct sock_filter *i = &p->insn[pc];
		uint32_t k = i->k, src = BPF_SRC(i->code) == BPF_X ? x : k;
		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (k > sizeof(*d) - 4 || k % 4)
				return ~0u;
			memcpy(&a, (const char *)d + k, 4);
			continue;
		case BPF_LD | BPF_MEM:
			a = k < BPF_MEMWORDS ? mem[k] : 0;
			continue;
		case BPF_LDX | BPF_MEM:
			x = k < BPF_MEMWORDS ? mem[k] : 0;
			continue;
		case BPF_ST:
			if (k < BPF_MEMWORDS)
				mem[k] = a;
			continue;
		case BPF_STX:
			if (k < BPF_MEMWORDS)
				mem[k] = x;
			continue;
		case BPF_MISC | BPF_TAX:
			x = a;
			continue;
		case BPF_MISC | BPF_TXA:
			a = x;
			continue;
		case BPF_RET | BPF_K:
			return k;
		case BPF_RET | BPF_A:
			return a;
		case BPF_JMP | BPF_JA:
			pc += k;
			continue;
		}
		if (BPF_CLASS(i->code) == BPF_ALU) {
			if (alu(BPF_OP(i->code), &a, src) < 0)
				return ~0u;
			continue;
		}
		if (BPF_CLASS(i->code) != BPF_JMP)
			return ~0u;
		bool t;
		switch (BPF_OP(i->code)) {
		case BPF_JEQ:
			t = a == src;
			break;
		case BPF_JGT:
			t = a > src;
			break;
		case BPF_JGE:
			t = a >= src;
			break;
		case BPF_JSET:
			t = (a & src) != 0;
			break;
		default:
			return ~0u;
		}
		pc += t ? i->jt : i->jf;
	}
	return ~0u;
}

/* The argument values the profile's rules compare (socket families, clone flags, personas). */
static const uint64_t arg0s[] = {
    0,		1,	    2,		3,	  8,	      10,	  16,	   17,
    38,		0x11,	    0x20000,	0x20008,  0xffffffff, 0x400000,	  0x40000, 0x10000000,
    0x20000000, 0x40000000, 0x00020000, 0x3d0f00, 0x7e020000, 0x1ffffffff};

static int compare(const struct prog *old, const struct prog *new, uint32_t arch, uint32_t nr0,
		   unsigned *checked)
{
	int diff = 0;

	for (uint32_t nr = nr0; nr < nr0 + 1024; nr++)
		for (size_t j = 0; j < sizeof(arg0s) / sizeof(*arg0s); j++) {
			struct seccomp_data d = {.nr = (int)nr, .arch = arch};
			d.args[0] = arch == AUDIT_ARCH_I386 ? (uint32_t)arg0s[j] : arg0s[j];
			uint32_t o = run(old, &d), n = run(new, &d);
			diff += o != n || o == ~0u;
			(*checked)++;
		}
	return diff;
}

int main(void)
{
	static const char *const with_x32[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
					       NULL};
	static const char *const without[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", NULL};
	struct hr_json *profile = NULL;
	struct hr_error *err = NULL;
	struct prog old = {0}, new = {0};
	unsigned checked = 0, allowed = 0, old_allowed = 0;

	ok(hr_seccomp_load_default(PROFILES, &profile, &err) == 0, "shipped profile loads");
	_cleanup_json_ struct hr_json *a = with_arches(profile, with_x32);
	_cleanup_json_ struct hr_json *b = with_arches(profile, without);
	ok(compile(a, &old) == 0 && compile(b, &new) == 0, "both compile (%zu and %zu insns)",
	   old.len, new.len);
	ok(compare(&old, &new, AUDIT_ARCH_X86_64, 0, &checked) == 0,
	   "x86_64: every syscall number 0-1023 decided alike (%u cases)", checked);
	checked = 0;
	ok(compare(&old, &new, AUDIT_ARCH_I386, 0, &checked) == 0,
	   "i386: every syscall number 0-1023 decided alike (%u cases)", checked);
	for (uint32_t nr = 0; nr < 1024; nr++) {
		struct seccomp_data d = {.nr = (int)(X32_BIT | nr), .arch = AUDIT_ARCH_X86_64};
		allowed += run(&new, &d) == SECCOMP_RET_ALLOW;
		old_allowed += run(&old, &d) == SECCOMP_RET_ALLOW;
	}
	ok(allowed == 0 && old_allowed > 200,
	   "x32: none allowed without the branch (%u were with it)", old_allowed);
	hr_json_free(profile);
	free(old.insn);
	free(new.insn);
	hr_error_clear(&err);
	return tap_done();
}
