/* stb_image_impl.c: stb_image and stb_image_resize compiled from libstb-dev's
 * headers into the fuzz build only.
 *
 * The program links Debian's prebuilt libstb, which carries no sanitizer or
 * coverage instrumentation: libFuzzer would see nothing inside the decoders
 * and ASan would check none of their reads. Built here with the fuzz flags
 * and linked instead of -lstb, these are the copies core/image.c calls in
 * build-fuzz/, so the decoders themselves are fuzzed. */
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include "stb_image.h"
#include "stb_image_resize.h"
