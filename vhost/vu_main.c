/*
 * minivmm-vhost-user-blk: serves one disk image over the vhost-user
 * protocol (docs/vhost-user.md) with minivmm's own virtio-blk device model.
 * Parses the command line, opens the disk, listens, enters the sandbox,
 * then serves one front end at a time until SIGINT or SIGTERM: messages on
 * the socket and the queue's kick eventfd, in one poll loop (the VMM's I/O
 * thread design, one thread: a message and a request never run at once).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/disk.h"
#include "devices/trace.h"
#include "devices/virtio_blk.h"
#include "vhost/vu_dev.h"
#include "vhost/vu_sandbox.h"
#include "vhost/vu_sock.h"
#include "vmm/cli.h"

#define VU_NAME         "minivmm-vhost-user-blk"
#define VU_RECV_TIMEOUT 10 /* seconds a message's payload may lag behind its header */

static const char usage[] =
    "NAME\n"
    "    " VU_NAME " - serve a disk image to a vhost-user front end\n"
    "\n"
    "SYNOPSIS\n"
    "    " VU_NAME " --socket PATH --disk FILE[,ro][,aio=sync|io_uring]\n"
    "        [--serial S] [--trace] [--stats] [--no-sandbox]\n"
    "\n"
    "DESCRIPTION\n"
    "    Listens on the Unix socket PATH and serves FILE as a virtio block device\n"
    "    over the vhost-user protocol to one front end at a time (QEMU's\n"
    "    vhost-user-blk and vhost-user-blk-pci devices, User-Mode Linux's\n"
    "    virtio_uml.device=PATH:2). The device model is minivmm's: the same\n"
    "    validation, tracing and statistics. When a front end goes away, the\n"
    "    image is flushed and the next connection is accepted. A malformed\n"
    "    message is named on stderr and closes that connection only.\n"
    "    SIGINT or SIGTERM flushes the image and exits 0.\n"
    "\n"
    "OPTIONS\n"
    "    --socket PATH  where to listen; a socket already there is replaced\n"
    "    --disk FILE[,ro][,aio=sync|io_uring]\n"
    "                   the raw image; ro exports it read-only (VIRTIO_BLK_F_RO,\n"
    "                   opened read-only); aio=io_uring batches the transfers\n"
    "    --serial S     the GET_ID serial (20 bytes at most); default: one derived\n"
    "                   from the image's device and inode\n"
    "    --trace        every message, ring entry and request on stderr\n"
    "    --stats        requests, bytes and CPU time on stderr after each connection\n"
    "    --no-sandbox   do not install the seccomp filter (debugging)\n"
    "    -h, --help     this text\n"
    "\n"
    "EXAMPLES\n"
    "    " VU_NAME " --socket /tmp/vu.sock --disk disk.img &\n"
    "    qemu-system-x86_64 -M q35 -m 256M \\\n"
    "      -object memory-backend-memfd,id=mem,size=256M,share=on -numa node,memdev=mem \\\n"
    "      -chardev socket,id=c0,path=/tmp/vu.sock \\\n"
    "      -device vhost-user-blk-pci,chardev=c0,num-queues=1 ...\n"
    "    linux.uml mem=256M virtio_uml.device=/tmp/vu.sock:2 ...\n"
    "\n"
    "EXIT STATUS\n"
    "    0 after SIGINT or SIGTERM, 1 on a setup failure, 2 on a usage error.\n"
    "    See docs/vhost-user.md.\n";

struct vu_opts {
        const char *socket;
        struct disk_spec disk;
        bool have_disk;
        const char *serial;
        bool stats;
        bool no_sandbox;
};

static volatile sig_atomic_t vu_stop;

static void vu_on_signal(int sig)
{
        (void)sig;
        vu_stop = 1;
}

static void vu_usage_error(const char *fmt, const char *arg)
{
        fprintf(stderr, VU_NAME ": ");
        fprintf(stderr, fmt, arg);
        fprintf(stderr, " (see --help)\n");
        exit(2);
}

static void vu_parse(int argc, char **argv, struct vu_opts *o)
{
        static const struct option longopts[] = {
            {"socket", required_argument, NULL, 's'}, {"disk", required_argument, NULL, 'd'},
            {"serial", required_argument, NULL, 'S'}, {"trace", no_argument, NULL, 't'},
            {"stats", no_argument, NULL, 'x'},        {"no-sandbox", no_argument, NULL, 'n'},
            {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
        };
        char err[512];
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
                switch (c) {
                case 's':
                        o->socket = optarg;
                        break;
                case 'd':
                        if (o->have_disk)
                                vu_usage_error("%s: one --disk only", optarg);
                        if (cli_parse_disk(optarg, &o->disk, err, sizeof(err)) != 0)
                                vu_usage_error("%s", err);
                        if (o->disk.legacy || o->disk.werror != DISK_WERROR_REPORT)
                                vu_usage_error("--disk '%s': only ro and aio= apply here", optarg);
                        o->have_disk = true;
                        break;
                case 'S':
                        if (strlen(optarg) > VBLK_ID_BYTES)
                                vu_usage_error("--serial '%s': longer than 20 bytes", optarg);
                        o->serial = optarg;
                        break;
                case 't':
                        trace_enabled = true;
                        break;
                case 'x':
                        o->stats = true;
                        break;
                case 'n':
                        o->no_sandbox = true;
                        break;
                case 'h':
                        fputs(usage, stdout);
                        exit(0);
                default:
                        vu_usage_error("unknown option '%s'", argv[optind - 1]);
                }
        }
        if (optind < argc)
                vu_usage_error("unexpected argument '%s'", argv[optind]);
        if (o->socket == NULL || !o->have_disk)
                vu_usage_error("%s", "--socket and --disk are required");
}

static void vu_print_stats(const struct vblk *b, const struct vu_dev *d, uint64_t kicks)
{
        struct rusage ru;
        double cpu_us = 0;

        (void)d;
        if (getrusage(RUSAGE_SELF, &ru) == 0)
                cpu_us = (double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec +
                         (double)ru.ru_stime.tv_sec * 1e6 + (double)ru.ru_stime.tv_usec;
        fprintf(stderr,
                VU_NAME ": stats: %" PRIu64 " requests, %" PRIu64 " bytes read, %" PRIu64
                        " bytes written, %" PRIu64 " kicks, cpu %.0f us, %.2f us/request\n",
                b->stats.requests, b->stats.bytes_read, b->stats.bytes_written, kicks, cpu_us,
                b->stats.requests ? cpu_us / (double)b->stats.requests : 0.0);
}

/* One message; false when the connection must end. */
static bool vu_serve_msg(int conn, struct vu_dev *d)
{
        static struct vu_msg m, reply;
        enum vu_recv_result rr;
        const char *why = NULL;
        bool has_reply;
        int err;

        rr = vu_sock_recv(conn, &m, &why);
        if (rr == VU_RECV_EOF) {
                TRACE("vhost-user: front end disconnected");
                return false;
        }
        if (rr == VU_RECV_BAD) {
                fprintf(stderr, VU_NAME ": bad message: %s; connection closed\n", why);
                return false;
        }
        TRACE("vhost-user: %s (%" PRIu32 "), flags 0x%" PRIx32 ", %" PRIu32
              " bytes, %u fds, first word 0x%" PRIx64,
              vu_msg_name(m.hdr.request), m.hdr.request, m.hdr.flags, m.hdr.size, m.nfds, m.p.u64);
        why = vu_msg_check(&m);
        if (why == NULL)
                why = vu_dev_handle(d, &m, &reply, &has_reply);
        for (unsigned i = 0; i < m.nfds; i++) /* left when vu_msg_check refused */
                close(m.fds[i]);
        if (why != NULL) {
                fprintf(stderr, VU_NAME ": bad message %s (%" PRIu32 "): %s; connection closed\n",
                        vu_msg_name(m.hdr.request), m.hdr.request, why);
                return false;
        }
        if (has_reply && (err = vu_sock_send(conn, &reply)) != 0) {
                fprintf(stderr, VU_NAME ": reply to %s failed: %s; connection closed\n",
                        vu_msg_name(m.hdr.request), strerror(-err));
                return false;
        }
        return true;
}

/* One front end, until it goes away, sends a bad message, or a signal stops us. */
static void vu_serve_conn(int conn, struct vu_dev *d)
{
        struct timeval tv = {.tv_sec = VU_RECV_TIMEOUT};
        bool pending = false;
        uint64_t v;

        setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        while (!vu_stop) {
                struct pollfd p[2] = {{.fd = conn, .events = POLLIN},
                                      {.fd = vu_dev_kick_fd(d), .events = POLLIN}};
                nfds_t n = p[1].fd >= 0 ? 2 : 1;

                if (poll(p, n, pending ? 0 : -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        fprintf(stderr, VU_NAME ": poll: %s\n", strerror(errno));
                        return;
                }
                /* The kick first: a message below may close its descriptor. */
                if (n == 2 && (p[1].revents & POLLIN)) {
                        (void)!read(p[1].fd, &v, sizeof(v));
                        pending = vu_dev_kick(d);
                } else if (pending) {
                        pending = vu_dev_kick(d);
                }
                if (p[0].revents && !vu_serve_msg(conn, d))
                        return;
        }
}

int main(int argc, char **argv)
{
        static struct vblk blk;
        static struct vu_dev dev;
        struct vu_opts o = {0};
        struct sigaction sa = {.sa_handler = vu_on_signal}; /* no SA_RESTART: poll returns */
        struct disk disk;
        char err[512], serial[DISK_SERIAL_LEN + 1] = {0};
        uint64_t kicks = 0;
        int lfd, conn, r;

        vu_parse(argc, argv, &o);
        if (disk_open(&disk, o.disk.path, o.disk.ro, err, sizeof(err)) != 0) {
                fprintf(stderr, VU_NAME ": %s\n", err);
                return 1;
        }
        if (o.disk.aio == DISK_AIO_IO_URING && (r = disk_use_uring(&disk, VBLK_BATCH_MAX)) < 0) {
                fprintf(stderr, VU_NAME ": --disk '%s': aio=io_uring: the kernel refused (%s)\n",
                        o.disk.path, strerror(-r));
                return 1;
        }
        if (o.serial == NULL && disk_serial(&disk, serial) == 0)
                o.serial = serial;
        if (vblk_init(&blk, &disk, o.serial) != 0) {
                fprintf(stderr, VU_NAME ": --disk '%s': smaller than one 512-byte sector\n",
                        o.disk.path);
                return 1;
        }
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
        if ((lfd = vu_sock_listen(o.socket)) < 0) {
                fprintf(stderr, VU_NAME ": --socket '%s': %s\n", o.socket, strerror(-lfd));
                return 1;
        }
        if (!o.no_sandbox && (r = vu_sandbox_enter()) != 0) {
                fprintf(stderr, VU_NAME ": sandbox: %s\n", strerror(-r));
                return 1;
        }
        fprintf(stderr, VU_NAME ": serving '%s'%s on %s\n", o.disk.path,
                o.disk.ro ? " read-only" : "", o.socket);
        vu_dev_init(&dev, &blk);
        while (!vu_stop) {
                conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
                if (conn < 0) {
                        if (errno != EINTR)
                                fprintf(stderr, VU_NAME ": accept: %s\n", strerror(errno));
                        continue;
                }
                vu_serve_conn(conn, &dev);
                kicks += dev.kicks;
                vu_dev_drop(&dev); /* flushes the image */
                close(conn);
                if (o.stats)
                        vu_print_stats(&blk, &dev, kicks);
        }
        vu_dev_drop(&dev);
        close(lfd);
        disk_close(&disk);
        return 0;
}
