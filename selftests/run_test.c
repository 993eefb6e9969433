// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_RUN: real-mode guest code in a memslot, the exits it produces (I/O,
 * MMIO, HLT, internal error) and the state userspace sees before and after
 * each. Compared with upstream x86 KVM: virt/kvm/kvm_main.c
 * (kvm_vcpu_ioctl() KVM_RUN), arch/x86/kvm/x86.c (kvm_arch_vcpu_ioctl_run(),
 * kvm_fast_pio(), complete_fast_pio_out/in(), x86_emulate_instruction(),
 * complete_emulated_mmio(), kvm_emulate_halt()).
 *
 * The guest code uses only the instructions kvm_compat interprets:
 * mov r8/r16 imm, add r/m8 r8 (register and every 16-bit memory form),
 * add al imm8, mov al<->[moffs16], in/out with dx or imm8, hlt, rdmsr,
 * wrmsr.
 *
 * Deliberate difference: an instruction outside that subset runs on
 * upstream and gives KVM_EXIT_INTERNAL_ERROR (KVM_INTERNAL_ERROR_EMULATION)
 * on kvm_compat (vcpu.non_subset_instruction).
 *
 *   run_test_{64,32,x32} [DEVICE] [kselftest_harness options]
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kvm_compat_util.h"

#define NPAGES		4		/* slot 0: GPA 0x0 - 0x3fff */
#define DATA_GPA	0x3000		/* a data byte inside slot 0 */
#define NO_SLOT_GPA	0x8000		/* beyond every memslot */
#define PIO_DATA_OFFSET	4096		/* KVM_PIO_PAGE_OFFSET * PAGE_SIZE */
#define RFLAGS_FIXED	0x2ULL
#define X86_CF		0x001ULL
#define X86_PF		0x004ULL
#define X86_AF		0x010ULL
#define X86_ZF		0x040ULL
#define X86_SF		0x080ULL
#define X86_OF		0x800ULL

FIXTURE(vcpu)
{
	struct kvmc_guest g;
};

FIXTURE_SETUP(vcpu)
{
	KVMC_GUEST_SETUP(&self->g, NPAGES);
}

FIXTURE_TEARDOWN(vcpu)
{
	kvmc_guest_destroy(&self->g);
}

#define LOAD(code) do {							\
	int __r = kvmc_guest_load(&self->g, KVMC_CODE_GPA, (code),	\
				  sizeof(code));			\
	ASSERT_EQ(0, __r) TH_LOG("load: %s", kvmc_errname(-__r));	\
} while (0)

#define GET_REGS(r) ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_GET_REGS, (r)))
#define SET_REGS(r) ASSERT_EQ(0, ioctl(self->g.vcpu, KVM_SET_REGS, (r)))

static uint8_t pio_byte(const struct kvmc_guest *g)
{
	return ((const uint8_t *)g->run)[g->run->io.data_offset];
}

static void set_pio_byte(struct kvmc_guest *g, uint8_t v)
{
	((uint8_t *)g->run)[g->run->io.data_offset] = v;
}

/* The exit is a one-byte port I/O of one element. */
#define EXPECT_PIO(dir, port_) do {					\
	EXPECT_EQ(dir, self->g.run->io.direction);			\
	EXPECT_EQ(1, self->g.run->io.size);				\
	EXPECT_EQ(port_, self->g.run->io.port);				\
	EXPECT_EQ(1, self->g.run->io.count);				\
	ASSERT_EQ(PIO_DATA_OFFSET, self->g.run->io.data_offset);	\
} while (0)

/*
 * The first KVM program of LWN's "Using the KVM API": "2 + 2" and a
 * newline out of the serial port, then hlt.
 */
TEST_F(vcpu, lwn_serial_out)
{
	static const uint8_t code[] = {
		0xba, 0xf8, 0x03,	/* 0x1000 mov dx, 0x3f8 */
		0x00, 0xd8,		/* 0x1003 add al, bl */
		0x04, '0',		/* 0x1005 add al, '0' */
		0xee,			/* 0x1007 out dx, al */
		0xb0, '\n',		/* 0x1008 mov al, '\n' */
		0xee,			/* 0x100a out dx, al */
		0xf4,			/* 0x100b hlt */
	};
	struct kvm_regs r;

	LOAD(code);
	GET_REGS(&r);
	r.rax = 2;
	r.rbx = 2;
	SET_REGS(&r);

	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_IO);
	EXPECT_PIO(KVM_EXIT_IO_OUT, 0x3f8);
	EXPECT_EQ('4', pio_byte(&self->g));
	/* The OUT is completed by the next KVM_RUN: RIP is still on it. */
	GET_REGS(&r);
	EXPECT_EQ(0x1007, r.rip);
	EXPECT_EQ(0x34, r.rax);
	EXPECT_EQ(0x3f8, r.rdx);

	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_IO);
	EXPECT_PIO(KVM_EXIT_IO_OUT, 0x3f8);
	EXPECT_EQ('\n', pio_byte(&self->g));
	GET_REGS(&r);
	EXPECT_EQ(0x100a, r.rip);

	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	GET_REGS(&r);
	/* kvm_emulate_halt() skips the HLT before exiting. */
	EXPECT_EQ(0x100c, r.rip);
	EXPECT_EQ('\n', r.rax);
	EXPECT_EQ(2, r.rbx);
	EXPECT_EQ(0, r.rcx);
	EXPECT_EQ(0x3f8, r.rdx);
	EXPECT_EQ(0, r.rsi | r.rdi | r.rsp | r.rbp);
	EXPECT_EQ(0, r.r8 | r.r9 | r.r10 | r.r11 | r.r12 | r.r13 | r.r14 | r.r15);
	/* 4 + 0x30 = 0x34: no arithmetic flag set. */
	EXPECT_EQ(RFLAGS_FIXED, r.rflags);
}

/* 8- and 16-bit writes keep the rest of the 64-bit register. */
TEST_F(vcpu, partial_register_writes)
{
	static const uint8_t code[] = {
		0xba, 0x34, 0x12,	/* mov dx, 0x1234 */
		0xb3, 0x05,		/* mov bl, 5 */
		0x00, 0xd8,		/* add al, bl */
		0xb9, 0xcd, 0xab,	/* mov cx, 0xabcd */
		0xb0, 0x80,		/* mov al, 0x80: overwrites the sum */
		0x04, 0x01,		/* add al, 1 */
		0xf4,			/* hlt */
	};
	struct kvm_regs r;

	LOAD(code);
	GET_REGS(&r);
	r.rax = 0x1122334455667700ULL;
	r.rbx = 0x8877665544332211ULL;
	r.rcx = 0xffffffffffffffffULL;
	r.rdx = 0xfedcba9876543210ULL;
	SET_REGS(&r);

	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	GET_REGS(&r);
	EXPECT_EQ(0x1122334455667781ULL, r.rax);
	EXPECT_EQ(0x8877665544332205ULL, r.rbx);
	EXPECT_EQ(0xffffffffffffabcdULL, r.rcx);
	EXPECT_EQ(0xfedcba9876541234ULL, r.rdx);
	EXPECT_EQ(KVMC_CODE_GPA + sizeof(code), r.rip);
}

/* ADD sets CF, PF, AF, ZF, SF and OF from the 8-bit result. */
TEST_F(vcpu, add_flags)
{
	static const uint8_t code[] = {
		0x04, 0x01,		/* 0x1000 add al, 1 */
		0xf4,			/* 0x1002 hlt */
		0x00, 0xd8,		/* 0x1003 add al, bl */
		0xf4,			/* 0x1005 hlt */
	};
	static const struct {
		uint8_t al, bl;
		uint64_t rip;
		uint8_t sum;
		uint64_t flags;
	} c[] = {
		{ 0x7f, 0, 0x1000, 0x80, X86_OF | X86_SF | X86_AF },
		{ 0xff, 0, 0x1000, 0x00, X86_CF | X86_PF | X86_AF | X86_ZF },
		{ 0x0f, 1, 0x1003, 0x10, X86_AF },
		{ 0x81, 0x82, 0x1003, 0x03, X86_CF | X86_OF | X86_PF },
		{ 0x01, 0x02, 0x1003, 0x03, X86_PF },
	};
	struct kvm_regs r;
	size_t i;

	LOAD(code);
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		GET_REGS(&r);
		r.rax = c[i].al;
		r.rbx = c[i].bl;
		r.rip = c[i].rip;
		r.rflags = RFLAGS_FIXED;
		SET_REGS(&r);
		KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
		GET_REGS(&r);
		EXPECT_EQ(c[i].sum, r.rax) TH_LOG("case %zu", i);
		EXPECT_EQ(c[i].flags | RFLAGS_FIXED, r.rflags)
			TH_LOG("case %zu: %#x + %#x", i, c[i].al,
			       c[i].bl ? c[i].bl : 1);
	}
}

/* add [disp16], al: read-modify-write of guest memory through DS. */
TEST_F(vcpu, add_to_memory)
{
	static const uint8_t code[] = {
		0xb0, 0x05,		/* mov al, 5 */
		0x00, 0x06, 0x00, 0x30,	/* add [0x3000], al */
		0x00, 0x06, 0x00, 0x30,	/* add [0x3000], al */
		0xf4,			/* hlt */
	};
	struct kvm_regs r;

	LOAD(code);
	self->g.mem[DATA_GPA] = 0xfe;
	self->g.mem[DATA_GPA + 1] = 0x77;
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	EXPECT_EQ(0x08, self->g.mem[DATA_GPA]);
	EXPECT_EQ(0x77, self->g.mem[DATA_GPA + 1]);
	GET_REGS(&r);
	EXPECT_EQ(5, r.rax);
	/* The last add: 3 + 5 = 8, no carry from 0x03 + 0x05 nibbles. */
	EXPECT_EQ(RFLAGS_FIXED, r.rflags);
}

/*
 * add [modrm], al in every 16-bit addressing form: the eight base/index
 * combinations with no, 8-bit (negative) and 16-bit displacement, and
 * [disp16]; [bp...] forms address through SS, the others through DS, and
 * the offset wraps at 64 KiB. DS and SS have different bases, so a wrong
 * register, displacement or segment changes another byte.
 */
TEST_F(vcpu, add_modrm_addressing)
{
	enum { BX = 0x100, BP = 0x200, SI = 0x20, DI = 0x40 };
	static const uint16_t base[8] = {
		BX + SI, BX + DI, BP + SI, BP + DI, SI, DI, BP, BX,
	};
	const uint64_t ds = 0x2000, ss = 0x2800, lo = 0x2000, hi = 0x3000;
	const int8_t disp8 = -0x10;
	const uint16_t disp16 = 0x0300;
	unsigned int mod, rm, n;
	struct kvm_regs r;
	uint64_t want, a;

	ASSERT_EQ(0, kvmc_set_real_seg(self->g.vcpu, KVMC_SEG_DS, ds >> 4));
	ASSERT_EQ(0, kvmc_set_real_seg(self->g.vcpu, KVMC_SEG_SS, ss >> 4));
	/* mod 0..2 with rm 0..7, then [si + disp16] wrapping past 0xffff. */
	for (n = 0; n <= 24; n++) {
		uint8_t code[] = { 0x00, 0, 0, 0, 0xf4 };	/* add, hlt */
		uint16_t si = SI, off;

		mod = n < 24 ? n / 8 : 2;
		rm = n < 24 ? n % 8 : 4;
		code[1] = mod << 6 | rm;	/* reg = 0: al */
		if (mod == 0 && rm == 6) {
			off = disp16;
		} else {
			off = base[rm];
			if (mod == 1)
				off += disp8;
			if (mod == 2)
				off += disp16;
		}
		if (n == 24) {
			si = 0xff80;	/* 0xff80 + 0x300 = 0x10280 */
			off = 0x0280;
		}
		if (mod == 1) {
			code[2] = (uint8_t)disp8;
			code[3] = 0xf4;
		} else if (mod == 2 || rm == 6) {
			code[2] = disp16 & 0xff;
			code[3] = disp16 >> 8;
		} else {
			code[2] = 0xf4;
		}
		want = ((rm == 2 || rm == 3 || (rm == 6 && mod)) ? ss : ds) + off;

		memset(self->g.mem + lo, 0, hi - lo);
		LOAD(code);
		GET_REGS(&r);
		r.rax = 1;
		r.rbx = BX;
		r.rbp = BP;
		r.rsi = si;
		r.rdi = DI;
		SET_REGS(&r);
		KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
		EXPECT_EQ(1, self->g.mem[want]) TH_LOG("modrm %#x", code[1]);
		for (a = lo; a < hi; a++)
			if (a != want && self->g.mem[a])
				EXPECT_EQ(want, a) TH_LOG("modrm %#x", code[1]);
	}
}

/*
 * in al, dx: userspace fills the byte at data_offset; the next KVM_RUN
 * merges it into AL (complete_fast_pio_in()).
 */
TEST_F(vcpu, io_in)
{
	static const uint8_t code[] = {
		0xba, 0x60, 0x00,	/* 0x1000 mov dx, 0x60 */
		0xec,			/* 0x1003 in al, dx */
		0xa2, 0x00, 0x30,	/* 0x1004 mov [0x3000], al */
		0xf4,			/* 0x1007 hlt */
	};
	struct kvm_regs r;

	LOAD(code);
	GET_REGS(&r);
	r.rax = 0xffffffff12345600ULL;
	SET_REGS(&r);

	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_IO);
	EXPECT_PIO(KVM_EXIT_IO_IN, 0x60);
	GET_REGS(&r);
	EXPECT_EQ(0x1003, r.rip);
	EXPECT_EQ(0xffffffff12345600ULL, r.rax);
	set_pio_byte(&self->g, 0xab);

	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	GET_REGS(&r);
	EXPECT_EQ(0xffffffff123456abULL, r.rax);
	EXPECT_EQ(0x1008, r.rip);
	EXPECT_EQ(0xab, self->g.mem[DATA_GPA]);
}

/* mov al, [moffs16] from the memslot, then out imm8, al. */
TEST_F(vcpu, load_and_out_imm8)
{
	static const uint8_t code[] = {
		0xa0, 0x00, 0x30,	/* 0x1000 mov al, [0x3000] */
		0xe6, 0x80,		/* 0x1003 out 0x80, al */
		0xf4,			/* 0x1005 hlt */
	};
	struct kvm_regs r;

	LOAD(code);
	self->g.mem[DATA_GPA] = 0x5c;
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_IO);
	EXPECT_PIO(KVM_EXIT_IO_OUT, 0x80);
	EXPECT_EQ(0x5c, pio_byte(&self->g));
	GET_REGS(&r);
	EXPECT_EQ(0x1003, r.rip);
	EXPECT_EQ(0x5c, r.rax);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	GET_REGS(&r);
	EXPECT_EQ(0x1006, r.rip);
}

/*
 * KVM_X86_QUIRK_OUT_7E_INC_RIP (on by default): for OUT to port 0x7e,
 * RIP is past the instruction already at the exit.
 */
TEST_F(vcpu, out_port_0x7e_quirk)
{
	static const uint8_t code[] = {
		0xb0, 0x11,		/* 0x1000 mov al, 0x11 */
		0xe6, 0x7e,		/* 0x1002 out 0x7e, al */
		0xf4,			/* 0x1004 hlt */
	};
	uint64_t rip;

	LOAD(code);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_IO);
	EXPECT_PIO(KVM_EXIT_IO_OUT, 0x7e);
	EXPECT_EQ(0x11, pio_byte(&self->g));
	ASSERT_EQ(0, kvmc_get_rip(self->g.vcpu, &rip));
	EXPECT_EQ(0x1004, rip);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	ASSERT_EQ(0, kvmc_get_rip(self->g.vcpu, &rip));
	EXPECT_EQ(0x1005, rip);
}

/*
 * A store outside every memslot: KVM_EXIT_MMIO. The emulator has
 * written the instruction back already (RIP past it) when it exits.
 */
TEST_F(vcpu, mmio_write)
{
	static const uint8_t code[] = {
		0xb0, 0x99,		/* 0x1000 mov al, 0x99 */
		0xa2, 0x10, 0x00,	/* 0x1002 mov [0x0010], al: DS 0xa000 */
		0xf4,			/* 0x1005 hlt */
	};
	uint64_t rip;

	LOAD(code);
	ASSERT_EQ(0, kvmc_set_real_seg(self->g.vcpu, KVMC_SEG_DS, 0xa000));
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_MMIO);
	EXPECT_EQ(0xa0010, self->g.run->mmio.phys_addr);
	EXPECT_EQ(1, self->g.run->mmio.len);
	EXPECT_EQ(1, self->g.run->mmio.is_write);
	EXPECT_EQ(0x99, self->g.run->mmio.data[0]);
	ASSERT_EQ(0, kvmc_get_rip(self->g.vcpu, &rip));
	EXPECT_EQ(0x1005, rip);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	ASSERT_EQ(0, kvmc_get_rip(self->g.vcpu, &rip));
	EXPECT_EQ(0x1006, rip);
}

/*
 * A load outside every memslot: KVM_EXIT_MMIO with RIP still on the
 * instruction; the next KVM_RUN takes run->mmio.data into AL.
 */
TEST_F(vcpu, mmio_read)
{
	static const uint8_t code[] = {
		0xa0, 0x00, 0x80,	/* 0x1000 mov al, [0x8000] */
		0xa2, 0x00, 0x30,	/* 0x1003 mov [0x3000], al */
		0xf4,			/* 0x1006 hlt */
	};
	struct kvm_regs r;

	LOAD(code);
	GET_REGS(&r);
	r.rax = 0x4444444444444444ULL;
	SET_REGS(&r);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_MMIO);
	EXPECT_EQ(NO_SLOT_GPA, self->g.run->mmio.phys_addr);
	EXPECT_EQ(1, self->g.run->mmio.len);
	EXPECT_EQ(0, self->g.run->mmio.is_write);
	GET_REGS(&r);
	EXPECT_EQ(0x1000, r.rip);
	self->g.run->mmio.data[0] = 0x77;
	memset(&self->g.run->mmio.data[1], 0xee, 7);

	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	GET_REGS(&r);
	EXPECT_EQ(0x4444444444444477ULL, r.rax);
	EXPECT_EQ(0x1007, r.rip);
	EXPECT_EQ(0x77, self->g.mem[DATA_GPA]);
	EXPECT_EQ(0, self->g.mem[DATA_GPA + 1]);
}

/*
 * A KVM_MEM_READONLY slot: loads read the memory, stores exit as MMIO
 * and leave the memory alone.
 */
TEST_F(vcpu, readonly_slot_store_is_mmio)
{
	static const uint8_t code[] = {
		0xa0, 0x00, 0x80,	/* 0x1000 mov al, [0x8000] */
		0xa2, 0x01, 0x80,	/* 0x1003 mov [0x8001], al */
		0xf4,			/* 0x1006 hlt */
	};
	uint8_t *ro = kvmc_map_pages(1);
	uint64_t rip;

	ASSERT_NE(NULL, ro);
	ro[0] = 0x66;
	ro[1] = 0x11;
	ASSERT_EQ(0, kvmc_set_region(self->g.vm, 1, KVM_MEM_READONLY,
				     NO_SLOT_GPA, KVMC_PAGE_SIZE, KVMC_HVA(ro)));
	LOAD(code);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_MMIO);
	EXPECT_EQ(NO_SLOT_GPA + 1, self->g.run->mmio.phys_addr);
	EXPECT_EQ(1, self->g.run->mmio.len);
	EXPECT_EQ(1, self->g.run->mmio.is_write);
	EXPECT_EQ(0x66, self->g.run->mmio.data[0]);
	ASSERT_EQ(0, kvmc_get_rip(self->g.vcpu, &rip));
	EXPECT_EQ(0x1006, rip);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	EXPECT_EQ(0x11, ro[1]);
	ASSERT_EQ(0, kvmc_set_region(self->g.vm, 1, KVM_MEM_READONLY,
				     NO_SLOT_GPA, 0, 0));
	munmap(ro, KVMC_PAGE_SIZE);
}

/* After a HLT exit, KVM_RUN goes on with the next instruction. */
TEST_F(vcpu, run_after_hlt)
{
	static const uint8_t code[] = {
		0xf4,			/* 0x1000 hlt */
		0xb0, 0x42,		/* 0x1001 mov al, 0x42 */
		0xa2, 0x00, 0x30,	/* 0x1003 mov [0x3000], al */
		0xf4,			/* 0x1006 hlt */
	};
	uint64_t rip;

	LOAD(code);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	ASSERT_EQ(0, kvmc_get_rip(self->g.vcpu, &rip));
	EXPECT_EQ(0x1001, rip);
	EXPECT_EQ(0, self->g.mem[DATA_GPA]);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	ASSERT_EQ(0, kvmc_get_rip(self->g.vcpu, &rip));
	EXPECT_EQ(0x1007, rip);
	EXPECT_EQ(0x42, self->g.mem[DATA_GPA]);
}

/*
 * A real-mode guest with ss.dpl = 3 left by KVM_SET_SREGS (many VMMs copy
 * kvm_segment as it comes): kvm-amd keeps SS.DPL as the CPL
 * (svm_set_segment(), svm_get_cpl()) in real mode too, so hlt raises #GP,
 * delivered through the IVT: the handler's out exits (rip on it, as for
 * any port I/O exit), and the frame holds the hlt's address.  kvm_compat's first guest
 * revision had no CPL and halts, as it always did.
 */
#define GP_HANDLER	0x1100
#define GP_STACK	0x2000

static void load_hlt_ss_dpl_3(struct __test_metadata *_metadata,
			      struct kvmc_guest *g)
{
	static const uint8_t code[] = { 0xf4 };	/* 0x1000 hlt */
	static const uint8_t handler[] = {
		0xe6, 0x10,		/* 0x1100 out 0x10, al */
		0xf4,			/* 0x1102 hlt */
	};
	struct kvm_sregs s;
	struct kvm_regs r;

	memcpy(g->mem + GP_HANDLER, handler, sizeof(handler));
	g->mem[13 * 4] = GP_HANDLER & 0xff;	/* IVT[13]: 0000:1100 */
	g->mem[13 * 4 + 1] = GP_HANDLER >> 8;
	ASSERT_EQ(0, kvmc_guest_load(g, KVMC_CODE_GPA, code, sizeof(code)));
	ASSERT_EQ(0, ioctl(g->vcpu, KVM_GET_REGS, &r));
	r.rsp = GP_STACK;
	ASSERT_EQ(0, ioctl(g->vcpu, KVM_SET_REGS, &r));
	ASSERT_EQ(0, ioctl(g->vcpu, KVM_GET_SREGS, &s));
	s.ss.dpl = 3;
	ASSERT_EQ(0, ioctl(g->vcpu, KVM_SET_SREGS, &s));
	ASSERT_EQ(0, ioctl(g->vcpu, KVM_GET_SREGS, &s));
	EXPECT_EQ(3, s.ss.dpl);
}

TEST_F(vcpu, real_mode_hlt_ss_dpl_3)
{
	struct kvmc_guest g1;
	struct kvm_regs r;
	uint16_t frame[3];
	uint64_t rip;
	int sys, ret;

	load_hlt_ss_dpl_3(_metadata, &self->g);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_IO);
	EXPECT_PIO(KVM_EXIT_IO_OUT, 0x10);
	GET_REGS(&r);
	EXPECT_EQ(GP_HANDLER, r.rip);	/* the out completes on KVM_RUN */
	EXPECT_EQ(GP_STACK - 6, r.rsp);
	memcpy(frame, self->g.mem + GP_STACK - 6, sizeof(frame));
	EXPECT_EQ(KVMC_CODE_GPA, frame[0]);	/* ip of the hlt */
	EXPECT_EQ(0, frame[1]);			/* cs */

	sys = kvmc_open();
	ASSERT_LE(0, sys);
	if (kvmc_check_ext(sys, KVMC_CAP_GUEST_REV) <= 0) {
		close(sys);
		return;		/* upstream: no guest revisions */
	}
	ret = kvmc_guest_create_vm(&g1, sys, NPAGES, 0);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, kvmc_enable_cap(g1.vm, KVMC_CAP_GUEST_REV, 1));
	ret = kvmc_guest_create_vcpu(&g1);
	ASSERT_EQ(0, ret);
	load_hlt_ss_dpl_3(_metadata, &g1);
	KVMC_RUN_EXPECT(&g1, KVM_EXIT_HLT);
	ASSERT_EQ(0, kvmc_get_rip(g1.vcpu, &rip));
	EXPECT_EQ(0x1001, rip);
	kvmc_guest_destroy(&g1);
}

/* CS base and IP: the code runs from CS 0x100, IP 0. */
TEST_F(vcpu, code_segment_base)
{
	static const uint8_t code[] = {
		0xb0, 0x24,		/* mov al, 0x24 */
		0xa2, 0x00, 0x30,	/* mov [0x3000], al */
		0xf4,			/* hlt */
	};
	uint64_t rip;

	LOAD(code);
	ASSERT_EQ(0, kvmc_set_real_seg(self->g.vcpu, KVMC_SEG_CS, 0x100));
	ASSERT_EQ(0, kvmc_set_rip(self->g.vcpu, 0));
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	ASSERT_EQ(0, kvmc_get_rip(self->g.vcpu, &rip));
	EXPECT_EQ(sizeof(code), rip);
	EXPECT_EQ(0x24, self->g.mem[DATA_GPA]);
}

/*
 * immediate_exit: EINTR before any guest instruction; exit_reason is left
 * as it was (kvm_arch_vcpu_ioctl_run() only clears run->flags).
 */
TEST_F(vcpu, immediate_exit)
{
	static const uint8_t code[] = {
		0xb0, 0x42,		/* mov al, 0x42 */
		0xa2, 0x00, 0x30,	/* mov [0x3000], al */
		0xf4,			/* hlt */
	};
	uint64_t rip;

	LOAD(code);
	self->g.run->immediate_exit = 1;
	self->g.run->exit_reason = 0x5a5a;
	ASSERT_EQ(-EINTR, kvmc_run(self->g.vcpu));
	EXPECT_EQ(0x5a5a, self->g.run->exit_reason)
		TH_LOG("exit_reason %s", kvmc_exit_name(self->g.run->exit_reason));
	ASSERT_EQ(0, kvmc_get_rip(self->g.vcpu, &rip));
	EXPECT_EQ(KVMC_CODE_GPA, rip);
	EXPECT_EQ(0, self->g.mem[DATA_GPA]);
	/* Still set: KVM never clears immediate_exit. */
	EXPECT_EQ(1, self->g.run->immediate_exit);

	self->g.run->immediate_exit = 0;
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	EXPECT_EQ(0x42, self->g.mem[DATA_GPA]);

	/* After an exit too: the HLT exit stays in exit_reason. */
	self->g.run->immediate_exit = 1;
	ASSERT_EQ(-EINTR, kvmc_run(self->g.vcpu));
	EXPECT_EQ(KVM_EXIT_HLT, self->g.run->exit_reason);
	ASSERT_EQ(0, kvmc_get_rip(self->g.vcpu, &rip));
	EXPECT_EQ(KVMC_CODE_GPA + sizeof(code), rip);
}

/*
 * With immediate_exit set, KVM_RUN still completes a pending OUT or IN
 * (complete_userspace_io runs first) and then returns EINTR.
 */
TEST_F(vcpu, immediate_exit_completes_pio)
{
	static const uint8_t code[] = {
		0xb0, 0x31,		/* 0x1000 mov al, 0x31 */
		0xe6, 0x90,		/* 0x1002 out 0x90, al */
		0xec,			/* 0x1004 in al, dx */
		0xa2, 0x00, 0x30,	/* 0x1005 mov [0x3000], al */
		0xf4,			/* 0x1008 hlt */
	};
	struct kvm_regs r;

	LOAD(code);
	GET_REGS(&r);
	r.rdx = 0x71;
	SET_REGS(&r);

	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_IO);
	EXPECT_PIO(KVM_EXIT_IO_OUT, 0x90);
	self->g.run->immediate_exit = 1;
	ASSERT_EQ(-EINTR, kvmc_run(self->g.vcpu));
	EXPECT_EQ(KVM_EXIT_IO, self->g.run->exit_reason);
	GET_REGS(&r);
	EXPECT_EQ(0x1004, r.rip);

	self->g.run->immediate_exit = 0;
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_IO);
	EXPECT_PIO(KVM_EXIT_IO_IN, 0x71);
	set_pio_byte(&self->g, 0xc3);
	self->g.run->immediate_exit = 1;
	ASSERT_EQ(-EINTR, kvmc_run(self->g.vcpu));
	GET_REGS(&r);
	EXPECT_EQ(0x1005, r.rip);
	EXPECT_EQ(0xc3, r.rax);
	EXPECT_EQ(0, self->g.mem[DATA_GPA]);

	self->g.run->immediate_exit = 0;
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	EXPECT_EQ(0xc3, self->g.mem[DATA_GPA]);
}

/*
 * complete_fast_pio_out/in() drop the completion when userspace moved
 * RIP during the exit: no skip, and IN leaves AL alone.
 */
TEST_F(vcpu, pio_completion_dropped_after_set_rip)
{
	static const uint8_t code[] = {
		0xee,			/* 0x1000 out dx, al */
		0xf4,			/* 0x1001 hlt */
		0xec,			/* 0x1002 in al, dx */
		0xf4,			/* 0x1003 hlt */
	};
	static const uint8_t other[] = {
		0xb0, 0x33,		/* 0x1100 mov al, 0x33 */
		0xa2, 0x00, 0x30,	/* 0x1102 mov [0x3000], al */
		0xf4,			/* 0x1105 hlt */
	};
	struct kvm_regs r;

	LOAD(code);
	memcpy(self->g.mem + 0x1100, other, sizeof(other));
	GET_REGS(&r);
	r.rdx = 0x20;
	SET_REGS(&r);

	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_IO);
	EXPECT_PIO(KVM_EXIT_IO_OUT, 0x20);
	ASSERT_EQ(0, kvmc_set_rip(self->g.vcpu, 0x1100));
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	GET_REGS(&r);
	EXPECT_EQ(0x1106, r.rip);
	EXPECT_EQ(0x33, self->g.mem[DATA_GPA]);

	ASSERT_EQ(0, kvmc_set_rip(self->g.vcpu, 0x1002));
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_IO);
	EXPECT_PIO(KVM_EXIT_IO_IN, 0x20);
	set_pio_byte(&self->g, 0xee);
	GET_REGS(&r);
	r.rip = 0x1105;
	SET_REGS(&r);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	GET_REGS(&r);
	EXPECT_EQ(0x1106, r.rip);
	EXPECT_EQ(0x33, r.rax);
}

#ifndef MADV_HWPOISON
#define MADV_HWPOISON	100
#endif
#ifndef BUS_MCEERR_AR
#define BUS_MCEERR_AR	4
#endif

static volatile sig_atomic_t hwpoison_code;
static void *volatile hwpoison_addr;

static void hwpoison_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	hwpoison_code = si->si_code;
	hwpoison_addr = si->si_addr;
}

/*
 * A guest read of a poisoned page: upstream's hva_to_pfn() gets
 * -EHWPOISON from gup (FOLL_HWPOISON), kvm_send_hwpoison_signal() sends
 * the vCPU thread SIGBUS with BUS_MCEERR_AR and the host address, and the
 * pending signal ends KVM_RUN with EINTR and KVM_EXIT_INTR.  Needs root
 * and CONFIG_MEMORY_FAILURE (madvise(MADV_HWPOISON)).
 */
TEST_F(vcpu, hwpoison_sigbus)
{
	static const uint8_t code[] = {
		0xa0, 0x00, 0x30,	/* 0x1000 mov al, [0x3000] */
		0xf4,			/* 0x1003 hlt */
	};
	struct sigaction sa = { .sa_sigaction = hwpoison_sigbus,
				.sa_flags = SA_SIGINFO };
	struct sigaction old;
	uint8_t *page = self->g.mem + DATA_GPA;

	LOAD(code);
	page[0] = 0x11;
	/* Poisoning a dirty page may signal its owner already (MCEERR_AO). */
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, &old));
	if (madvise(page, KVMC_PAGE_SIZE, MADV_HWPOISON)) {
		ASSERT_EQ(0, sigaction(SIGBUS, &old, NULL));
		SKIP(return, "madvise(MADV_HWPOISON): %s (root and CONFIG_MEMORY_FAILURE)",
		     kvmc_errname(errno));
	}
	TH_LOG("after madvise: SIGBUS code %d", (int)hwpoison_code);
	hwpoison_code = 0;
	hwpoison_addr = NULL;
	EXPECT_EQ(-EINTR, kvmc_run(self->g.vcpu));
	EXPECT_EQ(KVM_EXIT_INTR, self->g.run->exit_reason);
	EXPECT_EQ(BUS_MCEERR_AR, hwpoison_code);
	EXPECT_EQ((void *)page, hwpoison_addr);
	ASSERT_EQ(0, sigaction(SIGBUS, &old, NULL));
}

/*
 * The KVM_RUN after an MMIO read exit finishes the load before it looks
 * at immediate_exit (complete_emulated_mmio() runs as the
 * complete_userspace_io callback first): with immediate_exit set it
 * returns -EINTR with the byte in AL and rip past the load, and the store
 * after it has not run.  So a VMM can quiesce a vCPU without the device
 * register being read twice.
 */
TEST_F(vcpu, immediate_exit_completes_mmio_read)
{
	static const uint8_t code[] = {
		0xa0, 0x00, 0x80,	/* 0x1000 mov al, [0x8000] */
		0xa2, 0x00, 0x30,	/* 0x1003 mov [0x3000], al */
		0xf4,			/* 0x1006 hlt */
	};
	struct kvm_regs r;

	LOAD(code);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_MMIO);
	EXPECT_EQ(NO_SLOT_GPA, self->g.run->mmio.phys_addr);
	EXPECT_EQ(0, self->g.run->mmio.is_write);
	self->g.run->mmio.data[0] = 0x5a;
	self->g.run->immediate_exit = 1;
	ASSERT_EQ(-EINTR, kvmc_run(self->g.vcpu));
	GET_REGS(&r);
	EXPECT_EQ(0x1003, r.rip);
	EXPECT_EQ(0x5a, r.rax & 0xff);
	EXPECT_EQ(0, self->g.mem[DATA_GPA]);

	self->g.run->immediate_exit = 0;
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
	EXPECT_EQ(0x5a, self->g.mem[DATA_GPA]);
}

/*
 * KVM_SET_REGS while an MMIO read waits for userspace.  Upstream completes
 * it by re-entering the emulator on the instruction it decoded
 * (complete_emulated_mmio(), EMULTYPE_NO_DECODE) with no rip check, so
 * rip goes on after the load whatever userspace set; but __set_regs()
 * set emulate_regs_need_sync_from_vcpu, the emulator drops its register
 * cache, and the loaded byte never reaches AL.  kvm_compat completes the
 * load when rip is where the exit left it and abandons it, as port I/O,
 * when userspace moved rip (Documentation/divergences.rst).
 */
static void mmio_read_then_set_regs(struct __test_metadata *_metadata,
				    struct kvmc_guest *g, uint64_t new_rip)
{
	static const uint8_t code[] = {
		0xa0, 0x00, 0x80,	/* 0x1000 mov al, [0x8000] */
		0xa2, 0x00, 0x30,	/* 0x1003 mov [0x3000], al */
		0xf4,			/* 0x1006 hlt */
	};
	static const uint8_t other[] = {
		0xb0, 0x33,		/* 0x1100 mov al, 0x33 */
		0xa2, 0x00, 0x30,	/* 0x1102 mov [0x3000], al */
		0xf4,			/* 0x1105 hlt */
	};
	struct kvm_regs r;

	ASSERT_EQ(0, kvmc_guest_load(g, KVMC_CODE_GPA, code, sizeof(code)));
	memcpy(g->mem + 0x1100, other, sizeof(other));
	ASSERT_EQ(0, ioctl(g->vcpu, KVM_GET_REGS, &r));
	r.rax = 0x4444;
	ASSERT_EQ(0, ioctl(g->vcpu, KVM_SET_REGS, &r));
	KVMC_RUN_EXPECT(g, KVM_EXIT_MMIO);
	EXPECT_EQ(NO_SLOT_GPA, g->run->mmio.phys_addr);
	g->run->mmio.data[0] = 0x77;
	ASSERT_EQ(0, kvmc_set_rip(g->vcpu, new_rip));
	KVMC_RUN_EXPECT(g, KVM_EXIT_HLT);
	ASSERT_EQ(0, ioctl(g->vcpu, KVM_GET_REGS, &r));
	TH_LOG("%s, rip set to %#llx: rip %#llx rax %#llx [0x3000] %#x",
	       kvmc_device(), (unsigned long long)new_rip,
	       (unsigned long long)r.rip, (unsigned long long)r.rax,
	       g->mem[DATA_GPA]);
	if (kvmc_is_upstream()) {
		EXPECT_EQ(0x1007, r.rip);
		EXPECT_EQ(0x4444, r.rax);
		EXPECT_EQ(0x44, g->mem[DATA_GPA]);
	} else if (new_rip == 0x1000) {
		EXPECT_EQ(0x1007, r.rip);
		EXPECT_EQ(0x4477, r.rax);
		EXPECT_EQ(0x77, g->mem[DATA_GPA]);
	} else {
		EXPECT_EQ(0x1106, r.rip);
		EXPECT_EQ(0x4433, r.rax);
		EXPECT_EQ(0x33, g->mem[DATA_GPA]);
	}
}

TEST_F(vcpu, mmio_read_set_regs_same_rip)
{
	mmio_read_then_set_regs(_metadata, &self->g, 0x1000);
}

TEST_F(vcpu, mmio_read_set_regs_moved_rip)
{
	mmio_read_then_set_regs(_metadata, &self->g, 0x1100);
}

/* kvm_vcpu_ioctl(): KVM_RUN with a non-zero argument is EINVAL. */
TEST_F(vcpu, run_arg_einval)
{
	static const uint8_t code[] = { 0xf4 };
	uint64_t rip;

	LOAD(code);
	EXPECT_EQ(-1, ioctl(self->g.vcpu, KVM_RUN, 1UL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->g.vcpu, KVM_RUN, ~0UL));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, kvmc_get_rip(self->g.vcpu, &rip));
	EXPECT_EQ(KVMC_CODE_GPA, rip);
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
}

/*
 * Code fetched from a GPA outside every memslot cannot be emulated:
 * KVM_EXIT_INTERNAL_ERROR, KVM_INTERNAL_ERROR_EMULATION.
 */
TEST_F(vcpu, fetch_outside_memslots)
{
	uint64_t rip;

	ASSERT_EQ(0, kvmc_set_rip(self->g.vcpu, NO_SLOT_GPA));
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_INTERNAL_ERROR);
	EXPECT_EQ(KVM_INTERNAL_ERROR_EMULATION, self->g.run->internal.suberror);
	ASSERT_EQ(0, kvmc_get_rip(self->g.vcpu, &rip));
	EXPECT_EQ(NO_SLOT_GPA, rip);
}

/*
 * THE documented divergence: "xchg ax, bx" is not in kvm_compat's subset.
 * Upstream runs it; kvm_compat stops with an emulation failure, RIP on
 * the instruction.
 */
TEST_F(vcpu, non_subset_instruction)
{
	static const uint8_t code[] = {
		0x93,			/* 0x1000 xchg ax, bx */
		0xf4,			/* 0x1001 hlt */
	};
	struct kvm_regs r;

	LOAD(code);
	GET_REGS(&r);
	r.rax = 0x1234;
	r.rbx = 0x5678;
	SET_REGS(&r);
	if (kvmc_is_upstream()) {
		KVMC_RUN_EXPECT(&self->g, KVM_EXIT_HLT);
		GET_REGS(&r);
		EXPECT_EQ(0x5678, r.rax);
		EXPECT_EQ(0x1234, r.rbx);
		EXPECT_EQ(0x1002, r.rip);
		return;
	}
	KVMC_RUN_EXPECT(&self->g, KVM_EXIT_INTERNAL_ERROR);
	EXPECT_EQ(KVM_INTERNAL_ERROR_EMULATION, self->g.run->internal.suberror);
	GET_REGS(&r);
	EXPECT_EQ(0x1234, r.rax);
	EXPECT_EQ(0x5678, r.rbx);
	EXPECT_EQ(0x1000, r.rip);
}

KVMC_TEST_MAIN
