/*
 * main: reads the FDT, probes the disk, then runs the tests that the
 * bootargs select and prints one line per test and a summary:
 *   ok N - name | not ok N - name: reason | ok N - name # SKIP reason
 *   P passed, F failed[, S skipped]
 * Bootargs are whitespace-separated words. A word with '=' is an option
 * (crash=ud|pf|gp|de raises that exception, to test the exception path;
 * complete=poll|irq selects how the virtio tests wait for completions,
 * polling by default, and a bad value counts as a failure; hold=1 keeps the
 * VM running after the summary line, for tests that kill the VMM;
 * event_idx=on|off allows or forbids negotiating VIRTIO_RING_F_EVENT_IDX;
 * bench=SPEC runs the benchmark of guest/bench.h instead of the tests;
 * faultio=SPEC the fault workload of guest/faultio.h instead;
 * survey=1 runs the read-only disk survey of guest/survey.h instead of the
 * tests; driver=NAME selects the driver personas driver_NAME*, as the word
 * driver_NAME* would; others are ignored). Any other word selects tests by exact name, or
 * by prefix when it ends in '*'. No selecting word runs every test; a word
 * that matches no test is reported and counts as a failure.
 * Without a selecting word, when some disk could be read but none holds a
 * test image (tools/testdisk.h), the guest runs the survey instead of a
 * suite that could only fail.
 */
#include <stdarg.h>
#include <string.h>

#include "tools/testdisk.h"

#include "bench.h"
#include "faultio.h"
#include "bootinfo.h"
#include "console.h"
#include "guest.h"
#include "irq.h"
#include "pci_drv.h"
#include "pvh.h"
#include "survey.h"
#include "svirtb_drv.h"
#include "test.h"
#include "tests/tests.h"

#define MAX_WORDS 64

struct guest_env genv;

static char reason[256];
static uint8_t sector0[TD_SECTOR] __attribute__((aligned(4096)));
static struct gsvb_entry probe_ring[8] __attribute__((aligned(4096)));

int main(uint64_t fdt);

int test_fail(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
        return TEST_FAIL;
}

int test_skip(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
        return TEST_SKIP;
}

static uint64_t le64(const uint8_t *p)
{
        uint64_t v = 0;

        for (int i = 7; i >= 0; i--)
                v = (v << 8) | p[i];
        return v;
}

/* Initializes the device once and learns the disk size from sector 0. */
static void probe_disk(void)
{
        struct guest_env *e = &genv;
        uint64_t n;
        int err;

        gsvb_bind(&e->dev, e->boot.svirtb_base);
        err = gsvb_reset(&e->dev);
        if (!err)
                err = gsvb_init(&e->dev, gpa_of(probe_ring), 8);
        if (!err)
                err = gsvb_read(&e->dev, 0, sector0, TD_SECTOR);
        if (err) {
                snprintf(e->disk_problem, sizeof(e->disk_problem), "reading sector 0 failed: %s",
                         gsvb_strerror(err));
                return;
        }
        e->disk_read = true;
        if (memcmp(sector0, TD_MAGIC, 8) != 0) {
                snprintf(e->disk_problem, sizeof(e->disk_problem),
                         "sector 0 lacks \"" TD_MAGIC "\": not a minivmm test disk");
                return;
        }
        n = le64(sector0 + 16);
        if (le64(sector0 + 8) != 0 || n < TD_MIN_SECTORS) {
                snprintf(e->disk_problem, sizeof(e->disk_problem),
                         "sector 0 header is bad (sector %lu, %lu sectors)", le64(sector0 + 8), n);
                return;
        }
        e->disk_ok = true;
        e->disk_sectors = n;
}

static void print_header(void)
{
        const struct boot_info *b = &genv.boot;

        printf("minivmm guest: RAM %lu MiB", boot_ram_total(b) >> 20);
        if (!b->has_svirtb) {
                printf(", no svirtb\n");
                return;
        }
        printf(", svirtb at 0x%lx", b->svirtb_base);
        if (genv.disk_ok)
                printf(", disk %lu sectors", genv.disk_sectors);
        else
                printf(", disk: %s", genv.disk_problem);
        printf("%s\n", b->svirtb_ro ? ", read-only" : "");
}

/* Some disk could be read and none holds a test image: every test would fail. */
static bool only_foreign_disks(void)
{
        bool read = genv.disk_read;

        if (genv.disk_ok)
                return false;
        for (unsigned i = 0; i < genv.boot.nvirtio; i++) {
                if (genv.vdisk[i].test_image)
                        return false;
                read = read || genv.vdisk[i].ok;
        }
        return read;
}

/* Why test t cannot run here, or NULL. */
static const char *unmet(const struct test *t)
{
        const struct boot_info *b = &genv.boot;

        switch (t->req) {
        case REQ_NONE:
                return NULL;
        case REQ_SVIRTB:
                return b->has_svirtb ? NULL : "no svirtb device";
        case REQ_SVIRTB_RW:
                if (!b->has_svirtb)
                        return "no svirtb device";
                return b->svirtb_ro ? "disk is read-only" : NULL;
        case REQ_SVIRTB_RO:
                if (!b->has_svirtb)
                        return "no svirtb device";
                return b->svirtb_ro ? NULL : "disk is writable";
        case REQ_HIGH_RAM:
                for (unsigned i = 0; i < b->nram; i++) {
                        if (b->ram[i].base >= GUEST_4G)
                                return b->has_svirtb ? NULL : "no svirtb device";
                }
                return "no RAM above 4 GiB";
        case REQ_VIRTIO:
                return b->nvirtio ? NULL : "no virtio device";
        case REQ_VIRTIO_RW:
                if (!b->nvirtio)
                        return "no virtio device";
                return genv.vdisk[0].ro ? "first virtio disk is read-only" : NULL;
        case REQ_VIRTIO_RO:
                for (unsigned i = 0; i < b->nvirtio; i++) {
                        if (genv.vdisk[i].ro)
                                return NULL;
                }
                /* A disk whose boot probe failed may be the read-only one. */
                for (unsigned i = 0; i < b->nvirtio; i++) {
                        if (!genv.vdisk[i].ok)
                                return genv.vdisk[i].problem;
                }
                return b->nvirtio ? "no read-only virtio disk" : "no virtio device";
        }
        return "unknown requirement";
}

/* driver=NAME: a selecting word for the driver personas driver_NAME* (tests.c). */
static bool is_driver_word(const char *w)
{
        return memcmp(w, "driver=", 7) == 0 && w[7] != '\0';
}

/* Whether w selects tests (a name, a prefix*, driver=NAME) rather than setting an option. */
static bool is_selector(const char *w)
{
        return !strchr(w, '=') || is_driver_word(w);
}

/* name starts with the n bytes at w (a shorter name stops at its NUL). */
static bool starts_with(const char *name, const char *w, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (name[i] != w[i])
                        return false;
        }
        return true;
}

/* Whether selector w (wl bytes; drv: is_driver_word(w)) picks the test name;
 * no strlen of the name and a first-byte check before anything else: this
 * runs for every test and word on the interpreted guest. */
static bool word_matches(const char *w, size_t wl, bool drv, const char *name)
{
        if (drv) { /* a prefix: driver=uboot runs driver_uboot_old and _new */
                wl -= w[wl - 1] == '*';
                return starts_with(name, "driver_", 7) && starts_with(name + 7, w + 7, wl - 7);
        }
        if (w[0] != '*' && name[0] != w[0])
                return false;
        if (wl && w[wl - 1] == '*')
                return starts_with(name, w, wl - 1);
        return starts_with(name, w, wl) && name[wl] == '\0';
}

static bool streq(const char *a, const char *b)
{
        size_t n = strlen(a);

        return n == strlen(b) && memcmp(a, b, n) == 0;
}

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Splits s in place into at most max words; returns the count. */
static unsigned split_words(char *s, char **words, unsigned max)
{
        unsigned n = 0;

        while (*s) {
                while (is_space(*s))
                        *s++ = '\0';
                if (!*s)
                        break;
                if (n < max)
                        words[n++] = s;
                while (*s && !is_space(*s))
                        s++;
        }
        return n;
}

/* crash=KIND: raise a CPU exception on purpose (exception handler test). */
static void crash(const char *kind)
{
        if (streq(kind, "ud"))
                __asm__ volatile("ud2");
        if (streq(kind, "pf"))
                (void)*(volatile uint64_t *)(uintptr_t)0x123456789000ULL;
        if (streq(kind, "gp"))
                (void)*(volatile uint64_t *)(uintptr_t)0x8000000000000000ULL;
        if (streq(kind, "de")) {
                unsigned a = 1, d = 0, zero = 0;

                __asm__ volatile("divl %2" : "+a"(a), "+d"(d) : "r"(zero));
        }
        printf("minivmm guest: crash=%s did not crash\n", kind);
}

/* Applies option word w; false when its value is invalid. */
static bool apply_option(const char *w)
{
        if (memcmp(w, "crash=", 6) == 0)
                crash(w + 6);
        if (streq(w, "hold=1"))
                genv.hold = true;
        if (memcmp(w, "complete=", 9) == 0) {
                if (streq(w + 9, "poll"))
                        genv.virtio_irq = false;
                else if (streq(w + 9, "irq"))
                        genv.virtio_irq = true;
                else {
                        printf("minivmm guest: bad option '%s' (complete=poll|irq)\n", w);
                        return false;
                }
        }
        if (memcmp(w, "event_idx=", 10) == 0) {
                if (streq(w + 10, "on"))
                        genv.no_event_idx = false;
                else if (streq(w + 10, "off"))
                        genv.no_event_idx = true;
                else {
                        printf("minivmm guest: bad option '%s' (event_idx=on|off)\n", w);
                        return false;
                }
        }
        if (memcmp(w, "bench=", 6) == 0)
                genv.bench = w + 6;
        if (memcmp(w, "faultio=", 8) == 0)
                genv.faultio = w + 8;
        if (streq(w, "survey=1"))
                genv.survey = true;
        return true;
}

int main(uint64_t fdt)
{
        char *words[MAX_WORDS];
        size_t word_len[MAX_WORDS];
        bool selecting = false, word_used[MAX_WORDS] = {false}, word_sel[MAX_WORDS],
             word_drv[MAX_WORDS];
        unsigned nwords, num = 0, passed = 0, failed = 0, skipped = 0;
        char err[160];
        int boot_err;

        /* minivmm passes the FDT in RDI and RSI = 0; the PVH entry (QEMU)
         * RDI = 0 and RSI = hvm_start_info (pvh_entry.S). */
        if (fdt == 0 && entry_state.rsi != 0)
                boot_err = boot_info_from_pvh(&genv.boot, entry_state.rsi, err, sizeof(err));
        else
                boot_err =
                    boot_info_read(&genv.boot, (const void *)(uintptr_t)fdt, err, sizeof(err));
        if (boot_err) {
                printf("minivmm guest: %s\n", err);
                return GUEST_EXIT_SETUP;
        }
        if (boot_low_ram_end(&genv.boot) < gpa_of(__image_end) ||
            genv.boot.fdt_addr < gpa_of(__image_end)) {
                printf("minivmm guest: image [0x%lx, 0x%lx) does not fit below the FDT at 0x%lx "
                       "and the end of low RAM 0x%lx\n",
                       gpa_of(__image_start), gpa_of(__image_end), genv.boot.fdt_addr,
                       boot_low_ram_end(&genv.boot));
                return GUEST_EXIT_SETUP;
        }
        /* Before anything could enable interrupts: no stray PIC vectors. */
        irq_init();
        if (genv.boot.has_svirtb)
                probe_disk();
        /* PCI disks follow the virtio-mmio ones (docs/virtio-pci.md). */
        if (genv.boot.pvh)
                gpci_scan(&genv.boot, false);
        else if (genv.boot.has_pci)
                gpci_scan(&genv.boot, true);
        virtio_probe_disks();
        print_header();

        nwords = split_words(genv.boot.bootargs, words, MAX_WORDS);
        for (unsigned w = 0; w < nwords; w++) {
                word_sel[w] = is_selector(words[w]);
                word_drv[w] = is_driver_word(words[w]);
                word_len[w] = strlen(words[w]);
                if (!word_sel[w]) {
                        if (!apply_option(words[w]))
                                failed++;
                } else {
                        selecting = true;
                }
        }
        if (genv.bench) /* the benchmark instead of the tests */
                return failed ? GUEST_EXIT_FAIL : bench_main(genv.bench);
        if (genv.faultio) /* the fault workload instead of the tests */
                return failed ? GUEST_EXIT_FAIL : faultio_main(genv.faultio);
        if (genv.survey || (!selecting && only_foreign_disks()))
                return failed ? GUEST_EXIT_FAIL : survey_main();
        for (unsigned i = 0; i < ntests; i++) {
                const struct test *t = &tests[i];
                bool selected = !selecting;
                const char *why;
                int r;

                for (unsigned w = 0; w < nwords; w++) {
                        if (word_sel[w] &&
                            word_matches(words[w], word_len[w], word_drv[w], t->name)) {
                                selected = true;
                                word_used[w] = true;
                        }
                }
                if (!selected)
                        continue;
                num++;
                why = unmet(t);
                if (why) {
                        printf("ok %u - %s # SKIP %s\n", num, t->name, why);
                        skipped++;
                        continue;
                }
                reason[0] = '\0';
                r = t->fn();
                if (r == TEST_PASS) {
                        printf("ok %u - %s\n", num, t->name);
                        passed++;
                } else if (r == TEST_SKIP) {
                        printf("ok %u - %s # SKIP %s\n", num, t->name, reason);
                        skipped++;
                } else {
                        printf("not ok %u - %s: %s\n", num, t->name, reason[0] ? reason : "failed");
                        failed++;
                }
        }
        for (unsigned w = 0; w < nwords; w++) {
                if (word_sel[w] && !word_used[w]) {
                        printf("unknown test '%s'\n", words[w]);
                        failed++;
                }
        }
        printf("%u passed, %u failed", passed, failed);
        if (skipped)
                printf(", %u skipped", skipped);
        printf("\n");
        if (genv.hold) {
                printf("minivmm guest: holding (hold=1)\n");
                for (;;)
                        __asm__ volatile("cli; pause");
        }
        return failed == 0 && passed > 0 ? GUEST_EXIT_PASS : GUEST_EXIT_FAIL;
}
