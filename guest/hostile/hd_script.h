/*
 * hd_script: hostile cases as data (guest/hostile/hd.h). A case is a list of
 * steps (SCRIPT in the device's file): place structures in guest RAM, write
 * registers, notify, expect an exact outcome. hd_play (hd_check.c) runs
 * them, one switch per step (the guest CPU is interpreted: no more), the ops
 * every device knows itself and the device's own through its step function.
 *
 * A value in a step is a place of struct hd (a scratch area, the end of RAM,
 * the capacity) plus an offset, so one script serves every back end. It is
 * one expression (the place in bits 64 and up), so a macro argument carries
 * it through other macros.
 */
#ifndef GUEST_HOSTILE_HD_SCRIPT_H
#define GUEST_HOSTILE_HD_SCRIPT_H

#include "guest/hostile/hd.h"

typedef unsigned __int128 hd_val;

/* The places; TOP is the end of all RAM (above 4 GiB if there is some). */
// clang-format off
enum hd_place {
        P_ABS, P_HDR, P_DATA, P_STAT, P_TABLE, P_TABLE2, P_RING, P_RING2, P_REGS, P_RAM_END,
        P_HIGH_END, P_TOP, P_SECTORS
};

/* The ops hd_play knows; a device's own are numbered from HD_OP_DEV. */
enum {
        HD_OP_END, HD_OP_IFV1, HD_OP_IFV2, HD_OP_IFHIGH, HD_OP_SET, HD_OP_EBYTES, HD_OP_ESECTOR,
        HD_OP_SNAP, HD_OP_WR, HD_OP_RDEQ, HD_OP_RAWW, HD_OP_RAWR, HD_OP_SKIP, HD_OP_RECOVER,
        HD_OP_DEV
};
// clang-format on

/* One step: an op and its operands (which of them it reads: its macro). */
struct hd_step {
        uint8_t op;
        uint16_t i, j;
        uint32_t n, m, fl;
        hd_val a, b, c;
        const char *why;
};

uint64_t hd_value(struct hd *h, hd_val v);
/* Runs the steps up to HD_OP_END; HD_OP_IFV1, HD_OP_IFV2 and HD_OP_IFHIGH
 * (RAM above 4 GiB) skip their next n steps when they do not hold. */
int hd_play(struct hd *h, const struct hd_device *d, const struct hd_step *s);

// clang-format off
#define AT(p, o)   ((hd_val)P_##p << 64 | (uint64_t)(o))
#define V(p)       AT(p, 0)
#define BACK(p, o) AT(p, -(int64_t)(o))
#define K(v)       AT(ABS, v)
#define S(o, ...)  {.op = o, __VA_ARGS__}
#define S0(o)      {.op = o}
// clang-format on
#define IFV1(k)             S(HD_OP_IFV1, .n = (k))
#define IFV2(k)             S(HD_OP_IFV2, .n = (k))
#define IFHIGH(k)           S(HD_OP_IFHIGH, .n = (k))
#define SET(A, len, byte)   S(HD_OP_SET, .a = A, .n = (len), .fl = (byte))
#define FILL(A, len)        S(HD_OP_SET, .a = A, .n = (len), .fl = HD_FILL)
#define EFILL(A, len, what) S(HD_OP_EBYTES, .a = A, .n = (len), .fl = HD_FILL, .why = (what))
#define EZERO(A, len, what) S(HD_OP_EBYTES, .a = A, .n = (len), .fl = 0, .why = (what))
#define ESECTOR(A, SEC)     S(HD_OP_ESECTOR, .a = A, .b = SEC)
#define SNAP                S0(HD_OP_SNAP)
#define WR(off, A)          S(HD_OP_WR, .i = (off), .a = A)
#define WRS(off, A, sh)     S(HD_OP_WR, .i = (off), .a = A, .m = (sh)) /* A >> sh */
#define RDEQ(off, A)        S(HD_OP_RDEQ, .i = (off), .a = A)
#define RAWW(off, len, v)   S(HD_OP_RAWW, .b = K(off), .n = (len), .a = K(v))
#define RAWR(off, len, A)   S(HD_OP_RAWR, .b = K(off), .n = (len), .a = A)
#define SKIP(why_)          S(HD_OP_SKIP, .why = (why_))
#define RECOVER             S0(HD_OP_RECOVER)

/* Case name, run on device dev: its steps, then HD_OP_END. */
#define HD_SCRIPT(dev, name, ...)                                                                  \
        int name(struct hd *h)                                                                     \
        {                                                                                          \
                static const struct hd_step s[] = {__VA_ARGS__, S0(HD_OP_END)};                    \
                return hd_play(h, &(dev), s);                                                      \
        }

#endif
