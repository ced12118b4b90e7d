/*
 * test_vhost_dev: one vhost-user connection's semantics (vhost/vu_dev.h),
 * driven message by message as a front end would: guest memory is a memfd
 * the test maps too, the disk a temp image (testimage.h), kick and call are
 * eventfds. Each hostile message must be refused with its reason and leave
 * the image untouched (ti_assert_pristine); the good path must serve a
 * request written into the ring, signal the call eventfd and stop on
 * GET_VRING_BASE with the right index (docs/vhost-user.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/disk.h"
#include "devices/virtio_blk.h"
#include "testimage.h"
#include "vhost/vu_dev.h"

#define SECTORS  64u
#define MEM_SIZE 0x100000ull
#define GPA      0x40000000ull
#define UVA      0x7f0000000000ull
#define DESC     0x1000ull
#define AVAIL    0x2000ull
#define USED     0x3000ull
#define HDR      0x4000ull
#define DATA     0x5000ull
#define STATUS   0x6000ull
#define QN       8u

struct fx {
        char path[4096];
        struct disk disk;
        struct vblk blk;
        struct vu_dev d;
        struct vu_msg m, reply;
        int memfd;
        uint8_t *mem; /* the test's view of guest memory */
        int kick, call;
};

static int setup(void **state)
{
        struct fx *x = calloc(1, sizeof(*x));
        char err[256];

        if (x == NULL || ti_make(x->path, sizeof(x->path), "vhost", SECTORS) != 0 ||
            disk_open(&x->disk, x->path, false, err, sizeof(err)) != 0 ||
            vblk_init(&x->blk, &x->disk, "vhost-test") != 0)
                return -1;
        vu_dev_init(&x->d, &x->blk);
        x->memfd = memfd_create("vhost-test", 0);
        if (x->memfd < 0 || ftruncate(x->memfd, MEM_SIZE) != 0)
                return -1;
        x->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, x->memfd, 0);
        x->kick = eventfd(0, EFD_NONBLOCK);
        x->call = eventfd(0, EFD_NONBLOCK);
        if (x->mem == MAP_FAILED || x->kick < 0 || x->call < 0)
                return -1;
        *state = x;
        return 0;
}

static int teardown(void **state)
{
        struct fx *x = *state;

        vu_dev_drop(&x->d);
        disk_close(&x->disk);
        unlink(x->path);
        munmap(x->mem, MEM_SIZE);
        close(x->memfd);
        close(x->kick);
        close(x->call);
        free(x);
        return 0;
}

static void msg(struct fx *x, uint32_t req, uint32_t size)
{
        memset(&x->m, 0, sizeof(x->m));
        x->m.hdr.request = req;
        x->m.hdr.flags = VU_FLAG_VERSION;
        x->m.hdr.size = size;
}

/* Sends x->m (checked on the wire first) and returns the handler's verdict. */
static const char *send_msg(struct fx *x, bool *has_reply)
{
        bool r = false;
        const char *why = vu_msg_check(&x->m);

        assert_null(why);
        why = vu_dev_handle(&x->d, &x->m, &x->reply, &r);
        if (has_reply != NULL)
                *has_reply = r;
        return why;
}

static void send_ok(struct fx *x)
{
        const char *why = send_msg(x, NULL);

        if (why != NULL)
                fail_msg("%s refused: %s", vu_msg_name(x->m.hdr.request), why);
}

static void send_refused(struct fx *x, const char *want)
{
        const char *why = send_msg(x, NULL);

        assert_non_null(why);
        assert_string_equal(why, want);
}

static void u64_msg(struct fx *x, uint32_t req, uint64_t v)
{
        msg(x, req, 8);
        x->m.p.u64 = v;
}

static void state_msg(struct fx *x, uint32_t req, uint32_t index, uint32_t num)
{
        msg(x, req, 8);
        x->m.p.state.index = index;
        x->m.p.state.num = num;
}

/* SET_MEM_TABLE with one region: the memfd at GPA/UVA (a dup: the handler takes it). */
static void mem_table(struct fx *x, uint64_t gpa, uint64_t size, uint64_t uva, uint64_t off)
{
        msg(x, VU_SET_MEM_TABLE, 8 + 32);
        x->m.p.mem.nregions = 1;
        x->m.p.mem.regions[0] = (struct vu_region){gpa, size, uva, off};
        x->m.fds[0] = dup(x->memfd);
        x->m.nfds = 1;
}

static void file_msg(struct fx *x, uint32_t req, int fd)
{
        u64_msg(x, req, 0);
        x->m.fds[0] = dup(fd);
        x->m.nfds = 1;
}

static void addr_msg(struct fx *x, uint64_t desc, uint64_t avail, uint64_t used)
{
        msg(x, VU_SET_VRING_ADDR, sizeof(struct vu_vring_addr));
        x->m.p.addr.desc = UVA + desc;
        x->m.p.addr.avail = UVA + avail;
        x->m.p.addr.used = UVA + used;
}

/* Features with protocol features, memory, and the ring configured (not yet kicked/enabled). */
static void configure(struct fx *x)
{
        u64_msg(x, VU_SET_FEATURES, vu_dev_features(&x->d));
        send_ok(x);
        u64_msg(x, VU_SET_PROTOCOL_FEATURES, vu_dev_protocol_features());
        send_ok(x);
        mem_table(x, GPA, MEM_SIZE, UVA, 0);
        send_ok(x);
        state_msg(x, VU_SET_VRING_NUM, 0, QN);
        send_ok(x);
        state_msg(x, VU_SET_VRING_BASE, 0, 0);
        send_ok(x);
        addr_msg(x, DESC, AVAIL, USED);
        send_ok(x);
        file_msg(x, VU_SET_VRING_CALL, x->call);
        send_ok(x);
        file_msg(x, VU_SET_VRING_KICK, x->kick);
        send_ok(x);
}

static void put16(struct fx *x, uint64_t off, uint16_t v)
{
        memcpy(x->mem + off, &v, 2);
}

static uint16_t get16(struct fx *x, uint64_t off)
{
        uint16_t v;

        memcpy(&v, x->mem + off, 2);
        return v;
}

static void desc(struct fx *x, unsigned i, uint64_t off, uint32_t len, uint16_t flags,
                 uint16_t next)
{
        uint8_t *d = x->mem + DESC + 16 * i;
        uint64_t a = GPA + off;

        memcpy(d, &a, 8);
        memcpy(d + 8, &len, 4);
        memcpy(d + 12, &flags, 2);
        memcpy(d + 14, &next, 2);
}

/* A one-sector OUT request of 0x5a bytes to sector 3, at avail slot idx. */
static void queue_write(struct fx *x, uint16_t idx)
{
        struct virtio_blk_outhdr h = {.type = VIRTIO_BLK_T_OUT, .sector = 3};

        memcpy(x->mem + HDR, &h, sizeof(h));
        memset(x->mem + DATA, 0x5a, 512);
        x->mem[STATUS] = 0xff;
        desc(x, 0, HDR, sizeof(h), VRING_DESC_F_NEXT, 1);
        desc(x, 1, DATA, 512, VRING_DESC_F_NEXT, 2);
        desc(x, 2, STATUS, 1, VRING_DESC_F_WRITE, 0);
        put16(x, AVAIL + 4 + 2 * (idx % QN), 0);
        put16(x, AVAIL + 2, (uint16_t)(idx + 1));
}

static uint64_t read_event(int fd)
{
        uint64_t v = 0;

        return read(fd, &v, sizeof(v)) == sizeof(v) ? v : 0;
}

static void assert_disk_pristine(struct fx *x)
{
        ti_assert_pristine(x->disk.fd, SECTORS);
}

/* --- negotiation -------------------------------------------------------------- */

static void features_offer_protocol_features_and_no_packed_ring(void **state)
{
        struct fx *x = *state;
        uint64_t f = vu_dev_features(&x->d);
        bool r;

        assert_true(f & VIRTIO_BIT(VU_F_PROTOCOL_FEATURES));
        assert_true(f & VIRTIO_FEAT_VERSION_1);
        assert_false(f & VIRTIO_BIT(VIRTIO_F_RING_PACKED));
        assert_false(f & VIRTIO_BIT(VIRTIO_BLK_F_RO));
        msg(x, VU_GET_FEATURES, 0);
        assert_null(send_msg(x, &r));
        assert_true(r);
        assert_int_equal(x->reply.hdr.flags, VU_FLAG_VERSION | VU_FLAG_REPLY);
        assert_int_equal(x->reply.hdr.size, 8);
        assert_int_equal(x->reply.p.u64, f);
        msg(x, VU_GET_QUEUE_NUM, 0);
        assert_null(send_msg(x, &r));
        assert_int_equal(x->reply.p.u64, 1);
}

static void unoffered_features_are_refused(void **state)
{
        struct fx *x = *state;

        u64_msg(x, VU_SET_FEATURES, VIRTIO_BIT(VIRTIO_F_RING_PACKED));
        send_refused(x, "features not offered");
        u64_msg(x, VU_SET_PROTOCOL_FEATURES, VIRTIO_BIT(1) /* LOG_SHMFD */);
        send_refused(x, "protocol features not offered");
}

static void reply_ack_answers_zero_and_set_config_is_refused_cleanly(void **state)
{
        struct fx *x = *state;
        bool r;

        u64_msg(x, VU_SET_PROTOCOL_FEATURES, VIRTIO_BIT(VU_PROTOCOL_F_REPLY_ACK));
        send_ok(x);
        msg(x, VU_SET_OWNER, 0);
        x->m.hdr.flags |= VU_FLAG_NEED_REPLY;
        assert_null(send_msg(x, &r));
        assert_true(r);
        assert_int_equal(x->reply.hdr.request, VU_SET_OWNER);
        assert_int_equal(x->reply.p.u64, 0);
        msg(x, VU_SET_CONFIG, VU_CONFIG_HDR + 4);
        x->m.p.config.size = 4;
        x->m.hdr.flags |= VU_FLAG_NEED_REPLY;
        assert_null(send_msg(x, &r));
        assert_true(r);
        assert_int_equal(x->reply.p.u64, 1);
        assert_int_equal(x->blk.config[0], (uint8_t)SECTORS); /* unchanged */
}

static void get_config_returns_capacity_and_zeros_past_the_config(void **state)
{
        struct fx *x = *state;
        uint64_t cap;
        bool r;

        msg(x, VU_GET_CONFIG, VU_CONFIG_HDR + 60);
        x->m.p.config.size = 60;
        assert_null(send_msg(x, &r));
        assert_true(r);
        assert_int_equal(x->reply.hdr.size, VU_CONFIG_HDR + 60);
        memcpy(&cap, x->reply.p.config.data, 8);
        assert_int_equal(cap, SECTORS);
        for (unsigned i = VBLK_CONFIG_SIZE; i < 60; i++)
                assert_int_equal(x->reply.p.config.data[i], 0);
        msg(x, VU_GET_CONFIG, VU_CONFIG_HDR + 256);
        x->m.p.config.offset = 0xfffffff0u;
        x->m.p.config.size = 256;
        assert_null(send_msg(x, &r));
        for (unsigned i = 0; i < 256; i++)
                assert_int_equal(x->reply.p.config.data[i], 0);
}

/* --- memory table -------------------------------------------------------------- */

static void overlapping_regions_are_refused(void **state)
{
        struct fx *x = *state;

        msg(x, VU_SET_MEM_TABLE, 8 + 64);
        x->m.p.mem.nregions = 2;
        x->m.p.mem.regions[0] = (struct vu_region){GPA, 0x10000, UVA, 0};
        x->m.p.mem.regions[1] = (struct vu_region){GPA + 0x8000, 0x10000, UVA + 0x100000, 0};
        x->m.fds[0] = dup(x->memfd);
        x->m.fds[1] = dup(x->memfd);
        x->m.nfds = 2;
        send_refused(x, "memory regions overlap or wrap");
        assert_int_equal(x->d.gm.nregions, 0);
        assert_int_equal(x->m.nfds, 0); /* descriptors closed */
}

static void wrapping_regions_are_refused(void **state)
{
        struct fx *x = *state;

        mem_table(x, UINT64_MAX - 0xfff, 0x2000, UVA, 0);
        send_refused(x, "memory regions overlap or wrap");
        mem_table(x, GPA, 0x2000, UINT64_MAX - 0xfff, 0);
        send_refused(x, "memory regions overlap or wrap");
        mem_table(x, GPA, UINT64_MAX, UVA, 0x800);
        send_refused(x, "memory region size or offset out of range");
        mem_table(x, GPA, 0, UVA, 0);
        send_refused(x, "memory region size or offset out of range");
        mem_table(x, GPA, 0x1000, UVA, 1ull << 63);
        send_refused(x, "memory region size or offset out of range");
        /* Inside the address space but past the end of the memfd: would fault on access. */
        mem_table(x, GPA, MEM_SIZE, UVA, 0x1000);
        send_refused(x, "memory region larger than its file");
        mem_table(x, GPA, 2 * MEM_SIZE, UVA, 0);
        send_refused(x, "memory region larger than its file");
}

/* --- ring messages -------------------------------------------------------------- */

static void ring_index_beyond_the_one_queue_is_refused(void **state)
{
        struct fx *x = *state;

        state_msg(x, VU_SET_VRING_NUM, 1, QN);
        send_refused(x, "ring index beyond the one queue");
        state_msg(x, VU_GET_VRING_BASE, 7, 0);
        send_refused(x, "ring index beyond the one queue");
        file_msg(x, VU_SET_VRING_KICK, x->kick);
        x->m.p.u64 = 1;
        send_refused(x, "ring index beyond the one queue");
}

static void queue_sizes_not_power_of_2_up_to_1024_are_refused(void **state)
{
        struct fx *x = *state;

        state_msg(x, VU_SET_VRING_NUM, 0, 0);
        send_refused(x, "queue size not a power of 2 up to 1024");
        state_msg(x, VU_SET_VRING_NUM, 0, 6);
        send_refused(x, "queue size not a power of 2 up to 1024");
        state_msg(x, VU_SET_VRING_NUM, 0, 2048);
        send_refused(x, "queue size not a power of 2 up to 1024");
        state_msg(x, VU_SET_VRING_BASE, 0, 0x10000);
        send_refused(x, "ring base above 65535");
        state_msg(x, VU_SET_VRING_ENABLE, 0, 2);
        send_refused(x, "enable value not 0 or 1");
}

static void ring_addresses_outside_every_region_are_refused(void **state)
{
        struct fx *x = *state;

        addr_msg(x, DESC, AVAIL, USED);
        send_refused(x, "ring address outside every memory region"); /* no table yet */
        mem_table(x, GPA, MEM_SIZE, UVA, 0);
        send_ok(x);
        state_msg(x, VU_SET_VRING_NUM, 0, QN);
        send_ok(x);
        addr_msg(x, DESC, AVAIL, MEM_SIZE - 8); /* used ring runs past the end */
        send_refused(x, "ring address outside every memory region");
        addr_msg(x, DESC, AVAIL, USED);
        x->m.p.addr.desc = GPA + DESC; /* a guest-physical address, not the front end's */
        send_refused(x, "ring address outside every memory region");
        addr_msg(x, DESC, AVAIL, USED);
        x->m.p.addr.flags = 1;
        send_refused(x, "ring logging asked for (not offered)");
        assert_false(x->d.ring.addr_set);
}

static void kick_without_descriptor_is_refused(void **state)
{
        struct fx *x = *state;

        u64_msg(x, VU_SET_VRING_KICK, VU_VRING_NOFD);
        send_refused(x, "kick without a descriptor (polling is not offered)");
}

/* --- the queue ------------------------------------------------------------------ */

static void ring_stays_stopped_until_enabled(void **state)
{
        struct fx *x = *state;

        configure(x);
        queue_write(x, 0);
        assert_int_equal(vu_dev_kick_fd(&x->d), -1);
        assert_false(vu_dev_kick(&x->d));
        assert_int_equal(get16(x, USED + 2), 0);
        assert_disk_pristine(x);
}

static void enabled_ring_serves_a_write_and_signals_call(void **state)
{
        struct fx *x = *state;
        uint8_t sec[512];
        bool r;

        configure(x);
        queue_write(x, 0);
        state_msg(x, VU_SET_VRING_ENABLE, 0, 1);
        send_ok(x);
        assert_true(vu_dev_kick_fd(&x->d) >= 0);
        assert_false(vu_dev_kick(&x->d));
        assert_int_equal(get16(x, USED + 2), 1);
        assert_int_equal(x->mem[STATUS], VIRTIO_BLK_S_OK);
        assert_int_equal(read_event(x->call), 1);
        assert_int_equal(pread(x->disk.fd, sec, 512, 3 * 512), 512);
        for (unsigned i = 0; i < 512; i++)
                assert_int_equal(sec[i], 0x5a);
        /* GET_VRING_BASE stops the ring and answers the next avail index. */
        state_msg(x, VU_GET_VRING_BASE, 0, 0);
        assert_null(send_msg(x, &r));
        assert_true(r);
        assert_int_equal(x->reply.p.state.num, 1);
        assert_int_equal(vu_dev_kick_fd(&x->d), -1);
        assert_false(x->d.ring.running);
}

static void restart_continues_from_the_base(void **state)
{
        struct fx *x = *state;

        configure(x);
        queue_write(x, 0);
        state_msg(x, VU_SET_VRING_ENABLE, 0, 1);
        send_ok(x);
        vu_dev_kick(&x->d);
        state_msg(x, VU_GET_VRING_BASE, 0, 0);
        send_ok(x);
        /* As SeaBIOS then Linux: base again, kick again, and the next request is served. */
        state_msg(x, VU_SET_VRING_BASE, 0, 1);
        send_ok(x);
        file_msg(x, VU_SET_VRING_KICK, x->kick);
        send_ok(x);
        queue_write(x, 1);
        assert_false(vu_dev_kick(&x->d));
        assert_int_equal(get16(x, USED + 2), 2);
}

static void bad_message_after_setup_writes_nothing(void **state)
{
        struct fx *x = *state;

        configure(x);
        queue_write(x, 0);
        state_msg(x, VU_SET_VRING_NUM, 0, 3);
        send_refused(x, "queue size not a power of 2 up to 1024");
        /* The caller closes the connection: the state is dropped, the image untouched. */
        vu_dev_drop(&x->d);
        assert_int_equal(vu_dev_kick_fd(&x->d), -1);
        assert_false(vu_dev_kick(&x->d));
        assert_int_equal(x->d.gm.nregions, 0);
        assert_disk_pristine(x);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        const struct CMUnitTest tests[] = {
            T(features_offer_protocol_features_and_no_packed_ring),
            T(unoffered_features_are_refused),
            T(reply_ack_answers_zero_and_set_config_is_refused_cleanly),
            T(get_config_returns_capacity_and_zeros_past_the_config),
            T(overlapping_regions_are_refused),
            T(wrapping_regions_are_refused),
            T(ring_index_beyond_the_one_queue_is_refused),
            T(queue_sizes_not_power_of_2_up_to_1024_are_refused),
            T(ring_addresses_outside_every_region_are_refused),
            T(kick_without_descriptor_is_refused),
            T(ring_stays_stopped_until_enabled),
            T(enabled_ring_serves_a_write_and_signals_call),
            T(restart_continues_from_the_base),
            T(bad_message_after_setup_writes_nothing),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
