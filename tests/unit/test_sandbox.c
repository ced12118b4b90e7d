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
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/disk.h"
#include "vmm/sandbox.h"

struct child {
        int status;    /* from waitpid */
        char err[512]; /* what it wrote to stderr */
};

/* Runs fn in a sandboxed child; fn returns the child's exit status. */
static void run_sandboxed(int (*fn)(void *), void *arg, struct child *c)
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
        };
        return cmocka_run_group_tests_name("sandbox", tests, NULL, NULL);
}
