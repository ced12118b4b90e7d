/*
 * bootinfo: the FDT, read in one pass over its structure block.
 *
 * Under KVM's instruction emulator every libfdt lookup by path, compatible
 * or phandle walks the tree again, and the lookups the reader used to make
 * cost about 100 ms of emulated instructions at every boot. So the tree is
 * walked once, node by node; each node keeps only the properties the guest
 * needs (pointers into the tree), and what a node means is decided when it
 * ends. Properties precede subnodes in the structure block, so a node's
 * #address-cells and interrupt-parent are known before its children start.
 * The checks and their one-line reasons then run in the order the old
 * lookup-based reader made them.
 *
 * The tokens are read here (walk_next_tag), not with libfdt's
 * fdt_next_tag(), which checks every byte of a node name with a call of its
 * own: that was half of the guest's instructions before its first test
 * (docs/performance.md, "Boot"). Every read is still bounded by the
 * structure block that fdt_check_header() validated.
 */
#include <libfdt.h>

#include "bootinfo.h"
#include "console.h"

#define WALK_DEPTH    16 /* deeper trees are refused */
#define WALK_PHANDLES 16 /* nodes with a phandle that are remembered */

/* A property's value and length; ptr NULL when absent. */
struct prop {
        const fdt32_t *ptr;
        int len;
};

/* What the walk keeps of the node it is inside. */
struct wnode {
        unsigned seq; /* position in document order */
        const char *name;
        int ac, sc;       /* its own #address-cells / #size-cells (for its children) */
        uint32_t iparent; /* interrupt-parent, its own or inherited; 0 for none */
        uint32_t phandle; /* "phandle", else "linux,phandle"; 0 for none */
        bool has_phandle; /* "phandle" itself seen (it wins over linux,phandle) */
        bool devtype_mem; /* device_type = "memory" */
        bool is_svirtb, is_virtio, is_ioapic, is_pci, ro, intc;
        int icells; /* #interrupt-cells, -1 when absent */
        struct prop reg, irq, bootargs;
};

struct wvirtio {
        unsigned seq;
        const char *name;
        struct prop reg, irq;
        uint32_t iparent;
};

struct wphandle {
        unsigned seq;
        uint32_t phandle;
        const char *name;
        bool is_ioapic, intc, root;
        int icells, pac, psc; /* #interrupt-cells; the parent's cells */
        struct prop reg;
};

/* Everything the walk found, checked afterwards. */
struct walk {
        int root_ac, root_sc;
        bool mem_by_name, mem_by_type, has_chosen, has_svirtb, has_pci;
        unsigned mem_type_seq, svirtb_seq;
        struct prop mem_name_reg, mem_type_reg, bootargs, svirtb_reg;
        bool svirtb_ro;
        struct wvirtio virtio[BOOT_MAX_VIRTIO + 1]; /* one more, to tell "too many" */
        unsigned nvirtio;
        struct wphandle ph[WALK_PHANDLES];
        unsigned nph;
        bool ph_overflow;
};

static uint64_t read_cells(const fdt32_t *p, int n)
{
        uint64_t v = 0;

        for (int i = 0; i < n; i++)
                v = (v << 32) | fdt32_to_cpu(p[i]);
        return v;
}

/*
 * The structure and strings blocks (Devicetree Specification v0.4, 5.4 and
 * 5.5), bounded by the header that fdt_check_header() accepted.
 */
struct blocks {
        const uint8_t *st; /* structure block */
        uint32_t st_size;
        const char *str; /* strings block */
        uint32_t str_size;
};

static void blocks_init(struct blocks *b, const void *fdt)
{
        uint32_t total = fdt_totalsize(fdt), off = fdt_off_dt_struct(fdt);

        b->st = (const uint8_t *)fdt + off;
        b->st_size = fdt_version(fdt) >= 17 ? fdt_size_dt_struct(fdt) : total - off;
        b->str = (const char *)fdt + fdt_off_dt_strings(fdt);
        b->str_size = fdt_size_dt_strings(fdt);
}

static uint32_t be32_at(const uint8_t *p)
{
        return fdt32_to_cpu(*(const fdt32_t *)p);
}

/*
 * The token at off and, in *next, the offset of the one after it (tokens
 * are 4-byte aligned, 5.4.1); FDT_END for anything that does not fit in the
 * block. A FDT_BEGIN_NODE's name is NUL-terminated inside the block and a
 * FDT_PROP's header and value lie inside it.
 */
static uint32_t walk_next_tag(const struct blocks *b, uint32_t off, uint32_t *next)
{
        uint32_t tag, len;
        const uint8_t *nul;

        if (off % FDT_TAGSIZE || b->st_size < FDT_TAGSIZE || off > b->st_size - FDT_TAGSIZE)
                return FDT_END;
        tag = be32_at(b->st + off);
        off += FDT_TAGSIZE;
        switch (tag) {
        case FDT_BEGIN_NODE:
                nul = memchr(b->st + off, 0, b->st_size - off);
                if (!nul)
                        return FDT_END;
                off = (uint32_t)(nul - b->st) + 1;
                break;
        case FDT_PROP:
                if (b->st_size - off < 8)
                        return FDT_END;
                len = be32_at(b->st + off);
                if (len > b->st_size - off - 8)
                        return FDT_END;
                off += 8 + len;
                break;
        case FDT_END_NODE:
        case FDT_NOP:
                break;
        default:
                return FDT_END;
        }
        if (off > b->st_size - FDT_TAGSIZE) /* nothing more fits; also keeps the sum below */
                off = b->st_size;
        *next = (off + FDT_TAGSIZE - 1) & ~(uint32_t)(FDT_TAGSIZE - 1);
        return tag;
}

/* The NUL-terminated string at nameoff of the strings block, or NULL. */
static const char *walk_string(const struct blocks *b, uint32_t nameoff)
{
        if (nameoff >= b->str_size || !memchr(b->str + nameoff, 0, b->str_size - nameoff))
                return NULL;
        return b->str + nameoff;
}

static bool str_eq(const char *a, const char *b)
{
        while (*a && *a == *b) {
                a++;
                b++;
        }
        return *a == *b;
}

/* name is base or base@unit (how a path component matches a node name). */
static bool name_is(const char *name, const char *base)
{
        while (*base && *name == *base) {
                name++;
                base++;
        }
        return !*base && (!*name || *name == '@');
}

static bool prop_u32(const struct prop *p, uint32_t *v)
{
        if (!p->ptr || p->len != 4)
                return false;
        *v = fdt32_to_cpu(*p->ptr);
        return true;
}

/* The properties the guest reads; everything else is P_OTHER. */
enum pkind {
        P_OTHER,
        P_ADDRESS_CELLS,
        P_SIZE_CELLS,
        P_INTERRUPT_CELLS,
        P_INTERRUPT_PARENT,
        P_PHANDLE,
        P_LINUX_PHANDLE,
        P_COMPATIBLE,
        P_DEVICE_TYPE,
        P_REG,
        P_INTERRUPTS,
        P_BOOTARGS,
        P_READ_ONLY,
        P_INTERRUPT_CONTROLLER,
};

static const char *const pkind_names[] = {
    [P_ADDRESS_CELLS] = "#address-cells",
    [P_SIZE_CELLS] = "#size-cells",
    [P_INTERRUPT_CELLS] = "#interrupt-cells",
    [P_INTERRUPT_PARENT] = "interrupt-parent",
    [P_PHANDLE] = "phandle",
    [P_LINUX_PHANDLE] = "linux,phandle",
    [P_COMPATIBLE] = "compatible",
    [P_DEVICE_TYPE] = "device_type",
    [P_REG] = "reg",
    [P_INTERRUPTS] = "interrupts",
    [P_BOOTARGS] = "bootargs",
    [P_READ_ONLY] = "read-only",
    [P_INTERRUPT_CONTROLLER] = "interrupt-controller",
};

static enum pkind pkind_of(const char *name)
{
        for (unsigned k = 1; k < sizeof(pkind_names) / sizeof(pkind_names[0]); k++) {
                if (name[0] == pkind_names[k][0] && str_eq(name, pkind_names[k]))
                        return (enum pkind)k;
        }
        return P_OTHER;
}

/*
 * Property names are offsets into the strings block, and writers share one
 * string among every property of that name, so each offset is looked up
 * and compared once (on the emulated guest the comparisons were a large part
 * of the boot); a block whose strings are not shared still works, only
 * slower.
 */
#define NAME_CACHE 32

struct name_cache {
        uint32_t off[NAME_CACHE];
        uint8_t kind[NAME_CACHE];
        unsigned n;
};

/* The kind of the property whose name is at nameoff; -1 if it is not a string. */
static int name_kind(struct name_cache *c, const struct blocks *b, uint32_t nameoff)
{
        const char *name;
        enum pkind k;

        for (unsigned i = 0; i < c->n; i++) {
                if (c->off[i] == nameoff)
                        return c->kind[i];
        }
        name = walk_string(b, nameoff);
        if (!name)
                return -1;
        k = pkind_of(name);
        if (c->n < NAME_CACHE) {
                c->off[c->n] = nameoff;
                c->kind[c->n++] = (uint8_t)k;
        }
        return k;
}

/* Records property (kind, val, len) of node n. */
static void walk_prop(struct wnode *n, enum pkind kind, const void *val, int len)
{
        const struct prop p = {val, len};
        uint32_t v;

        switch (kind) {
        case P_ADDRESS_CELLS:
                if (prop_u32(&p, &v))
                        n->ac = (int)v;
                break;
        case P_SIZE_CELLS:
                if (prop_u32(&p, &v))
                        n->sc = (int)v;
                break;
        case P_INTERRUPT_CELLS:
                if (prop_u32(&p, &v))
                        n->icells = (int)v;
                break;
        case P_INTERRUPT_PARENT:
                if (prop_u32(&p, &v))
                        n->iparent = v;
                break;
        case P_PHANDLE:
                if (prop_u32(&p, &v)) {
                        n->phandle = v;
                        n->has_phandle = true;
                }
                break;
        case P_LINUX_PHANDLE:
                if (!n->has_phandle && prop_u32(&p, &v))
                        n->phandle = v;
                break;
        case P_COMPATIBLE:
                n->is_svirtb = fdt_stringlist_contains(val, len, "minivmm,svirtb");
                n->is_virtio = fdt_stringlist_contains(val, len, "virtio,mmio");
                n->is_ioapic = fdt_stringlist_contains(val, len, "intel,ce4100-ioapic");
                n->is_pci = fdt_stringlist_contains(val, len, "minivmm,pci-cf8");
                break;
        case P_DEVICE_TYPE:
                n->devtype_mem = len == (int)sizeof("memory") && str_eq(val, "memory");
                break;
        case P_REG:
                n->reg = p;
                break;
        case P_INTERRUPTS:
                n->irq = p;
                break;
        case P_BOOTARGS:
                n->bootargs = p;
                break;
        case P_READ_ONLY:
                n->ro = true;
                break;
        case P_INTERRUPT_CONTROLLER:
                n->intc = true;
                break;
        case P_OTHER:
                break;
        }
}

/*
 * Nodes end in post-order (children first), but "first" means document
 * order: inserts item into arr[0..*n) sorted by seq, keeping at most max;
 * on_drop runs when an item falls off the end.
 */
#define WALK_INSERT(arr, n, max, item, on_drop)                                                    \
        do {                                                                                       \
                unsigned i_ = (n) < (max) ? (n)++ : (max);                                         \
                if (i_ == (max)) {                                                                 \
                        on_drop;                                                                   \
                        if ((item).seq > (arr)[(max)-1].seq)                                       \
                                break;                                                             \
                        i_ = (max)-1;                                                              \
                }                                                                                  \
                for (; i_ > 0 && (arr)[i_ - 1].seq > (item).seq; i_--)                             \
                        (arr)[i_] = (arr)[i_ - 1];                                                 \
                (arr)[i_] = (item);                                                                \
        } while (0)

/* Node n (parent up, NULL for the root) ends: what it means to the guest. */
static void walk_end(struct walk *w, const struct wnode *n, const struct wnode *up, int depth)
{
        if (depth == 1 && name_is(n->name, "memory") && !w->mem_by_name) {
                w->mem_by_name = true;
                w->mem_name_reg = n->reg;
        }
        if (n->devtype_mem && (!w->mem_by_type || n->seq < w->mem_type_seq)) {
                w->mem_by_type = true;
                w->mem_type_seq = n->seq;
                w->mem_type_reg = n->reg;
        }
        if (depth == 1 && name_is(n->name, "chosen") && !w->has_chosen) {
                w->has_chosen = true;
                w->bootargs = n->bootargs;
        }
        if (n->is_svirtb && (!w->has_svirtb || n->seq < w->svirtb_seq)) {
                w->has_svirtb = true;
                w->svirtb_seq = n->seq;
                w->svirtb_reg = n->reg;
                w->svirtb_ro = n->ro;
        }
        w->has_pci = w->has_pci || n->is_pci;
        if (n->is_virtio) {
                const struct wvirtio v = {.seq = n->seq,
                                          .name = n->name,
                                          .reg = n->reg,
                                          .irq = n->irq,
                                          .iparent = n->iparent};

                WALK_INSERT(w->virtio, w->nvirtio, BOOT_MAX_VIRTIO + 1, v, (void)0);
        }
        if (n->phandle) {
                const struct wphandle p = {.seq = n->seq,
                                           .phandle = n->phandle,
                                           .name = n->name,
                                           .is_ioapic = n->is_ioapic,
                                           .intc = n->intc,
                                           .root = !up,
                                           .icells = n->icells,
                                           .pac = up ? up->ac : 2,
                                           .psc = up ? up->sc : 1,
                                           .reg = n->reg};

                WALK_INSERT(w->ph, w->nph, WALK_PHANDLES, p, w->ph_overflow = true);
        }
}

/* The one walk over the structure block; 0, or -1 with the reason in err. */
static int walk_tree(struct walk *w, const void *fdt, char *err, size_t errlen)
{
        struct wnode stack[WALK_DEPTH];
        struct name_cache names;
        struct blocks b;
        uint32_t off = 0, next = 0;
        int depth = -1;
        unsigned seq = 0;

        blocks_init(&b, fdt);
        names.n = 0;
        for (;;) {
                uint32_t tag = walk_next_tag(&b, off, &next);

                switch (tag) {
                case FDT_BEGIN_NODE: {
                        struct wnode *n;

                        if (++depth == WALK_DEPTH) {
                                snprintf(err, errlen, "FDT nested deeper than %d levels",
                                         WALK_DEPTH);
                                return -1;
                        }
                        n = &stack[depth];
                        *n = (struct wnode){.seq = seq++, .ac = 2, .sc = 1, .icells = -1};
                        /* walk_next_tag() found the name's NUL before next. */
                        n->name = (const char *)b.st + off + FDT_TAGSIZE;
                        if (depth > 0)
                                n->iparent = stack[depth - 1].iparent;
                        break;
                }
                case FDT_PROP: {
                        /* walk_next_tag() checked that header and value end before next. */
                        const struct fdt_property *p = (const void *)(b.st + off);
                        int kind = name_kind(&names, &b, fdt32_to_cpu(p->nameoff));

                        if (depth < 0 || kind < 0)
                                goto bad;
                        walk_prop(&stack[depth], (enum pkind)kind, p->data,
                                  (int)fdt32_to_cpu(p->len));
                        break;
                }
                case FDT_END_NODE:
                        if (depth < 0)
                                goto bad;
                        if (depth == 0) {
                                w->root_ac = stack[0].ac;
                                w->root_sc = stack[0].sc;
                        }
                        walk_end(w, &stack[depth], depth ? &stack[depth - 1] : NULL, depth);
                        if (depth-- == 0)
                                return 0; /* the root is closed */
                        break;
                case FDT_NOP:
                        break;
                default: /* FDT_END inside the root, or a broken tag */
                        goto bad;
                }
                off = next;
        }
bad:
        snprintf(err, errlen, "bad FDT structure at offset %u", off);
        return -1;
}

static int read_memory(struct boot_info *bi, const struct walk *w, char *err, size_t errlen)
{
        const struct prop *reg = w->mem_by_name ? &w->mem_name_reg : &w->mem_type_reg;
        int entry = (w->root_ac + w->root_sc) * 4;

        if (!w->mem_by_name && !w->mem_by_type) {
                snprintf(err, errlen, "no /memory node: %s", fdt_strerror(-FDT_ERR_NOTFOUND));
                return -1;
        }
        if (!reg->ptr || reg->len <= 0 || reg->len % entry) {
                snprintf(err, errlen, "/memory has no valid reg (length %d)",
                         reg->ptr ? reg->len : -1);
                return -1;
        }
        for (int off = 0; off < reg->len; off += entry) {
                if (bi->nram == BOOT_MAX_RAM) {
                        snprintf(err, errlen, "/memory has more than %d ranges", BOOT_MAX_RAM);
                        return -1;
                }
                bi->ram[bi->nram].base = read_cells(reg->ptr + off / 4, w->root_ac);
                bi->ram[bi->nram].size = read_cells(reg->ptr + off / 4 + w->root_ac, w->root_sc);
                bi->nram++;
        }
        return 0;
}

static void read_chosen(struct boot_info *bi, const struct walk *w)
{
        int len = w->bootargs.len;

        if (!w->bootargs.ptr || len <= 0)
                return;
        bi->has_bootargs = true;
        if (len > BOOT_BOOTARGS_MAX)
                len = BOOT_BOOTARGS_MAX;
        memcpy(bi->bootargs, w->bootargs.ptr, (size_t)len);
        bi->bootargs[len - 1] = '\0';
}

static int read_svirtb(struct boot_info *bi, const struct walk *w, char *err, size_t errlen)
{
        const struct prop *reg = &w->svirtb_reg;

        if (!w->has_svirtb)
                return 0;
        if (!reg->ptr || reg->len < (w->root_ac + w->root_sc) * 4) {
                snprintf(err, errlen, "svirtb node has no valid reg");
                return -1;
        }
        bi->has_svirtb = true;
        bi->svirtb_base = read_cells(reg->ptr, w->root_ac);
        bi->svirtb_size = read_cells(reg->ptr + w->root_ac, w->root_sc);
        bi->svirtb_ro = w->svirtb_ro;
        return 0;
}

/* The IOAPIC that phandle names, or why it is unusable (in v->irq_problem). */
static bool resolve_ioapic(const struct walk *w, uint32_t phandle, struct boot_virtio *v)
{
        const struct wphandle *ioapic = NULL, *any = NULL;

        for (unsigned i = 0; i < w->nph; i++) {
                if (w->ph[i].phandle != phandle)
                        continue;
                if (!any)
                        any = &w->ph[i];
                if (w->ph[i].is_ioapic) {
                        ioapic = &w->ph[i];
                        break;
                }
        }
        if (!ioapic) {
                if (any)
                        snprintf(v->irq_problem, sizeof(v->irq_problem),
                                 "interrupt parent %s is not an intel,ce4100-ioapic", any->name);
                else if (w->ph_overflow)
                        snprintf(v->irq_problem, sizeof(v->irq_problem),
                                 "interrupt-parent <%u>: not among the first %d phandles", phandle,
                                 WALK_PHANDLES);
                else
                        snprintf(v->irq_problem, sizeof(v->irq_problem),
                                 "interrupt-parent <%u>: %s", phandle,
                                 fdt_strerror(phandle == (uint32_t)-1 ? -FDT_ERR_BADPHANDLE
                                                                      : -FDT_ERR_NOTFOUND));
                return false;
        }
        if (!ioapic->intc || ioapic->icells != 2) {
                snprintf(v->irq_problem, sizeof(v->irq_problem),
                         "IOAPIC is no interrupt-controller with #interrupt-cells 2");
                return false;
        }
        if (ioapic->root || ioapic->pac < 1 || ioapic->pac > 2 || ioapic->psc < 1 ||
            ioapic->psc > 2 || !ioapic->reg.ptr ||
            ioapic->reg.len < (ioapic->pac + ioapic->psc) * 4) {
                snprintf(v->irq_problem, sizeof(v->irq_problem), "IOAPIC node has no valid reg");
                return false;
        }
        v->ioapic_base = read_cells(ioapic->reg.ptr, ioapic->pac);
        return true;
}

/* Resolves v's interrupts through its parent IOAPIC; a problem is kept in
 * v->irq_problem (only interrupt-driven tests need this). */
static void read_virtio_irq(struct boot_virtio *v, const struct walk *w, const struct wvirtio *n)
{
        if (!n->iparent) {
                snprintf(v->irq_problem, sizeof(v->irq_problem), "no interrupt-parent");
                return;
        }
        if (!resolve_ioapic(w, n->iparent, v))
                return;
        if (!n->irq.ptr || n->irq.len != 8) {
                snprintf(v->irq_problem, sizeof(v->irq_problem),
                         "interrupts is %d bytes, want 2 cells", n->irq.ptr ? n->irq.len : -1);
                return;
        }
        v->gsi = fdt32_to_cpu(n->irq.ptr[0]);
        v->sense = fdt32_to_cpu(n->irq.ptr[1]);
        v->has_irq = true;
}

static int read_virtio(struct boot_info *bi, const struct walk *w, char *err, size_t errlen)
{
        for (unsigned i = 0; i < w->nvirtio; i++) {
                const struct wvirtio *n = &w->virtio[i];
                struct boot_virtio *v;

                if (i == BOOT_MAX_VIRTIO) {
                        snprintf(err, errlen, "more than %d virtio,mmio nodes", BOOT_MAX_VIRTIO);
                        return -1;
                }
                if (!n->reg.ptr || n->reg.len < (w->root_ac + w->root_sc) * 4) {
                        snprintf(err, errlen, "virtio,mmio node %s has no valid reg", n->name);
                        return -1;
                }
                v = &bi->virtio[bi->nvirtio++];
                v->base = read_cells(n->reg.ptr, w->root_ac);
                v->size = read_cells(n->reg.ptr + w->root_ac, w->root_sc);
                read_virtio_irq(v, w, n);
        }
        return 0;
}

int boot_info_read(struct boot_info *bi, const void *fdt, char *err, size_t errlen)
{
        struct walk w;
        int r;

        memset(bi, 0, sizeof(*bi));
        memset(&w, 0, sizeof(w));
        bi->fdt_addr = (uint64_t)(uintptr_t)fdt;
        r = fdt_check_header(fdt);
        if (r) {
                snprintf(err, errlen, "bad FDT at %p: %s", fdt, fdt_strerror(r));
                return -1;
        }
        bi->fdt_size = fdt_totalsize(fdt);
        for (int i = 0; i < fdt_num_mem_rsv(fdt); i++) {
                uint64_t a, s;

                if (fdt_get_mem_rsv(fdt, i, &a, &s) == 0 && a <= bi->fdt_addr &&
                    bi->fdt_addr + bi->fdt_size <= a + s)
                        bi->fdt_reserved = true;
        }
        if (walk_tree(&w, fdt, err, errlen))
                return -1;
        if (w.root_ac < 1 || w.root_ac > 2 || w.root_sc < 1 || w.root_sc > 2) {
                snprintf(err, errlen, "unsupported root #address-cells %d / #size-cells %d",
                         w.root_ac, w.root_sc);
                return -1;
        }
        if (read_memory(bi, &w, err, errlen))
                return -1;
        read_chosen(bi, &w);
        bi->has_pci = w.has_pci;
        if (read_svirtb(bi, &w, err, errlen))
                return -1;
        return read_virtio(bi, &w, err, errlen);
}

uint64_t boot_low_ram_end(const struct boot_info *bi)
{
        for (unsigned i = 0; i < bi->nram; i++) {
                if (bi->ram[i].base == 0)
                        return bi->ram[i].size;
        }
        return 0;
}

uint64_t boot_ram_total(const struct boot_info *bi)
{
        uint64_t t = 0;

        for (unsigned i = 0; i < bi->nram; i++)
                t += bi->ram[i].size;
        return t;
}

bool boot_in_ram(const struct boot_info *bi, uint64_t addr, uint64_t len)
{
        for (unsigned i = 0; i < bi->nram; i++) {
                const struct ram_range *r = &bi->ram[i];

                if (addr >= r->base && addr - r->base <= r->size &&
                    len <= r->size - (addr - r->base))
                        return true;
        }
        return false;
}
