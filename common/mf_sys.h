/*  mf_sys: the calls that are not the same on every system, in one place
    (as Redis keeps them in config.h and its ae_* backends). Each one says
    what it does on Linux, which the farm is built and tested on, and what
    it falls back to elsewhere, so that a port has one file to read.
*/
#ifndef MF_SYS_H
#define MF_SYS_H

#include <stddef.h>
#include <stdint.h>

//  Asks the kernel to send signum to this process when its parent dies
//  (Linux: PR_SET_PDEATHSIG). Returns 0, or -1 where the system has no
//  such request: the caller must then watch getppid itself.
int mf_sys_die_with_parent (int signum);

//  Closes every descriptor from 3 up, except keep (-1: none). Linux:
//  close_range; elsewhere a loop up to the open-file limit.
void mf_sys_close_from_3 (int keep);

//  Makes a pipe whose ends close on exec (pipe2 where there is one, else
//  pipe and fcntl). Returns 0, or -1 with errno set.
int mf_sys_pipe (int fds [2]);

//  Fills buffer with random bytes: getrandom, else /dev/urandom, else a
//  mix of the clock and the pid. Returns 0, or -1 when only that last
//  resort was left (good enough for ids, not for a secret).
int mf_sys_random (void *buffer, size_t size);

//  Physical memory in bytes (0 if unknown).
uint64_t mf_sys_physical_memory (void);

//  Makes the pages of [address, address + size) present and writable now
//  rather than one fault at a time later (Linux 5.14+:
//  MADV_POPULATE_WRITE). Elsewhere, or on an older kernel, nothing: the
//  pages fault in as they are touched.
void mf_sys_populate (void *address, size_t size);

//  The path of the running program (Linux: /proc/self/exe). Returns 0, or
//  -1 with errno set.
int mf_sys_self_path (char *buffer, size_t size);

//  Raises the soft limit of open files to the hard limit, as servers do
//  (Redis for maxclients), so that peers cannot exhaust a small default.
//  Returns 0 with the limits before and after, or -1 if they cannot be
//  read; a limit that cannot be raised leaves *after == *before.
int mf_sys_raise_fd_limit (uint64_t *before, uint64_t *after);

#endif
