/*
 * test_iothread: the I/O thread loop (vmm/iothread.h) on plain eventfds:
 * handlers run on the thread with the count the eventfd held, a handler
 * with more to do that signals its own eventfd is called again on a later
 * turn, signals stay blocked there,
 * and stop joins. Every wait is a blocking read of an eventfd the handler
 * writes: no timeouts.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm/iothread.h"

struct probe {
        int fd;      /* the watched eventfd */
        int done_fd; /* written when the handler is done */
        unsigned calls;
        unsigned again_calls; /* how many calls signal their own eventfd again */
        uint64_t counts[8];
        pthread_t thread;
        bool alrm_blocked, sys_blocked;
};

static void signal_fd(int fd)
{
        uint64_t one = 1;

        assert_int_equal(write(fd, &one, sizeof(one)), sizeof(one));
}

static void wait_fd(int fd)
{
        uint64_t v;

        assert_int_equal(read(fd, &v, sizeof(v)), sizeof(v));
}

static void probe_fn(void *opaque, uint64_t count)
{
        struct probe *p = opaque;
        sigset_t now;
        bool again;

        if (p->calls < 8)
                p->counts[p->calls] = count;
        p->thread = pthread_self();
        pthread_sigmask(SIG_SETMASK, NULL, &now);
        p->alrm_blocked = sigismember(&now, SIGALRM);
        p->sys_blocked = sigismember(&now, SIGSYS);
        again = p->calls < p->again_calls;
        p->calls++;
        if (again)
                signal_fd(p->fd); /* as vslot does after a pass that yielded */
        else
                signal_fd(p->done_fd);
}

static void probe_init(struct probe *p, unsigned again_calls)
{
        memset(p, 0, sizeof(*p));
        p->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        p->done_fd = eventfd(0, EFD_CLOEXEC);
        assert_true(p->fd >= 0 && p->done_fd >= 0);
        p->again_calls = again_calls;
}

static void probe_close(struct probe *p)
{
        close(p->fd);
        close(p->done_fd);
}

static void handler_runs_on_the_thread_with_the_count(void **state)
{
        struct iothread t;
        struct probe p;
        uint64_t three = 3;

        (void)state;
        probe_init(&p, 0);
        assert_int_equal(iothread_init(&t), 0);
        assert_int_equal(iothread_add(&t, p.fd, probe_fn, &p), 0);
        /* Three writes before the thread looks: one wakeup, count 3. */
        assert_int_equal(write(p.fd, &three, sizeof(three)), sizeof(three));
        assert_int_equal(iothread_start(&t), 0);
        wait_fd(p.done_fd);
        assert_int_equal(p.calls, 1);
        assert_int_equal(p.counts[0], 3);
        assert_false(pthread_equal(p.thread, pthread_self()));
        signal_fd(p.fd);
        wait_fd(p.done_fd);
        assert_int_equal(p.calls, 2);
        assert_int_equal(p.counts[1], 1);
        iothread_stop(&t);
        assert_int_equal(p.calls, 2);
        probe_close(&p);
}

static void handler_that_signals_its_eventfd_again_is_called_again(void **state)
{
        struct iothread t;
        struct probe p;

        (void)state;
        probe_init(&p, 2);
        assert_int_equal(iothread_init(&t), 0);
        assert_int_equal(iothread_add(&t, p.fd, probe_fn, &p), 0);
        assert_int_equal(iothread_start(&t), 0);
        signal_fd(p.fd);
        wait_fd(p.done_fd); /* written by the third call only */
        iothread_stop(&t);
        assert_int_equal(p.calls, 3);
        assert_int_equal(p.counts[0], 1);
        assert_int_equal(p.counts[1], 1);
        assert_int_equal(p.counts[2], 1);
        probe_close(&p);
}

static void every_ready_source_gets_its_call(void **state)
{
        struct iothread t;
        struct probe a, b;

        (void)state;
        probe_init(&a, 0);
        probe_init(&b, 0);
        assert_int_equal(iothread_init(&t), 0);
        assert_int_equal(iothread_add(&t, a.fd, probe_fn, &a), 0);
        assert_int_equal(iothread_add(&t, b.fd, probe_fn, &b), 0);
        signal_fd(b.fd);
        signal_fd(a.fd);
        assert_int_equal(iothread_start(&t), 0);
        wait_fd(a.done_fd);
        wait_fd(b.done_fd);
        iothread_stop(&t);
        assert_int_equal(a.calls, 1);
        assert_int_equal(b.calls, 1);
        probe_close(&a);
        probe_close(&b);
}

static void signals_but_sigsys_are_blocked_on_the_thread(void **state)
{
        struct iothread t;
        struct probe p;

        (void)state;
        probe_init(&p, 0);
        assert_int_equal(iothread_init(&t), 0);
        assert_int_equal(iothread_add(&t, p.fd, probe_fn, &p), 0);
        assert_int_equal(iothread_start(&t), 0);
        signal_fd(p.fd);
        wait_fd(p.done_fd);
        iothread_stop(&t);
        assert_true(p.alrm_blocked); /* the vCPU thread's timer never lands here */
        assert_false(p.sys_blocked); /* the sandbox can report a refused call */
        probe_close(&p);
}

static void sources_beyond_the_maximum_are_refused(void **state)
{
        struct iothread t;
        struct probe p;

        (void)state;
        probe_init(&p, 0);
        assert_int_equal(iothread_init(&t), 0);
        for (unsigned i = 0; i < IOTHREAD_MAX_SOURCES; i++) {
                int fd = dup(p.fd); /* epoll refuses the same fd twice */

                assert_true(fd >= 0);
                assert_int_equal(iothread_add(&t, fd, probe_fn, &p), 0);
        }
        assert_int_equal(iothread_add(&t, p.fd, probe_fn, &p), -ENOSPC);
        for (unsigned i = 0; i < IOTHREAD_MAX_SOURCES; i++)
                close(t.src[i].fd);
        iothread_stop(&t); /* never started: closes what init opened */
        assert_int_equal(t.epfd, -1);
        probe_close(&p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(handler_runs_on_the_thread_with_the_count),
            cmocka_unit_test(handler_that_signals_its_eventfd_again_is_called_again),
            cmocka_unit_test(every_ready_source_gets_its_call),
            cmocka_unit_test(signals_but_sigsys_are_blocked_on_the_thread),
            cmocka_unit_test(sources_beyond_the_maximum_are_refused),
        };
        return cmocka_run_group_tests_name("iothread", tests, NULL, NULL);
}
