/*  mf_webview: the zoomable web page of a DZI tile pyramid (mf_dzi).

    index.html shows the pyramid with OpenSeadragon, loaded from
    openseadragon/ beside it (the library, its button images and its
    BSD licence, copied from the files the build vendored): the page asks
    nothing of the internet, and the folder works opened from the disk
    (file://) or from any static web server. The pyramid's descriptor is
    in the page itself, so no script has to fetch NAME.dzi, which a
    browser refuses to do from file://.

    The view is in the page's address: #x=X&y=Y&zoom=Z, X and Y the image
    pixel at the center of the window, Z the screen pixels per image pixel
    (1: the full resolution, pixel for pixel). The page opens at the view
    its address gives (or the whole image), and keeps the address up to
    date as one pans and zooms, so that a link shows what its sender saw.
    The title and caption say what the image is: center, width,
    iterations, size, palette.

    The library is found at run time: $MANDELFARM_OPENSEADRAGON if set,
    else beside the program: PROGRAM_DIR/../share/mandelfarm/openseadragon
    (make install), then PROGRAM_DIR/../build/share/mandelfarm/openseadragon
    (the source tree, built). The core build needs no npm; only --dzi
    needs these files (scripts/install-deps.sh --dzi fetches them).
*/
#ifndef MF_WEBVIEW_H
#define MF_WEBVIEW_H

#include "mf_outdir.h"

#include <stddef.h>
#include <stdint.h>

#define MF_WEBVIEW_ENV "MANDELFARM_OPENSEADRAGON"   //  overrides where the library is
#define MF_WEBVIEW_DIR "openseadragon"  //  the library's folder beside index.html

typedef struct {
    const char *name;                   //  the pyramid's NAME (NAME_files/)
    uint32_t width;                     //  pixels of the full image
    uint32_t height;                    //  pixels
    const char *center;                 //  "re,im", as the PNG's Center
    const char *span;                   //  the view's width, as the PNG's Width
    uint32_t maxiter;                   //  iterations
    const char *palette;                //  the palette's name
} mf_webview_page_t;

//  Finds the vendored OpenSeadragon files (see above). Returns 0 with
//  their folder in dir, or -1 with one line in err saying where it
//  looked and how to get them.
int mf_webview_find_library (char *dir, size_t size, char *err, size_t errlen);

//  The page's HTML for page, NUL-terminated; the caller frees it.
//  Returns NULL when out of memory.
char *mf_webview_html (const mf_webview_page_t *page);

//  Writes index.html into outdir and copies the library (found by
//  mf_webview_find_library) into its openseadragon/. Returns 0, or -1
//  with the reason in err.
int mf_webview_write (mf_outdir_t *outdir, const mf_webview_page_t *page,
                      const char *library, char *err, size_t errlen);

#endif
