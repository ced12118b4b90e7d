/*
 * faultshim: an LD_PRELOAD library that injects host I/O faults into the
 * sanitizer-free minivmm, for tests/suites/faults.sh (docs/security.md,
 * "Faults"). MINIVMM_FAULT=MODE[:N] picks one fault; calls are counted
 * from 1 per intercepted function:
 *
 *   uring_submit   io_uring_submit_and_wait fails once (-EIO), submitting nothing
 *   uring_short    every io_uring write completion of more than 512 bytes
 *                  reports half its bytes (the rest is then written
 *                  synchronously by minivmm); applied to the CQ ring after
 *                  io_uring_submit_and_wait and __io_uring_get_cqe return
 *   short          preadv/pwritev move at most half of what they are asked (>= 1 byte)
 *   eintr          every odd call of preadv/pwritev/fdatasync fails with EINTR
 *   enospc         pwritev call N and later fail with ENOSPC (default N = 1)
 *   eio_read       preadv call N and later fail with EIO
 *   eio_sync       fdatasync call N (only that one) fails with EIO, as Linux
 *                  reports a write-back error once per open file
 *
 * MINIVMM_FAULT_LOG=FILE gets one line per event ("inject ...", "pwritev",
 * "fdatasync"), so a test can check their order. Everything is resolved in
 * the constructor, before minivmm installs its sandbox; afterwards the shim
 * makes no call the sandbox refuses.
 */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "devices/disk.h"

enum shim_mode {
        SHIM_NONE,
        SHIM_URING_SUBMIT,
        SHIM_URING_SHORT,
        SHIM_SHORT,
        SHIM_EINTR,
        SHIM_ENOSPC,
        SHIM_EIO_READ,
        SHIM_EIO_SYNC
};

static enum shim_mode mode;
static unsigned long nth = 1;
static int log_fd = -1;
static unsigned long n_preadv, n_pwritev, n_sync, n_submit;

static ssize_t (*real_preadv)(int, const struct iovec *, int, off_t);
static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);
static int (*real_fdatasync)(int);
static int (*real_submit_and_wait)(struct io_uring *, unsigned);
static int (*real_get_cqe)(struct io_uring *, struct io_uring_cqe **, unsigned, unsigned,
                           sigset_t *);

static void shim_log(const char *what)
{
        if (log_fd >= 0)
                (void)!write(log_fd, what, strlen(what));
}

__attribute__((constructor)) static void shim_init(void)
{
        const char *m = getenv("MINIVMM_FAULT"), *log = getenv("MINIVMM_FAULT_LOG");
        static const struct {
                const char *name;
                enum shim_mode mode;
        } modes[] = {{"uring_submit", SHIM_URING_SUBMIT},
                     {"uring_short", SHIM_URING_SHORT},
                     {"short", SHIM_SHORT},
                     {"eintr", SHIM_EINTR},
                     {"enospc", SHIM_ENOSPC},
                     {"eio_read", SHIM_EIO_READ},
                     {"eio_sync", SHIM_EIO_SYNC}};

        real_preadv = dlsym(RTLD_NEXT, "preadv");
        real_pwritev = dlsym(RTLD_NEXT, "pwritev");
        real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
        real_submit_and_wait = dlsym(RTLD_NEXT, "io_uring_submit_and_wait");
        real_get_cqe = dlsym(RTLD_NEXT, "__io_uring_get_cqe");
        if (log != NULL)
                log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (m == NULL)
                return;
        for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
                size_t len = strlen(modes[i].name);

                if (!strncmp(m, modes[i].name, len) && (m[len] == '\0' || m[len] == ':')) {
                        mode = modes[i].mode;
                        if (m[len] == ':')
                                nth = strtoul(m + len + 1, NULL, 10);
                }
        }
}

/* iov trimmed to at most max bytes, into out (<= DISK_IOV_MAX entries); the new count. */
static int shim_trim(const struct iovec *iov, int cnt, size_t max, struct iovec *out)
{
        int k = 0;

        for (int i = 0; i < cnt && i < (int)DISK_IOV_MAX && max > 0; i++) {
                out[k] = iov[i];
                if (out[k].iov_len > max)
                        out[k].iov_len = max;
                max -= out[k].iov_len;
                k++;
        }
        return k;
}

static size_t shim_total(const struct iovec *iov, int cnt)
{
        size_t t = 0;

        for (int i = 0; i < cnt; i++)
                t += iov[i].iov_len;
        return t;
}

static ssize_t shim_rw(bool write, int fd, const struct iovec *iov, int cnt, off_t off)
{
        unsigned long n = write ? ++n_pwritev : ++n_preadv;
        struct iovec half[DISK_IOV_MAX];
        size_t total = shim_total(iov, cnt);

        switch (mode) {
        case SHIM_SHORT:
                if (total > 1) {
                        shim_log(write ? "inject short pwritev\n" : "inject short preadv\n");
                        cnt = shim_trim(iov, cnt, total / 2, half);
                        iov = half;
                }
                break;
        case SHIM_EINTR:
                if (n % 2 == 1) {
                        shim_log("inject eintr\n");
                        errno = EINTR;
                        return -1;
                }
                break;
        case SHIM_ENOSPC:
                if (write && n >= nth) {
                        shim_log("inject enospc\n");
                        errno = ENOSPC;
                        return -1;
                }
                break;
        case SHIM_EIO_READ:
                if (!write && n >= nth) {
                        shim_log("inject eio preadv\n");
                        errno = EIO;
                        return -1;
                }
                break;
        default:
                break;
        }
        if (write)
                shim_log("pwritev\n");
        return write ? real_pwritev(fd, iov, cnt, off) : real_preadv(fd, iov, cnt, off);
}

ssize_t preadv(int fd, const struct iovec *iov, int cnt, off_t off)
{
        return shim_rw(false, fd, iov, cnt, off);
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
        return shim_rw(true, fd, iov, cnt, off);
}

int fdatasync(int fd)
{
        unsigned long n = ++n_sync;

        if (mode == SHIM_EINTR && n % 2 == 1) {
                shim_log("inject eintr\n");
                errno = EINTR;
                return -1;
        }
        if (mode == SHIM_EIO_SYNC && n == nth) {
                shim_log("inject eio fdatasync\n");
                errno = EIO;
                return -1;
        }
        shim_log("fdatasync\n");
        return real_fdatasync(fd);
}

/* Halves the byte count of every write completion waiting in the CQ ring. */
static void shim_shorten_writes(struct io_uring *ring)
{
        unsigned head = *ring->cq.khead, tail = __atomic_load_n(ring->cq.ktail, __ATOMIC_ACQUIRE);

        for (; head != tail; head++) {
                struct io_uring_cqe *cqe = &ring->cq.cqes[head & *ring->cq.kring_mask];
                const struct disk_op *op = io_uring_cqe_get_data(cqe);

                if (op != NULL && op->kind == DISK_OP_WRITE && cqe->res > 512 &&
                    (size_t)cqe->res == op->want) {
                        cqe->res /= 2;
                        shim_log("inject uring_short write\n");
                }
        }
}

int io_uring_submit_and_wait(struct io_uring *ring, unsigned wait_nr)
{
        int r;

        if (mode == SHIM_URING_SUBMIT && ++n_submit == nth) {
                shim_log("inject uring_submit\n");
                return -EIO;
        }
        r = real_submit_and_wait(ring, wait_nr);
        if (mode == SHIM_URING_SHORT && r > 0) {
                /* Every completion waited for is there before minivmm peeks at any
                 * (a signal may have cut the kernel's wait short). */
                while (io_uring_cq_ready(ring) < wait_nr) {
                        struct io_uring_cqe *cqe;
                        int e = real_get_cqe(ring, &cqe, 0, wait_nr, NULL);

                        if (e < 0 && e != -EINTR && e != -EAGAIN)
                                break;
                }
                shim_shorten_writes(ring);
        }
        return r;
}

/*
 * The wait for completions that were not there yet (io_uring_wait_cqe calls
 * it when its inline peek finds nothing, e.g. after a signal cut the
 * submit-and-wait short): the same shortening before minivmm looks.
 */
int __io_uring_get_cqe(struct io_uring *ring, struct io_uring_cqe **cqe_ptr, unsigned submit,
                       unsigned wait_nr, sigset_t *sigmask)
{
        int r = real_get_cqe(ring, cqe_ptr, submit, wait_nr, sigmask);

        if (mode == SHIM_URING_SHORT && r == 0)
                shim_shorten_writes(ring);
        return r;
}
