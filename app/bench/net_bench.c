/* net_bench.c: `convstep bench`'s figures of the forward pass (bench.h):
 * VGG-16 (torchvision's configuration "D", features, avgpool and
 * classifier) on a 3x224x224 image with PyTorch's default initialisation,
 * one thread: its time (forward_vgg16_ms) and the peak memory of a process
 * that builds it and runs it once, keeping every layer's output
 * (forward_vgg16_peak_mib). */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "net.h"
#include "rng.h"
#include "spec.h"

enum { NET_BENCH_SIDE = 224, NET_BENCH_RUNS = 3 };

/* VGG-16 as print(torchvision.models.vgg16()) writes it. */
static void vgg16_text(char *buf, size_t size)
{
    static const int cfg[] = {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};
    size_t used = (size_t)snprintf(buf, size, "VGG(\n  (features): Sequential(\n");
    int in = 3, k = 0;
    for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
        if (cfg[i] == 0) {
            used += (size_t)snprintf(buf + used, size - used, "    (%d): MaxPool2d(kernel_size=2, stride=2, "
                                     "padding=0, dilation=1, ceil_mode=False)\n", k++);
            continue;
        }
        used += (size_t)snprintf(buf + used, size - used, "    (%d): Conv2d(%d, %d, kernel_size=(3, 3), "
                                 "stride=(1, 1), padding=(1, 1))\n    (%d): ReLU(inplace=True)\n",
                                 k, in, cfg[i], k + 1);
        k += 2;
        in = cfg[i];
    }
    snprintf(buf + used, size - used,
             "  )\n  (avgpool): AdaptiveAvgPool2d(output_size=(7, 7))\n  (classifier): Sequential(\n"
             "    (0): Linear(in_features=25088, out_features=4096, bias=True)\n    (1): ReLU(inplace=True)\n"
             "    (2): Dropout(p=0.5, inplace=False)\n"
             "    (3): Linear(in_features=4096, out_features=4096, bias=True)\n    (4): ReLU(inplace=True)\n"
             "    (5): Dropout(p=0.5, inplace=False)\n"
             "    (6): Linear(in_features=4096, out_features=1000, bias=True)\n  )\n)\n");
}

/* Builds VGG-16 with random weights and a random 0-255 image. */
Status bench_vgg16_build(Net *net, Tensor *image, Error *err)
{
    char text[8192];
    LayerStack stack = {0};
    Rng rng;
    Status st;
    vgg16_text(text, sizeof text);
    memset(net, 0, sizeof *net);
    if ((st = spec_parse(text, &stack, err)) != CS_OK)
        return st;
    st = net_build(&stack, 3, NET_BENCH_SIDE, NET_BENCH_SIDE, net, err);
    spec_free(&stack);
    if (st != CS_OK || (st = tensor_init(image, 1, 3, NET_BENCH_SIDE, NET_BENCH_SIDE, 3, err)) != CS_OK)
        return st;
    net_init_default(net, 1);
    rng_seed(&rng, 2);
    for (size_t i = 0; i < tensor_count(image); i++)
        image->data[i] = rng_range(&rng, 0.0f, 255.0f);
    return CS_OK;
}

Status bench_forward_vgg16_ms(double *value, Error *err)
{
    Net net;
    Tensor image = {0};
    double ms[NET_BENCH_RUNS];
    Status st = bench_vgg16_build(&net, &image, err);
    for (int run = 0; st == CS_OK && run < NET_BENCH_RUNS; run++) {
        double start = bench_cpu_ms();
        st = net_forward(&net, &image, err);
        ms[run] = bench_cpu_ms() - start;
    }
    if (st == CS_OK)
        *value = bench_median(ms, NET_BENCH_RUNS);
    net_free(&net);
    tensor_free(&image);
    return st;
}

/* In a child process: build VGG-16, run it once, and send the peak resident
 * set of the whole process (MiB) through fd. */
static void vgg16_memory_child(int fd)
{
    Net net;
    Tensor image = {0};
    Error err = {0};
    struct rusage ru;
    double mib = -1;
    if (bench_vgg16_build(&net, &image, &err) == CS_OK && net_forward(&net, &image, &err) == CS_OK &&
        getrusage(RUSAGE_SELF, &ru) == 0)
        mib = (double)ru.ru_maxrss / 1024.0;
    if (write(fd, &mib, sizeof mib) != (ssize_t)sizeof mib)
        _exit(1);
    _exit(0);
}

Status bench_forward_vgg16_peak(double *value, Error *err)
{
    int fds[2], status = 0;
    double mib = -1;
    if (pipe(fds) != 0)
        return error_set(err, CS_ERR_IO, "forward_vgg16_peak_mib: cannot create a pipe");
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return error_set(err, CS_ERR_IO, "forward_vgg16_peak_mib: cannot start a child process");
    }
    if (pid == 0) {
        close(fds[0]);
        vgg16_memory_child(fds[1]);
    }
    close(fds[1]);
    ssize_t n = read(fds[0], &mib, sizeof mib);
    close(fds[0]);
    waitpid(pid, &status, 0);
    if (n != (ssize_t)sizeof mib || mib < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return error_set(err, CS_ERR_NOMEM, "forward_vgg16_peak_mib: the VGG-16 run failed (not enough memory?)");
    *value = mib;
    return CS_OK;
}
