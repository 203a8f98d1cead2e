/*  mf_builder: see builder.h. Requests and answers are linked lists under
    one mutex; the thread waits on a condition variable, and writes one
    byte to a pipe for each answer, which the network thread reads back
    as it takes them.
*/
#include "builder.h"
#include "mf_log.h"
#include "mf_util.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct s_request_t {
    mf_build_t build;
    struct s_request_t *next;
} s_request_t;

typedef struct s_answer_t {
    mf_built_t built;
    struct s_answer_t *next;
} s_answer_t;

struct _mf_builder_t {
    pthread_t thread;
    pthread_mutex_t lock;               //  guards everything below
    pthread_cond_t wake;                //  signalled on submit and stop
    s_request_t *queue;                 //  requests, oldest first
    s_request_t *in_hand;               //  the one being built, or NULL
    s_answer_t *answers;                //  answers, oldest first
    bool stop;                          //  the thread exits when set
    int pipe [2];                       //  a byte per answer not taken
};

//  Does one build: unpack, check the type, build the table.
static void
s_build (const mf_build_t *build, mf_built_t *built)
{
    memset (built, 0, sizeof *built);
    built->id = build->id;
    built->cmax = build->cmax;
    int64_t start = mf_clock_ms ();
    mf_orbit_t *orbit = mf_ship_unpack (build->blob, build->blob_size, build->raw, &build->id,
                                        build->limit, &built->why, built->err,
                                        sizeof built->err);
    if (orbit && mf_orbit_type (orbit) != build->type) {
        built->why = MF_SHIP_E_ORBIT;
        snprintf (built->err, sizeof built->err, "the orbit holds %s points, its lease "
                  "wants %s", mf_orbit_type (orbit) == MF_DELTA_FEXP? "floatexp": "double",
                  build->type == MF_DELTA_FEXP? "floatexp": "double");
        mf_orbit_destroy (&orbit);
    }
    if (orbit) {
        char err [200] = "out of memory";
        mf_bla_t *bla = mf_bla_new (orbit, build->cmax, err, sizeof err);
        mf_orbit_destroy (&orbit);      //  the kernels read the table only
        built->table = bla? mf_table_new (&build->id, build->cmax, &bla): NULL;
        if (!built->table) {
            built->why = MF_SHIP_E_MEMORY;
            snprintf (built->err, sizeof built->err, "cannot build the BLA table: %s", err);
        }
    }
    built->took_ms = mf_clock_ms () - start;
}

static void *
s_thread (void *arg)
{
    mf_builder_t *self = arg;
    pthread_mutex_lock (&self->lock);
    while (true) {
        while (!self->stop && !self->queue)
            pthread_cond_wait (&self->wake, &self->lock);
        if (self->stop)
            break;
        s_request_t *request = self->queue;
        self->queue = request->next;
        self->in_hand = request;
        pthread_mutex_unlock (&self->lock);

        s_answer_t *answer = calloc (1, sizeof *answer);
        if (answer)
            s_build (&request->build, &answer->built);
        else
            mf_error ("out of memory answering a table's build");

        pthread_mutex_lock (&self->lock);
        self->in_hand = NULL;
        free (request->build.blob);
        free (request);
        if (answer) {
            s_answer_t **tail = &self->answers;
            while (*tail)
                tail = &(*tail)->next;
            *tail = answer;
            ssize_t rc = write (self->pipe [1], "", 1);
            (void) rc;          //  a full pipe is readable already
        }
    }
    pthread_mutex_unlock (&self->lock);
    return NULL;
}

mf_builder_t *
mf_builder_new (void)
{
    mf_builder_t *self = calloc (1, sizeof *self);
    if (!self) {
        mf_error ("out of memory starting the table builder");
        return NULL;
    }
    if (pipe2 (self->pipe, O_NONBLOCK | O_CLOEXEC)) {
        mf_error ("cannot make the table builder's pipe: %s", strerror (errno));
        free (self);
        return NULL;
    }
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->wake, NULL);
    int rc = pthread_create (&self->thread, NULL, s_thread, self);
    if (rc) {
        mf_error ("cannot start the table builder: %s", strerror (rc));
        pthread_mutex_destroy (&self->lock);
        pthread_cond_destroy (&self->wake);
        close (self->pipe [0]);
        close (self->pipe [1]);
        free (self);
        return NULL;
    }
    return self;
}

void
mf_builder_destroy (mf_builder_t **self_p)
{
    assert (self_p);
    mf_builder_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_lock (&self->lock);
    self->stop = true;
    pthread_cond_signal (&self->wake);
    pthread_mutex_unlock (&self->lock);
    pthread_join (self->thread, NULL);
    while (self->queue) {
        s_request_t *request = self->queue;
        self->queue = request->next;
        free (request->build.blob);
        free (request);
    }
    while (self->answers) {
        s_answer_t *answer = self->answers;
        self->answers = answer->next;
        mf_table_unref (&answer->built.table);
        free (answer);
    }
    pthread_mutex_destroy (&self->lock);
    pthread_cond_destroy (&self->wake);
    close (self->pipe [0]);
    close (self->pipe [1]);
    free (self);
    *self_p = NULL;
}

int
mf_builder_fd (mf_builder_t *self)
{
    return self->pipe [0];
}

static bool
s_same (const mf_build_t *a, const mf_build_t *b)
{
    return mf_orbit_id_equal (&a->id, &b->id) && a->cmax.e == b->cmax.e
        && mf_fexp_bits (a->cmax.m) == mf_fexp_bits (b->cmax.m);
}

int
mf_builder_submit (mf_builder_t *self, mf_build_t *request)
{
    pthread_mutex_lock (&self->lock);
    bool asked = self->in_hand && s_same (&self->in_hand->build, request);
    s_request_t **tail = &self->queue;
    for (; *tail; tail = &(*tail)->next)
        if (s_same (&(*tail)->build, request))
            asked = true;
    s_request_t *item = asked? NULL: malloc (sizeof *item);
    if (item) {
        item->build = *request;
        item->next = NULL;
        request->blob = NULL;
        *tail = item;
        pthread_cond_signal (&self->wake);
    }
    pthread_mutex_unlock (&self->lock);
    free (request->blob);
    request->blob = NULL;
    return asked || item? 0: -1;
}

int
mf_builder_next (mf_builder_t *self, mf_built_t *built)
{
    pthread_mutex_lock (&self->lock);
    s_answer_t *answer = self->answers;
    if (answer) {
        self->answers = answer->next;
        char byte;
        ssize_t rc = read (self->pipe [0], &byte, 1);
        (void) rc;          //  the byte of this answer, if the pipe held it
    }
    pthread_mutex_unlock (&self->lock);
    if (!answer)
        return 0;
    *built = answer->built;
    free (answer);
    return 1;
}

size_t
mf_builder_pending (mf_builder_t *self)
{
    pthread_mutex_lock (&self->lock);
    size_t count = self->in_hand? 1: 0;
    for (s_request_t *request = self->queue; request; request = request->next)
        count++;
    pthread_mutex_unlock (&self->lock);
    return count;
}
