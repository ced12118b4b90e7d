/*
 * faultcheck: checks an image against what the guest's fault workload
 * (guest/faultio.h) was told, for tests/suites/faults.sh.
 *
 *   faultcheck IMG [flushed] < GUEST_OUTPUT
 *
 * Every "faultio: w S+N round R -> OK" line is a write the device
 * acknowledged; with `flushed`, only those followed by a
 * "faultio: f round R -> OK" line count. Each sector of each such write must
 * hold its stamp: FAULTIO_MAGIC, its own sector number, and round R or a
 * later one (a later write of the same sector may have replaced it).
 * Prints "faultcheck: W writes, S sectors on disk" and exits 0, or names the
 * first sector that is wrong and exits 1.
 *
 *   faultcheck mksock PATH
 *
 * leaves a UNIX socket inode at PATH (a bad-input case), exit 0 or 1.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "guest/faultio.h"

#define FC_MAX 4096

struct fc_write {
        uint64_t s, n, round;
};

static uint64_t fc_le64(const unsigned char *p)
{
        uint64_t v = 0;

        for (int i = 7; i >= 0; i--)
                v = v << 8 | p[i];
        return v;
}

static int fc_mksock(const char *path)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        int s = socket(AF_UNIX, SOCK_STREAM, 0);

        if (s < 0 || strlen(path) >= sizeof(sa.sun_path))
                return 1;
        memcpy(sa.sun_path, path, strlen(path) + 1);
        return bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
        static struct fc_write w[FC_MAX];
        unsigned nw = 0, ncheck = 0, nsect = 0;
        int flushed_only = argc > 2 && !strcmp(argv[2], "flushed");
        char line[512];
        int fd;

        if (argc == 3 && !strcmp(argv[1], "mksock"))
                return fc_mksock(argv[2]);
        if (argc < 2) {
                fprintf(stderr, "usage: faultcheck IMG [flushed] < GUEST_OUTPUT\n");
                return 2;
        }
        fd = open(argv[1], O_RDONLY);
        if (fd < 0) {
                perror(argv[1]);
                return 2;
        }
        while (fgets(line, sizeof(line), stdin)) {
                uint64_t s, n, r;
                char st[16];

                if (sscanf(line, "faultio: w %" SCNu64 "+%" SCNu64 " round %" SCNu64 " -> %15s", &s,
                           &n, &r, st) == 4 &&
                    !strcmp(st, "OK") && nw < FC_MAX) {
                        w[nw++] = (struct fc_write){s, n, r};
                } else if (sscanf(line, "faultio: f round %" SCNu64 " -> %15s", &r, st) == 2 &&
                           !strcmp(st, "OK")) {
                        ncheck = nw; /* everything acknowledged so far is durable */
                }
        }
        if (!flushed_only)
                ncheck = nw;
        for (unsigned i = 0; i < ncheck; i++) {
                for (uint64_t k = 0; k < w[i].n; k++) {
                        unsigned char b[24];
                        uint64_t s = w[i].s + k;

                        if (pread(fd, b, sizeof(b), (off_t)(s * 512)) != (ssize_t)sizeof(b) ||
                            memcmp(b, FAULTIO_MAGIC, 8) || fc_le64(b + 8) != s ||
                            fc_le64(b + 16) < w[i].round) {
                                printf("faultcheck: sector %" PRIu64 " lacks the stamp of round "
                                       "%" PRIu64 " (write %u of %u acknowledged)\n",
                                       s, w[i].round, i + 1, ncheck);
                                return 1;
                        }
                        nsect++;
                }
        }
        printf("faultcheck: %u writes, %u sectors on disk\n", ncheck, nsect);
        return 0;
}
