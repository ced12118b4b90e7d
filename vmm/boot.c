/* boot: see boot.h and docs/boot.md. */
#include "boot.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fail.h"
#include "ram.h"

#define BOOT_GDT  0x1000ULL
#define BOOT_PML4 0x2000ULL
#define BOOT_PDPT 0x3000ULL
#define BOOT_PD   0x4000ULL /* four page directories, one per GiB */

#define PTE_P   (1ULL << 0)
#define PTE_RW  (1ULL << 1)
#define PTE_PWT (1ULL << 3)
#define PTE_PCD (1ULL << 4)
#define PTE_PS  (1ULL << 7)

#define CR0_PE         (1ULL << 0)
#define CR0_MP         (1ULL << 1)
#define CR0_ET         (1ULL << 4)
#define CR0_NE         (1ULL << 5)
#define CR0_WP         (1ULL << 16)
#define CR0_AM         (1ULL << 18)
#define CR0_PG         (1ULL << 31)
#define CR4_PAE        (1ULL << 5)
#define CR4_OSFXSR     (1ULL << 9)
#define CR4_OSXMMEXCPT (1ULL << 10)
#define EFER_LME       (1ULL << 8)
#define EFER_LMA       (1ULL << 10)

#define SEL_CODE 0x08
#define SEL_DATA 0x10

void boot_read_image(struct boot_image *img, const char *path)
{
        struct stat st;
        int fd;

        img->path = path;
        /* The type first: a FIFO, socket or device is never opened (it could
         * block or have side effects); O_NONBLOCK in case the path changes. */
        if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
                fail(FAIL_INPUT, "guest '%s': not a regular file", path);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                fail(FAIL_INPUT, "guest '%s': %s", path, strerror(errno));
        if (fstat(fd, &st) < 0)
                fail(FAIL_INPUT, "guest '%s': %s", path, strerror(errno));
        if (S_ISDIR(st.st_mode))
                fail(FAIL_INPUT, "guest '%s': is a directory", path);
        if (!S_ISREG(st.st_mode))
                fail(FAIL_INPUT, "guest '%s': not a regular file", path);
        if (st.st_size == 0)
                fail(FAIL_INPUT, "guest '%s': empty file", path);
        if ((uint64_t)st.st_size > RAM_HOLE_START)
                fail(FAIL_INPUT, "guest '%s': %lld bytes, too large to load", path,
                     (long long)st.st_size);
        img->size = (size_t)st.st_size;
        img->data = malloc(img->size);
        if (!img->data)
                fail(FAIL_INTERNAL, "out of memory reading guest '%s'", path);
        for (size_t done = 0; done < img->size;) {
                ssize_t n = pread(fd, img->data + done, img->size - done, (off_t)done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        fail(FAIL_INPUT, "guest '%s': read failed: %s", path,
                             n < 0 ? strerror(errno) : "file shrank");
                done += (size_t)n;
        }
        close(fd);
}

uint64_t boot_fdt_addr(uint64_t low_size)
{
        return low_size - BOOT_FDT_MAX;
}

void boot_check_fit(const struct boot_image *img, uint64_t low_size, uint64_t mem)
{
        uint64_t room = boot_fdt_addr(low_size) - BOOT_GUEST_ADDR;

        if (img->size > room)
                fail(FAIL_INPUT,
                     "guest '%s' (%zu bytes) does not fit in RAM: --mem %llu KiB leaves %llu bytes "
                     "at 0x%llx",
                     img->path, img->size, (unsigned long long)(mem >> 10),
                     (unsigned long long)room, BOOT_GUEST_ADDR);
}

static void boot_put64(const struct gmem *gm, uint64_t gpa, uint64_t v)
{
        if (gmem_write(gm, gpa, &v, sizeof(v)))
                fail(FAIL_INTERNAL, "boot structures at 0x%llx are outside RAM",
                     (unsigned long long)gpa);
}

static void boot_page_tables(const struct gmem *gm)
{
        boot_put64(gm, BOOT_PML4, BOOT_PDPT | PTE_P | PTE_RW);
        for (uint64_t gib = 0; gib < 4; gib++) {
                uint64_t pd = BOOT_PD + gib * 0x1000;
                /* The top GiB holds the MMIO hole: map it uncached. */
                uint64_t cache = gib == 3 ? PTE_PCD | PTE_PWT : 0;

                boot_put64(gm, BOOT_PDPT + gib * 8, pd | PTE_P | PTE_RW);
                for (uint64_t i = 0; i < 512; i++) {
                        uint64_t addr = (gib << 30) | (i << 21);
                        boot_put64(gm, pd + i * 8, addr | PTE_P | PTE_RW | PTE_PS | cache);
                }
        }
}

static void boot_gdt(const struct gmem *gm)
{
        boot_put64(gm, BOOT_GDT, 0);
        boot_put64(gm, BOOT_GDT + SEL_CODE, 0x00af9b000000ffffULL); /* 64-bit code, DPL 0 */
        boot_put64(gm, BOOT_GDT + SEL_DATA, 0x00cf93000000ffffULL); /* flat data, DPL 0 */
}

void boot_load(const struct boot_image *img, const struct gmem *gm)
{
        if (gmem_write(gm, BOOT_GUEST_ADDR, img->data, img->size))
                fail(FAIL_INPUT, "guest '%s' does not fit in RAM", img->path);
        boot_gdt(gm);
        boot_page_tables(gm);
}

static struct kvm_segment boot_segment(uint16_t sel, uint8_t type, bool code)
{
        return (struct kvm_segment){
            .base = 0,
            .limit = 0xffffffff,
            .selector = sel,
            .type = type,
            .present = 1,
            .dpl = 0,
            .db = code ? 0 : 1,
            .s = 1,
            .l = code ? 1 : 0,
            .g = 1,
        };
}

void boot_set_cpu(int vcpu_fd, uint64_t fdt_gpa)
{
        struct kvm_sregs sregs;
        struct kvm_regs regs;

        if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
                fail(FAIL_INTERNAL, "KVM_GET_SREGS: %s", strerror(errno));
        sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG;
        sregs.cr3 = BOOT_PML4;
        sregs.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
        sregs.efer = EFER_LME | EFER_LMA;
        sregs.gdt.base = BOOT_GDT;
        sregs.gdt.limit = 3 * 8 - 1;
        sregs.cs = boot_segment(SEL_CODE, 0xb, true);
        sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = boot_segment(SEL_DATA, 0x3, false);
        if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
                fail(FAIL_INTERNAL, "KVM_SET_SREGS: %s", strerror(errno));

        memset(&regs, 0, sizeof(regs));
        regs.rip = BOOT_GUEST_ADDR;
        regs.rsp = BOOT_STACK_TOP;
        regs.rdi = fdt_gpa;
        regs.rsi = 0;
        regs.rflags = 0x2; /* reserved bit 1; IF clear */
        if (ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0)
                fail(FAIL_INTERNAL, "KVM_SET_REGS: %s", strerror(errno));
}
