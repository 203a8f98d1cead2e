/*  mf_perturb_simd: the production perturbation kernels, written once
    over a small vector layer and instantiated by mf_perturb_scalar.c (1
    lane), mf_perturb_avx2.c (4) and mf_perturb_avx512.c (8); a NEON file
    would define the same layer. Private to those files: include it once,
    after defining the layer.

    The layer the including file defines, all `static inline`, every
    operation IEEE's (correctly rounded) or exact:

        SIMD_W, SIMD_V      lanes per vector, vectors in flight
        vd, vm              SIMD_W doubles; a lane mask
        vset1 vload vstore  broadcast, aligned load and store
        vadd vsub vmul vfma separately rounded; fma rounded once
        vfnma (a, b, c)     fma (-a, b, c), rounded once
        vabs vmax           |a|; the larger (no NaN ever reaches it)
        vsel (m, a, b)      m? a: b
        vesc (mag)          !(mag <= MF_BAILOUT_SQ)
        vlt vge veq         ordered comparisons
        vand vor vandnot    mask logic; vandnot (a, b) = a & ~b
        vbits (m)           lane l set -> bit l
        vmask (bits)        the mask with lane l set where bit l is
        vpow2 (k)           2^k for integral k in [-1022, 1023], from its bits
        vilogb (x)          floor (log2 x) for x normal positive, as a double
        vgather (p, i)      p [i] per lane, i integral doubles
        vgather4 (p, i, &a, &b, &c, &d)
                            p [i] .. p [i + 3] per lane (p 32-byte aligned,
                            i a multiple of 4)

    Every pixel gives exactly the bits of mf_perturb_reference. The lanes
    run the reference's operations, in its order, each on its own pixel;
    what differs is only how the work is arranged:

    Lanes. Each lane holds one pixel (its z, dc, m, n and the current
    Z_m); a finished lane takes the next pixel of the tile. SIMD_V
    vectors advance together, one step each per round, so that one
    vector's latency hides behind the others' work.

    BLA. A lane can take a BLA step only if level 1 is valid at its m
    (levels' radii never grow with the level at one start, and the other
    conditions are monotone too): each step ends by testing level 1 for
    the next one, in vectors, with the radius loaded beside Z_m
    (mf_bla_points), and starts loading the run of entries of the lanes
    that pass (mf_bla.h); in the next round those lanes search their
    largest level in that run, in scalar code, just before their
    vector's step, and load their A and B. Others take the plain step,
    A = 2 Z_m + z, in vectors.

    Fast path. Most steps neither rebase nor end a pixel: a vector where
    no lane does stores its results as they are, without blends.

    Rare events in scalar code, per lane: escapes and iteration limits
    (mu, then a new pixel), and in floatexp a normalisation whose larger
    part is subnormal (mf_fexpc_norm does it).

    Empty lanes (the end of a tile) iterate z = 0, c = 0 harmlessly and
    are never recorded.
*/
#ifndef MF_PERTURB_SIMD_H
#define MF_PERTURB_SIMD_H

#include "mf_mu.h"
#include "mf_perturb.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    //  Lane state, one row of SIMD_W per vector.
    _Alignas (64) double x [SIMD_V][SIMD_W];       //  z (floatexp: mantissas)
    _Alignas (64) double y [SIMD_V][SIMD_W];
    _Alignas (64) double ez [SIMD_V][SIMD_W];      //  z's exponent (floatexp)
    _Alignas (64) double cx [SIMD_V][SIMD_W];      //  dc
    _Alignas (64) double cy [SIMD_V][SIMD_W];
    _Alignas (64) double ec [SIMD_V][SIMD_W];      //  dc's exponent (floatexp)
    _Alignas (64) double zr [SIMD_V][SIMD_W];      //  Z_m
    _Alignas (64) double zi [SIMD_V][SIMD_W];
    _Alignas (64) double ezr [SIMD_V][SIMD_W];     //  Z_m's exponent (floatexp)
    _Alignas (64) double r1 [SIMD_V][SIMD_W];      //  level 1's radius at m (0: none)
    _Alignas (64) double er1 [SIMD_V][SIMD_W];     //  its exponent (floatexp)
    _Alignas (64) double m [SIMD_V][SIMD_W];       //  index into the orbit
    _Alignas (64) double n [SIMD_V][SIMD_W];       //  iterations done
    _Alignas (64) double reb [SIMD_V][SIMD_W];     //  rebases of the lane's pixel
    //  A lane's BLA step, written by the scalar search.
    _Alignas (64) double bar [SIMD_V][SIMD_W];
    _Alignas (64) double bai [SIMD_V][SIMD_W];
    _Alignas (64) double bea [SIMD_V][SIMD_W];
    _Alignas (64) double bbr [SIMD_V][SIMD_W];
    _Alignas (64) double bbi [SIMD_V][SIMD_W];
    _Alignas (64) double beb [SIMD_V][SIMD_W];
    _Alignas (64) double bstep [SIMD_V][SIMD_W];
    //  The full value f at the last step, for mu.
    _Alignas (64) double fx [SIMD_V][SIMD_W];
    _Alignas (64) double fy [SIMD_V][SIMD_W];
    unsigned bla [SIMD_V];                         //  bit l: lane l takes a BLA step
    unsigned done [SIMD_V];                        //  bit l: lane l finished
    unsigned escaped [SIMD_V];                     //  bit l: ... by escaping
    unsigned occupied [SIMD_V];                    //  bit l: lane l holds a pixel
    uint32_t pixel [SIMD_V][SIMD_W];               //  tile index of the lane's pixel
    uint64_t started [SIMD_V][SIMD_W];             //  round the lane's pixel started in
    unsigned lanes_busy;                           //  lanes holding a pixel, in all
    uint64_t round;                                //  rounds so far

    const mf_perturb_task_t *task;
    double *mu;                                    //  the tile's output
    const double *points;                          //  mf_bla_points
    double last;                                   //  the orbit's last index
    double maxiter;
    int top;                                       //  BLA levels 1 .. top
    const double *runs;                            //  mf_bla_runs
    bool fexp;                                     //  floatexp view
    uint32_t next_pixel;                           //  next pixel of the tile to start
    uint32_t pixels;                               //  pixels in the tile
    mf_perturb_stats_t stats;
} s_state_t;

//  ---- lanes ------------------------------------------------------------------

//  Gives lane (v, lane) the next pixel, or empties it. It starts at
//  m = 0: Z_0 = 0 and no level-1 skip.
static void
s_refill (s_state_t *st, int v, int lane)
{
    st->x [v][lane] = st->y [v][lane] = 0.0;
    st->ez [v][lane] = (double) MF_FEXP_ZERO_E;
    st->zr [v][lane] = st->zi [v][lane] = 0.0;
    st->ezr [v][lane] = st->fexp? (double) MF_FEXP_ZERO_E: 0.0;
    st->r1 [v][lane] = 0.0;
    st->er1 [v][lane] = (double) MF_FEXP_ZERO_E;
    st->m [v][lane] = 0.0;
    st->n [v][lane] = 0.0;
    st->reb [v][lane] = 0.0;
    st->started [v][lane] = st->round;
    st->bla [v] &= ~(1u << lane);
    if (st->next_pixel < st->pixels) {
        uint32_t pixel = st->next_pixel++;
        const mf_rect_t *r = &st->task->rect;
        mf_fexpc_t dc = mf_deep_map_dc (st->task->map, r->x + pixel % r->w, r->y + pixel / r->w);
        if (st->fexp) {
            st->cx [v][lane] = dc.re;
            st->cy [v][lane] = dc.im;
            st->ec [v][lane] = (double) dc.e;
        }
        else {
            st->cx [v][lane] = mf_fexpc_re_double (dc);
            st->cy [v][lane] = mf_fexpc_im_double (dc);
            st->ec [v][lane] = 0.0;
        }
        st->pixel [v][lane] = pixel;
        if (!(st->occupied [v] >> lane & 1))
            st->lanes_busy++;
        st->occupied [v] |= 1u << lane;
    }
    else {
        st->cx [v][lane] = st->cy [v][lane] = 0.0;
        st->ec [v][lane] = (double) MF_FEXP_ZERO_E;
        st->n [v][lane] = -1e300;       //  never reaches maxiter, so never done
        if (st->occupied [v] >> lane & 1)
            st->lanes_busy--;
        st->occupied [v] &= ~(1u << lane);
    }
}

//  Records the finished lanes of done[] and gives them new pixels.
static void
s_finish (s_state_t *st)
{
    for (int v = 0; v < SIMD_V; v++) {
        unsigned done = st->done [v];
        while (done) {
            int lane = __builtin_ctz (done);
            done &= done - 1;
            double n = st->n [v][lane];
            st->mu [st->pixel [v][lane]] = (st->escaped [v] >> lane & 1)?
                mf_mu_double ((uint32_t) n, st->fx [v][lane], st->fy [v][lane]): -1.0;
            st->stats.iterations += (uint64_t) n;
            st->stats.steps += st->round - st->started [v][lane];
            st->stats.rebases += (uint64_t) st->reb [v][lane];
            s_refill (st, v, lane);
        }
        st->done [v] = 0;
    }
}

//  The largest valid level of a lane that passed level 1, in scalar
//  code. The entries of its start sit in one run (mf_bla_runs), level 1
//  first; the valid ones are a prefix of it (radii never grow with the
//  level; entries past the orbit have R = 0), capped by the room left,
//  so their number is the level, counted without a branch per entry.
//  Writes its A, B and step.
static void
s_search (s_state_t *st, int v, int lane)
{
    uint64_t m = (uint64_t) st->m [v][lane];
    uint64_t i = (m - 1) / 2;
    uint64_t room = (uint64_t) (st->maxiter - st->n [v][lane]);
    if (room < 2) {
        st->bla [v] &= ~(1u << lane);               //  no room for a skip: a plain step
        return;
    }
    int count = mf_bla_run_count (st->top, i);
    int fit = 63 - __builtin_clzll (room);         //  2^fit <= room
    if (count > fit)
        count = fit;
    int level = 1;
    if (st->fexp) {
        const double *run = st->runs + mf_bla_run_offset (st->top, i) * MF_BLA_ENTRY_FEXP;
        mf_fexpc_t z = { st->x [v][lane], st->y [v][lane], (int64_t) st->ez [v][lane] };
        mf_fexp_t norm = mf_fexpc_norm1 (z);
        for (int k = 1; k < count; k++) {
            const double *r = run + k * MF_BLA_ENTRY_FEXP;
            level += mf_fexp_cmp (norm, (mf_fexp_t) { r [0], (int64_t) r [1] }) < 0;
        }
        const double *e = run + (level - 1) * MF_BLA_ENTRY_FEXP;
        st->bar [v][lane] = e [2];
        st->bai [v][lane] = e [3];
        st->bea [v][lane] = e [4];
        st->bbr [v][lane] = e [5];
        st->bbi [v][lane] = e [6];
        st->beb [v][lane] = e [7];
    }
    else {
        const double *run = st->runs + mf_bla_run_offset (st->top, i) * MF_BLA_ENTRY_DOUBLE;
        double norm = fabs (st->x [v][lane]) + fabs (st->y [v][lane]);
        for (int k = 1; k < count; k++)
            level += norm < run [k * MF_BLA_ENTRY_DOUBLE];
        const double *e = run + (level - 1) * MF_BLA_ENTRY_DOUBLE;
        st->bar [v][lane] = e [1];
        st->bai [v][lane] = e [2];
        st->bbr [v][lane] = e [3];
        st->bbi [v][lane] = e [4];
    }
    st->bstep [v][lane] = (double) (UINT64_C (1) << level);
    //  The point the skip lands on is read this round, far from the last;
    //  and a skip often follows a skip: the run there may be next.
    uint64_t landing = m + (UINT64_C (1) << level);
    __builtin_prefetch (st->points + landing * (st->fexp? MF_BLA_POINT_FEXP: MF_BLA_POINT_DOUBLE));
    __builtin_prefetch (st->runs + mf_bla_run_offset (st->top, (landing - 1) / 2)
                        * (st->fexp? MF_BLA_ENTRY_FEXP: MF_BLA_ENTRY_DOUBLE));
}

//  The searches of vector v's lanes that take a BLA step this round.
static inline void
s_search_lanes (s_state_t *st, int v)
{
    unsigned bits = st->bla [v];
    if (!bits)
        return;
    while (bits) {
        int lane = __builtin_ctz (bits);
        bits &= bits - 1;
        s_search (st, v, lane);
    }
    st->stats.bla_steps += (uint64_t) __builtin_popcount (st->bla [v]);
}

//  Starts loading the runs the lanes of bits of vector v search next
//  round (their m is odd: a level-1 skip starts there).
static inline void
s_prefetch_runs (const s_state_t *st, int v, unsigned bits)
{
    size_t entry = st->fexp? MF_BLA_ENTRY_FEXP: MF_BLA_ENTRY_DOUBLE;
    while (bits) {
        int lane = __builtin_ctz (bits);
        bits &= bits - 1;
        uint64_t i = ((uint64_t) st->m [v][lane] - 1) / 2;
        const char *run = (const char *) (st->runs + mf_bla_run_offset (st->top, i) * entry);
        size_t bytes = (size_t) mf_bla_run_count (st->top, i) * entry * sizeof (double);
        for (size_t offset = 0; offset < bytes; offset += 64)
            __builtin_prefetch (run + offset);
    }
}

//  ---- doubles ----------------------------------------------------------------

//  Level 1 for lanes at z = (x, y), with the radius r1 at their m: |z|_1
//  below r1 (0 where no level-1 skip starts). Returns the lanes that
//  pass, among the occupied ones (s_search checks their room).
static inline unsigned
s_level1_d (const s_state_t *st, int v, vd x, vd y, vd r1)
{
    vd norm = vadd (vabs (x), vabs (y));
    return vbits (vlt (norm, r1)) & st->occupied [v];
}

//  One step of every lane of vector v (the reference's steps 2 to 5),
//  then level 1 for the next round. Most steps neither rebase nor end a
//  pixel: they store their results as they are.
static inline void
s_step_d (s_state_t *st, int v, const vm reb_allowed)
{
    vd x = vload (st->x [v]), y = vload (st->y [v]);
    vd cx = vload (st->cx [v]), cy = vload (st->cy [v]);
    vd m = vload (st->m [v]), n = vload (st->n [v]);
    vd two = vset1 (2.0);
    vd ar = vfma (two, vload (st->zr [v]), x);
    vd ai = vfma (two, vload (st->zi [v]), y);
    vd bx = cx, by = cy, step = vset1 (1.0);
    if (st->bla [v]) {
        vm b = vmask (st->bla [v]);
        ar = vsel (b, vload (st->bar [v]), ar);
        ai = vsel (b, vload (st->bai [v]), ai);
        vd br = vload (st->bbr [v]), bi = vload (st->bbi [v]);
        bx = vsel (b, vfma (br, cx, vsub (vset1 (0.0), vmul (bi, cy))), cx);
        by = vsel (b, vfma (br, cy, vmul (bi, cx)), cy);
        step = vsel (b, vload (st->bstep [v]), step);
    }
    vd nx = vfma (ar, x, vfnma (ai, y, bx));
    vd ny = vfma (ar, y, vfma (ai, x, by));
    m = vadd (m, step);
    n = vadd (n, step);
    vd zr, zi, r1, pad;
    vgather4 (st->points, vmul (m, vset1 ((double) MF_BLA_POINT_DOUBLE)), &zr, &zi, &r1, &pad);
    (void) pad;
    vd fx = vadd (zr, nx), fy = vadd (zi, ny);
    vd mag = vfma (fx, fx, vmul (fy, fy));
    vm esc = vesc (mag);
    vm reb = vor (vand (reb_allowed, vlt (mag, vfma (nx, nx, vmul (ny, ny)))),
                  veq (m, vset1 (st->last)));
    vm done = vor (esc, vge (n, vset1 (st->maxiter)));
    vstore (st->n [v], n);
    if (!vbits (vor (reb, done))) {
        vstore (st->x [v], nx);
        vstore (st->y [v], ny);
        vstore (st->m [v], m);
        vstore (st->zr [v], zr);
        vstore (st->zi [v], zi);
        vstore (st->r1 [v], r1);
        st->bla [v] = s_level1_d (st, v, nx, ny, r1);
        if (st->bla [v])
            s_prefetch_runs (st, v, st->bla [v]);
        return;
    }
    unsigned done_bits = vbits (done) & st->occupied [v];
    if (done_bits) {
        vstore (st->fx [v], fx);
        vstore (st->fy [v], fy);
        st->done [v] = done_bits;
        st->escaped [v] = vbits (esc) & done_bits;
    }
    vd zero = vset1 (0.0);
    vstore (st->reb [v], vadd (vload (st->reb [v]), vsel (vandnot (reb, esc), vset1 (1.0), zero)));
    x = vsel (reb, fx, nx);
    y = vsel (reb, fy, ny);
    r1 = vsel (reb, zero, r1);
    vstore (st->x [v], x);
    vstore (st->y [v], y);
    vstore (st->m [v], vsel (reb, zero, m));
    vstore (st->zr [v], vsel (reb, zero, zr));
    vstore (st->zi [v], vsel (reb, zero, zi));
    vstore (st->r1 [v], r1);
    st->bla [v] = s_level1_d (st, v, x, y, r1) & ~done_bits;
    if (st->bla [v])
        s_prefetch_runs (st, v, st->bla [v]);
}

//  ---- floatexp ---------------------------------------------------------------

//  The normalised (re, im) * 2^e of mf_fexpc_norm, in vectors: k from the
//  larger part's exponent field, both parts times 2^-k (one rounding for
//  the smaller), zero as +0, +0, MF_FEXP_ZERO_E. A lane whose larger part
//  is subnormal is redone by mf_fexpc_norm itself; parts never reach 2^1023.
static inline void
s_norm (vd *re, vd *im, vd *e)
{
    vd big = vmax (vabs (*re), vabs (*im));
    vm zero = veq (big, vset1 (0.0));
    vm tiny = vlt (big, vset1 (0x1p-1022));
    unsigned odd = vbits (vandnot (tiny, zero));
    vd k = vilogb (vsel (tiny, vset1 (1.0), big));
    vd scale = vpow2 (vsub (vset1 (0.0), k));
    vd nre = vmul (*re, scale), nim = vmul (*im, scale), ne = vadd (*e, k);
    if (odd) {
        _Alignas (64) double r [SIMD_W], i [SIMD_W], x [SIMD_W];
        _Alignas (64) double sr [SIMD_W], si [SIMD_W], se [SIMD_W];
        vstore (r, nre);
        vstore (i, nim);
        vstore (x, ne);
        vstore (sr, *re);
        vstore (si, *im);
        vstore (se, *e);
        for (int lane = 0; lane < SIMD_W; lane++)
            if (odd >> lane & 1) {
                mf_fexpc_t z = mf_fexpc_norm (sr [lane], si [lane], (int64_t) se [lane]);
                r [lane] = z.re;
                i [lane] = z.im;
                x [lane] = (double) z.e;
            }
        nre = vload (r);
        nim = vload (i);
        ne = vload (x);
    }
    *re = vsel (zero, vset1 (0.0), nre);
    *im = vsel (zero, vset1 (0.0), nim);
    *e = vsel (zero, vset1 ((double) MF_FEXP_ZERO_E), ne);
}

//  2^diff for diff <= 0, or 0 below 2^-1022 (mf_fexp_align).
static inline vd
s_align (vd diff)
{
    vm drop = vlt (diff, vset1 ((double) MF_FEXP_DROP));
    return vsel (drop, vset1 (0.0), vpow2 (vmax (diff, vset1 ((double) MF_FEXP_DROP))));
}

//  (ar, ai, ea) + (br, bi, eb) as mf_fexpc_add_raw: the first is the
//  larger unless its exponent is lower; not normalised.
static inline void
s_add_raw (vd ar, vd ai, vd ea, vd br, vd bi, vd eb, vd *re, vd *im, vd *e)
{
    vm first = vge (ea, eb);
    vd hr = vsel (first, ar, br), hi = vsel (first, ai, bi), he = vsel (first, ea, eb);
    vd lr = vsel (first, br, ar), li = vsel (first, bi, ai), le = vsel (first, eb, ea);
    vd scale = s_align (vsub (le, he));
    *re = vadd (hr, vmul (lr, scale));
    *im = vadd (hi, vmul (li, scale));
    *e = he;
}

//  Clamps integral a to [lo, hi].
static inline vd
s_clamp (vd a, double lo, double hi)
{
    vd low = vset1 (lo);
    vd c = vsel (vlt (a, low), low, a);
    vd high = vset1 (hi);
    return vsel (vlt (high, c), high, c);
}

//  Level 1 in floatexp: |z|_1 2^clamp(ez - er, -8, 8) < rm, exact for
//  normalised z and R (mf_fexp_cmp's answer).
static inline unsigned
s_level1_f (const s_state_t *st, int v, vd x, vd y, vd ez, vd r1, vd er1)
{
    vd norm = vadd (vabs (x), vabs (y));
    vd shift = s_clamp (vsub (ez, er1), -8.0, 8.0);
    return vbits (vlt (vmul (norm, vpow2 (shift)), r1)) & st->occupied [v];
}

//  One step of every lane of vector v, in floatexp.
static inline void
s_step_f (s_state_t *st, int v, const vm reb_allowed)
{
    vd x = vload (st->x [v]), y = vload (st->y [v]), ez = vload (st->ez [v]);
    vd cx = vload (st->cx [v]), cy = vload (st->cy [v]), ec = vload (st->ec [v]);
    vd m = vload (st->m [v]), n = vload (st->n [v]);
    vd ar, ai, ea;
    s_add_raw (vload (st->zr [v]), vload (st->zi [v]), vadd (vload (st->ezr [v]), vset1 (1.0)),
               x, y, ez, &ar, &ai, &ea);
    vd br = vset1 (1.0), bi = vset1 (0.0), eb = vset1 (0.0), step = vset1 (1.0);
    if (st->bla [v]) {
        vm b = vmask (st->bla [v]);
        ar = vsel (b, vload (st->bar [v]), ar);
        ai = vsel (b, vload (st->bai [v]), ai);
        ea = vsel (b, vload (st->bea [v]), ea);
        br = vsel (b, vload (st->bbr [v]), br);
        bi = vsel (b, vload (st->bbi [v]), bi);
        eb = vsel (b, vload (st->beb [v]), eb);
        step = vsel (b, vload (st->bstep [v]), step);
    }
    //  mf_fexpc_muladd (a, z, b, dc).
    vd pr = vfma (ar, x, vsub (vset1 (0.0), vmul (ai, y)));
    vd pi = vfma (ar, y, vmul (ai, x));
    vd qr = vfma (br, cx, vsub (vset1 (0.0), vmul (bi, cy)));
    vd qi = vfma (br, cy, vmul (bi, cx));
    vd ep = vadd (ea, ez), eq = vadd (eb, ec);
    vm first = vge (ep, eq);
    vd hr = vsel (first, pr, qr), hi = vsel (first, pi, qi), he = vsel (first, ep, eq);
    vd lr = vsel (first, qr, pr), li = vsel (first, qi, pi), le = vsel (first, eq, ep);
    vd scale = s_align (vsub (le, he));
    vd nx = vadd (hr, vmul (lr, scale)), ny = vadd (hi, vmul (li, scale)), nz = he;
    s_norm (&nx, &ny, &nz);
    m = vadd (m, step);
    n = vadd (n, step);
    vd index = vmul (m, vset1 ((double) MF_BLA_POINT_FEXP));
    vd zr, zi, ezr, r1, er1;
    vgather4 (st->points, index, &zr, &zi, &ezr, &r1);
    er1 = vgather (st->points + 4, index);
    vd fr, fi, fe;
    s_add_raw (zr, zi, ezr, nx, ny, nz, &fr, &fi, &fe);
    vd p = vpow2 (s_clamp (fe, -1000.0, 1000.0));
    vd fx = vmul (fr, p), fy = vmul (fi, p);
    vm esc = vesc (vfma (fx, fx, vmul (fy, fy)));
    //  |f|^2 < |z|^2: F < G 2^(2 (ez - ef)), the shift clamped to
    //  [-1000, 1000]: exact, since G is in [1, 8) (z is normalised) and F,
    //  raw, is 0 or in [2^-106, 32) (a sum of two values, one with a part
    //  in [1, 2), cancels to 0 or to at least 2^-53 of it).
    vd big_f = vfma (fr, fr, vmul (fi, fi));
    vd big_g = vfma (nx, nx, vmul (ny, ny));
    vd shift = s_clamp (vmul (vset1 (2.0), vsub (nz, fe)), -1000.0, 1000.0);
    vm reb = vor (vand (reb_allowed, vlt (big_f, vmul (big_g, vpow2 (shift)))),
                  veq (m, vset1 (st->last)));
    vm done = vor (esc, vge (n, vset1 (st->maxiter)));
    vstore (st->n [v], n);
    if (!vbits (vor (reb, done))) {
        vstore (st->x [v], nx);
        vstore (st->y [v], ny);
        vstore (st->ez [v], nz);
        vstore (st->m [v], m);
        vstore (st->zr [v], zr);
        vstore (st->zi [v], zi);
        vstore (st->ezr [v], ezr);
        vstore (st->r1 [v], r1);
        vstore (st->er1 [v], er1);
        st->bla [v] = s_level1_f (st, v, nx, ny, nz, r1, er1);
        if (st->bla [v])
            s_prefetch_runs (st, v, st->bla [v]);
        return;
    }
    unsigned done_bits = vbits (done) & st->occupied [v];
    if (done_bits) {
        vstore (st->fx [v], fx);
        vstore (st->fy [v], fy);
        st->done [v] = done_bits;
        st->escaped [v] = vbits (esc) & done_bits;
    }
    vd zero = vset1 (0.0), zero_e = vset1 ((double) MF_FEXP_ZERO_E);
    vstore (st->reb [v], vadd (vload (st->reb [v]), vsel (vandnot (reb, esc), vset1 (1.0), zero)));
    s_norm (&fr, &fi, &fe);             //  f becomes z where rebased
    vd x1 = vsel (reb, fr, nx), y1 = vsel (reb, fi, ny), ez1 = vsel (reb, fe, nz);
    r1 = vsel (reb, zero, r1);
    er1 = vsel (reb, zero_e, er1);
    vstore (st->x [v], x1);
    vstore (st->y [v], y1);
    vstore (st->ez [v], ez1);
    vstore (st->m [v], vsel (reb, zero, m));
    vstore (st->zr [v], vsel (reb, zero, zr));
    vstore (st->zi [v], vsel (reb, zero, zi));
    vstore (st->ezr [v], vsel (reb, zero_e, ezr));
    vstore (st->r1 [v], r1);
    vstore (st->er1 [v], er1);
    st->bla [v] = s_level1_f (st, v, x1, y1, ez1, r1, er1) & ~done_bits;
    if (st->bla [v])
        s_prefetch_runs (st, v, st->bla [v]);
}

//  ---- the kernel ---------------------------------------------------------------

static int
s_kernel (const mf_perturb_task_t *task, double *mu, mf_perturb_stats_t *stats)
{
    //  Not zeroed whole: every lane array is written by s_refill before
    //  it is read, the BLA step arrays by s_search before theirs.
    s_state_t state;
    s_state_t *st = &state;
    memset (st->occupied, 0, sizeof st->occupied);
    memset (st->done, 0, sizeof st->done);
    memset (st->bla, 0, sizeof st->bla);
    memset (&st->stats, 0, sizeof st->stats);
    st->lanes_busy = 0;
    st->round = 0;
    st->task = task;
    st->mu = mu;
    st->points = mf_bla_points (task->bla);
    st->last = (double) (mf_bla_points_count (task->bla) - 1);
    st->maxiter = (double) task->maxiter;
    st->fexp = task->map->type == MF_DELTA_FEXP;
    st->top = mf_bla_top (task->bla);
    st->runs = mf_bla_runs (task->bla);
    st->next_pixel = 0;
    st->pixels = task->rect.w * task->rect.h;
    for (int v = 0; v < SIMD_V; v++)
        for (int lane = 0; lane < SIMD_W; lane++)
            s_refill (st, v, lane);
    const vm reb_allowed = task->no_rebase? vmask (0): vmask ((1u << SIMD_W) - 1);
    int status = 0;
    while (st->lanes_busy) {
        if (++st->round % MF_PERTURB_STOP_EVERY == 0 && task->stop && atomic_load (task->stop)) {
            status = -1;
            break;
        }
        //  Each vector: the lanes that passed level 1 at the end of its
        //  last step search their level (their runs were prefetched a
        //  round ago), then every lane steps.
        unsigned finished = 0;
        if (st->fexp) {
            for (int v = 0; v < SIMD_V; v++) {
                s_search_lanes (st, v);
                s_step_f (st, v, reb_allowed);
                finished |= st->done [v];
            }
        }
        else {
            for (int v = 0; v < SIMD_V; v++) {
                s_search_lanes (st, v);
                s_step_d (st, v, reb_allowed);
                finished |= st->done [v];
            }
        }
        if (finished)
            s_finish (st);
    }
    if (stats) {
        stats->iterations += st->stats.iterations;
        stats->steps += st->stats.steps;
        stats->bla_steps += st->stats.bla_steps;
        stats->rebases += st->stats.rebases;
    }
    return status;
}

#endif
