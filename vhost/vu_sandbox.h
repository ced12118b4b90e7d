/*
 * vu_sandbox: the backend's seccomp filter (libseccomp), installed once the
 * socket listens and the disk is open, as the VMM's vmm/sandbox.c is once the
 * machine is built. Allowed afterwards: accepting and talking on the socket
 * (accept4, recvmsg, sendto, setsockopt for the receive timeout, poll),
 * mapping the front end's memory (mmap without PROT_EXEC, munmap), the
 * disk's I/O (pread/pwrite/preadv/pwritev, fdatasync, io_uring_enter),
 * eventfd read/write, close, and what libc and stdio need (brk, fstat,
 * futex, signal return, exit). Anything else stops the backend with one line
 * naming the system call. docs/vhost-user.md lists the reasons.
 */
#ifndef MINIVMM_VU_SANDBOX_H
#define MINIVMM_VU_SANDBOX_H

/* 0, or a negative errno when the filter could not be installed. */
int vu_sandbox_enter(void);

#endif
