/*  mf_spawn: see spawn.h. */
#include "spawn.h"
#include "worker.h"
#include "mf_log.h"
#include "mf_sys.h"
#include "mf_util.h"

#include <assert.h>
#include <czmq.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define GRACE_MS 1000                   //  msecs children get to leave before SIGKILL

struct _mf_spawn_t {
    pid_t *pids;                        //  children still to reap (0: reaped)
    int count;                          //  entries in pids
    int go;                             //  write end of the start pipe, or -1
    char endpoint [96];                 //  where the children connect
};


static void
s_child (const char *endpoint, int threads, const char *kernel, pid_t parent, int wait_fd,
         mf_shm_t *shm, int region)
{
    //  Die with the master, whatever kills it (where the system cannot
    //  tell us, the worker loop watches getppid: opts.parent).
    mf_sys_die_with_parent (SIGTERM);
    if (getppid () != parent)
        _exit (0);
    //  Keep nothing of the master's but stdio and the start pipe: a
    //  checkpoint or an output it has open is none of a worker's business
    //  (O_CLOEXEC does not help: nothing is exec'd).
    mf_sys_close_from_3 (wait_fd);
    signal (SIGPIPE, SIG_IGN);
    mf_log_init ("mandelfarm-worker");
    zsys_handler_set (NULL);
    mf_worker_opts_t opts = {
        .endpoint = endpoint, .threads = threads, .kernel = kernel, .parent = parent,
        .stop_fd = -1, .shm = shm, .shm_region = region
    };
    if (mf_worker_catch_signals (&opts))
        _exit (1);
    //  Wait until the master has bound the endpoint (EOF on the pipe); a
    //  signal meanwhile means the master is stopping already.
    char byte;
    while (read (wait_fd, &byte, 1) < 0 && errno == EINTR && !*opts.stop)
        ;
    close (wait_fd);
    if (*opts.stop)
        _exit (0);
    int rc = mf_worker_run (&opts);
    zsys_shutdown ();
    _exit (rc == 0? 0: 1);
}

mf_spawn_t *
mf_spawn_new (int count, int threads, const char *kernel, mf_shm_t *shm, char *err,
              size_t errlen)
{
    assert (!shm || mf_shm_regions (shm) == count);
    mf_spawn_t *self = calloc (1, sizeof *self);
    if (!self || !(self->pids = calloc ((size_t) count + 1, sizeof *self->pids))) {
        free (self);
        snprintf (err, errlen, "out of memory");
        return NULL;
    }
    int start [2];
    if (mf_sys_pipe (start)) {
        free (self->pids);
        free (self);
        snprintf (err, errlen, "cannot make a pipe: %s", strerror (errno));
        return NULL;
    }
    self->go = start [1];
    pid_t parent = getpid ();
    uint32_t nonce;
    mf_sys_random (&nonce, sizeof nonce);
    snprintf (self->endpoint, sizeof self->endpoint, "ipc://@mandelfarm-%d-%08x",
              (int) parent, nonce);
    fflush (stdout);
    fflush (stderr);
    for (int index = 0; index < count; index++) {
        pid_t pid = fork ();
        if (pid < 0) {
            snprintf (err, errlen, "cannot fork local worker %d: %s",
                      index + 1, strerror (errno));
            close (start [0]);
            mf_spawn_destroy (&self);
            return NULL;
        }
        if (pid == 0) {
            close (start [1]);
            s_child (self->endpoint, threads, kernel, parent, start [0], shm, index);
        }
        self->pids [self->count++] = pid;
    }
    close (start [0]);
    return self;
}

const char *
mf_spawn_endpoint (mf_spawn_t *self)
{
    return self->endpoint;
}

void
mf_spawn_go (mf_spawn_t *self)
{
    if (self && self->go >= 0) {
        close (self->go);
        self->go = -1;
    }
}

void
mf_spawn_destroy (mf_spawn_t **self_p)
{
    assert (self_p);
    mf_spawn_t *self = *self_p;
    if (!self)
        return;
    mf_spawn_go (self);
    for (int index = 0; index < self->count; index++)
        kill (self->pids [index], SIGTERM);
    int64_t deadline = mf_clock_ms () + GRACE_MS;
    int left = self->count;
    while (left > 0) {
        left = 0;
        for (int index = 0; index < self->count; index++) {
            if (!self->pids [index])
                continue;
            pid_t rc = waitpid (self->pids [index], NULL, WNOHANG);
            if (rc == self->pids [index] || (rc < 0 && errno == ECHILD))
                self->pids [index] = 0;
            else
                left++;
        }
        if (left == 0)
            break;
        if (mf_clock_ms () > deadline) {
            for (int index = 0; index < self->count; index++)
                if (self->pids [index]) {
                    kill (self->pids [index], SIGKILL);
                    waitpid (self->pids [index], NULL, 0);
                    self->pids [index] = 0;
                }
            break;
        }
        usleep (1000);              //  children leave within a few msecs of SIGTERM
    }
    free (self->pids);
    free (self);
    *self_p = NULL;
}
