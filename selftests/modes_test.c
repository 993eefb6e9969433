// SPDX-License-Identifier: GPL-2.0
/*
 * The guest in every mode the classic first KVM programs use: real mode
 * with the 0x66/0x67 prefixes gcc -m16 emits, flat 32-bit protected mode
 * (KVM_SET_SREGS, CR0.PE), 32-bit, PAE and 4-level paging, 64-bit and
 * compatibility mode (EFER.LME/LMA after KVM_SET_CPUID2): the instructions
 * gcc -O2 -ffreestanding emits for a small guest, their operand and
 * address sizes, ModRM/SIB forms and flags; port I/O and MMIO of every
 * size; page faults through the IDT with their error codes, CR2 and A/D
 * bits; the double fault; the triple fault (KVM_EXIT_SHUTDOWN, the vCPU
 * INIT as kvm-amd does).  Every case asserts the same exits, registers and
 * memory on /dev/kvm (kvm-amd) and /dev/kvm_compat, the documented
 * divergences aside (code32.outside_subset; the test guest CPU's page
 * walker in paging.*.reserved_bit and paging.pae.accessed_dirty).
 * Compared with x86 KVM on SVM: the CPU runs the guest,
 * arch/x86/kvm/svm/svm.c (shutdown_interception()), x86.c
 * (kvm_vcpu_reset(), inject_pending_event()).
 *
 *   modes_test_{64,32,x32} [DEVICE] [kselftest_harness options]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_compat_util.h"

#define NPAGES		64		/* slot 0: GPA 0 - 0x3ffff */
#define STR_GPA		0x1100		/* the hello guests' string */
#define HANDLER_GPA	0x2000		/* exception handlers: hlt */
#define DATA_GPA	0x3000
#define DATA2_GPA	0x4000
#define MMIO_GPA	0x100000	/* mapped by the page tables, no slot */
#define HELLO		"Hello, world!\n"
#define OUT_PORT	0xe9

#define CF		0x001ULL
#define PF		0x004ULL
#define AF		0x010ULL
#define ZF		0x040ULL
#define SF		0x080ULL
#define IF		0x200ULL
#define OF		0x800ULL
#define RF		0x10000ULL
#define ARITH		(CF | PF | AF | ZF | SF | OF)

#define CR0_WP		0x10000ULL
#define CR4_PSE		0x10ULL
#define EFER_NX		0x800ULL

#define GET_REGS(r) ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_GET_REGS, (r)))
#define SET_REGS(r) ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_SET_REGS, (r)))
#define GET_SREGS(s) ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_GET_SREGS, (s)))
#define SET_SREGS(s) ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_SET_SREGS, (s)))

#define LOAD(code) do {							\
	int __r = kvmc_guest_load(&self->g, KVMC_CODE_GPA, (code),	\
				  sizeof(code));			\
	ASSERT_EQ(0, __r) TH_LOG("load: %s", kvmc_errname(-__r));	\
} while (0)

static uint32_t rd32(const struct kvmc_guest *g, uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, g->mem + gpa, sizeof(v));
	return v;
}

static uint64_t rd64(const struct kvmc_guest *g, uint64_t gpa)
{
	uint64_t v;

	memcpy(&v, g->mem + gpa, sizeof(v));
	return v;
}

static void wr32(struct kvmc_guest *g, uint64_t gpa, uint32_t v)
{
	memcpy(g->mem + gpa, &v, sizeof(v));
}

static bool is_long(enum kvmc_mode m)
{
	return m == KVMC_MODE_LONG || m == KVMC_MODE_COMPAT;
}

/*
 * KVM_RUN until an exit other than a one-byte OUT to OUT_PORT, whose
 * bytes go to @out (NUL-terminated, at most @size - 1 of them): the
 * classic programs' serial console. Returns the KVM_RUN result; *@outs
 * counts the OUT exits.
 */
static int run_console(struct kvmc_guest *g, char *out, size_t size,
		       int *outs)
{
	size_t n = 0;
	int r;

	*outs = 0;
	for (;;) {
		r = kvmc_run(g->vcpu);
		if (r || g->run->exit_reason != KVM_EXIT_IO ||
		    g->run->io.direction != KVM_EXIT_IO_OUT ||
		    g->run->io.port != OUT_PORT || g->run->io.size != 1)
			break;
		if (n + 1 < size)
			out[n++] = ((char *)g->run)[g->run->io.data_offset];
		++*outs;
	}
	out[n] = '\0';
	return r;
}

/* The handler of every exception the tests take: hlt. */
static void set_handler(struct __test_metadata *_metadata,
			struct kvmc_guest *g, enum kvmc_mode mode,
			unsigned int vector)
{
	g->mem[HANDLER_GPA] = 0xf4;
	ASSERT_EQ(0, kvmc_guest_set_gate(g, mode, vector, HANDLER_GPA));
}

/*
 * The exception frame at rsp, as the handler's hlt left it: error code,
 * rip, cs, rflags (and rsp, ss in long mode), each 4 or 8 bytes.
 */
static void check_frame(struct __test_metadata *_metadata,
			struct kvmc_guest *g, enum kvmc_mode mode,
			uint32_t err, uint64_t rip, uint64_t rflags)
{
	unsigned int w = is_long(mode) ? 8 : 4;
	uint64_t f[6];
	struct kvm_regs r;
	unsigned int i;

	ASSERT_EQ(0, ioctl(g->vcpu, KVM_GET_REGS, &r));
	EXPECT_EQ(HANDLER_GPA + 1, r.rip);
	EXPECT_EQ(KVMC_STACK_TOP - (is_long(mode) ? 6 : 4) * w, r.rsp);
	for (i = 0; i < 6; i++)
		f[i] = w == 8 ? rd64(g, r.rsp + i * w) : rd32(g, r.rsp + i * w);
	EXPECT_EQ(err, f[0]);
	EXPECT_EQ(rip, f[1]);
	EXPECT_EQ(mode == KVMC_MODE_LONG ? KVMC_SEL_CODE64 : KVMC_SEL_CODE32,
		  f[2]);
	EXPECT_EQ(rflags, f[3]);
	if (is_long(mode)) {
		EXPECT_EQ(KVMC_STACK_TOP, f[4]);
		EXPECT_EQ(KVMC_SEL_DATA, f[5]);
	}
	/* The handler runs with IF (an interrupt gate) and RF clear. */
	EXPECT_EQ(rflags & ~(IF | RF), r.rflags);
}

/* A page fault: delivered at the handler, CR2 and the frame. */
static void check_page_fault(struct __test_metadata *_metadata,
			     struct kvmc_guest *g, enum kvmc_mode mode,
			     uint32_t err, uint64_t cr2, uint64_t rip)
{
	struct kvm_sregs s;

	ASSERT_EQ(0, ioctl(g->vcpu, KVM_GET_SREGS, &s));
	EXPECT_EQ(cr2, s.cr2);
	check_frame(_metadata, g, mode, err, rip, 0x2);
}

/* ---- 32-bit code: protected mode, 32-bit and PAE paging, compat mode ---- */

FIXTURE(code32)
{
	struct kvmc_guest g;
};

FIXTURE_VARIANT(code32)
{
	enum kvmc_mode mode;
};

FIXTURE_VARIANT_ADD(code32, prot32) { .mode = KVMC_MODE_PROT32 };
FIXTURE_VARIANT_ADD(code32, paging32) { .mode = KVMC_MODE_PAGING32 };
FIXTURE_VARIANT_ADD(code32, pae) { .mode = KVMC_MODE_PAE };
FIXTURE_VARIANT_ADD(code32, compat) { .mode = KVMC_MODE_COMPAT };

FIXTURE_SETUP(code32)
{
	int r;

	KVMC_GUEST_SETUP(&self->g, NPAGES);
	r = kvmc_guest_set_mode(&self->g, variant->mode);
	ASSERT_EQ(0, r) TH_LOG("%s mode: %s", kvmc_mode_name(variant->mode),
			       kvmc_errname(-r));
}

FIXTURE_TEARDOWN(code32)
{
	kvmc_guest_destroy(&self->g);
}

/*
 * What gcc 12 -m32 -O2 -ffreestanding makes of the classic guest: a loop
 * over a string with outb to port 0xe9, a store of 42 to 0x400, hlt (the
 * two multi-byte NOPs, lea esi,[esi+0], run too).
 */
TEST_F(code32, gcc_hello)
{
	static const uint8_t code[] = {
		0xba, 0x00, 0x11, 0x00, 0x00,		/* 0x00 mov edx, 0x1100 */
		0xb8, 0x48, 0x00, 0x00, 0x00,		/* 0x05 mov eax, 'H' */
		0x8d, 0xb6, 0x00, 0x00, 0x00, 0x00,	/* 0x0a lea esi, [esi+0] */
		0xe6, 0xe9,				/* 0x10 out 0xe9, al */
		0x0f, 0xb6, 0x42, 0x01,			/* 0x12 movzx eax, [edx+1] */
		0x83, 0xc2, 0x01,			/* 0x16 add edx, 1 */
		0x84, 0xc0,				/* 0x19 test al, al */
		0x75, 0xf3,				/* 0x1b jne 0x10 */
		0xc7, 0x05, 0x00, 0x04, 0x00, 0x00,	/* 0x1d mov dword [0x400], */
		0x2a, 0x00, 0x00, 0x00,			/*      42 */
		0xb8, 0x2a, 0x00, 0x00, 0x00,		/* 0x27 mov eax, 42 */
		0x8d, 0x74, 0x26, 0x00,			/* 0x2c lea esi, [esi+0] */
		0xf4,					/* 0x30 hlt */
		0xeb, 0xfd,				/* 0x31 jmp 0x30 */
	};
	struct kvm_regs r;
	char out[64];
	int outs;

	LOAD(code);
	memcpy(self->g.mem + STR_GPA, HELLO, sizeof(HELLO));
	ASSERT_EQ(0, run_console(&self->g, out, sizeof(out), &outs));
	EXPECT_STREQ(HELLO, out);
	EXPECT_EQ(strlen(HELLO), outs);
	ASSERT_EQ(KVM_EXIT_HLT, self->g.run->exit_reason)
		TH_LOG("%s", kvmc_exit_name(self->g.run->exit_reason));
	EXPECT_EQ(42, rd32(&self->g, 0x400));
	GET_REGS(&r);
	EXPECT_EQ(KVMC_CODE_GPA + 0x31, r.rip);
	EXPECT_EQ(42, r.rax);
	EXPECT_EQ(STR_GPA + strlen(HELLO), r.rdx);
	/* test al, al on 0: ZF and PF. */
	EXPECT_EQ(0x2 | ZF | PF, r.rflags);
	/* Again: the jmp goes back to the hlt. */
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	GET_REGS(&r);
	EXPECT_EQ(KVMC_CODE_GPA + 0x31, r.rip);
}

/* 32-bit results clear bits 63:32; 8- and 16-bit ones keep the rest. */
TEST_F(code32, register_sizes)
{
	static const uint8_t code[] = {
		0xb8, 0x44, 0x33, 0x22, 0x11,	/* mov eax, 0x11223344 */
		0x66, 0xbb, 0x66, 0x55,		/* mov bx, 0x5566 */
		0xb1, 0x77,			/* mov cl, 0x77 */
		0xb5, 0x88,			/* mov ch, 0x88 */
		0x0f, 0xb6, 0xd1,		/* movzx edx, cl */
		0x0f, 0xbe, 0xf5,		/* movsx esi, ch */
		0x66, 0x0f, 0xbe, 0xf9,		/* movsx di, cl */
		0xf4,				/* hlt */
	};
	struct kvm_regs r;

	LOAD(code);
	GET_REGS(&r);
	r.rax = ~0ULL;
	r.rbx = ~0ULL;
	r.rcx = ~0ULL;
	r.rdx = ~0ULL;
	r.rsi = ~0ULL;
	r.rdi = ~0ULL;
	SET_REGS(&r);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	GET_REGS(&r);
	EXPECT_EQ(0x11223344ULL, r.rax);
	EXPECT_EQ(0xffffffffffff5566ULL, r.rbx);
	EXPECT_EQ(0xffffffffffff8877ULL, r.rcx);
	EXPECT_EQ(0x77ULL, r.rdx);
	EXPECT_EQ(0xffffff88ULL, r.rsi);
	EXPECT_EQ(0xffffffffffff0077ULL, r.rdi);
	EXPECT_EQ(KVMC_CODE_GPA + sizeof(code), r.rip);
}

enum { ADD, OR, ADC, SBB, AND, SUB, XOR, CMP, TEST, INC, DEC, NEG, NOT };

struct alu_case {
	uint8_t code[6];
	uint8_t len;
	uint8_t op;
	uint8_t size;
	bool imm;		/* the source is @immv, not ebx */
	uint32_t immv;
};

/* The reference: the result and the flags of @op on @a, @b. */
static uint64_t alu_ref(int op, unsigned int size, uint64_t a, uint64_t b,
			uint64_t flags, uint64_t *out)
{
	uint64_t m = size == 4 ? 0xffffffffULL : (1ULL << (8 * size)) - 1;
	uint64_t sign = 1ULL << (8 * size - 1), c = flags & CF ? 1 : 0;
	uint64_t r, f = flags & ~ARITH;
	bool cf = false, of = false, af = false;

	a &= m;
	b &= m;
	switch (op) {
	case ADD:
	case ADC:
	case INC:
		if (op == INC)
			b = 1;
		if (op != ADC)
			c = 0;
		r = a + b + c;
		cf = op == INC ? flags & CF : r > m;
		of = (a ^ r) & (b ^ r) & sign;
		af = (a ^ b ^ r) & 0x10;
		break;
	case SUB:
	case SBB:
	case CMP:
	case DEC:
	case NEG:
		if (op == DEC)
			b = 1;
		if (op == NEG) {
			b = a;
			a = 0;
		}
		if (op != SBB)
			c = 0;
		r = a - b - c;
		cf = op == DEC ? flags & CF : a < b + c;
		of = (a ^ b) & (a ^ r) & sign;
		af = (a ^ b ^ r) & 0x10;
		break;
	case OR:
		r = a | b;
		break;
	case XOR:
		r = a ^ b;
		break;
	case NOT:
		*out = flags;
		return ~a & m;
	default:	/* AND, TEST */
		r = a & b;
		break;
	}
	r &= m;
	f |= cf ? CF : 0;
	f |= __builtin_parity(r & 0xff) ? 0 : PF;
	f |= af ? AF : 0;
	f |= r ? 0 : ZF;
	f |= r & sign ? SF : 0;
	f |= of ? OF : 0;
	*out = f;
	return r;
}

/*
 * add or adc sbb and sub xor cmp test inc dec neg not, on 8, 16 and 32
 * bits, register and immediate forms: result and flags against the
 * architecture (AF after logic operations is undefined, not compared).
 */
TEST_F(code32, alu_flags)
{
/* A case: its bytes, then the operation, size and immediate it tests. */
#define REG(o, sz, ...)	{ .code = { __VA_ARGS__ },			\
			  .len = sizeof((uint8_t[]){ __VA_ARGS__ }),	\
			  .op = (o), .size = (sz) }
#define IMM(o, sz, v, ...) { .code = { __VA_ARGS__ },			\
			  .len = sizeof((uint8_t[]){ __VA_ARGS__ }),	\
			  .op = (o), .size = (sz), .imm = true, .immv = (v) }
	static const struct alu_case cases[] = {
		REG(ADD, 1, 0x00, 0xd8),
		REG(ADD, 2, 0x66, 0x01, 0xd8),
		REG(ADD, 4, 0x01, 0xd8),
		REG(OR, 1, 0x08, 0xd8),
		REG(OR, 2, 0x66, 0x09, 0xd8),
		REG(OR, 4, 0x09, 0xd8),
		REG(ADC, 1, 0x10, 0xd8),
		REG(ADC, 2, 0x66, 0x11, 0xd8),
		REG(ADC, 4, 0x11, 0xd8),
		REG(SBB, 1, 0x18, 0xd8),
		REG(SBB, 2, 0x66, 0x19, 0xd8),
		REG(SBB, 4, 0x19, 0xd8),
		REG(AND, 1, 0x20, 0xd8),
		REG(AND, 2, 0x66, 0x21, 0xd8),
		REG(AND, 4, 0x21, 0xd8),
		REG(SUB, 1, 0x28, 0xd8),
		REG(SUB, 2, 0x66, 0x29, 0xd8),
		REG(SUB, 4, 0x29, 0xd8),
		REG(XOR, 1, 0x30, 0xd8),
		REG(XOR, 2, 0x66, 0x31, 0xd8),
		REG(XOR, 4, 0x31, 0xd8),
		REG(CMP, 1, 0x38, 0xd8),
		REG(CMP, 2, 0x66, 0x39, 0xd8),
		REG(CMP, 4, 0x39, 0xd8),
		REG(TEST, 1, 0x84, 0xd8),		/* test al, bl */
		REG(TEST, 2, 0x66, 0x85, 0xd8),		/* test ax, bx */
		REG(TEST, 4, 0x85, 0xd8),		/* test eax, ebx */
		IMM(ADD, 4, 0xfffffffe, 0x83, 0xc0, 0xfe), /* add eax, -2 */
		IMM(CMP, 4, 5, 0x83, 0xf8, 0x05),	/* cmp eax, 5 */
		IMM(AND, 4, 0x12345678, 0x81, 0xe0, 0x78, 0x56, 0x34, 0x12),
		IMM(SUB, 1, 0x81, 0x80, 0xe8, 0x81),	/* sub al, 0x81 */
		IMM(SUB, 1, 3, 0x2c, 0x03),		/* sub al, 3 */
		IMM(OR, 4, 0x8001, 0x0d, 0x01, 0x80, 0x00, 0x00),
		IMM(ADC, 2, 0x1234, 0x66, 0x15, 0x34, 0x12),
		IMM(SBB, 1, 0x7f, 0x1c, 0x7f),		/* sbb al, 0x7f */
		IMM(TEST, 1, 0x81, 0xa8, 0x81),		/* test al, 0x81 */
		IMM(TEST, 4, 0x80000001, 0xa9, 0x01, 0x00, 0x00, 0x80),
		IMM(TEST, 4, 0xff, 0xf7, 0xc0, 0xff, 0x00, 0x00, 0x00),
		REG(INC, 4, 0x40),			/* inc eax */
		REG(INC, 2, 0x66, 0x40),		/* inc ax */
		REG(INC, 1, 0xfe, 0xc0),		/* inc al */
		REG(DEC, 4, 0x48),			/* dec eax */
		REG(DEC, 4, 0xff, 0xc8),		/* dec eax */
		REG(NEG, 4, 0xf7, 0xd8),		/* neg eax */
		REG(NEG, 2, 0x66, 0xf7, 0xd8),		/* neg ax */
		REG(NEG, 1, 0xf6, 0xd8),		/* neg al */
		REG(NOT, 4, 0xf7, 0xd0),		/* not eax */
		REG(NOT, 1, 0xf6, 0xd0),		/* not al */
	};
#undef RR
#undef IMM
#undef REG
	static const uint32_t ops[][2] = {
		{ 0, 0 }, { 1, 1 }, { 0x7f, 1 }, { 0x80, 0x80 }, { 0xff, 1 },
		{ 0x0f, 0x01 }, { 0x7fff, 0x8001 }, { 0x8000, 1 },
		{ 0xffff, 0xffff }, { 0x7fffffff, 1 },
		{ 0x80000000, 0x80000000 }, { 0xffffffff, 1 },
		{ 0x12345678, 0x9abcdef0 }, { 5, 7 },
	};
	const uint64_t high = 0xa5a5a5a500000000ULL;
	uint64_t want, want_flags, mask, merge, b;
	struct kvm_regs r;
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct alu_case *c = &cases[i];

		memcpy(self->g.mem + KVMC_CODE_GPA, c->code, c->len);
		self->g.mem[KVMC_CODE_GPA + c->len] = 0xf4;
		for (j = 0; j < ARRAY_SIZE(ops); j++) {
			GET_REGS(&r);
			r.rip = KVMC_CODE_GPA;
			r.rax = high | ops[j][0];
			r.rbx = high | ops[j][1];
			r.rflags = 0x2 | (j & 1 ? CF : 0) | (j & 2 ? ARITH : 0);
			SET_REGS(&r);
			b = c->imm ? c->immv : ops[j][1];
			want = alu_ref(c->op, c->size, ops[j][0], b, r.rflags,
				       &want_flags);
			KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
			GET_REGS(&r);
			mask = c->size == 4 ? ~0ULL : (1ULL << (8 * c->size)) - 1;
			merge = c->size == 4 ? 0 : (high | ops[j][0]) & ~mask;
			if (c->op == CMP || c->op == TEST)
				want = high | ops[j][0];
			else
				want = merge | want;
			EXPECT_EQ(want, r.rax)
				TH_LOG("case %zu (op %d, %u bytes) %#x, %#x",
				       i, c->op, c->size, ops[j][0], (uint32_t)b);
			if (c->op == OR || c->op == AND || c->op == XOR ||
			    c->op == TEST) {
				r.rflags &= ~AF;
				want_flags &= ~AF;
			}
			EXPECT_EQ(want_flags, r.rflags)
				TH_LOG("case %zu (op %d, %u bytes) %#x, %#x",
				       i, c->op, c->size, ops[j][0], (uint32_t)b);
		}
	}
}

/*
 * ModRM and SIB: base, index * scale, disp8 and disp32, no base, [esp]
 * and [ebp] through SS, a 32-bit offset that wraps, moffs, an FS
 * override, 16-bit addressing (0x67), 16-bit operands (0x66): each store
 * must land on its byte and nowhere else.
 */
TEST_F(code32, addressing)
{
	static const struct {
		uint8_t code[10];
		uint8_t len;
		uint64_t gpa;
		uint8_t size;
		uint32_t val;	/* 0: al */
	} forms[] = {
		{ { 0x88, 0x03 }, 2, 0x3000, 1, 0 },		/* [ebx] */
		{ { 0x88, 0x44, 0xb3, 0x10 }, 4, 0x3050, 1, 0 },	/* [ebx+esi*4+0x10] */
		{ { 0x88, 0x44, 0x24, 0x20 }, 4, 0x3920, 1, 0 },	/* [esp+0x20] */
		{ { 0x88, 0x45, 0xf0 }, 3, 0x37f0, 1, 0 },		/* [ebp-0x10] */
		{ { 0x88, 0x04, 0xf5, 0x00, 0x30, 0x00, 0x00 }, 7, 0x3080, 1, 0 },
								/* [esi*8+0x3000] */
		{ { 0x88, 0x83, 0x00, 0xf1, 0xff, 0xff }, 6, 0x2100, 1, 0 },
								/* [ebx-0xf00] */
		{ { 0xa2, 0x56, 0x34, 0x00, 0x00 }, 5, 0x3456, 1, 0 },
								/* [0x3456] */
		{ { 0x64, 0x88, 0x03 }, 3, 0x4000, 1, 0 },		/* fs:[ebx] */
		{ { 0x67, 0x88, 0x40, 0x10 }, 4, 0x3020, 1, 0 },	/* [bx+si+0x10] */
		{ { 0xc7, 0x04, 0x79, 0x44, 0x33, 0x22, 0x11 }, 7, 0x3110, 4,
		  0x11223344 },					/* [ecx+edi*2] */
		{ { 0x66, 0xc7, 0x02, 0x66, 0x55 }, 5, 0x3200, 2, 0x5566 },
								/* [edx] */
		{ { 0x89, 0x1c, 0x25, 0x00, 0x36, 0x00, 0x00 }, 7, 0x3600, 4,
		  0x3000 },			/* [0x3600] through a SIB, ebx */
	};
	struct kvm_sregs s;
	struct kvm_regs r;
	uint32_t v;
	size_t i;
	uint64_t a;

	GET_SREGS(&s);
	s.fs.base = 0x1000;
	SET_SREGS(&s);
	for (i = 0; i < ARRAY_SIZE(forms); i++) {
		memset(self->g.mem + 0x2000, 0, 0x3000);
		memcpy(self->g.mem + KVMC_CODE_GPA, forms[i].code, forms[i].len);
		self->g.mem[KVMC_CODE_GPA + forms[i].len] = 0xf4;
		GET_REGS(&r);
		r.rip = KVMC_CODE_GPA;
		r.rax = 0x40 + i;
		r.rbx = 0x3000;
		r.rcx = 0x3100;
		r.rdx = 0x3200;
		r.rsi = 0x10;
		r.rdi = 0x8;
		r.rbp = 0x3800;
		r.rsp = 0x3900;
		SET_REGS(&r);
		KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
		v = 0;
		memcpy(&v, self->g.mem + forms[i].gpa, forms[i].size);
		EXPECT_EQ(forms[i].val ? forms[i].val : 0x40 + i, v)
			TH_LOG("form %zu", i);
		for (a = 0x2000; a < 0x5000; a++)
			if ((a < forms[i].gpa || a >= forms[i].gpa + forms[i].size) &&
			    self->g.mem[a])
				EXPECT_EQ(forms[i].gpa, a) TH_LOG("form %zu", i);
	}
}

/* push imm, push r, call, push imm8, pop, ret: values, rsp and memory. */
TEST_F(code32, stack)
{
	static const uint8_t code[] = {
		0x68, 0x44, 0x33, 0x22, 0x11,	/* 0x00 push 0x11223344 */
		0x53,				/* 0x05 push ebx */
		0xe8, 0x03, 0x00, 0x00, 0x00,	/* 0x06 call 0x0e */
		0x59,				/* 0x0b pop ecx */
		0x5a,				/* 0x0c pop edx */
		0xf4,				/* 0x0d hlt */
		0x6a, 0x7f,			/* 0x0e push 0x7f */
		0x58,				/* 0x10 pop eax */
		0x56,				/* 0x11 push esi */
		0x5f,				/* 0x12 pop edi */
		0xc3,				/* 0x13 ret */
	};
	const uint64_t top = KVMC_STACK_TOP;
	struct kvm_regs r;

	LOAD(code);
	GET_REGS(&r);
	r.rbx = 0xabc;
	r.rsi = 0x55;
	SET_REGS(&r);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	GET_REGS(&r);
	EXPECT_EQ(KVMC_CODE_GPA + 0x0e, r.rip);
	EXPECT_EQ(top, r.rsp);
	EXPECT_EQ(0x7f, r.rax);
	EXPECT_EQ(0xabc, r.rcx);
	EXPECT_EQ(0x11223344, r.rdx);
	EXPECT_EQ(0x55, r.rdi);
	EXPECT_EQ(0x11223344, rd32(&self->g, top - 4));
	EXPECT_EQ(0xabc, rd32(&self->g, top - 8));
	EXPECT_EQ(KVMC_CODE_GPA + 0x0b, rd32(&self->g, top - 12));
	EXPECT_EQ(0x55, rd32(&self->g, top - 16));
}

/* The sixteen conditions, rel8 and rel32, on several flag patterns. */
TEST_F(code32, jcc)
{
	static const uint64_t flags[] = {
		0, CF, ZF, SF, OF, PF, SF | OF, ZF | CF, SF | ZF, ARITH,
	};
	uint8_t code[8];
	unsigned int cc, f, form;
	struct kvm_regs r;
	bool taken;

	for (form = 0; form < 2; form++) {
		for (cc = 0; cc < 16; cc++) {
			if (form == 0) {
				/* jcc +1; hlt; hlt */
				code[0] = 0x70 | cc;
				code[1] = 1;
				code[2] = 0xf4;
				code[3] = 0xf4;
			} else {
				/* jcc near +1; hlt; hlt */
				code[0] = 0x0f;
				code[1] = 0x80 | cc;
				code[2] = 1;
				code[3] = 0;
				code[4] = 0;
				code[5] = 0;
				code[6] = 0xf4;
				code[7] = 0xf4;
			}
			memcpy(self->g.mem + KVMC_CODE_GPA, code, sizeof(code));
			for (f = 0; f < ARRAY_SIZE(flags); f++) {
				bool o = flags[f] & OF, s = flags[f] & SF;
				bool z = flags[f] & ZF, c = flags[f] & CF;
				bool p = flags[f] & PF;
				bool t[8] = { o, c, z, c || z, s, p, s != o,
					      z || s != o };

				taken = t[cc >> 1] ^ (cc & 1);
				GET_REGS(&r);
				r.rip = KVMC_CODE_GPA;
				r.rflags = 0x2 | flags[f];
				SET_REGS(&r);
				KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
				GET_REGS(&r);
				EXPECT_EQ(KVMC_CODE_GPA + (form ? 7 : 3) + taken,
					  r.rip)
					TH_LOG("cc %u flags %#llx", cc,
					       (unsigned long long)flags[f]);
			}
		}
	}
}

/* OUT and IN of a byte, a word and a dword; IN merges AL and AX, zero-extends EAX. */
TEST_F(code32, io_sizes)
{
	static const uint8_t code[] = {
		0xee,			/* 0x0 out dx, al */
		0x66, 0xef,		/* 0x1 out dx, ax */
		0xef,			/* 0x3 out dx, eax */
		0xe4, 0x60,		/* 0x4 in al, 0x60 */
		0x66, 0xe5, 0x61,	/* 0x6 in ax, 0x61 */
		0xed,			/* 0x9 in eax, dx */
		0xf4,			/* 0xa hlt */
	};
	static const struct {
		uint8_t dir, size;
		uint16_t port;
		uint32_t data;
		uint64_t rax;	/* after the exit is completed */
	} steps[] = {
		{ KVM_EXIT_IO_OUT, 1, 0x1234, 0x88, 0 },
		{ KVM_EXIT_IO_OUT, 2, 0x1234, 0x7788, 0 },
		{ KVM_EXIT_IO_OUT, 4, 0x1234, 0x55667788, 0 },
		{ KVM_EXIT_IO_IN, 1, 0x60, 0xa1, 0xffffffff556677a1ULL },
		{ KVM_EXIT_IO_IN, 2, 0x61, 0xb2b3, 0xffffffff5566b2b3ULL },
		{ KVM_EXIT_IO_IN, 4, 0x1234, 0xc4c5c6c7, 0xc4c5c6c7ULL },
	};
	uint8_t *pio = (uint8_t *)self->g.run + KVMC_PAGE_SIZE;
	struct kvm_regs r;
	uint32_t data;
	size_t i;

	LOAD(code);
	GET_REGS(&r);
	r.rax = 0xffffffff55667788ULL;
	r.rdx = 0x1234;
	SET_REGS(&r);
	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		KVMC_RUN_EXPECT(&self->g, KVM_EXIT_IO);
		EXPECT_EQ(steps[i].dir, self->g.run->io.direction) TH_LOG("%zu", i);
		EXPECT_EQ(steps[i].size, self->g.run->io.size) TH_LOG("%zu", i);
		EXPECT_EQ(steps[i].port, self->g.run->io.port) TH_LOG("%zu", i);
		EXPECT_EQ(1, self->g.run->io.count);
		ASSERT_EQ(KVMC_PAGE_SIZE, self->g.run->io.data_offset);
		if (steps[i].dir == KVM_EXIT_IO_OUT) {
			data = 0;
			memcpy(&data, pio, steps[i].size);
			EXPECT_EQ(steps[i].data, data) TH_LOG("%zu", i);
		} else {
			memcpy(pio, &steps[i].data, steps[i].size);
		}
		if (i >= 4) {
			GET_REGS(&r);
			EXPECT_EQ(steps[i - 1].rax, r.rax) TH_LOG("%zu", i);
		}
	}
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	GET_REGS(&r);
	EXPECT_EQ(steps[5].rax, r.rax);
	EXPECT_EQ(KVMC_CODE_GPA + sizeof(code), r.rip);
}

/* MMIO writes and reads of 1, 2 and 4 bytes, and a read-modify-write. */
TEST_F(code32, mmio_sizes)
{
	static const uint8_t code[] = {
		0xbb, 0x00, 0x00, 0x10, 0x00,	/* 0x00 mov ebx, 0x100000 */
		0x89, 0x03,			/* 0x05 mov [ebx], eax */
		0x66, 0x89, 0x43, 0x02,		/* 0x07 mov [ebx+2], ax */
		0xc6, 0x43, 0x01, 0x5a,		/* 0x0b mov byte [ebx+1], 0x5a */
		0x8b, 0x0b,			/* 0x0f mov ecx, [ebx] */
		0x0f, 0xb7, 0x53, 0x04,		/* 0x11 movzx edx, word [ebx+4] */
		0x80, 0x03, 0x01,		/* 0x15 add byte [ebx], 1 */
		0xf4,				/* 0x18 hlt */
	};
	static const struct {
		bool write;
		uint8_t len;
		uint64_t gpa;
		uint32_t data;
		uint64_t rip;	/* at the exit */
	} steps[] = {
		{ true, 4, MMIO_GPA, 0x11223344, 0x07 },
		{ true, 2, MMIO_GPA + 2, 0x3344, 0x0b },
		{ true, 1, MMIO_GPA + 1, 0x5a, 0x0f },
		{ false, 4, MMIO_GPA, 0xdeadbeef, 0x0f },
		{ false, 2, MMIO_GPA + 4, 0xcafe, 0x11 },
		{ false, 1, MMIO_GPA, 0x41, 0x15 },
		{ true, 1, MMIO_GPA, 0x42, 0x18 },
	};
	struct kvm_regs r;
	uint32_t data;
	size_t i;

	LOAD(code);
	GET_REGS(&r);
	r.rax = 0x11223344;
	SET_REGS(&r);
	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		KVMC_RUN_EXPECT(&self->g, KVM_EXIT_MMIO);
		EXPECT_EQ(steps[i].gpa, self->g.run->mmio.phys_addr)
			TH_LOG("%zu", i);
		EXPECT_EQ(steps[i].len, self->g.run->mmio.len) TH_LOG("%zu", i);
		EXPECT_EQ(steps[i].write, self->g.run->mmio.is_write)
			TH_LOG("%zu", i);
		if (steps[i].write) {
			data = 0;
			memcpy(&data, self->g.run->mmio.data, steps[i].len);
			EXPECT_EQ(steps[i].data, data) TH_LOG("%zu", i);
		} else {
			memcpy(self->g.run->mmio.data, &steps[i].data,
			       steps[i].len);
		}
		GET_REGS(&r);
		EXPECT_EQ(KVMC_CODE_GPA + steps[i].rip, r.rip) TH_LOG("%zu", i);
	}
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	GET_REGS(&r);
	EXPECT_EQ(0xdeadbeef, r.rcx);
	EXPECT_EQ(0xcafe, r.rdx);
}

/*
 * RDMSR of an MSR nobody handles: #GP(0) through the IDT, at the RDMSR.
 * KVM injects it, and sets RF in the RFLAGS image of a fault it injects
 * (inject_pending_event()).
 */
TEST_F(code32, msr_gp_through_idt)
{
	static const uint8_t code[] = {
		0xb9, 0x45, 0x23, 0x01, 0x00,	/* mov ecx, 0x12345 */
		0x0f, 0x32,			/* rdmsr */
		0xf4,				/* hlt */
	};
	struct kvm_regs r;

	LOAD(code);
	set_handler(_metadata, &self->g, variant->mode, 13);
	GET_REGS(&r);
	r.rflags = 0x2 | IF;
	SET_REGS(&r);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	check_frame(_metadata, &self->g, variant->mode, 0, KVMC_CODE_GPA + 5,
		    0x2 | IF | RF);
}

/*
 * A #PF on its way through KVM_SET_VCPU_EVENTS (exception.injected, as a
 * VMM restores one) is delivered before the first instruction, with the
 * error code given and without RF; CR2 stays what KVM_SET_SREGS made it:
 * without KVM_CAP_EXCEPTION_PAYLOAD nothing loads it
 * (svm_inject_exception()).
 */
TEST_F(code32, injected_page_fault_keeps_cr2)
{
	static const uint8_t code[] = { 0xf4 };	/* hlt */
	struct kvm_vcpu_events ev;
	struct kvm_sregs s;

	LOAD(code);
	set_handler(_metadata, &self->g, variant->mode, 14);
	GET_SREGS(&s);
	s.cr2 = 0x5000;
	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_SET_SREGS, &s));
	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_GET_VCPU_EVENTS, &ev));
	ev.exception.injected = 1;
	ev.exception.nr = 14;
	ev.exception.has_error_code = 1;
	ev.exception.error_code = 0x2;
	ev.flags = 0;
	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_SET_VCPU_EVENTS, &ev));
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	GET_SREGS(&s);
	EXPECT_EQ(0x5000, s.cr2);
	check_frame(_metadata, &self->g, variant->mode, 0x2, KVMC_CODE_GPA, 0x2);
}

/*
 * The documented divergence: "shl eax, 1" is not in kvm_compat's subset.
 * Upstream runs it; kvm_compat stops with an emulation failure, rip on
 * the instruction.
 */
TEST_F(code32, outside_subset)
{
	static const uint8_t code[] = {
		0xd1, 0xe0,		/* shl eax, 1 */
		0xf4,			/* hlt */
	};
	struct kvm_regs r;

	LOAD(code);
	GET_REGS(&r);
	r.rax = 0x21;
	SET_REGS(&r);
	if (kvmc_is_upstream()) {
		KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
		GET_REGS(&r);
		EXPECT_EQ(0x42, r.rax);
		return;
	}
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_INTERNAL_ERROR);
	EXPECT_EQ(KVM_INTERNAL_ERROR_EMULATION, self->g.run->internal.suberror);
	GET_REGS(&r);
	EXPECT_EQ(0x21, r.rax);
	EXPECT_EQ(KVMC_CODE_GPA, r.rip);
}

/* ---- paging: 32-bit, PAE and 4-level ---- */

FIXTURE(paging)
{
	struct kvmc_guest g;
};

FIXTURE_VARIANT(paging)
{
	enum kvmc_mode mode;
};

FIXTURE_VARIANT_ADD(paging, paging32) { .mode = KVMC_MODE_PAGING32 };
FIXTURE_VARIANT_ADD(paging, pae) { .mode = KVMC_MODE_PAE };
FIXTURE_VARIANT_ADD(paging, long) { .mode = KVMC_MODE_LONG };

FIXTURE_SETUP(paging)
{
	int r;

	KVMC_GUEST_SETUP(&self->g, NPAGES);
	r = kvmc_guest_set_mode(&self->g, variant->mode);
	ASSERT_EQ(0, r) TH_LOG("%s mode: %s", kvmc_mode_name(variant->mode),
			       kvmc_errname(-r));
}

FIXTURE_TEARDOWN(paging)
{
	kvmc_guest_destroy(&self->g);
}

/* The same bytes in 32- and 64-bit code: load [0x3000], store [0x4000]. */
static const uint8_t copy_code[] = {
	0xbb, 0x00, 0x30, 0x00, 0x00,	/* 0x0 mov ebx, 0x3000 */
	0x8b, 0x03,			/* 0x5 mov eax, [ebx] */
	0xbb, 0x00, 0x40, 0x00, 0x00,	/* 0x7 mov ebx, 0x4000 */
	0x89, 0x03,			/* 0xc mov [ebx], eax */
	0xf4,				/* 0xe hlt */
};

#define PTE_P	0x1ULL
#define PTE_RW	0x2ULL
#define PTE_A	0x20ULL
#define PTE_D	0x40ULL
#define PTE_PS	0x80ULL
#define PTE_NX	0x8000000000000000ULL

static uint64_t get_pte(struct kvmc_guest *g, enum kvmc_mode mode,
			uint64_t la)
{
	void *p = kvmc_guest_pte(g, mode, la);

	return mode == KVMC_MODE_PAGING32 ? *(uint32_t *)p : *(uint64_t *)p;
}

static void set_pte(struct kvmc_guest *g, enum kvmc_mode mode, uint64_t la,
		    uint64_t v)
{
	void *p = kvmc_guest_pte(g, mode, la);

	if (mode == KVMC_MODE_PAGING32)
		*(uint32_t *)p = v;
	else
		*(uint64_t *)p = v;
}

/*
 * Accessed and dirty bits: set on every level walked, D only on the pages
 * written; pages never touched keep neither.
 */
TEST_F(paging, accessed_dirty)
{
	enum kvmc_mode m = variant->mode;
	uint64_t pt = KVMC_PT_GPA;
	struct kvm_regs r;

	LOAD(copy_code);
	wr32(&self->g, DATA_GPA, 0x600dcafe);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	EXPECT_EQ(0x600dcafe, rd32(&self->g, DATA2_GPA));
	GET_REGS(&r);
	EXPECT_EQ(KVMC_CODE_GPA + sizeof(copy_code), r.rip);

	EXPECT_EQ(KVMC_CODE_GPA | PTE_P | PTE_RW | PTE_A,
		  get_pte(&self->g, m, KVMC_CODE_GPA));
	EXPECT_EQ(DATA_GPA | PTE_P | PTE_RW | PTE_A,
		  get_pte(&self->g, m, DATA_GPA));
	EXPECT_EQ(DATA2_GPA | PTE_P | PTE_RW | PTE_A | PTE_D,
		  get_pte(&self->g, m, DATA2_GPA));
	EXPECT_EQ(0x5000 | PTE_P | PTE_RW, get_pte(&self->g, m, 0x5000));
	switch (m) {
	case KVMC_MODE_PAGING32:
		EXPECT_EQ((pt + 0x1000) | PTE_P | PTE_RW | PTE_A, rd32(&self->g, pt));
		break;
	case KVMC_MODE_PAE:
		/*
		 * The PDPTE has no A bit; the test guest's CPU (QEMU) sets
		 * bit 5 all the same: divergences.rst.
		 */
		EXPECT_EQ((pt + 0x1000) | PTE_P |
			  (kvmc_is_upstream() ? PTE_A : 0), rd64(&self->g, pt));
		EXPECT_EQ((pt + 0x2000) | PTE_P | PTE_RW | PTE_A,
			  rd64(&self->g, pt + 0x1000));
		break;
	default:
		EXPECT_EQ((pt + 0x1000) | PTE_P | PTE_RW | PTE_A, rd64(&self->g, pt));
		EXPECT_EQ((pt + 0x2000) | PTE_P | PTE_RW | PTE_A,
			  rd64(&self->g, pt + 0x1000));
		EXPECT_EQ((pt + 0x3000) | PTE_P | PTE_RW | PTE_A,
			  rd64(&self->g, pt + 0x2000));
		break;
	}
}

/* A read and a write of a page that is not present: #PF, P clear. */
TEST_F(paging, not_present)
{
	enum kvmc_mode m = variant->mode;
	struct kvm_regs r;

	LOAD(copy_code);
	set_handler(_metadata, &self->g, m, 14);
	set_pte(&self->g, m, DATA_GPA, 0);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	check_page_fault(_metadata, &self->g, m, 0, DATA_GPA,
			 KVMC_CODE_GPA + 5);

	/* The write: from the store, with W. */
	set_pte(&self->g, m, DATA_GPA, DATA_GPA | PTE_P | PTE_RW);
	set_pte(&self->g, m, DATA2_GPA, DATA2_GPA | PTE_RW);
	GET_REGS(&r);
	r.rip = KVMC_CODE_GPA;
	r.rsp = KVMC_STACK_TOP;
	r.rflags = 0x2;
	SET_REGS(&r);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	check_page_fault(_metadata, &self->g, m, 2, DATA2_GPA,
			 KVMC_CODE_GPA + 0xc);
	/* A walk that faulted set no A bit on the leaf it stopped at. */
	EXPECT_EQ(DATA2_GPA | PTE_RW, get_pte(&self->g, m, DATA2_GPA));
}

/* A read-only page: written freely with CR0.WP clear, #PF (P|W) with it. */
TEST_F(paging, write_protect)
{
	enum kvmc_mode m = variant->mode;
	struct kvm_sregs s;
	struct kvm_regs r;

	LOAD(copy_code);
	set_handler(_metadata, &self->g, m, 14);
	set_pte(&self->g, m, DATA2_GPA, DATA2_GPA | PTE_P);
	wr32(&self->g, DATA_GPA, 0x1234);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	EXPECT_EQ(0x1234, rd32(&self->g, DATA2_GPA));
	EXPECT_EQ(DATA2_GPA | PTE_P | PTE_A | PTE_D,
		  get_pte(&self->g, m, DATA2_GPA));

	GET_SREGS(&s);
	s.cr0 |= CR0_WP;
	SET_SREGS(&s);
	GET_REGS(&r);
	r.rip = KVMC_CODE_GPA;
	SET_REGS(&r);
	wr32(&self->g, DATA_GPA, 0x5678);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	check_page_fault(_metadata, &self->g, m, 3, DATA2_GPA,
			 KVMC_CODE_GPA + 0xc);
	EXPECT_EQ(0x1234, rd32(&self->g, DATA2_GPA));
}

/*
 * A large page (4 MiB with CR4.PSE, 2 MiB with PAE) maps 0x400000 to
 * physical 0: loads and stores through it reach the low pages, and the
 * PDE gets A and D.
 */
TEST_F(paging, large_page)
{
	static const uint8_t code[] = {
		0xbb, 0x00, 0x30, 0x40, 0x00,	/* mov ebx, 0x403000 */
		0x8b, 0x03,			/* mov eax, [ebx] */
		0xbb, 0x00, 0x40, 0x40, 0x00,	/* mov ebx, 0x404000 */
		0x89, 0x03,			/* mov [ebx], eax */
		0xf4,				/* hlt */
	};
	enum kvmc_mode m = variant->mode;
	uint64_t pde_gpa, pde;
	struct kvm_sregs s;

	LOAD(code);
	wr32(&self->g, DATA_GPA, 0xb16b00b5);
	if (m == KVMC_MODE_PAGING32) {
		GET_SREGS(&s);
		s.cr4 |= CR4_PSE;
		SET_SREGS(&s);
		pde_gpa = KVMC_PT_GPA + 4;		/* PDE 1 */
		wr32(&self->g, pde_gpa, PTE_P | PTE_RW | PTE_PS);
	} else {
		pde_gpa = KVMC_PT_GPA + (m == KVMC_MODE_PAE ? 0x1000 : 0x2000) +
			  2 * 8;			/* PDE 2 */
		memcpy(self->g.mem + pde_gpa, &(uint64_t){ PTE_P | PTE_RW | PTE_PS },
		       8);
	}
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	EXPECT_EQ(0xb16b00b5, rd32(&self->g, DATA2_GPA));
	pde = m == KVMC_MODE_PAGING32 ? rd32(&self->g, pde_gpa) :
					rd64(&self->g, pde_gpa);
	EXPECT_EQ(PTE_P | PTE_RW | PTE_PS | PTE_A | PTE_D, pde);
	/* The 4 KiB pages of the same physical memory were not used. */
	EXPECT_EQ(DATA2_GPA | PTE_P | PTE_RW, get_pte(&self->g, m, DATA2_GPA));
}

/* 1 GiB pages (4-level paging): 0x40000000 maps to physical 0. */
TEST_F(paging, huge_page)
{
	static const uint8_t code[] = {
		0xbb, 0x00, 0x30, 0x00, 0x40,	/* mov ebx, 0x40003000 */
		0x8b, 0x03,			/* mov eax, [ebx] */
		0xbb, 0x00, 0x40, 0x00, 0x40,	/* mov ebx, 0x40004000 */
		0x89, 0x03,			/* mov [ebx], eax */
		0xf4,				/* hlt */
	};
	uint64_t pdpte_gpa = KVMC_PT_GPA + 0x1000 + 8;	/* PDPTE 1 */

	if (variant->mode != KVMC_MODE_LONG)
		SKIP(return, "1 GiB pages need 4-level paging");
	LOAD(code);
	wr32(&self->g, DATA_GPA, 0x1c0ffee);
	memcpy(self->g.mem + pdpte_gpa, &(uint64_t){ PTE_P | PTE_RW | PTE_PS }, 8);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	EXPECT_EQ(0x1c0ffee, rd32(&self->g, DATA2_GPA));
	EXPECT_EQ(PTE_P | PTE_RW | PTE_PS | PTE_A | PTE_D,
		  rd64(&self->g, pdpte_gpa));
}

/*
 * A reserved bit set: #PF with P and RSVD.  32-bit paging: bit 21 of a
 * 4 MiB PDE; PAE and 4-level: bit 63 (NX) without EFER.NXE.
 */
TEST_F(paging, reserved_bit)
{
	static const uint8_t code[] = {
		0xbb, 0x00, 0x30, 0x40, 0x00,	/* mov ebx, 0x403000 */
		0x8b, 0x03,			/* mov eax, [ebx] */
		0xf4,				/* hlt */
	};
	enum kvmc_mode m = variant->mode;
	struct kvm_sregs s;

	LOAD(code);
	set_handler(_metadata, &self->g, m, 14);
	if (m == KVMC_MODE_PAGING32) {
		GET_SREGS(&s);
		s.cr4 |= CR4_PSE;
		SET_SREGS(&s);
		wr32(&self->g, KVMC_PT_GPA + 4,
		     (1 << 21) | PTE_P | PTE_RW | PTE_PS);
	} else {
		uint64_t pde_gpa = KVMC_PT_GPA +
				   (m == KVMC_MODE_PAE ? 0x1000 : 0x2000) + 16;

		memcpy(self->g.mem + pde_gpa,
		       &(uint64_t){ PTE_NX | PTE_P | PTE_RW | PTE_PS }, 8);
	}
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	/* The test guest's CPU (QEMU) leaves P out: divergences.rst. */
	check_page_fault(_metadata, &self->g, m, kvmc_is_upstream() ? 8 : 9,
			 0x403000, KVMC_CODE_GPA + 5);
}

/* EFER.NXE: a fetch from an NX page is #PF with P and I/D. */
TEST_F(paging, nx_fetch)
{
	static const uint8_t code[] = {
		0xe9, 0xfb, 0x1f, 0x00, 0x00,	/* jmp 0x3000 */
	};
	enum kvmc_mode m = variant->mode;
	struct kvm_cpuid2 *cpuid;
	struct kvm_sregs s;
	struct kvm_regs r;

	if (m == KVMC_MODE_PAGING32)
		SKIP(return, "no NX bit in 32-bit paging");
	LOAD(code);
	self->g.mem[DATA_GPA] = 0xf4;
	set_handler(_metadata, &self->g, m, 14);
	if (m == KVMC_MODE_PAE) {
		/* EFER.NX needs CPUID.80000001H:EDX.NX */
		cpuid = kvmc_get_supported_cpuid(self->g.sys);
		ASSERT_NE(NULL, cpuid);
		ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_SET_CPUID2, cpuid));
		free(cpuid);
	}
	GET_SREGS(&s);
	s.efer |= EFER_NX;
	SET_SREGS(&s);

	/* Executable: the hlt at 0x3000 runs. */
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	GET_REGS(&r);
	EXPECT_EQ(DATA_GPA + 1, r.rip);

	set_pte(&self->g, m, DATA_GPA, DATA_GPA | PTE_NX | PTE_P | PTE_RW);
	r.rip = KVMC_CODE_GPA;
	SET_REGS(&r);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	check_page_fault(_metadata, &self->g, m, 0x11, DATA_GPA, DATA_GPA);
}

/*
 * A #PF whose gate is not present: #NP while delivering it, which makes
 * a double fault, delivered with error code 0 and the faulting rip.
 */
TEST_F(paging, double_fault)
{
	enum kvmc_mode m = variant->mode;
	unsigned int w = is_long(m) ? 16 : 8;
	struct kvm_sregs s;

	LOAD(copy_code);
	set_handler(_metadata, &self->g, m, 14);
	set_handler(_metadata, &self->g, m, 8);
	/* Gate 14: P clear. */
	self->g.mem[KVMC_IDT_GPA + 14 * w + 5] &= 0x7f;
	set_pte(&self->g, m, DATA_GPA, 0);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	GET_SREGS(&s);
	EXPECT_EQ(DATA_GPA, s.cr2);
	check_frame(_metadata, &self->g, m, 0, KVMC_CODE_GPA + 5, 0x2);
}

/*
 * No IDT: the #PF, the #GP of its delivery, the double fault and a fault
 * again: a triple fault.  KVM_EXIT_SHUTDOWN, and kvm-amd INITs the vCPU
 * (shutdown_interception(), kvm_vcpu_reset(vcpu, true)): registers as at
 * RESET but RDX = CPUID.1:EAX of the guest CPUID, CR0 keeps CD and NW, and
 * the next KVM_RUN starts at 0xfffffff0 (no memory there).
 */
TEST_F(paging, triple_fault)
{
	enum kvmc_mode m = variant->mode;
	struct kvm_cpuid_entry2 *e;
	struct kvm_cpuid2 *cpuid;
	struct kvm_sregs s;
	struct kvm_regs r;
	uint64_t rdx = 0x600;

	if (m == KVMC_MODE_LONG) {
		cpuid = kvmc_get_supported_cpuid(self->g.sys);
		ASSERT_NE(NULL, cpuid);
		e = kvmc_cpuid_entry(cpuid, 1);
		ASSERT_NE(NULL, e);
		rdx = e->eax;
		free(cpuid);
	}
	LOAD(copy_code);
	set_pte(&self->g, m, DATA_GPA, 0);
	GET_REGS(&r);
	r.rbx = 0x1234;
	r.rcx = 0x1234;
	r.rsi = 0x1234;
	r.r8 = 0x1234;
	r.r15 = 0x1234;
	SET_REGS(&r);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_SHUTDOWN);

	GET_REGS(&r);
	EXPECT_EQ(0xfff0, r.rip);
	EXPECT_EQ(0x2, r.rflags);
	EXPECT_EQ(rdx, r.rdx);
	EXPECT_EQ(0, r.rax | r.rbx | r.rcx | r.rsi | r.rdi | r.rsp | r.rbp);
	EXPECT_EQ(0, r.r8 | r.r9 | r.r10 | r.r11 | r.r12 | r.r13 | r.r14 | r.r15);
	GET_SREGS(&s);
	EXPECT_EQ(0x10, s.cr0);
	EXPECT_EQ(0, s.cr2 | s.cr3 | s.cr4 | s.efer);
	EXPECT_EQ(0xf000, s.cs.selector);
	EXPECT_EQ(0xffff0000, s.cs.base);
	EXPECT_EQ(0, s.ss.selector | s.ds.selector);
	EXPECT_EQ(0, s.gdt.base);
	EXPECT_EQ(0xffff, s.gdt.limit);
	EXPECT_EQ(0xffff, s.idt.limit);
	EXPECT_EQ(0xfee00900, s.apic_base);

	/* No memory at 0xfffffff0: the fetch cannot be emulated. */
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_INTERNAL_ERROR);
	EXPECT_EQ(KVM_INTERNAL_ERROR_EMULATION, self->g.run->internal.suberror);
}

/* ---- 64-bit code ---- */

FIXTURE(long)
{
	struct kvmc_guest g;
};

FIXTURE_SETUP(long)
{
	int r;

	KVMC_GUEST_SETUP(&self->g, NPAGES);
	r = kvmc_guest_set_mode(&self->g, KVMC_MODE_LONG);
	ASSERT_EQ(0, r) TH_LOG("long mode: %s", kvmc_errname(-r));
}

FIXTURE_TEARDOWN(long)
{
	kvmc_guest_destroy(&self->g);
}

/* gcc 12 -m64 -O2 -ffreestanding: the classic guest again. */
TEST_F(long, gcc_hello)
{
	static const uint8_t code[] = {
		0xba, 0x00, 0x11, 0x00, 0x00,		/* 0x00 mov edx, 0x1100 */
		0xb8, 0x48, 0x00, 0x00, 0x00,		/* 0x05 mov eax, 'H' */
		0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00,	/* 0x0a nop [rax+rax+0] */
		0xe6, 0xe9,				/* 0x10 out 0xe9, al */
		0x0f, 0xb6, 0x42, 0x01,			/* 0x12 movzx eax, [rdx+1] */
		0x48, 0x83, 0xc2, 0x01,			/* 0x16 add rdx, 1 */
		0x84, 0xc0,				/* 0x1a test al, al */
		0x75, 0xf2,				/* 0x1c jne 0x10 */
		0xc7, 0x04, 0x25, 0x00, 0x04, 0x00,	/* 0x1e mov dword [0x400], */
		0x00, 0x2a, 0x00, 0x00, 0x00,		/*      42 */
		0xb8, 0x2a, 0x00, 0x00, 0x00,		/* 0x29 mov eax, 42 */
		0x66, 0x90,				/* 0x2e xchg ax, ax */
		0xf4,					/* 0x30 hlt */
		0xeb, 0xfd,				/* 0x31 jmp 0x30 */
	};
	struct kvm_regs r;
	char out[64];
	int outs;

	LOAD(code);
	memcpy(self->g.mem + STR_GPA, HELLO, sizeof(HELLO));
	ASSERT_EQ(0, run_console(&self->g, out, sizeof(out), &outs));
	EXPECT_STREQ(HELLO, out);
	EXPECT_EQ(strlen(HELLO), outs);
	ASSERT_EQ(KVM_EXIT_HLT, self->g.run->exit_reason);
	EXPECT_EQ(42, rd32(&self->g, 0x400));
	GET_REGS(&r);
	EXPECT_EQ(KVMC_CODE_GPA + 0x31, r.rip);
	EXPECT_EQ(42, r.rax);
	EXPECT_EQ(STR_GPA + strlen(HELLO), r.rdx);
}

/*
 * REX: r8-r15, 64-bit operands, SPL-DIL byte registers, movabs, movsxd,
 * rip-relative operands, a SIB with REX.X and REX.B, 64-bit carries.
 */
TEST_F(long, registers)
{
	static const uint8_t code[] = {
		0x48, 0xb8, 0x11, 0x22, 0x33, 0x44,
		0x55, 0x66, 0x77, 0x88,		/* 0x00 movabs rax, 0x8877665544332211 */
		0x49, 0x89, 0xc0,		/* 0x0a mov r8, rax */
		0x4d, 0x01, 0xc1,		/* 0x0d add r9, r8 */
		0x41, 0x54,			/* 0x10 push r12 */
		0x41, 0x5d,			/* 0x12 pop r13 */
		0x41, 0xb2, 0x12,		/* 0x14 mov r10b, 0x12 */
		0x40, 0xb6, 0x34,		/* 0x17 mov sil, 0x34 */
		0x4c, 0x8d, 0x1d, 0x10, 0x00,
		0x00, 0x00,			/* 0x1a lea r11, [rip+0x10] */
		0x8b, 0x15, 0x00, 0x10, 0x00,
		0x00,				/* 0x21 mov edx, [rip+0x1000] */
		0x48, 0x63, 0xca,		/* 0x27 movsxd rcx, edx */
		0x43, 0xc7, 0x44, 0x7e, 0x08,
		0x55, 0x00, 0x00, 0x00,		/* 0x2a mov dword [r14+r15*2+8], 0x55 */
		0x48, 0x83, 0xc3, 0xff,		/* 0x33 add rbx, -1 */
		0x48, 0x83, 0xd3, 0x00,		/* 0x37 adc rbx, 0 */
		0xf4,				/* 0x3b hlt */
	};
	struct kvm_regs r;

	LOAD(code);
	wr32(&self->g, KVMC_CODE_GPA + 0x27 + 0x1000, 0x80000001);
	GET_REGS(&r);
	r.r9 = 0x1000000000000000ULL;
	r.r12 = 0xfedcba9876543210ULL;
	r.r10 = ~0ULL;
	r.rsi = ~0ULL;
	r.r14 = 0x3000;
	r.r15 = 0x10;
	r.rbx = 0;
	SET_REGS(&r);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	GET_REGS(&r);
	EXPECT_EQ(0x8877665544332211ULL, r.rax);
	EXPECT_EQ(0x8877665544332211ULL, r.r8);
	EXPECT_EQ(0x9877665544332211ULL, r.r9);
	EXPECT_EQ(0xfedcba9876543210ULL, r.r13);
	EXPECT_EQ(0xffffffffffffff12ULL, r.r10);
	EXPECT_EQ(0xffffffffffffff34ULL, r.rsi);
	EXPECT_EQ(KVMC_CODE_GPA + 0x21 + 0x10, r.r11);
	EXPECT_EQ(0x80000001ULL, r.rdx);
	EXPECT_EQ(0xffffffff80000001ULL, r.rcx);
	EXPECT_EQ(0x55, rd32(&self->g, 0x3000 + 0x20 + 8));
	/* 0 - 1 = ~0 with no carry, + 0 + CF(0) stays ~0 */
	EXPECT_EQ(~0ULL, r.rbx);
	EXPECT_EQ(KVMC_STACK_TOP, r.rsp);
	EXPECT_EQ(0xfedcba9876543210ULL, rd64(&self->g, KVMC_STACK_TOP - 8));
	EXPECT_EQ(KVMC_CODE_GPA + sizeof(code), r.rip);
}

/* A non-canonical address: #GP(0) through the 64-bit IDT. */
TEST_F(long, non_canonical)
{
	static const uint8_t code[] = {
		0x48, 0xbb, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x80, 0x00, 0x00,		/* movabs rbx, 0x800000000000 */
		0x8b, 0x03,			/* mov eax, [rbx] */
		0xf4,				/* hlt */
	};

	LOAD(code);
	set_handler(_metadata, &self->g, KVMC_MODE_LONG, 13);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	check_frame(_metadata, &self->g, KVMC_MODE_LONG, 0, KVMC_CODE_GPA + 10,
		    0x2);
}

/* ---- real mode ---- */

FIXTURE(real)
{
	struct kvmc_guest g;
};

FIXTURE_SETUP(real)
{
	struct kvm_regs r;

	KVMC_GUEST_SETUP(&self->g, NPAGES);
	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_GET_REGS, &r));
	r.rsp = KVMC_STACK_TOP;
	ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_SET_REGS, &r));
}

FIXTURE_TEARDOWN(real)
{
	kvmc_guest_destroy(&self->g);
}

/*
 * gcc 12 -m16 -O2 -ffreestanding: 32-bit code in real mode, 0x66 on every
 * operation, 0x67 on the 32-bit address, a 16-bit disp16 lea as the NOP.
 */
TEST_F(real, gcc_hello)
{
	static const uint8_t code[] = {
		0x66, 0xba, 0x00, 0x11, 0x00, 0x00,	/* 0x00 mov edx, 0x1100 */
		0x66, 0xb8, 0x48, 0x00, 0x00, 0x00,	/* 0x06 mov eax, 'H' */
		0x8d, 0xb4, 0x00, 0x00,			/* 0x0c lea si, [si+0] */
		0xe6, 0xe9,				/* 0x10 out 0xe9, al */
		0x67, 0x66, 0x0f, 0xb6, 0x42, 0x01,	/* 0x12 movzx eax, [edx+1] */
		0x66, 0x83, 0xc2, 0x01,			/* 0x18 add edx, 1 */
		0x84, 0xc0,				/* 0x1c test al, al */
		0x75, 0xf0,				/* 0x1e jne 0x10 */
		0x66, 0xc7, 0x06, 0x00, 0x04,		/* 0x20 mov dword [0x400], */
		0x2a, 0x00, 0x00, 0x00,			/*      42 */
		0x66, 0xb8, 0x2a, 0x00, 0x00, 0x00,	/* 0x29 mov eax, 42 */
		0x90,					/* 0x2f nop */
		0xf4,					/* 0x30 hlt */
		0xeb, 0xfd,				/* 0x31 jmp 0x30 */
	};
	struct kvm_regs r;
	char out[64];
	int outs;

	LOAD(code);
	memcpy(self->g.mem + STR_GPA, HELLO, sizeof(HELLO));
	GET_REGS(&r);
	r.rax = ~0ULL;
	r.rdx = ~0ULL;
	SET_REGS(&r);
	ASSERT_EQ(0, run_console(&self->g, out, sizeof(out), &outs));
	EXPECT_STREQ(HELLO, out);
	ASSERT_EQ(KVM_EXIT_HLT, self->g.run->exit_reason);
	EXPECT_EQ(42, rd32(&self->g, 0x400));
	GET_REGS(&r);
	EXPECT_EQ(KVMC_CODE_GPA + 0x31, r.rip);
	/* 32-bit results clear bits 63:32 in real mode too. */
	EXPECT_EQ(42, r.rax);
	EXPECT_EQ(STR_GPA + strlen(HELLO), r.rdx);
}

/* Segment overrides, and a 16-bit stack: push, call, ret. */
TEST_F(real, segments_and_stack)
{
	static const uint8_t code[] = {
		0x26, 0xa2, 0x20, 0x00,	/* 0x00 mov es:[0x20], al */
		0x36, 0xa0, 0x10, 0x00,	/* 0x04 mov al, ss:[0x10] */
		0x68, 0x34, 0x12,	/* 0x08 push 0x1234 */
		0xe8, 0x02, 0x00,	/* 0x0b call 0x10 */
		0x5b,			/* 0x0e pop bx */
		0xf4,			/* 0x0f hlt */
		0x50,			/* 0x10 push ax */
		0x59,			/* 0x11 pop cx */
		0xc3,			/* 0x12 ret */
	};
	struct kvm_sregs s;
	struct kvm_regs r;

	LOAD(code);
	GET_SREGS(&s);
	s.es.selector = 0x300;
	s.es.base = 0x3000;
	s.ss.selector = 0x400;
	s.ss.base = 0x4000;
	SET_SREGS(&s);
	self->g.mem[0x4010] = 0x99;
	GET_REGS(&r);
	r.rax = 0xffff0077;
	r.rbx = 0xffffffff;
	r.rcx = 0xffffffff;
	r.rsp = 0x100;
	SET_REGS(&r);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	EXPECT_EQ(0x77, self->g.mem[0x3020]);
	GET_REGS(&r);
	EXPECT_EQ(0xffff0099, r.rax);
	EXPECT_EQ(0xffff1234, r.rbx);
	EXPECT_EQ(0xffff0099, r.rcx);
	EXPECT_EQ(0x100, r.rsp);
	EXPECT_EQ(KVMC_CODE_GPA + 0x10, r.rip);
	EXPECT_EQ(0x1234, *(uint16_t *)(self->g.mem + 0x40fe));
	EXPECT_EQ(0x100e, *(uint16_t *)(self->g.mem + 0x40fc));
}

KVMC_TEST_MAIN
