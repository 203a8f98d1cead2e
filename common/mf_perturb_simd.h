/*  mf_perturb_simd: the production perturbation kernels, written once
    over a small vector layer and instantiated by mf_perturb_scalar.c (1
    lane), mf_perturb_neon.c (2, on aarch64), mf_perturb_avx2.c (4) and
    mf_perturb_avx512.c (8). Private to those files: include it once,
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
        vgather4u (p, i, &a, &b, &c, &d)
                            the same for any integral i >= 0
        SIMD_LANE_POINTERS  1 when the layer has vload4p: then the plain
                            rounds keep a pointer per lane into the orbit
                            instead of gathering by index
        vload4p (p, &a, &b, &c, &d)
                            p [l][0] .. p [l][3] for lane l, p [l] 32-byte
                            aligned; and with SIMD_LANE_POINTERS also
        vload4pu (p, &a, &b, &c, &d)
                            the same, unaligned
        vloadu (p)          p [0] .. p [SIMD_W - 1], unaligned
        vloadu2 (p, &a, &b) p [0], p [2], .. in a, p [1], p [3], .. in b,
                            unaligned
        vpow2_bytes (b)     2^(byte l of b) in lane l, for bytes 0 .. 255

    Every pixel gives exactly the bits of mf_perturb_reference. The lanes
    run the reference's operations, in its order, each on its own pixel;
    what differs is only how the work is arranged:

    Registers. Each lane holds one pixel. The state a step needs (z, m,
    Z_m) stays in registers from step to step, SIMD_V vectors advancing
    together, one step each per round, so that one vector's latency hides
    behind the others' work; what a step only reads (dc, the limits) comes
    from memory. n is not kept: n - m changes only at a rebase, so a lane
    keeps that offset and the m at which it must stop, min (the orbit's
    last index, maxiter - offset): one comparison per step tests both the
    iteration limit and the orbit's end.

    Plain rounds. While no lane is due a BLA step, every lane takes the
    plain step, and a round ends with one test: does any lane of any
    vector have an event or pass level 1 (below)? Where the layer allows
    (SIMD_LANE_POINTERS), each lane keeps a pointer to its point of the
    orbit, advanced by one point a step, instead of an index to extract.
    After the round where the test holds, that round's results are tested
    in detail (s_tail_*), from the registers.

    Events. Escape, rebase and the limit above; a lane where any holds is
    an event, rare (a few per pixel). Only then does the round leave the
    registers: the state is stored, each event is handled in scalar code
    exactly as the reference does (mu, or the rebase), and the state is
    loaded again. A vector takes new pixels (neighbours in a row of the
    tile) only when all its lanes are done: pixels started together
    follow nearly the same path through the orbit and its table, and
    share their cache lines and their BLA steps.

    BLA. A lane can take a BLA step only if level 1 is valid at its m
    (levels' radii never grow with the level at one start, and the other
    conditions are monotone too): each step ends by testing level 1 for
    the next one, in vectors, with the radius loaded beside Z_m
    (mf_bla_points). A round where a lane passed is a general round: each
    vector steps with its due lanes' A and B blended in. Their levels are
    counted from the radii of their start's run (mf_bla_radii, whose
    offset sits beside Z_m): the radii above |z|_1 from the run's
    beginning (they never grow, and a 0 ends each run), capped by the
    room left. With SIMD_LANE_POINTERS lane by lane, SIMD_W radii per
    compare and no branch per lane, the entries' A and B loaded as one row
    per lane and transposed (s_levels); otherwise in vectors, with
    gathers (s_level_d, s_level_f). Other lanes take the plain step,
    A = 2 Z_m + z.

    Rare cases in scalar code, per lane: in floatexp a normalisation whose
    larger part is subnormal (mf_fexpc_norm does it).

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

#define S_INLINE static inline __attribute__ ((always_inline))

typedef struct {
    //  Lane state, one row of SIMD_W per vector: the registers' copy
    //  while events are handled, and what steps only read.
    _Alignas (64) double x [SIMD_V][SIMD_W];       //  z (floatexp: mantissas)
    _Alignas (64) double y [SIMD_V][SIMD_W];
    _Alignas (64) double ez [SIMD_V][SIMD_W];      //  z's exponent (floatexp)
    _Alignas (64) double cx [SIMD_V][SIMD_W];      //  dc (floatexp: B c of a plain step)
    _Alignas (64) double cy [SIMD_V][SIMD_W];
    _Alignas (64) double ec [SIMD_V][SIMD_W];      //  their exponent (floatexp)
    _Alignas (64) double dcx [SIMD_V][SIMD_W];     //  dc itself (floatexp)
    _Alignas (64) double dcy [SIMD_V][SIMD_W];
    _Alignas (64) double zr [SIMD_V][SIMD_W];      //  Z_m
    _Alignas (64) double zi [SIMD_V][SIMD_W];
    _Alignas (64) double ezr [SIMD_V][SIMD_W];     //  Z_m's exponent (floatexp)
    _Alignas (64) double m [SIMD_V][SIMD_W];       //  index into the orbit
    _Alignas (64) double off [SIMD_V][SIMD_W];     //  n - m
    _Alignas (64) double lim [SIMD_V][SIMD_W];     //  the m where the lane must stop
    _Alignas (64) double reb [SIMD_V][SIMD_W];     //  rebases of the lane's pixel
    _Alignas (64) double ro [SIMD_V][SIMD_W];      //  run offset at m (where bla is set)
    //  The full value f of an event's step (floatexp: not normalised,
    //  fr, fi, fe), and as doubles for mu.
    _Alignas (64) double fx [SIMD_V][SIMD_W];
    _Alignas (64) double fy [SIMD_V][SIMD_W];
    _Alignas (64) double fr [SIMD_V][SIMD_W];
    _Alignas (64) double fi [SIMD_V][SIMD_W];
    _Alignas (64) double fe [SIMD_V][SIMD_W];
    unsigned bla [SIMD_V];                         //  bit l: lane l takes a BLA step
    unsigned event [SIMD_V];                       //  bit l: lane l has an event
    unsigned escaped [SIMD_V];                     //  ... it escaped
    unsigned rebased [SIMD_V];                     //  ... it rebases (if it did not escape)
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
    const double *radii;                           //  mf_bla_radii
    bool fexp;                                     //  floatexp view
    bool no_rebase;                                //  rebase only at the orbit's end
    uint32_t next_pixel;                           //  next pixel of the tile to start
    uint32_t pixels;                               //  pixels in the tile
    mf_perturb_stats_t stats;
} s_state_t;

//  ---- lanes ------------------------------------------------------------------

//  The m where a lane with offset off (n - m) must stop: the orbit's end
//  or maxiter.
static inline double
s_limit (const s_state_t *st, double off)
{
    double left = st->maxiter - off;
    return left < st->last? left: st->last;
}

//  Puts lane (v, lane) at m = 0 with z: Z_0 = 0 and no level-1 skip.
static void
s_restart (s_state_t *st, int v, int lane, double x, double y, double ez, double off)
{
    st->x [v][lane] = x;
    st->y [v][lane] = y;
    st->ez [v][lane] = ez;
    st->zr [v][lane] = st->zi [v][lane] = 0.0;
    st->ezr [v][lane] = st->fexp? (double) MF_FEXP_ZERO_E: 0.0;
    st->m [v][lane] = 0.0;
    st->off [v][lane] = off;
    st->lim [v][lane] = s_limit (st, off);
    st->bla [v] &= ~(1u << lane);
}

//  Gives lane (v, lane) the next pixel, or empties it (take false, or
//  none left).
static void
s_refill (s_state_t *st, int v, int lane, bool take)
{
    s_restart (st, v, lane, 0.0, 0.0, (double) MF_FEXP_ZERO_E, 0.0);
    st->reb [v][lane] = 0.0;
    st->started [v][lane] = st->round;
    if (take && st->next_pixel < st->pixels) {
        uint32_t pixel = st->next_pixel++;
        const mf_rect_t *r = &st->task->rect;
        mf_fexpc_t dc = mf_deep_map_dc (st->task->map, r->x + pixel % r->w, r->y + pixel / r->w);
        if (st->fexp) {
            //  B c of a plain step, B = 1: the reference's muladd computes
            //  it every step, always to the same value.
            st->dcx [v][lane] = dc.re;
            st->dcy [v][lane] = dc.im;
            st->cx [v][lane] = fma (1.0, dc.re, -(0.0 * dc.im));
            st->cy [v][lane] = fma (1.0, dc.im, 0.0 * dc.re);
            st->ec [v][lane] = (double) dc.e;
        }
        else {
            st->cx [v][lane] = mf_fexpc_re_double (dc);
            st->cy [v][lane] = mf_fexpc_im_double (dc);
        }
        st->pixel [v][lane] = pixel;
        if (!(st->occupied [v] >> lane & 1))
            st->lanes_busy++;
        st->occupied [v] |= 1u << lane;
    }
    else {
        //  Empty: z stays 0; it rebases at the orbit's end, unrecorded.
        st->cx [v][lane] = st->cy [v][lane] = 0.0;
        st->dcx [v][lane] = st->dcy [v][lane] = 0.0;
        st->ec [v][lane] = (double) MF_FEXP_ZERO_E;
        st->lim [v][lane] = st->last;
        if (st->occupied [v] >> lane & 1)
            st->lanes_busy--;
        st->occupied [v] &= ~(1u << lane);
    }
}

//  Level 1 in scalar code at the lane's current m (the reference's
//  test: |z|_1 < R, exactly); the search checks the room.
static bool
s_level1_lane (s_state_t *st, int v, int lane)
{
    uint64_t m = (uint64_t) st->m [v][lane];
    if (!(st->occupied [v] >> lane & 1) || !(m & 1))
        return false;
    if (st->fexp) {
        const double *p = st->points + m * MF_BLA_POINT_FEXP;
        st->ro [v][lane] = p [5];
        mf_fexpc_t z = { st->x [v][lane], st->y [v][lane], (int64_t) st->ez [v][lane] };
        mf_fexp_t radius = { p [3], (int64_t) p [4] };
        return mf_fexp_cmp (mf_fexpc_norm1 (z), radius) < 0;
    }
    st->ro [v][lane] = st->points [m * MF_BLA_POINT_DOUBLE + 3];
    return fabs (st->x [v][lane]) + fabs (st->y [v][lane])
           < st->points [m * MF_BLA_POINT_DOUBLE + 2];
}

//  Handles the events of the last round, lane by lane, as the reference
//  does after its step: an escape ends the pixel; else a rebase (z := f,
//  m := 0); then the iteration limit ends it. Finished lanes take new
//  pixels; the others test level 1 again.
static void
s_events (s_state_t *st)
{
    for (int v = 0; v < SIMD_V; v++) {
        unsigned bits = st->event [v];
        while (bits) {
            int lane = __builtin_ctz (bits);
            bits &= bits - 1;
            if (!(st->occupied [v] >> lane & 1)) {
                s_refill (st, v, lane, false);      //  an empty lane at the orbit's end
                continue;
            }
            double n = st->m [v][lane] + st->off [v][lane];
            bool done = st->escaped [v] >> lane & 1;
            if (!done && (st->rebased [v] >> lane & 1)) {
                if (st->fexp) {
                    mf_fexpc_t f = mf_fexpc_norm (st->fr [v][lane], st->fi [v][lane],
                                                  (int64_t) st->fe [v][lane]);
                    s_restart (st, v, lane, f.re, f.im, (double) f.e, n);
                }
                else
                    s_restart (st, v, lane, st->fx [v][lane], st->fy [v][lane], 0.0, n);
                st->reb [v][lane] += 1.0;
            }
            if (done || n >= st->maxiter) {
                st->mu [st->pixel [v][lane]] = done?
                    mf_mu_double ((uint32_t) n, st->fx [v][lane], st->fy [v][lane]): -1.0;
                st->stats.iterations += (uint64_t) n;
                st->stats.steps += st->round - st->started [v][lane];
                st->stats.rebases += (uint64_t) st->reb [v][lane];
                s_refill (st, v, lane, false);
                continue;
            }
            if (s_level1_lane (st, v, lane))
                st->bla [v] |= 1u << lane;
        }
        st->event [v] = 0;
        //  A vector takes new pixels once all its lanes are done: pixels
        //  started together, neighbours, follow nearly the same path
        //  through the orbit and its table, and share their cache lines.
        if (!st->occupied [v])
            for (int lane = 0; lane < SIMD_W; lane++)
                s_refill (st, v, lane, true);
    }
}

//  ---- the search -------------------------------------------------------------

//  Clamps integral a to [lo, hi].
S_INLINE vd
s_clamp (vd a, double lo, double hi)
{
    vd low = vset1 (lo);
    vd c = vsel (vlt (a, low), low, a);
    vd high = vset1 (hi);
    return vsel (vlt (high, c), high, c);
}


//  The lanes of bits that have room for a skip (2 iterations or more
//  left), and for them 2^fit <= room.
S_INLINE vm
s_room (const s_state_t *st, int v, vd m, unsigned bits, vd *fit)
{
    vd room = vsub (vset1 (st->maxiter), vadd (m, vload (st->off [v])));
    vm taken = vand (vmask (bits), vge (room, vset1 (2.0)));
    *fit = vilogb (vsel (taken, room, vset1 (2.0)));
    return taken;
}

//  The level of the lanes of taken, counted from the radii of their run
//  (mf_bla_radii: the index of their level-2 radius is base, in radii)
//  while valid(norm, radius) holds, capped at fit.
S_INLINE vd
s_level_d (const s_state_t *st, vm taken, vd base, vd norm, vd fit)
{
    vd one = vset1 (1.0), zero = vset1 (0.0), level = one;
    vm active = taken;
    for (;;) {
        vd r2, r3, r4, r5;
        vgather4u (st->radii, base, &r2, &r3, &r4, &r5);
        vm v2 = vand (active, vlt (norm, r2));
        vm v3 = vand (v2, vlt (norm, r3));
        vm v4 = vand (v3, vlt (norm, r4));
        vm v5 = vand (v4, vlt (norm, r5));
        level = vadd (level, vadd (vadd (vsel (v2, one, zero), vsel (v3, one, zero)),
                                   vadd (vsel (v4, one, zero), vsel (v5, one, zero))));
        active = v5;
        if (__builtin_expect (!vbits (active), 1))
            break;
        base = vadd (base, vset1 (4.0));
    }
    return vsel (vlt (fit, level), fit, level);
}

#if SIMD_LANE_POINTERS
//  Bit k set where radius k of r (SIMD_W of them, from r) is valid:
//  |z|_1 < R, as the reference tests it. In doubles norm is |z|_1 and the
//  radii are doubles; in floatexp (fexp) the radii are pairs (R, eR) and
//  the test is norm 2^clamp (ez - eR, -8, 8) < R, norm the sum of z's
//  normalised mantissas (exact: see level 1 in s_tail_f).
S_INLINE unsigned
s_valid (const double *r, double norm, double ez, const bool fexp)
{
    if (!fexp)
        return vbits (vlt (vset1 (norm), vloadu (r)));
    vd rm, re;
    vloadu2 (r, &rm, &re);
    vd shift = s_clamp (vsub (vset1 (ez), re), -8.0, 8.0);
    return vbits (vlt (vmul (vset1 (norm), vpow2 (shift)), rm));
}

//  The levels of the lanes in bits of vector v at m, whose |z|_1 is
//  norm, lane by lane but without a branch per lane: a lane's run of
//  radii (mf_bla_radii) is compared SIMD_W at a time with its |z|_1, the
//  valid radii counted from the run's beginning (they never grow, and 0
//  ends the run), the count capped by the room left. Sets, for each
//  lane that takes a skip, row [l] to entry where its level's A and B
//  begin, and returns those lanes, their levels in the bytes of *levels.
//  Lanes that do not take one get row [l] = entry (harmless to read).
S_INLINE unsigned
s_levels (s_state_t *st, int v, unsigned bits, vd norm, vd ez, vd m, const double *entry,
          size_t stride, const bool fexp, const double **row, uint64_t *levels)
{
    //  In vectors: which lanes have room, where their runs' radii begin
    //  (level 2 of start i = (m - 1) / 2 is radius ro + i + 1), and how
    //  many levels the room allows; lanes that take no skip read the
    //  radii of run 0 and are capped at level 1.
    size_t width = fexp? MF_BLA_RADIUS_FEXP: MF_BLA_RADIUS_DOUBLE;
    vd zero = vset1 (0.0);
    vd room = vsub (vsub (vset1 (st->maxiter), m), vload (st->off [v]));
    vm ok = vand (vmask (bits), vge (room, vset1 (2.0)));
    vd ro = vsel (ok, vload (st->ro [v]), zero);
    vd base = vsel (ok, vadd (ro, vfma (m, vset1 (0.5), vset1 (0.5))), zero);
    vd fit = vsel (ok, vilogb (vsel (ok, room, vset1 (2.0))), vset1 (1.0));
    _Alignas (64) double sn [SIMD_W], se [SIMD_W], sb [SIMD_W], sf [SIMD_W], sr [SIMD_W];
    vstore (sn, norm);
    vstore (se, ez);
    vstore (sb, base);
    vstore (sf, fit);
    vstore (sr, ro);
    unsigned all = (1u << SIMD_W) - 1;
    *levels = 0;
    //  Then lane by lane, without a branch per lane (integers below 2^53:
    //  signed conversions, one instruction each).
#pragma GCC unroll 16
    for (int l = 0; l < SIMD_W; l++) {
        const double *r = st->radii + (size_t) (int64_t) sb [l] * width;
        unsigned valid = s_valid (r, sn [l], se [l], fexp);
        int64_t level = 1 + __builtin_ctz (~valid);
        while (__builtin_expect (valid == all, 0)) {
            r += SIMD_W * width;
            valid = s_valid (r, sn [l], se [l], fexp);
            level += __builtin_ctz (~valid);
        }
        int64_t cap = (int64_t) sf [l];
        level = level < cap? level: cap;
        row [l] = entry + (size_t) ((int64_t) sr [l] + level - 1) * stride;
        *levels |= (uint64_t) level << (8 * l);
    }
    return vbits (ok);
}
#endif

//  ---- doubles ----------------------------------------------------------------

//  The registers of the double kernel: per vector z, m and Z_m.
typedef struct {
    vd x [SIMD_V], y [SIMD_V], m [SIMD_V], zr [SIMD_V], zi [SIMD_V];
} s_regs_d_t;

static void
s_save_d (s_state_t *st, const s_regs_d_t *r)
{
    for (int v = 0; v < SIMD_V; v++) {
        vstore (st->x [v], r->x [v]);
        vstore (st->y [v], r->y [v]);
        vstore (st->m [v], r->m [v]);
        vstore (st->zr [v], r->zr [v]);
        vstore (st->zi [v], r->zi [v]);
    }
}

static void
s_load_d (const s_state_t *st, s_regs_d_t *r)
{
    for (int v = 0; v < SIMD_V; v++) {
        r->x [v] = vload (st->x [v]);
        r->y [v] = vload (st->y [v]);
        r->m [v] = vload (st->m [v]);
        r->zr [v] = vload (st->zr [v]);
        r->zi [v] = vload (st->zi [v]);
    }
}

S_INLINE void s_tail_d (s_state_t *st, int v, vd nx, vd ny, vd m, vd zr, vd zi, vd r1, vd ro,
                       const vm reb_allowed);

//  One step of every lane of vector v (the reference's steps 2 to 5):
//  plain, or BLA for the lanes in st->bla [v]; then level 1 for the next
//  round, and the events.
S_INLINE void
s_step_d (s_state_t *st, int v, s_regs_d_t *r, const vm reb_allowed)
{
    vd x = r->x [v], y = r->y [v], m = r->m [v];
    vd cx = vload (st->cx [v]), cy = vload (st->cy [v]);
    vd two = vset1 (2.0);
    vd ar = vfma (two, r->zr [v], x);
    vd ai = vfma (two, r->zi [v], y);
    vd bx = cx, by = cy, step = vset1 (1.0);
#if SIMD_LANE_POINTERS
    if (__builtin_expect (st->bla [v] != 0, 0)) {
        const double *row [SIMD_W];
        uint64_t levels;
        unsigned taken = s_levels (st, v, st->bla [v], vadd (vabs (x), vabs (y)), x, m,
                                   st->runs + 1, MF_BLA_ENTRY_DOUBLE, false, row, &levels);
        if (taken) {
            vm b = vmask (taken);
            vd ear, eai, br, bi;
            vload4pu (row, &ear, &eai, &br, &bi);
            ar = vsel (b, ear, ar);
            ai = vsel (b, eai, ai);
            bx = vsel (b, vfma (br, cx, vsub (vset1 (0.0), vmul (bi, cy))), cx);
            by = vsel (b, vfma (br, cy, vmul (bi, cx)), cy);
            step = vsel (b, vpow2_bytes (levels), step);
            st->stats.bla_steps += (uint64_t) __builtin_popcount (taken);
        }
    }
#else
    if (__builtin_expect (st->bla [v] != 0, 0)) {
        vd fit;
        vm b = s_room (st, v, m, st->bla [v], &fit);
        unsigned taken = vbits (b);
        if (taken) {
            //  The run of start i = (m - 1) / 2 begins at radius ro + i.
            vd zero = vset1 (0.0), ro = vsel (b, vload (st->ro [v]), zero);
            vd base = vsel (b, vadd (ro, vfma (m, vset1 (0.5), vset1 (0.5))), zero);
            vd level = s_level_d (st, b, base, vadd (vabs (x), vabs (y)), fit);
            vd entry = vadd (ro, vsub (level, vset1 (1.0)));
            vd ear, eai, br, bi;
            vgather4u (st->runs, vfma (entry, vset1 ((double) MF_BLA_ENTRY_DOUBLE), vset1 (1.0)),
                       &ear, &eai, &br, &bi);
            ar = vsel (b, ear, ar);
            ai = vsel (b, eai, ai);
            bx = vsel (b, vfma (br, cx, vsub (zero, vmul (bi, cy))), cx);
            by = vsel (b, vfma (br, cy, vmul (bi, cx)), cy);
            step = vsel (b, vpow2 (level), step);
            st->stats.bla_steps += (uint64_t) __builtin_popcount (taken);
        }
    }
#endif
    vd nx = vfma (ar, x, vfnma (ai, y, bx));
    vd ny = vfma (ar, y, vfma (ai, x, by));
    m = vadd (m, step);
    vd zr, zi, r1, ro;
    vgather4 (st->points, vmul (m, vset1 ((double) MF_BLA_POINT_DOUBLE)), &zr, &zi, &r1, &ro);
    r->x [v] = nx;
    r->y [v] = ny;
    r->m [v] = m;
    r->zr [v] = zr;
    r->zi [v] = zi;
    s_tail_d (st, v, nx, ny, m, zr, zi, r1, ro, reb_allowed);
}

//  The end of a step of vector v, at z = (nx, ny), m, Z_m = (zr, zi)
//  with the radius r1 and run offset ro there: the events, and level 1
//  for the next round.
S_INLINE void
s_tail_d (s_state_t *st, int v, vd nx, vd ny, vd m, vd zr, vd zi, vd r1, vd ro,
          const vm reb_allowed)
{
    vd fx = vadd (zr, nx), fy = vadd (zi, ny);
    vd mag = vfma (fx, fx, vmul (fy, fy));
    vm esc = vesc (mag);
    vm reb = vand (reb_allowed, vlt (mag, vfma (nx, nx, vmul (ny, ny))));
    vm stop = vge (m, vload (st->lim [v]));
    unsigned event = vbits (vor (vor (esc, reb), stop));
    unsigned pass = vbits (vlt (vadd (vabs (nx), vabs (ny)), r1)) & st->occupied [v];
    st->bla [v] = pass & ~event;
    if (__builtin_expect (event != 0, 0)) {
        vstore (st->fx [v], fx);
        vstore (st->fy [v], fy);
        st->event [v] = event;
        st->escaped [v] = vbits (esc);
        st->rebased [v] = vbits (vor (reb, veq (m, vset1 (st->last))));
    }
    if (__builtin_expect (st->bla [v] != 0, 0))
        vstore (st->ro [v], ro);
}

//  The tests of the last plain round, from the state in r. Not inlined:
//  the compiler would keep every round's intermediate values to spare
//  computing them here again.
static __attribute__ ((noinline)) void
s_plain_end_d (s_state_t *st, const s_regs_d_t *r, const vm reb_allowed)
{
    for (int v = 0; v < SIMD_V; v++) {
        vd zr, zi, r1, ro;
        vgather4 (st->points, vmul (r->m [v], vset1 ((double) MF_BLA_POINT_DOUBLE)),
                  &zr, &zi, &r1, &ro);
        s_tail_d (st, v, r->x [v], r->y [v], r->m [v], zr, zi, r1, ro, reb_allowed);
    }
}

//  Rounds of plain steps, while no lane takes a BLA step: the state in
//  registers, every vector stepped alike, and one test per round, for
//  any event or level-1 pass in any lane. After the round where one
//  happens (or before a look at stop), the step's results are tested
//  again as s_step_d tests them, from the registers.
static void
s_plain_d (s_state_t *st, s_regs_d_t *r, const vm reb_allowed)
{
    vd x [SIMD_V], y [SIMD_V], m [SIMD_V], zr [SIMD_V], zi [SIMD_V];
    vm live [SIMD_V];
#pragma GCC unroll 16
    for (int v = 0; v < SIMD_V; v++) {
        x [v] = r->x [v];
        y [v] = r->y [v];
        m [v] = r->m [v];
        zr [v] = r->zr [v];
        zi [v] = r->zi [v];
        live [v] = vmask (st->occupied [v]);
    }
    const vd two = vset1 (2.0), one = vset1 (1.0);
#if SIMD_LANE_POINTERS
    //  Each lane's point, advanced by one point a step: no index to turn
    //  into addresses.
    const double *lane [SIMD_V][SIMD_W];
#pragma GCC unroll 16
    for (int v = 0; v < SIMD_V; v++) {
        _Alignas (64) double sm [SIMD_W];
        vstore (sm, m [v]);
#pragma GCC unroll 16
        for (int l = 0; l < SIMD_W; l++)
            lane [v][l] = st->points + (size_t) (int64_t) sm [l] * MF_BLA_POINT_DOUBLE;
    }
#else
    const vd four = vset1 ((double) MF_BLA_POINT_DOUBLE);
#endif
    uint64_t round = st->round;
    for (;;) {
        vm any = vmask (0);
#pragma GCC unroll 16
        for (int v = 0; v < SIMD_V; v++) {
            vd ar = vfma (two, zr [v], x [v]);
            vd ai = vfma (two, zi [v], y [v]);
            vd nx = vfma (ar, x [v], vfnma (ai, y [v], vload (st->cx [v])));
            vd ny = vfma (ar, y [v], vfma (ai, x [v], vload (st->cy [v])));
            m [v] = vadd (m [v], one);
            vd r1, ro;
#if SIMD_LANE_POINTERS
#pragma GCC unroll 16
            for (int l = 0; l < SIMD_W; l++)
                lane [v][l] += MF_BLA_POINT_DOUBLE;
            vload4p (lane [v], &zr [v], &zi [v], &r1, &ro);
#else
            vgather4 (st->points, vmul (m [v], four), &zr [v], &zi [v], &r1, &ro);
#endif
            (void) ro;
            vd fx = vadd (zr [v], nx), fy = vadd (zi [v], ny);
            vd mag = vfma (fx, fx, vmul (fy, fy));
            vm reb = vand (reb_allowed, vlt (mag, vfma (nx, nx, vmul (ny, ny))));
            vm pass = vand (live [v], vlt (vadd (vabs (nx), vabs (ny)), r1));
            any = vor (any, vor (vor (vesc (mag), reb), vor (pass, vge (m [v], vload (st->lim [v])))));
            x [v] = nx;
            y [v] = ny;
        }
        round++;
        if (__builtin_expect (vbits (any) != 0, 0) || round % MF_PERTURB_STOP_EVERY == 0)
            break;
    }
    st->round = round;
#pragma GCC unroll 16
    for (int v = 0; v < SIMD_V; v++) {
        r->x [v] = x [v];
        r->y [v] = y [v];
        r->m [v] = m [v];
        r->zr [v] = zr [v];
        r->zi [v] = zi [v];
    }
    s_plain_end_d (st, r, reb_allowed);
}

//  The double kernel's rounds. Returns 0, or -1 when stopped.
static int
s_run_d (s_state_t *st, const vm reb_allowed)
{
    s_regs_d_t r;
    s_load_d (st, &r);
    const atomic_int *stop = st->task->stop;
    for (;;) {
        unsigned events = 0, bla = 0;
        for (int v = 0; v < SIMD_V; v++)
            bla |= st->bla [v];
        if (!bla)
            s_plain_d (st, &r, reb_allowed);
        else {
            for (int v = 0; v < SIMD_V; v++)
                s_step_d (st, v, &r, reb_allowed);
            st->round++;
        }
        for (int v = 0; v < SIMD_V; v++)
            events |= st->event [v];
        if (__builtin_expect (events != 0, 0)) {
            s_save_d (st, &r);
            s_events (st);
            if (!st->lanes_busy)
                return 0;
            s_load_d (st, &r);
        }
        if (st->round % MF_PERTURB_STOP_EVERY == 0 && stop && atomic_load (stop))
            return -1;
    }
}

//  ---- floatexp ---------------------------------------------------------------

//  The normalised (re, im) * 2^e of mf_fexpc_norm, in vectors: k from the
//  larger part's exponent field, both parts times 2^-k (one rounding for
//  the smaller), zero as +0, +0, MF_FEXP_ZERO_E. A lane whose larger part
//  is subnormal is redone by mf_fexpc_norm itself; parts never reach 2^1023.
S_INLINE void
s_norm (vd *re, vd *im, vd *e)
{
    vd big = vmax (vabs (*re), vabs (*im));
    vm zero = veq (big, vset1 (0.0));
    vm tiny = vlt (big, vset1 (0x1p-1022));
    unsigned odd = vbits (vandnot (tiny, zero));
    vd k = vilogb (vsel (tiny, vset1 (1.0), big));
    vd scale = vpow2 (vsub (vset1 (0.0), k));
    vd nre = vmul (*re, scale), nim = vmul (*im, scale), ne = vadd (*e, k);
    if (__builtin_expect (odd != 0, 0)) {
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
S_INLINE vd
s_align (vd diff)
{
    vm drop = vlt (diff, vset1 ((double) MF_FEXP_DROP));
    return vsel (drop, vset1 (0.0), vpow2 (vmax (diff, vset1 ((double) MF_FEXP_DROP))));
}

//  (ar, ai, ea) + (br, bi, eb) as mf_fexpc_add_raw: the first is the
//  larger unless its exponent is lower; not normalised.
S_INLINE void
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

//  As s_level_d in floatexp: the radii are pairs (R, eR), and |z|_1 <
//  R is tested as (|x| + |y|) 2^clamp (ez - eR, -8, 8) < R, exact for a
//  normalised z and R (mf_fexp_cmp's answer; see level 1 in s_step_f).
//  base counts radii.
S_INLINE vd
s_level_f (const s_state_t *st, vm taken, vd base, vd norm, vd ez, vd fit)
{
    vd one = vset1 (1.0), zero = vset1 (0.0), level = one;
    vm active = taken;
    vd index = vmul (base, vset1 ((double) MF_BLA_RADIUS_FEXP));
    for (;;) {
        vd r2, e2, r3, e3;
        vgather4u (st->radii, index, &r2, &e2, &r3, &e3);
        vm v2 = vand (active, vlt (vmul (norm, vpow2 (s_clamp (vsub (ez, e2), -8.0, 8.0))), r2));
        vm v3 = vand (v2, vlt (vmul (norm, vpow2 (s_clamp (vsub (ez, e3), -8.0, 8.0))), r3));
        level = vadd (level, vadd (vsel (v2, one, zero), vsel (v3, one, zero)));
        active = v3;
        if (__builtin_expect (!vbits (active), 1))
            break;
        index = vadd (index, vset1 (4.0));
    }
    return vsel (vlt (fit, level), fit, level);
}

//  The registers of the floatexp kernel: per vector z, m and Z_m.
typedef struct {
    vd x [SIMD_V], y [SIMD_V], ez [SIMD_V], m [SIMD_V];
    vd zr [SIMD_V], zi [SIMD_V], ezr [SIMD_V];
} s_regs_f_t;

static void
s_save_f (s_state_t *st, const s_regs_f_t *r)
{
    for (int v = 0; v < SIMD_V; v++) {
        vstore (st->x [v], r->x [v]);
        vstore (st->y [v], r->y [v]);
        vstore (st->ez [v], r->ez [v]);
        vstore (st->m [v], r->m [v]);
        vstore (st->zr [v], r->zr [v]);
        vstore (st->zi [v], r->zi [v]);
        vstore (st->ezr [v], r->ezr [v]);
    }
}

static void
s_load_f (const s_state_t *st, s_regs_f_t *r)
{
    for (int v = 0; v < SIMD_V; v++) {
        r->x [v] = vload (st->x [v]);
        r->y [v] = vload (st->y [v]);
        r->ez [v] = vload (st->ez [v]);
        r->m [v] = vload (st->m [v]);
        r->zr [v] = vload (st->zr [v]);
        r->zi [v] = vload (st->zi [v]);
        r->ezr [v] = vload (st->ezr [v]);
    }
}

//  z := a z + b c as mf_fexpc_muladd: (ar, ai, ea) z + (qr, qi, eq), z
//  = (x, y, ez) normalised; returns the new z normalised.
S_INLINE void
s_muladd_f (vd ar, vd ai, vd ea, vd x, vd y, vd ez, vd qr, vd qi, vd eq,
            vd *nx, vd *ny, vd *nz)
{
    vd pr = vfma (ar, x, vsub (vset1 (0.0), vmul (ai, y)));
    vd pi = vfma (ar, y, vmul (ai, x));
    vd ep = vadd (ea, ez);
    vm first = vge (ep, eq);
    vd hr = vsel (first, pr, qr), hi = vsel (first, pi, qi), he = vsel (first, ep, eq);
    vd lr = vsel (first, qr, pr), li = vsel (first, qi, pi), le = vsel (first, eq, ep);
    vd scale = s_align (vsub (le, he));
    *nx = vadd (hr, vmul (lr, scale));
    *ny = vadd (hi, vmul (li, scale));
    *nz = he;
    s_norm (nx, ny, nz);
}

//  The tests after a step, as s_tail_d, in floatexp: at z = (nx, ny,
//  nz), m, Z_m = (zr, zi, ezr), with level 1's radius (r1, er1) and the
//  run offset ro there.
S_INLINE void
s_tail_f (s_state_t *st, int v, vd nx, vd ny, vd nz, vd m, vd zr, vd zi, vd ezr, vd r1, vd er1,
          vd ro, const vm reb_allowed)
{
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
    vm reb = vand (reb_allowed, vlt (big_f, vmul (big_g, vpow2 (shift))));
    vm stop = vge (m, vload (st->lim [v]));
    unsigned event = vbits (vor (vor (esc, reb), stop));
    //  Level 1: |z|_1 2^clamp(ez - er, -8, 8) < rm, exact for normalised
    //  z and R (mf_fexp_cmp's answer).
    vd norm = vadd (vabs (nx), vabs (ny));
    vd lshift = s_clamp (vsub (nz, er1), -8.0, 8.0);
    unsigned pass = vbits (vlt (vmul (norm, vpow2 (lshift)), r1)) & st->occupied [v];
    st->bla [v] = pass & ~event;
    if (__builtin_expect (event != 0, 0)) {
        vstore (st->fx [v], fx);
        vstore (st->fy [v], fy);
        vstore (st->fr [v], fr);
        vstore (st->fi [v], fi);
        vstore (st->fe [v], fe);
        st->event [v] = event;
        st->escaped [v] = vbits (esc);
        st->rebased [v] = vbits (vor (reb, veq (m, vset1 (st->last))));
    }
    if (__builtin_expect (st->bla [v] != 0, 0))
        vstore (st->ro [v], ro);
}

//  Z_m, level 1's radius and the run offset at m, for vector v.
S_INLINE void
s_point_f (const s_state_t *st, vd m, vd *zr, vd *zi, vd *ezr, vd *r1, vd *er1, vd *ro)
{
    vd index = vmul (m, vset1 ((double) MF_BLA_POINT_FEXP)), pad;
    vgather4 (st->points, index, zr, zi, ezr, r1);
    vgather4 (st->points + 4, index, er1, ro, &pad, &pad);
}

//  One step of every lane of vector v, in floatexp (as s_step_d).
S_INLINE void
s_step_f (s_state_t *st, int v, s_regs_f_t *r, const vm reb_allowed)
{
    vd x = r->x [v], y = r->y [v], ez = r->ez [v], m = r->m [v];
    vd ar, ai, ea;
    s_add_raw (r->zr [v], r->zi [v], vadd (r->ezr [v], vset1 (1.0)), x, y, ez, &ar, &ai, &ea);
    //  B c: a plain step's, computed once per pixel (s_refill).
    vd qr = vload (st->cx [v]), qi = vload (st->cy [v]), eq = vload (st->ec [v]);
    vd step = vset1 (1.0);
#if SIMD_LANE_POINTERS
    if (__builtin_expect (st->bla [v] != 0, 0)) {
        const double *row [SIMD_W], *row2 [SIMD_W];
        uint64_t levels;
        unsigned taken = s_levels (st, v, st->bla [v], vadd (vabs (x), vabs (y)), ez, m,
                                   st->runs + 2, MF_BLA_ENTRY_FEXP, true, row, &levels);
        if (taken) {
            vm b = vmask (taken);
            vd ear, eai, eea, br, bi, eb, skip;
            for (int l = 0; l < SIMD_W; l++)
                row2 [l] = row [l] + 2;
            vload4pu (row, &ear, &eai, &eea, &br);
            vload4pu (row2, &skip, &skip, &bi, &eb);
            ar = vsel (b, ear, ar);
            ai = vsel (b, eai, ai);
            ea = vsel (b, eea, ea);
            vd cx = vload (st->dcx [v]), cy = vload (st->dcy [v]);
            qr = vsel (b, vfma (br, cx, vsub (vset1 (0.0), vmul (bi, cy))), qr);
            qi = vsel (b, vfma (br, cy, vmul (bi, cx)), qi);
            eq = vsel (b, vadd (eb, vload (st->ec [v])), eq);
            step = vsel (b, vpow2_bytes (levels), step);
            st->stats.bla_steps += (uint64_t) __builtin_popcount (taken);
        }
    }
#else
    if (__builtin_expect (st->bla [v] != 0, 0)) {
        vd fit;
        vm b = s_room (st, v, m, st->bla [v], &fit);
        unsigned taken = vbits (b);
        if (taken) {
            vd zero = vset1 (0.0), ro = vsel (b, vload (st->ro [v]), zero);
            vd base = vsel (b, vadd (ro, vfma (m, vset1 (0.5), vset1 (0.5))), zero);
            vd level = s_level_f (st, b, base, vadd (vabs (x), vabs (y)), ez, fit);
            vd entry = vmul (vadd (ro, vsub (level, vset1 (1.0))), vset1 ((double) MF_BLA_ENTRY_FEXP));
            vd ear, eai, eea, br, bi, eb, skip;
            vgather4u (st->runs, vadd (entry, vset1 (2.0)), &ear, &eai, &eea, &br);
            vgather4u (st->runs, vadd (entry, vset1 (4.0)), &skip, &skip, &bi, &eb);
            ar = vsel (b, ear, ar);
            ai = vsel (b, eai, ai);
            ea = vsel (b, eea, ea);
            vd cx = vload (st->dcx [v]), cy = vload (st->dcy [v]);
            qr = vsel (b, vfma (br, cx, vsub (zero, vmul (bi, cy))), qr);
            qi = vsel (b, vfma (br, cy, vmul (bi, cx)), qi);
            eq = vsel (b, vadd (eb, vload (st->ec [v])), eq);
            step = vsel (b, vpow2 (level), step);
            st->stats.bla_steps += (uint64_t) __builtin_popcount (taken);
        }
    }
#endif
    vd nx, ny, nz;
    s_muladd_f (ar, ai, ea, x, y, ez, qr, qi, eq, &nx, &ny, &nz);
    m = vadd (m, step);
    vd zr, zi, ezr, r1, er1, ro;
    s_point_f (st, m, &zr, &zi, &ezr, &r1, &er1, &ro);
    r->x [v] = nx;
    r->y [v] = ny;
    r->ez [v] = nz;
    r->m [v] = m;
    r->zr [v] = zr;
    r->zi [v] = zi;
    r->ezr [v] = ezr;
    s_tail_f (st, v, nx, ny, nz, m, zr, zi, ezr, r1, er1, ro, reb_allowed);
}

//  The tests of the last plain round in floatexp, from r (as s_plain_end_d).
static __attribute__ ((noinline)) void
s_plain_end_f (s_state_t *st, const s_regs_f_t *r, const vm reb_allowed)
{
    for (int v = 0; v < SIMD_V; v++) {
        vd zr, zi, ezr, r1, er1, ro;
        s_point_f (st, r->m [v], &zr, &zi, &ezr, &r1, &er1, &ro);
        s_tail_f (st, v, r->x [v], r->y [v], r->ez [v], r->m [v], zr, zi, ezr, r1, er1, ro,
                  reb_allowed);
    }
}

//  Plain rounds in floatexp, as s_plain_d.
static void
s_plain_f (s_state_t *st, s_regs_f_t *r, const vm reb_allowed)
{
    vd x [SIMD_V], y [SIMD_V], ez [SIMD_V], m [SIMD_V], zr [SIMD_V], zi [SIMD_V], ezr [SIMD_V];
    vm live [SIMD_V];
#pragma GCC unroll 16
    for (int v = 0; v < SIMD_V; v++) {
        x [v] = r->x [v];
        y [v] = r->y [v];
        ez [v] = r->ez [v];
        m [v] = r->m [v];
        zr [v] = r->zr [v];
        zi [v] = r->zi [v];
        ezr [v] = r->ezr [v];
        live [v] = vmask (st->occupied [v]);
    }
    const vd one = vset1 (1.0);
#if SIMD_LANE_POINTERS
    const double *lane [SIMD_V][SIMD_W];
#pragma GCC unroll 16
    for (int v = 0; v < SIMD_V; v++) {
        _Alignas (64) double sm [SIMD_W];
        vstore (sm, m [v]);
#pragma GCC unroll 16
        for (int l = 0; l < SIMD_W; l++)
            lane [v][l] = st->points + (size_t) (int64_t) sm [l] * MF_BLA_POINT_FEXP;
    }
#endif
    uint64_t round = st->round;
    for (;;) {
        vm any = vmask (0);
#pragma GCC unroll 16
        for (int v = 0; v < SIMD_V; v++) {
            vd ar, ai, ea, nx, ny, nz;
            s_add_raw (zr [v], zi [v], vadd (ezr [v], one), x [v], y [v], ez [v], &ar, &ai, &ea);
            s_muladd_f (ar, ai, ea, x [v], y [v], ez [v], vload (st->cx [v]), vload (st->cy [v]),
                        vload (st->ec [v]), &nx, &ny, &nz);
            m [v] = vadd (m [v], one);
            vd r1, er1;
#if SIMD_LANE_POINTERS
            vd pad;
            const double *upper [SIMD_W];
#pragma GCC unroll 16
            for (int l = 0; l < SIMD_W; l++) {
                lane [v][l] += MF_BLA_POINT_FEXP;
                upper [l] = lane [v][l] + 4;
            }
            vload4p (lane [v], &zr [v], &zi [v], &ezr [v], &r1);
            vload4p (upper, &er1, &pad, &pad, &pad);
#else
            vd ro;
            s_point_f (st, m [v], &zr [v], &zi [v], &ezr [v], &r1, &er1, &ro);
            (void) ro;
#endif
            vd fr, fi, fe;
            s_add_raw (zr [v], zi [v], ezr [v], nx, ny, nz, &fr, &fi, &fe);
            vd p = vpow2 (s_clamp (fe, -1000.0, 1000.0));
            vd fx = vmul (fr, p), fy = vmul (fi, p);
            vm esc = vesc (vfma (fx, fx, vmul (fy, fy)));
            vd big_f = vfma (fr, fr, vmul (fi, fi));
            vd big_g = vfma (nx, nx, vmul (ny, ny));
            vd shift = s_clamp (vmul (vset1 (2.0), vsub (nz, fe)), -1000.0, 1000.0);
            vm reb = vand (reb_allowed, vlt (big_f, vmul (big_g, vpow2 (shift))));
            vd lshift = s_clamp (vsub (nz, er1), -8.0, 8.0);
            vm pass = vand (live [v], vlt (vmul (vadd (vabs (nx), vabs (ny)), vpow2 (lshift)), r1));
            any = vor (any, vor (vor (esc, reb), vor (pass, vge (m [v], vload (st->lim [v])))));
            x [v] = nx;
            y [v] = ny;
            ez [v] = nz;
        }
        round++;
        if (__builtin_expect (vbits (any) != 0, 0) || round % MF_PERTURB_STOP_EVERY == 0)
            break;
    }
    st->round = round;
#pragma GCC unroll 16
    for (int v = 0; v < SIMD_V; v++) {
        r->x [v] = x [v];
        r->y [v] = y [v];
        r->ez [v] = ez [v];
        r->m [v] = m [v];
        r->zr [v] = zr [v];
        r->zi [v] = zi [v];
        r->ezr [v] = ezr [v];
    }
    s_plain_end_f (st, r, reb_allowed);
}

//  The floatexp kernel's rounds (as s_run_d). Returns 0, or -1 when stopped.
static int
s_run_f (s_state_t *st, const vm reb_allowed)
{
    s_regs_f_t r;
    s_load_f (st, &r);
    const atomic_int *stop = st->task->stop;
    for (;;) {
        unsigned events = 0, bla = 0;
        for (int v = 0; v < SIMD_V; v++)
            bla |= st->bla [v];
        if (!bla)
            s_plain_f (st, &r, reb_allowed);
        else {
            for (int v = 0; v < SIMD_V; v++)
                s_step_f (st, v, &r, reb_allowed);
            st->round++;
        }
        for (int v = 0; v < SIMD_V; v++)
            events |= st->event [v];
        if (__builtin_expect (events != 0, 0)) {
            s_save_f (st, &r);
            s_events (st);
            if (!st->lanes_busy)
                return 0;
            s_load_f (st, &r);
        }
        if (st->round % MF_PERTURB_STOP_EVERY == 0 && stop && atomic_load (stop))
            return -1;
    }
}

//  ---- the kernel ---------------------------------------------------------------

static int
s_kernel (const mf_perturb_task_t *task, double *mu, mf_perturb_stats_t *stats)
{
    //  Not zeroed whole: every lane array is written by s_refill before
    //  it is read, ro by the step that sets bla, the event arrays by the
    //  step that sets an event.
    s_state_t state;
    s_state_t *st = &state;
    memset (st->occupied, 0, sizeof st->occupied);
    memset (st->event, 0, sizeof st->event);
    memset (st->bla, 0, sizeof st->bla);
    memset (st->ro, 0, sizeof st->ro);              //  read (masked) before any step sets it
    memset (&st->stats, 0, sizeof st->stats);
    st->lanes_busy = 0;
    st->round = 0;
    st->task = task;
    st->mu = mu;
    st->points = mf_bla_points (task->bla);
    st->last = (double) (mf_bla_points_count (task->bla) - 1);
    st->maxiter = (double) task->maxiter;
    st->fexp = task->map->type == MF_DELTA_FEXP;
    st->no_rebase = task->no_rebase;
    st->top = mf_bla_top (task->bla);
    st->runs = mf_bla_runs (task->bla);
    st->radii = mf_bla_radii (task->bla);
    st->next_pixel = 0;
    st->pixels = task->rect.w * task->rect.h;
    for (int v = 0; v < SIMD_V; v++)
        for (int lane = 0; lane < SIMD_W; lane++)
            s_refill (st, v, lane, true);
    const vm reb_allowed = task->no_rebase? vmask (0): vmask ((1u << SIMD_W) - 1);
    int status = 0;
    if (st->lanes_busy)
        status = st->fexp? s_run_f (st, reb_allowed): s_run_d (st, reb_allowed);
    if (stats) {
        stats->iterations += st->stats.iterations;
        stats->steps += st->stats.steps;
        stats->bla_steps += st->stats.bla_steps;
        stats->rebases += st->stats.rebases;
    }
    return status;
}

#endif
