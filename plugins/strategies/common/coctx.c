/*
 * coctx.c — context switching for the coroutine strategies.  See coctx.h.
 *
 * The hand-written switches push the callee-saved state on the running stack,
 * store the stack pointer, load the other one and pop.  A new context gets a
 * fake saved frame whose "return address" is coctx_trampoline, which calls
 * coctx_start(ctx) with the stack aligned as the ABI requires at a call.
 */
#define _GNU_SOURCE
#include "coctx.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define COCTX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COCTX_ASAN 1
#endif
#endif

#ifdef COCTX_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#if defined(__SANITIZE_THREAD__)
#define COCTX_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define COCTX_TSAN 1
#endif
#endif

#ifdef COCTX_TSAN
#include <sanitizer/tsan_interface.h>
#endif

#if defined(__has_include) && !defined(COCTX_NO_VALGRIND)
#if __has_include(<valgrind/valgrind.h>) && __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>
#define COCTX_VALGRIND 1
#endif
#endif

/* Lowest usable stack: the initial frame plus a little room. */
#define COCTX_MIN_STACK 256

/* ------------------------------------------------------------------------ */
/* Sanitizer and Valgrind hooks: no-ops in ordinary builds.                  */
/* ------------------------------------------------------------------------ */

/* Right before leaving the running context for `to`.  `fake` receives
 * ASan's fake stack of the context being left; NULL means it will never run
 * again.  TSan keeps a shadow call stack per fiber. */
static inline void hook_leave(void **fake, const struct coctx *to)
{
#ifdef COCTX_ASAN
    __sanitizer_start_switch_fiber(fake, to->stack_lo, to->stack_size);
#else
    (void)fake;
#endif
#ifdef COCTX_TSAN
    __tsan_switch_to_fiber(to->tsan_fiber, 0);
#else
    (void)to;
#endif
}

/* First thing after arriving in `self`: learn the bounds of the stack we came
 * from (that is how the thread's own stack becomes known to us). */
static inline void hook_arrive(void *fake, struct coctx *self)
{
#ifdef COCTX_ASAN
    const void *lo = NULL;
    size_t size = 0;
    __sanitizer_finish_switch_fiber(fake, &lo, &size);
    if (self->from) {
        self->from->stack_lo = lo;
        self->from->stack_size = size;
    }
#else
    (void)fake;
    (void)self;
#endif
}

/* A new context on a (maybe reused) stack.  Returns 0, or -1. */
static int hook_new_stack(struct coctx *ctx)
{
#ifdef COCTX_ASAN
    /* A reused stack may still carry redzones of frames that never
     * returned (the previous owner's last switch). */
    ASAN_UNPOISON_MEMORY_REGION(ctx->stack_lo, ctx->stack_size);
#endif
#ifdef COCTX_TSAN
    ctx->tsan_fiber = __tsan_create_fiber(0);
    if (!ctx->tsan_fiber) {
        errno = ENOMEM;
        return -1;
    }
#endif
#ifdef COCTX_VALGRIND
    const char *lo = ctx->stack_lo;
    ctx->valgrind_id = VALGRIND_STACK_REGISTER(lo, lo + ctx->stack_size);
#else
    ctx->valgrind_id = 0;
#endif
    return 0;
}

void coctx_release(struct coctx *ctx)
{
#ifdef COCTX_VALGRIND
    if (ctx->valgrind_id)
        VALGRIND_STACK_DEREGISTER(ctx->valgrind_id);
#endif
    ctx->valgrind_id = 0;
#ifdef COCTX_TSAN
    if (ctx->tsan_fiber)
        __tsan_destroy_fiber(ctx->tsan_fiber);
#endif
    ctx->tsan_fiber = NULL;
}

/* Runs on the new stack, first thing; never returns. */
__attribute__((noreturn, used)) static void coctx_start(struct coctx *self);

/* Switch to `to` for the last time from a finished context. */
__attribute__((noreturn)) static void coctx_exit(struct coctx *self,
                                                 struct coctx *to);

#ifndef COCTX_USE_UCONTEXT
/* Written in assembly for each architecture below: the switch, and where a
 * new context's first switch "returns" to. */
COCTX_API void coctx_raw_switch(void **save_sp, void *new_sp);
COCTX_API void coctx_trampoline(void);

/* The assembler lines that open and close a hidden global function. */
#define ASM_FUNC_BEGIN(name)                                                 \
    ".p2align 4\n"                                                           \
    ".globl " #name "\n"                                                     \
    ".hidden " #name "\n"                                                    \
    ".type " #name ", %function\n" #name ":\n"                               \
    "    .cfi_startproc\n"
#define ASM_FUNC_END(name)                                                   \
    "    .cfi_endproc\n"                                                     \
    ".size " #name ", .-" #name "\n"
#endif

/* ------------------------------------------------------------------------ */
/* x86_64, System V                                                          */
/* ------------------------------------------------------------------------ */
#if !defined(COCTX_USE_UCONTEXT) && defined(__x86_64__)

/* void coctx_raw_switch(void **save_sp, void *new_sp)
 * Saved frame, from the saved sp upward:
 *   [mxcsr:4 | x87 cw:2 | pad:2] r15 r14 r13 r12 rbx rbp <return address> */
__asm__(
    ".pushsection .text\n"
    ASM_FUNC_BEGIN(coctx_raw_switch)
    "    pushq %rbp\n"
    "    .cfi_adjust_cfa_offset 8\n"
    "    pushq %rbx\n"
    "    .cfi_adjust_cfa_offset 8\n"
    "    pushq %r12\n"
    "    .cfi_adjust_cfa_offset 8\n"
    "    pushq %r13\n"
    "    .cfi_adjust_cfa_offset 8\n"
    "    pushq %r14\n"
    "    .cfi_adjust_cfa_offset 8\n"
    "    pushq %r15\n"
    "    .cfi_adjust_cfa_offset 8\n"
    "    subq $8, %rsp\n"
    "    .cfi_adjust_cfa_offset 8\n"
    "    stmxcsr (%rsp)\n"
    "    fnstcw 4(%rsp)\n"
    "    movq %rsp, (%rdi)\n"
    "    movq %rsi, %rsp\n"
    "    ldmxcsr (%rsp)\n"
    "    fldcw 4(%rsp)\n"
    "    addq $8, %rsp\n"
    "    .cfi_adjust_cfa_offset -8\n"
    "    popq %r15\n"
    "    .cfi_adjust_cfa_offset -8\n"
    "    popq %r14\n"
    "    .cfi_adjust_cfa_offset -8\n"
    "    popq %r13\n"
    "    .cfi_adjust_cfa_offset -8\n"
    "    popq %r12\n"
    "    .cfi_adjust_cfa_offset -8\n"
    "    popq %rbx\n"
    "    .cfi_adjust_cfa_offset -8\n"
    "    popq %rbp\n"
    "    .cfi_adjust_cfa_offset -8\n"
    "    ret\n"
    ASM_FUNC_END(coctx_raw_switch)
    "\n"
    /* Entered by `ret` with rsp 16-byte aligned, rbx = coctx_start,
     * r12 = the context.  The call pushes 8 bytes, so coctx_start sees the
     * ABI's rsp % 16 == 8 at entry.  The undefined rip ends backtraces. */
    ASM_FUNC_BEGIN(coctx_trampoline)
    "    .cfi_undefined rip\n"
    "    movq %r12, %rdi\n"
    "    callq *%rbx\n"
    "    ud2\n"
    ASM_FUNC_END(coctx_trampoline)
    ".popsection\n");

static void make_frame(struct coctx *ctx, char *top)
{
    uint32_t mxcsr;
    uint16_t fpucw;
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    __asm__ volatile("fnstcw %0" : "=m"(fpucw));

    /* After the switch's `ret` the trampoline runs with rsp == top - 16,
     * which is 16-byte aligned because `top` is. */
    uint64_t *sp = (uint64_t *)(void *)(top - 16);
    *--sp = (uint64_t)(uintptr_t)coctx_trampoline; /* return address */
    *--sp = 0;                                      /* rbp: ends fp chains */
    *--sp = (uint64_t)(uintptr_t)coctx_start;       /* rbx */
    *--sp = (uint64_t)(uintptr_t)ctx;               /* r12 */
    *--sp = 0;                                      /* r13 */
    *--sp = 0;                                      /* r14 */
    *--sp = 0;                                      /* r15 */
    *--sp = (uint64_t)mxcsr | (uint64_t)fpucw << 32;
    ctx->sp = sp;
}

#define COCTX_FLAVOUR "x86_64"

/* ------------------------------------------------------------------------ */
/* aarch64, AAPCS64                                                          */
/* ------------------------------------------------------------------------ */
#elif !defined(COCTX_USE_UCONTEXT) && defined(__aarch64__)

/* Saved frame, 160 bytes from the saved sp upward:
 *   x19 x20 x21 x22 x23 x24 x25 x26 x27 x28 x29 x30(lr) d8 ... d15 */
__asm__(
    ".pushsection .text\n"
    ASM_FUNC_BEGIN(coctx_raw_switch)
    "    sub sp, sp, #160\n"
    "    .cfi_adjust_cfa_offset 160\n"
    "    stp x19, x20, [sp, #0]\n"
    "    stp x21, x22, [sp, #16]\n"
    "    stp x23, x24, [sp, #32]\n"
    "    stp x25, x26, [sp, #48]\n"
    "    stp x27, x28, [sp, #64]\n"
    "    stp x29, x30, [sp, #80]\n"
    "    stp d8, d9, [sp, #96]\n"
    "    stp d10, d11, [sp, #112]\n"
    "    stp d12, d13, [sp, #128]\n"
    "    stp d14, d15, [sp, #144]\n"
    "    mov x9, sp\n"
    "    str x9, [x0]\n"
    "    mov sp, x1\n"
    "    ldp x19, x20, [sp, #0]\n"
    "    ldp x21, x22, [sp, #16]\n"
    "    ldp x23, x24, [sp, #32]\n"
    "    ldp x25, x26, [sp, #48]\n"
    "    ldp x27, x28, [sp, #64]\n"
    "    ldp x29, x30, [sp, #80]\n"
    "    ldp d8, d9, [sp, #96]\n"
    "    ldp d10, d11, [sp, #112]\n"
    "    ldp d12, d13, [sp, #128]\n"
    "    ldp d14, d15, [sp, #144]\n"
    "    add sp, sp, #160\n"
    "    .cfi_adjust_cfa_offset -160\n"
    "    ret\n"
    ASM_FUNC_END(coctx_raw_switch)
    "\n"
    /* Entered by `ret` with x19 = coctx_start, x20 = the context. */
    ASM_FUNC_BEGIN(coctx_trampoline)
    "    .cfi_undefined x30\n"
    "    mov x0, x20\n"
    "    blr x19\n"
    "    brk #0x3c\n"
    ASM_FUNC_END(coctx_trampoline)
    ".popsection\n");

static void make_frame(struct coctx *ctx, char *top)
{
    uint64_t *sp = (uint64_t *)(void *)(top - 160); /* 16-byte aligned */
    memset(sp, 0, 160);
    sp[0] = (uint64_t)(uintptr_t)coctx_start;      /* x19 */
    sp[1] = (uint64_t)(uintptr_t)ctx;              /* x20 */
    /* sp[10], x29 = 0, ends frame-pointer chains. */
    sp[11] = (uint64_t)(uintptr_t)coctx_trampoline; /* x30 */
    ctx->sp = sp;
}

#define COCTX_FLAVOUR "aarch64"

/* ------------------------------------------------------------------------ */
/* Anything else: ucontext                                                   */
/* ------------------------------------------------------------------------ */
#else

/* makecontext passes int arguments only: the pointer travels in two halves. */
static void ucontext_entry(unsigned hi, unsigned lo)
{
    uintptr_t p = ((uintptr_t)hi << 16 << 16) | (uintptr_t)lo;
    coctx_start((struct coctx *)p);
}

static int make_ucontext(struct coctx *ctx)
{
    if (getcontext(&ctx->uc) != 0)
        return -1;
    ctx->uc.uc_stack.ss_sp = (void *)(uintptr_t)ctx->stack_lo;
    ctx->uc.uc_stack.ss_size = ctx->stack_size;
    ctx->uc.uc_link = NULL;
    uintptr_t p = (uintptr_t)ctx;
    makecontext(&ctx->uc, (void (*)(void))ucontext_entry, 2,
                (unsigned)(p >> 16 >> 16), (unsigned)(p & 0xffffffffu));
    return 0;
}

static inline void raw_switch(struct coctx *from, struct coctx *to)
{
    /* Cannot fail with contexts made by getcontext/makecontext. */
    (void)swapcontext(&from->uc, &to->uc);
}

#define COCTX_FLAVOUR "ucontext"

#endif

/* ------------------------------------------------------------------------ */
/* Common part                                                               */
/* ------------------------------------------------------------------------ */

#ifndef COCTX_USE_UCONTEXT
static inline void raw_switch(struct coctx *from, struct coctx *to)
{
    coctx_raw_switch(&from->sp, to->sp);
}
#endif

const char *coctx_flavour(void)
{
    return COCTX_FLAVOUR;
}

void coctx_init_self(struct coctx *ctx)
{
    memset(ctx, 0, sizeof *ctx);
#ifdef COCTX_TSAN
    ctx->tsan_fiber = __tsan_get_current_fiber();
#endif
}

int coctx_make(struct coctx *ctx, void *stack_lo, size_t stack_size,
               coctx_fn fn, void *arg, struct coctx *link)
{
    uintptr_t lo = (uintptr_t)stack_lo;
    uintptr_t top = (lo + stack_size) & ~(uintptr_t)15;
    if (!stack_lo || !fn || !link || top < lo + COCTX_MIN_STACK) {
        errno = EINVAL;
        return -1;
    }
    memset(ctx, 0, sizeof *ctx);
    ctx->fn = fn;
    ctx->arg = arg;
    ctx->link = link;
    ctx->stack_lo = stack_lo;
    ctx->stack_size = top - lo;
    if (hook_new_stack(ctx) != 0) /* before writing to the stack */
        return -1;
#ifdef COCTX_USE_UCONTEXT
    if (make_ucontext(ctx) != 0) {
        coctx_release(ctx);
        return -1;
    }
#else
    make_frame(ctx, (char *)top);
#endif
    return 0;
}

size_t coctx_stack_used(const struct coctx *ctx)
{
#ifdef COCTX_USE_UCONTEXT
    (void)ctx;
    return 0;
#else
    const char *top = (const char *)ctx->stack_lo + ctx->stack_size;
    return (size_t)(top - (const char *)ctx->sp);
#endif
}

void coctx_stack_save(const struct coctx *ctx, void *buf, size_t n)
{
#ifdef COCTX_USE_UCONTEXT
    (void)ctx, (void)buf, (void)n;
#else
#ifdef COCTX_ASAN
    /* The parked frames' redzones: read them as bytes like any others. */
    ASAN_UNPOISON_MEMORY_REGION(ctx->sp, n);
#endif
    memcpy(buf, ctx->sp, n);
#endif
}

void coctx_stack_restore(const struct coctx *ctx, const void *buf, size_t n)
{
#ifdef COCTX_USE_UCONTEXT
    (void)ctx, (void)buf, (void)n;
#else
#ifdef COCTX_ASAN
    /* Whatever another context left poisoned on the stack: gone with it. */
    ASAN_UNPOISON_MEMORY_REGION(ctx->stack_lo, ctx->stack_size);
#endif
#ifdef COCTX_VALGRIND
    /* Memcheck took what lay below the last context's stack pointer for
     * freed stack: it is ours again. */
    VALGRIND_MAKE_MEM_UNDEFINED(ctx->sp, n);
#endif
    memcpy(ctx->sp, buf, n);
#endif
}

void coctx_switch(struct coctx *from, struct coctx *to)
{
    void *fake = NULL;
    to->from = from;
    hook_leave(&fake, to);
    raw_switch(from, to);
    hook_arrive(fake, from);
}

static void coctx_exit(struct coctx *self, struct coctx *to)
{
    to->from = self;
    hook_leave(NULL, to);
#ifdef COCTX_USE_UCONTEXT
    (void)setcontext(&to->uc);
#else
    raw_switch(self, to);
#endif
    __builtin_trap(); /* never resumed */
}

static void coctx_start(struct coctx *self)
{
    hook_arrive(NULL, self);
    self->fn(self->arg);
    coctx_exit(self, self->link);
}
