/* stb_image_resize_impl.c: stb_image_resize compiled from libstb-dev's
 * header into the fuzz build only, with the sanitizers but without
 * coverage: libstb is not linked there (see stb_image_impl.c), and the
 * resampler reads no file bytes, so coverage inside it would only slow the
 * fuzzer (its filter set-up took 95% of fuzz_image's time instrumented). */
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include "stb_image_resize.h"
