/*  mf_save: the viewer's `s` and `S` saves, written off the event loop.

    A save is a finished image (its mu, view, iterations and palette),
    written by mf_output_write exactly as the headless export writes it,
    tEXt metadata included, so the two produce the same bytes. Saves
    run one after the other on one background thread; the window keeps
    responding while a large one is compressed. Names are
    mandelfarm-NNNN.png, the next number free in the directory.
*/
#ifndef MF_VIEWER_SAVE_H
#define MF_VIEWER_SAVE_H

#include "mf_palette.h"
#include "mf_region.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MF_SAVE_MAX_NUMBER 9999         //  mandelfarm-0001.png ... mandelfarm-9999.png

//  Writes into path dir/mandelfarm-NNNN.png with the smallest NNNN above
//  *last that names no file (and sets *last to it). Returns 0, or -1 when
//  every number up to MF_SAVE_MAX_NUMBER is taken.
int mf_save_next_name (const char *dir, unsigned *last, char *path, size_t size);

typedef struct _mf_saver_t mf_saver_t;

//  Called on the saver thread after each save, to wake the event loop.
typedef void (mf_saver_notify_fn) (void *arg);

//  Starts the saver thread. Returns NULL when it cannot.
mf_saver_t *mf_saver_new (mf_saver_notify_fn *notify, void *arg);

//  Finishes every save queued, then stops the thread; safe twice, nulls
//  the pointer.
void mf_saver_destroy (mf_saver_t **self_p);

//  Queues a save of mu (view->pixel_w * view->pixel_h values; the saver
//  takes it and frees it) to path. Returns 0, or -1 when out of memory
//  (mu is then freed).
int mf_saver_queue (mf_saver_t *self, const char *path, const mf_view_t *view,
                    uint32_t maxiter, const mf_palette_t *palette, float **mu_p);

//  Queues the save of a deep view: its exact center and width texts
//  (mf_deep_view_center_text, _width_text; copied), its size, and its
//  mu as doubles (the saver takes them and frees them), written as the
//  headless master writes a deep view (its color density included), so
//  that the file renders again to the same bytes from its Center and
//  Width. Returns 0, or -1 when out of memory (mu is then freed).
int mf_saver_queue_deep (mf_saver_t *self, const char *path, const char *center,
                         const char *width, uint32_t pixel_w, uint32_t pixel_h,
                         uint32_t maxiter, const mf_palette_t *palette, double **mu_p);

//  Waits until every save queued is written.
void mf_saver_flush (mf_saver_t *self);

//  Saves queued or being written.
size_t mf_saver_busy (mf_saver_t *self);

//  Takes the report of the oldest finished save: *ok and, in line, its
//  path (ok) or the reason it failed. Returns 0, or -1 if none.
int mf_saver_report (mf_saver_t *self, bool *ok, char *line, size_t size);

#endif
