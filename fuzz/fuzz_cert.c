/*  Fuzzes the certificate reader, mf_curve_parse: the files given to
    --cert, --master-key and kept in --allow. Accepted: a public key that
    is exactly a Z85 key, which encodes back to the same text (so libzmq
    reads the same 32 bytes), and a secret key likewise or none; and CZMQ's
    zconfig, which zauth uses on the allow directory, must read the same
    keys from the same text, so a certificate we count as allowed is one
    zauth allows. Refused: one line of reason, and no secret left behind.
*/
#include "fuzz.h"
#include "mf_curve.h"

#include <czmq.h>
#include <string.h>

static void
s_canonical (const char *text)
{
    unsigned char bin [MF_CURVE_KEY_BIN];
    FUZZ_CHECK (strlen (text) == MF_CURVE_KEY_TXT);
    FUZZ_CHECK (mf_curve_z85_key (text, bin) == 0);
    char again [MF_CURVE_KEY_TXT + 1];
    FUZZ_CHECK (zmq_z85_encode (again, bin, sizeof bin) != NULL);
    FUZZ_CHECK (strcmp (again, text) == 0);
    unsigned char libzmq [MF_CURVE_KEY_BIN];
    FUZZ_CHECK (zmq_z85_decode (libzmq, text) != NULL);
    FUZZ_CHECK (memcmp (libzmq, bin, sizeof bin) == 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    mf_curve_keys_t keys;
    char err [128] = "";
    if (mf_curve_parse ((const char *) data, size, &keys, err, sizeof err)) {
        FUZZ_CHECK (err [0] && !strchr (err, '\n'));
        FUZZ_CHECK (keys.secret_txt [0] == 0);
        return 0;
    }
    s_canonical (keys.public_txt);
    if (keys.secret_txt [0])
        s_canonical (keys.secret_txt);
    char *text = malloc (size + 1);
    FUZZ_CHECK (text);
    memcpy (text, data, size);
    text [size] = 0;
    zconfig_t *root = zconfig_str_load (text);
    FUZZ_CHECK (root);
    FUZZ_CHECK (strcmp (zconfig_get (root, "curve/public-key", ""), keys.public_txt) == 0);
    FUZZ_CHECK (strcmp (zconfig_get (root, "curve/secret-key", ""), keys.secret_txt) == 0);
    zconfig_destroy (&root);
    free (text);
    return 0;
}
