/* support_isa.h: run a test on every instruction-set path of the kernels
 * this machine supports (isa.h), by setting CONVSTEP_ISA as a user would.
 * Criterion runs each test in its own process, so the setting never leaks
 * into another test. */
#ifndef CONVSTEP_SUPPORT_ISA_H
#define CONVSTEP_SUPPORT_ISA_H

#include <stddef.h>

#include "isa.h"

/* Fills isas with the paths this CPU runs, portable first; returns how
 * many (1 to ISA_COUNT). */
size_t isa_paths(CpuIsa isas[ISA_COUNT]);

/* Makes conv_forward and pool_forward use isa from now on (setenv). */
void isa_use(CpuIsa isa);

#endif
