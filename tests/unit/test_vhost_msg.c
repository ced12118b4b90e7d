/*
 * test_vhost_msg: the vhost-user wire checks (vhost/vu_msg.h). Each test
 * builds one message as a front end would send it and asserts whether
 * vu_msg_check() accepts it, and with which reason it refuses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vhost/vu_msg.h"

static struct vu_msg m;

static void msg(uint32_t req, uint32_t size, unsigned nfds)
{
        memset(&m, 0, sizeof(m));
        m.hdr.request = req;
        m.hdr.flags = VU_FLAG_VERSION;
        m.hdr.size = size;
        m.nfds = nfds;
        for (unsigned i = 0; i < nfds; i++)
                m.fds[i] = 100 + (int)i;
}

static void refused(const char *why)
{
        const char *got = vu_msg_check(&m);

        assert_non_null(got);
        assert_string_equal(got, why);
}

static void well_formed_requests_are_accepted(void **state)
{
        (void)state;
        msg(VU_GET_FEATURES, 0, 0);
        assert_null(vu_msg_check(&m));
        msg(VU_SET_FEATURES, 8, 0);
        assert_null(vu_msg_check(&m));
        msg(VU_SET_VRING_ADDR, sizeof(struct vu_vring_addr), 0);
        assert_null(vu_msg_check(&m));
        msg(VU_SET_VRING_KICK, 8, 1);
        assert_null(vu_msg_check(&m));
        msg(VU_SET_VRING_CALL, 8, 0);
        m.p.u64 = VU_VRING_NOFD;
        assert_null(vu_msg_check(&m));
        msg(VU_SET_BACKEND_REQ_FD, 0, 1);
        assert_null(vu_msg_check(&m));
        msg(VU_GET_CONFIG, VU_CONFIG_HDR + 60, 0);
        m.p.config.size = 60;
        assert_null(vu_msg_check(&m));
        msg(VU_SET_OWNER, 0, 0);
        m.hdr.flags |= VU_FLAG_NEED_REPLY;
        assert_null(vu_msg_check(&m));
}

static void header_version_other_than_1_is_refused(void **state)
{
        (void)state;
        msg(VU_GET_FEATURES, 0, 0);
        m.hdr.flags = 2;
        refused("protocol version is not 1");
        m.hdr.flags = 0;
        refused("protocol version is not 1");
}

static void header_reply_and_unknown_flags_are_refused(void **state)
{
        (void)state;
        msg(VU_GET_FEATURES, 0, 0);
        m.hdr.flags |= VU_FLAG_REPLY;
        refused("REPLY flag set on a request");
        msg(VU_GET_FEATURES, 0, 0);
        m.hdr.flags |= 0x10;
        refused("unknown flag bits");
}

static void header_payload_above_the_largest_is_refused(void **state)
{
        (void)state;
        msg(VU_SET_MEM_TABLE, VU_PAYLOAD_MAX + 1, 0);
        assert_non_null(vu_msg_check_hdr(&m.hdr));
        refused("payload larger than any request this backend serves");
        msg(VU_SET_MEM_TABLE, UINT32_MAX, 0);
        refused("payload larger than any request this backend serves");
}

static void unknown_and_unoffered_requests_are_refused(void **state)
{
        (void)state;
        msg(0, 0, 0);
        refused("request not served by this backend");
        msg(6 /* SET_LOG_BASE: LOG_SHMFD not offered */, 8, 1);
        refused("request not served by this backend");
        msg(1000, 0, 0);
        refused("request not served by this backend");
        assert_string_equal(vu_msg_name(1000), "unknown request");
}

static void fixed_payload_sizes_are_exact(void **state)
{
        (void)state;
        msg(VU_SET_FEATURES, 4, 0);
        refused("wrong payload size for the request");
        msg(VU_GET_FEATURES, 8, 0);
        refused("wrong payload size for the request");
        msg(VU_SET_VRING_ADDR, sizeof(struct vu_vring_addr) - 8, 0);
        refused("wrong payload size for the request");
        msg(VU_GET_VRING_BASE, 16, 0);
        refused("wrong payload size for the request");
        msg(VU_SET_BACKEND_REQ_FD, 4, 1);
        refused("payload size is not 0 or 8");
}

static void mem_table_region_count_and_size_must_agree(void **state)
{
        (void)state;
        msg(VU_SET_MEM_TABLE, 4, 0);
        refused("payload too short for the region count");
        msg(VU_SET_MEM_TABLE, 8, 0);
        refused("region count not 1..8");
        msg(VU_SET_MEM_TABLE, 8 + 32 * 8, 8);
        m.p.mem.nregions = 9;
        refused("region count not 1..8");
        msg(VU_SET_MEM_TABLE, 8 + 32, 2);
        m.p.mem.nregions = 2;
        refused("payload size does not match the region count");
        msg(VU_SET_MEM_TABLE, 8 + 32 * 2 + 1, 2);
        m.p.mem.nregions = 2;
        refused("payload size does not match the region count");
        /* Exact, and the whole 8-slot table User-Mode Linux sends. */
        msg(VU_SET_MEM_TABLE, 8 + 32 * 2, 2);
        m.p.mem.nregions = 2;
        assert_null(vu_msg_check(&m));
        msg(VU_SET_MEM_TABLE, 8 + 32 * 8, 1);
        m.p.mem.nregions = 1;
        assert_null(vu_msg_check(&m));
}

static void mem_table_needs_one_fd_per_region(void **state)
{
        (void)state;
        msg(VU_SET_MEM_TABLE, 8 + 32 * 2, 1);
        m.p.mem.nregions = 2;
        refused("wrong number of file descriptors for the request");
        msg(VU_SET_MEM_TABLE, 8 + 32 * 2, 3);
        m.p.mem.nregions = 2;
        refused("wrong number of file descriptors for the request");
}

static void config_size_is_bounded_and_matches(void **state)
{
        (void)state;
        msg(VU_GET_CONFIG, 8, 0);
        refused("payload too short for a config header");
        msg(VU_GET_CONFIG, VU_CONFIG_HDR + 257, 0);
        refused("payload larger than any request this backend serves");
        msg(VU_GET_CONFIG, VU_CONFIG_HDR + 256, 0);
        m.p.config.size = 257;
        refused("config size above 256 bytes");
        msg(VU_SET_CONFIG, VU_CONFIG_HDR + 8, 0);
        m.p.config.size = 4;
        refused("payload size does not match the config size");
}

static void ring_file_fd_count_follows_the_nofd_bit(void **state)
{
        (void)state;
        msg(VU_SET_VRING_KICK, 8, 0);
        refused("wrong number of file descriptors for the request");
        msg(VU_SET_VRING_CALL, 8, 1);
        m.p.u64 = VU_VRING_NOFD;
        refused("wrong number of file descriptors for the request");
        msg(VU_SET_VRING_ERR, 8, 2);
        refused("wrong number of file descriptors for the request");
        msg(VU_SET_VRING_KICK, 8, 1);
        m.p.u64 = 1ull << 9;
        refused("unknown bits in the ring file payload");
        msg(VU_SET_BACKEND_REQ_FD, 0, 0);
        refused("wrong number of file descriptors for the request");
        msg(VU_GET_FEATURES, 0, 1);
        refused("wrong number of file descriptors for the request");
}

static void replies_are_known_per_request(void **state)
{
        (void)state;
        assert_true(vu_msg_has_reply(VU_GET_FEATURES));
        assert_true(vu_msg_has_reply(VU_GET_VRING_BASE));
        assert_true(vu_msg_has_reply(VU_GET_CONFIG));
        assert_false(vu_msg_has_reply(VU_SET_MEM_TABLE));
        assert_false(vu_msg_has_reply(1000));
        assert_string_equal(vu_msg_name(VU_SET_MEM_TABLE), "SET_MEM_TABLE");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(well_formed_requests_are_accepted),
            cmocka_unit_test(header_version_other_than_1_is_refused),
            cmocka_unit_test(header_reply_and_unknown_flags_are_refused),
            cmocka_unit_test(header_payload_above_the_largest_is_refused),
            cmocka_unit_test(unknown_and_unoffered_requests_are_refused),
            cmocka_unit_test(fixed_payload_sizes_are_exact),
            cmocka_unit_test(mem_table_region_count_and_size_must_agree),
            cmocka_unit_test(mem_table_needs_one_fd_per_region),
            cmocka_unit_test(config_size_is_bounded_and_matches),
            cmocka_unit_test(ring_file_fd_count_follows_the_nofd_bit),
            cmocka_unit_test(replies_are_known_per_request),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
