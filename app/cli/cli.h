/* cli.h: the commands of the command line (DESIGN.md "Command line").
 * main.c picks one by its first argument; each takes the arguments after the
 * command name (argv[0] is the command name) and returns the exit status:
 * 0 success, 1 failure, 2 usage error, after printing any error as one line
 * "convstep: ..." on stderr. */
#ifndef CONVSTEP_CLI_H
#define CONVSTEP_CLI_H

int cli_conv(int argc, char **argv);
int cli_pool(int argc, char **argv);
int cli_trace(int argc, char **argv);
int cli_rf(int argc, char **argv);
int cli_forward(int argc, char **argv);
int cli_train(int argc, char **argv);
int cli_bench(int argc, char **argv);
int cli_export(int argc, char **argv);
/* The window: `convstep [SCENE OPTIONS] [IMAGE]`; argv[0] is the program. */
int cli_window(int argc, char **argv);

/* Prints "convstep: MESSAGE" as one line on stderr (newlines in the message
 * become spaces) and returns status, for `return cli_fail(1, ...)`. */
int cli_fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
