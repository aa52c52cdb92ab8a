/* test_filein.c: reading a user's file whole, opened once (core/filein.h):
 * regular files, pipes, FIFOs with and without a writer, standard input, the
 * size cap while reading, and what is refused. */
#define _XOPEN_SOURCE 700   /* posix_openpt and friends, for the terminal case */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "filein.h"
#include "support_tmp.h"

TestSuite(filein, .init = tmp_dir_create, .fini = tmp_dir_remove);

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Forks a child that writes size bytes (byte i = i % 251) to fd after
 * delay_ms, then exits; returns its pid. */
static pid_t write_later(int fd, size_t size, int delay_ms)
{
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        sleep_ms(delay_ms);
        unsigned char chunk[4096];
        for (size_t done = 0; done < size;) {
            size_t n = size - done < sizeof chunk ? size - done : sizeof chunk;
            for (size_t i = 0; i < n; i++)
                chunk[i] = (unsigned char)((done + i) % 251);
            if (write(fd, chunk, n) != (ssize_t)n)
                _exit(1);
            done += n;
        }
        _exit(0);
    }
    return pid;
}

static void expect_pattern(const unsigned char *bytes, size_t size)
{
    for (size_t i = 0; i < size; i++)
        if (bytes[i] != (unsigned char)(i % 251))
            cr_assert_fail("byte %zu is %d, wanted %d", i, bytes[i], (int)(i % 251));
}

Test(filein, a_regular_file_is_read_whole_with_a_nul_after_it)
{
    const char *path = tmp_path("a.txt");
    tmp_write_file(path, "Conv2d(1, 2, 3)", 15);
    unsigned char *bytes;
    size_t size;
    Error err = {0};
    cr_assert_eq(filein_read(path, 100, &bytes, &size, &err), CS_OK, "%s", err.message);
    cr_expect_eq(size, 15);
    cr_expect_str_eq((char *)bytes, "Conv2d(1, 2, 3)");
    free(bytes);

    tmp_write_file(tmp_path("empty"), "", 0);
    cr_assert_eq(filein_read(tmp_path("empty"), 100, &bytes, &size, &err), CS_OK, "%s", err.message);
    cr_expect(size == 0 && bytes && bytes[0] == '\0');
    free(bytes);
}

Test(filein, the_cap_is_applied_to_files_and_to_streams)
{
    unsigned char data[1000];
    memset(data, 7, sizeof data);
    const char *path = tmp_path("k.bin");
    tmp_write_file(path, data, sizeof data);
    unsigned char *bytes = (unsigned char *)"sentinel";
    size_t size = 99;
    Error err = {0};
    cr_expect_eq(filein_read(path, 1000, &bytes, &size, &err), CS_OK, "%s", err.message);
    cr_expect_eq(size, 1000);
    free(bytes);
    cr_expect_eq(filein_read(path, 999, &bytes, &size, &err), CS_ERR_LIMIT);
    cr_expect(strstr(err.message, "k.bin") && strstr(err.message, "999"), "%s", err.message);
    cr_expect(bytes == NULL && size == 0);

    /* a pipe has no size: the cap stops the read once the stream passes it,
       here 200000 bytes (beyond the first buffer) against a cap of 150000 */
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = write_later(fds[1], 200000, 0);
    close(fds[1]);
    char name[64];
    snprintf(name, sizeof name, "/dev/fd/%d", fds[0]);
    cr_expect_eq(filein_read(name, 150000, &bytes, &size, &err), CS_ERR_LIMIT);
    cr_expect(strstr(err.message, name) && strstr(err.message, "150000"), "%s", err.message);
    close(fds[0]);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

Test(filein, a_pipe_is_read_to_its_end_however_slow_the_writer)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = write_later(fds[1], 300000, 300);
    close(fds[1]);
    char name[64];
    snprintf(name, sizeof name, "/dev/fd/%d", fds[0]);
    unsigned char *bytes;
    size_t size;
    Error err = {0};
    cr_assert_eq(filein_read(name, 1 << 20, &bytes, &size, &err), CS_OK, "%s", err.message);
    cr_expect_eq(size, 300000);
    expect_pattern(bytes, size);
    free(bytes);
    close(fds[0]);
    waitpid(pid, NULL, 0);
}

Test(filein, dash_is_standard_input)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = write_later(fds[1], 5000, 0);
    close(fds[1]);
    cr_assert_neq(dup2(fds[0], STDIN_FILENO), -1);
    close(fds[0]);
    unsigned char *bytes;
    size_t size;
    Error err = {0};
    cr_assert_eq(filein_read("-", 1 << 20, &bytes, &size, &err), CS_OK, "%s", err.message);
    cr_expect_eq(size, 5000);
    expect_pattern(bytes, size);
    free(bytes);
    waitpid(pid, NULL, 0);
    cr_expect_str_eq(filein_name("-"), "stdin");
    cr_expect_str_eq(filein_name("a.npy"), "a.npy");
}

Test(filein, a_fifo_without_a_writer_is_refused_after_a_bounded_wait)
{
    const char *path = tmp_path("fifo");
    cr_assert_eq(mkfifo(path, 0600), 0);
    unsigned char *bytes;
    size_t size;
    Error err = {0};
    alarm(20);   /* a hang fails the test instead of blocking the suite */
    double t0 = now_s();
    cr_expect_eq(filein_read(path, 1000, &bytes, &size, &err), CS_ERR_IO);
    double waited = now_s() - t0;
    cr_expect(strstr(err.message, "fifo") && strstr(err.message, "no writer"), "%s", err.message);
    cr_expect(waited >= FILEIN_WAIT_MS / 1000.0 * 0.9 && waited < FILEIN_WAIT_MS / 1000.0 + 3.0, "waited %.2f s",
              waited);
}

Test(filein, a_fifo_whose_writer_comes_during_the_wait_is_read)
{
    const char *path = tmp_path("fifo");
    cr_assert_eq(mkfifo(path, 0600), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        sleep_ms(300);
        int fd = open(path, O_WRONLY);
        _exit(fd < 0 || write(fd, "hello", 5) != 5);
    }
    unsigned char *bytes;
    size_t size;
    Error err = {0};
    alarm(20);
    cr_assert_eq(filein_read(path, 1000, &bytes, &size, &err), CS_OK, "%s", err.message);
    cr_expect(size == 5 && memcmp(bytes, "hello", 5) == 0);
    free(bytes);
    waitpid(pid, NULL, 0);
}

Test(filein, a_directory_and_a_terminal_are_refused_by_name)
{
    unsigned char *bytes;
    size_t size;
    Error err = {0};
    cr_expect_eq(filein_read(tmp_dir, 1000, &bytes, &size, &err), CS_ERR_IO);
    char want[128];
    snprintf(want, sizeof want, "%s is a directory", tmp_dir);
    cr_expect(strstr(err.message, want) != NULL, "%s", err.message);

    cr_expect_eq(filein_read(tmp_path("missing"), 1000, &bytes, &size, &err), CS_ERR_IO);
    cr_expect(strstr(err.message, "missing") && strstr(err.message, "No such file"), "%s", err.message);

    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
        cr_skip_test("no pseudo-terminal here");
    const char *slave = ptsname(master);
    cr_assert_not_null(slave);
    alarm(20);
    cr_expect_eq(filein_read(slave, 1000, &bytes, &size, &err), CS_ERR_IO);
    cr_expect(strstr(err.message, slave) && strstr(err.message, "terminal"), "%s", err.message);
    close(master);
}

Test(filein, a_character_device_reads_as_its_stream)
{
    unsigned char *bytes;
    size_t size;
    Error err = {0};
    cr_assert_eq(filein_read("/dev/null", 1000, &bytes, &size, &err), CS_OK, "%s", err.message);
    cr_expect_eq(size, 0);
    free(bytes);
    cr_expect_eq(filein_read("/dev/zero", 100000, &bytes, &size, &err), CS_ERR_LIMIT);
    cr_expect(strstr(err.message, "/dev/zero") != NULL, "%s", err.message);
}
