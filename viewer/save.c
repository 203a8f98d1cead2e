/*  mf_save: see save.h. */
#include "save.h"
#include "mf_deep_auto.h"
#include "mf_output.h"
#include "mf_util.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPORT_LEN 4200                 //  bytes of a path or report line

int
mf_save_next_name (const char *dir, unsigned *last, char *path, size_t size)
{
    for (unsigned number = *last + 1; number <= MF_SAVE_MAX_NUMBER; number++) {
        snprintf (path, size, "%s/mandelfarm-%04u.png", dir, number);
        struct stat st;
        if (lstat (path, &st) == 0)
            continue;
        *last = number;
        return 0;
    }
    return -1;
}

typedef struct s_save_t {
    struct s_save_t *next;              //  next in its list
    char path [REPORT_LEN];             //  where to write; then the report
    mf_view_t view;                     //  the image's view
    uint32_t maxiter;                   //  its iterations
    const mf_palette_t *palette;        //  its colors
    float *mu;                          //  its pixels (owned), or NULL when deep
    double *mu64;                       //  a deep view's pixels (owned)
    char *center, *width;               //  a deep view's exact texts (owned)
    bool ok;                            //  written
} s_save_t;

struct _mf_saver_t {
    pthread_t thread;                   //  writes the saves
    pthread_mutex_t lock;               //  guards the lists and flags
    pthread_cond_t wake;                //  signals new work or stop
    pthread_cond_t idle;                //  signals a save finished
    s_save_t *todo, *todo_tail;         //  queued, oldest first
    s_save_t *done, *done_tail;         //  finished, oldest first
    size_t busy;                        //  queued or being written
    bool stop;                          //  finish the queue and leave
    mf_saver_notify_fn *notify;         //  wakes the event loop
    void *notify_arg;                   //  its argument
};

static void
s_append (s_save_t **head, s_save_t **tail, s_save_t *save)
{
    save->next = NULL;
    if (*tail)
        (*tail)->next = save;
    else
        *head = save;
    *tail = save;
}

static void *
s_run (void *arg)
{
    mf_saver_t *self = arg;
    pthread_mutex_lock (&self->lock);
    while (true) {
        while (!self->todo && !self->stop)
            pthread_cond_wait (&self->wake, &self->lock);
        s_save_t *save = self->todo;
        if (!save)
            break;
        self->todo = save->next;
        if (!self->todo)
            self->todo_tail = NULL;
        pthread_mutex_unlock (&self->lock);

        char err [REPORT_LEN - 64], center [80], width [32];
        mf_output_view_text (&save->view, center, sizeof center, width, sizeof width);
        mf_output_spec_t spec = {
            .format = MF_OUTPUT_PNG, .width = save->view.pixel_w,
            .height = save->view.pixel_h, .center = center, .span = width,
            .maxiter = save->maxiter, .palette = save->palette, .threads = mf_online_cpus ()
        };
        //  A deep view as the headless master writes it (master/render.c):
        //  its exact texts, doubles, the whole image's color density.
        mf_deep_density_t density;
        if (save->mu64) {
            spec.center = save->center;
            spec.span = save->width;
            spec.mu64 = true;
            mf_deep_density (save->mu64, (size_t) save->view.pixel_w * save->view.pixel_h,
                             &density);
            spec.density = &density;
        }
        save->ok = mf_output_write (save->path, &spec, save->mu64? (const void *) save->mu64
                                                                 : (const void *) save->mu,
                                    err, sizeof err) == 0;
        if (!save->ok)
            snprintf (save->path, sizeof save->path, "%s", err);
        free (save->mu);
        free (save->mu64);
        free (save->center);
        free (save->width);
        save->mu = NULL;
        save->mu64 = NULL;
        save->center = save->width = NULL;

        pthread_mutex_lock (&self->lock);
        s_append (&self->done, &self->done_tail, save);
        self->busy--;
        pthread_cond_broadcast (&self->idle);
        pthread_mutex_unlock (&self->lock);
        if (self->notify)
            self->notify (self->notify_arg);
        pthread_mutex_lock (&self->lock);
    }
    pthread_mutex_unlock (&self->lock);
    return NULL;
}

mf_saver_t *
mf_saver_new (mf_saver_notify_fn *notify, void *arg)
{
    mf_saver_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->notify = notify;
    self->notify_arg = arg;
    pthread_mutex_init (&self->lock, NULL);
    pthread_cond_init (&self->wake, NULL);
    pthread_cond_init (&self->idle, NULL);
    if (pthread_create (&self->thread, NULL, s_run, self)) {
        pthread_cond_destroy (&self->idle);
        pthread_cond_destroy (&self->wake);
        pthread_mutex_destroy (&self->lock);
        free (self);
        return NULL;
    }
    return self;
}

void
mf_saver_destroy (mf_saver_t **self_p)
{
    assert (self_p);
    mf_saver_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_lock (&self->lock);
    self->stop = true;
    pthread_cond_signal (&self->wake);
    pthread_mutex_unlock (&self->lock);
    pthread_join (self->thread, NULL);
    while (self->done) {
        s_save_t *next = self->done->next;
        free (self->done);
        self->done = next;
    }
    pthread_cond_destroy (&self->idle);
    pthread_cond_destroy (&self->wake);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

int
mf_saver_queue (mf_saver_t *self, const char *path, const mf_view_t *view,
                uint32_t maxiter, const mf_palette_t *palette, float **mu_p)
{
    assert (mu_p && *mu_p);
    s_save_t *save = calloc (1, sizeof *save);
    if (!save) {
        free (*mu_p);
        *mu_p = NULL;
        return -1;
    }
    snprintf (save->path, sizeof save->path, "%s", path);
    save->view = *view;
    save->maxiter = maxiter;
    save->palette = palette;
    save->mu = *mu_p;
    *mu_p = NULL;
    pthread_mutex_lock (&self->lock);
    s_append (&self->todo, &self->todo_tail, save);
    self->busy++;
    pthread_cond_signal (&self->wake);
    pthread_mutex_unlock (&self->lock);
    return 0;
}

int
mf_saver_queue_deep (mf_saver_t *self, const char *path, const char *center, const char *width,
                     uint32_t pixel_w, uint32_t pixel_h, uint32_t maxiter,
                     const mf_palette_t *palette, double **mu_p)
{
    assert (mu_p && *mu_p);
    s_save_t *save = calloc (1, sizeof *save);
    if (save) {
        save->center = strdup (center);
        save->width = strdup (width);
    }
    if (!save || !save->center || !save->width) {
        if (save) {
            free (save->center);
            free (save->width);
        }
        free (save);
        free (*mu_p);
        *mu_p = NULL;
        return -1;
    }
    snprintf (save->path, sizeof save->path, "%s", path);
    save->view = (mf_view_t) { .pixel_w = pixel_w, .pixel_h = pixel_h };
    save->maxiter = maxiter;
    save->palette = palette;
    save->mu64 = *mu_p;
    *mu_p = NULL;
    pthread_mutex_lock (&self->lock);
    s_append (&self->todo, &self->todo_tail, save);
    self->busy++;
    pthread_cond_signal (&self->wake);
    pthread_mutex_unlock (&self->lock);
    return 0;
}

void
mf_saver_flush (mf_saver_t *self)
{
    pthread_mutex_lock (&self->lock);
    while (self->busy)
        pthread_cond_wait (&self->idle, &self->lock);
    pthread_mutex_unlock (&self->lock);
}

size_t
mf_saver_busy (mf_saver_t *self)
{
    pthread_mutex_lock (&self->lock);
    size_t busy = self->busy;
    pthread_mutex_unlock (&self->lock);
    return busy;
}

int
mf_saver_report (mf_saver_t *self, bool *ok, char *line, size_t size)
{
    pthread_mutex_lock (&self->lock);
    s_save_t *save = self->done;
    if (save) {
        self->done = save->next;
        if (!self->done)
            self->done_tail = NULL;
    }
    pthread_mutex_unlock (&self->lock);
    if (!save)
        return -1;
    *ok = save->ok;
    snprintf (line, size, "%s", save->path);
    free (save);
    return 0;
}
