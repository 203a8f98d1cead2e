/*  mf_sys: see mf_sys.h. */
#include "mf_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#   include <sys/prctl.h>
#   include <sys/random.h>
#endif

#define CLOSE_LOOP_MAX 65536            //  descriptors the portable close loop visits at most

int
mf_sys_die_with_parent (int signum)
{
#ifdef __linux__
    return prctl (PR_SET_PDEATHSIG, signum) == 0? 0: -1;
#else
    (void) signum;
    errno = ENOSYS;
    return -1;
#endif
}

void
mf_sys_close_from_3 (int keep)
{
#if defined (__linux__) && defined (__GLIBC__) \
    && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    if (keep > 3)
        close_range (3, (unsigned) keep - 1, 0);
    if (close_range (keep >= 3? (unsigned) keep + 1: 3, ~0u, 0) == 0)
        return;
    //  A kernel older than 5.9 says ENOSYS: the loop below does it.
#endif
    struct rlimit limit;
    long top = getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
             ? (long) limit.rlim_cur: CLOSE_LOOP_MAX;
    if (top > CLOSE_LOOP_MAX)
        top = CLOSE_LOOP_MAX;
    for (int fd = 3; fd < top; fd++)
        if (fd != keep)
            close (fd);
}

int
mf_sys_pipe (int fds [2])
{
#if defined (__linux__) || defined (__FreeBSD__) || defined (__NetBSD__) || defined (__OpenBSD__)
    return pipe2 (fds, O_CLOEXEC);
#else
    if (pipe (fds))
        return -1;
    fcntl (fds [0], F_SETFD, FD_CLOEXEC);
    fcntl (fds [1], F_SETFD, FD_CLOEXEC);
    return 0;
#endif
}

int
mf_sys_random (void *buffer, size_t size)
{
    unsigned char *bytes = buffer;
    size_t got = 0;
#ifdef __linux__
    while (got < size) {
        ssize_t rc = getrandom (bytes + got, size - got, 0);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            break;
        got += (size_t) rc;
    }
#endif
    if (got < size) {
        int fd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
        while (fd >= 0 && got < size) {
            ssize_t rc = read (fd, bytes + got, size - got);
            if (rc < 0 && errno == EINTR)
                continue;
            if (rc <= 0)
                break;
            got += (size_t) rc;
        }
        if (fd >= 0)
            close (fd);
    }
    //  Last resort: unpredictable enough to tell two runs apart, not to
    //  keep a secret.
    if (got == size)
        return 0;
    {
        struct timespec ts;
        clock_gettime (CLOCK_REALTIME, &ts);
        uint64_t state = (uint64_t) ts.tv_nsec * 0x9e3779b97f4a7c15u
                       ^ (uint64_t) ts.tv_sec << 20 ^ (uint64_t) getpid ();
        for (; got < size; got++) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            bytes [got] = (unsigned char) (state >> 32);
        }
    }
    return -1;
}

uint64_t
mf_sys_physical_memory (void)
{
    long pages = sysconf (_SC_PHYS_PAGES);
    long size = sysconf (_SC_PAGESIZE);
    if (pages <= 0 || size <= 0)
        return 0;
    return (uint64_t) pages * (uint64_t) size;
}

void
mf_sys_populate (void *address, size_t size)
{
#ifdef MADV_POPULATE_WRITE
    //  An older kernel says EINVAL: the pages then fault in as before.
    madvise (address, size, MADV_POPULATE_WRITE);
#else
    (void) address;
    (void) size;
#endif
}

int
mf_sys_self_path (char *buffer, size_t size)
{
#ifdef __linux__
    if (size < 2) {
        errno = ENAMETOOLONG;
        return -1;
    }
    ssize_t len = readlink ("/proc/self/exe", buffer, size - 1);
    if (len <= 0)
        return -1;
    if ((size_t) len >= size - 1) {
        errno = ENAMETOOLONG;       //  perhaps cut: refuse rather than guess
        return -1;
    }
    buffer [len] = 0;
    return 0;
#else
    (void) buffer;
    (void) size;
    errno = ENOSYS;
    return -1;
#endif
}

int
mf_sys_raise_fd_limit (uint64_t *before, uint64_t *after)
{
    struct rlimit limit;
    if (getrlimit (RLIMIT_NOFILE, &limit))
        return -1;
    *before = *after = limit.rlim_cur == RLIM_INFINITY? UINT64_MAX: (uint64_t) limit.rlim_cur;
    if (limit.rlim_cur == limit.rlim_max)
        return 0;
    struct rlimit raised = { limit.rlim_max, limit.rlim_max };
    if (setrlimit (RLIMIT_NOFILE, &raised) == 0)
        *after = raised.rlim_cur == RLIM_INFINITY? UINT64_MAX: (uint64_t) raised.rlim_cur;
    return 0;
}
