/*
 * fuzz_vhost_msg: the vhost-user backend's message path (vhost/vu_msg.c,
 * vhost/vu_dev.c) and the queue it sets up, as minivmm-vhost-user-blk's main
 * loop drives them: vu_msg_check, then vu_dev_handle; a refused message
 * drops the connection's state (vu_dev_drop), as closing it does.
 *
 * Input:
 *   u8  flags: bit 0 read-only disk, bit 1 trace on
 *   u16 bytes of guest memory that follow (at most 64 KiB): the memfd's
 *       first bytes, the rest of its 64 KiB zero
 *   then messages until the input ends, each:
 *     u8  fds (mod 9) and whether to kick after it (bit 7)
 *     12 bytes of header, then min(size, what is left, 268) bytes of payload
 *   Descriptors are dups of the memfd for SET_MEM_TABLE, fresh eventfds
 *   otherwise; the handler must take or close every one.
 * Checked after every message: nothing in flight between kicks, a kick
 * fd only while the queue runs; at the end, no descriptor leaked and the
 * read-only image unchanged.
 */
#define FUZZ_OWN_INIT /* the fake machine and a memfd for the memory table */
#include "tests/fuzz/fuzz.h"

#include <sys/eventfd.h>
#include <sys/mman.h>

#include "devices/virtio_blk.h"
#include "vhost/vu_dev.h"

#define MEM_SIZE 0x10000u

static struct vblk blk;
static struct vu_dev dev;
static struct vu_msg m, reply;
static int memfd = -1;
static uint8_t *mem;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        fuzz_machine_init();
        memfd = memfd_create("fuzz-vhost", 0);
        if (memfd < 0 || ftruncate(memfd, MEM_SIZE) != 0)
                fuzz_fail("memfd");
        mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
        if (mem == MAP_FAILED)
                fuzz_fail("mmap");
        return 0;
}

static int lowest_free_fd(void)
{
        int fd = dup(0);

        if (fd >= 0)
                close(fd);
        return fd;
}

static void check(void)
{
        if (dev.ring.vq.inflight != 0)
                fuzz_fail("%u requests in flight between kicks", dev.ring.vq.inflight);
        if (vu_dev_kick_fd(&dev) >= 0 && !dev.ring.running)
                fuzz_fail("a kick descriptor polled while the queue is stopped");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fin in = {data, size};
        uint8_t flags = fin_u8(&in);
        size_t ram = fin_u16(&in);
        int fd0 = lowest_free_fd();
        bool has_reply;

        memset(mem, 0, MEM_SIZE);
        if (ram > in.n)
                ram = in.n;
        memcpy(mem, in.p, ram);
        in.p += ram;
        in.n -= ram;
        fuzz_reset_disks();
        fuzz_trace((flags & 2) != 0);
        if (vblk_init(&blk, (flags & 1) ? &fm.ro : &fm.rw, "fuzz") < 0)
                fuzz_fail("vblk_init");
        vu_dev_init(&dev, &blk);
        while (in.n >= 1 + VU_HDR_SIZE) {
                uint8_t b = fin_u8(&in);
                unsigned nfds = (b & 0x7f) % (VU_MAX_FDS + 1);
                size_t len;
                const char *why;

                memset(&m, 0, sizeof(m));
                memcpy(&m.hdr, in.p, VU_HDR_SIZE);
                in.p += VU_HDR_SIZE;
                in.n -= VU_HDR_SIZE;
                len = m.hdr.size < VU_PAYLOAD_MAX ? m.hdr.size : VU_PAYLOAD_MAX;
                if (len > in.n)
                        len = in.n;
                memcpy(m.p.bytes, in.p, len);
                in.p += len;
                in.n -= len;
                for (unsigned i = 0; i < nfds; i++) {
                        m.fds[i] = m.hdr.request == VU_SET_MEM_TABLE ? dup(memfd)
                                                                     : eventfd(0, EFD_NONBLOCK);
                        if (m.fds[i] < 0)
                                fuzz_fail("no descriptor");
                        m.nfds++;
                }
                why = vu_msg_check(&m);
                if (why == NULL)
                        why = vu_dev_handle(&dev, &m, &reply, &has_reply);
                for (unsigned i = 0; i < m.nfds; i++) /* what the main loop closes */
                        close(m.fds[i]);
                if (why != NULL)
                        vu_dev_drop(&dev);
                else if (has_reply && reply.hdr.size > VU_PAYLOAD_MAX)
                        fuzz_fail("reply of %u bytes", reply.hdr.size);
                check();
                if (b & 0x80) {
                        for (unsigned k = 0; k < 4 && vu_dev_kick(&dev); k++)
                                check();
                        check();
                }
        }
        vu_dev_drop(&dev);
        if (lowest_free_fd() != fd0)
                fuzz_fail("a descriptor leaked (lowest free %d, was %d)", lowest_free_fd(), fd0);
        fuzz_check_ro_image();
        trace_enabled = false;
        return 0;
}
