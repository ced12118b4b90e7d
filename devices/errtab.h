/*
 * errtab: an enum and its words from one X-macro list X(ID, "words"), so
 * each error is written once (VQ_ERRORS in virtq.h, VBLK_ERRORS in
 * virtio_blk.h): ERRTAB_ENUM makes the enum's members, ERRTAB_WORDS the
 * designated initializers of its name table, errtab_name looks one up.
 */
#ifndef MINIVMM_ERRTAB_H
#define MINIVMM_ERRTAB_H

#define ERRTAB_ENUM(id, words)  id,
#define ERRTAB_WORDS(id, words) [id] = words,

/* words[e], or "unknown error" when e is not below count. */
static inline const char *errtab_name(const char *const *words, unsigned count, unsigned e)
{
        return e < count ? words[e] : "unknown error";
}

#endif
