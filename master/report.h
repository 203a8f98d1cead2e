/*  mf_report: who did what in a render, for people (the summary's lines
    per worker) and for scripts (the "workers" list of --stats).

    A worker's share is its part of the iterations the farm computed
    (accepted results only), not of the tiles: tiles differ in cost by
    orders of magnitude, iterations are the work. Its Giter/s is its
    iterations over the render's wall time, so the workers' rates add up
    to the farm's.
*/
#ifndef MF_REPORT_H
#define MF_REPORT_H

#include "engine.h"

#include <stdio.h>

#define MF_REPORT_LINES 16              //  workers the summary names; --stats has all

//  Says through mf_say one line per worker of the engine (the busiest
//  first, at most MF_REPORT_LINES, then how many more): its name, tiles,
//  Giter/s over seconds of render and share of the iterations, kernel
//  and threads. Silent when no worker was seen.
void mf_report_say (mf_engine_t *engine, double seconds);

//  Writes to f the "workers" member of the --stats object (a JSON array
//  of one object per worker seen, in the order they joined), without a
//  comma or newline after it. Every text a worker sent is escaped.
void mf_report_json (FILE *f, mf_engine_t *engine, double seconds);

#endif
