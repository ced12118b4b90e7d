/*
 * startlat: runs one VMM and measures it from the outside, for tools/bench.
 *
 *   startlat [-r RAM_KIB] [-o FILE] -- COMMAND [ARGS...]
 *
 * The child is forked with its stdout on a pipe; it takes a CLOCK_MONOTONIC
 * timestamp right before execve (shared memory), so the start-up time is
 * from exec to the first byte read from the pipe, and to the child's exit
 * (wait4 returned). Everything the child prints is copied to our stdout.
 *
 * Before the child execs, two counters are attached to it with
 * perf_event_open, inherited by every thread it creates: task-clock (CPU
 * time of all its threads, exited ones included) and, when tracefs has it,
 * the kvm:kvm_userspace_exit tracepoint (KVM_RUN returning to user space:
 * vCPU threads only). Both are read when a line starting with
 * "bench: start" and then one starting with "bench: end" arrive (the
 * guest's benchmark mode prints them around its measured loop), so the
 * benchmark's own window is measured, without boot and teardown: the
 * window holds the 11 console exits of "bench: end\n" and nothing else of
 * the guest's output. At the
 * second line the child's /proc/PID/smaps is read too: its RSS, and the
 * resident part of its guest RAM (the largest mapping of at least RAM_KIB).
 *
 * The vCPU threads are found, not guessed: at the first marker, KVM's own
 * debugfs names them (/sys/kernel/debug/kvm/PID-FD/vcpuN/pid: the thread
 * that runs vCPU N of the child's VM; debugfs must be mounted). Their own CPU
 * time over the window (a task-clock counter on each of them alone, opened
 * at the first marker) is win_vcpu_ns; win_vmm_ns is the rest,
 * win_cpu_ns - win_vcpu_ns: what the VMM's other threads (I/O thread, QEMU's
 * main loop and workers, exited ones included) spent while the guest ran.
 *
 * At the end one line goes to FILE (default stderr):
 *   startlat: status=S first_byte_us=F exit_us=E user_us=U sys_us=Y
 *             maxrss_kb=M cpu_ns=C exits=X win_cpu_ns=WC win_exits=WX
 *             rss_kb=R guest_rss_kb=G win_vcpu_ns=V win_vmm_ns=O vcpu_threads=T
 * S is the exit status (128 + signal when killed); a value that could not be
 * measured reads "na". Exit status: the child's, 2 on bad usage, 1 if it
 * could not be run.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TRACEPOINT_ID     "/sys/kernel/tracing/events/kvm/kvm_userspace_exit/id"
#define TRACEPOINT_ID_OLD "/sys/kernel/debug/tracing/events/kvm/kvm_userspace_exit/id"
#define MARK_START        "bench: start"
#define MARK_END          "bench: end"
#define MAX_VCPUS         8
#define KVM_DEBUGFS       "/sys/kernel/debug/kvm"

struct sample {
        bool taken;
        int64_t cpu_ns; /* -1: not available */
        int64_t exits;
};

static int64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A counter on pid; inherit: also on every thread it creates from now on. */
static int perf_open(uint32_t type, uint64_t config, pid_t pid, bool inherit)
{
        struct perf_event_attr a;

        memset(&a, 0, sizeof(a));
        a.size = sizeof(a);
        a.type = type;
        a.config = config;
        a.inherit = inherit;
        return (int)syscall(SYS_perf_event_open, &a, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

static int64_t perf_value(int fd)
{
        uint64_t v;

        if (fd < 0 || read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
                return -1;
        return (int64_t)v;
}

static long tracepoint_id(void)
{
        const char *paths[] = {TRACEPOINT_ID, TRACEPOINT_ID_OLD};

        for (unsigned i = 0; i < 2; i++) {
                FILE *f = fopen(paths[i], "r");
                long id = -1;

                if (!f)
                        continue;
                if (fscanf(f, "%ld", &id) != 1)
                        id = -1;
                fclose(f);
                if (id >= 0)
                        return id;
        }
        return -1;
}

/* Total Rss of pid, and the Rss of its largest mapping of at least ram_kib. */
static void read_smaps(pid_t pid, long ram_kib, long *rss, long *guest)
{
        char path[64], line[512];
        long size = 0, best = -1, total = 0, v;
        bool in_big = false;
        FILE *f;

        *rss = *guest = -1;
        snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
        f = fopen(path, "r");
        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                if (sscanf(line, "Size: %ld kB", &v) == 1) {
                        size = v;
                        in_big = ram_kib > 0 && size >= ram_kib && size > best;
                        if (in_big)
                                best = size;
                } else if (sscanf(line, "Rss: %ld kB", &v) == 1) {
                        total += v;
                        if (in_big)
                                *guest = v;
                }
        }
        fclose(f);
        *rss = total;
}

/* The vCPU threads of pid as KVM itself lists them (see the top); their count. */
static int vcpu_threads(pid_t pid, pid_t *tids, int max)
{
        char prefix[32], path[600];
        struct dirent *vm;
        int n = 0;
        DIR *d;

        d = opendir(KVM_DEBUGFS);
        if (!d)
                return 0;
        snprintf(prefix, sizeof(prefix), "%d-", (int)pid);
        while ((vm = readdir(d)) != NULL && n < max) {
                if (strncmp(vm->d_name, prefix, strlen(prefix)) != 0)
                        continue;
                for (int v = 0; v < max && n < max; v++) {
                        long tid;
                        FILE *f;

                        snprintf(path, sizeof(path), KVM_DEBUGFS "/%s/vcpu%d/pid", vm->d_name, v);
                        f = fopen(path, "r");
                        if (!f)
                                break;
                        if (fscanf(f, "%ld", &tid) == 1 && tid > 0)
                                tids[n++] = (pid_t)tid;
                        fclose(f);
                }
        }
        closedir(d);
        return n;
}

/* Sum of the counters in fds (one per vCPU thread), or -1 if one cannot be read. */
static int64_t vcpu_clock(const int *fds, int n)
{
        int64_t sum = 0;

        for (int i = 0; i < n; i++) {
                int64_t v = perf_value(fds[i]);

                if (v < 0)
                        return -1;
                sum += v;
        }
        return n ? sum : -1;
}

static void take(struct sample *s, int clock_fd, int exit_fd)
{
        s->taken = true;
        s->cpu_ns = perf_value(clock_fd);
        s->exits = perf_value(exit_fd);
}

/* "na" or the number. */
static const char *num(char *buf, size_t len, int64_t v)
{
        if (v < 0)
                return "na";
        snprintf(buf, len, "%" PRId64, v);
        return buf;
}

static int usage(void)
{
        fprintf(stderr, "usage: startlat [-r RAM_KIB] [-o FILE] -- COMMAND [ARGS...]\n");
        return 2;
}

int main(int argc, char **argv)
{
        const char *out_path = NULL;
        long ram_kib = 0, rss = -1, guest_rss = -1;
        int opt, go[2], outp[2], clock_fd, exit_fd = -1, wstatus, status;
        int64_t *t_exec, t_first = -1, t_exit;
        struct sample s0 = {0}, s1 = {0}, end = {0};
        pid_t vcpus[MAX_VCPUS];
        int nvcpus = 0, vcpu_fds[MAX_VCPUS];
        int64_t vcpu1 = -1;
        struct rusage ru;
        char buf[65536], line[256], b[12][32];
        int64_t win_cpu, win_vcpu;
        size_t line_len = 0;
        bool line_over = false;
        long tp;
        pid_t pid;
        FILE *out;

        while ((opt = getopt(argc, argv, "+r:o:")) != -1) {
                if (opt == 'r')
                        ram_kib = strtol(optarg, NULL, 0);
                else if (opt == 'o')
                        out_path = optarg;
                else
                        return usage();
        }
        if (optind >= argc)
                return usage();
        t_exec =
            mmap(NULL, sizeof(*t_exec), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (t_exec == MAP_FAILED || pipe(go) || pipe(outp)) {
                perror("startlat");
                return 1;
        }
        signal(SIGPIPE, SIG_IGN);
        pid = fork();
        if (pid < 0) {
                perror("startlat: fork");
                return 1;
        }
        if (pid == 0) {
                char c;

                close(go[1]);
                close(outp[0]);
                if (read(go[0], &c, 1) != 1)
                        _exit(127);
                close(go[0]);
                dup2(outp[1], STDOUT_FILENO);
                close(outp[1]);
                *t_exec = now_ns();
                execvp(argv[optind], &argv[optind]);
                fprintf(stderr, "startlat: %s: %s\n", argv[optind], strerror(errno));
                _exit(127);
        }
        close(go[0]);
        close(outp[1]);
        /* Counters attached before the exec, so every thread is counted. */
        clock_fd = perf_open(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, pid, true);
        tp = tracepoint_id();
        if (tp >= 0)
                exit_fd = perf_open(PERF_TYPE_TRACEPOINT, (uint64_t)tp, pid, true);
        if (write(go[1], "x", 1) != 1) {
                perror("startlat");
                return 1;
        }
        close(go[1]);

        for (;;) {
                ssize_t n = read(outp[0], buf, sizeof(buf));

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                if (t_first < 0)
                        t_first = now_ns();
                fwrite(buf, 1, (size_t)n, stdout);
                fflush(stdout);
                /* Markers: only the first 255 bytes of a line matter. */
                for (ssize_t i = 0; i < n; i++) {
                        if (buf[i] != '\n') {
                                if (line_len < sizeof(line) - 1)
                                        line[line_len++] = buf[i];
                                else
                                        line_over = true;
                                continue;
                        }
                        line[line_len] = '\0';
                        if (!s0.taken && strncmp(line, MARK_START, strlen(MARK_START)) == 0) {
                                nvcpus = vcpu_threads(pid, vcpus, MAX_VCPUS);
                                /* Each counts its own thread, from now on. */
                                for (int v = 0; v < nvcpus; v++)
                                        vcpu_fds[v] =
                                            perf_open(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK,
                                                      vcpus[v], false);
                                take(&s0, clock_fd, exit_fd);
                        } else if (s0.taken && !s1.taken &&
                                   strncmp(line, MARK_END, strlen(MARK_END)) == 0) {
                                take(&s1, clock_fd, exit_fd);
                                vcpu1 = vcpu_clock(vcpu_fds, nvcpus);
                                read_smaps(pid, ram_kib, &rss, &guest_rss);
                        }
                        line_len = 0;
                        line_over = false;
                }
        }
        (void)line_over;
        take(&end, clock_fd, exit_fd); /* before the reap: inherited counts stay readable */
        while (wait4(pid, &wstatus, 0, &ru) < 0) {
                if (errno != EINTR) {
                        perror("startlat: wait4");
                        return 1;
                }
        }
        t_exit = now_ns();
        {
                int64_t c = perf_value(clock_fd), x = perf_value(exit_fd);

                if (c >= 0)
                        end.cpu_ns = c;
                if (x >= 0)
                        end.exits = x;
        }
        status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
        out = out_path ? fopen(out_path, "w") : stderr;
        if (!out) {
                perror(out_path);
                out = stderr;
        }
        win_cpu = s1.taken && s0.cpu_ns >= 0 && s1.cpu_ns >= 0 ? s1.cpu_ns - s0.cpu_ns : -1;
        win_vcpu = s1.taken ? vcpu1 : -1;
        fprintf(out,
                "startlat: status=%d first_byte_us=%s exit_us=%s user_us=%ld sys_us=%ld "
                "maxrss_kb=%ld cpu_ns=%s exits=%s win_cpu_ns=%s win_exits=%s rss_kb=%s "
                "guest_rss_kb=%s win_vcpu_ns=%s win_vmm_ns=%s vcpu_threads=%d\n",
                status, num(b[0], sizeof(b[0]), t_first < 0 ? -1 : (t_first - *t_exec) / 1000),
                num(b[1], sizeof(b[1]), (t_exit - *t_exec) / 1000),
                (long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
                (long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec, ru.ru_maxrss,
                num(b[2], sizeof(b[2]), end.cpu_ns), num(b[3], sizeof(b[3]), end.exits),
                num(b[4], sizeof(b[4]), win_cpu),
                num(b[5], sizeof(b[5]), s1.taken && s0.exits >= 0 ? s1.exits - s0.exits : -1),
                num(b[6], sizeof(b[6]), rss), num(b[7], sizeof(b[7]), guest_rss),
                num(b[8], sizeof(b[8]), win_vcpu),
                num(b[9], sizeof(b[9]),
                    win_cpu >= 0 && win_vcpu >= 0 && win_vcpu <= win_cpu ? win_cpu - win_vcpu : -1),
                nvcpus);
        if (out != stderr)
                fclose(out);
        return status;
}
