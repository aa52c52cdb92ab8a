/* cli_export.c: `convstep export`, the scene's steps as PNG frames, a GIF,
 * a video or one PNG, without a display (export.h does the work).
 *
 * Reads SCENE OPTIONS through scene_options_parse_one (the window's own
 * parser) and the export options below; Ctrl-C and SIGTERM ask the export
 * to stop after the current frame (it then removes its unfinished file), a
 * second one ends the process at once after the same cleanup. */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "cli.h"
#include "cli_common.h"
#include "export.h"
#include "scene.h"
#include "view.h"

static const CliCommand cmd = {
    "export",
    "usage: convstep export [SCENE OPTIONS] [IMAGE] TARGET [--size WxH] [--fps N]\n"
    "                       [--from N] [--to M] [--at ROW,COL [--filter F]] [--force] [--quiet]\n"
    "\n"
    "Writes the scene's steps exactly as the window draws them, without a display:\n"
    "with --step position (the default) one frame per output position per filter,\n"
    "in stepping order; with --step channel or term one frame per finer step.\n"
    "\n"
    "TARGET, one of:\n"
    "  --frames DIR          DIR/frame-00001.png, frame-00002.png, ... (DIR is created\n"
    "                        if missing; with --force its old frame-*.png files are\n"
    "                        removed first, other files stay)\n"
    "  --gif FILE            an animated GIF that loops (at most 50 frames per second)\n"
    "  --video FILE          H.264 MP4 (yuv420p, even sizes) through ffmpeg\n"
    "  --png FILE            one PNG: the step at --at, or the --from step (default 1;\n"
    "                        the network scene: its last, the whole network)\n"
    "\n"
    "  --size WxH            frame size in pixels (default 1280x720; 32..8192 each)\n"
    "  --fps N               frames per second of the GIF or video (default 2, the\n"
    "                        window's playback speed)\n"
    "  --from N, --to M      only steps N to M, numbered as the window's timeline\n"
    "                        shows them: 1 is the first step (default: all)\n"
    "  --at ROW,COL          one still of output position ROW,COL (0-based, as the\n"
    "                        window labels cells), complete (its last finer step)\n"
    "  --filter F            with --at: the filter (0-based; default 0)\n"
    "  --force               replace an existing FILE, write into a non-empty DIR\n"
    "  --quiet               no progress bar (shown on stderr when it is a terminal)\n"
    "                        and no summary line\n"
    "  -h, --help            this text\n"
    "\n"
    "SCENE OPTIONS are the window's: -i INPUT (or IMAGE), --fit H[,W], --kernel\n"
    "NAME|FILE.npy, --bias, --stride S, --padding P, --padding-mode M, --dilation D,\n"
    "--pool max|avg, --step position|channel|term, --theme dark|light, --seed N, ...\n"
    "(see 'convstep --help').\n"
    "\n"
    "Files are written under a temporary name and renamed when complete; an\n"
    "existing FILE or a non-empty DIR is refused without --force; a failure or\n"
    "Ctrl-C leaves no partial file (frames already completed stay). The same\n"
    "options give byte-identical files.\n",
};

/* ---- signals ---- */

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    if (stop_requested) {
        static const char msg[] = "convstep: interrupted\n";
        export_signal_cleanup();
        if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0)
            _exit(1);
        _exit(1);
    }
    stop_requested = sig;
}

/* ---- options ---- */

/* The export options' texts, before parsing. */
typedef struct ExportText {
    const char *frames, *gif, *video, *png;
    const char *size, *fps, *from, *to, *at, *filter;
    bool force, quiet;
} ExportText;

/* "WxH" with both in range. */
static int parse_size(const char *text, int *w, int *h)
{
    char *end;
    long a = strtol(text, &end, 10);
    if (end == text || (*end != 'x' && *end != 'X'))
        goto bad;
    const char *rest = end + 1;
    long b = strtol(rest, &end, 10);
    if (end == rest || *end != '\0' || a < EXPORT_MIN_SIDE || b < EXPORT_MIN_SIDE || a > EXPORT_MAX_SIDE ||
        b > EXPORT_MAX_SIDE)
        goto bad;
    *w = (int)a;
    *h = (int)b;
    return CLI_CONTINUE;
bad:
    return cli_fail(1, "--size: expected WxH such as 1280x720, each %d..%d, got '%s'", EXPORT_MIN_SIDE,
                    EXPORT_MAX_SIDE, text);
}

/* Parses argv into o (scene options and IMAGE) and t. */
static int parse_args(int argc, char **argv, SceneOptions *o, ExportText *t)
{
    const CliOption opts[] = {
        {"--frames", NULL, "DIR", &t->frames, NULL},
        {"--gif", NULL, "FILE", &t->gif, NULL},
        {"--video", NULL, "FILE", &t->video, NULL},
        {"--png", NULL, "FILE", &t->png, NULL},
        {"--size", NULL, "WxH", &t->size, NULL},
        {"--fps", NULL, "N", &t->fps, NULL},
        {"--from", NULL, "N", &t->from, NULL},
        {"--to", NULL, "N", &t->to, NULL},
        {"--at", NULL, "ROW,COL", &t->at, NULL},
        {"--filter", NULL, "F", &t->filter, NULL},
        {"--force", NULL, NULL, NULL, &t->force},
        {"--quiet", "-q", NULL, NULL, &t->quiet},
    };
    const int n_opts = (int)(sizeof opts / sizeof opts[0]);
    /* Scene options first (their own parser); what is left goes through
     * cli_parse, which words every usage error like the other commands. */
    char **rest = malloc((size_t)(argc + 1) * sizeof *rest);
    if (!rest)
        return cli_fail(1, "out of memory");
    int n_rest = 0;
    rest[n_rest++] = argv[0];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            while (i < argc)
                rest[n_rest++] = argv[i++];
            break;
        }
        Error err = {0};
        int r = scene_options_parse_one(o, argc, argv, &i, &err);
        if (r < 0) {
            free(rest);
            if (err.status == CS_ERR_SYNTAX)
                return cli_usage_error(&cmd, "%s", err.message);
            return cli_fail(1, "%s", err.message);
        }
        if (r == 0) {
            rest[n_rest++] = argv[i];
            /* An export option's value is not a scene option or an IMAGE. */
            for (int k = 0; k < n_opts; k++) {
                if (opts[k].metavar && strcmp(argv[i], opts[k].name) == 0 && i + 1 < argc) {
                    rest[n_rest++] = argv[++i];
                    break;
                }
            }
        }
    }
    rest[n_rest] = NULL;
    const char *image[2] = {NULL, NULL};
    int n_image = 0;
    int rc = cli_parse(&cmd, n_rest, rest, opts, n_opts, image, 1, &n_image);
    free(rest);
    if (rc != CLI_CONTINUE)
        return rc;
    if (n_image == 1) {
        if (o->input)
            return cli_usage_error(&cmd, "both -i %s and IMAGE %s given", o->input, image[0]);
        o->input = image[0];
    }
    return CLI_CONTINUE;
}

/* Fills job from t (the scene is needed for ranges and --at). */
static int make_job(const ExportText *t, const Scene *s, ExportJob *job)
{
    Error err = {0};
    int targets = (t->frames != NULL) + (t->gif != NULL) + (t->video != NULL) + (t->png != NULL);
    if (targets == 0)
        return cli_usage_error(&cmd, "missing a target: --frames DIR, --gif FILE, --video FILE or --png FILE");
    if (targets > 1)
        return cli_usage_error(&cmd, "give one target of --frames, --gif, --video and --png");
    if (t->frames) {
        job->target = EXPORT_FRAMES;
        job->path = t->frames;
    } else if (t->gif) {
        job->target = EXPORT_GIF;
        job->path = t->gif;
    } else if (t->video) {
        job->target = EXPORT_VIDEO;
        job->path = t->video;
    } else {
        job->target = EXPORT_PNG;
        job->path = t->png;
    }
    job->force = t->force;
    job->quiet = t->quiet;
    if (t->size && parse_size(t->size, &job->width, &job->height) != CLI_CONTINUE)
        return 1;
    long v;
    if (t->fps) {
        if (args_parse_int("--fps", t->fps, 1, 240, &v, &err) != CS_OK)
            return cli_fail(1, "%s", err.message);
        job->fps = (int)v;
    }
    if (t->at && (t->from || t->to))
        return cli_usage_error(&cmd, "--at picks one still; it does not go with --from or --to");
    if (t->filter && !t->at)
        return cli_usage_error(&cmd, "--filter goes with --at");
    if (t->png && t->to)
        return cli_usage_error(&cmd, "--png writes one step: give --from N or --at ROW,COL, not --to");

    const Stepper *st = s->stepper;
    size_t count = scene_step_count(s);
    if (t->at && s->scene_kind->at_refusal)
        return cli_fail(1, "--at %s: %s", t->at, s->scene_kind->at_refusal);
    if (t->at) {
        int row, col;
        long f = 0;
        size_t oh, ow, maps;
        stepper_output_size(st, &oh, &ow, &maps);
        if (args_parse_cell("--at", t->at, &row, &col, &err) != CS_OK)
            return cli_fail(1, "%s", err.message);
        if (t->filter && args_parse_int("--filter", t->filter, 0, (long)maps - 1, &f, &err) != CS_OK)
            return cli_fail(1, "%s (the scene has %zu output map%s)", err.message, maps, maps == 1 ? "" : "s");
        if ((size_t)row >= oh || (size_t)col >= ow)
            return cli_fail(1, "--at %s: the output is %zux%zu (rows 0..%zu, columns 0..%zu)", t->at, oh, ow,
                            oh - 1, ow - 1);
        job->range = true;
        job->first = stepper_index_of(st, row, col, (int)f) + stepper_steps_per_position(st) - 1;
        job->last = job->first;
        return CLI_CONTINUE;
    }
    /* one PNG without --from: the kind's still (the network scene: the
       whole network), else the first step */
    long from = t->png && s->scene_kind->still_step ? (long)s->scene_kind->still_step(s) + 1 : 1, to = (long)count;
    if (t->from && args_parse_int("--from", t->from, 1, (long)count, &from, &err) != CS_OK)
        return cli_fail(1, "--from %s: the scene's steps are 1 to %zu", t->from, count);
    if (t->to && args_parse_int("--to", t->to, 1, (long)count, &to, &err) != CS_OK)
        return cli_fail(1, "--to %s: the scene's steps are 1 to %zu", t->to, count);
    if (from > to)
        return cli_fail(1, "--from %ld is after --to %ld", from, to);
    job->range = true;
    job->first = (size_t)from - 1;
    job->last = (size_t)to - 1;
    return CLI_CONTINUE;
}

int cli_export(int argc, char **argv)
{
    SceneOptions o;
    ExportText t;
    memset(&t, 0, sizeof t);
    scene_options_init(&o);
    int rc = parse_args(argc, argv, &o, &t);
    if (rc != CLI_CONTINUE)
        return rc;

    Error err = {0};
    Scene *s = NULL;
    if (scene_create(&o, &s, &err) != CS_OK)
        return cli_fail(1, "%s", err.message);
    ExportJob job;
    memset(&job, 0, sizeof job);
    rc = make_job(&t, s, &job);
    if (rc != CLI_CONTINUE) {
        scene_destroy(s);
        return rc;
    }
    if (job.target != EXPORT_FRAMES && !job.force && access(job.path, F_OK) == 0) {
        scene_destroy(s);
        return cli_fail(1, "%s already exists (use --force to replace it)", job.path);
    }
    /* Every frame is a frame of the animation: the timeline reads
     * "playing" at the export's rate, also in a single still. */
    View view;
    view_init(&view, &o);
    view.speed = (float)(job.fps ? job.fps : EXPORT_DEFAULT_FPS);
    view.playing = true;
    job.stop = &stop_requested;
    cli_on_stop_signals(on_signal);
    /* Every frame's encoder (zlib's state, libpng's rows, the GIF's
     * buffers) is freed and allocated again; above glibc's default 128 KiB
     * such blocks come from fresh mmaps, and their page faults, expensive
     * in a virtual machine, cost about a tenth of an export. A short-lived
     * process can keep freed memory for the next frame instead. */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    size_t written = 0;
    Status st = export_scene(s, &view, &o, &job, &written, &err);
    scene_destroy(s);
    if (st != CS_OK)
        return cli_fail(1, "%s", err.message);
    if (!t.quiet)
        printf("wrote %zu frame%s of %dx%d to %s\n", written, written == 1 ? "" : "s",
               job.width ? job.width : EXPORT_DEFAULT_WIDTH, job.height ? job.height : EXPORT_DEFAULT_HEIGHT,
               job.path);
    return 0;
}
