/*
 * bench: the benchmark mode of the test guest. `bench=SPEC` on the command
 * line (minivmm's --append, QEMU's -append) runs it instead of the tests:
 *
 *   bench=WORKLOAD[,bs=SIZE][,qd=N][,n=N][,complete=poll|irq][,scratch=1]
 *         [,disk=I][,seed=N]
 *
 *   WORKLOAD  randread | randwrite | seqread | seqwrite
 *   bs        request size: a multiple of 512 from 512 to 4M, suffix k or m
 *             allowed (default 4k)
 *   qd        requests kept in flight, 1..256, at most the queue size (default 1)
 *   n         requests in all (default 1000); 0 only sets up, for baselines
 *   complete  how completions are found: poll (default, unless the separate
 *             word complete=irq is given) spins on used->idx and asks for no
 *             interrupts; irq sleeps in hlt until the device interrupts
 *   scratch   1: the disk is a scratch image the benchmark may overwrite;
 *             write workloads refuse any disk without it
 *   disk      which virtio-blk device, in boot order (default 0)
 *   seed      the random workloads' PRNG seed (default 1)
 *
 * The guest never touches the data: one buffer per slot (fewer, shared
 * round-robin, when RAM is short), never filled nor checked; the device
 * moves the bytes. Request chains are built once per slot; a request then
 * costs the guest a sector number, a status byte, an avail entry, and a
 * notification only when the device asks for one (EVENT_IDX when offered).
 * Random offsets are aligned to bs and uniform over the disk; sequential
 * ones wrap at its end.
 *
 * Output: "bench: start" right before the first request, "bench: end" right
 * after the last completion (tools/startlat measures the VMM between the
 * two), then one line
 *   bench: workload=W bs=B qd=Q n=N complete=C event_idx=0|1 indirect=0|1
 *          boot=fdt|pvh errors=E bytes=X tsc_cycles=T tsc_hz=H tsc_src=S
 *          tsc_hz_lapic=L us=U iops=I mbps=M notifies=K interrupts=J
 * (one line), and exit status 0 when every request completed with status OK.
 * tsc_src: cpuid15 (crystal ratio), cpuid40000010 (hypervisor TSC leaf),
 * cpuid16 (nominal base frequency) or lapic (calibrated against the LAPIC
 * timer, which KVM clocks at 1 GHz); tsc_hz_lapic is that calibration,
 * always made, for comparison. us = tsc_cycles / tsc_hz.
 */
#ifndef GUEST_BENCH_H
#define GUEST_BENCH_H

#include <stdbool.h>
#include <stdint.h>

enum bench_workload {
        BENCH_RANDREAD,
        BENCH_RANDWRITE,
        BENCH_SEQREAD,
        BENCH_SEQWRITE,
};

#define BENCH_BS_MIN   512u
#define BENCH_BS_MAX   (4u << 20)
#define BENCH_QD_MAX   256u
#define BENCH_DISK_MAX 8u

struct bench_opts {
        enum bench_workload workload;
        uint32_t bs;
        uint32_t qd;
        uint64_t n;
        int complete; /* -1: not given; 0 poll; 1 irq */
        bool scratch;
        uint32_t disk;
        uint64_t seed;
};

const char *bench_workload_name(enum bench_workload w);
static inline bool bench_is_write(enum bench_workload w)
{
        return w == BENCH_RANDWRITE || w == BENCH_SEQWRITE;
}
static inline bool bench_is_random(enum bench_workload w)
{
        return w == BENCH_RANDREAD || w == BENCH_RANDWRITE;
}

/* Parses SPEC (what follows "bench=") into *o, defaults first. NULL, or
 * what is wrong (a constant string). Pure: built on the host by
 * tests/unit/test_guest_cmdline.c. */
const char *bench_parse(const char *spec, struct bench_opts *o);

/* Runs the benchmark SPEC selects; the guest's exit status. */
int bench_main(const char *spec);

#endif
