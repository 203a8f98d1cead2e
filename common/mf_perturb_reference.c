/*  mf_perturb_reference: the plain loop that defines every deep pixel's
    bits (mf_perturb.h), one pixel at a time, written with mf_fexp.h's
    functions so that it reads like the definition. Every variant must
    match it bit for bit (tests/test_deep_kernel.c). Slow on purpose.
*/
#include "mf_perturb.h"
#include "mf_mu.h"

#include <math.h>

//  What every pixel of a task shares.
typedef struct {
    const mf_perturb_task_t *task;
    const double *points;               //  mf_bla_points
    uint64_t last;                      //  index of the orbit's last point
    int top;                            //  BLA levels 1 .. top (0: none)
    mf_perturb_stats_t stats;           //  counted here, added at the end
} s_ctx_t;

//  The level of step 1 for a pixel at m, n whose |z|_1 passes valid (a
//  function of level and j).
typedef bool (*s_valid_fn) (const s_ctx_t *ctx, int level, uint64_t j, const void *z);

static int
s_level (const s_ctx_t *ctx, uint64_t m, uint32_t n, s_valid_fn valid, const void *z)
{
    if (m == 0 || ctx->top == 0)
        return 0;
    int level = m == 1? ctx->top: __builtin_ctzll (m - 1);
    if (level > ctx->top)
        level = ctx->top;
    uint32_t room = ctx->task->maxiter - n;
    for (; level >= 1; level--) {
        uint64_t j = (m - 1) >> level;
        if ((UINT64_C (1) << level) <= room && j < mf_bla_count (ctx->task->bla, level)
        &&  valid (ctx, level, j, z))
            return level;
    }
    return 0;
}

//  ---- doubles ------------------------------------------------------------

static bool
s_valid_d (const s_ctx_t *ctx, int level, uint64_t j, const void *zp)
{
    const double *z = zp;
    return fabs (z [0]) + fabs (z [1]) < mf_bla_entry (ctx->task->bla, level, j) [0];
}

static double
s_pixel_d (s_ctx_t *ctx, mf_fexpc_t dc, uint32_t *iterations)
{
    const mf_perturb_task_t *task = ctx->task;
    double cx = mf_fexpc_re_double (dc), cy = mf_fexpc_im_double (dc);
    double z [2] = { 0.0, 0.0 };
    uint64_t m = 0;
    uint32_t n = 0;
    while (n < task->maxiter) {
        int level = s_level (ctx, m, n, s_valid_d, z);
        double ar, ai, br = 1.0, bi = 0.0;
        if (level > 0) {
            const double *e = mf_bla_entry (task->bla, level, (m - 1) >> level);
            ar = e [1];
            ai = e [2];
            br = e [3];
            bi = e [4];
            ctx->stats.bla_steps++;
        }
        else {
            ar = 2.0 * ctx->points [MF_BLA_POINT_DOUBLE * m] + z [0];
            ai = 2.0 * ctx->points [MF_BLA_POINT_DOUBLE * m + 1] + z [1];
        }
        double bx = level > 0? fma (br, cx, -(bi * cy)): cx;
        double by = level > 0? fma (br, cy, bi * cx): cy;
        double x = fma (ar, z [0], fma (-ai, z [1], bx));
        double y = fma (ar, z [1], fma (ai, z [0], by));
        z [0] = x;
        z [1] = y;
        m += UINT64_C (1) << level;
        n += UINT32_C (1) << level;
        ctx->stats.steps++;
        double fx = ctx->points [MF_BLA_POINT_DOUBLE * m] + x;
        double fy = ctx->points [MF_BLA_POINT_DOUBLE * m + 1] + y;
        double mag = fma (fx, fx, fy * fy);
        if (!(mag <= MF_BAILOUT_SQ)) {
            *iterations = n;
            return mf_mu_double (n, fx, fy);
        }
        if ((!task->no_rebase && mag < fma (x, x, y * y)) || m == ctx->last) {
            z [0] = fx;
            z [1] = fy;
            m = 0;
            ctx->stats.rebases++;
        }
    }
    *iterations = task->maxiter;
    return -1.0;
}

//  ---- floatexp -----------------------------------------------------------

static bool
s_valid_f (const s_ctx_t *ctx, int level, uint64_t j, const void *zp)
{
    const double *r = mf_bla_entry (ctx->task->bla, level, j);
    mf_fexp_t radius = { r [0], (int64_t) r [1] };
    return mf_fexp_cmp (mf_fexpc_norm1 (*(const mf_fexpc_t *) zp), radius) < 0;
}

static mf_fexpc_t
s_point_f (const s_ctx_t *ctx, uint64_t m)
{
    const double *p = ctx->points + MF_BLA_POINT_FEXP * m;
    return (mf_fexpc_t) { p [0], p [1], (int64_t) p [2] };
}

//  A floatexp as doubles for the escape test: mantissas times 2^e, e
//  clamped to [-1000, 1000] (exact for every value near the bailout).
static double
s_fast_double (double m, int64_t e)
{
    if (e < -1000)
        e = -1000;
    if (e > 1000)
        e = 1000;
    return m * mf_fexp_pow2 (e);
}

static double
s_pixel_f (s_ctx_t *ctx, mf_fexpc_t dc, uint32_t *iterations)
{
    const mf_perturb_task_t *task = ctx->task;
    const mf_fexpc_t one = { 1.0, 0.0, 0 };
    mf_fexpc_t z = mf_fexpc_zero ();
    uint64_t m = 0;
    uint32_t n = 0;
    while (n < task->maxiter) {
        int level = s_level (ctx, m, n, s_valid_f, &z);
        mf_fexpc_t a, b = one;
        if (level > 0) {
            const double *e = mf_bla_entry (task->bla, level, (m - 1) >> level);
            a = (mf_fexpc_t) { e [2], e [3], (int64_t) e [4] };
            b = (mf_fexpc_t) { e [5], e [6], (int64_t) e [7] };
            ctx->stats.bla_steps++;
        }
        else {
            mf_fexpc_t zm = s_point_f (ctx, m);
            a = mf_fexpc_add_raw ((mf_fexpc_t) { zm.re, zm.im, zm.e + 1 }, z);
        }
        z = mf_fexpc_muladd (a, z, b, dc);
        m += UINT64_C (1) << level;
        n += UINT32_C (1) << level;
        ctx->stats.steps++;
        mf_fexpc_t f = mf_fexpc_add_raw (s_point_f (ctx, m), z);
        double fx = s_fast_double (f.re, f.e), fy = s_fast_double (f.im, f.e);
        if (!(fma (fx, fx, fy * fy) <= MF_BAILOUT_SQ)) {
            *iterations = n;
            return mf_mu_double (n, fx, fy);
        }
        if ((!task->no_rebase && mf_fexp_cmp (mf_fexpc_norm2 (f), mf_fexpc_norm2 (z)) < 0)
        ||  m == ctx->last) {
            z = mf_fexpc_norm (f.re, f.im, f.e);
            m = 0;
            ctx->stats.rebases++;
        }
    }
    *iterations = task->maxiter;
    return -1.0;
}

int
mf_perturb_reference (const mf_perturb_task_t *task, double *mu, mf_perturb_stats_t *stats)
{
    s_ctx_t ctx = { task, mf_bla_points (task->bla), mf_bla_points_count (task->bla) - 1,
                    mf_bla_top (task->bla), { 0 } };
    bool fexp = task->map->type == MF_DELTA_FEXP;
    const mf_rect_t *r = &task->rect;
    int status = 0;
    for (uint32_t row = 0; row < r->h && status == 0; row++)
        for (uint32_t col = 0; col < r->w; col++) {
            if (task->stop && atomic_load (task->stop)) {
                status = -1;
                break;
            }
            mf_fexpc_t dc = mf_deep_map_dc (task->map, r->x + col, r->y + row);
            uint32_t n;
            mu [(size_t) row * r->w + col] = fexp? s_pixel_f (&ctx, dc, &n): s_pixel_d (&ctx, dc, &n);
            ctx.stats.iterations += n;
        }
    if (stats) {
        stats->iterations += ctx.stats.iterations;
        stats->steps += ctx.stats.steps;
        stats->bla_steps += ctx.stats.bla_steps;
        stats->rebases += ctx.stats.rebases;
    }
    return status;
}
