/*
 * Unit tests for devices/virtio_pci: virtio-blk over legacy and modern
 * virtio-pci (VIRTIO 1.2 §4.1, docs/virtio-pci.md) on a devices/pci.c bus,
 * driven through configuration space and the BARs as a driver would: IDs
 * and capabilities, both initialization sequences with a real request on a
 * test image's bytes, INTx through the ISR, the transitional switch, and the
 * accesses the transport must ignore. The device is a small fake block device
 * (reads only), so these tests need no disk and no virtio-blk model.
 */
#include <errno.h>

#include "tests/unit/vfake.h"
#include "tests/unit/vfake_ops.h"

#include <linux/virtio_blk.h>

#include "devices/pci.h"
#include "devices/virtio_pci.h"
#include "devices/virtq.h"
#include "vmm/pcihost.h"

#define DEV     1u
#define IO_BAR  PCIHOST_IO_BASE
#define MEM_BAR PCIHOST_MEM_BASE
#define SECTORS 64u
#define RING    0x10000ULL /* page-aligned, as the legacy PFN needs */
#define QN      256u
#define HDR     0x40000ULL
#define DATA    0x41000ULL
#define STATUS  0x42000ULL
#define FEATS   (VIRTIO_FEAT_VERSION_1 | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH))
#define COMMON  (MEM_BAR + VPCI_COMMON_OFF)
#define NOTIFY  (MEM_BAR + VPCI_NOTIFY_OFF)
#define ISR     (MEM_BAR + VPCI_ISR_OFF)
#define DEVCFG  (MEM_BAR + VPCI_DEVICE_OFF)

#define VBLK_SECTOR      512u
#define VBLK_CONFIG_SIZE 0x24u

/* --- the fake device: IN requests answered with the test image's bytes ----- */

struct fakeblk {
        const struct gmem *gm;
        uint8_t config[VBLK_CONFIG_SIZE];
};

static uint64_t fake_features(void *dev)
{
        (void)dev;
        return VIRTIO_FEAT_VERSION_1 | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);
}

static void fake_config_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
        memcpy(buf, ((struct fakeblk *)dev)->config + off, len);
}

static unsigned fake_num_queues(void *dev)
{
        (void)dev;
        return 1;
}

static uint16_t fake_queue_max(void *dev, unsigned q)
{
        (void)dev;
        (void)q;
        return 256;
}

/* Chains of header, one 512-byte buffer, status: the sector's bytes, status OK. */
static void fake_notify(void *dev, struct virtq *vq)
{
        struct fakeblk *b = dev;
        static struct vq_chain c;

        while (vq_pop_or_arm(vq, &c) == VQ_POP_CHAIN) {
                const uint8_t *hdr = gmem_ptr(b->gm, c.segs[0].gpa, 16);
                uint8_t *data = c.nsegs == 3 ? gmem_ptr(b->gm, c.segs[1].gpa, VBLK_SECTOR) : NULL;
                uint8_t *st = gmem_ptr(b->gm, c.segs[c.nsegs - 1].gpa, 1);
                uint64_t s = 0;

                assert_non_null(hdr);
                assert_non_null(data);
                assert_non_null(st);
                for (int k = 7; k >= 0; k--)
                        s = s << 8 | hdr[8 + k];
                for (uint32_t i = 0; i < VBLK_SECTOR; i++)
                        data[i] = ti_byte(SECTORS, s * VBLK_SECTOR + i);
                *st = VIRTIO_BLK_S_OK;
                assert_int_equal(vq_push(vq, c.head, VBLK_SECTOR + 1), 0);
        }
        vq_signal_used(vq);
}

static void fake_reset(void *dev)
{
        (void)dev;
}

static void fake_activate(void *dev, uint64_t negotiated)
{
        (void)dev;
        (void)negotiated;
}

VF_DEV_OPS(fake_ops, fake, "fake-blk", VIRTIO_ID_BLOCK, VBLK_CONFIG_SIZE);

struct fx {
        struct vfake f;
        struct fakeblk b;
        struct pci_host host;
        struct vpci v;
        struct vf_ring r;
        bool line;
        unsigned line_changes;
};

static void set_line(void *opaque, unsigned dev, bool level)
{
        struct fx *x = opaque;

        assert_int_equal(dev, DEV);
        assert_true(level != x->line);
        x->line = level;
        x->line_changes++;
}

static void bring_up(struct fx *x, bool modern)
{
        const struct pci_window io = {PCIHOST_IO_BASE, PCIHOST_IO_SIZE};
        const struct pci_window mem = {PCIHOST_MEM_BASE, PCIHOST_MEM_SIZE};

        x->b.gm = &x->f.gm;
        memset(x->b.config, 0, sizeof(x->b.config));
        x->b.config[0] = SECTORS; /* capacity, little-endian */
        pci_init(&x->host, &io, &mem, PCIHOST_BRIDGE_VENDOR, PCIHOST_BRIDGE_DEVICE, set_line, x);
        assert_int_equal(vpci_init(&x->v, &x->host, DEV, &x->f.gm, &fake_ops, &x->b, modern), 0);
        pci_place_bar(&x->host, DEV, VPCI_LEGACY_BAR, IO_BAR);
        pci_place_bar(&x->host, DEV, VPCI_MODERN_BAR, MEM_BAR);
        pci_set_command(&x->host, DEV, PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER);
}

static int setup_common(void **state, bool modern)
{
        struct fx *x = calloc(1, sizeof(*x));

        if (x == NULL || vf_setup(&x->f) < 0)
                return -1;
        trace_enabled = ti_trace_wanted();
        bring_up(x, modern);
        *state = x;
        return 0;
}

static int setup_legacy(void **state)
{
        return setup_common(state, false);
}

static int setup_modern(void **state)
{
        return setup_common(state, true);
}

static int teardown(void **state)
{
        struct fx *x = *state;

        vf_teardown(&x->f);
        free(x);
        return 0;
}

/* --- accesses as a driver makes them -------------------------------------- */

static uint32_t cfg32(struct fx *x, uint32_t off)
{
        uint8_t b[4];

        pci_cfg_access(&x->host, DEV, off, b, 4, false);
        return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* One access of len bytes at addr in I/O (io) or memory space, little-endian; a BAR must claim it.
 */
static uint64_t bar_rw(struct fx *x, bool io, uint64_t addr, uint32_t len, bool is_write,
                       uint64_t v)
{
        uint8_t b[8] = {0};

        for (uint32_t i = 0; i < len; i++)
                b[i] = (uint8_t)(v >> (8 * i));
        assert_true(io ? pci_pio(&x->host, addr, b, len, is_write)
                       : pci_mmio(&x->host, addr, b, len, is_write));
        v = 0;
        for (uint32_t i = 0; i < len; i++)
                v |= (uint64_t)b[i] << (8 * i);
        return v;
}

static uint64_t io_in(struct fx *x, uint64_t port, uint32_t len)
{
        return bar_rw(x, true, port, len, false, 0);
}

static void io_out(struct fx *x, uint64_t port, uint32_t len, uint64_t v)
{
        bar_rw(x, true, port, len, true, v);
}

static uint64_t mem_rd(struct fx *x, uint64_t addr, uint32_t len)
{
        return bar_rw(x, false, addr, len, false, 0);
}

static void mem_wr(struct fx *x, uint64_t addr, uint32_t len, uint64_t v)
{
        bar_rw(x, false, addr, len, true, v);
}

/* A read of sector s into DATA: header, data, status as descriptors 0-2. */
static void queue_read(struct fx *x, uint64_t s)
{
        vf_put(&x->f, HDR, VIRTIO_BLK_T_IN, 4);
        vf_put(&x->f, HDR + 4, 0, 4);
        vf_put(&x->f, HDR + 8, s, 8);
        vf_put(&x->f, STATUS, 0xff, 1);
        vf_desc(&x->f, x->r.desc, 0, HDR, 16, VRING_DESC_F_NEXT, 1);
        vf_desc(&x->f, x->r.desc, 1, DATA, VBLK_SECTOR, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
        vf_desc(&x->f, x->r.desc, 2, STATUS, 1, VRING_DESC_F_WRITE, 0);
        vf_publish(&x->f, &x->r, 0);
}

static void assert_read_done(struct fx *x, uint64_t s, uint16_t used_idx)
{
        assert_int_equal(vf_used_idx(&x->f, &x->r), used_idx);
        vf_assert_used(&x->f, &x->r, (uint16_t)(used_idx - 1), 0, VBLK_SECTOR + 1);
        assert_int_equal(vf_get(&x->f, STATUS, 1), VIRTIO_BLK_S_OK);
        ti_assert_sectors(vf_ptr(&x->f, DATA, VBLK_SECTOR), DATA, SECTORS, s, VBLK_SECTOR);
}

/* The legacy sequence (§4.1.5.1.3 legacy, §3.1.1) through BAR0 only. */
static void legacy_init(struct fx *x)
{
        uint32_t host;

        io_out(x, IO_BAR + VIRTIO_PCI_STATUS, 1, 0);
        io_out(x, IO_BAR + VIRTIO_PCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE);
        io_out(x, IO_BAR + VIRTIO_PCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
        host = (uint32_t)io_in(x, IO_BAR + VIRTIO_PCI_HOST_FEATURES, 4);
        io_out(x, IO_BAR + VIRTIO_PCI_GUEST_FEATURES, 4, host & VIRTIO_BIT(VIRTIO_BLK_F_FLUSH));
        io_out(x, IO_BAR + VIRTIO_PCI_QUEUE_SEL, 2, 0);
        assert_int_equal(io_in(x, IO_BAR + VIRTIO_PCI_QUEUE_NUM, 2), QN);
        vf_ring_at(&x->f, &x->r, RING, QN, 4096);
        io_out(x, IO_BAR + VIRTIO_PCI_QUEUE_PFN, 4, RING >> 12);
        io_out(x, IO_BAR + VIRTIO_PCI_STATUS, 1,
               VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK);
}

/* The modern sequence (§4.1.5.1, §3.1.1) through the common configuration. */
static uint8_t modern_negotiate(struct fx *x, uint64_t want)
{
        uint64_t offered;

        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_STATUS, 1, 0);
        assert_int_equal(mem_rd(x, COMMON + VIRTIO_PCI_COMMON_STATUS, 1), 0);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_STATUS, 1,
               VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
        offered = mem_rd(x, COMMON + VIRTIO_PCI_COMMON_DF, 4);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
        offered |= mem_rd(x, COMMON + VIRTIO_PCI_COMMON_DF, 4) << 32;
        assert_true(offered & VIRTIO_FEAT_VERSION_1);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_GF, 4, (uint32_t)want);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_GF, 4, (uint32_t)(want >> 32));
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_STATUS, 1,
               VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
        return (uint8_t)mem_rd(x, COMMON + VIRTIO_PCI_COMMON_STATUS, 1);
}

static void modern_init(struct fx *x, uint16_t qn)
{
        assert_int_equal(modern_negotiate(x, FEATS), VIRTIO_STATUS_ACKNOWLEDGE |
                                                         VIRTIO_STATUS_DRIVER |
                                                         VIRTIO_STATUS_FEATURES_OK);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
        assert_int_equal(mem_rd(x, COMMON + VIRTIO_PCI_COMMON_Q_SIZE, 2), QN);
        assert_int_equal(mem_rd(x, COMMON + VIRTIO_PCI_COMMON_Q_NOFF, 2), 0);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_Q_SIZE, 2, qn);
        vf_ring_at(&x->f, &x->r, RING, qn, 4);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_Q_DESCLO, 8, x->r.desc); /* one 64-bit access */
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_Q_AVAILLO, 4, (uint32_t)x->r.avail);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_Q_AVAILHI, 4, 0);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_Q_USEDLO, 4, (uint32_t)x->r.used);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_Q_USEDHI, 4, 0);
        assert_int_equal(mem_rd(x, COMMON + VIRTIO_PCI_COMMON_Q_DESCLO, 8), x->r.desc);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
        assert_int_equal(mem_rd(x, COMMON + VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_STATUS, 1,
               VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
                   VIRTIO_STATUS_DRIVER_OK);
}

/* --- identification ------------------------------------------------------------ */

static void legacy_device_has_ids_and_io_bar_only(void **state)
{
        struct fx *x = *state;

        assert_int_equal(cfg32(x, PCI_VENDOR_ID), 0x10011af4);
        assert_int_equal(cfg32(x, PCI_REVISION), 0x01000000); /* revision 0: transitional */
        assert_int_equal(cfg32(x, PCI_SUBSYS_VENDOR), 0x00021af4);
        assert_int_equal(cfg32(x, PCI_BAR0), IO_BAR | PCI_BAR_IO);
        assert_int_equal(cfg32(x, PCI_BAR0 + 4), 0);
        assert_int_equal(cfg32(x, PCI_COMMAND) >> 16 & PCI_STATUS_CAP_LIST, 0);
        assert_int_equal(cfg32(x, PCI_CAP_PTR) & 0xff, 0);
        /* No BAR1 page: the memory window stays unclaimed. */
        uint8_t d[4];
        assert_false(pci_mmio(&x->host, MEM_BAR, d, 4, false));
}

struct cap {
        uint8_t type, bar;
        uint32_t off, len, mult;
};

static void modern_device_lists_the_four_capabilities(void **state)
{
        struct fx *x = *state;
        struct cap caps[8];
        unsigned n = 0;
        uint32_t at;

        assert_int_equal(cfg32(x, PCI_VENDOR_ID), 0x10011af4);
        assert_int_equal(cfg32(x, PCI_COMMAND) >> 16 & PCI_STATUS_CAP_LIST, PCI_STATUS_CAP_LIST);
        assert_int_equal(cfg32(x, PCI_BAR0 + 4), MEM_BAR);
        for (at = cfg32(x, PCI_CAP_PTR) & 0xff; at != 0 && n < 8; n++) {
                uint32_t h = cfg32(x, at);

                assert_int_equal(h & 0xff, 0x09);
                caps[n].type = (uint8_t)(h >> 24);
                caps[n].bar = (uint8_t)cfg32(x, at + 4);
                caps[n].off = cfg32(x, at + 8);
                caps[n].len = cfg32(x, at + 12);
                caps[n].mult = caps[n].type == VIRTIO_PCI_CAP_NOTIFY_CFG ? cfg32(x, at + 16) : 0;
                assert_int_equal(h >> 16 & 0xff, caps[n].type == VIRTIO_PCI_CAP_NOTIFY_CFG ||
                                                         caps[n].type == VIRTIO_PCI_CAP_PCI_CFG
                                                     ? 20
                                                     : 16);
                at = h >> 8 & 0xff;
        }
        assert_int_equal(n, 5);
        for (unsigned i = 0; i < n; i++)
                assert_int_equal(caps[i].bar, VPCI_MODERN_BAR);
        assert_int_equal(caps[0].type, VIRTIO_PCI_CAP_COMMON_CFG);
        assert_int_equal(caps[0].off, VPCI_COMMON_OFF);
        assert_int_equal(caps[0].len, 0x38);
        assert_int_equal(caps[1].type, VIRTIO_PCI_CAP_NOTIFY_CFG);
        assert_int_equal(caps[1].off, VPCI_NOTIFY_OFF);
        assert_int_equal(caps[1].mult, 4);
        assert_int_equal(caps[1].len, 4); /* one queue */
        assert_int_equal(caps[2].type, VIRTIO_PCI_CAP_ISR_CFG);
        assert_int_equal(caps[3].type, VIRTIO_PCI_CAP_DEVICE_CFG);
        assert_int_equal(caps[3].len, VBLK_CONFIG_SIZE);
        /* §4.1.4.9: the window, closed (length 0) until the driver aims it. */
        assert_int_equal(caps[4].type, VIRTIO_PCI_CAP_PCI_CFG);
        assert_int_equal(caps[4].off, 0);
        assert_int_equal(caps[4].len, 0);
        assert_int_equal(mem_rd(x, COMMON + VIRTIO_PCI_COMMON_NUMQ, 2), 1);
        assert_int_equal(mem_rd(x, COMMON + VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
        assert_int_equal(mem_rd(x, COMMON + VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
}

/* --- legacy ------------------------------------------------------------------------ */

static void legacy_driver_reads_a_sector_with_intx(void **state)
{
        struct fx *x = *state;

        assert_false(io_in(x, IO_BAR + VIRTIO_PCI_HOST_FEATURES, 4) & VIRTIO_FEAT_VERSION_1);
        legacy_init(x);
        /* Device config from 0x14: capacity. */
        assert_int_equal(io_in(x, IO_BAR + VPCI_L_CONFIG, 4), SECTORS);
        assert_int_equal(io_in(x, IO_BAR + VPCI_L_CONFIG + 4, 4), 0);
        assert_int_equal(io_in(x, IO_BAR + VIRTIO_PCI_QUEUE_PFN, 4), RING >> 12);
        queue_read(x, 5);
        io_out(x, IO_BAR + VIRTIO_PCI_QUEUE_NOTIFY, 2, 0);
        assert_read_done(x, 5, 1);
        assert_true(x->line);
        assert_int_equal(cfg32(x, PCI_COMMAND) >> 16 & PCI_STATUS_INTX, PCI_STATUS_INTX);
        /* Reading the ISR acknowledges it and drops INTx. */
        assert_int_equal(io_in(x, IO_BAR + VIRTIO_PCI_ISR, 1), 1);
        assert_false(x->line);
        assert_int_equal(io_in(x, IO_BAR + VIRTIO_PCI_ISR, 1), 0);
        assert_int_equal(x->line_changes, 2);
}

static void legacy_read_only_registers_and_bad_widths_are_ignored(void **state)
{
        struct fx *x = *state;

        legacy_init(x);
        io_out(x, IO_BAR + VIRTIO_PCI_HOST_FEATURES, 4, 0xffffffff);
        io_out(x, IO_BAR + VIRTIO_PCI_QUEUE_NUM, 2, 16);
        io_out(x, IO_BAR + VIRTIO_PCI_ISR, 1, 0xff);
        assert_int_equal(io_in(x, IO_BAR + VIRTIO_PCI_QUEUE_NUM, 2), QN);
        assert_false(io_in(x, IO_BAR + VIRTIO_PCI_HOST_FEATURES, 4) & VIRTIO_FEAT_VERSION_1);
        /* Status as 4 bytes, the PFN as 2: read 0, write nothing. */
        assert_int_equal(io_in(x, IO_BAR + VIRTIO_PCI_STATUS, 4), 0);
        io_out(x, IO_BAR + VIRTIO_PCI_QUEUE_PFN, 2, 0);
        assert_int_equal(io_in(x, IO_BAR + VIRTIO_PCI_QUEUE_PFN, 4), RING >> 12);
        io_out(x, IO_BAR + VIRTIO_PCI_STATUS + 1, 1, 0); /* the ISR is read-only */
        assert_int_equal(io_in(x, IO_BAR + VIRTIO_PCI_STATUS, 1), VIRTIO_STATUS_ACKNOWLEDGE |
                                                                      VIRTIO_STATUS_DRIVER |
                                                                      VIRTIO_STATUS_DRIVER_OK);
        /* Config past its size reads 0; the BAR's last byte is still the device's. */
        assert_int_equal(io_in(x, IO_BAR + 0x3f, 1), 0);
        /* A notify of a queue that does not exist serves nothing. */
        queue_read(x, 1);
        io_out(x, IO_BAR + VIRTIO_PCI_QUEUE_NOTIFY, 2, 7);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 0);
        io_out(x, IO_BAR + VIRTIO_PCI_QUEUE_NOTIFY, 2, 0);
        assert_read_done(x, 1, 1);
}

static void legacy_queue_select_out_of_range_reads_size_0(void **state)
{
        struct fx *x = *state;

        io_out(x, IO_BAR + VIRTIO_PCI_QUEUE_SEL, 2, 1);
        assert_int_equal(io_in(x, IO_BAR + VIRTIO_PCI_QUEUE_SEL, 2), 1);
        assert_int_equal(io_in(x, IO_BAR + VIRTIO_PCI_QUEUE_NUM, 2), 0);
        io_out(x, IO_BAR + VIRTIO_PCI_QUEUE_PFN, 4, RING >> 12);
        assert_int_equal(io_in(x, IO_BAR + VIRTIO_PCI_QUEUE_PFN, 4), 0);
}

/* --- modern ---------------------------------------------------------------------- */

static void modern_driver_reads_a_sector_with_intx(void **state)
{
        struct fx *x = *state;

        modern_init(x, 64);
        assert_int_equal(mem_rd(x, DEVCFG, 8), SECTORS);
        queue_read(x, 9);
        mem_wr(x, NOTIFY, 2, 0);
        assert_read_done(x, 9, 1);
        assert_true(x->line);
        assert_int_equal(mem_rd(x, ISR, 1), 1);
        assert_false(x->line);
        assert_int_equal(mem_rd(x, ISR, 1), 0);
        /* Interrupt Disable masks the line; the ISR still says why. */
        pci_set_command(&x->host, DEV, PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_INTX_DISABLE);
        queue_read(x, 10);
        mem_wr(x, NOTIFY, 2, 0);
        assert_read_done(x, 10, 2);
        assert_false(x->line);
        assert_int_equal(mem_rd(x, ISR, 1), 1);
}

static void modern_features_outside_the_offer_are_refused(void **state)
{
        struct fx *x = *state;

        /* §2.2.2: FEATURES_OK reads back clear. */
        assert_int_equal(modern_negotiate(x, FEATS | VIRTIO_BIT(VIRTIO_F_RING_PACKED)),
                         VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
        assert_int_equal(mem_rd(x, COMMON + VIRTIO_PCI_COMMON_GF, 4),
                         (VIRTIO_FEAT_VERSION_1 | VIRTIO_BIT(VIRTIO_F_RING_PACKED)) >> 32);
}

static void modern_bad_notifies_and_widths_are_ignored(void **state)
{
        struct fx *x = *state;
        uint8_t d[8];

        modern_init(x, 64);
        queue_read(x, 3);
        mem_wr(x, NOTIFY + 4, 2, 0);                                    /* queue 1: none */
        mem_wr(x, NOTIFY + 0xffc, 4, 0);                                /* queue 1023 */
        mem_wr(x, NOTIFY + 2, 2, 0);                                    /* not on the multiplier */
        mem_wr(x, NOTIFY, 1, 0);                                        /* a byte */
        mem_wr(x, COMMON + 0xffe, 4, 0);                                /* straddles a page */
        assert_false(pci_mmio(&x->host, NOTIFY + 0xffe, d, 4, true));   /* and the BAR's end */
        mem_wr(x, MEM_BAR + 0x3ffc, 4, 0);                              /* the BAR's last word */
        assert_false(pci_mmio(&x->host, MEM_BAR + 0x4000, d, 2, true)); /* past the BAR */
        assert_int_equal(vf_used_idx(&x->f, &x->r), 0);
        /* Common fields at the wrong width: read 0, write nothing. */
        assert_int_equal(mem_rd(x, COMMON + VIRTIO_PCI_COMMON_STATUS, 4), 0);
        assert_int_equal(mem_rd(x, COMMON + VIRTIO_PCI_COMMON_Q_SIZE, 4), 0);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_STATUS, 2, 0);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_DF, 8, 0); /* 64 bits outside the addresses */
        mem_wr(x, COMMON + 0x38, 2, 1);                 /* queue_reset: not offered */
        assert_int_equal(mem_rd(x, COMMON + 0x38, 2), 0);
        assert_int_equal(mem_rd(x, COMMON + VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_STATUS_DRIVER_OK,
                         VIRTIO_STATUS_DRIVER_OK);
        /* The ISR page past byte 0, device config past its size. */
        assert_int_equal(mem_rd(x, ISR + 1, 1), 0);
        assert_int_equal(mem_rd(x, ISR, 4), 0);
        assert_int_equal(mem_rd(x, DEVCFG + VBLK_CONFIG_SIZE, 4), 0);
        /* Live queue: its size and addresses are locked (M8). */
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_Q_SIZE, 2, 16);
        assert_int_equal(mem_rd(x, COMMON + VIRTIO_PCI_COMMON_Q_SIZE, 2), 64);
        mem_wr(x, NOTIFY, 2, 0);
        assert_read_done(x, 3, 1);
        /* A queue that does not exist: size 0, notify offset 0. */
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_Q_SELECT, 2, 5);
        assert_int_equal(mem_rd(x, COMMON + VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
        assert_int_equal(mem_rd(x, COMMON + VIRTIO_PCI_COMMON_Q_DESCLO, 4), 0);
}

static void queue_before_driver_ok_is_not_served(void **state)
{
        struct fx *x = *state;

        assert_int_equal(modern_negotiate(x, FEATS), VIRTIO_STATUS_ACKNOWLEDGE |
                                                         VIRTIO_STATUS_DRIVER |
                                                         VIRTIO_STATUS_FEATURES_OK);
        vf_ring_at(&x->f, &x->r, RING, 64, 4);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_Q_SIZE, 2, 64);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_Q_DESCLO, 8, x->r.desc);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_Q_AVAILLO, 8, x->r.avail);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_Q_USEDLO, 8, x->r.used);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
        queue_read(x, 2);
        mem_wr(x, NOTIFY, 2, 0);
        assert_int_equal(vf_used_idx(&x->f, &x->r), 0); /* M4 */
        assert_false(x->line);
}

static void ring_outside_ram_sets_needs_reset(void **state)
{
        struct fx *x = *state;

        assert_int_equal(modern_negotiate(x, FEATS), VIRTIO_STATUS_ACKNOWLEDGE |
                                                         VIRTIO_STATUS_DRIVER |
                                                         VIRTIO_STATUS_FEATURES_OK);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_Q_DESCLO, 8, MEM_BAR); /* the BAR itself */
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
        assert_int_equal(mem_rd(x, COMMON + VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
        assert_true(mem_rd(x, COMMON + VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_STATUS, 1, 0);
        assert_int_equal(mem_rd(x, COMMON + VIRTIO_PCI_COMMON_STATUS, 1), 0);
}

/* --- the PCI_CFG window (§4.1.4.9) ------------------------------------------------ */

static void cfg_wr32(struct fx *x, uint32_t off, uint32_t v)
{
        uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

        pci_cfg_access(&x->host, DEV, off, b, 4, true);
}

/* Aims the window at len bytes at off in BAR bar; returns where pci_cfg_data is. */
static uint32_t window(struct fx *x, uint8_t bar, uint32_t off, uint32_t len)
{
        uint32_t at = cfg32(x, PCI_CAP_PTR) & 0xff;

        while (at != 0 && cfg32(x, at) >> 24 != VIRTIO_PCI_CAP_PCI_CFG)
                at = cfg32(x, at) >> 8 & 0xff;
        assert_int_not_equal(at, 0);
        cfg_wr32(x, at + VIRTIO_PCI_CAP_BAR, bar); /* id and padding are read-only */
        cfg_wr32(x, at + VIRTIO_PCI_CAP_OFFSET, off);
        cfg_wr32(x, at + VIRTIO_PCI_CAP_LENGTH, len);
        assert_int_equal(cfg32(x, at + VIRTIO_PCI_CAP_BAR), bar);
        return at + VPCI_CFG_DATA;
}

static uint32_t window_read(struct fx *x, uint8_t bar, uint32_t off, uint32_t len)
{
        uint32_t v = cfg32(x, window(x, bar, off, len));

        return len >= 4 ? v : v & ((1u << (8 * len)) - 1);
}

static void window_write(struct fx *x, uint8_t bar, uint32_t off, uint32_t len, uint32_t v)
{
        cfg_wr32(x, window(x, bar, off, len), v);
}

static void window_reads_what_the_bar_reads(void **state)
{
        static const struct {
                uint32_t off, len;
        } regs[] = {
            {VIRTIO_PCI_COMMON_DFSELECT, 4}, {VIRTIO_PCI_COMMON_DF, 4},
            {VIRTIO_PCI_COMMON_GF, 4},       {VIRTIO_PCI_COMMON_MSIX, 2},
            {VIRTIO_PCI_COMMON_NUMQ, 2},     {VIRTIO_PCI_COMMON_STATUS, 1},
            {VIRTIO_PCI_COMMON_Q_SIZE, 2},   {VIRTIO_PCI_COMMON_Q_ENABLE, 2},
            {VIRTIO_PCI_COMMON_Q_DESCLO, 4}, {VIRTIO_PCI_COMMON_Q_USEDLO, 4},
        };
        struct fx *x = *state;
        uint8_t b;

        modern_init(x, 64);
        assert_int_equal(window_read(x, VPCI_MODERN_BAR, VPCI_DEVICE_OFF, 4), SECTORS);
        assert_int_equal(window_read(x, VPCI_MODERN_BAR, VPCI_DEVICE_OFF + 4, 4), 0);
        for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
                assert_int_equal(
                    window_read(x, VPCI_MODERN_BAR, VPCI_COMMON_OFF + regs[i].off, regs[i].len),
                    mem_rd(x, COMMON + regs[i].off, regs[i].len));
        assert_int_equal(window_read(x, VPCI_MODERN_BAR, VIRTIO_PCI_COMMON_Q_SIZE, 2), 64);
        /* A write through the window is a write to the register. */
        window_write(x, VPCI_MODERN_BAR, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
        assert_int_equal(mem_rd(x, COMMON + VIRTIO_PCI_COMMON_DFSELECT, 4), 1);
        assert_int_equal(window_read(x, VPCI_MODERN_BAR, VIRTIO_PCI_COMMON_DF, 4),
                         VIRTIO_FEAT_VERSION_1 >> 32);
        /* Decoding off: the window still reaches the BAR; a 1-byte read of a 4-byte one. */
        pci_set_command(&x->host, DEV, 0);
        assert_false(pci_mmio(&x->host, DEVCFG, &b, 1, false));
        window(x, VPCI_MODERN_BAR, VPCI_DEVICE_OFF, 4);
        pci_cfg_access(&x->host, DEV, x->v.cfg_cap + VPCI_CFG_DATA, &b, 1, false);
        assert_int_equal(b, SECTORS);
        /* A 1-byte config write of a 1-byte window: device_status 0 resets. */
        window(x, VPCI_MODERN_BAR, VIRTIO_PCI_COMMON_STATUS, 1);
        b = 0;
        pci_cfg_access(&x->host, DEV, x->v.cfg_cap + VPCI_CFG_DATA, &b, 1, true);
        assert_int_equal(window_read(x, VPCI_MODERN_BAR, VIRTIO_PCI_COMMON_STATUS, 1), 0);
        assert_int_equal(x->v.m.status, 0);
}

static void window_notify_notifies_and_isr_read_acknowledges(void **state)
{
        struct fx *x = *state;

        modern_init(x, 64);
        queue_read(x, 4);
        window_write(x, VPCI_MODERN_BAR, VPCI_NOTIFY_OFF, 2, 0);
        assert_read_done(x, 4, 1);
        assert_true(x->line);
        assert_int_equal(window_read(x, VPCI_MODERN_BAR, VPCI_ISR_OFF, 1), 1);
        assert_false(x->line);
        assert_int_equal(mem_rd(x, ISR, 1), 0);
}

static const struct {
        uint8_t bar;
        uint32_t off, len;
        const char *why;
} bad_windows[] = {
    {VPCI_MODERN_BAR, VIRTIO_PCI_COMMON_STATUS, 0, "length not 1, 2 or 4"},
    {VPCI_MODERN_BAR, VIRTIO_PCI_COMMON_STATUS, 3, "length not 1, 2 or 4"},
    {VPCI_MODERN_BAR, VIRTIO_PCI_COMMON_STATUS, 8, "length not 1, 2 or 4"},
    {VPCI_MODERN_BAR, VIRTIO_PCI_COMMON_STATUS, 0x80000001u, "length not 1, 2 or 4"},
    {VPCI_MODERN_BAR, VIRTIO_PCI_COMMON_CFGGENERATION, 2, "offset not a multiple of the length"},
    {VPCI_MODERN_BAR, VIRTIO_PCI_COMMON_STATUS + 2, 4, "offset not a multiple of the length"},
    {2, VIRTIO_PCI_COMMON_STATUS, 1, "no such BAR"},
    {5, VIRTIO_PCI_COMMON_STATUS, 1, "no such BAR"},
    {6, VIRTIO_PCI_COMMON_STATUS, 1, "no such BAR"},
    {0xff, VIRTIO_PCI_COMMON_STATUS, 1, "no such BAR"},
    {VPCI_MODERN_BAR, VPCI_MODERN_BAR_SIZE, 1, "past the BAR's end"},
    {VPCI_MODERN_BAR, 0xfffffffcu, 4, "past the BAR's end"},
    {VPCI_LEGACY_BAR, VPCI_LEGACY_BAR_SIZE, 4, "past the BAR's end"},
};

static char trace_out[16384];

/* Each bad window aimed at device_status: a write of 0 would reset the device. */
static void refused_windows(void *arg)
{
        struct fx *x = arg;

        for (unsigned i = 0; i < sizeof(bad_windows) / sizeof(bad_windows[0]); i++) {
                window_write(x, bad_windows[i].bar, bad_windows[i].off, bad_windows[i].len, 0);
                assert_int_equal(cfg32(x, x->v.cfg_cap + VPCI_CFG_DATA), 0xffffffffu);
        }
}

static void window_refuses_every_bad_field(void **state)
{
        struct fx *x = *state;
        char line[160];

        modern_init(x, 64);
        vf_capture_trace(trace_out, sizeof(trace_out), refused_windows, x);
        assert_int_equal(mem_rd(x, COMMON + VIRTIO_PCI_COMMON_STATUS, 1),
                         VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                             VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
        for (unsigned i = 0; i < sizeof(bad_windows) / sizeof(bad_windows[0]); i++) {
                snprintf(
                    line, sizeof(line),
                    "virtio-pci@00:01.0: PCI_CFG write of %u bytes at BAR%u 0x%x refused: %s\n",
                    bad_windows[i].len, bad_windows[i].bar, bad_windows[i].off, bad_windows[i].why);
                assert_non_null(strstr(trace_out, line));
        }
        /* A legacy-only device has no capabilities, so no window (test above). */
}

/* Traces of the shared register model and of the transport name the PCI device as such. */
static void traced_modern_session(void *arg)
{
        struct fx *x = arg;

        modern_init(x, 64);
        mem_wr(x, NOTIFY + 2, 2, 0);
        io_out(x, IO_BAR + VIRTIO_PCI_STATUS, 1, 0);
}

static void traces_name_the_pci_device(void **state)
{
        static const char *const lines[] = {
            "\nvirtio-pci@00:01.0: write Status <- 0x0000000f (ACKNOWLEDGE DRIVER FEATURES_OK "
            "DRIVER_OK), now 0x0f\n",
            "\nvirtio-pci@00:01.0: ignored 2-byte notify at 0x2\n",
            "\nvirtio-pci@00:01.0: legacy interface ignored while the modern driver runs\n",
        };
        struct fx *x = *state;

        vf_capture_trace(trace_out, sizeof(trace_out), traced_modern_session, x);
        for (unsigned i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
                assert_non_null(strstr(trace_out, lines[i]));
        assert_null(strstr(trace_out, "virtio-mmio@"));
}

/* --- transitional ------------------------------------------------------------------- */

static void transitional_device_follows_the_driver_at_reset(void **state)
{
        struct fx *x = *state;

        modern_init(x, 64);
        /* The legacy interface while the modern driver runs: ignored, reads 0. */
        assert_int_equal(io_in(x, IO_BAR + VIRTIO_PCI_STATUS, 1), 0);
        io_out(x, IO_BAR + VIRTIO_PCI_STATUS, 1, 0);
        assert_true(mem_rd(x, COMMON + VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_STATUS_DRIVER_OK);
        /* After a reset the legacy driver takes over: no VERSION_1 offered there. */
        mem_wr(x, COMMON + VIRTIO_PCI_COMMON_STATUS, 1, 0);
        legacy_init(x);
        assert_true(x->v.m.legacy);
        queue_read(x, 7);
        io_out(x, IO_BAR + VIRTIO_PCI_QUEUE_NOTIFY, 2, 0);
        assert_read_done(x, 7, 1);
        assert_int_equal(io_in(x, IO_BAR + VIRTIO_PCI_ISR, 1), 1);
        /* And the modern interface is ignored now. */
        assert_int_equal(mem_rd(x, COMMON + VIRTIO_PCI_COMMON_STATUS, 1), 0);
        assert_int_equal(mem_rd(x, COMMON + VIRTIO_PCI_COMMON_NUMQ, 2), 0);
        io_out(x, IO_BAR + VIRTIO_PCI_STATUS, 1, 0);
        assert_int_equal(mem_rd(x, COMMON + VIRTIO_PCI_COMMON_NUMQ, 2), 1);
        assert_false(x->v.m.legacy);
}

static void moved_bars_keep_working_and_bad_places_are_refused(void **state)
{
        struct fx *x = *state;
        uint8_t d[4];

        pci_place_bar(&x->host, DEV, VPCI_MODERN_BAR, MEM_BAR + 0x100000);
        assert_false(pci_mmio(&x->host, MEM_BAR, d, 1, false));
        assert_int_equal(mem_rd(x, MEM_BAR + 0x100000 + VIRTIO_PCI_COMMON_NUMQ, 2), 1);
        pci_place_bar(&x->host, DEV, VPCI_MODERN_BAR, 0xcafe0000);
        assert_false(pci_mmio(&x->host, 0xcafe0000, d, 1, false));
        assert_false(pci_mmio(&x->host, MEM_BAR + 0x100000, d, 1, false));
        pci_place_bar(&x->host, DEV, VPCI_LEGACY_BAR, 0x3f8);
        assert_false(pci_pio(&x->host, 0x3f8, d, 1, false));
        pci_place_bar(&x->host, DEV, VPCI_LEGACY_BAR, IO_BAR + 0x40);
        assert_int_equal(io_in(x, IO_BAR + 0x40 + VIRTIO_PCI_QUEUE_NUM, 2), QN);
}

static void bad_arguments_are_refused(void **state)
{
        struct fx *x = *state;
        struct vpci other;

        /* The slot is taken. */
        assert_int_equal(vpci_init(&other, &x->host, DEV, &x->f.gm, &fake_ops, &x->b, true),
                         -EINVAL);
        assert_int_equal(vpci_init(&other, &x->host, 0, &x->f.gm, &fake_ops, &x->b, true), -EINVAL);
        assert_int_equal(vpci_init(&other, &x->host, 32, &x->f.gm, &fake_ops, &x->b, true),
                         -EINVAL);
}

int main(void)
{
#define L(t) cmocka_unit_test_setup_teardown(t, setup_legacy, teardown)
#define M(t) cmocka_unit_test_setup_teardown(t, setup_modern, teardown)
        const struct CMUnitTest tests[] = {
            L(legacy_device_has_ids_and_io_bar_only),
            M(modern_device_lists_the_four_capabilities),
            L(legacy_driver_reads_a_sector_with_intx),
            M(legacy_driver_reads_a_sector_with_intx),
            L(legacy_read_only_registers_and_bad_widths_are_ignored),
            L(legacy_queue_select_out_of_range_reads_size_0),
            M(modern_driver_reads_a_sector_with_intx),
            M(modern_features_outside_the_offer_are_refused),
            M(modern_bad_notifies_and_widths_are_ignored),
            M(queue_before_driver_ok_is_not_served),
            M(ring_outside_ram_sets_needs_reset),
            M(window_reads_what_the_bar_reads),
            M(window_notify_notifies_and_isr_read_acknowledges),
            M(window_refuses_every_bad_field),
            M(traces_name_the_pci_device),
            M(transitional_device_follows_the_driver_at_reset),
            M(moved_bars_keep_working_and_bad_places_are_refused),
            M(bad_arguments_are_refused),
        };
        return cmocka_run_group_tests_name("virtio_pci", tests, NULL, NULL);
}
