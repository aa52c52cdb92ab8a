/* main.c: placeholder until the command line lands. */
#include <stdio.h>
int main(void)
{
    puts("convstep " CONVSTEP_VERSION);
    return 0;
}
