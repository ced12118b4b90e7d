/*
 * minivmm: parses the command line, checks every input before touching KVM,
 * builds the machine (RAM, console, exit device, svirtb, one virtio-blk per
 * --disk, device tree), boots the guest and runs it. See README.md and
 * docs/boot.md.
 */
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "boot.h"
#include "cli.h"
#include "console.h"
#include "devices/disk.h"
#include "devices/svirtb.h"
#include "devices/trace.h"
#include "devices/virtio_blk.h"
#include "exitdev.h"
#include "fail.h"
#include "fdt/dtb.h"
#include "iothread.h"
#include "pcihost.h"
#include "sandbox.h"
#include "stats.h"
#include "vcpu.h"
#include "vm.h"
#include "vslot.h"

struct machine {
        struct vm vm;
        struct boot_image image;
        struct disk disks[CLI_MAX_DISKS]; /* one virtio-blk each */
        unsigned ndisks;
        struct vblk blk[CLI_MAX_DISKS];
        struct vslot slots[CLI_MAX_DISKS];
        struct pcihost pci;       /* disks with pci or pci-legacy */
        struct disk svirtb_own;   /* --svirtb FILE that is not also a --disk */
        struct disk *svirtb_disk; /* NULL: no svirtb */
        struct svirtb svirtb;
        bool threaded; /* --io=thread with at least one virtio device */
        struct iothread io;
};

/*
 * werror=stop: the first failed write or sync of the image ends the VMM with
 * status 1 and this line, before any later request (or FLUSH) runs.
 */
static void machine_werror_stop(const struct disk *d)
{
        fail(FAIL_INTERNAL,
             "disk image '%s': write-back error: %s (errno %d); werror=stop: guest stopped",
             d->path, strerror(d->werr), d->werr);
}

static void machine_open_disk(struct disk *d, const struct disk_spec *spec)
{
        char err[512];
        int r;

        if (disk_open(d, spec->path, spec->ro, err, sizeof(err)))
                fail(FAIL_INPUT, "%s", err);
        if (spec->werror == DISK_WERROR_STOP)
                d->on_werr = machine_werror_stop;
        if (spec->aio != DISK_AIO_IO_URING)
                return;
        r = disk_use_uring(d, VBLK_BATCH_MAX);
        if (r < 0)
                fail(FAIL_INPUT, "--disk '%s': aio=io_uring: the kernel refused io_uring (%s)",
                     spec->path, strerror(-r));
}

/* The already-open --disk for path, or NULL. */
static struct disk *machine_find_disk(struct machine *m, const char *path)
{
        for (unsigned i = 0; i < m->ndisks; i++) {
                if (disk_is_file(&m->disks[i], path))
                        return &m->disks[i];
        }
        return NULL;
}

static void machine_open_disks(struct machine *m, const struct vmm_config *cfg)
{
        for (unsigned i = 0; i < cfg->ndisks; i++) {
                if (machine_find_disk(m, cfg->disks[i].path))
                        fail(FAIL_INPUT, "--disk '%s': the same image is given twice",
                             cfg->disks[i].path);
                machine_open_disk(&m->disks[i], &cfg->disks[i]);
                m->ndisks++;
        }
}

/* svirtb shares the first --disk by default, or any --disk naming its file. */
static void machine_pick_svirtb_disk(struct machine *m, const struct vmm_config *cfg)
{
        struct disk *shared;

        switch (cfg->svirtb_mode) {
        case SVIRTB_FIRST_DISK:
                m->svirtb_disk = m->ndisks ? &m->disks[0] : NULL;
                break;
        case SVIRTB_NONE:
                m->svirtb_disk = NULL;
                break;
        case SVIRTB_OWN_FILE:
                shared = machine_find_disk(m, cfg->svirtb.path);
                if (shared && shared->ro != cfg->svirtb.ro)
                        fail(FAIL_INPUT, "--svirtb '%s': also a --disk, opened %s there",
                             cfg->svirtb.path, shared->ro ? "read-only" : "read-write");
                if (!shared) {
                        machine_open_disk(&m->svirtb_own, &cfg->svirtb);
                        shared = &m->svirtb_own;
                }
                m->svirtb_disk = shared;
                break;
        }
}

/* Every file the user named is checked here, before /dev/kvm is opened. */
static void machine_check_inputs(struct machine *m, const struct vmm_config *cfg)
{
        boot_read_image(&m->image, cfg->guest);
        ram_layout(&m->vm.ram, cfg->mem);
        boot_check_fit(&m->image, m->vm.ram.low_size, cfg->mem);
        machine_open_disks(m, cfg);
        machine_pick_svirtb_disk(m, cfg);
}

static void machine_svirtb_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
                              bool is_write)
{
        struct svirtb *s = opaque;

        if (is_write)
                svirtb_mmio_write(s, offset, data, len);
        else
                svirtb_mmio_read(s, offset, data, len);
}

/* The register page is mapped read-only: reads never exit, writes trap. */
static void machine_add_svirtb(struct machine *m)
{
        void *page = mmap(NULL, SVIRTB_PAGE_SIZE, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

        if (page == MAP_FAILED)
                fail(FAIL_INTERNAL, "svirtb register page: %s", strerror(errno));
        svirtb_init(&m->svirtb, page, &m->vm.gm, m->svirtb_disk);
        kvm_map(&m->vm.kvm, SVIRTB_BASE, SVIRTB_PAGE_SIZE, page, true);
        if (bus_register(&m->vm.mmio, SVIRTB_BASE, SVIRTB_PAGE_SIZE, "svirtb", machine_svirtb_io,
                         &m->svirtb))
                fail(FAIL_INTERNAL, "svirtb: MMIO region taken");
}

static void machine_add_virtio_blk(struct machine *m, unsigned i, const struct disk_spec *spec)
{
        char serial[DISK_SERIAL_LEN];
        int err = disk_serial(&m->disks[i], serial);

        if (err)
                fail(FAIL_INTERNAL, "disk image '%s': %s", m->disks[i].path, strerror(-err));
        if (vblk_init(&m->blk[i], &m->disks[i], serial))
                fail(FAIL_INPUT, "disk image '%s': smaller than one 512-byte sector",
                     m->disks[i].path);
        if (spec->pci)
                pcihost_add_disk(&m->pci, i, &m->vm, &vblk_ops, &m->blk[i], spec->legacy);
        else
                vslot_add(&m->slots[i], i, &m->vm, &vblk_ops, &m->blk[i], spec->legacy,
                          m->threaded ? &m->io : NULL);
}

static void machine_write_fdt(struct machine *m, const struct vmm_config *cfg, uint64_t fdt_gpa)
{
        const struct ram *r = &m->vm.ram;
        struct dtb_machine d = {
            .mem_base = {0, RAM_HIGH_START},
            .mem_size = {r->low_size, r->high_size},
            .nmem = r->high_size ? 2 : 1,
            .bootargs = cfg->append,
            .svirtb = m->svirtb_disk != NULL,
            .svirtb_base = SVIRTB_BASE,
            .svirtb_size = SVIRTB_PAGE_SIZE,
            .svirtb_ro = m->svirtb_disk && m->svirtb_disk->ro,
            .pci_io_base = PCIHOST_IO_BASE,
            .pci_io_size = PCIHOST_IO_SIZE,
            .pci_mem_base = PCIHOST_MEM_BASE,
            .pci_mem_size = PCIHOST_MEM_SIZE,
            .self_base = fdt_gpa,
            .self_size = BOOT_FDT_MAX,
        };
        void *buf = gmem_ptr(&m->vm.gm, fdt_gpa, BOOT_FDT_MAX);
        int err;

        for (unsigned i = 0; i < m->ndisks; i++) {
                if (cfg->disks[i].pci)
                        d.pci[d.npci++] = (struct dtb_pci_dev){i + 1, PCIHOST_GSI(i)};
                else
                        d.virtio[d.nvirtio++] =
                            (struct dtb_virtio){m->slots[i].base, VSLOT_SIZE, m->slots[i].gsi};
        }
        if (!buf)
                fail(FAIL_INTERNAL, "device tree area 0x%llx is outside RAM",
                     (unsigned long long)fdt_gpa);
        err = dtb_build(buf, BOOT_FDT_MAX, &d);
        if (err == -FDT_ERR_NOSPACE)
                fail(FAIL_INPUT, "--append: %zu bytes do not fit in the %llu-byte device tree",
                     strlen(cfg->append), BOOT_FDT_MAX);
        if (err)
                fail(FAIL_INTERNAL, "building the device tree: %s", fdt_strerror(err));
}

static void machine_build(struct machine *m, const struct vmm_config *cfg)
{
        struct vm *vm = &m->vm;
        uint64_t fdt_gpa = boot_fdt_addr(vm->ram.low_size);

        kvm_open(&vm->kvm, "/dev/kvm");
        kvm_create_vm(&vm->kvm);
        gmem_init(&vm->gm);
        ram_create(&vm->ram, &vm->kvm, &vm->gm);
        bus_init(&vm->mmio);
        bus_init(&vm->pio);
        if (console_register(&vm->pio) || exitdev_register(&vm->pio, vm))
                fail(FAIL_INTERNAL, "port I/O bus: registration failed");
        if (m->svirtb_disk)
                machine_add_svirtb(m);
        m->threaded = cfg->io == IO_THREAD && m->ndisks > 0;
        if (m->threaded) {
                int err = iothread_init(&m->io);
                if (err)
                        fail(FAIL_INTERNAL, "I/O thread: %s", strerror(-err));
        }
        for (unsigned i = 0; i < m->ndisks; i++)
                machine_add_virtio_blk(m, i, &cfg->disks[i]);
        boot_load(&m->image, &vm->gm);
        machine_write_fdt(m, cfg, fdt_gpa);
        kvm_create_vcpu(&vm->kvm);
        boot_set_cpu(vm->kvm.vcpu_fd, fdt_gpa);
}

static void machine_print_stats(const struct machine *m, const struct vmm_config *cfg)
{
        struct vmm_stats st = {
            .io_mode = cfg->io == IO_THREAD ? "thread" : "vcpu",
            .exits = m->vm.exits,
            .guest_ram = m->vm.ram.size,
            .io_thread = m->threaded,
            .io_cpu_us = m->io.cpu_us,
        };

        for (unsigned i = 0; i < m->ndisks; i++) {
                const struct vslot_stats *s = &m->slots[i].stats;
                const struct vblk_stats *b = &m->blk[i].stats;

                st.notify_exits += s->notify_exits;
                st.notify_wakeups += s->notify_wakeups;
                st.notify_writes += s->notify_writes;
                st.interrupts += s->interrupts;
                st.irq_reasserts += s->irq_reasserts;
                st.requests += b->requests;
                st.bytes_read += b->bytes_read;
                st.bytes_written += b->bytes_written;
        }
        stats_print(stderr, &st);
}

int main(int argc, char **argv)
{
        static struct machine m;
        static char outbuf[4096]; /* stdout's buffer, allocated before the sandbox */
        struct vmm_config cfg;
        char err[512];
        int status;

        switch (cli_parse(argc, argv, &cfg, err, sizeof(err))) {
        case CLI_EXIT_OK:
                return 0;
        case CLI_ERROR:
                fail(FAIL_INPUT, "%s", err);
        case CLI_RUN:
                break;
        }
        trace_enabled = cfg.trace;
        setvbuf(stdout, outbuf, _IOLBF, sizeof(outbuf));
        machine_check_inputs(&m, &cfg);
        machine_build(&m, &cfg);
        vcpu_prepare();
        /* Before the sandbox: its filter (TSYNC) then covers this thread too. */
        if (m.threaded) {
                int err = iothread_start(&m.io);
                if (err)
                        fail(FAIL_INTERNAL, "I/O thread: %s", strerror(-err));
        }
        if (!cfg.no_sandbox) {
                int err = sandbox_enter();
                if (err)
                        fail(FAIL_INTERNAL, "cannot install the seccomp sandbox: %s",
                             strerror(err < 0 ? -err : err));
        }
        status = vcpu_run(&m.vm);
        if (m.threaded)
                iothread_stop(&m.io); /* its last batch completes first */
        fflush(stdout);
        if (cfg.stats)
                machine_print_stats(&m, &cfg);
        for (unsigned i = 0; i < m.ndisks; i++)
                disk_close(&m.disks[i]);
        if (m.svirtb_disk == &m.svirtb_own)
                disk_close(&m.svirtb_own);
        return status;
}
