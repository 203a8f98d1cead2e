/*  mf_webview: see mf_webview.h. The page is one file with its style and
    script inline; the only things it loads are the library, its button
    images and the tiles, all by relative paths.
*/
#include "mf_webview.h"
#include "mf_dzi.h"
#include "mf_version.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

//  Where the library may be, relative to the program's folder.
static const char *const s_beside [] = {
    "../share/mandelfarm/" MF_WEBVIEW_DIR,          //  make install
    "../build/share/mandelfarm/" MF_WEBVIEW_DIR     //  the source tree
};

//  Whether dir holds the library: the script, the images, the licence.
static bool
s_is_library (const char *dir)
{
    static const char *const files [] = { "openseadragon.min.js", "LICENSE.txt" };
    char path [PATH_MAX];
    struct stat st;
    for (size_t index = 0; index < 2; index++)
        if (snprintf (path, sizeof path, "%s/%s", dir, files [index]) >= (int) sizeof path
        ||  stat (path, &st) || !S_ISREG (st.st_mode))
            return false;
    return snprintf (path, sizeof path, "%s/images", dir) < (int) sizeof path
        && stat (path, &st) == 0 && S_ISDIR (st.st_mode);
}

int
mf_webview_find_library (char *dir, size_t size, char *err, size_t errlen)
{
    static const char how [] = "run scripts/install-deps.sh --dzi and make in the source "
                               "tree (make install installs them too), or set "
                               MF_WEBVIEW_ENV " to a folder with openseadragon.min.js, "
                               "images/ and LICENSE.txt";
    const char *env = getenv (MF_WEBVIEW_ENV);
    if (env && *env) {
        if (s_is_library (env) && snprintf (dir, size, "%s", env) < (int) size)
            return 0;
        snprintf (err, errlen, "OpenSeadragon's files are not in '%s' (" MF_WEBVIEW_ENV
                  "): it needs openseadragon.min.js, images/ and LICENSE.txt", env);
        return -1;
    }
    char self [PATH_MAX], tried [2 * PATH_MAX + 16] = "";
    ssize_t len = readlink ("/proc/self/exe", self, sizeof self - 1);
    if (len > 0) {
        self [len] = 0;
        char *slash = strrchr (self, '/');
        if (slash)
            *slash = 0;
        for (size_t index = 0; index < sizeof s_beside / sizeof s_beside [0]; index++) {
            char candidate [PATH_MAX], real [PATH_MAX];
            if (snprintf (candidate, sizeof candidate, "%s/%s", self, s_beside [index])
                >= (int) sizeof candidate)
                continue;
            if (realpath (candidate, real) && s_is_library (real)
            &&  snprintf (dir, size, "%s", real) < (int) size)
                return 0;
            size_t used = strlen (tried);
            snprintf (tried + used, sizeof tried - used, "%s%s", used? ", ": "", candidate);
        }
    }
    snprintf (err, errlen, "OpenSeadragon's files are not installed (looked in %s): %s",
              *tried? tried: "nowhere: /proc/self/exe cannot be read", how);
    return -1;
}

//  Writes text to out with HTML's special characters escaped.
static void
s_escape (FILE *out, const char *text)
{
    for (; *text; text++)
        switch (*text) {
            case '&':  fputs ("&amp;", out); break;
            case '<':  fputs ("&lt;", out); break;
            case '>':  fputs ("&gt;", out); break;
            case '"':  fputs ("&quot;", out); break;
            case '\'': fputs ("&#39;", out); break;
            default:   fputc (*text, out);
        }
}

//  The script, after the pyramid's numbers: opens the viewer, applies
//  and keeps the view in the address.
static const char s_script [] =
    "  var viewer = OpenSeadragon({\n"
    "    id: \"view\",\n"
    "    prefixUrl: \"" MF_WEBVIEW_DIR "/images/\",\n"
    "    toolbar: \"toolbar\",\n"
    "    drawer: \"canvas\",\n"
    "    showRotationControl: false,\n"
    "    maxZoomPixelRatio: 8,\n"
    "    smoothTileEdgesMinZoom: Infinity,\n"
    "    tileSources: new OpenSeadragon.DziTileSource(image)\n"
    "  });\n"
    "  //  #x=X&y=Y&zoom=Z: the image pixel at the center of the window, and\n"
    "  //  screen pixels per image pixel (1: the full resolution).\n"
    "  function wanted() {\n"
    "    var view = {};\n"
    "    location.hash.replace(/^#/, \"\").split(\"&\").forEach(function (pair) {\n"
    "      var kv = pair.split(\"=\");\n"
    "      if (kv.length === 2) view[kv[0]] = Number(kv[1]);\n"
    "    });\n"
    "    return isFinite(view.x) && isFinite(view.y) && view.zoom > 0? view: null;\n"
    "  }\n"
    "  function go() {\n"
    "    var view = wanted(), vp = viewer.viewport;\n"
    "    if (!view || !viewer.world.getItemCount()) return;\n"
    "    vp.zoomTo(vp.imageToViewportZoom(view.zoom), null, true);\n"
    "    vp.panTo(vp.imageToViewportCoordinates(view.x, view.y), true);\n"
    "  }\n"
    "  viewer.addHandler(\"open\", go);\n"
    "  window.addEventListener(\"hashchange\", go);\n"
    "  viewer.addHandler(\"animation-finish\", function () {\n"
    "    var vp = viewer.viewport;\n"
    "    var center = vp.viewportToImageCoordinates(vp.getCenter(true));\n"
    "    var zoom = vp.viewportToImageZoom(vp.getZoom(true));\n"
    "    history.replaceState(null, \"\", \"#x=\" + center.x.toFixed(1) + \"&y=\" +\n"
    "                         center.y.toFixed(1) + \"&zoom=\" + zoom.toPrecision(4));\n"
    "  });\n"
    "  window.viewer = viewer;             //  for scripts and the console\n"
    "})();\n";

char *
mf_webview_html (const mf_webview_page_t *page)
{
    assert (page && page->name && page->center && page->span && page->palette);
    char *html = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&html, &size);
    if (!out)
        return NULL;
    fputs ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<title>Mandelbrot set at ", out);
    s_escape (out, page->center);
    fputs (", width ", out);
    s_escape (out, page->span);
    fprintf (out, " (%ux%u, %u iterations)</title>\n", page->width, page->height,
             page->maxiter);
    fputs ("<style>\n"
           "html, body { margin: 0; height: 100%; background: #000; color: #ccc;\n"
           "             font: 13px sans-serif; }\n"
           "body { display: flex; flex-direction: column; }\n"
           "#bar { display: flex; align-items: center; gap: 8px; padding: 2px 6px; }\n"
           "/* OpenSeadragon places its buttons absolutely, in the toolbar:\n"
           "   four of 35x34 pixels. */\n"
           "#toolbar { position: relative; flex: none; width: 140px; height: 34px; }\n"
           "#caption { flex: 1; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }\n"
           "#view { flex: 1; min-height: 0; }\n"
           "</style>\n"
           "<script src=\"" MF_WEBVIEW_DIR "/openseadragon.min.js\"></script>\n"
           "</head>\n<body>\n<div id=\"bar\"><div id=\"toolbar\"></div>\n<div id=\"caption\">"
           "Center ", out);
    s_escape (out, page->center);
    fputs (", width ", out);
    s_escape (out, page->span);
    fprintf (out, ", %u iterations, %ux%u pixels, palette ", page->maxiter, page->width,
             page->height);
    s_escape (out, page->palette);
    fputs (". Drag to pan, wheel or click to zoom (shift-click: out); the address keeps "
           "the view. Made by mandelfarm " MF_VERSION ", shown by OpenSeadragon (" MF_WEBVIEW_DIR
           "/LICENSE.txt).</div></div>\n<div id=\"view\"></div>\n<script>\n"
           "(function () {\n  \"use strict\";\n", out);
    fprintf (out, "  var image = { width: %u, height: %u, tileSize: %d, tileOverlap: %d,\n"
             "                tilesUrl: \"%s_files/\", fileFormat: \"" MF_DZI_FORMAT "\" };\n",
             page->width, page->height, MF_DZI_TILE, MF_DZI_OVERLAP, page->name);
    fputs (s_script, out);
    fputs ("</script>\n</body>\n</html>\n", out);
    if (fclose (out)) {
        free (html);
        return NULL;
    }
    return html;
}

int
mf_webview_write (mf_outdir_t *outdir, const mf_webview_page_t *page, const char *library,
                  char *err, size_t errlen)
{
    char *html = mf_webview_html (page);
    if (!html) {
        snprintf (err, errlen, "out of memory");
        return -1;
    }
    int rc = mf_outdir_write (outdir, "index.html", html, strlen (html), err, errlen);
    free (html);
    if (rc == 0)
        rc = mf_outdir_copy (outdir, MF_WEBVIEW_DIR, library, err, errlen);
    return rc;
}
