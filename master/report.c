/*  mf_report: see report.h. */
#include "report.h"
#include "mf_log.h"
#include "mf_util.h"

#include <stdlib.h>
#include <string.h>

#define NAME_WIDTH 32                   //  characters the name column takes at most

typedef struct {
    const mf_worker_info_t *info;       //  the engine's record
    size_t order;                       //  its index: joining order
    double giter;                       //  Giter/s over the render's time
    double share;                       //  percent of the farm's iterations
} s_row_t;

//  The busiest first: more iterations, then more tiles, then joined first.
static int
s_busier (const void *a, const void *b)
{
    const s_row_t *left = a, *right = b;
    if (left->info->iterations != right->info->iterations)
        return left->info->iterations > right->info->iterations? -1: 1;
    if (left->info->tiles != right->info->tiles)
        return left->info->tiles > right->info->tiles? -1: 1;
    return left->order < right->order? -1: left->order > right->order;
}

//  Every worker the engine has seen, with its rate and share, in joining
//  order; *count_p gets how many. NULL when there is none or out of memory.
static s_row_t *
s_rows (mf_engine_t *engine, double seconds, size_t *count_p)
{
    size_t count = 0;
    uint64_t total = 0;
    const mf_worker_info_t *info;
    for (; (info = mf_engine_worker (engine, count)); count++)
        total += info->iterations;
    *count_p = 0;
    s_row_t *rows = count? calloc (count, sizeof (s_row_t)): NULL;
    if (!rows)
        return NULL;
    for (size_t index = 0; index < count; index++) {
        info = mf_engine_worker (engine, index);
        rows [index].info = info;
        rows [index].order = index;
        rows [index].giter = seconds > 0? info->iterations / seconds / 1e9: 0;
        rows [index].share = total? 100.0 * info->iterations / total: 0;
    }
    *count_p = count;
    return rows;
}

void
mf_report_say (mf_engine_t *engine, double seconds)
{
    size_t count;
    s_row_t *rows = s_rows (engine, seconds, &count);
    if (!rows)
        return;
    qsort (rows, count, sizeof (s_row_t), s_busier);
    int width = 0;
    for (size_t index = 0; index < count; index++) {
        int len = (int) strlen (rows [index].info->name);
        width = len > width? len: width;
    }
    width = width > NAME_WIDTH? NAME_WIDTH: width;
    size_t shown = count > MF_REPORT_LINES? MF_REPORT_LINES: count;
    for (size_t index = 0; index < shown; index++) {
        const mf_worker_info_t *info = rows [index].info;
        mf_say ("  %-*s %8llu tile%s %8.3f Giter/s %5.1f%%  (%s, %u thread%s%s)",
                width, info->name, (unsigned long long) info->tiles,
                info->tiles == 1? " ": "s", rows [index].giter, rows [index].share,
                info->kernel, info->threads, info->threads == 1? "": "s",
                info->quarantined? ", quarantined": info->connected? "": ", gone");
    }
    if (count > shown)
        mf_say ("  and %zu more (--stats lists them all)", count - shown);
    free (rows);
}

void
mf_report_json (FILE *f, mf_engine_t *engine, double seconds)
{
    size_t count;
    s_row_t *rows = s_rows (engine, seconds, &count);
    fprintf (f, "\"workers\": [");
    for (size_t index = 0; index < count; index++) {
        const mf_worker_info_t *worker = rows [index].info;
        //  Room for every byte escaped as \u00XX, and the quotes.
        char name [6 * sizeof worker->name + 3], host [6 * sizeof worker->host + 3];
        char kernel [6 * sizeof worker->kernel + 3];
        mf_json_string (worker->name, name, sizeof name);
        mf_json_string (worker->host, host, sizeof host);
        mf_json_string (worker->kernel, kernel, sizeof kernel);
        fprintf (f, "%s\n    { \"name\": %s, \"host\": %s, \"pid\": %u, \"kernel\": %s, "
                 "\"threads\": %u, \"cores\": %u, \"speed\": %u, "
                 "\"tiles\": %llu, \"pixels\": %llu, \"iterations\": %llu, "
                 "\"giter_per_second\": %.6f, \"share_percent\": %.3f, "
                 "\"chunks\": %llu, \"chunk_bytes\": %llu, "
                 "\"declined\": %llu, \"connected\": %s, \"quarantined\": %s }",
                 index? ",": "", name, host, worker->pid, kernel, worker->threads,
                 worker->cores, worker->speed, (unsigned long long) worker->tiles,
                 (unsigned long long) worker->pixels, (unsigned long long) worker->iterations,
                 rows [index].giter, rows [index].share,
                 (unsigned long long) worker->chunks, (unsigned long long) worker->chunk_bytes,
                 (unsigned long long) worker->declined, worker->connected? "true": "false",
                 worker->quarantined? "true": "false");
    }
    fprintf (f, "%s]", count? "\n  ": "");
    free (rows);
}
