/*
 * vu_sock: vhost-user messages on a Unix stream socket. The header is read
 * with its descriptors (SCM_RIGHTS), then the payload; a payload that does
 * not follow within the socket's receive timeout is an error.
 */
#ifndef MINIVMM_VU_SOCK_H
#define MINIVMM_VU_SOCK_H

#include "vhost/vu_msg.h"

enum vu_recv_result { VU_RECV_OK, VU_RECV_EOF, VU_RECV_BAD };

/*
 * Reads one message into m (payload zero-filled past its size). On
 * VU_RECV_BAD, *why names the problem and no descriptor stays open; on
 * VU_RECV_OK the caller owns m->fds[0, m->nfds).
 */
enum vu_recv_result vu_sock_recv(int fd, struct vu_msg *m, const char **why);
/* Sends header and hdr.size bytes of payload; 0, or -errno. */
int vu_sock_send(int fd, const struct vu_msg *m);
/* Listens on path (an old socket there is replaced); the fd, or -errno. */
int vu_sock_listen(const char *path);

#endif
