/*  mf_sys: the calls that differ between systems do what they say here,
    on Linux: random bytes, the open-file limit raised to the hard one,
    descriptors closed but one, close-on-exec pipes, the program's own
    path, memory facts, death with the parent. */
#include "helpers.h"
#include "mf_sys.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

START_TEST (random_bytes)
{
    //  Every byte is written (a byte left 0xAA in all of 64 tries of 32
    //  bytes would be a 1 in 2^512 chance), and two draws differ.
    unsigned char a [32], b [32];
    unsigned char untouched [32];
    memset (untouched, 0xff, sizeof untouched);
    for (int draw = 0; draw < 64; draw++) {
        memset (a, 0xaa, sizeof a);
        mf_sys_random (a, sizeof a);
        for (size_t index = 0; index < sizeof a; index++)
            if (a [index] != 0xaa)
                untouched [index] = 0;
    }
    for (size_t index = 0; index < sizeof untouched; index++)
        ck_assert_msg (untouched [index] == 0, "byte %zu never written", index);
    mf_sys_random (b, sizeof b);
    ck_assert (memcmp (a, b, sizeof a) != 0);
    mf_sys_random (b, 0);               //  nothing to do, nothing broken
}
END_TEST

START_TEST (fd_limit_raised)
{
    //  In a child, so the test's own limit stays: soft 64, hard 256.
    pid_t pid = fork ();
    if (pid == 0) {
        struct rlimit limit = { 64, 256 };
        if (setrlimit (RLIMIT_NOFILE, &limit))
            _exit (10);
        uint64_t before, after;
        if (mf_sys_raise_fd_limit (&before, &after) || before != 64 || after != 256)
            _exit (11);
        if (getrlimit (RLIMIT_NOFILE, &limit) || limit.rlim_cur != 256)
            _exit (12);
        //  Already at the hard limit: nothing changes.
        if (mf_sys_raise_fd_limit (&before, &after) || before != 256 || after != 256)
            _exit (13);
        _exit (0);
    }
    ck_assert_int_eq (th_wait (pid, 10000), 0);
}
END_TEST

START_TEST (close_from_3)
{
    pid_t pid = fork ();
    if (pid == 0) {
        int fds [6];
        for (int index = 0; index < 6; index++)
            fds [index] = open ("/dev/null", O_RDONLY);
        int keep = fds [2];
        mf_sys_close_from_3 (keep);
        if (fcntl (keep, F_GETFD) < 0)
            _exit (10);
        for (int index = 0; index < 6; index++)
            if (fds [index] != keep && (fcntl (fds [index], F_GETFD) >= 0 || errno != EBADF))
                _exit (11);
        if (fcntl (2, F_GETFD) < 0)
            _exit (12);                 //  stdio stays
        mf_sys_close_from_3 (-1);
        if (fcntl (keep, F_GETFD) >= 0)
            _exit (13);
        _exit (0);
    }
    ck_assert_int_eq (th_wait (pid, 10000), 0);
}
END_TEST

START_TEST (pipe_cloexec)
{
    int fds [2];
    ck_assert_int_eq (mf_sys_pipe (fds), 0);
    ck_assert (fcntl (fds [0], F_GETFD) & FD_CLOEXEC);
    ck_assert (fcntl (fds [1], F_GETFD) & FD_CLOEXEC);
    ck_assert_int_eq (write (fds [1], "x", 1), 1);
    char byte = 0;
    ck_assert_int_eq (read (fds [0], &byte, 1), 1);
    ck_assert (byte == 'x');
    close (fds [0]);
    close (fds [1]);
}
END_TEST

START_TEST (self_path)
{
    char path [4096];
    ck_assert_int_eq (mf_sys_self_path (path, sizeof path), 0);
    ck_assert_ptr_nonnull (strstr (path, "test_sys"));
    ck_assert (path [0] == '/');
    //  Too small a buffer: refused, never cut.
    ck_assert_int_eq (mf_sys_self_path (path, 4), -1);
}
END_TEST

START_TEST (memory)
{
    ck_assert_uint_gt (mf_sys_physical_memory (), 1u << 20);
    //  Populating is advice: the pages are usable after it either way.
    size_t size = 1 << 20;
    unsigned char *pages = mmap (NULL, size, PROT_READ | PROT_WRITE,
                                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert (pages != MAP_FAILED);
    mf_sys_populate (pages, size);
    pages [0] = 1;
    pages [size - 1] = 2;
    ck_assert (pages [0] == 1 && pages [size - 1] == 2 && pages [size / 2] == 0);
    munmap (pages, size);
}
END_TEST

START_TEST (die_with_parent)
{
    //  A grandchild asks for SIGKILL when its parent dies; the parent
    //  exits, and the grandchild (ours to reap: we are a subreaper) is
    //  killed, where it would otherwise wait forever.
    ck_assert_int_eq (prctl (PR_SET_CHILD_SUBREAPER, 1), 0);
    int ready [2];
    ck_assert_int_eq (pipe (ready), 0);
    pid_t middle = fork ();
    if (middle == 0) {
        pid_t child = fork ();
        if (child == 0) {
            if (mf_sys_die_with_parent (SIGKILL))
                _exit (1);
            //  Once for its parent, once for the test.
            pid_t self [2] = { getpid (), getpid () };
            if (write (ready [1], self, sizeof self) != sizeof self)
                _exit (1);
            pause ();
            _exit (0);
        }
        pid_t told;
        if (read (ready [0], &told, sizeof told) != sizeof told)
            _exit (1);
        _exit (0);
    }
    pid_t child;
    ck_assert_int_eq (read (ready [0], &child, sizeof child), (ssize_t) sizeof child);
    ck_assert_int_eq (th_wait (middle, 10000), 0);
    ck_assert_int_eq (th_wait (child, 3000), 128 + SIGKILL);
    close (ready [0]);
    close (ready [1]);
}
END_TEST

int
main (void)
{
    Suite *suite = suite_create ("sys");
    TCase *tc = tcase_create ("core");
    tcase_add_test (tc, random_bytes);
    tcase_add_test (tc, fd_limit_raised);
    tcase_add_test (tc, close_from_3);
    tcase_add_test (tc, pipe_cloexec);
    tcase_add_test (tc, self_path);
    tcase_add_test (tc, memory);
    tcase_add_test (tc, die_with_parent);
    suite_add_tcase (suite, tc);
    return th_run_suite (suite);
}
