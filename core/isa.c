/* isa.c: CPU feature detection and the CONVSTEP_ISA override (see isa.h). */
#include "isa.h"

#include <stdlib.h>
#include <string.h>

static const char *const isa_names[ISA_COUNT] = {"portable", "avx2", "avx512"};

bool isa_supported(CpuIsa isa)
{
    switch (isa) {
    case ISA_PORTABLE:
        return true;
#if defined(__x86_64__) && defined(__GNUC__)
    case ISA_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case ISA_AVX512:
        /* GCC and Clang also check that the OS saves the AVX-512 state. */
        __builtin_cpu_init();
        return isa_supported(ISA_AVX2) && __builtin_cpu_supports("avx512f");
#endif
    default:
        return false;
    }
}

CpuIsa isa_active(void)
{
    const char *want = getenv("CONVSTEP_ISA");
    CpuIsa isa = ISA_AVX512;
    if (want && *want)
        isa_parse(want, &isa);
    while (isa > ISA_PORTABLE && !isa_supported(isa))
        isa = (CpuIsa)(isa - 1);
    return isa;
}

const char *isa_name(CpuIsa isa)
{
    return isa >= 0 && isa < ISA_COUNT ? isa_names[isa] : "unknown";
}

bool isa_parse(const char *name, CpuIsa *isa)
{
    for (int i = 0; i < ISA_COUNT; i++)
        if (strcmp(name, isa_names[i]) == 0) {
            *isa = (CpuIsa)i;
            return true;
        }
    return false;
}
