/*
 * coctx.h — minimal execution contexts for the coroutine strategies (private).
 *
 * A context is a saved machine state on its own stack.  coctx_switch() saves
 * the callee-saved state of the caller into `from` and resumes `to`:
 *   x86_64   rbx rbp r12-r15 rsp, MXCSR and the x87 control word;
 *   aarch64  x19-x30 sp d8-d15;
 *   others   ucontext (getcontext/makecontext/swapcontext), which also
 *            saves the signal mask with one syscall per switch.
 * Define COCTX_USE_UCONTEXT to force the ucontext fallback (for testing it).
 *
 * Under AddressSanitizer every switch is announced with
 * __sanitizer_{start,finish}_switch_fiber, under ThreadSanitizer with
 * __tsan_switch_to_fiber; under Valgrind (when its header is present) every
 * coroutine stack is registered.  Single-threaded use only.
 */
#ifndef CONLAB_COCTX_H
#define CONLAB_COCTX_H

#include <stddef.h>

#if !defined(COCTX_USE_UCONTEXT) && !defined(__x86_64__) && !defined(__aarch64__)
#define COCTX_USE_UCONTEXT 1
#endif

#ifdef COCTX_USE_UCONTEXT
#include <ucontext.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#define COCTX_API __attribute__((visibility("hidden")))
#else
#define COCTX_API
#endif

/** What a new context runs.  When it returns, the context switches to its
 *  `link` for good and must never be resumed again. */
typedef void (*coctx_fn)(void *arg);

struct coctx {
#ifdef COCTX_USE_UCONTEXT
    ucontext_t uc;
#else
    void *sp;                 /* saved stack pointer; registers are below it */
#endif
    coctx_fn fn;
    void *arg;
    struct coctx *link;       /* where to go when fn returns */
    struct coctx *from;       /* who switched to this context last */
    const void *stack_lo;     /* stack bounds (for sanitizers); for the */
    size_t stack_size;        /* thread's own context, learned on first use */
    unsigned valgrind_id;     /* Valgrind stack id, 0 when not registered */
    void *tsan_fiber;         /* ThreadSanitizer's fiber, when built with it */
};

/** Make `ctx` describe the calling thread's own context (the scheduler's):
 *  it can then be switched from, and back to. */
COCTX_API void coctx_init_self(struct coctx *ctx);

/** Prepare `ctx` to run fn(arg) on [stack_lo, stack_lo + stack_size) when
 *  first switched to; when fn returns it switches to `link`.  The stack
 *  needs at least 256 bytes.  Returns 0, or -1 (errno set) on failure. */
COCTX_API int coctx_make(struct coctx *ctx, void *stack_lo, size_t stack_size,
                         coctx_fn fn, void *arg, struct coctx *link);

/** Save the running context into `from` and resume `to`.  Returns when some
 *  context switches back to `from`. */
COCTX_API void coctx_switch(struct coctx *from, struct coctx *to);

/** Forget a finished (or abandoned) context made by coctx_make before its
 *  stack is reused or unmapped.  Call it from another context.  Accepts a
 *  context that coctx_make failed on. */
COCTX_API void coctx_release(struct coctx *ctx);

/** Bytes of its stack a suspended context uses, from its saved stack pointer
 *  to the top: what moving it means copying.  0 under the ucontext flavour,
 *  whose contexts cannot be moved. */
COCTX_API size_t coctx_stack_used(const struct coctx *ctx);

/** Copy the n (coctx_stack_used) bytes of suspended ctx to buf. */
COCTX_API void coctx_stack_save(const struct coctx *ctx, void *buf, size_t n);

/** Put n bytes saved by coctx_stack_save back, before ctx is switched to.
 *  Frames of other contexts on the stack are overwritten. */
COCTX_API void coctx_stack_restore(const struct coctx *ctx, const void *buf,
                                   size_t n);

/** Which switch implementation was compiled in: "x86_64", "aarch64" or
 *  "ucontext". */
COCTX_API const char *coctx_flavour(void);

#endif /* CONLAB_COCTX_H */
