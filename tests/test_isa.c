/* test_isa.c: CPU feature detection and the CONVSTEP_ISA override. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "isa.h"
#include "support_isa.h"

Test(isa, names_round_trip)
{
    for (int i = 0; i < ISA_COUNT; i++) {
        CpuIsa back = ISA_COUNT;
        cr_expect(isa_parse(isa_name((CpuIsa)i), &back), "%s does not parse", isa_name((CpuIsa)i));
        cr_expect_eq(back, (CpuIsa)i);
    }
    CpuIsa untouched = ISA_AVX2;
    cr_expect_not(isa_parse("sse9", &untouched));
    cr_expect_eq(untouched, ISA_AVX2, "a failed parse leaves the value alone");
}

Test(isa, portable_always_runs)
{
    cr_expect(isa_supported(ISA_PORTABLE));
    cr_assert_eq(setenv("CONVSTEP_ISA", "portable", 1), 0);
    cr_expect_eq(isa_active(), ISA_PORTABLE);
}

Test(isa, default_is_the_best_supported)
{
    CpuIsa paths[ISA_COUNT];
    size_t n = isa_paths(paths);
    cr_assert_eq(unsetenv("CONVSTEP_ISA"), 0);
    cr_expect_eq(isa_active(), paths[n - 1], "default %s, best %s", isa_name(isa_active()),
                 isa_name(paths[n - 1]));
    /* an unknown name is ignored, as an unset variable */
    cr_assert_eq(setenv("CONVSTEP_ISA", "sse9", 1), 0);
    cr_expect_eq(isa_active(), paths[n - 1]);
}

Test(isa, a_missing_set_falls_back_below)
{
    /* Asking for avx512 on a CPU without it gives the best set below. */
    cr_assert_eq(setenv("CONVSTEP_ISA", "avx512", 1), 0);
    CpuIsa got = isa_active();
    cr_expect(isa_supported(got));
    if (!isa_supported(ISA_AVX512))
        cr_expect_lt(got, ISA_AVX512);
    else
        cr_expect_eq(got, ISA_AVX512);
}
