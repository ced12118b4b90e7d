/*
 * fuzz: what the libFuzzer targets of tests/fuzz/ share (header-only, one
 * translation unit per target): a reader that decodes the input, a fake
 * machine whose RAM the input fills, and the disks the devices use.
 *
 * Guest RAM is two regions, as a small VM would have: LOW at 0 (64 KiB) and
 * HIGH at 4 GiB (4 KiB); everything else, 0xd0000000 and 0xcafe0000
 * included, is not RAM. The disks are temp files of FUZZ_SECTORS sectors
 * made once per process and rewritten before every input, so an input's
 * outcome does not depend on the ones before it: RW (writable), RO
 * (read-only) and, when the kernel allows it, URING (writable, io_uring).
 * They are unlinked at once; nothing is left behind.
 *
 * Each target checks the devices' invariants after every step and calls
 * fuzz_fail() (abort) when one breaks; ASan and UBSan catch the rest.
 * --trace output goes nowhere: trace_printf is replaced by one that only
 * formats into a buffer, so the trace code is fuzzed without the noise;
 * FUZZ_TRACE=1 in the environment prints it on stderr for every input
 * (to see what a seed or a crash input makes the devices do).
 */
#ifndef MINIVMM_TESTS_FUZZ_H
#define MINIVMM_TESTS_FUZZ_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/disk.h"
#include "devices/gmem.h"
#include "devices/trace.h"

#define FUZZ_LOW_SIZE  0x10000ULL
#define FUZZ_HIGH_GPA  0x100000000ULL
#define FUZZ_HIGH_SIZE 0x1000ULL
#define FUZZ_SECTORS   64u
#define FUZZ_DISK_SIZE (FUZZ_SECTORS * 512u)

/* --- the input -------------------------------------------------------------- */

struct fin {
        const uint8_t *p;
        size_t n;
};

static inline uint64_t fin_get(struct fin *in, unsigned bytes)
{
        uint64_t v = 0;

        for (unsigned i = 0; i < bytes; i++) {
                uint64_t b = 0;

                if (in->n > 0) {
                        b = *in->p++;
                        in->n--;
                }
                v |= b << (8 * i);
        }
        return v;
}

static inline uint8_t fin_u8(struct fin *in)
{
        return (uint8_t)fin_get(in, 1);
}

static inline uint16_t fin_u16(struct fin *in)
{
        return (uint16_t)fin_get(in, 2);
}

static inline uint32_t fin_u32(struct fin *in)
{
        return (uint32_t)fin_get(in, 4);
}

static inline uint64_t fin_u64(struct fin *in)
{
        return fin_get(in, 8);
}

/* --- failures and the trace ---------------------------------------------------- */

__attribute__((noreturn, format(printf, 1, 2))) static inline void fuzz_fail(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        fprintf(stderr, "fuzz: invariant broken: ");
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        abort();
}

/* Replaces devices/trace.c (not linked into the fuzzers). */
bool trace_enabled;
static bool fuzz_trace_stderr; /* FUZZ_TRACE=1 */

void trace_printf(const char *fmt, ...)
{
        static char sink[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(sink, sizeof(sink), fmt, ap);
        va_end(ap);
        if (fuzz_trace_stderr)
                fprintf(stderr, "%s\n", sink);
}

/* The trace for this input: on when the input asks, or always with FUZZ_TRACE=1. */
static inline void fuzz_trace(bool on)
{
        trace_enabled = on || fuzz_trace_stderr;
}

/* --- the machine ------------------------------------------------------------------ */

struct fuzz_machine {
        struct gmem gm;
        uint8_t *low, *high;
        struct disk rw, ro, uring;
        bool have_uring;
        uint8_t image[FUZZ_DISK_SIZE];
};

static struct fuzz_machine fm;

static inline void fuzz_make_disk(struct disk *d, bool ro)
{
        char path[] = "/tmp/minivmm-fuzz-XXXXXX", err[256];
        int fd = mkstemp(path);

        if (fd < 0 || pwrite(fd, fm.image, FUZZ_DISK_SIZE, 0) != (ssize_t)FUZZ_DISK_SIZE)
                fuzz_fail("cannot make a temp image");
        close(fd);
        if (disk_open(d, path, ro, err, sizeof(err)) < 0)
                fuzz_fail("disk_open: %s", err);
        unlink(path);
}

/* Once per process. */
static inline void fuzz_machine_init(void)
{
        const char *t = getenv("FUZZ_TRACE");

        fuzz_trace_stderr = t != NULL && strcmp(t, "1") == 0;
        for (unsigned i = 0; i < FUZZ_DISK_SIZE; i++)
                fm.image[i] = (uint8_t)(i * 7u + (i >> 9) * 13u + 3u);
        fm.low = malloc(FUZZ_LOW_SIZE);
        fm.high = malloc(FUZZ_HIGH_SIZE);
        if (fm.low == NULL || fm.high == NULL)
                fuzz_fail("out of memory");
        gmem_init(&fm.gm);
        if (gmem_add(&fm.gm, 0, FUZZ_LOW_SIZE, fm.low) ||
            gmem_add(&fm.gm, FUZZ_HIGH_GPA, FUZZ_HIGH_SIZE, fm.high))
                fuzz_fail("gmem_add");
        fuzz_make_disk(&fm.rw, false);
        fuzz_make_disk(&fm.ro, true);
        fuzz_make_disk(&fm.uring, false);
        fm.have_uring = disk_use_uring(&fm.uring, 64) == 0;
}

/* RAM zeroed, then filled from the input's next len bytes (at most all of LOW). */
static inline void fuzz_fill_ram(struct fin *in, size_t len)
{
        memset(fm.low, 0, FUZZ_LOW_SIZE);
        memset(fm.high, 0, FUZZ_HIGH_SIZE);
        if (len > in->n)
                len = in->n;
        if (len > FUZZ_LOW_SIZE)
                len = FUZZ_LOW_SIZE;
        memcpy(fm.low, in->p, len);
        in->p += len;
        in->n -= len;
}

/* Writable disks back to their original bytes; sizes checked (never grow). */
static inline void fuzz_reset_disks(void)
{
        struct disk *ds[3] = {&fm.rw, &fm.ro, &fm.uring};
        struct stat st;

        for (unsigned i = 0; i < 3; i++) {
                if (fstat(ds[i]->fd, &st) < 0 || st.st_size != (off_t)FUZZ_DISK_SIZE)
                        fuzz_fail("image %u has %lld bytes, want %u", i, (long long)st.st_size,
                                  FUZZ_DISK_SIZE);
        }
        if (pwrite(fm.rw.fd, fm.image, FUZZ_DISK_SIZE, 0) != (ssize_t)FUZZ_DISK_SIZE ||
            pwrite(fm.uring.fd, fm.image, FUZZ_DISK_SIZE, 0) != (ssize_t)FUZZ_DISK_SIZE)
                fuzz_fail("cannot restore the images");
}

/* The read-only image must never change. */
static inline void fuzz_check_ro_image(void)
{
        static uint8_t now[FUZZ_DISK_SIZE];

        if (pread(fm.ro.fd, now, FUZZ_DISK_SIZE, 0) != (ssize_t)FUZZ_DISK_SIZE ||
            memcmp(now, fm.image, FUZZ_DISK_SIZE) != 0)
                fuzz_fail("the read-only image changed");
}

/* The disk selected by two bits of the input: RW, RO, or URING (RW without io_uring). */
static inline struct disk *fuzz_pick_disk(unsigned sel)
{
        switch (sel % 3) {
        case 1:
                return &fm.ro;
        case 2:
                return fm.have_uring ? &fm.uring : &fm.rw;
        default:
                return &fm.rw;
        }
}

/* The guest (another vCPU) writes 8 bytes of the input into low RAM, 8-byte aligned. */
static inline void fuzz_poke_ram(struct fin *in)
{
        uint16_t off = fin_u16(in) & 0xfff8;
        uint64_t v = fin_u64(in);

        memcpy(fm.low + off, &v, 8);
}

#ifndef FUZZ_OWN_INIT
/* libFuzzer's set-up, once per process and the same for every target: the
 * fake machine (a target that needs more defines FUZZ_OWN_INIT and its own). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        fuzz_machine_init();
        return 0;
}
#endif

#endif
