/*
 * vu_msg: the vhost-user wire format (QEMU docs/interop/vhost-user.rst,
 * summarised in docs/vhost-user.md) and the first check of every message.
 *
 * A message is a 12-byte header (request, flags, size) followed by size
 * bytes of payload, with file descriptors in the ancillary data of the
 * header's recvmsg. vu_msg_check() knows, for each request this backend
 * serves, the exact payload size (or the rule that gives it) and the number
 * of descriptors; it returns NULL for a well-formed message, else a static
 * string naming what is wrong. It looks only at the bytes: no state, no
 * system calls, so the fuzzer and the unit tests drive it directly.
 */
#ifndef MINIVMM_VU_MSG_H
#define MINIVMM_VU_MSG_H

#include <stdbool.h>
#include <stdint.h>

/* Front-end requests (vhost-user.rst, "Front-end message types"). */
enum vu_request {
        VU_GET_FEATURES = 1,
        VU_SET_FEATURES = 2,
        VU_SET_OWNER = 3,
        VU_RESET_OWNER = 4,
        VU_SET_MEM_TABLE = 5,
        VU_SET_VRING_NUM = 8,
        VU_SET_VRING_ADDR = 9,
        VU_SET_VRING_BASE = 10,
        VU_GET_VRING_BASE = 11,
        VU_SET_VRING_KICK = 12,
        VU_SET_VRING_CALL = 13,
        VU_SET_VRING_ERR = 14,
        VU_GET_PROTOCOL_FEATURES = 15,
        VU_SET_PROTOCOL_FEATURES = 16,
        VU_GET_QUEUE_NUM = 17,
        VU_SET_VRING_ENABLE = 18,
        VU_SET_BACKEND_REQ_FD = 21, /* SET_SLAVE_REQ_FD in older texts */
        VU_GET_CONFIG = 24,
        VU_SET_CONFIG = 25,
};

/* Header flags: version 1 in bits 0-1, REPLY, NEED_REPLY (REPLY_ACK). */
#define VU_FLAG_VERSION      0x1u
#define VU_FLAG_VERSION_MASK 0x3u
#define VU_FLAG_REPLY        0x4u
#define VU_FLAG_NEED_REPLY   0x8u

/* The virtio feature bit that says protocol features exist. */
#define VU_F_PROTOCOL_FEATURES 30

/* Protocol feature bits. */
#define VU_PROTOCOL_F_MQ          0
#define VU_PROTOCOL_F_REPLY_ACK   3
#define VU_PROTOCOL_F_BACKEND_REQ 5
#define VU_PROTOCOL_F_CONFIG      9

/* SET_VRING_KICK/CALL/ERR payload: ring index in bits 0-7, bit 8 "no fd". */
#define VU_VRING_IDX_MASK 0xffull
#define VU_VRING_NOFD     0x100ull

#define VU_MAX_REGIONS 8   /* regions in one SET_MEM_TABLE */
#define VU_MAX_FDS     8   /* descriptors with one message */
#define VU_CONFIG_MAX  256 /* bytes of device config one GET_CONFIG asks for */
#define VU_CONFIG_HDR  12  /* offset, size, flags */
#define VU_PAYLOAD_MAX (VU_CONFIG_HDR + VU_CONFIG_MAX)
#define VU_HDR_SIZE    12
#define VU_REGION_SIZE 32 /* guest address, size, front-end address, mmap offset */

struct vu_hdr {
        uint32_t request;
        uint32_t flags;
        uint32_t size;
} __attribute__((packed));

struct vu_region {
        uint64_t gpa;
        uint64_t size;
        uint64_t uva;
        uint64_t mmap_offset;
} __attribute__((packed));

struct vu_vring_state {
        uint32_t index;
        uint32_t num;
} __attribute__((packed));

struct vu_vring_addr {
        uint32_t index;
        uint32_t flags;
        uint64_t desc, used, avail, log; /* front-end addresses; this order on the wire */
} __attribute__((packed));

struct vu_config {
        uint32_t offset;
        uint32_t size;
        uint32_t flags;
        uint8_t data[VU_CONFIG_MAX];
} __attribute__((packed));

struct vu_mem {
        uint32_t nregions;
        uint32_t padding;
        struct vu_region regions[VU_MAX_REGIONS];
} __attribute__((packed));

/* One message as received: header, payload (zero-filled past size), descriptors. */
struct vu_msg {
        struct vu_hdr hdr;
        union {
                uint64_t u64;
                struct vu_vring_state state;
                struct vu_vring_addr addr;
                struct vu_mem mem;
                struct vu_config config;
                uint8_t bytes[VU_PAYLOAD_MAX];
        } p;
        int fds[VU_MAX_FDS];
        unsigned nfds;
};

/* The request's name for messages ("SET_MEM_TABLE"), or "unknown request". */
const char *vu_msg_name(uint32_t request);
/* The header alone: version and flag bits, payload not above VU_PAYLOAD_MAX. */
const char *vu_msg_check_hdr(const struct vu_hdr *h);
/* Header, payload size and descriptor count of a received message. */
const char *vu_msg_check(const struct vu_msg *m);
/* True for the requests that always answer (GET_*): REPLY_ACK does not add one. */
bool vu_msg_has_reply(uint32_t request);

#endif
