/* iothread: see iothread.h. */
#include "iothread.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "fail.h"

#define IOTHREAD_STOP UINT32_MAX /* epoll data of the stop eventfd */

int iothread_init(struct iothread *t)
{
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = IOTHREAD_STOP};

        memset(t, 0, sizeof(*t));
        t->ready_fd = -1;
        t->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (t->epfd < 0)
                return -errno;
        t->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (t->stop_fd < 0 || epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->stop_fd, &ev) < 0) {
                int err = -errno;

                if (t->stop_fd >= 0)
                        close(t->stop_fd);
                close(t->epfd);
                t->epfd = t->stop_fd = -1;
                return err;
        }
        return 0;
}

int iothread_add(struct iothread *t, int fd, iothread_fn fn, void *opaque)
{
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = t->n};

        if (t->n == IOTHREAD_MAX_SOURCES)
                return -ENOSPC;
        if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
                return -errno;
        t->src[t->n++] = (struct iothread_source){fd, fn, opaque};
        return 0;
}

/* What the eventfd holds (it resets to 0); 0 when nothing (a spurious wakeup). */
static uint64_t iothread_drain(int fd)
{
        uint64_t v;
        ssize_t r;

        do {
                r = read(fd, &v, sizeof(v));
        } while (r < 0 && errno == EINTR);
        return r == (ssize_t)sizeof(v) ? v : 0;
}

/* Records the calling thread's own CPU time in t (for --stats). */
static void iothread_account(struct iothread *t)
{
        struct rusage ru;

        if (getrusage(RUSAGE_THREAD, &ru) == 0)
                t->cpu_us = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
                            (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static void *iothread_main(void *arg)
{
        struct epoll_event ev[IOTHREAD_MAX_SOURCES + 1];
        struct iothread *t = arg;
        uint64_t count[IOTHREAD_MAX_SOURCES], one = 1;
        unsigned i;
        int n;

        /* Started: the thread's own set-up calls are done (iothread_start waits for this). */
        while (write(t->ready_fd, &one, sizeof(one)) < 0 && errno == EINTR)
                ;
        for (;;) {
                n = epoll_wait(t->epfd, ev, (int)(t->n + 1), -1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        fail(FAIL_INTERNAL, "I/O thread: epoll_wait: %s", strerror(errno));
                if (n > 0)
                        t->wakeups++;
                memset(count, 0, sizeof(count));
                for (int k = 0; k < n; k++) {
                        if (ev[k].data.u32 == IOTHREAD_STOP) {
                                iothread_account(t);
                                return NULL;
                        }
                        if (ev[k].data.u32 < t->n)
                                count[ev[k].data.u32] = iothread_drain(t->src[ev[k].data.u32].fd);
                }
                /* Ready sources, in registration order. */
                for (i = 0; i < t->n; i++) {
                        if (count[i] != 0)
                                t->src[i].fn(t->src[i].opaque, count[i]);
                }
        }
}

/*
 * Returns once the thread runs its loop: a seccomp filter installed right
 * after must not meet the thread's start-up calls (glibc's, with every
 * signal blocked: a refused call would kill the process without a word).
 */
int iothread_start(struct iothread *t)
{
        sigset_t all, old;
        uint64_t v;
        int err;

        sigfillset(&all);
        sigdelset(&all, SIGSYS); /* the sandbox's report of a forbidden call must run */
        pthread_sigmask(SIG_SETMASK, &all, &old); /* the new thread inherits the mask */
        t->ready_fd = eventfd(0, EFD_CLOEXEC);    /* blocking */
        if (t->ready_fd < 0)
                return -errno;
        err = pthread_create(&t->tid, NULL, iothread_main, t);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (err) {
                close(t->ready_fd);
                return -err;
        }
        t->running = true;
        while (read(t->ready_fd, &v, sizeof(v)) < 0 && errno == EINTR)
                ;
        close(t->ready_fd);
        t->ready_fd = -1;
        return 0;
}

void iothread_stop(struct iothread *t)
{
        uint64_t one = 1;

        if (t->running) {
                while (write(t->stop_fd, &one, sizeof(one)) < 0 && errno == EINTR)
                        ;
                pthread_join(t->tid, NULL);
                t->running = false;
        }
        if (t->stop_fd >= 0)
                close(t->stop_fd);
        if (t->epfd >= 0)
                close(t->epfd);
        t->stop_fd = t->epfd = -1;
}
