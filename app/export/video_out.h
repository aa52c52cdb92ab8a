/* video_out.h: an H.264 MP4 of ARGB8888 frames, by piping raw frames to
 * ffmpeg (`ffmpeg -f rawvideo -pix_fmt bgra -s WxH -r FPS -i - -c:v libx264
 * -pix_fmt yuv420p -movflags +faststart`).
 *
 * ffmpeg writes the temporary file of a core/fileout.h output (so the final
 * name appears only when the video is complete, and an existing one is
 * refused unless overwrite); its messages go to a private log that says
 * why when it fails ("cannot write a.mp4: No space left on device"). The stream is bit-exact (no encoder
 * version or time stamps), so the same frames give the same file with the
 * same ffmpeg. */
#ifndef CONVSTEP_VIDEO_OUT_H
#define CONVSTEP_VIDEO_OUT_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

typedef struct VideoOut VideoOut;

/* True when an executable `ffmpeg` is on PATH. */
bool video_out_available(void);

/* Starts ffmpeg writing path's temporary file for w x h frames at fps.
 * Fails with a clear message when ffmpeg is not installed, when w or h is
 * odd (yuv420p needs even sizes), or as fileout_open does for path. */
Status video_out_open(VideoOut **out, const char *path, bool overwrite, int w, int h, int fps, Error *err);

/* Sends one frame (w*h ARGB8888 values, row stride w) to ffmpeg. */
Status video_out_add(VideoOut *v, const uint32_t *pixels, Error *err);

/* Ends the stream, waits for ffmpeg and, when it exited 0 without printing
 * an error and left a complete MP4 (core/mp4.h), syncs and renames the file
 * into place; otherwise removes it and fails with CS_ERR_IO (ffmpeg's
 * reason) or CS_ERR_FORMAT (what is missing from the file). Frees v either
 * way. */
Status video_out_commit(VideoOut *v, Error *err);

/* Stops ffmpeg, removes the temporary file and frees v. NULL is fine. */
void video_out_abort(VideoOut *v);

/* The temporary file ffmpeg writes and ffmpeg's process id (-1 when it has
 * ended), for a signal handler that must stop it and unlink the file. */
const char *video_out_temp_path(const VideoOut *v);
int video_out_pid(const VideoOut *v);

#endif
