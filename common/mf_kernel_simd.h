/*  mf_kernel_simd: the production kernel, written once over a small
    vector layer and instantiated by mf_kernel_scalar.c (1 lane),
    mf_kernel_neon.c (2 lanes, aarch64), mf_kernel_avx2.c (4 lanes) and
    mf_kernel_avx512.c (8 lanes). Private to those files: include it
    once, after defining the layer.

    The layer the including file defines, all `static inline`:

        SIMD_W, SIMD_V      lanes per vector, vectors in flight
        vd                  SIMD_W doubles;  vm  a lane mask
        vset1 vload vstore  broadcast, aligned load and store
        vadd vsub vmul vdiv separately rounded, as IEEE says
        vfma (a, b, c)      fma: a * b + c, rounded once
        vsel (m, a, b)      m? a: b
        vinc (m, n)         m? n + 1: n (only with SIMD_CAPTURE_ALWAYS)
        SIMD_CAPTURE_ALWAYS 1 or 0: see S_EXACT_STEP
        vesc (mag)          !(mag <= MF_BAILOUT_SQ): escaped, NaN included
        vsame (a, b)        bit patterns equal (so -0 != +0, NaN == same NaN)
        vge vgt vlt         ordered comparisons
        vfinite (a)         a is finite
        vand vor vandnot    mask logic; vandnot (a, b) = a & ~b
        vmall ()            every lane set
        vmask (bits)        the mask with lane l set where bit l is
        vbits (m)           lane l set -> bit l
        vfrexp (x, &e)      frexp for positive normal x: m in [0.5, 1), e as double
        vtofloat (a, out)   store W floats, each (float) a[l]

    Every pixel gives exactly the bits of mf_kernel_reference, because
    each shortcut below either repeats the reference's operations in the
    same order, or decides only what the reference would also decide:

    Lane refill. Each lane holds one pixel; a lane whose pixel is finished
    takes the next pixel of the tile, so vectors stay full. SIMD_V
    independent vectors are iterated in one loop body, interleaved, so
    the FMA latency (4 cycles, ~7.5 per iteration along the x-y chain) is
    hidden behind the other vectors' work.

    Row pre-pass. Before its pixels take lanes, each row of the tile runs
    up to SIMD_PRE exact steps (below) on all its pixels, SIMD_PV vectors
    at a time, with no lane bookkeeping; the short orbits of a wide view
    end there, with their mu computed in the same vectors, and only the
    others are queued for the lanes, with their z.

    Blocks. Lanes advance SIMD_K iterations per block. A fast block does
    no escape test inside; at its end, lanes whose |z|^2 is not <= 65536
    escaped somewhere inside the block. That test at the end is enough
    because escape is sticky in floating point: once |z|^2 > 65536 (so
    |z| > 256 and |z| >= |c|, which holds at the first escape: either
    |c| <= 256 < |z|, or n = 1 and z = c), |z^2 + c| >= |z|^2 - |c| >=
    |z| (|z| - 1) grows by a factor > 250 per step even after rounding,
    until it overflows; an infinite or NaN component then keeps one
    component infinite or NaN forever (inf - inf and 0 * inf are NaN,
    NaN propagates, a finite fma needs finite inputs), and !(mag <= 65536)
    holds for those. A lane found escaped keeps the start of that block
    and waits, running on harmlessly, until a quarter of the lanes wait
    (or something else must be handled); then the vectors holding waiting
    lanes are replayed, a few at a time, from those starts with a test at
    every step, which gives each one's exact n and z_n. While escapes are
    very frequent (short orbits), exact blocks, which test every step,
    are used instead.

    Interior tests. A pixel whose c, scaled up by CARDIOID_SCALE, still
    passes the main cardioid test, or that lies inside the period-2 bulb
    shrunk by BULB_MARGIN, is interior without iterating. The cardioid is
    star-shaped about 0, so c lies inside it with a margin of 0.1 % of |c|:
    its attracting fixed point has multiplier |lambda| < 1 - 2e-4, and
    rounding errors (1e-16 a step) are contracted, not amplified. Pixels
    near the boundaries are left to the iteration and to the cycle test.

    Cycle test (Brent). Every CYCLE_EVERY block ends, a lane compares z
    with a saved value, bit for bit, and saves z when a save is due. Equal bits
    mean the floating-point orbit is exactly periodic from there on; since
    z is not escaped at that block end, no iterate in between escaped
    (escape is sticky), so the pixel never escapes: interior. The save
    points double (n at the next save is twice n at this one), which
    catches any period once the interval exceeds it.

    mu. Escaped pixels are recorded (n, z_n) and their mu computed in
    vectors by the same operations as mf_mu, in the same order.

    Stopping. The caller may pass a flag that another thread sets to
    stop the tile (a cancelled job, a worker that leaves). It is read
    with a relaxed load at every block end of the fast loop, at every
    turn of the lane loop and before each row's pre-pass: never more than
    a few microseconds of work apart, and off the iteration chains, so
    the hot loop keeps its speed. Once the flag is seen the kernel
    returns MF_KERNEL_STOPPED and leaves the tile's mu incomplete.

    Iterations returned: per pixel, the iterations of its orbit that the
    kernel computed and used: n for an escaped pixel, maxiter for an
    interior one that ran out, the iterations done until a cycle was
    found, 0 for a cardioid or bulb pixel. Work thrown away (steps past
    an escape or past maxiter inside a block, replays) is not counted.
*/
#ifndef MF_KERNEL_SIMD_H
#define MF_KERNEL_SIMD_H

#include "mf_kernel.h"
#include "mf_mu.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#define SIMD_LANES (SIMD_V * SIMD_W)
#define SIMD_RECORDS 256                //  escaped pixels whose mu is computed together
#define SIMD_ROW_MAX (MF_TILE_MAX_EDGE + SIMD_LANES + SIMD_PV * SIMD_W)  //  padded row of sample points
#define SIMD_PRE 16                     //  iterations of the row pre-pass
#ifndef PENDING_NUM
#define PENDING_NUM 1                   //  escaped lanes may wait for their replay
#define PENDING_DEN 4                   //  until they are this share of the lanes
#endif
#ifndef SIMD_RV
#define SIMD_RV 4                       //  vectors replayed together, at most
#endif
#ifndef SIMD_KE
#define SIMD_KE SIMD_K                  //  steps of an exact block while escapes are frequent
#endif
#ifndef SIMD_PV
#define SIMD_PV 4                       //  vectors in flight in the pre-pass
#endif
#ifndef CYCLE_EVERY
#define CYCLE_EVERY 2                   //  blocks between two cycle tests
#endif
#define CARDIOID_SCALE 1.001            //  c is tested as c * this: a 0.1 % margin
#define BULB_MARGIN 0.999               //  radius of the period-2 bulb tested, in 1/4s
#ifndef MODE_SHARE_NUM
#define MODE_SHARE_NUM 1                //  exact blocks once more than this share of
#define MODE_SHARE_DEN 2                //  the vectors had an escape, in recent blocks
#endif

//  The vectors of a block live in registers only if the loops over them
//  are unrolled: say so (GCC and clang both read this pragma).
#define S_UNROLL _Pragma ("GCC unroll 16")

//  Starting value of a lane's saved z: a NaN, so that it never equals a
//  non-escaped z (and the comparison is only made for those).
#define S_NO_SAVE_BITS 0x7ff8dead0000beefULL

typedef struct {
    //  Lane state, one row of SIMD_W per vector. Empty lanes iterate c = 0,
    //  which stays at 0 and never escapes.
    _Alignas (64) double x [SIMD_V][SIMD_W];       //  z at the end of the last block
    _Alignas (64) double y [SIMD_V][SIMD_W];
    _Alignas (64) double x0 [SIMD_V][SIMD_W];      //  z at the start of the last block
    _Alignas (64) double y0 [SIMD_V][SIMD_W];
    _Alignas (64) double cr [SIMD_V][SIMD_W];      //  the lane's c
    _Alignas (64) double ci [SIMD_V][SIMD_W];
    _Alignas (64) double n [SIMD_V][SIMD_W];       //  iterations done at the end of the last block
    _Alignas (64) double n0 [SIMD_V][SIMD_W];      //  ... at its start
    _Alignas (64) double save [SIMD_V][SIMD_W];    //  n from which z is saved next (Brent)
    _Alignas (64) double xs [SIMD_V][SIMD_W];      //  the saved z
    _Alignas (64) double ys [SIMD_V][SIMD_W];
    uint32_t pixel [SIMD_V][SIMD_W];               //  tile index of the lane's pixel
    unsigned occupied [SIMD_V];                    //  bit l: lane l holds a pixel
    _Alignas (64) double px0 [SIMD_V][SIMD_W];     //  start of the block in which a
    _Alignas (64) double py0 [SIMD_V][SIMD_W];     //  pending lane escaped
    _Alignas (64) double pn0 [SIMD_V][SIMD_W];
    unsigned pending [SIMD_V];                     //  bit l: lane l escaped, not replayed yet
    unsigned pending_count;                        //  pending lanes, in all
    unsigned escaped [SIMD_V];                     //  bit l: lane l escaped in the last block
    unsigned done [SIMD_V];                        //  bit l: lane l is finished
    unsigned lanes_busy;                           //  lanes holding a pixel, in all

    //  Escaped pixels waiting for their mu.
    _Alignas (64) double rec_n [SIMD_RECORDS + SIMD_W];
    _Alignas (64) double rec_x [SIMD_RECORDS + SIMD_W];
    _Alignas (64) double rec_y [SIMD_RECORDS + SIMD_W];
    uint32_t rec_pixel [SIMD_RECORDS];
    size_t rec_count;

    //  Pixels still to start: what the pre-pass left of one row, with z
    //  after SIMD_PRE iterations.
    _Alignas (64) double row_cr [SIMD_ROW_MAX];   //  c.re of each column, padded
    _Alignas (64) double row_x [SIMD_ROW_MAX];    //  z and n after the pre-pass, per column
    _Alignas (64) double row_y [SIMD_ROW_MAX];
    _Alignas (64) double row_n [SIMD_ROW_MAX];
    uint32_t queue [MF_TILE_MAX_EDGE];             //  columns of this row to iterate
    size_t queue_next;                             //  next entry to hand out
    size_t queue_count;                            //  entries in queue
    _Alignas (64) double lane_index [SIMD_W];     //  0, 1, ... SIMD_W - 1
    double row_ci;                                 //  c.im of the queued row
    uint32_t next_row;                             //  next row to prefilter

    const mf_task_t *task;                         //  the tile, or a band of it
    float *mu;                                     //  the output of its top left pixel
    size_t stride;                                 //  floats from one row of mu to the next
    double maxiter;                                //  task->maxiter
    uint64_t iterations;                           //  counted as the header says
    const atomic_bool *stop;                       //  the caller's stop flag (never NULL)
    bool stopped;                                  //  the flag was seen set: give up
} s_state_t;

//  Stands in for a caller that passes no stop flag.
static const atomic_bool s_never_stop = false;

//  Whether the tile must stop now; remembers a yes.
static inline bool
s_stop_seen (s_state_t *st)
{
    if (atomic_load_explicit (st->stop, memory_order_relaxed))
        st->stopped = true;
    return st->stopped;
}

//  mu of escaped pixels, as mf_mu computes it, operation for operation.
static inline vd
s_mu (vd n, vd x, vd y)
{
    vd mag = vfma (x, x, vmul (y, y));
    vd value = mag;
    //  mf_log2 (mf_log2 (mag)).
    for (int round = 0; round < 2; round++) {
        vd e;
        vd m = vfrexp (value, &e);
        vm low = vlt (m, vset1 (0.70710678118654752440));
        m = vsel (low, vmul (m, vset1 (2.0)), m);
        e = vsel (low, vsub (e, vset1 (1.0)), e);
        vd s = vdiv (vsub (m, vset1 (1.0)), vadd (m, vset1 (1.0)));
        vd s2 = vmul (s, s);
        vd p = vset1 (1.0 / 23.0);
        p = vfma (p, s2, vset1 (1.0 / 21.0));
        p = vfma (p, s2, vset1 (1.0 / 19.0));
        p = vfma (p, s2, vset1 (1.0 / 17.0));
        p = vfma (p, s2, vset1 (1.0 / 15.0));
        p = vfma (p, s2, vset1 (1.0 / 13.0));
        p = vfma (p, s2, vset1 (1.0 / 11.0));
        p = vfma (p, s2, vset1 (1.0 / 9.0));
        p = vfma (p, s2, vset1 (1.0 / 7.0));
        p = vfma (p, s2, vset1 (1.0 / 5.0));
        p = vfma (p, s2, vset1 (1.0 / 3.0));
        p = vfma (p, s2, vset1 (1.0));
        vd ln_m = vmul (vmul (vset1 (2.0), s), p);
        value = vadd (e, vmul (ln_m, vset1 (1.44269504088896340736)));
    }
    vd mu = vsub (vadd (n, vset1 (4.0)), value);
    //  An infinite |z|^2 gives -1, which the clamp turns into n - 1.
    mu = vsel (vfinite (mag), mu, vset1 (-1.0));
    vd low = vsub (n, vset1 (1.0));
    mu = vsel (vge (mu, low), mu, low);
    return vsel (vgt (mu, n), n, mu);
}

//  Computes mu for the recorded escapes and stores them.
static void
s_flush_records (s_state_t *st)
{
    size_t count = st->rec_count;
    //  Pad the last vector with a harmless escape.
    for (size_t index = count; index % SIMD_W; index++) {
        st->rec_n [index] = 1.0;
        st->rec_x [index] = 300.0;
        st->rec_y [index] = 0.0;
    }
    for (size_t base = 0; base < count; base += SIMD_W) {
        vd mu = s_mu (vload (st->rec_n + base), vload (st->rec_x + base),
                      vload (st->rec_y + base));
        float out [SIMD_W];
        vtofloat (mu, out);
        for (size_t lane = 0; lane < SIMD_W && base + lane < count; lane++)
            st->mu [st->rec_pixel [base + lane]] = out [lane];
    }
    st->rec_count = 0;
}

//  One exact step (the k-th of its block, from 0) of vector v: z advances
//  in every lane (escaped lanes run on into inf and NaN, harmlessly).
//  A lane still alive whose new z escapes is hit: it leaves alive, and
//  (xe, ye) and n hold its z_n and k + 1 from then on. The masks stay off
//  the z dependency chain. Two ways to capture, chosen by the layer:
//  with SIMD_CAPTURE_ALWAYS, (xe, ye, n) follow every alive lane at every
//  step (AVX-512: merge-masked, nearly free); otherwise hits, which are
//  rare, are captured behind a branch (cheaper where a blend costs a
//  full operation, as in AVX2).
#if SIMD_CAPTURE_ALWAYS
#define S_EXACT_STEP(v, ci_v, k) do { \
    vd x2_ = vadd (x [v], x [v]); \
    x [v] = vfma (x [v], x [v], vsub (cr [v], yy [v])); \
    y [v] = vfma (x2_, y [v], ci_v); \
    yy [v] = vmul (y [v], y [v]); \
    vd mag_ = vfma (x [v], x [v], yy [v]); \
    xe [v] = vsel (alive [v], x [v], xe [v]); \
    ye [v] = vsel (alive [v], y [v], ye [v]); \
    n [v] = vinc (alive [v], n [v]); \
    alive [v] = vandnot (alive [v], vesc (mag_)); \
    (void) (k); \
} while (0)
#else
#define S_EXACT_STEP(v, ci_v, k) do { \
    vd x2_ = vadd (x [v], x [v]); \
    x [v] = vfma (x [v], x [v], vsub (cr [v], yy [v])); \
    y [v] = vfma (x2_, y [v], ci_v); \
    yy [v] = vmul (y [v], y [v]); \
    vm hit_ = vand (alive [v], vesc (vfma (x [v], x [v], yy [v]))); \
    if (vbits (hit_)) { \
        xe [v] = vsel (hit_, x [v], xe [v]); \
        ye [v] = vsel (hit_, y [v], ye [v]); \
        n [v] = vsel (hit_, vset1 ((double) (k) + 1.0), n [v]); \
        alive [v] = vandnot (alive [v], hit_); \
    } \
} while (0)
#endif

//  Interior of the main cardioid or of the period-2 bulb, shrunk by
//  their margins (see the top of this file), for a vector of points.
static inline vm
s_inside (vd cr, vd ci)
{
    //  Main cardioid, on the scaled point: q (q + a) < ci^2 / 4.
    vd cis = vmul (ci, vset1 (CARDIOID_SCALE));
    vd cis2 = vmul (cis, cis);
    vd a = vsub (vmul (cr, vset1 (CARDIOID_SCALE)), vset1 (0.25));
    vd q = vadd (vmul (a, a), cis2);
    vm inside = vlt (vmul (q, vadd (q, a)), vmul (vset1 (0.25), cis2));
    //  Period-2 bulb: |c + 1| < 0.999 / 4.
    vd b = vadd (cr, vset1 (1.0));
    return vor (inside, vlt (vadd (vmul (b, b), vmul (ci, ci)),
                             vset1 (0.25 * BULB_MARGIN * 0.25 * BULB_MARGIN)));
}

//  The pre-pass of SIMD_PV vectors of the current row, from column col:
//  cardioid and bulb pixels are done at once; the others iterate up to
//  `steps` exact steps (all of them stop early once every lane is done).
//  Escaped pixels get their mu, those out of iterations -1, and the rest
//  are queued for the lanes, with their z.
static void
s_prepass_group (s_state_t *st, uint32_t col, int steps, vd ci, float *out)
{
    vd x [SIMD_PV], y [SIMD_PV], yy [SIMD_PV], xe [SIMD_PV], ye [SIMD_PV];
    vd cr [SIMD_PV], n [SIMD_PV];
    vm alive [SIMD_PV], start [SIMD_PV];
    unsigned any = 0;
    vd width = vset1 (st->task->rect.w);
    S_UNROLL
    for (int v = 0; v < SIMD_PV; v++) {
        cr [v] = vload (st->row_cr + col + v * SIMD_W);
        x [v] = y [v] = yy [v] = xe [v] = ye [v] = n [v] = vset1 (0.0);
        //  Lanes past the end of the row never iterate.
        vd column = vadd (vset1 (col + v * SIMD_W), vload (st->lane_index));
        start [v] = alive [v] = vandnot (vlt (column, width), s_inside (cr [v], ci));
        any |= vbits (alive [v]);
    }
    int done = 0;
    for (int k = 0; any && k < steps; k += 4) {
        for (int j = 0; j < 4 && k + j < steps; j++)
            S_UNROLL
            for (int v = 0; v < SIMD_PV; v++)
                S_EXACT_STEP (v, ci, k + j);
        done = k + 4 < steps? k + 4: steps;
        any = 0;
        S_UNROLL
        for (int v = 0; v < SIMD_PV; v++)
            any |= vbits (alive [v]);
    }
    const mf_rect_t *r = &st->task->rect;
    vd maxiter = vset1 (st->maxiter), counted = vset1 (0.0);
    S_UNROLL
    for (int v = 0; v < SIMD_PV; v++) {
        uint32_t at = col + (uint32_t) v * SIMD_W;
        if (at >= r->w)
            break;
        //  Lanes still alive did every step, and end where z is now.
        n [v] = vsel (alive [v], vset1 (done), n [v]);
        xe [v] = vsel (alive [v], x [v], xe [v]);
        ye [v] = vsel (alive [v], y [v], ye [v]);
        vm escaped = vandnot (start [v], alive [v]);
        vm over = vand (alive [v], vge (n [v], maxiter));
        unsigned queued = vbits (vandnot (alive [v], over));
        //  -1 for the interior; queued pixels are written when they end.
        vd mu = vset1 (MF_MU_INTERIOR);
        if (vbits (escaped))
            mu = vsel (escaped, s_mu (n [v], xe [v], ye [v]), mu);
        counted = vadd (counted, vadd (vsel (escaped, n [v], vset1 (0.0)),
                                       vsel (over, maxiter, vset1 (0.0))));
        if (r->w - at >= SIMD_W)
            vtofloat (mu, out + at);
        else {
            float part [SIMD_W];
            vtofloat (mu, part);
            memcpy (out + at, part, (r->w - at) * sizeof (float));
            queued &= (1u << (r->w - at)) - 1;
        }
        if (queued) {
            vstore (st->row_x + at, xe [v]);
            vstore (st->row_y + at, ye [v]);
            vstore (st->row_n + at, n [v]);
            while (queued) {
                uint32_t lane = (uint32_t) __builtin_ctz (queued);
                queued &= queued - 1;
                st->queue [st->queue_count++] = at + lane;
            }
        }
    }
    _Alignas (64) double sum [SIMD_W];
    vstore (sum, counted);
    for (int lane = 0; lane < SIMD_W; lane++)
        st->iterations += (uint64_t) sum [lane];
}

//  Takes the next row of the tile through the pre-pass. Returns 0 when
//  pixels are queued, -1 when no row is left.
static int
s_next_row (s_state_t *st)
{
    const mf_rect_t *r = &st->task->rect;
    int steps = st->maxiter < SIMD_PRE? (int) st->maxiter: SIMD_PRE;
    //  A stop leaves no row to take: the lanes empty and s_band returns.
    while (st->next_row < r->h && !s_stop_seen (st)) {
        uint32_t row = st->next_row++;
        double ci = mf_pixel_im (&st->task->map, r->y + row);
        st->row_ci = ci;
        st->queue_next = 0;
        st->queue_count = 0;
        float *out = st->mu + row * st->stride;
        for (uint32_t col = 0; col < r->w; col += SIMD_PV * SIMD_W)
            s_prepass_group (st, col, steps, vset1 (ci), out);
        if (st->queue_count)
            return 0;
    }
    return -1;
}

//  Gives lane (v, lane) the next pixel, or empties it.
static void
s_refill (s_state_t *st, int v, int lane)
{
    unsigned bit = 1u << lane;
    if (st->queue_next == st->queue_count && s_next_row (st)) {
        if (st->occupied [v] & bit)
            st->lanes_busy--;
        st->occupied [v] &= ~bit;
        st->cr [v][lane] = st->ci [v][lane] = 0.0;
        st->x [v][lane] = st->y [v][lane] = 0.0;
        st->n [v][lane] = 0.0;
        st->save [v][lane] = INFINITY;
        return;
    }
    uint32_t col = st->queue [st->queue_next++];
    if (!(st->occupied [v] & bit))
        st->lanes_busy++;
    st->occupied [v] |= bit;
    st->pixel [v][lane] = (uint32_t) ((st->next_row - 1) * st->stride + col);
    st->cr [v][lane] = st->row_cr [col];
    st->ci [v][lane] = st->row_ci;
    st->x [v][lane] = st->row_x [col];
    st->y [v][lane] = st->row_y [col];
    st->n [v][lane] = st->row_n [col];
    st->save [v][lane] = st->row_n [col] + SIMD_K;
    uint64_t none = S_NO_SAVE_BITS;
    memcpy (&st->xs [v][lane], &none, sizeof none);
    memcpy (&st->ys [v][lane], &none, sizeof none);
}

//  The cycle test at a block end (x, y, n: the lane state there): bits of
//  the lanes whose z equals the saved one; moves the saves that are due.
static inline unsigned
s_cycle_test (s_state_t *st, int v, vd x, vd y, vd n)
{
    vd xs = vload (st->xs [v]), ys = vload (st->ys [v]), save = vload (st->save [v]);
    unsigned same = vbits (vand (vsame (x, xs), vsame (y, ys)));
    vm due = vge (n, save);
    vstore (st->xs [v], vsel (due, x, xs));
    vstore (st->ys [v], vsel (due, y, ys));
    vstore (st->save [v], vsel (due, vadd (n, n), save));
    return same;
}

//  Fast blocks, one after the other, while no lane is finished: SIMD_K
//  iterations on every vector with no test inside, then the tests at the
//  block end (escape, maxiter, and every CYCLE_EVERY blocks the cycle
//  test). Leaves the last block's start in x0, y0, n0, its end in x, y,
//  n, and sets escaped[] and done[]. Returns the number of blocks run.
static unsigned
s_run_fast (s_state_t *st, unsigned *blocks)
{
    vd x [SIMD_V], y [SIMD_V];
    vd maxiter = vset1 (st->maxiter);
    S_UNROLL
    for (int v = 0; v < SIMD_V; v++) {
        x [v] = vload (st->x [v]);
        y [v] = vload (st->y [v]);
    }
    unsigned run = 0;
    while (1) {
        S_UNROLL
        for (int v = 0; v < SIMD_V; v++) {
            vstore (st->x0 [v], x [v]);
            vstore (st->y0 [v], y [v]);
        }
        for (int k = 0; k < SIMD_K; k++)
            S_UNROLL
            for (int v = 0; v < SIMD_V; v++) {
                vd yy = vmul (y [v], y [v]);
                vd xn = vfma (x [v], x [v], vsub (vload (st->cr [v]), yy));
                vd yn = vfma (vadd (x [v], x [v]), y [v], vload (st->ci [v]));
                x [v] = xn;
                y [v] = yn;
            }
        run++;
        int cycle_test = ++*blocks % CYCLE_EVERY == 0;
        unsigned any = 0;
        S_UNROLL
        for (int v = 0; v < SIMD_V; v++) {
            vd n0 = vload (st->n [v]);
            vd n = vadd (n0, vset1 (SIMD_K));
            vstore (st->n [v], n);
            vd mag = vfma (x [v], x [v], vmul (y [v], y [v]));
            //  A lane that escaped in this block keeps the block's start
            //  for its replay, and runs on (into inf and NaN) until enough
            //  lanes wait to make the replays worth their cost.
            unsigned fresh = vbits (vesc (mag)) & st->occupied [v] & ~st->pending [v];
            if (fresh) {
                vm m = vmask (fresh);
                vstore (st->px0 [v], vsel (m, vload (st->x0 [v]), vload (st->px0 [v])));
                vstore (st->py0 [v], vsel (m, vload (st->y0 [v]), vload (st->py0 [v])));
                vstore (st->pn0 [v], vsel (m, n0, vload (st->pn0 [v])));
                st->pending [v] |= fresh;
                st->pending_count += (unsigned) __builtin_popcount (fresh);
            }
            unsigned done = vbits (vge (n, maxiter));
            if (cycle_test)
                done |= s_cycle_test (st, v, x [v], y [v], n);
            st->done [v] = done & st->occupied [v] & ~st->pending [v];
            any |= st->done [v];
        }
        if (any || st->pending_count * PENDING_DEN >= SIMD_LANES * PENDING_NUM
        ||  st->pending_count >= st->lanes_busy || s_stop_seen (st))
            break;
    }
    S_UNROLL
    for (int v = 0; v < SIMD_V; v++) {
        vstore (st->x [v], x [v]);
        vstore (st->y [v], y [v]);
    }
    return run;
}

//  SIMD_K exact steps, from the block's starting state, on the vectors
//  whose bit is set in which: lanes that escape keep their exact n and
//  z_n. Sets escaped[] for those vectors.
static void
s_block_exact (s_state_t *st, unsigned which, int steps)
{
    vd x [SIMD_V], y [SIMD_V], yy [SIMD_V], xe [SIMD_V], ye [SIMD_V];
    vd cr [SIMD_V], ci [SIMD_V], n [SIMD_V];
    vm alive [SIMD_V];
    S_UNROLL
    for (int v = 0; v < SIMD_V; v++) {
        x [v] = vload (st->x0 [v]);
        y [v] = vload (st->y0 [v]);
        n [v] = vset1 (0.0);
        cr [v] = vload (st->cr [v]);
        ci [v] = vload (st->ci [v]);
        yy [v] = vmul (y [v], y [v]);
        xe [v] = x [v];
        ye [v] = y [v];
        alive [v] = vmall ();
    }
    for (int k = 0; k < steps; k++)
        S_UNROLL
        for (int v = 0; v < SIMD_V; v++)
            if (which >> v & 1)
                S_EXACT_STEP (v, ci [v], k);
    S_UNROLL
    for (int v = 0; v < SIMD_V; v++)
        if (which >> v & 1) {
            //  Lanes still alive hold the block's end, the others z_n.
            vd n0 = vload (st->n0 [v]);
            vstore (st->x [v], vsel (alive [v], x [v], xe [v]));
            vstore (st->y [v], vsel (alive [v], y [v], ye [v]));
            vstore (st->n [v], vadd (n0, vsel (alive [v], vset1 (steps), n [v])));
            st->escaped [v] = ~vbits (alive [v]) & st->occupied [v];
        }
}

//  After fast blocks: replays up to SIMD_RV of the vectors (their indices
//  in list), each pending lane from the start of the block in which it
//  escaped, with a test at every step, until every pending lane has met
//  its escape; those lanes get their exact n and z_n, the others keep
//  their state. Only the replayed vectors
//  are held in registers: a replay is short and latency-bound, and should
//  not spill.
static void
s_replay_group (s_state_t *st, const int *list, int count)
{
    vd x [SIMD_RV], y [SIMD_RV], yy [SIMD_RV], xe [SIMD_RV], ye [SIMD_RV];
    vd cr [SIMD_RV], ci [SIMD_RV], n [SIMD_RV];
    vm alive [SIMD_RV];
    S_UNROLL
    for (int r = 0; r < SIMD_RV; r++) {
        int v = list [r < count? r: 0];
        x [r] = vload (st->px0 [v]);
        y [r] = vload (st->py0 [v]);
        n [r] = vset1 (0.0);
        cr [r] = vload (st->cr [v]);
        ci [r] = vload (st->ci [v]);
        yy [r] = vmul (y [r], y [r]);
        xe [r] = x [r];
        ye [r] = y [r];
        alive [r] = vmall ();
    }
    for (int k = 0; k < SIMD_K; k += 4) {
        for (int j = 0; j < 4; j++)
            S_UNROLL
            for (int r = 0; r < SIMD_RV; r++)
                if (r < count)
                    S_EXACT_STEP (r, ci [r], k + j);
        unsigned pending = 0;
        S_UNROLL
        for (int r = 0; r < SIMD_RV; r++)
            if (r < count)
                pending |= st->pending [list [r]] & vbits (alive [r]);
        if (!pending)
            break;
    }
    S_UNROLL
    for (int r = 0; r < SIMD_RV; r++)
        if (r < count) {
            int v = list [r];
            vm dead = vandnot (vmask (st->pending [v]), alive [r]);
            vd n0 = vload (st->pn0 [v]);
            vstore (st->x [v], vsel (dead, xe [r], vload (st->x [v])));
            vstore (st->y [v], vsel (dead, ye [r], vload (st->y [v])));
            vstore (st->n [v], vsel (dead, vadd (n0, n [r]), vload (st->n [v])));
        }
}

//  Replays the vectors whose bit is set in which, SIMD_RV at a time.
static void
s_replay (s_state_t *st, unsigned which)
{
    int list [SIMD_V], count = 0;
    for (int v = 0; v < SIMD_V; v++)
        if (which >> v & 1)
            list [count++] = v;
    for (int at = 0; at < count; at += SIMD_RV)
        s_replay_group (st, list + at, count - at < SIMD_RV? count - at: SIMD_RV);
}

//  Makes the current state the start of the next block.
static void
s_block_start (s_state_t *st)
{
    for (int v = 0; v < SIMD_V; v++) {
        vstore (st->x0 [v], vload (st->x [v]));
        vstore (st->y0 [v], vload (st->y [v]));
        vstore (st->n0 [v], vload (st->n [v]));
    }
}

//  The tests at the end of an exact block, for every vector: sets done[].
static void
s_checks (s_state_t *st, int cycle_test)
{
    vd maxiter = vset1 (st->maxiter);
    for (int v = 0; v < SIMD_V; v++) {
        vd n = vload (st->n [v]);
        unsigned done = st->escaped [v] | vbits (vge (n, maxiter));
        if (cycle_test)
            done |= s_cycle_test (st, v, vload (st->x [v]), vload (st->y [v]), n);
        st->done [v] = done & st->occupied [v];
    }
}

//  Finishes the lanes of done[] (escaped, out of iterations, or cyclic)
//  and gives them new pixels.
static void
s_finish (s_state_t *st)
{
    for (int v = 0; v < SIMD_V; v++) {
        unsigned done = st->done [v];
        unsigned escaped = st->escaped [v];
        while (done) {
            int lane = __builtin_ctz (done);
            done &= done - 1;
            uint32_t pixel = st->pixel [v][lane];
            double count = st->n [v][lane];
            if ((escaped >> lane & 1) && count <= st->maxiter) {
                size_t index = st->rec_count++;
                st->rec_n [index] = count;
                st->rec_x [index] = st->x [v][lane];
                st->rec_y [index] = st->y [v][lane];
                st->rec_pixel [index] = pixel;
                if (st->rec_count == SIMD_RECORDS)
                    s_flush_records (st);
            }
            else {
                if (count > st->maxiter)
                    count = st->maxiter;
                st->mu [pixel] = MF_MU_INTERIOR;
            }
            st->iterations += (uint64_t) count;
            s_refill (st, v, lane);
        }
    }
}

//  Computes a band of at most MF_TILE_MAX_EDGE columns: task->rect, whose
//  top left pixel goes to mu, rows stride floats apart. Returns its
//  iterations, or MF_KERNEL_STOPPED if *stop was seen set.
static uint64_t
s_band (const mf_task_t *task, float *mu, size_t stride, const atomic_bool *stop)
{
    //  Not zeroed: every array is written before it is read (lanes by
    //  s_refill, block starts by the blocks, rows by the pre-pass).
    s_state_t state;
    s_state_t *st = &state;
    st->task = task;
    st->mu = mu;
    st->stride = stride;
    st->maxiter = task->maxiter;
    st->iterations = 0;
    st->stop = stop? stop: &s_never_stop;
    st->stopped = false;
    st->rec_count = 0;
    st->queue_next = st->queue_count = 0;
    st->next_row = 0;
    st->lanes_busy = 0;
    const mf_rect_t *r = &task->rect;
    for (int lane = 0; lane < SIMD_W; lane++)
        st->lane_index [lane] = lane;
    for (uint32_t col = 0; col < r->w; col++)
        st->row_cr [col] = mf_pixel_re (&task->map, r->x + col);
    for (uint32_t col = r->w; col < SIMD_ROW_MAX; col++)
        st->row_cr [col] = 0.0;
    st->pending_count = 0;
    for (int v = 0; v < SIMD_V; v++) {
        st->pending [v] = 0;
        for (int lane = 0; lane < SIMD_W; lane++)
            st->px0 [v][lane] = st->py0 [v][lane] = st->pn0 [v][lane] = 0.0;
        st->occupied [v] = 0;
        for (int lane = 0; lane < SIMD_W; lane++)
            s_refill (st, v, lane);
    }
    //  Vectors that had an escape, in each of the last 8 blocks, one byte
    //  a block: while they are many, exact blocks are cheaper than fast
    //  blocks and replays.
    uint64_t history = 0;
    unsigned blocks = 0;
    const unsigned all = (1u << SIMD_V) - 1;
    while (st->lanes_busy && !s_stop_seen (st)) {
        unsigned which = 0;
        unsigned recent = (unsigned) ((history * 0x0101010101010101ULL) >> 56);
        if (recent * MODE_SHARE_DEN <= 8 * SIMD_V * MODE_SHARE_NUM) {
            unsigned run = s_run_fast (st, &blocks);
            if (st->stopped)
                break;
            for (int v = 0; v < SIMD_V; v++)
                which |= (st->pending [v] != 0) << v;
            if (which)
                s_replay (st, which);
            for (int v = 0; v < SIMD_V; v++) {
                st->escaped [v] = st->pending [v];
                st->done [v] |= st->pending [v];
                st->pending [v] = 0;
            }
            st->pending_count = 0;
            history = run >= 8? 0: history << (8 * run);
        }
        else {
            s_block_start (st);
            s_block_exact (st, all, SIMD_KE);
            for (int v = 0; v < SIMD_V; v++)
                which |= (st->escaped [v] != 0) << v;
            s_checks (st, ++blocks % CYCLE_EVERY == 0);
            history <<= 8;
        }
        history |= (uint64_t) __builtin_popcount (which);
        s_finish (st);
    }
    if (st->stopped)
        return MF_KERNEL_STOPPED;
    s_flush_records (st);
    return st->iterations;
}

//  The kernel: any tile, cut in bands of at most MF_TILE_MAX_EDGE columns
//  (the protocol's tiles are never wider; a caller's image may be).
static uint64_t
s_kernel (const mf_task_t *task, float *mu, const atomic_bool *stop)
{
    uint64_t iterations = 0;
    for (uint32_t col = 0; col < task->rect.w; col += MF_TILE_MAX_EDGE) {
        mf_task_t band = *task;
        band.rect.x += col;
        band.rect.w = task->rect.w - col < MF_TILE_MAX_EDGE? task->rect.w - col: MF_TILE_MAX_EDGE;
        uint64_t done = s_band (&band, mu + col, task->rect.w, stop);
        if (done == MF_KERNEL_STOPPED)
            return MF_KERNEL_STOPPED;
        iterations += done;
    }
    return iterations;
}

#endif
