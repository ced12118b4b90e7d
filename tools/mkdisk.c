/*
 * mkdisk: makes and checks the disk images the guest test suite runs on
 * (layout in tools/testdisk.h).
 *
 *   mkdisk make FILE SECTORS   write a fresh test image of SECTORS sectors
 *   mkdisk check FILE [GROUPS] the image holds exactly what a full run of the
 *                              guest's write tests leaves: the write pattern in
 *                              the sectors they write, the original elsewhere.
 *                              GROUPS: which tests ran, a comma-separated list
 *                              of svirtb, virtio and two-disks (default svirtb)
 *   mkdisk pristine FILE       every sector still holds its original bytes
 *   mkdisk written FILE FIRST COUNT
 *                              sectors FIRST..FIRST+COUNT-1 hold the write pattern
 *
 * Exit 0 when the image is as expected, 1 otherwise (naming the first bad
 * sector and byte), 2 on bad usage.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/testdisk.h"

static int mkdisk_usage(void)
{
        fprintf(stderr,
                "usage: mkdisk make FILE SECTORS | check FILE [svirtb,virtio,two-disks] | "
                "pristine FILE | written FILE FIRST COUNT\n");
        return 2;
}

static void mkdisk_fill(uint8_t *buf, uint64_t s, uint64_t n)
{
        for (uint32_t i = 0; i < TD_SECTOR; i++)
                buf[i] = td_orig_byte(s, n, i);
}

static int mkdisk_make(const char *path, const char *count)
{
        char *end;
        uint8_t buf[TD_SECTOR];
        unsigned long long n = strtoull(count, &end, 0);
        FILE *f;

        if (*end || n < TD_MIN_SECTORS || n > (1ULL << 24)) {
                fprintf(stderr, "mkdisk: SECTORS '%s': need %u to %llu\n", count, TD_MIN_SECTORS,
                        1ULL << 24);
                return 2;
        }
        f = fopen(path, "wb");
        if (!f) {
                fprintf(stderr, "mkdisk: %s: %s\n", path, strerror(errno));
                return 1;
        }
        for (uint64_t s = 0; s < n; s++) {
                mkdisk_fill(buf, s, n);
                if (fwrite(buf, 1, sizeof(buf), f) != sizeof(buf))
                        break;
        }
        int bad = ferror(f);
        if (fclose(f) || bad) {
                fprintf(stderr, "mkdisk: %s: write failed\n", path);
                return 1;
        }
        return 0;
}

#define GROUP_SVIRTB    1
#define GROUP_VIRTIO    2
#define GROUP_TWO_DISKS 4

static int mkdisk_groups(const char *arg)
{
        int groups = 0;

        while (*arg) {
                size_t n = strcspn(arg, ",");
                if (n == 6 && !strncmp(arg, "svirtb", n))
                        groups |= GROUP_SVIRTB;
                else if (n == 6 && !strncmp(arg, "virtio", n))
                        groups |= GROUP_VIRTIO;
                else if (n == 9 && !strncmp(arg, "two-disks", n))
                        groups |= GROUP_TWO_DISKS;
                else
                        return -1;
                arg += n;
                if (*arg == ',')
                        arg++;
        }
        return groups ? groups : -1;
}

/* Compares every sector with what it should hold; groups: whose write map applies. */
static int mkdisk_verify(const char *path, int groups)
{
        uint8_t buf[TD_SECTOR];
        FILE *f = fopen(path, "rb");
        long size;
        uint64_t n;

        if (!f) {
                fprintf(stderr, "mkdisk: %s: %s\n", path, strerror(errno));
                return 1;
        }
        if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
                fprintf(stderr, "mkdisk: %s: cannot size\n", path);
                fclose(f);
                return 1;
        }
        if (size % TD_SECTOR || (uint64_t)size / TD_SECTOR < TD_MIN_SECTORS) {
                fprintf(stderr, "mkdisk: %s: %ld bytes is not a test image\n", path, size);
                fclose(f);
                return 1;
        }
        n = (uint64_t)size / TD_SECTOR;
        for (uint64_t s = 0; s < n; s++) {
                int w = ((groups & GROUP_SVIRTB) && td_is_written(s)) ||
                        ((groups & GROUP_VIRTIO) && td_is_written_virtio(s)) ||
                        ((groups & GROUP_TWO_DISKS) && td_is_written_two_disks(s));

                if (fread(buf, 1, sizeof(buf), f) != sizeof(buf)) {
                        fprintf(stderr, "mkdisk: %s: short read at sector %llu\n", path,
                                (unsigned long long)s);
                        fclose(f);
                        return 1;
                }
                for (uint32_t i = 0; i < TD_SECTOR; i++) {
                        uint8_t want = w ? td_write_byte(s, i) : td_orig_byte(s, n, i);
                        if (buf[i] != want) {
                                fprintf(
                                    stderr,
                                    "mkdisk: %s: sector %llu byte %u is 0x%02x, expected 0x%02x "
                                    "(%s)\n",
                                    path, (unsigned long long)s, i, buf[i], want,
                                    w ? "written by the guest" : "original");
                                fclose(f);
                                return 1;
                        }
                }
        }
        fclose(f);
        return 0;
}

/* Sectors [first, first + count) hold td_write_byte's pattern. */
static int mkdisk_written(const char *path, const char *first_s, const char *count_s)
{
        char *e1, *e2;
        unsigned long long first = strtoull(first_s, &e1, 0), count = strtoull(count_s, &e2, 0);
        uint8_t buf[TD_SECTOR];
        FILE *f;

        if (*e1 || *e2 || count == 0 || count > (1ULL << 24) || first > (1ULL << 40))
                return mkdisk_usage();
        f = fopen(path, "rb");
        if (!f || fseek(f, (long)(first * TD_SECTOR), SEEK_SET)) {
                fprintf(stderr, "mkdisk: %s: %s\n", path, strerror(errno));
                if (f)
                        fclose(f);
                return 1;
        }
        for (uint64_t s = first; s < first + count; s++) {
                if (fread(buf, 1, sizeof(buf), f) != sizeof(buf)) {
                        fprintf(stderr, "mkdisk: %s: no sector %llu\n", path,
                                (unsigned long long)s);
                        fclose(f);
                        return 1;
                }
                for (uint32_t i = 0; i < TD_SECTOR; i++) {
                        if (buf[i] != td_write_byte(s, i)) {
                                fprintf(stderr,
                                        "mkdisk: %s: sector %llu byte %u is 0x%02x, expected "
                                        "0x%02x (written by the guest)\n",
                                        path, (unsigned long long)s, i, buf[i], td_write_byte(s, i));
                                fclose(f);
                                return 1;
                        }
                }
        }
        fclose(f);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc == 5 && !strcmp(argv[1], "written"))
                return mkdisk_written(argv[2], argv[3], argv[4]);
        if (argc == 4 && !strcmp(argv[1], "make"))
                return mkdisk_make(argv[2], argv[3]);
        if (argc == 3 && !strcmp(argv[1], "check"))
                return mkdisk_verify(argv[2], GROUP_SVIRTB);
        if (argc == 4 && !strcmp(argv[1], "check")) {
                int groups = mkdisk_groups(argv[3]);
                return groups < 0 ? mkdisk_usage() : mkdisk_verify(argv[2], groups);
        }
        if (argc == 3 && !strcmp(argv[1], "pristine"))
                return mkdisk_verify(argv[2], 0);
        return mkdisk_usage();
}
