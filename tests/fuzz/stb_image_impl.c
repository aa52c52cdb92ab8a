/* stb_image_impl.c: stb_image compiled from libstb-dev's header into the
 * fuzz build only.
 *
 * The program links Debian's prebuilt libstb, which carries no sanitizer or
 * coverage instrumentation: libFuzzer would see nothing inside the decoders
 * and ASan would check none of their reads. Built here with the fuzz flags
 * and linked instead of -lstb, this is the copy core/image.c calls in
 * build-fuzz/, so the decoders themselves are fuzzed. */
#define STB_IMAGE_IMPLEMENTATION
#include "stb_image.h"
