/* year-ahead.c: what libfaketime 0.9.10 (Debian 12) gets wrong for Vigil's suite run a year ahead, put right.
 * Preloaded before libfaketime (LD_PRELOAD="year-ahead.so libfaketimeMT.so.1") with FAKETIME=+Nd,
 * FAKETIME_DONT_FAKE_MONOTONIC=1 and VIGIL_FAKETIME_SHIFT=<the same offset in seconds>:
 *  - timerfd_settime: libfaketime shifts absolute monotonic deadlines by the offset (libdispatch's timers,
 *    and so Task.sleep, never fire, or fail with EINVAL); monotonic clocks are not faked here, so monotonic
 *    deadlines go to the kernel as they are, and absolute CLOCK_REALTIME ones are taken back by the offset.
 *  - file times: the kernel stamps a new file with the real time, which read against the faked clock made every
 *    file a year old (retention pruned reports as they were written), while a time written with utimensat
 *    came back as written. Here the stat family adds the offset to what the kernel says and utimensat,
 *    futimens and utimes take it off what they store, so files live on the faked clock like everything else.
 * A test tool only (.ci/year-ahead builds it); nothing of Vigil links it. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

static long shift_seconds(void) {
    const char *text = getenv("VIGIL_FAKETIME_SHIFT");
    return text ? strtol(text, NULL, 10) : 0;
}

/* Which timer descriptors count CLOCK_REALTIME (their absolute deadlines are faked times). */
static unsigned char realtime_fd[4096];

int timerfd_create(int clockid, int flags) {
    int fd = (int)syscall(SYS_timerfd_create, clockid, flags);
    if (fd >= 0 && fd < (int)sizeof realtime_fd)
        realtime_fd[fd] = clockid == CLOCK_REALTIME || clockid == CLOCK_REALTIME_ALARM;
    return fd;
}

int timerfd_settime(int fd, int flags, const struct itimerspec *new_value, struct itimerspec *old_value) {
    struct itimerspec real = *new_value;
    if ((flags & TFD_TIMER_ABSTIME) && fd >= 0 && fd < (int)sizeof realtime_fd && realtime_fd[fd]
        && (real.it_value.tv_sec || real.it_value.tv_nsec))
        real.it_value.tv_sec -= shift_seconds();
    return (int)syscall(SYS_timerfd_settime, fd, flags, &real, old_value);
}

int timerfd_gettime(int fd, struct itimerspec *curr_value) {
    return (int)syscall(SYS_timerfd_gettime, fd, curr_value);
}

static void shifted(struct timespec *t) { t->tv_sec += shift_seconds(); }

static int with_shifted_times(int result, struct stat *st) {
    if (result == 0 && st) {
        shifted(&st->st_atim);
        shifted(&st->st_mtim);
        shifted(&st->st_ctim);
    }
    return result;
}

int fstatat(int dirfd, const char *path, struct stat *st, int flags) {
    return with_shifted_times((int)syscall(SYS_newfstatat, dirfd, path, st, flags), st);
}

int stat(const char *path, struct stat *st) { return fstatat(AT_FDCWD, path, st, 0); }

int lstat(const char *path, struct stat *st) { return fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW); }

int fstat(int fd, struct stat *st) { return with_shifted_times((int)syscall(SYS_fstat, fd, st), st); }

/* On 64-bit Linux the *64 names are the same calls on the same structure. */
int fstatat64(int dirfd, const char *path, struct stat64 *st, int flags) { return fstatat(dirfd, path, (struct stat *)st, flags); }
int stat64(const char *path, struct stat64 *st) { return stat(path, (struct stat *)st); }
int lstat64(const char *path, struct stat64 *st) { return lstat(path, (struct stat *)st); }
int fstat64(int fd, struct stat64 *st) { return fstat(fd, (struct stat *)st); }

int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *stx) {
    int result = (int)syscall(SYS_statx, dirfd, path, flags, mask, stx);
    if (result == 0) {
        long s = shift_seconds();
        stx->stx_atime.tv_sec += s;
        stx->stx_btime.tv_sec += s;
        stx->stx_ctime.tv_sec += s;
        stx->stx_mtime.tv_sec += s;
    }
    return result;
}

static void unshift(struct timespec *t) {
    if (t->tv_nsec != UTIME_NOW && t->tv_nsec != UTIME_OMIT) t->tv_sec -= shift_seconds();
}

/* utimensat(2) with real times; path NULL is futimens. */
static int set_times(int dirfd, const char *path, const struct timespec times[2], int flags) {
    if (!times) return (int)syscall(SYS_utimensat, dirfd, path, NULL, flags);
    struct timespec real[2] = {times[0], times[1]};
    unshift(&real[0]);
    unshift(&real[1]);
    return (int)syscall(SYS_utimensat, dirfd, path, real, flags);
}

int utimensat(int dirfd, const char *path, const struct timespec times[2], int flags) {
    return set_times(dirfd, path, times, flags);
}

int futimens(int fd, const struct timespec times[2]) { return set_times(fd, NULL, times, 0); }

int utimes(const char *path, const struct timeval times[2]) {
    if (!times) return (int)syscall(SYS_utimensat, AT_FDCWD, path, NULL, 0);
    struct timespec real[2];
    for (int i = 0; i < 2; i++) {
        real[i].tv_sec = times[i].tv_sec - shift_seconds();
        real[i].tv_nsec = times[i].tv_usec * 1000;
    }
    return (int)syscall(SYS_utimensat, AT_FDCWD, path, real, 0);
}
