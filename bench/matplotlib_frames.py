#!/usr/bin/env python3
"""matplotlib_frames.py: the matplotlib side of `make bench`'s export race.

    python3 bench/matplotlib_frames.py [--reuse] INPUT.npy KERNEL.npy OUTDIR

Draws what `convstep export --frames` draws for a one-channel input and one
kernel (no padding, stride 1): for every output position one 1280x720 PNG
(figsize 12.8x7.2 at 100 dpi) with four grids with their numbers -- the
input with the current window highlighted, the kernel, the products of the
window and the output so far -- and the sum as the title, one savefig per
position.

By default each frame is drawn as a plain script would: a new figure per
position. With --reuse it is written the fast way for matplotlib: the
figure and its artists are built once and only their texts, colours and the
window's position change per frame.
"""
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402


def grid(ax, values, title, cmap="viridis", vmin=None, vmax=None):
    """An image of values with one text per cell; returns (image, texts)."""
    image = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax)
    ax.set_title(title)
    ax.set_xticks(range(values.shape[1]))
    ax.set_yticks(range(values.shape[0]))
    texts = [[ax.text(x, y, "", ha="center", va="center", fontsize=8, color="white")
              for x in range(values.shape[1])] for y in range(values.shape[0])]
    return image, texts


def numbered_grid(ax, values, title, cmap="viridis"):
    """An image of values with its numbers (NaN cells left blank)."""
    ax.imshow(np.nan_to_num(values), cmap=cmap)
    ax.set_title(title)
    ax.set_xticks(range(values.shape[1]))
    ax.set_yticks(range(values.shape[0]))
    for y in range(values.shape[0]):
        for xx in range(values.shape[1]):
            if not np.isnan(values[y, xx]):
                ax.text(xx, y, f"{values[y, xx]:g}", ha="center", va="center", fontsize=8,
                        color="white")


def plain(x, k, out_dir):
    """A new figure per position, as a plain script draws it."""
    kh, kw = k.shape
    oh, ow = x.shape[0] - kh + 1, x.shape[1] - kw + 1
    out = np.full((oh, ow), np.nan)
    frame = 0
    for oy in range(oh):
        for ox in range(ow):
            frame += 1
            products = x[oy:oy + kh, ox:ox + kw] * k
            total = float(products.sum())
            out[oy, ox] = total
            fig, axes = plt.subplots(1, 4, figsize=(12.8, 7.2), dpi=100)
            numbered_grid(axes[0], x, "input")
            axes[0].add_patch(Rectangle((ox - 0.5, oy - 0.5), kw, kh, fill=False, edgecolor="red",
                                        linewidth=3))
            numbered_grid(axes[1], k, "kernel", cmap="coolwarm")
            numbered_grid(axes[2], products, "products", cmap="coolwarm")
            numbered_grid(axes[3], out, "output")
            fig.suptitle(f"output ({oy}, {ox}) = sum of products = {total:g}", fontsize=14)
            fig.savefig(os.path.join(out_dir, f"frame-{frame:05d}.png"))
            plt.close(fig)


def main():
    args = sys.argv[1:]
    reuse = "--reuse" in args
    args = [a for a in args if a != "--reuse"]
    if len(args) != 3:
        sys.exit("usage: matplotlib_frames.py [--reuse] INPUT.npy KERNEL.npy OUTDIR")
    x = np.load(args[0]).astype(np.float32).reshape(-1)
    side = int(round(len(x) ** 0.5))
    x = x.reshape(side, side)
    k = np.load(args[1]).astype(np.float32)
    k = k.reshape(k.shape[-2], k.shape[-1])
    kh, kw = k.shape
    oh, ow = side - kh + 1, side - kw + 1
    out_dir = args[2]
    os.makedirs(out_dir, exist_ok=True)
    if not reuse:
        plain(x, k, out_dir)
        return

    fig, axes = plt.subplots(1, 4, figsize=(12.8, 7.2), dpi=100)
    _, in_texts = grid(axes[0], x, "input")
    for y in range(side):
        for xx in range(side):
            in_texts[y][xx].set_text(f"{x[y, xx]:g}")
    _, k_texts = grid(axes[1], k, "kernel", cmap="coolwarm")
    for y in range(kh):
        for xx in range(kw):
            k_texts[y][xx].set_text(f"{k[y, xx]:g}")
    prod_image, prod_texts = grid(axes[2], np.zeros((kh, kw)), "products", cmap="coolwarm")
    out = np.full((oh, ow), np.nan)
    out_image, out_texts = grid(axes[3], np.zeros((oh, ow)), "output")
    window = Rectangle((-0.5, -0.5), kw, kh, fill=False, edgecolor="red", linewidth=3)
    axes[0].add_patch(window)
    title = fig.suptitle("", fontsize=14)

    frame = 0
    for oy in range(oh):
        for ox in range(ow):
            frame += 1
            products = x[oy:oy + kh, ox:ox + kw] * k
            total = float(products.sum())
            out[oy, ox] = total
            window.set_xy((ox - 0.5, oy - 0.5))
            prod_image.set_data(products)
            prod_image.set_clim(products.min(), products.max())
            for y in range(kh):
                for xx in range(kw):
                    prod_texts[y][xx].set_text(f"{products[y, xx]:g}")
            out_image.set_data(np.nan_to_num(out))
            out_image.set_clim(np.nanmin(out), np.nanmax(out))
            out_texts[oy][ox].set_text(f"{total:g}")
            title.set_text(f"output ({oy}, {ox}) = sum of products = {total:g}")
            fig.savefig(os.path.join(out_dir, f"frame-{frame:05d}.png"))
    plt.close(fig)


if __name__ == "__main__":
    main()
