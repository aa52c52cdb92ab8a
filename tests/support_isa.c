/* support_isa.c: see support_isa.h. */
#include "support_isa.h"

#include <criterion/criterion.h>
#include <stdlib.h>

size_t isa_paths(CpuIsa isas[ISA_COUNT])
{
    size_t n = 0;
    for (int i = 0; i < ISA_COUNT; i++)
        if (isa_supported((CpuIsa)i))
            isas[n++] = (CpuIsa)i;
    return n;
}

void isa_use(CpuIsa isa)
{
    cr_assert_eq(setenv("CONVSTEP_ISA", isa_name(isa), 1), 0);
    cr_assert_eq(isa_active(), isa, "CONVSTEP_ISA=%s was not taken", isa_name(isa));
}
