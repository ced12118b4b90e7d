/* kvm: see kvm.h. */
#include "kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fail.h"

/* Three pages KVM needs for its TSS, placed in the MMIO hole below the top of 4 GiB. */
#define KVM_TSS_ADDR 0xfffbd000UL

static const struct {
        int cap;
        const char *name;
} kvm_required_caps[] = {
    {KVM_CAP_USER_MEMORY, "USER_MEMORY"},   {KVM_CAP_IRQCHIP, "IRQCHIP"},
    {KVM_CAP_SET_TSS_ADDR, "SET_TSS_ADDR"}, {KVM_CAP_EXT_CPUID, "EXT_CPUID"},
    {KVM_CAP_READONLY_MEM, "READONLY_MEM"}, {KVM_CAP_MP_STATE, "MP_STATE"},
};

void kvm_open(struct kvm *k, const char *path)
{
        memset(k, 0, sizeof(*k));
        k->sys_fd = open(path, O_RDWR | O_CLOEXEC);
        if (k->sys_fd < 0) {
                if (errno == ENOENT)
                        fail(FAIL_INPUT, "%s: not found (is the kvm module loaded?)", path);
                if (errno == EACCES || errno == EPERM)
                        fail(FAIL_INPUT,
                             "%s: permission denied (join the kvm group or run as root)", path);
                fail(FAIL_INPUT, "%s: %s", path, strerror(errno));
        }
        int version = ioctl(k->sys_fd, KVM_GET_API_VERSION, 0);
        if (version < 0)
                fail(FAIL_INPUT, "%s: not a KVM device (%s)", path, strerror(errno));
        if (version != KVM_API_VERSION)
                fail(FAIL_INTERNAL, "%s: KVM API version %d, expected %d", path, version,
                     KVM_API_VERSION);
        for (size_t i = 0; i < sizeof(kvm_required_caps) / sizeof(kvm_required_caps[0]); i++) {
                if (ioctl(k->sys_fd, KVM_CHECK_EXTENSION, kvm_required_caps[i].cap) <= 0)
                        fail(FAIL_INTERNAL, "%s: KVM lacks capability KVM_CAP_%s", path,
                             kvm_required_caps[i].name);
        }
}

void kvm_create_vm(struct kvm *k)
{
        k->vm_fd = ioctl(k->sys_fd, KVM_CREATE_VM, 0);
        if (k->vm_fd < 0)
                fail(FAIL_INTERNAL, "KVM_CREATE_VM: %s", strerror(errno));
        if (ioctl(k->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0)
                fail(FAIL_INTERNAL, "KVM_SET_TSS_ADDR: %s", strerror(errno));
        if (ioctl(k->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
                fail(FAIL_INTERNAL, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
}

void kvm_map(struct kvm *k, uint64_t gpa, uint64_t size, void *host, bool readonly)
{
        struct kvm_userspace_memory_region region = {
            .slot = k->next_slot++,
            .flags = readonly ? KVM_MEM_READONLY : 0,
            .guest_phys_addr = gpa,
            .memory_size = size,
            .userspace_addr = (uint64_t)(uintptr_t)host,
        };

        if (ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
                fail(FAIL_INTERNAL, "KVM_SET_USER_MEMORY_REGION at 0x%llx (%llu bytes): %s",
                     (unsigned long long)gpa, (unsigned long long)size, strerror(errno));
}

static void kvm_set_cpuid(struct kvm *k)
{
        int n = 128;
        struct kvm_cpuid2 *cpuid;

        /* Grow the buffer until the kernel's list fits (E2BIG means too small). */
        for (;;) {
                cpuid = calloc(1, sizeof(*cpuid) + (size_t)n * sizeof(cpuid->entries[0]));
                if (!cpuid)
                        fail(FAIL_INTERNAL, "out of memory");
                cpuid->nent = (uint32_t)n;
                if (ioctl(k->sys_fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
                        break;
                free(cpuid);
                if (errno != E2BIG || n > 4096)
                        fail(FAIL_INTERNAL, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
                n *= 2;
        }
        if (ioctl(k->vcpu_fd, KVM_SET_CPUID2, cpuid) < 0)
                fail(FAIL_INTERNAL, "KVM_SET_CPUID2: %s", strerror(errno));
        free(cpuid);
}

void kvm_create_vcpu(struct kvm *k)
{
        k->vcpu_fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, 0);
        if (k->vcpu_fd < 0)
                fail(FAIL_INTERNAL, "KVM_CREATE_VCPU: %s", strerror(errno));
        int size = ioctl(k->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
        if (size <= 0)
                fail(FAIL_INTERNAL, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
        k->run_size = (size_t)size;
        k->run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, k->vcpu_fd, 0);
        if (k->run == MAP_FAILED)
                fail(FAIL_INTERNAL, "mmap of the vCPU run area: %s", strerror(errno));
        kvm_set_cpuid(k);
}

void kvm_irq_line(struct kvm *k, uint32_t gsi, bool level)
{
        struct kvm_irq_level irq = {.irq = gsi, .level = level ? 1 : 0};

        if (ioctl(k->vm_fd, KVM_IRQ_LINE, &irq) < 0)
                fail(FAIL_INTERNAL, "KVM_IRQ_LINE gsi %u level %d: %s", gsi, irq.level,
                     strerror(errno));
}

bool kvm_has_cap(struct kvm *k, int cap)
{
        return ioctl(k->vm_fd, KVM_CHECK_EXTENSION, cap) > 0;
}

void kvm_ioeventfd(struct kvm *k, uint64_t gpa, uint32_t len, uint64_t datamatch, int fd)
{
        struct kvm_ioeventfd io = {
            .datamatch = datamatch,
            .addr = gpa,
            .len = len,
            .fd = fd,
            .flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
        };

        if (ioctl(k->vm_fd, KVM_IOEVENTFD, &io) < 0)
                fail(FAIL_INTERNAL, "KVM_IOEVENTFD at 0x%llx: %s", (unsigned long long)gpa,
                     strerror(errno));
}

void kvm_irqfd_resample(struct kvm *k, uint32_t gsi, int fd, int resample_fd)
{
        struct kvm_irqfd irqfd = {
            .fd = (uint32_t)fd,
            .gsi = gsi,
            .flags = KVM_IRQFD_FLAG_RESAMPLE,
            .resamplefd = (uint32_t)resample_fd,
        };

        if (ioctl(k->vm_fd, KVM_IRQFD, &irqfd) < 0)
                fail(FAIL_INTERNAL, "KVM_IRQFD gsi %u: %s", gsi, strerror(errno));
}
