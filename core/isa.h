/* isa.h: which vector instruction set the core's kernels run with.
 *
 * The hot loops (convolution, pooling) are compiled several times in one
 * binary, once per instruction set below, and each call picks the copy for
 * isa_active(): the best set this CPU runs, or the one the environment
 * variable CONVSTEP_ISA names (portable, avx2 or avx512), so tests and
 * benchmarks can force every path. Results are bit-identical from run to
 * run on one path; different paths may differ in the last bits (fused
 * multiply-add rounds once). */
#ifndef CONVSTEP_ISA_H
#define CONVSTEP_ISA_H

#include <stdbool.h>

typedef enum CpuIsa {
    ISA_PORTABLE,   /* the compiler's baseline (SSE2 on x86-64), any CPU */
    ISA_AVX2,       /* AVX2 + FMA, 8 floats per vector */
    ISA_AVX512,     /* AVX-512F, 16 floats per vector */
    ISA_COUNT
} CpuIsa;

/* True when this CPU (and its OS) runs isa's copy of the kernels. Always
 * true for ISA_PORTABLE; false for the x86 sets on other architectures. */
bool isa_supported(CpuIsa isa);

/* The best supported set, or the one CONVSTEP_ISA names when it is
 * supported; a named set this CPU lacks, or an unknown name, falls back to
 * the best supported set below it (never to one that would fault). Reads
 * the environment on every call, so a test may change it between calls. */
CpuIsa isa_active(void);

/* "portable", "avx2", "avx512". */
const char *isa_name(CpuIsa isa);

/* Parses a name as above; false for anything else. */
bool isa_parse(const char *name, CpuIsa *isa);

#endif
