/* vu_sock: see vu_sock.h. */
#include "vu_sock.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void vu_sock_close_fds(struct vu_msg *m)
{
        for (unsigned i = 0; i < m->nfds; i++)
                close(m->fds[i]);
        m->nfds = 0;
}

/* Exactly len bytes, or false (EOF, timeout, error). */
static bool vu_sock_read_all(int fd, void *buf, size_t len)
{
        size_t got = 0;
        ssize_t n;

        while (got < len) {
                n = recv(fd, (char *)buf + got, len - got, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return false;
                got += (size_t)n;
        }
        return true;
}

enum vu_recv_result vu_sock_recv(int fd, struct vu_msg *m, const char **why)
{
        char cbuf[CMSG_SPACE(sizeof(int) * VU_MAX_FDS)];
        struct iovec iov = {.iov_base = &m->hdr, .iov_len = sizeof(m->hdr)};
        struct msghdr mh = {
            .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
        struct cmsghdr *c;
        ssize_t n;

        memset(m, 0, sizeof(*m));
        do
                n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n == 0)
                return VU_RECV_EOF;
        for (c = CMSG_FIRSTHDR(&mh); n > 0 && c != NULL; c = CMSG_NXTHDR(&mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < k && m->nfds < VU_MAX_FDS; i++)
                        memcpy(&m->fds[m->nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        }
        if (n < 0) {
                *why = "socket read failed";
                return VU_RECV_BAD;
        }
        if (mh.msg_flags & MSG_CTRUNC) {
                vu_sock_close_fds(m);
                *why = "more than 8 file descriptors with one message";
                return VU_RECV_BAD;
        }
        if ((size_t)n < sizeof(m->hdr) &&
            !vu_sock_read_all(fd, (char *)&m->hdr + n, sizeof(m->hdr) - (size_t)n)) {
                vu_sock_close_fds(m);
                *why = "message shorter than its 12-byte header";
                return VU_RECV_BAD;
        }
        if ((*why = vu_msg_check_hdr(&m->hdr)) != NULL) {
                vu_sock_close_fds(m);
                return VU_RECV_BAD;
        }
        if (!vu_sock_read_all(fd, m->p.bytes, m->hdr.size)) {
                vu_sock_close_fds(m);
                *why = "payload shorter than the header's size";
                return VU_RECV_BAD;
        }
        return VU_RECV_OK;
}

int vu_sock_send(int fd, const struct vu_msg *m)
{
        size_t len = sizeof(m->hdr) + m->hdr.size, done = 0;
        const char *buf;
        char out[sizeof(m->hdr) + VU_PAYLOAD_MAX];
        ssize_t n;

        if (m->hdr.size > VU_PAYLOAD_MAX)
                return -EINVAL;
        memcpy(out, &m->hdr, sizeof(m->hdr));
        memcpy(out + sizeof(m->hdr), m->p.bytes, m->hdr.size);
        buf = out;
        while (done < len) {
                n = send(fd, buf + done, len - done, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EPIPE;
                done += (size_t)n;
        }
        return 0;
}

int vu_sock_listen(const char *path)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        struct stat st;
        int fd, err;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        /* A socket left by an earlier run is replaced; any other file is not. */
        if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
                unlink(path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
                err = -errno;
                close(fd);
                return err;
        }
        return fd;
}
