/*  cross_mu: the mu bytes of a fixed set of tiles, written by every
    kernel variant of this machine, for make check-aarch64 to compare
    across machines (scripts/check-aarch64.sh): the same tiles on x86
    (every variant) and on aarch64 (under qemu) must give the same bytes,
    which is what "same image whatever the machines" rests on.

        cross_mu DIR [KERNEL...]        (default: every usable variant)

    writes DIR/KERNEL/CASE.f32 for the shallow cases (mu as little-endian
    floats, row-major, computed tile by tile as the farm cuts a view) and
    DIR/KERNEL/CASE.f64 for the deep ones (mu as little-endian doubles,
    through the perturbation variant of the same name), and
    DIR/orbits/CASE.orbit, the canonical bytes of each deep case's
    reference orbit (MPFR), so that a deep difference says whether the
    orbit or the kernel moved. A kernel with no perturbation variant of
    its name (neon, until it has one) computes the shallow cases only,
    and says so on a SKIPPED line.

    The cases: the bench views, interior-heavy views (the cardioid, its
    cusp, a period-3 bulb that only the cycle test ends), the 4e-10
    minibrot, orbits that overflow to inf and NaN (where the machines'
    NaNs differ), and the deep "line" and "e50" locations (double deltas)
    and "e318" (floatexp), small enough for qemu. Each case must hold
    what it is there for (escaped pixels, interior ones, as it says): a
    case that went empty would compare equal and prove
    nothing, so it is an error here.

    Exit status: 0, 1 when a case could not be computed or written, 2 for
    a bad argument.
*/
#include "deep_locations.h"
#include "mf_bla.h"
#include "mf_deep.h"
#include "mf_kernel.h"
#include "mf_le.h"
#include "mf_mu.h"
#include "mf_orbit.h"
#include "mf_perturb.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TILE_W 48                       //  tile width, pixels: not a multiple of 8 lanes...
#define TILE_H 40                       //  ... at the right edge of most cases
#define PATH_MAX_BYTES 1024             //  bytes of a path we build

typedef struct {
    const char *name;
    double re, im, width;
    uint32_t w, h, maxiter;
    bool escaped;                       //  must hold escaped pixels
    bool interior;                      //  must hold interior pixels
} s_shallow_t;

static const s_shallow_t s_shallow [] = {
    //  The bench views (scripts/bench.sh, bench/bench_kernel.c).
    { "default", -0.75, 0.0, 3.5, 96, 54, 1000, true, true },
    { "seahorse", -0.7453, 0.1127, 0.01, 80, 60, 2000, true, true },
    { "spiral", -0.7436438870371587, 0.1318259042053119, 1e-4, 80, 60, 5000, true, false },
    { "elephant", 0.2925, 0.0149, 0.008, 80, 60, 3000, true, true },
    { "edge", -0.743643887037151, 0.131825904205330, 1e-8, 64, 48, 20000, true, false },
    { "minibrot", -0.7437911560181347, 0.1316612922633015, 4e-10, 64, 48, 20000, true, true },
    //  Interior-heavy: the shortcuts (cardioid and bulb tests, the cycle
    //  test) against the reference's plain loop. Next to the cusp nothing
    //  escapes within maxiter (bench_kernel's loop alone).
    { "cardioid", -0.5, 0.0, 2.5, 64, 48, 20000, true, true },
    { "cusp", 0.2500002, 0.0, 1e-6, 24, 16, 20000, false, true },
    { "period-3-bulb", -0.1225, 0.7449, 0.2, 48, 36, 20000, true, true },
    //  Far out and overflowing: orbits into inf and NaN.
    { "far-out", 1e5, 1e5, 1e6, 40, 30, 100, true, false },
    { "overflow", 0.0, 0.0, 1e300, 24, 18, 50, true, false },
    { "near-overflow", 1e153, -1e153, 3e153, 24, 18, 50, true, false },
};

#define SHALLOW_COUNT (sizeof s_shallow / sizeof s_shallow [0])

typedef struct {
    const char *name;
    const char *center, *zoom;
    uint32_t w, h, maxiter;
} s_deep_case_t;

static const s_deep_case_t s_deep [] = {
    { "line", LOC_LINE_CENTER, LOC_LINE_ZOOM, 40, 24, LOC_LINE_ITER },
    { "e50", LOC_E50_CENTER, LOC_E50_ZOOM, 24, 14, LOC_E50_ITER },
    { "e318", LOC_E318_CENTER, LOC_E318_ZOOM, 12, 8, LOC_E318_ITER },
};

#define DEEP_COUNT (sizeof s_deep / sizeof s_deep [0])

//  A deep case made ready: its view, map, orbit and BLA table.
typedef struct {
    mf_deep_view_t *view;
    mf_deep_map_t map;
    mf_orbit_t *orbit;
    mf_bla_t *bla;
} s_ready_t;

//  Makes dir (one level) unless it exists. Returns 0 or -1.
static int
s_mkdir (const char *dir)
{
    if (mkdir (dir, 0755) == 0 || errno == EEXIST)
        return 0;
    fprintf (stderr, "cross_mu: cannot make %s: %s\n", dir, strerror (errno));
    return -1;
}

//  Writes size bytes to dir/name. Returns 0 or -1 (said on stderr).
static int
s_write (const char *dir, const char *name, const uint8_t *bytes, size_t size)
{
    char path [PATH_MAX_BYTES];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    FILE *file = fopen (path, "wb");
    bool ok = file && fwrite (bytes, 1, size, file) == size;
    if (file && fclose (file) != 0)
        ok = false;
    if (!ok)
        fprintf (stderr, "cross_mu: cannot write %s: %s\n", path, strerror (errno));
    return ok? 0: -1;
}

//  Whether the mu values hold what the case is there for: escaped
//  pixels when escaped is set, interior ones when interior is. Says
//  which is missing.
static bool
s_worth_it (const char *name, const double *mu, size_t pixels, bool escaped_too,
            bool interior)
{
    size_t escaped = 0, inside = 0;
    for (size_t index = 0; index < pixels; index++) {
        if (mu [index] == -1.0)
            inside++;
        else
            escaped++;
    }
    if ((escaped_too && escaped == 0) || (interior && inside == 0)) {
        fprintf (stderr, "cross_mu: case %s holds %zu escaped and %zu interior pixels: "
                 "it would prove nothing\n", name, escaped, inside);
        return false;
    }
    return true;
}

//  Computes one shallow case with kernel, tile by tile, into dir.
//  Returns 0 or -1.
static int
s_shallow_case (const mf_kernel_t *kernel, const s_shallow_t *c, const char *dir)
{
    mf_view_t view = { c->re, c->im, c->width, c->w, c->h };
    mf_task_t task;
    memset (&task, 0, sizeof task);
    mf_view_mapping (&view, &task.map);
    task.maxiter = c->maxiter;
    size_t pixels = (size_t) c->w * c->h;
    float *mu = malloc (pixels * sizeof (float));
    float *tile = malloc ((size_t) TILE_W * TILE_H * sizeof (float));
    double *wide = malloc (pixels * sizeof (double));
    uint8_t *bytes = malloc (pixels * sizeof (float));
    int rc = -1;
    if (!mu || !tile || !wide || !bytes)
        goto done;
    for (uint32_t y = 0; y < c->h; y += TILE_H)
        for (uint32_t x = 0; x < c->w; x += TILE_W) {
            uint32_t w = c->w - x < TILE_W? c->w - x: TILE_W;
            uint32_t h = c->h - y < TILE_H? c->h - y: TILE_H;
            task.rect = (mf_rect_t) { x, y, w, h };
            if (kernel->fn (&task, tile, NULL) == MF_KERNEL_STOPPED)
                goto done;          //  no flag was given: cannot happen
            for (uint32_t row = 0; row < h; row++)
                memcpy (mu + (size_t) (y + row) * c->w + x, tile + (size_t) row * w,
                        w * sizeof (float));
        }
    for (size_t index = 0; index < pixels; index++)
        wide [index] = mu [index];
    if (!s_worth_it (c->name, wide, pixels, c->escaped, c->interior))
        goto done;
    mf_le_put_f32s (bytes, mu, pixels);
    char name [128];
    snprintf (name, sizeof name, "%s.f32", c->name);
    rc = s_write (dir, name, bytes, pixels * sizeof (float));
done:
    free (mu);
    free (tile);
    free (wide);
    free (bytes);
    return rc;
}

//  Computes a deep case's view, orbit and table. Returns 0, or -1 with
//  the reason on stderr.
static int
s_ready (const s_deep_case_t *c, s_ready_t *ready)
{
    char err [512];
    memset (ready, 0, sizeof *ready);
    ready->view = mf_deep_view_new (c->center, NULL, c->zoom, c->w, c->h, err, sizeof err);
    if (ready->view && !mf_deep_view_is_deep (ready->view))
        snprintf (err, sizeof err, "the view is not deep");
    if (ready->view && mf_deep_view_is_deep (ready->view)) {
        mf_deep_view_map (ready->view, &ready->map);
        ready->orbit = mf_orbit_compute (ready->view, c->maxiter, NULL, err, sizeof err);
        if (ready->orbit)
            ready->bla = mf_bla_new (ready->orbit, mf_deep_map_cmax (&ready->map),
                                     err, sizeof err);
    }
    if (!ready->bla) {
        fprintf (stderr, "cross_mu: deep case %s: %s\n", c->name, err);
        return -1;
    }
    return 0;
}

static void
s_unready (s_ready_t *ready)
{
    mf_bla_destroy (&ready->bla);
    mf_orbit_destroy (&ready->orbit);
    mf_deep_view_destroy (&ready->view);
}

//  Writes a deep case's orbit, canonical bytes, into dir. Returns 0 or -1.
static int
s_orbit_file (const s_deep_case_t *c, const s_ready_t *ready, const char *dir)
{
    size_t size = mf_orbit_encoded_size (ready->orbit);
    uint8_t *bytes = malloc (size);
    int rc = -1;
    if (bytes && mf_orbit_encode (ready->orbit, bytes, size) == size) {
        char name [128];
        snprintf (name, sizeof name, "%s.orbit", c->name);
        rc = s_write (dir, name, bytes, size);
    }
    else
        fprintf (stderr, "cross_mu: cannot encode the orbit of %s\n", c->name);
    free (bytes);
    return rc;
}

//  Computes one deep case with a perturbation kernel, tile by tile,
//  into dir. Returns 0 or -1.
static int
s_deep_case (const mf_perturb_kernel_t *kernel, const s_deep_case_t *c,
             const s_ready_t *ready, const char *dir)
{
    size_t pixels = (size_t) c->w * c->h;
    double *mu = malloc (pixels * sizeof (double));
    double *tile = malloc ((size_t) TILE_W * TILE_H * sizeof (double));
    uint8_t *bytes = malloc (pixels * sizeof (double));
    int rc = -1;
    if (!mu || !tile || !bytes)
        goto done;
    for (uint32_t y = 0; y < c->h; y += TILE_H)
        for (uint32_t x = 0; x < c->w; x += TILE_W) {
            uint32_t w = c->w - x < TILE_W? c->w - x: TILE_W;
            uint32_t h = c->h - y < TILE_H? c->h - y: TILE_H;
            mf_perturb_task_t task = { &ready->map, ready->bla, c->maxiter, { x, y, w, h },
                                       NULL, false };
            if (kernel->fn (&task, tile, NULL) != 0)
                goto done;
            for (uint32_t row = 0; row < h; row++)
                memcpy (mu + (size_t) (y + row) * c->w + x, tile + (size_t) row * w,
                        w * sizeof (double));
        }
    if (!s_worth_it (c->name, mu, pixels, true, false))
        goto done;
    for (size_t index = 0; index < pixels; index++)
        mf_le_put_f64 (bytes + index * sizeof (double), mu [index]);
    char name [128];
    snprintf (name, sizeof name, "%s.f64", c->name);
    rc = s_write (dir, name, bytes, pixels * sizeof (double));
done:
    free (mu);
    free (tile);
    free (bytes);
    return rc;
}

int
main (int argc, char *argv [])
{
    if (argc < 2 || argv [1][0] == '-') {
        fprintf (stderr, "cross_mu: usage: cross_mu DIR [KERNEL...] (kernels here: %s)\n",
                 mf_kernel_names ());
        return 2;
    }
    const char *out = argv [1];
    //  The kernels: those named, each usable here, or every usable one.
    const mf_kernel_t *kernels [16];
    size_t count = 0;
    if (argc > 2) {
        for (int arg = 2; arg < argc && count < 16; arg++) {
            kernels [count] = mf_kernel_find (argv [arg]);
            if (!kernels [count] || strcmp (argv [arg], "auto") == 0) {
                fprintf (stderr, "cross_mu: no kernel '%s' here (allowed: %s)\n", argv [arg],
                         mf_kernel_names ());
                return 2;
            }
            count++;
        }
    }
    else {
        size_t listed;
        const mf_kernel_t *list = mf_kernel_list (&listed);
        for (size_t index = 0; index < listed && count < 16; index++)
            if (mf_kernel_usable (&list [index]))
                kernels [count++] = &list [index];
    }
    char dir [PATH_MAX_BYTES];
    if (s_mkdir (out))
        return 1;
    for (size_t k = 0; k < count; k++) {
        snprintf (dir, sizeof dir, "%s/%s", out, kernels [k]->name);
        if (s_mkdir (dir))
            return 1;
        for (size_t c = 0; c < SHALLOW_COUNT; c++)
            if (s_shallow_case (kernels [k], &s_shallow [c], dir))
                return 1;
        printf ("cross_mu: %s: %zu shallow cases\n", kernels [k]->name, SHALLOW_COUNT);
    }
    char orbits [PATH_MAX_BYTES];
    snprintf (orbits, sizeof orbits, "%s/orbits", out);
    if (s_mkdir (orbits))
        return 1;
    for (size_t c = 0; c < DEEP_COUNT; c++) {
        s_ready_t ready;
        if (s_ready (&s_deep [c], &ready) || s_orbit_file (&s_deep [c], &ready, orbits)) {
            s_unready (&ready);
            return 1;
        }
        for (size_t k = 0; k < count; k++) {
            const mf_perturb_kernel_t *perturb = mf_perturb_find (kernels [k]->name);
            if (!perturb) {
                if (c == 0)
                    printf ("SKIPPED: %s: no perturbation variant of that name: "
                            "no deep case through it\n", kernels [k]->name);
                continue;
            }
            snprintf (dir, sizeof dir, "%s/%s", out, kernels [k]->name);
            if (s_deep_case (perturb, &s_deep [c], &ready, dir)) {
                s_unready (&ready);
                return 1;
            }
        }
        printf ("cross_mu: deep case %s, %ux%u, maxiter %u: orbit of %llu points\n",
                s_deep [c].name, s_deep [c].w, s_deep [c].h, s_deep [c].maxiter,
                (unsigned long long) mf_orbit_count (ready.orbit));
        s_unready (&ready);
    }
    return 0;
}
