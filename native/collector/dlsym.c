// Programs that load the Level Zero loader with dlopen and look its functions up with dlsym (Node's
// koffi, Python's ctypes, plugin systems) never call the zeInit this library exports, so the collector
// would not know Level Zero was initialized. This file exports `dlsym`: a lookup of zeInit or
// zeInitDrivers returns the collector's own (which call the one the program asked for); every other
// lookup is passed to libc's dlsym with a tail jump, so libc still sees the program's return address
// (RTLD_NEXT and RTLD_DEFAULT are resolved relative to the caller, as if the collector were not there).
//
// x86-64 only (the jump is written in assembly); elsewhere dlsym is not interposed and such programs
// are reported as "initialized Level Zero without going through the collector" at exit.
#include <dlfcn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "collector.h"

/* libc's dlsym, found with dlvsym (not interposed) so the collector never calls itself. */
XC_HIDDEN void *xc_real_dlsym_ptr;
XC_HIDDEN void *xc_dlsym_zeInit;       /* what the program's lookup of zeInit found */
XC_HIDDEN void *xc_dlsym_zeInitDrivers;

/** Finds libc's dlsym (first use); returns it (the assembly entry jumps to it). */
XC_HIDDEN void *xc_real_dlsym_resolve(void);
void *xc_real_dlsym_resolve(void) {
    if (!xc_real_dlsym_ptr) {
        void *p = dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.34");
        if (!p) p = dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.2.5");
        if (!p) {
            xc_message("cannot find libc's dlsym; stopping");
            abort();
        }
        xc_real_dlsym_ptr = p;
    }
    return xc_real_dlsym_ptr;
}

static void *xc_real_dlsym(void *handle, const char *name) {
    void *(*f)(void *, const char *) = (void *(*)(void *, const char *))xc_real_dlsym_resolve();
    return f(handle, name);
}

/**
 * Called by the assembly entry: the collector's replacement for `name`, or NULL to let libc answer.
 * Only the two init functions are replaced, and only when the program's handle really has them.
 */
XC_HIDDEN void *xc_dlsym_decide(void *handle, const char *name);
void *xc_dlsym_decide(void *handle, const char *name) {
    xc_real_dlsym_resolve(); /* the assembly entry jumps through xc_real_dlsym_ptr when this returns NULL */
    if (!name || name[0] != 'z' || strncmp(name, "zeInit", 6) != 0) return NULL;
    bool drivers = strcmp(name, "zeInitDrivers") == 0;
    if (!drivers && strcmp(name, "zeInit") != 0) return NULL;
    if (handle == RTLD_NEXT) return NULL; /* relative to the caller: leave it to libc */
    void *found = xc_real_dlsym(handle, name);
    if (!found) return NULL; /* libc's own answer (and dlerror) */
    if (drivers) {
        if (found == (void *)zeInitDrivers) return found;
        xc_dlsym_zeInitDrivers = found;
        return (void *)zeInitDrivers;
    }
    if (found == (void *)zeInit) return found;
    xc_dlsym_zeInit = found;
    return (void *)zeInit;
}

#if defined(__x86_64__)
/* dlsym(handle, name): ask xc_dlsym_decide; NULL → restore the arguments and jump to libc's dlsym
   (xc_dlsym_decide has resolved it). */
__asm__(".text\n"
        ".globl dlsym\n"
        ".type dlsym,@function\n"
        "dlsym:\n"
        "  .cfi_startproc\n"
        "  pushq %rdi\n"
        "  .cfi_adjust_cfa_offset 8\n"
        "  pushq %rsi\n"
        "  .cfi_adjust_cfa_offset 8\n"
        "  subq $8, %rsp\n"
        "  .cfi_adjust_cfa_offset 8\n"
        "  call xc_dlsym_decide\n"
        "  addq $8, %rsp\n"
        "  .cfi_adjust_cfa_offset -8\n"
        "  popq %rsi\n"
        "  .cfi_adjust_cfa_offset -8\n"
        "  popq %rdi\n"
        "  .cfi_adjust_cfa_offset -8\n"
        "  testq %rax, %rax\n"
        "  jnz 1f\n"
        "  jmp *xc_real_dlsym_ptr(%rip)\n"
        "1:\n"
        "  ret\n"
        "  .cfi_endproc\n"
        ".size dlsym, .-dlsym\n");
#endif
