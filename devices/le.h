/*
 * le: little-endian loads and stores on byte buffers. Every guest-visible
 * structure (registers, rings, request headers, config space) is
 * little-endian; devices decode a local copy with these, whatever the host.
 */
#ifndef MINIVMM_LE_H
#define MINIVMM_LE_H

#include <stdint.h>

static inline uint16_t le16_get(const uint8_t *p)
{
        return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t le32_get(const uint8_t *p)
{
        return (uint32_t)le16_get(p) | (uint32_t)le16_get(p + 2) << 16;
}

static inline uint64_t le64_get(const uint8_t *p)
{
        return (uint64_t)le32_get(p) | (uint64_t)le32_get(p + 4) << 32;
}

static inline void le32_put(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)(v >> 16);
        p[3] = (uint8_t)(v >> 24);
}

#endif
