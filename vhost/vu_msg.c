/* vu_msg: the wire checks (contract: vu_msg.h; sizes from vhost-user.rst). */
#include "vu_msg.h"

#include <stddef.h>

struct vu_msg_rule {
        uint32_t request;
        const char *name;
        uint32_t size; /* exact payload size; VU_SIZE_* for the variable ones */
        unsigned nfds; /* exact descriptor count; VU_FDS_* for the variable ones */
        bool reply;    /* answers whether or not NEED_REPLY is set */
};

#define VU_SIZE_MEM    0xffffffffu /* 8 + 32 per region, 1..8 regions (unused slots may follow) */
#define VU_SIZE_CONFIG 0xfffffffeu /* 12 + its own size field, at most 256 */
#define VU_SIZE_0_OR_8 0xfffffffdu /* BACKEND_REQ_FD: no payload, or a u64 some senders add */
#define VU_FDS_MEM     100u        /* one per region */
#define VU_FDS_FILE    101u        /* one unless bit 8 of the u64 says none */

static const struct vu_msg_rule vu_msg_rules[] = {
    {VU_GET_FEATURES, "GET_FEATURES", 0, 0, true},
    {VU_SET_FEATURES, "SET_FEATURES", 8, 0, false},
    {VU_SET_OWNER, "SET_OWNER", 0, 0, false},
    {VU_RESET_OWNER, "RESET_OWNER", 0, 0, false},
    {VU_SET_MEM_TABLE, "SET_MEM_TABLE", VU_SIZE_MEM, VU_FDS_MEM, false},
    {VU_SET_VRING_NUM, "SET_VRING_NUM", 8, 0, false},
    {VU_SET_VRING_ADDR, "SET_VRING_ADDR", sizeof(struct vu_vring_addr), 0, false},
    {VU_SET_VRING_BASE, "SET_VRING_BASE", 8, 0, false},
    {VU_GET_VRING_BASE, "GET_VRING_BASE", 8, 0, true},
    {VU_SET_VRING_KICK, "SET_VRING_KICK", 8, VU_FDS_FILE, false},
    {VU_SET_VRING_CALL, "SET_VRING_CALL", 8, VU_FDS_FILE, false},
    {VU_SET_VRING_ERR, "SET_VRING_ERR", 8, VU_FDS_FILE, false},
    {VU_GET_PROTOCOL_FEATURES, "GET_PROTOCOL_FEATURES", 0, 0, true},
    {VU_SET_PROTOCOL_FEATURES, "SET_PROTOCOL_FEATURES", 8, 0, false},
    {VU_GET_QUEUE_NUM, "GET_QUEUE_NUM", 0, 0, true},
    {VU_SET_VRING_ENABLE, "SET_VRING_ENABLE", 8, 0, false},
    {VU_SET_BACKEND_REQ_FD, "SET_BACKEND_REQ_FD", VU_SIZE_0_OR_8, 1, false},
    {VU_GET_CONFIG, "GET_CONFIG", VU_SIZE_CONFIG, 0, true},
    {VU_SET_CONFIG, "SET_CONFIG", VU_SIZE_CONFIG, 0, false},
};

static const struct vu_msg_rule *vu_msg_rule(uint32_t request)
{
        for (size_t i = 0; i < sizeof(vu_msg_rules) / sizeof(vu_msg_rules[0]); i++)
                if (vu_msg_rules[i].request == request)
                        return &vu_msg_rules[i];
        return NULL;
}

const char *vu_msg_name(uint32_t request)
{
        const struct vu_msg_rule *r = vu_msg_rule(request);

        return r != NULL ? r->name : "unknown request";
}

bool vu_msg_has_reply(uint32_t request)
{
        const struct vu_msg_rule *r = vu_msg_rule(request);

        return r != NULL && r->reply;
}

const char *vu_msg_check_hdr(const struct vu_hdr *h)
{
        if ((h->flags & VU_FLAG_VERSION_MASK) != VU_FLAG_VERSION)
                return "protocol version is not 1";
        if (h->flags & VU_FLAG_REPLY)
                return "REPLY flag set on a request";
        if (h->flags & ~(VU_FLAG_VERSION_MASK | VU_FLAG_NEED_REPLY))
                return "unknown flag bits";
        if (h->size > VU_PAYLOAD_MAX)
                return "payload larger than any request this backend serves";
        return NULL;
}

static const char *vu_msg_check_size(const struct vu_msg_rule *r, const struct vu_msg *m)
{
        uint32_t size = m->hdr.size, n;

        switch (r->size) {
        case VU_SIZE_MEM:
                if (size < 8)
                        return "payload too short for the region count";
                n = m->p.mem.nregions;
                if (n == 0 || n > VU_MAX_REGIONS)
                        return "region count not 1..8";
                /* User-Mode Linux sends the whole 8-region table whatever the count. */
                if (size < 8 + VU_REGION_SIZE * n || size > 8 + VU_REGION_SIZE * VU_MAX_REGIONS ||
                    (size - 8) % VU_REGION_SIZE != 0)
                        return "payload size does not match the region count";
                return NULL;
        case VU_SIZE_CONFIG:
                if (size < VU_CONFIG_HDR)
                        return "payload too short for a config header";
                if (m->p.config.size > VU_CONFIG_MAX)
                        return "config size above 256 bytes";
                if (size != VU_CONFIG_HDR + m->p.config.size)
                        return "payload size does not match the config size";
                return NULL;
        case VU_SIZE_0_OR_8:
                return size == 0 || size == 8 ? NULL : "payload size is not 0 or 8";
        default:
                return size == r->size ? NULL : "wrong payload size for the request";
        }
}

static const char *vu_msg_check_fds(const struct vu_msg_rule *r, const struct vu_msg *m)
{
        unsigned want = r->nfds;

        if (want == VU_FDS_MEM)
                want = m->p.mem.nregions;
        else if (want == VU_FDS_FILE)
                want = (m->p.u64 & VU_VRING_NOFD) ? 0 : 1;
        return m->nfds == want ? NULL : "wrong number of file descriptors for the request";
}

const char *vu_msg_check(const struct vu_msg *m)
{
        const struct vu_msg_rule *r;
        const char *why = vu_msg_check_hdr(&m->hdr);

        if (why != NULL)
                return why;
        if ((r = vu_msg_rule(m->hdr.request)) == NULL)
                return "request not served by this backend";
        if ((why = vu_msg_check_size(r, m)) != NULL)
                return why;
        if (r->nfds == VU_FDS_FILE && (m->p.u64 & ~(VU_VRING_IDX_MASK | VU_VRING_NOFD)) != 0)
                return "unknown bits in the ring file payload";
        return vu_msg_check_fds(r, m);
}
