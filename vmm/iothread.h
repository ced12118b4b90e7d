/*
 * iothread: the one I/O thread of a VMM. It sleeps in epoll_wait on the
 * eventfds registered with iothread_add (queue notifications from
 * ioeventfds, EOIs from irqfd resample fds) and calls each one's handler
 * with the count it read from the eventfd. A handler with more to do
 * signals its own eventfd again (vslot does after a pass that yielded): it
 * is then called on a later turn, after the other ready sources.
 *
 * The thread runs with every signal but SIGSYS blocked, so the vCPU thread's timer
 * signal always interrupts KVM_RUN. Handlers serialize with the vCPU thread
 * themselves (vslot's mutex). Nothing here knows KVM or virtio, so the
 * loop is unit-tested with plain eventfds.
 */
#ifndef MINIVMM_IOTHREAD_H
#define MINIVMM_IOTHREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define IOTHREAD_MAX_SOURCES 32u

/* Called on the I/O thread; count: what the eventfd held (>= 1). */
typedef void (*iothread_fn)(void *opaque, uint64_t count);

struct iothread_source {
        int fd;
        iothread_fn fn;
        void *opaque;
};

struct iothread {
        int epfd;
        int stop_fd;
        int ready_fd; /* iothread_start waits on it until the thread runs */
        pthread_t tid;
        bool running;
        unsigned n;
        struct iothread_source src[IOTHREAD_MAX_SOURCES];
        uint64_t wakeups; /* epoll_wait returns with at least one event */
        /* The thread's own CPU time, user + system (getrusage RUSAGE_THREAD), taken as it stops. */
        uint64_t cpu_us;
};

/* 0, or -errno (epoll or eventfd could not be created). */
int iothread_init(struct iothread *t);
/* Watches eventfd fd (non-blocking) for fn; before iothread_start. 0, -ENOSPC, -errno. */
int iothread_add(struct iothread *t, int fd, iothread_fn fn, void *opaque);
/* Starts the thread with every signal but SIGSYS blocked and waits until it runs; 0 or -errno. */
int iothread_start(struct iothread *t);
/* Stops the thread after the handler it is in (if any) returns, joins it, and
 * closes what iothread_init opened (not the sources' fds). Safe if not started. */
void iothread_stop(struct iothread *t);

#endif
