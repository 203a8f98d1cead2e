/*  mf_options: see options.h. */
#include "options.h"
#include "engine.h"
#include "mf_beacon.h"
#include "mf_endpoint.h"
#include "mf_kernel.h"
#include "mf_outdir.h"
#include "mf_outfile.h"
#include "mf_proto.h"
#include "mf_tiles.h"
#include "movie.h"
#include "mf_util.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <mpfr.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum {
    OPT_SIZE = 256, OPT_CENTER, OPT_WIDTH, OPT_REGION, OPT_ITER, OPT_LISTEN,
    OPT_RAW, OPT_TILE, OPT_PALETTE, OPT_KERNEL, OPT_HEARTBEAT, OPT_CHECKPOINT,
    OPT_STATS, OPT_DEADLINE, OPT_VERIFY, OPT_CERT, OPT_ALLOW, OPT_VIEW, OPT_SCRIPT,
    OPT_ANNOUNCE, OPT_ANNOUNCE_PORT, OPT_PNG16, OPT_DZI, OPT_ZOOM, OPT_FROM, OPT_MOVIE,
    OPT_FROM_WIDTH,
    //  Posters.
    OPT_MEMORY
};

void
mf_options_usage (FILE *out)
{
    fprintf (out,
        "Usage: mandelfarm-master [options]\n"
        "Renders a region of the Mandelbrot set on a farm of workers: local ones it\n"
        "forks, and remote mandelfarm-worker processes that connect to --listen.\n"
        "\n"
        "Region:\n"
        "      --size WxH             image size in pixels (default 1920x1080)\n"
        "      --center RE,IM         center of the view (default -0.75,0), with as many\n"
        "                             digits as a deep view needs\n"
        "      --width W              width of the view in the complex plane (default 3.5),\n"
        "                             any exponent (e.g. 2e-2608); the height follows from\n"
        "                             --size (square pixels)\n"
        "      --zoom Z               instead of --width: the image height spans 4/Z, as in\n"
        "                             Kalles Fraktaler and Fraktaler-3 (paste their center\n"
        "                             and zoom); past double precision the master switches\n"
        "                             to perturbation by itself (README: \"Deep zoom\")\n"
        "      --region XMIN,XMAX,YMIN,YMAX\n"
        "                             the view as a rectangle, instead of --center/--width\n"
        "                             (doubles only)\n"
        "      --iter N|auto          maximum iterations (default 1000); auto, for a deep\n"
        "                             view: chosen from its reference orbit\n"
        "      --from FILE.png        the view a PNG's metadata names (one this program or\n"
        "                             the viewer wrote); the flags given override it\n"
        "\n"
        "Movie:\n"
        "      --movie N              render N frames zooming exponentially into the view,\n"
        "                             centered on it, into -o as a pattern (default\n"
        "                             %s); a movie run again computes only what\n"
        "                             is missing (README: \"Movies\")\n"
        "      --from-width W0        the first frame's width (default 3.5)\n"
        "\n"
        "Farm:\n"
        "  -j, --local-workers N      local workers to fork (default %d, the online CPUs;\n"
        "                             0: none, only remote workers); for a deep view one\n"
        "                             worker with N threads (one BLA table for them all)\n"
        "      --listen ENDPOINT      also accept remote workers: tcp://ADDRESS:PORT with\n"
        "                             PORT from 1 to 65535 or * (any free one; the master\n"
        "                             says which), e.g. tcp://*:5555 or tcp://*:* (every\n"
        "                             interface), or ipc://PATH\n"
        "      --cert FILE_secret     encrypt the --listen link with CURVE, as this master\n"
        "                             (a secret certificate from mandelfarm-keygen)\n"
        "      --allow DIR            with --cert: admit only workers whose public\n"
        "                             certificate is in DIR\n"
        "      --announce             with a tcp:// --listen: broadcast a beacon every\n"
        "                             second, so that workers started without --connect\n"
        "                             find this master on the LAN segment (never by default)\n"
        "      --announce-port PORT   the beacons' UDP port (default %d)\n"
        "      --tile N               tile edge in pixels, %d to %d (default %d)\n"
        "      --heartbeat MS         heartbeat interval; silent workers are dropped\n"
        "                             after 3 intervals (default %d)\n"
        "      --kernel NAME          kernel of the local workers (here: %s)\n"
        "\n"
        "Faults:\n"
        "      --checkpoint FILE      journal finished tiles to FILE; run the same command\n"
        "                             again after a crash to compute only what is missing\n"
        "                             (FILE is removed when the render completes)\n"
        "      --verify P             compute P %% of the tiles twice, on two different\n"
        "                             workers; a worker caught disagreeing with the\n"
        "                             master's own computation is quarantined\n"
        "      --deadline SECONDS     give up (status 1) if not done by then\n"
        "      --stats FILE           write the master's counters as JSON at exit\n"
        "\n"
        "Output:\n"
        "  -o FILE                    PNG to write (default mandelbrot.png); with --movie a\n"
        "                             pattern with one %%d, e.g. frames/f%%05d.png\n"
        "      --raw FILE.npy         also write mu as a NumPy array: float32, or float64\n"
        "                             for a deep view\n"
        "      --png16                write -o at 16 bits per channel, for print\n"
        "      --dzi DIR              also write a zoomable web view into DIR (new or\n"
        "                             empty): a DZI tile pyramid and DIR/index.html\n"
        "      --palette NAME         %s (default classic)\n"
        "      --memory MB            an image whose mu take more than MB MiB is a poster:\n"
        "                             computed and written band by band, in bounded\n"
        "                             memory (default %d)\n"
        "\n"
        "Viewer:\n"
        "      --view                 open a window instead of writing a PNG: watch the\n"
        "                             tiles arrive, explore with the mouse (h: the keys)\n"
        "      --script FILE          play the viewer actions in FILE (implies --view)\n"
        "\n"
        "  -q, --quiet                no progress bar, no summary\n"
        "  -v, --verbose              log workers joining and leaving\n"
        "                             (of -q and -v, the last one given counts)\n"
        "  -h, --help                 this help\n"
        "  -V, --version              print the version\n"
        "\n"
        "Exit status: 0 on success, 2 on a usage error, 1 on any other failure.\n",
        MF_MOVIE_DEFAULT_OUTPUT, mf_online_cpus (), MF_BEACON_PORT, MF_TILE_MIN_EDGE, MF_TILE_MAX_EDGE, MF_TILE_DEFAULT_EDGE,
        MF_ENGINE_HEARTBEAT, mf_kernel_names (), mf_palette_names (), MF_DEFAULT_MEMORY_MB);
}

static int
s_fail (char *err, size_t errlen, const char *flag, const char *value, const char *allowed)
{
    snprintf (err, errlen, "%s: '%s' is not allowed; %s", flag, value, allowed);
    return -1;
}

//  Whether --announce can tell workers on the LAN where --listen is.
//  Returns NULL, or the refusal.
static const char *
s_check_announce (const char *listen)
{
    if (!listen)
        return "--announce needs --listen tcp://*:PORT: the beacon tells workers on the LAN "
               "where the master listens";
    if (strncmp (listen, "tcp://", 6))
        return "--announce needs a tcp:// --listen (e.g. tcp://*:5555): workers on the LAN "
               "cannot reach an ipc:// socket";
    if (mf_endpoint_is_loopback (listen))
        return "--announce: --listen on a loopback address reaches only this machine; "
               "listen on tcp://*:PORT or a LAN address to be found by workers on the LAN";
    if (listen [6] == '[')
        return "--announce: beacons are IPv4 broadcasts; listen on tcp://*:PORT or an "
               "IPv4 address, not an IPv6 one";
    return NULL;
}

//  Reads --center, --width and --zoom (as given, or NULL) at the size
//  opts holds: a shallow view into opts->view, a deep one into
//  opts->deep. Without any of them the default view stays. Returns 0,
//  or -1 with one line in err.
static int
s_read_view (mf_options_t *opts, const char *center, const char *width, const char *zoom,
             char *err, size_t errlen)
{
    if (!center && !width && !zoom)
        return 0;
    char fallback [64];
    snprintf (fallback, sizeof fallback, "%g,%g", MF_DEFAULT_CENTER_RE, MF_DEFAULT_CENTER_IM);
    mf_deep_view_t *view = mf_deep_view_new (center? center: fallback,
                                             zoom? NULL: width? width: "3.5", zoom,
                                             opts->view.pixel_w, opts->view.pixel_h,
                                             err, errlen);
    if (!view)
        return -1;
    if (mf_deep_view_shallow (view, &opts->view) == 0) {
        //  Today's doubles, today's path, today's bytes.
        mf_deep_view_destroy (&view);
        return 0;
    }
    opts->deep = view;
    //  For messages only: the rendering reads the exact view.
    const char *text = mf_deep_view_center_text (view);
    const char *comma = strchr (text, ',');
    opts->view.center_re = strtod (text, NULL);
    opts->view.center_im = comma? strtod (comma + 1, NULL): 0;
    opts->view.width = strtod (mf_deep_view_width_text (view), NULL);
    return 0;
}

void
mf_options_clear (mf_options_t *opts)
{
    mf_deep_view_destroy (&opts->deep);
    free (opts->reference);
    opts->reference = NULL;
}

//  The tEXt keys --from reads, in this order.
enum { FROM_CENTER, FROM_WIDTH, FROM_SIZE, FROM_ITER, FROM_PALETTE, FROM_REFERENCE,
       FROM_BITS, FROM_KEYS };
static const char *const s_from_keys [FROM_KEYS] = {
    "Center", "Width", "Size", "Iterations", "Palette", "Reference", "ReferenceBits"
};

int
mf_options_png_texts (const char *path, const char *flag, const char *const *keys,
                      size_t count, char **values, char *err, size_t errlen)
{
    for (size_t key = 0; key < count; key++)
        values [key] = NULL;
    FILE *file = fopen (path, "rb");
    if (!file) {
        snprintf (err, errlen, "%s: cannot open '%s': %s", flag, path, strerror (errno));
        return -1;
    }
    uint8_t signature [8];
    if (fread (signature, 1, 8, file) != 8 || png_sig_cmp (signature, 0, 8)) {
        fclose (file);
        snprintf (err, errlen, "%s: '%s' is not a PNG file; give a PNG that "
                  "mandelfarm-master or the viewer wrote", flag, path);
        return -1;
    }
    png_structp png = png_create_read_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png? png_create_info_struct (png): NULL;
    if (!info) {
        png_destroy_read_struct (&png, NULL, NULL);
        fclose (file);
        snprintf (err, errlen, "%s: out of memory", flag);
        return -1;
    }
    if (setjmp (png_jmpbuf (png))) {
        png_destroy_read_struct (&png, &info, NULL);
        fclose (file);
        for (size_t key = 0; key < count; key++) {
            free (values [key]);
            values [key] = NULL;
        }
        snprintf (err, errlen, "%s: '%s' is a damaged PNG file; give a PNG that "
                  "mandelfarm-master or the viewer wrote", flag, path);
        return -1;
    }
    png_init_io (png, file);
    png_set_sig_bytes (png, 8);
    png_read_info (png, info);
    png_textp text;
    int texts = 0;
    png_get_text (png, info, &text, &texts);
    int rc = 0;
    for (int index = 0; index < texts && rc == 0; index++)
        for (size_t key = 0; key < count; key++)
            if (strcmp (text [index].key, keys [key]) == 0 && !values [key]
            &&  !(values [key] = strdup (text [index].text))) {
                snprintf (err, errlen, "%s: out of memory", flag);
                rc = -1;
            }
    png_destroy_read_struct (&png, &info, NULL);
    fclose (file);
    if (rc)
        for (size_t key = 0; key < count; key++) {
            free (values [key]);
            values [key] = NULL;
        }
    return rc;
}

//  Checks a reference point's texts ("RE,IM" and bits) as --from read
//  them. Returns 0, or -1 with one line in err.
static int
s_check_reference (const char *path, const char *point, const char *bits, long *precision,
                   char *err, size_t errlen)
{
    const char *comma = strchr (point, ',');
    bool ok = comma && mf_parse_long (bits, MF_DEEP_MARGIN_BITS, MF_DEEP_MAX_PRECISION,
                                      precision) == 0;
    if (ok) {
        mpfr_t value;
        mpfr_init2 (value, 64);
        char *end;
        mpfr_strtofr (value, point, &end, 10, MPFR_RNDN);
        ok = end == comma && end != point && mpfr_number_p (value);
        mpfr_strtofr (value, comma + 1, &end, 10, MPFR_RNDN);
        ok = ok && end != comma + 1 && *end == 0 && mpfr_number_p (value);
        mpfr_clear (value);
    }
    if (!ok) {
        snprintf (err, errlen, "--from: '%s' has a Reference '%.40s' / ReferenceBits '%.20s' "
                  "that does not read as RE,IM and a precision of %d to %d bits; it was not "
                  "written by mandelfarm-master", path, point, bits, MF_DEEP_MARGIN_BITS,
                  MF_DEEP_MAX_PRECISION);
        return -1;
    }
    return 0;
}

//  Reads the view from --region or from --center, --width and --zoom
//  (s_read_view). Returns 0, or -1 with one line in err.
static int
s_read_view_checked (mf_options_t *opts, bool have_region, const double region [4],
                     const char *center, const char *width, const char *zoom,
                     char *err, size_t errlen)
{
    if (have_region)
        return mf_view_from_region (region, opts->view.pixel_w, opts->view.pixel_h,
                                    &opts->view, err, errlen)
               || mf_deep_check_region (&opts->view, err, errlen)? -1: 0;
    return s_read_view (opts, center, width, zoom, err, errlen);
}

//  --from: reads the file's texts (into texts, the caller frees them)
//  and takes the size, iterations, palette and reference point the
//  flags did not give. Returns 0, or -1 with one line in err.
static int
s_from (mf_options_t *opts, char *texts [FROM_KEYS], bool have_size, bool have_iter,
        bool have_palette, bool have_center, bool have_width, char *err, size_t errlen)
{
    const char *path = opts->from;
    if (mf_options_png_texts (path, "--from", s_from_keys, FROM_KEYS, texts, err, errlen))
        return -1;
    if (!texts [FROM_CENTER] || !texts [FROM_WIDTH]) {
        snprintf (err, errlen, "--from: '%s' has no Center and Width texts, so it names no "
                  "view; give a PNG that mandelfarm-master or the viewer wrote", path);
        return -1;
    }
    if (!have_size && texts [FROM_SIZE]
    &&  mf_parse_size (texts [FROM_SIZE], &opts->view.pixel_w, &opts->view.pixel_h)) {
        snprintf (err, errlen, "--from: '%s' has a Size '%.40s' that is not WxH with W and H "
                  "from 1 to 1048576; give --size", path, texts [FROM_SIZE]);
        return -1;
    }
    long value;
    if (!have_iter && texts [FROM_ITER]) {
        if (mf_parse_long (texts [FROM_ITER], 1, MF_MAX_ITER, &value)) {
            snprintf (err, errlen, "--from: '%s' has Iterations '%.40s', not a whole number "
                      "from 1 to %u; give --iter", path, texts [FROM_ITER], MF_MAX_ITER);
            return -1;
        }
        opts->maxiter = (uint32_t) value;
        opts->iter_auto = false;
    }
    if (!have_palette && texts [FROM_PALETTE]) {
        const mf_palette_t *palette = mf_palette_find (texts [FROM_PALETTE]);
        if (!palette) {
            snprintf (err, errlen, "--from: '%s' has the Palette '%.40s', which this version "
                      "does not know (it has %s); give --palette", path, texts [FROM_PALETTE],
                      mf_palette_names ());
            return -1;
        }
        opts->palette = palette;
    }
    //  The reference point suits the file's view only.
    if (texts [FROM_REFERENCE] && !have_center && !have_width && !have_size) {
        if (!texts [FROM_BITS]) {
            snprintf (err, errlen, "--from: '%s' has a Reference text but no ReferenceBits; "
                      "it was not written by mandelfarm-master", path);
            return -1;
        }
        if (s_check_reference (path, texts [FROM_REFERENCE], texts [FROM_BITS],
                               &opts->reference_bits, err, errlen))
            return -1;
        opts->reference = strdup (texts [FROM_REFERENCE]);
        if (!opts->reference) {
            snprintf (err, errlen, "--from: out of memory");
            return -1;
        }
    }
    return 0;
}

static int s_parse (int argc, char *argv [], mf_options_t *opts, char *err, size_t errlen);

int
mf_options_parse (int argc, char *argv [], mf_options_t *opts, char *err, size_t errlen)
{
    int rc = s_parse (argc, argv, opts, err, errlen);
    if (rc)
        mf_options_clear (opts);
    return rc;
}

static int
s_parse (int argc, char *argv [], mf_options_t *opts, char *err, size_t errlen)
{
    memset (opts, 0, sizeof *opts);
    opts->view.pixel_w = MF_DEFAULT_WIDTH_PX;
    opts->view.pixel_h = MF_DEFAULT_HEIGHT_PX;
    opts->view.center_re = MF_DEFAULT_CENTER_RE;
    opts->view.center_im = MF_DEFAULT_CENTER_IM;
    opts->view.width = MF_DEFAULT_VIEW_WIDTH;
    opts->maxiter = MF_DEFAULT_ITER;
    opts->local_workers = mf_online_cpus ();
    opts->output = "mandelbrot.png";
    opts->tile = MF_TILE_DEFAULT_EDGE;
    opts->palette = mf_palette_find ("classic");
    opts->heartbeat_ms = MF_ENGINE_HEARTBEAT;
    opts->announce_port = MF_BEACON_PORT;
    opts->memory_mb = MF_DEFAULT_MEMORY_MB;

    static const struct option longopts [] = {
        { "size", required_argument, NULL, OPT_SIZE },
        { "center", required_argument, NULL, OPT_CENTER },
        { "width", required_argument, NULL, OPT_WIDTH },
        { "zoom", required_argument, NULL, OPT_ZOOM },
        { "region", required_argument, NULL, OPT_REGION },
        { "iter", required_argument, NULL, OPT_ITER },
        { "local-workers", required_argument, NULL, 'j' },
        { "listen", required_argument, NULL, OPT_LISTEN },
        { "output", required_argument, NULL, 'o' },
        { "raw", required_argument, NULL, OPT_RAW },
        { "png16", no_argument, NULL, OPT_PNG16 },
        { "dzi", required_argument, NULL, OPT_DZI },
        { "tile", required_argument, NULL, OPT_TILE },
        //  Posters.
        { "memory", required_argument, NULL, OPT_MEMORY },
        { "palette", required_argument, NULL, OPT_PALETTE },
        { "kernel", required_argument, NULL, OPT_KERNEL },
        { "heartbeat", required_argument, NULL, OPT_HEARTBEAT },
        { "checkpoint", required_argument, NULL, OPT_CHECKPOINT },
        { "stats", required_argument, NULL, OPT_STATS },
        { "deadline", required_argument, NULL, OPT_DEADLINE },
        { "verify", required_argument, NULL, OPT_VERIFY },
        { "cert", required_argument, NULL, OPT_CERT },
        { "allow", required_argument, NULL, OPT_ALLOW },
        { "announce", no_argument, NULL, OPT_ANNOUNCE },
        { "announce-port", required_argument, NULL, OPT_ANNOUNCE_PORT },
        { "view", no_argument, NULL, OPT_VIEW },
        { "script", required_argument, NULL, OPT_SCRIPT },
        { "from", required_argument, NULL, OPT_FROM },
        { "movie", required_argument, NULL, OPT_MOVIE },
        { "from-width", required_argument, NULL, OPT_FROM_WIDTH },
        { "quiet", no_argument, NULL, 'q' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 }
    };
    bool have_center = false, have_width = false, have_region = false, have_output = false;
    const char *center = NULL, *width = NULL, *zoom = NULL;     //  as given
    bool have_announce_port = false;
    bool have_size = false, have_iter = false, have_palette = false;
    double region [4];
    long value;
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long (argc, argv, ":j:o:qvhV", longopts, NULL)) != -1) {
        switch (opt) {
            case OPT_SIZE:
                if (mf_parse_size (optarg, &opts->view.pixel_w, &opts->view.pixel_h))
                    return s_fail (err, errlen, "--size", optarg,
                                   "use WxH with W and H from 1 to 1048576, e.g. 1920x1080");
                have_size = true;
                break;
            //  Read once the size is known (mf_deep_view_new, below).
            case OPT_CENTER:
                center = optarg;
                have_center = true;
                break;
            case OPT_WIDTH:
                width = optarg;
                have_width = true;
                break;
            case OPT_ZOOM:
                zoom = optarg;
                break;
            case OPT_REGION:
                if (mf_parse_doubles (optarg, ',', region, 4))
                    return s_fail (err, errlen, "--region", optarg,
                                   "use XMIN,XMAX,YMIN,YMAX with four finite numbers, "
                                   "e.g. -2.5,1,-0.984375,0.984375");
                have_region = true;
                break;
            case OPT_ITER:
                have_iter = true;
                if (strcmp (optarg, "auto") == 0) {
                    opts->iter_auto = true;
                    opts->maxiter = 0;
                    break;
                }
                if (mf_parse_long (optarg, 1, MF_MAX_ITER, &value))
                    return s_fail (err, errlen, "--iter", optarg,
                                   "use a whole number from 1 to 1000000000, or auto");
                opts->iter_auto = false;
                opts->maxiter = (uint32_t) value;
                break;
            case 'j':
                if (mf_parse_long (optarg, 0, MF_MAX_LOCAL_WORKERS, &value))
                    return s_fail (err, errlen, "--local-workers", optarg,
                                   "use a whole number from 0 to 1024");
                opts->local_workers = (int) value;
                break;
            case OPT_LISTEN: {
                char why [384];
                if (mf_endpoint_check (optarg, true, why, sizeof why)) {
                    snprintf (err, errlen, "--listen: %s", why);
                    return -1;
                }
                opts->listen = optarg;
                break;
            }
            case 'o':
                if (!*optarg)
                    return s_fail (err, errlen, "-o", optarg, "give a file name");
                opts->output = optarg;
                have_output = true;
                break;
            case OPT_RAW:
                if (!*optarg)
                    return s_fail (err, errlen, "--raw", optarg, "give a file name");
                opts->raw = optarg;
                break;
            case OPT_PNG16:
                opts->png16 = true;
                break;
            case OPT_DZI:
                if (!*optarg)
                    return s_fail (err, errlen, "--dzi", optarg,
                                   "give a folder that does not exist yet or is empty");
                opts->dzi = optarg;
                break;
            case OPT_TILE:
                if (mf_parse_long (optarg, MF_TILE_MIN_EDGE, MF_TILE_MAX_EDGE, &value))
                    return s_fail (err, errlen, "--tile", optarg,
                                   "use a whole number of pixels from 8 to 1024");
                opts->tile = (uint32_t) value;
                break;
            //  Posters.
            case OPT_MEMORY:
                if (mf_parse_long (optarg, 1, MF_MAX_MEMORY_MB, &value))
                    return s_fail (err, errlen, "--memory", optarg,
                                   "use a whole number of MiB from 1 to 16777216");
                opts->memory_mb = (uint32_t) value;
                break;
            case OPT_PALETTE:
                have_palette = true;
                opts->palette = mf_palette_find (optarg);
                if (!opts->palette) {
                    char allowed [160];
                    snprintf (allowed, sizeof allowed, "use one of: %s", mf_palette_names ());
                    return s_fail (err, errlen, "--palette", optarg, allowed);
                }
                break;
            case OPT_KERNEL:
                if (!mf_kernel_find (optarg)) {
                    char allowed [160];
                    snprintf (allowed, sizeof allowed, "this machine runs: auto, %s",
                              mf_kernel_names ());
                    return s_fail (err, errlen, "--kernel", optarg, allowed);
                }
                opts->kernel = optarg;
                break;
            case OPT_HEARTBEAT:
                if (mf_parse_long (optarg, MF_PROTO_HB_MIN, MF_PROTO_HB_MAX, &value))
                    return s_fail (err, errlen, "--heartbeat", optarg,
                                   "use a whole number of msecs from 10 to 60000");
                opts->heartbeat_ms = (int) value;
                break;
            case OPT_CHECKPOINT:
                if (!*optarg)
                    return s_fail (err, errlen, "--checkpoint", optarg, "give a file name");
                opts->checkpoint = optarg;
                break;
            case OPT_STATS:
                if (!*optarg)
                    return s_fail (err, errlen, "--stats", optarg, "give a file name");
                opts->stats = optarg;
                break;
            case OPT_DEADLINE:
                if (mf_parse_double (optarg, &opts->deadline) || !(opts->deadline > 0))
                    return s_fail (err, errlen, "--deadline", optarg,
                                   "use a number of seconds above 0, e.g. 600");
                break;
            case OPT_VERIFY:
                if (mf_parse_long (optarg, 0, 100, &value))
                    return s_fail (err, errlen, "--verify", optarg,
                                   "use a whole percentage from 0 to 100");
                opts->verify_percent = (uint32_t) value;
                break;
            case OPT_CERT:
                if (!*optarg)
                    return s_fail (err, errlen, "--cert", optarg,
                                   "give the master's secret certificate (mandelfarm-keygen)");
                opts->cert = optarg;
                break;
            case OPT_ALLOW:
                if (!*optarg)
                    return s_fail (err, errlen, "--allow", optarg,
                                   "give a directory of workers' public certificates");
                opts->allow = optarg;
                break;
            case OPT_ANNOUNCE:
                opts->announce = true;
                break;
            case OPT_ANNOUNCE_PORT:
                if (mf_parse_long (optarg, 1, 65535, &value))
                    return s_fail (err, errlen, "--announce-port", optarg,
                                   "use a UDP port from 1 to 65535 (default 5670)");
                opts->announce_port = (int) value;
                have_announce_port = true;
                break;
            case OPT_VIEW:
                opts->live = true;
                break;
            case OPT_SCRIPT:
                if (!*optarg)
                    return s_fail (err, errlen, "--script", optarg, "give a script file");
                opts->script = optarg;
                opts->live = true;
                break;
            case OPT_FROM:
                if (!*optarg)
                    return s_fail (err, errlen, "--from", optarg, "give a PNG file");
                opts->from = optarg;
                break;
            case OPT_MOVIE:
                if (mf_parse_long (optarg, 1, MF_MAX_MOVIE_FRAMES, &value))
                    return s_fail (err, errlen, "--movie", optarg,
                                   "use a whole number of frames from 1 to 10000000");
                opts->movie = (uint32_t) value;
                break;
            case OPT_FROM_WIDTH: {
                double first;
                if (mf_parse_double (optarg, &first) || !(first > 0))
                    return s_fail (err, errlen, "--from-width", optarg,
                                   "use a width above 0 in the complex plane, e.g. 3.5");
                opts->from_width = optarg;
                break;
            }
            //  The last of -q and -v counts, so that an alias with -q can
            //  still be made verbose.
            case 'q': opts->quiet = true; opts->verbose = false; break;
            case 'v': opts->verbose = true; opts->quiet = false; break;
            case 'h': opts->help = true; return 0;
            case 'V': opts->version = true; return 0;
            case ':':
                snprintf (err, errlen, "%s needs a value; see --help", argv [optind - 1]);
                return -1;
            default:
                snprintf (err, errlen, "unknown option '%s'; see --help", argv [optind - 1]);
                return -1;
        }
    }
    if (optind < argc) {
        snprintf (err, errlen, "unexpected argument '%s'; see --help", argv [optind]);
        return -1;
    }
    if (have_region && (have_center || have_width || zoom)) {
        snprintf (err, errlen, "--region cannot be combined with --center, --width or --zoom; "
                  "use one or the other");
        return -1;
    }
    if (have_width && zoom) {
        snprintf (err, errlen, "--width and --zoom both say how much the view spans; "
                  "give one of them");
        return -1;
    }
    //  --from: what the file says, where no flag says otherwise.
    char *texts [FROM_KEYS] = { NULL };
    if (opts->from && s_from (opts, texts, have_size, have_iter, have_palette,
                              have_center || have_region, have_width || zoom || have_region,
                              err, errlen))
        return -1;
    if (opts->from) {
        if (!center && !have_region)
            center = texts [FROM_CENTER];
        if (!width && !zoom && !have_region)
            width = texts [FROM_WIDTH];
    }
    int view_rc = s_read_view_checked (opts, have_region, region, center, width, zoom, err,
                                       errlen);
    for (int key = 0; key < FROM_KEYS; key++)
        free (texts [key]);
    if (view_rc)
        return -1;
    if (opts->reference && !opts->deep) {
        //  A movie's shallow frames carry no reference: this one came
        //  from a deep frame whose texts now read as a shallow view.
        free (opts->reference);
        opts->reference = NULL;
    }
    //  The viewer goes deep and back as the user zooms: auto follows it.
    if (opts->iter_auto && !opts->deep && !opts->live) {
        snprintf (err, errlen, "--iter auto: the maximum is chosen from a deep view's "
                  "reference orbit, and this view is shallow (doubles hold it); give --iter N "
                  "(default %d)", MF_DEFAULT_ITER);
        return -1;
    }
    //  An image of any size streams as a poster; the viewer holds its
    //  image whole.
    size_t pixels;
    if (opts->live
    &&  (mf_mul_size (opts->view.pixel_w, opts->view.pixel_h, &pixels) || pixels > MF_MAX_PIXELS)) {
        char text [32];
        snprintf (text, sizeof text, "%ux%u", opts->view.pixel_w, opts->view.pixel_h);
        return s_fail (err, errlen, "--size", text,
                       "the viewer (--view) shows at most 1073741824 pixels (2^30)");
    }
    if (mf_tiles_count_for (opts->view.pixel_w, opts->view.pixel_h, opts->tile) == 0) {
        char text [32];
        snprintf (text, sizeof text, "%ux%u", opts->view.pixel_w, opts->view.pixel_h);
        return s_fail (err, errlen, "--size", text,
                       "its grid of --tile tiles would have more than 2^32 - 1 tiles; "
                       "give a larger --tile");
    }
    if (opts->local_workers == 0 && !opts->listen) {
        snprintf (err, errlen, "-j 0 needs --listen ENDPOINT: with no local workers, "
                  "only remote workers can render");
        return -1;
    }
    if (opts->cert && !opts->allow) {
        snprintf (err, errlen, "--cert needs --allow DIR: a CURVE master must know which "
                  "workers' public certificates to admit");
        return -1;
    }
    if (opts->allow && !opts->cert) {
        snprintf (err, errlen, "--allow needs --cert FILE_secret: workers are admitted by "
                  "key only on a CURVE link (make keys with mandelfarm-keygen)");
        return -1;
    }
    if (opts->cert && !opts->listen) {
        snprintf (err, errlen, "--cert and --allow secure the remote link: give --listen "
                  "ENDPOINT too (local workers need no keys)");
        return -1;
    }
    if (have_announce_port && !opts->announce) {
        snprintf (err, errlen, "--announce-port needs --announce: a master announces itself "
                  "only when asked to");
        return -1;
    }
    if (opts->announce) {
        const char *refusal = s_check_announce (opts->listen);
        if (refusal) {
            snprintf (err, errlen, "%s", refusal);
            return -1;
        }
    }
    if (opts->live && (opts->checkpoint || opts->stats || opts->deadline > 0
                       || opts->verify_percent)) {
        snprintf (err, errlen, "%s belongs to a headless render and cannot be combined with "
                  "--view", opts->checkpoint? "--checkpoint": opts->stats? "--stats"
                  : opts->deadline > 0? "--deadline": "--verify");
        return -1;
    }
    if (opts->from_width && !opts->movie) {
        snprintf (err, errlen, "--from-width is the first frame's width of a --movie; give "
                  "--movie N too");
        return -1;
    }
    if (opts->movie) {
        const char *other = opts->live? "--view": opts->raw? "--raw": opts->dzi? "--dzi"
                          : opts->checkpoint? "--checkpoint": NULL;
        if (other) {
            snprintf (err, errlen, "%s cannot be combined with --movie (a movie keeps a "
                      "journal per frame in flight by itself, and writes PNG frames only)",
                      other);
            return -1;
        }
        //  A caught liar's tiles are withdrawn from the frames still in
        //  flight, but a frame already written cannot take them back: a
        //  movie would keep them silently. Refused until frames can be
        //  computed again after a quarantine.
        if (opts->verify_percent) {
            snprintf (err, errlen, "--verify cannot be combined with --movie in this release "
                      "(a lie caught after its frame was written could not be taken back); "
                      "render the frames you doubt with --from FRAME.png --verify P");
            return -1;
        }
        //  Frames are held whole, MF_MOVIE_IN_FLIGHT at a time: no poster
        //  streaming for movies.
        size_t frame, bytes;
        if (mf_mul_size (opts->view.pixel_w, opts->view.pixel_h, &frame)
        ||  mf_mul_size (frame, (opts->deep? sizeof (double): sizeof (float))
                                 * MF_MOVIE_IN_FLIGHT, &bytes)
        ||  bytes / 1048576 > opts->memory_mb) {
            snprintf (err, errlen, "--size: %ux%u frames take more than --memory %u MiB "
                      "(%d frames are held whole at once); a movie's frames must fit: use a "
                      "smaller --size or a larger --memory", opts->view.pixel_w,
                      opts->view.pixel_h, opts->memory_mb, MF_MOVIE_IN_FLIGHT);
            return -1;
        }
        if (!have_output)
            opts->output = MF_MOVIE_DEFAULT_OUTPUT;
        if (mf_options_check_pattern (opts->output, err, errlen))
            return -1;
    }
    if (opts->live && (have_output || opts->raw || opts->png16 || opts->dzi)) {
        snprintf (err, errlen, "%s writes a headless render and cannot be combined with "
                  "--view; in the viewer, s saves the view as a PNG", have_output? "-o"
                  : opts->raw? "--raw": opts->png16? "--png16": "--dzi");
        return -1;
    }
    return 0;
}

int
mf_options_check_pattern (const char *pattern, char *err, size_t errlen)
{
    int conversions = 0;
    for (const char *p = pattern; *p; p++) {
        if (*p != '%')
            continue;
        if (p [1] == '%') {
            p++;
            continue;
        }
        const char *spec = p++;
        if (*p == '0')
            p++;
        int digits = 0;
        while (*p >= '0' && *p <= '9' && digits < 3)
            p++, digits++;
        if (*p != 'd' && *p != 'i' && *p != 'u') {
            snprintf (err, errlen, "-o: '%s' has '%.*s', which is not a frame number; a "
                      "movie's -o is a pattern with exactly one %%d (or %%05d, ...) for the "
                      "frame number and %%%% for a percent sign, e.g. frames/f%%05d.png",
                      pattern, (int) (p - spec + (*p != 0)), spec);
            return -1;
        }
        conversions++;
        if (strchr (p, '/')) {
            snprintf (err, errlen, "-o: '%s' numbers a folder; a movie's frames go into one "
                      "folder, with the %%d in the file name, e.g. frames/f%%05d.png", pattern);
            return -1;
        }
    }
    if (conversions != 1 || !*pattern) {
        snprintf (err, errlen, "-o: '%s' has %d frame numbers; a movie's -o is a pattern with "
                  "exactly one %%d (or %%05d, ...), e.g. frames/f%%05d.png", pattern,
                  conversions);
        return -1;
    }
    return 0;
}

//  One output as mf_options_check_files sees it.
typedef struct {
    const char *flag;                   //  "-o", "--raw", ...
    const char *path;                   //  as given, or NULL
    bool exists;                        //  whether dev and ino say who it is
    dev_t dev;                          //  device of the file (links followed)
    ino_t ino;                          //  its inode
    char resolved [PATH_MAX];           //  if it does not exist: where it will be
} s_output_t;

//  Finds out who an output is. Returns 0, or -1 with one line in err.
static int
s_identify (s_output_t *out, char *err, size_t errlen)
{
    struct stat st;
    //  The journal is removed when the render completes: through a link,
    //  that would remove the link and leave the journal behind.
    if (strcmp (out->flag, "--checkpoint") == 0 && lstat (out->path, &st) == 0
    &&  S_ISLNK (st.st_mode)) {
        snprintf (err, errlen, "--checkpoint: '%s' is a symbolic link; give the journal's own "
                  "path (it is removed when the render completes)", out->path);
        return -1;
    }
    if (stat (out->path, &st) == 0) {
        //  --listen's socket file: launch.c says whether it may be bound.
        const char *kind = strcmp (out->flag, "--listen")? mf_outfile_kind (st.st_mode): NULL;
        if (kind) {
            snprintf (err, errlen, "%s: '%s' is %s, not a regular file; give the path of a "
                      "file (it is written beside and renamed into place, so only a regular "
                      "file can be replaced)", out->flag, out->path, kind);
            return -1;
        }
        out->exists = true;
        out->dev = st.st_dev;
        out->ino = st.st_ino;
        return 0;
    }
    char why [PATH_MAX + 128];
    if (errno != ENOENT)
        snprintf (why, sizeof why, "cannot reach '%s': %s", out->path, strerror (errno));
    else
    if (mf_outfile_resolve (out->path, out->resolved, sizeof out->resolved, why, sizeof why) == 0)
        return 0;
    snprintf (err, errlen, "%s: %s; give a path in a writable directory", out->flag, why);
    return -1;
}

//  Whether the output at path (named by flag) is the --dzi folder or
//  inside it, where it would keep the folder from being renamed into
//  place. Returns 0, or -1 with one line in err.
static int
s_inside_dzi (const char *dzi, const char *flag, const char *path, char *err, size_t errlen)
{
    char folder [PATH_MAX], file [PATH_MAX], why [PATH_MAX + 128];
    if (mf_outdir_resolve (dzi, folder, sizeof folder, why, sizeof why)
    ||  mf_outfile_resolve (path, file, sizeof file, why, sizeof why))
        return 0;                       //  their own checks say why
    size_t len = strlen (folder);
    if (strncmp (file, folder, len) == 0 && (file [len] == '/' || file [len] == 0)) {
        snprintf (err, errlen, "%s: '%s' is the --dzi folder '%s' or inside it, which must "
                  "be new or empty; write it elsewhere", flag, path, dzi);
        return -1;
    }
    return 0;
}

int
mf_options_check_files (const mf_options_t *opts, char *err, size_t errlen)
{
    //  An ipc:// --listen makes a file too (not an abstract "@name", and
    //  not "*", for which libzmq picks a fresh name).
    const char *socket = opts->listen && strncmp (opts->listen, "ipc://", 6) == 0
                       && opts->listen [6] != '@' && strcmp (opts->listen + 6, "*")
                       ? opts->listen + 6: NULL;
    s_output_t outputs [] = {
        { .flag = "-o", .path = opts->live? NULL: opts->output },
        { .flag = "--raw", .path = opts->raw },
        { .flag = "--checkpoint", .path = opts->checkpoint },
        { .flag = "--stats", .path = opts->stats },
        { .flag = "--listen", .path = socket }
    };
    size_t count = sizeof outputs / sizeof outputs [0];
    for (size_t a = 0; a < count; a++) {
        if (!outputs [a].path)
            continue;
        if (s_identify (&outputs [a], err, errlen))
            return -1;
        for (size_t b = 0; b < a; b++) {
            if (!outputs [b].path || outputs [a].exists != outputs [b].exists)
                continue;
            bool same = outputs [a].exists
                      ? outputs [a].dev == outputs [b].dev && outputs [a].ino == outputs [b].ino
                      : strcmp (outputs [a].resolved, outputs [b].resolved) == 0;
            if (same) {
                snprintf (err, errlen, "%s: '%s' is the same file as %s '%s'; use another "
                          "name", outputs [a].flag, outputs [a].path, outputs [b].flag,
                          outputs [b].path);
                return -1;
            }
        }
    }
    if (opts->dzi && !opts->live) {
        char why [PATH_MAX + 128];
        if (mf_outdir_check (opts->dzi, why, sizeof why)) {
            snprintf (err, errlen, "--dzi: %s", why);
            return -1;
        }
        for (size_t a = 0; a < count; a++)
            if (outputs [a].path
            &&  s_inside_dzi (opts->dzi, outputs [a].flag, outputs [a].path, err, errlen))
                return -1;
    }
    return 0;
}
