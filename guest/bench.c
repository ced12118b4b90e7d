/*
 * bench: the benchmark mode (see bench.h). It drives queue 0 of one
 * virtio-blk device directly: the transport and feature negotiation come
 * from the drivers (gblk_init_features, gvio_notify), the ring entries are
 * written here, because at about 4 million emulated guest instructions a
 * second (docs/platform.md) every instruction per request shows in the
 * result.
 */
#include <string.h>

#include "bench.h"
#include "console.h"
#include "guest.h"
#include "irq.h"
#include "test.h"
#include "virtio_blk_drv.h"

#define PAGE            4096u
#define RING_SIZE       256u
#define DESC_PER_REQ    3u         /* header, data, status */
#define POLL_SPINS      (1u << 20) /* used->idx reads between two Status reads */
#define POLL_IDLE_MAX   120u       /* Status reads with no completion before giving up */
#define WATCHDOG_MS     2000u      /* interrupt mode: a check for progress this often */
#define LAPIC_TIMER_LVT 0x320
#define LAPIC_TIMER_ICR 0x380
#define LAPIC_TIMER_CCR 0x390
#define LAPIC_TIMER_DCR 0x3e0
#define LAPIC_DIV1      0xbu
#define LAPIC_MASKED    (1u << 16)
#define LAPIC_HZ        1000000000ull /* KVM's APIC timer: 1 ns per count */
#define CALIBRATE_COUNT 20000000u     /* 20 ms of LAPIC timer */

/* One request slot: its header and status byte, read and written by the device. */
struct slot {
        struct gblk_hdr hdr;
        volatile uint8_t status;
        uint8_t busy;
        uint8_t pad[14];
};

struct bench {
        struct bench_opts o;
        struct gblk b;
        bool irq, indirect;
        uint32_t nbuf;
        uint64_t blocks;         /* bs-sized blocks on the disk */
        uint64_t rng, pos;       /* random state, next sequential block */
        struct slot *slots;      /* o.qd of them */
        struct gvq_desc *tables; /* indirect: DESC_PER_REQ per slot */
        uint8_t *bufs;           /* nbuf buffers of bs bytes */
        uint16_t free[BENCH_QD_MAX];
        uint64_t errors;
        char problem[160];
};

static struct bench B __attribute__((section(".noinit"))); /* zeroed by bench_main */

static uint64_t align_up(uint64_t v, uint64_t a)
{
        return (v + a - 1) & ~(a - 1);
}

static uint64_t rdtsc(void)
{
        uint32_t lo, hi;

        __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
        return (uint64_t)hi << 32 | lo;
}

static void cpuid(uint32_t leaf, uint32_t r[4])
{
        __asm__ volatile("cpuid"
                         : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                         : "a"(leaf), "c"(0));
}

/* TSC ticks per second against the LAPIC timer (one-shot, divide by 1). */
static uint64_t tsc_hz_lapic(void)
{
        uint32_t c0, c1;
        uint64_t t0, t1;

        mmio_write32(LAPIC_BASE + LAPIC_TIMER_LVT, LAPIC_MASKED | IRQ_VECTOR_WATCHDOG);
        mmio_write32(LAPIC_BASE + LAPIC_TIMER_DCR, LAPIC_DIV1);
        mmio_write32(LAPIC_BASE + LAPIC_TIMER_ICR, 0xffffffffu);
        c0 = mmio_read32(LAPIC_BASE + LAPIC_TIMER_CCR);
        t0 = rdtsc();
        do
                c1 = mmio_read32(LAPIC_BASE + LAPIC_TIMER_CCR);
        while (c0 - c1 < CALIBRATE_COUNT && c1 != 0);
        t1 = rdtsc();
        mmio_write32(LAPIC_BASE + LAPIC_TIMER_ICR, 0);
        if (c0 == c1)
                return 0;
        return (t1 - t0) * LAPIC_HZ / (c0 - c1);
}

/* The TSC frequency: CPUID when it says, else the LAPIC calibration. */
static uint64_t tsc_hz(uint64_t lapic_hz, const char **src)
{
        uint32_t r[4], max;

        cpuid(0, r);
        max = r[0];
        if (max >= 0x15) {
                cpuid(0x15, r); /* TSC = crystal (ecx) * ebx / eax */
                if (r[0] && r[1] && r[2]) {
                        *src = "cpuid15";
                        return (uint64_t)r[2] * r[1] / r[0];
                }
        }
        cpuid(1, r);
        if (r[2] & (1u << 31)) { /* a hypervisor: its timing leaf, in kHz */
                cpuid(0x40000000, r);
                if (r[0] >= 0x40000010) {
                        cpuid(0x40000010, r);
                        if (r[0]) {
                                *src = "cpuid40000010";
                                return (uint64_t)r[0] * 1000;
                        }
                }
        }
        if (max >= 0x16) {
                cpuid(0x16, r); /* base frequency, MHz: nominal */
                if (r[0] & 0xffff) {
                        *src = "cpuid16";
                        return (uint64_t)(r[0] & 0xffff) * 1000000;
                }
        }
        *src = "lapic";
        return lapic_hz;
}

static uint64_t next_block(struct bench *s)
{
        uint64_t x;

        if (!bench_is_random(s->o.workload)) {
                x = s->pos;
                if (++s->pos == s->blocks)
                        s->pos = 0;
                return x;
        }
        /* xorshift64* */
        x = s->rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s->rng = x;
        return ((x * 0x2545f4914f6cdd1dull) >> 11) % s->blocks;
}

/* Places slots, tables and buffers in the RAM after the image; false if
 * not even one buffer fits. */
static bool place(struct bench *s, uint8_t **ring)
{
        uint64_t p = align_up(gpa_of(__image_end), PAGE), top = genv.boot.fdt_addr, room;

        *ring = (uint8_t *)(uintptr_t)p;
        p += align_up(gvq_mem_size(RING_SIZE), PAGE);
        s->slots = (struct slot *)(uintptr_t)p;
        p += align_up(BENCH_QD_MAX * sizeof(struct slot), PAGE);
        s->tables = (struct gvq_desc *)(uintptr_t)p;
        p += align_up(BENCH_QD_MAX * DESC_PER_REQ * sizeof(struct gvq_desc), PAGE);
        s->bufs = (uint8_t *)(uintptr_t)p;
        room = top > p ? top - p : 0;
        s->nbuf = room / s->o.bs < s->o.qd ? (uint32_t)(room / s->o.bs) : s->o.qd;
        if (!s->nbuf || !boot_in_ram(&genv.boot, gpa_of(*ring), p + s->o.bs - gpa_of(*ring))) {
                snprintf(s->problem, sizeof(s->problem),
                         "no RAM for a %u-byte buffer at 0x%lx (usable RAM ends at 0x%lx)", s->o.bs,
                         p, top);
                return false;
        }
        return true;
}

/* The chain of every slot, built once: header, data, status. */
static void build_chains(struct bench *s)
{
        struct vqd *q = &s->b.q;
        bool in = !bench_is_write(s->o.workload);
        uint32_t type = in ? VBLK_T_IN : VBLK_T_OUT;

        for (uint32_t j = 0; j < s->o.qd; j++) {
                struct gvq_desc *d =
                    s->indirect ? &s->tables[j * DESC_PER_REQ] : &q->desc[j * DESC_PER_REQ];
                uint16_t first = s->indirect ? 0 : (uint16_t)(j * DESC_PER_REQ);
                uint8_t *buf = s->bufs + (uint64_t)(j % s->nbuf) * s->o.bs;

                s->slots[j].hdr = (struct gblk_hdr){type, 0, 0};
                s->slots[j].busy = 0;
                d[0] = (struct gvq_desc){gpa_of(&s->slots[j].hdr), sizeof(struct gblk_hdr),
                                         VQD_DESC_F_NEXT, (uint16_t)(first + 1)};
                d[1] = (struct gvq_desc){gpa_of(buf), s->o.bs,
                                         (uint16_t)(VQD_DESC_F_NEXT | (in ? VQD_DESC_F_WRITE : 0)),
                                         (uint16_t)(first + 2)};
                d[2] = (struct gvq_desc){gpa_of((const void *)&s->slots[j].status), 1,
                                         VQD_DESC_F_WRITE, 0};
                if (s->indirect)
                        q->desc[j] = (struct gvq_desc){gpa_of(d), DESC_PER_REQ * sizeof(*d),
                                                       VQD_DESC_F_INDIRECT, 0};
                s->free[j] = (uint16_t)(s->o.qd - 1 - j);
        }
}

static int fail_run(struct bench *s, const char *what, uint64_t v)
{
        snprintf(s->problem, sizeof(s->problem), "%s (%lu)", what, v);
        return -1;
}

/* Polling: spins on used->idx until it moves past last, reading Status
 * (an exit) only once per POLL_SPINS reads. The new index, or -1. */
static int wait_poll(struct bench *s, uint16_t last, uint64_t done)
{
        volatile uint16_t *idx = &s->b.q.used->idx;
        uint32_t idle = 0;
        uint16_t u;

        for (;;) {
                for (uint32_t k = 0; k < POLL_SPINS; k++) {
                        u = *idx;
                        if (u != last)
                                return u;
                }
                if (gvio_read(&s->b.io, VIO_STATUS) & VIO_S_NEEDS_RESET)
                        return fail_run(s, "the device needs a reset; completed", done);
                if (++idle == POLL_IDLE_MAX)
                        return fail_run(s, "no completion for a long time; completed", done);
        }
}

/*
 * Interrupts: with EVENT_IDX, asks (used_event) to be woken only when half
 * of what is in flight has completed, so one interrupt (and its two
 * register exits) serves many requests; without it every completion batch
 * interrupts. Sleeps in sti;hlt. The watchdog checks for progress every
 * WATCHDOG_MS. The new used->idx, or -1.
 */
static int wait_irq(struct bench *s, uint16_t last, uint64_t inflight, uint64_t done,
                    uint64_t *stall)
{
        struct vqd *q = &s->b.q;
        volatile uint16_t *idx = &q->used->idx;
        uint16_t want = 1;

        if (q->event_idx) {
                if (inflight > 1)
                        want = (uint16_t)(inflight / 2);
                *gvq_used_event(q) = (uint16_t)(last + want - 1);
                /* used_event before used->idx is read again (§2.7.7.2). */
                __atomic_thread_fence(__ATOMIC_SEQ_CST);
        }
        while ((uint16_t)(*idx - last) < want) {
                if (irq_watchdog_fired()) {
                        if (*stall == done + 1)
                                return fail_run(s, "no interrupt; completed", done);
                        *stall = done + 1;
                        irq_watchdog_start(WATCHDOG_MS);
                }
                irq_sti_hlt();
        }
        return *idx;
}

/* The measured loop: keep qd requests in flight until n have completed. */
static int run(struct bench *s)
{
        struct vqd *q = &s->b.q;
        uint16_t mask = (uint16_t)(q->num - 1), avail = 0, last = 0;
        uint32_t nfree = s->o.qd, spb = s->o.bs / VBLK_SECTOR;
        uint64_t issued = 0, done = 0, n = s->o.n, stall = 0;
        int u;

        while (done < n) {
                if (nfree && issued < n) {
                        do {
                                uint16_t j = s->free[--nfree];

                                s->slots[j].hdr.sector = next_block(s) * spb;
                                s->slots[j].status = 0xff;
                                s->slots[j].busy = 1;
                                q->avail->ring[avail & mask] =
                                    s->indirect ? j : (uint16_t)(j * DESC_PER_REQ);
                                avail++;
                                issued++;
                        } while (nfree && issued < n);
                        /* Entries before the index that publishes them (§2.7.13). */
                        __atomic_thread_fence(__ATOMIC_RELEASE);
                        *(volatile uint16_t *)&q->avail->idx = avail;
                        q->avail_idx = avail;
                        gvio_notify(&s->b.io, q);
                }
                u = s->irq ? wait_irq(s, last, issued - done, done, &stall)
                           : wait_poll(s, last, done);
                if (u < 0)
                        return -1;
                if ((uint16_t)(u - last) > issued - done)
                        return fail_run(s, "used->idx ran ahead of what is in flight", (uint64_t)u);
                __atomic_thread_fence(__ATOMIC_ACQUIRE);
                while (last != (uint16_t)u) {
                        struct gvq_used_elem e =
                            *(volatile struct gvq_used_elem *)&q->used->ring[last & mask];
                        uint32_t j = s->indirect ? e.id : e.id / DESC_PER_REQ;

                        if (j >= s->o.qd || (!s->indirect && e.id % DESC_PER_REQ) ||
                            !s->slots[j].busy)
                                return fail_run(s, "a used element names no request in flight",
                                                e.id);
                        if (s->slots[j].status != VBLK_S_OK)
                                s->errors++;
                        s->slots[j].busy = 0;
                        s->free[nfree++] = (uint16_t)j;
                        last++;
                        done++;
                }
                q->last_used = last;
                /* Polling: keep used_event behind us, so the device never interrupts. */
                if (q->event_idx && !s->irq)
                        *gvq_used_event(q) = (uint16_t)(last - 1);
        }
        return 0;
}

/* Sets up device o.disk; false with s->problem set. */
static bool setup(struct bench *s)
{
        const struct bench_opts *o = &s->o;
        const struct boot_virtio *v = &genv.boot.virtio[o->disk];
        const struct vdisk *vd = &genv.vdisk[o->disk];
        uint64_t features = VBLK_SUPPORTED;
        uint8_t *ring;
        char eb[120];
        int e;

        if (o->disk >= genv.boot.nvirtio || !vd->ok) {
                snprintf(s->problem, sizeof(s->problem), "no usable virtio-blk%u (%u found)%s%s",
                         o->disk, genv.boot.nvirtio, o->disk < genv.boot.nvirtio ? ": " : "",
                         o->disk < genv.boot.nvirtio ? vd->problem : "");
                return false;
        }
        if (bench_is_write(o->workload)) {
                if (vd->ro) {
                        snprintf(s->problem, sizeof(s->problem),
                                 "refusing to write virtio-blk%u: read-only", o->disk);
                        return false;
                }
                if (!o->scratch) {
                        snprintf(s->problem, sizeof(s->problem),
                                 "refusing to write virtio-blk%u%s: add scratch=1 if it is a "
                                 "scratch image whose data may be destroyed",
                                 o->disk,
                                 vd->test_image ? " (sector 0 holds a minivmm test image)" : "");
                        return false;
                }
        }
        if (!place(s, &ring))
                return false;
        if (genv.no_event_idx)
                features &= ~VIO_BIT(VIO_F_EVENT_IDX);
        e = gblk_probe(&s->b, v->base);
        if (!e && s->irq) {
                if (!v->has_irq) {
                        snprintf(s->problem, sizeof(s->problem),
                                 "complete=irq: virtio-blk%u has no usable interrupt: %s", o->disk,
                                 v->irq_problem);
                        return false;
                }
                e = gvio_irq_setup(&s->b.io, v->ioapic_base, v->gsi, v->sense,
                                   (uint8_t)(IRQ_VECTOR_DEVICE + o->disk));
        }
        if (!e)
                e = gblk_init_features(&s->b, ring, align_up(gvq_mem_size(RING_SIZE), PAGE),
                                       RING_SIZE, features, 0);
        if (e) {
                snprintf(s->problem, sizeof(s->problem), "virtio-blk%u at 0x%lx: %s", o->disk,
                         v->base, gvio_strerror(&s->b.io, eb, sizeof(eb)));
                return false;
        }
        /* Direct chains take 3 ring descriptors; beyond num / 3 requests in
         * flight each takes one, pointing at its own indirect table. */
        s->indirect = o->qd * DESC_PER_REQ > s->b.q.num;
        if (o->qd > s->b.q.num || (s->indirect && !s->b.q.indirect)) {
                snprintf(s->problem, sizeof(s->problem), "qd=%u does not fit a %u-entry queue%s",
                         o->qd, s->b.q.num, s->b.q.indirect ? "" : " without indirect descriptors");
                return false;
        }
        s->blocks = s->b.capacity / (o->bs / VBLK_SECTOR);
        if (!s->blocks) {
                snprintf(s->problem, sizeof(s->problem),
                         "the disk (%lu sectors) is smaller than bs=%u", s->b.capacity, o->bs);
                return false;
        }
        s->rng = o->seed ? o->seed : 1;
        s->pos = 0;
        build_chains(s);
        return true;
}

int bench_main(const char *spec)
{
        struct bench *s = &B;
        const char *err, *src;
        uint64_t lapic_hz, hz, t0, t1, cycles, us, bytes;
        int r;

        memset(s, 0, sizeof(*s));
        err = bench_parse(spec, &s->o);
        if (err) {
                printf("bench: error: bench=%s: %s\n", spec, err);
                return GUEST_EXIT_FAIL;
        }
        s->irq = s->o.complete < 0 ? genv.virtio_irq : s->o.complete == 1;
        if (!setup(s)) {
                printf("bench: error: %s\n", s->problem);
                return GUEST_EXIT_FAIL;
        }
        lapic_hz = tsc_hz_lapic();
        hz = tsc_hz(lapic_hz, &src);
        if (s->irq)
                irq_watchdog_start(WATCHDOG_MS);
        printf("bench: start\n");
        t0 = rdtsc();
        r = run(s);
        t1 = rdtsc();
        /* Short, so the host's window (start to this line) holds few console exits. */
        printf("bench: end\n");
        if (s->irq)
                irq_watchdog_stop();
        if (r) {
                printf("bench: error: %s\n", s->problem);
                gvio_reset(&s->b.io);
                return GUEST_EXIT_FAIL;
        }
        cycles = t1 - t0;
        us = hz ? cycles * 1000000 / hz : 0;
        bytes = s->o.n * s->o.bs;
        printf("bench: workload=%s bs=%u qd=%u n=%lu complete=%s event_idx=%d indirect=%d "
               "boot=%s errors=%lu bytes=%lu tsc_cycles=%lu tsc_hz=%lu tsc_src=%s "
               "tsc_hz_lapic=%lu us=%lu iops=%lu mbps=%lu notifies=%u interrupts=%u\n",
               bench_workload_name(s->o.workload), s->o.bs, s->o.qd, s->o.n,
               s->irq ? "irq" : "poll", s->b.q.event_idx, s->indirect,
               genv.boot.pvh ? "pvh" : "fdt", s->errors, bytes, cycles, hz, src, lapic_hz, us,
               us ? s->o.n * 1000000 / us : 0, us ? bytes / us : 0, s->b.q.notifies,
               s->b.io.irq_calls);
        gvio_irq_off(&s->b.io);
        gvio_reset(&s->b.io);
        return s->errors ? GUEST_EXIT_FAIL : GUEST_EXIT_PASS;
}
