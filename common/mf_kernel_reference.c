/*  mf_kernel_reference: the plain loop that defines every pixel's bits.
    Every variant must match it bit for bit (tests/test_kernel_variants.c).
    fma() is exact by definition, so this loop rounds the same way whether
    the C library uses an FMA instruction or not. It is slow on purpose:
    no shortcut, one pixel at a time.
*/
#include "mf_kernel.h"
#include "mf_mu.h"

#include <math.h>

//  Iterations of one orbit between two looks at the stop flag, minus one
//  (a mask): about a millisecond of this loop.
#define STOP_EVERY_MASK 0xffffu

uint64_t
mf_kernel_reference (const mf_task_t *task, float *mu, const atomic_bool *stop)
{
    static const atomic_bool never = false;
    if (!stop)
        stop = &never;
    const mf_rect_t *r = &task->rect;
    uint64_t total = 0;
    for (uint32_t row = 0; row < r->h; row++) {
        double ci = mf_pixel_im (&task->map, r->y + row);
        for (uint32_t col = 0; col < r->w; col++) {
            //  Before each pixel, and inside long orbits.
            if (atomic_load_explicit (stop, memory_order_relaxed))
                return MF_KERNEL_STOPPED;
            double cr = mf_pixel_re (&task->map, r->x + col);
            double x = 0, y = 0;
            float value = MF_MU_INTERIOR;
            uint32_t n;
            for (n = 1; n <= task->maxiter; n++) {
                double yy = y * y;
                double xn = fma (x, x, cr - yy);
                double yn = fma (x + x, y, ci);
                x = xn;
                y = yn;
                if (!(fma (x, x, y * y) <= MF_BAILOUT_SQ)) {
                    value = mf_mu (n, x, y);
                    break;
                }
                if ((n & STOP_EVERY_MASK) == 0
                &&  atomic_load_explicit (stop, memory_order_relaxed))
                    return MF_KERNEL_STOPPED;
            }
            total += n > task->maxiter? task->maxiter: n;
            mu [row * r->w + col] = value;
        }
    }
    return total;
}
