/*
 * fail: how the VMM gives up. One line on stderr, prefixed "minivmm: ", then
 * exit. Status 2 means the user's input was bad (a file, an option, /dev/kvm
 * missing or not permitted); status 1 means the VMM itself failed.
 * Only vmm/ calls this: device code returns errors as values instead.
 */
#ifndef MINIVMM_FAIL_H
#define MINIVMM_FAIL_H

#define FAIL_INTERNAL 1
#define FAIL_INPUT    2

void fail(int status, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

#endif
