/* bench.h: the figures `convstep bench` measures, as one table.
 *
 * Each row of BENCH_FIGURES is X(function, key, unit, what it measures).
 * To add a figure: write `Status function(double *value, Error *err)` in
 * your module (it measures and stores the figure in *value, or fails with a
 * message saying why it cannot), and add its row below. The key is the
 * figure's name in `bench --json` and the first word of its line in the
 * text table; `convstep bench KEY...` measures only those figures. */
#ifndef CONVSTEP_BENCH_H
#define CONVSTEP_BENCH_H

#include <stddef.h>

#include "error.h"
#include "tensor.h"

#define BENCH_FIGURES(X)                                                                     \
    X(bench_conv_ms, "conv_ms", "ms",                                                        \
      "conv_forward, 3x512x512 input, 16 filters 3x3, stride 1, padding 1, one thread, "     \
      "median of 7")                                                                          \
    X(bench_stepper_steps, "stepper_steps_per_s", "steps/s",                                 \
      "stepper_next + stepper_trace over 3x64x64 -> 16 filters 3x3, position steps")         \
    X(bench_peak_memory, "peak_mib", "MiB",                                                  \
      "peak memory added by conv_forward on a 4096x4096 RGB input, same layer "              \
      "(child process, ru_maxrss)")                                                          \
    X(bench_tensor_memory, "tensors_mib", "MiB",                                             \
      "input + output tensors of that run (target: peak_mib under 3x this)")                 \
    X(bench_frame_ms, "frame_ms", "ms",                                                      \
      "draw_frame of the default scene at 1280x720 offscreen (software renderer, no "        \
      "encoding), median of 51 frames, CPU time (target: under 4)")                          \
    X(bench_png_ms, "png_ms", "ms",                                                          \
      "png_out_write of one 1280x720 frame of the default scene into memory, one thread, "  \
      "median of its 25 steps (export --frames runs 2 such writers beside the drawing)")     \
    X(bench_gif_ms, "gif_ms", "ms",                                                          \
      "gif_out_add of one 1280x720 frame of the default scene (palette, changed pixels, "    \
      "LZW) into memory, median of its 25 steps")                                           \
    X(bench_stack_frame_ms, "stack_frame_ms", "ms",                                          \
      "draw_frame of a 200-layer stack (3x64x64 input, Conv2d 3x3 padding 1 + ReLU, 16 "      \
      "channels, 3 with stride 2) at 1280x720 offscreen, middle map's centre cell clicked, " \
      "median of 51 frames, CPU time (target: under 16.7, i.e. 60 fps)")                     \
    X(bench_rf_10000_ms, "rf_10000_ms", "ms",                                                \
      "convstep rf --input-size 224 over 10,000 x Conv2d(1, 1, 3, padding=1): parse, "       \
      "rf_compute, table to /dev/null, median of 11, CPU time (target: under 10)")          \
    X(bench_forward_vgg16_ms, "forward_vgg16_ms", "ms",                                      \
      "net_forward of VGG-16 (features, avgpool, classifier) on a 3x224x224 image, random "  \
      "weights, every layer's output kept, one thread, median of 3, CPU time")              \
    X(bench_forward_vgg16_peak, "forward_vgg16_peak_mib", "MiB",                             \
      "peak resident memory of a process that builds VGG-16 (138 million parameters) and "   \
      "runs it once at 224x224 keeping every layer's output (child process, ru_maxrss; "    \
      "target: well under 1024)")                                                           \
    X(bench_big_png_peak_rss, "big_png_peak_rss_mb", "MB",                                   \
      "peak RSS added by loading an 8192x8192 RGBA PNG as the window does (resampled to "    \
      "256x256 while converting; child process, ru_maxrss; the pixels alone are 268 MB)")  \
    X(bench_shape_rgb512, "shape_rgb512_ms", "ms",                                           \
      "conv 3x512x512 -> 16, 3x3, padding 1, one thread, median of 15")                     \
    X(bench_shape_rgb512_s2, "shape_rgb512_s2_ms", "ms",                                     \
      "conv 3x512x512 -> 16, 3x3, stride 2, padding 1, median of 31")                       \
    X(bench_shape_vgg, "shape_vgg_ms", "ms",                                                 \
      "conv 64x56x56 -> 64, 3x3, padding 1 (VGG/ResNet body), median of 31")                \
    X(bench_shape_pointwise, "shape_pointwise_ms", "ms",                                     \
      "conv 64x56x56 -> 256, 1x1, median of 15")                                            \
    X(bench_shape_depthwise, "shape_depthwise_ms", "ms",                                     \
      "depthwise conv 32x112x112, 3x3, padding 1, groups 32, median of 31")                 \
    X(bench_shape_dilated, "shape_dilated_ms", "ms",                                         \
      "conv 16x128x128 -> 16, 3x3, dilation 2, padding 2, median of 31")                    \
    X(bench_shape_alexnet, "shape_alexnet_ms", "ms",                                         \
      "conv 3x224x224 -> 64, 11x11, stride 4, padding 2 (AlexNet conv1), median of 31")     \
    X(bench_shape_transposed, "shape_transposed_ms", "ms",                                   \
      "transposed conv 16x64x64 -> 8, 4x4, stride 2, padding 1, median of 31")              \
    X(bench_shape_maxpool, "shape_maxpool_ms", "ms",                                         \
      "max pool 2x2 (stride 2) over 64x112x112, median of 31")                              \
    X(bench_shape_avgpool, "shape_avgpool_ms", "ms",                                         \
      "avg pool 3x3 stride 2 over 64x56x56, median of 31")                                  \
    X(bench_conv_threads_ms, "conv_threads_ms", "ms",                                        \
      "conv_ms's layer through conv_forward_threads on every CPU online, wall clock, "      \
      "median of 15")                                                                        \
    X(bench_conv_threads_speedup, "conv_threads_speedup", "x",                               \
      "wall time on one thread / on every CPU online, same layer, alternating runs, "       \
      "medians of 15 each")                                                                  \
    X(bench_shape_vgg_threads_ms, "shape_vgg_threads_ms", "ms",                              \
      "shape_vgg_ms's layer (64x56x56 -> 64, 3x3) on every CPU online, wall clock, "        \
      "median of 31")                                                                        \
    X(bench_shape_vgg_threads_speedup, "shape_vgg_threads_speedup", "x",                     \
      "wall time on one thread / on every CPU online, same layer, alternating runs, "       \
      "medians of 31 each")                                                                  \
    X(bench_forward_vgg16_threads_ms, "forward_vgg16_threads_ms", "ms",                      \
      "forward_vgg16_ms's pass through net_forward_threads on every CPU online, wall "      \
      "clock, median of 3")                                                                  \
    X(bench_forward_vgg16_threads_speedup, "forward_vgg16_threads_speedup", "x",             \
      "wall time on one thread / on every CPU online, same pass, alternating runs, "        \
      "medians of 3 each")                                                                   \
    X(bench_train_conv1, "train_conv1_ms", "ms",                                             \
      "train's Conv2d(1, 8, 3) on a batch of 64 1x28x28 images: conv_forward_batch + "       \
      "conv_backward (weight and bias gradients) in chunks of 16, one thread, median of 51") \
    X(bench_train_conv2, "train_conv2_ms", "ms",                                             \
      "train's Conv2d(8, 16, 3) on a batch of 64 8x13x13 maps: forward + backward (input, "  \
      "weight and bias gradients) in chunks of 16, one thread, median of 51")              \
    X(bench_grad_maxpool, "grad_maxpool_ms", "ms",                                           \
      "pool_backward of the training network's two MaxPool2d(2) at batch 64 (512 planes "   \
      "26x26, 1024 planes 11x11), one thread, median of 51")                                \
    X(bench_grad_relu, "grad_relu_ms", "ms",                                                 \
      "act_backward of its two ReLUs at batch 64 (470,272 values), median of 51")            \
    X(bench_grad_head, "grad_head_ms", "ms",                                                 \
      "its Linear(400, 10) forward and backward and the cross-entropy at batch 64, "        \
      "median of 51")

/* The time in milliseconds on this thread's CPU clock (other processes on
 * a busy machine do not count). */
double bench_cpu_ms(void);
/* The time in milliseconds on the monotonic wall clock. */
double bench_wall_ms(void);
/* The median of ms[0..n) (n > 0); sorts ms. */
double bench_median(double *ms, size_t n);
/* Writes a side x side RGBA PNG into a temporary folder, loads it in a
 * child process as the window does and stores how far the child's peak RSS
 * rose, in MB (10^6 bytes), in *mb; the folder is removed. big_png_peak_rss_mb
 * is this for 8192; tests use a smaller side. */
Status bench_image_peak_mb(int side, double *mb, Error *err);

/* VGG-16 (torchvision's) built for 3x224x224 with random weights, and a
 * random 0-255 image (net_bench.c). */
typedef struct Net Net;
Status bench_vgg16_build(Net *net, Tensor *image, Error *err);

#define BENCH_DECLARE(function, key, unit, what) Status function(double *value, Error *err);
BENCH_FIGURES(BENCH_DECLARE)
#undef BENCH_DECLARE

#endif
