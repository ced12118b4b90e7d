/*
 * test_sandbox: the seccomp filter of vmm/sandbox. Each case forks: the child
 * enters the sandbox and makes calls; the parent checks how the child ended
 * and what it printed. Children leave through exit_group directly, so no
 * sanitizer runtime makes calls of its own after the filter is in.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/disk.h"
#include "vmm/iothread.h"
#include "vmm/sandbox.h"

struct child {
        int status;    /* from waitpid */
        char err[512]; /* what it wrote to stderr */
};

/* Runs prep (if any), then fn in a sandboxed child; fn returns the child's exit status. */
static void run_sandboxed_after(void (*prep)(void *), int (*fn)(void *), void *arg, struct child *c)
{
        int pipefd[2];
        pid_t pid;
        ssize_t n;
        size_t len = 0;

        assert_int_equal(pipe(pipefd), 0);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                dup2(pipefd[1], STDERR_FILENO);
                close(pipefd[0]);
                if (prep != NULL)
                        prep(arg);
                if (sandbox_enter() != 0)
                        syscall(SYS_exit_group, 99);
                syscall(SYS_exit_group, fn(arg));
        }
        close(pipefd[1]);
        while ((n = read(pipefd[0], c->err + len, sizeof(c->err) - 1 - len)) > 0)
                len += (size_t)n;
        c->err[len] = '\0';
        close(pipefd[0]);
        assert_int_equal(waitpid(pid, &c->status, 0), pid);
}

static void run_sandboxed(int (*fn)(void *), void *arg, struct child *c)
{
        run_sandboxed_after(NULL, fn, arg, c);
}

static int open_a_file(void *arg)
{
        (void)arg;
        return open("/etc/hostname", O_RDONLY) >= 0 ? 0 : 2;
}

static int device_io(void *arg)
{
        struct disk *d = arg;
        char buf[512];

        /* The device path: read, write, flush on an already-open image. */
        if (disk_read(d, 0, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
                return 3;
        if (disk_write(d, 512, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
                return 4;
        if (disk_flush(d) != 0)
                return 5;
        if (write(STDERR_FILENO, "io ok\n", 6) != 6)
                return 6;
        return 0;
}

static int kvm_create_vm_ioctl(void *arg)
{
        int fd = *(int *)arg;

        /* An ioctl request outside the allow-list, on any descriptor. */
        (void)ioctl(fd, KVM_CREATE_VM, 0);
        return 0;
}

/* What the VMM sets up before its sandbox: an I/O thread on an eventfd, an io_uring disk. */
struct io_world {
        struct iothread t;
        int kick_fd, done_fd;
        struct disk *d;
        int uring; /* disk_use_uring's result */
};

static void io_world_handler(void *opaque, uint64_t count)
{
        struct io_world *w = opaque;

        (void)!write(w->done_fd, &count, sizeof(count));
}

static void io_world_prep(void *arg)
{
        struct io_world *w = arg;

        w->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        w->done_fd = eventfd(0, EFD_CLOEXEC);
        w->uring = disk_use_uring(w->d, 8);
        if (w->kick_fd < 0 || w->done_fd < 0 || iothread_init(&w->t) ||
            iothread_add(&w->t, w->kick_fd, io_world_handler, w) || iothread_start(&w->t))
                syscall(SYS_exit_group, 98);
}

/* Inside the sandbox: the thread serves a kick and is joined; a batch goes through io_uring. */
static int io_world_run(void *arg)
{
        struct io_world *w = arg;
        uint64_t one = 1, got = 0;
        char buf[512];
        struct iovec iov = {buf, sizeof(buf)};
        struct disk_op ops[2] = {{.kind = DISK_OP_READ, .off = 0, .iov = &iov, .iovcnt = 1},
                                 {.kind = DISK_OP_FLUSH}};
        struct rusage ru;

        if (write(w->kick_fd, &one, sizeof(one)) != sizeof(one))
                return 3;
        if (read(w->done_fd, &got, sizeof(got)) != sizeof(got) || got != 1)
                return 4;
        iothread_stop(&w->t);
        if (getrusage(RUSAGE_SELF, &ru) != 0)
                return 5;
        disk_run(w->d, ops, 2);
        if (ops[0].res != (ssize_t)sizeof(buf) || ops[1].res != 0)
                return 6;
        if ((w->uring == 0) != (w->d->ring != NULL) || w->d->ring_failed)
                return 7; /* the ring failed: an io_uring call was refused */
        if (write(STDERR_FILENO, "thread ok\n", 10) != 10)
                return 8;
        return 0;
}

static void io_thread_and_io_uring_work_in_sandbox(void **state)
{
        char path[] = "/tmp/minivmm-sandbox-XXXXXX";
        char err[256], zero[2048] = {0};
        struct io_world w = {0};
        struct disk d;
        struct child c;
        int fd = mkstemp(path);

        (void)state;
        assert_true(fd >= 0);
        assert_int_equal(write(fd, zero, sizeof(zero)), (ssize_t)sizeof(zero));
        close(fd);
        assert_int_equal(disk_open(&d, path, false, err, sizeof(err)), 0);
        w.d = &d;
        run_sandboxed_after(io_world_prep, io_world_run, &w, &c);
        disk_close(&d);
        unlink(path);
        assert_true(WIFEXITED(c.status));
        assert_int_equal(WEXITSTATUS(c.status), 0);
        assert_string_equal(c.err, "thread ok\n");
}

static void forbidden_open_in_device_path_is_refused(void **state)
{
        struct child c;

        (void)state;
        run_sandboxed(open_a_file, NULL, &c);
        assert_true(WIFEXITED(c.status));
        assert_int_equal(WEXITSTATUS(c.status), 1);
        char want[128];
        snprintf(want, sizeof(want), "minivmm: sandbox: forbidden system call %d refused",
                 (int)SYS_openat);
        assert_non_null(strstr(c.err, want));
}

static void disk_io_is_allowed_in_sandbox(void **state)
{
        char path[] = "/tmp/minivmm-sandbox-XXXXXX";
        char err[256], zero[2048] = {0};
        struct disk d;
        struct child c;
        int fd = mkstemp(path);

        (void)state;
        assert_true(fd >= 0);
        assert_int_equal(write(fd, zero, sizeof(zero)), (ssize_t)sizeof(zero));
        close(fd);
        assert_int_equal(disk_open(&d, path, false, err, sizeof(err)), 0);
        run_sandboxed(device_io, &d, &c);
        disk_close(&d);
        unlink(path);
        assert_true(WIFEXITED(c.status));
        assert_int_equal(WEXITSTATUS(c.status), 0);
        assert_string_equal(c.err, "io ok\n");
}

/* tgkill is allowed for the VMM's own threads only. */
static int tgkill_self_then_parent(void *arg)
{
        pid_t parent = *(pid_t *)arg;

        if (syscall(SYS_tgkill, getpid(), gettid(), 0) != 0)
                return 3;
        if (write(STDERR_FILENO, "self ok\n", 8) != 8)
                return 4;
        (void)syscall(SYS_tgkill, parent, parent, 0);
        return 0;
}

static void tgkill_reaches_only_own_threads(void **state)
{
        pid_t parent = getpid();
        struct child c;
        char want[128];

        (void)state;
        run_sandboxed(tgkill_self_then_parent, &parent, &c);
        assert_true(WIFEXITED(c.status));
        assert_int_equal(WEXITSTATUS(c.status), 1);
        snprintf(want, sizeof(want), "self ok\nminivmm: sandbox: forbidden system call %d refused",
                 (int)SYS_tgkill);
        assert_non_null(strstr(c.err, want));
}

static void ioctl_outside_allow_list_is_refused(void **state)
{
        struct child c;
        int fd = open("/dev/null", O_RDONLY);

        (void)state;
        assert_true(fd >= 0);
        run_sandboxed(kvm_create_vm_ioctl, &fd, &c);
        close(fd);
        assert_true(WIFEXITED(c.status));
        assert_int_equal(WEXITSTATUS(c.status), 1);
        assert_non_null(strstr(c.err, "forbidden system call"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(forbidden_open_in_device_path_is_refused),
            cmocka_unit_test(disk_io_is_allowed_in_sandbox),
            cmocka_unit_test(ioctl_outside_allow_list_is_refused),
            cmocka_unit_test(io_thread_and_io_uring_work_in_sandbox),
            cmocka_unit_test(tgkill_reaches_only_own_threads),
        };
        return cmocka_run_group_tests_name("sandbox", tests, NULL, NULL);
}
