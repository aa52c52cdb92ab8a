#!/usr/bin/python3
"""gen_corpus.py: writes the small valid (and a few refused) seed inputs of
tests/fuzz/corpus_npy/ and tests/fuzz/corpus_image/, so a fuzzer starts from
every form each parser reads instead of having to find them.
   /usr/bin/python3 tests/fuzz/gen_corpus.py
.npy files are written by hand (NumPy's layout, no NumPy needed): every real
dtype in both byte orders, versions 1.0, 2.0 and 3.0, ranks 1 to 4, NaN and
infinities. Images come from ImageMagick's convert (PNG of every colour type
and depth, interlaced; JPEG baseline, progressive, grey, subsampled, with
restart markers; GIF; BMP of every depth; TGA raw and RLE; PSD raw and RLE;
PNM; Radiance HDR) and, for Softimage PIC, which convert does not write, by
hand. Files named refused_* (and bad_*.npy) are forms the loader refuses
(stb reads no RLE BMP, ASCII PNM or greyscale PSD). Files that are already
there are rewritten; nothing else is removed."""
import math
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def write(folder, name, data):
    os.makedirs(os.path.join(HERE, folder), exist_ok=True)
    with open(os.path.join(HERE, folder, name), 'wb') as f:
        f.write(data)


# ---- .npy ------------------------------------------------------------------

def npy(descr, shape, values, version=1, header=None):
    """A .npy file as NumPy writes it: magic, version, header length, the dict
    padded with spaces to a multiple of 64 bytes ending in '\\n', the data."""
    if header is None:
        dims = '(%s)' % (', '.join(str(d) for d in shape) + (',' if len(shape) == 1 else ''))
        header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, dims)
    lenbytes = 2 if version == 1 else 4
    prelude = 6 + 2 + lenbytes
    total = prelude + len(header) + 1
    header = header + ' ' * ((64 - total % 64) % 64) + '\n'
    length = struct.pack('<H' if version == 1 else '<I', len(header))
    return b'\x93NUMPY' + bytes([version, 0]) + length + header.encode() + values


def pack(descr, values):
    order = '>' if descr[0] == '>' else '<'
    kind, size = descr[-2], int(descr[-1])
    fmt = {('b', 1): '?', ('i', 1): 'b', ('u', 1): 'B', ('i', 2): 'h', ('u', 2): 'H', ('i', 4): 'i',
           ('u', 4): 'I', ('i', 8): 'q', ('u', 8): 'Q', ('f', 2): 'e', ('f', 4): 'f', ('f', 8): 'd'}[kind, size]
    return b''.join(struct.pack(order + fmt, v) for v in values)


def gen_npy():
    folder = 'corpus_npy'
    ints = [-3, -1, 0, 1, 2, 100]
    uints = [0, 1, 2, 3, 100, 255]
    floats = [-1.5, 0.25, 0.0, 1.0, math.nan, -math.inf]
    for kind, sizes, vals in (('i', (1, 2, 4, 8), ints), ('u', (1, 2, 4, 8), uints), ('f', (2, 4, 8), floats)):
        for size in sizes:
            for order in ('<', '>') if size > 1 else ('|',):
                descr = '%s%s%d' % (order, kind, size)
                tag = {'<': 'le', '>': 'be', '|': ''}[order]
                write(folder, 'dt_%s%s%d_2x3.npy' % (tag, kind, size), npy(descr, (2, 3), pack(descr, vals)))
    write(folder, 'dt_b1_6.npy', npy('|b1', (6,), pack('|b1', [True, False, False, True, True, False])))
    write(folder, 'dt_native_f4_3.npy', npy('=f4', (3,), pack('<f4', [1.0, 2.0, 3.0])))
    extremes = [-65504.0, 6e-8, math.inf, 65504.0]
    write(folder, 'f2_extremes.npy', npy('<f2', (4,), pack('<f2', extremes)))
    write(folder, 'u8_max.npy', npy('<u8', (2,), pack('<u8', [2**64 - 1, 2**63])))
    write(folder, 'i8_min.npy', npy('<i8', (2,), pack('<i8', [-2**63, 2**63 - 1])))
    for rank, shape in ((1, (5,)), (2, (2, 2)), (3, (2, 2, 3)), (4, (1, 2, 2, 2))):
        n = math.prod(shape)
        write(folder, 'rank%d_f4.npy' % rank, npy('<f4', shape, pack('<f4', [i * 0.5 for i in range(n)])))
    for version in (2, 3):
        write(folder, 'ver%d_f8_2x1x3.npy' % version,
              npy('<f8', (2, 1, 3), pack('<f8', [1, 2, 3, 4, 5, 6]), version=version))
    # Header spellings NumPy's reader takes: double quotes, key order, no
    # trailing comma, a Python 2 long.
    write(folder, 'hdr_double_quotes.npy',
          npy('<i2', (2,), pack('<i2', [7, -7]), header='{"descr": "<i2", "fortran_order": False, "shape": (2,)}'))
    write(folder, 'hdr_key_order.npy',
          npy('<u2', (1, 3), pack('<u2', [1, 2, 3]), header="{'shape': (1, 3), 'fortran_order': False, 'descr': '<u2'}"))
    write(folder, 'hdr_long.npy',
          npy('|u1', (3,), pack('|u1', [1, 2, 3]), header="{'descr': '|u1', 'fortran_order': False, 'shape': (3L,), }"))
    # Refused: each must stay refused with a message naming the file.
    write(folder, 'bad_fortran.npy',
          npy('<f4', (2, 2), pack('<f4', [1, 2, 3, 4]),
              header="{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }"))
    write(folder, 'bad_scalar.npy', npy('<f4', (), pack('<f4', [1]), header="{'descr': '<f4', 'fortran_order': False, 'shape': (), }"))
    write(folder, 'bad_rank5.npy', npy('|u1', (1, 1, 1, 1, 2), pack('|u1', [1, 2])))
    write(folder, 'bad_empty_dim.npy', npy('<f4', (0, 3), b''))
    write(folder, 'bad_complex.npy', npy('<c8', (1,), b'\0' * 8))
    write(folder, 'bad_record.npy',
          npy('', (1,), b'\0' * 4, header="{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }"))
    write(folder, 'bad_truncated.npy', npy('<f8', (4,), pack('<f8', [1, 2, 3])))


# ---- images ------------------------------------------------------------------

def convert(args, out_name, source):
    """Runs ImageMagick's convert on a generated source image."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, 'out')
        subprocess.run(['convert', source] + args + [out], check=True)
        with open(out, 'rb') as f:
            write('corpus_image', out_name, f.read())


def pic(width, height, channels, rle):
    """A Softimage PIC file: a 104-byte header, channel packets, then the
    scanlines, either raw or as stb's 'mixed' run-length packets."""
    head = struct.pack('>I', 0x5380F634) + struct.pack('>f', 3.71) + b'convstep seed'.ljust(80, b'\0')
    head += b'PICT' + struct.pack('>HHfHH', width, height, 1.0, 3, 0)
    mask = 0xE0 if channels == 3 else 0xF0
    head += bytes([0, 8, 2 if rle else 0, mask])
    body = b''
    for y in range(height):
        row = [tuple((x * 40 + y * 10 + c * 60) % 256 for c in range(channels)) for x in range(width)]
        if rle:
            # One literal packet of the whole row (count - 1 below 128).
            body += bytes([width - 1]) + b''.join(bytes(p) for p in row)
        else:
            body += b''.join(bytes(p) for p in row)
    return head + body


def gen_images():
    with tempfile.TemporaryDirectory() as tmp:
        rgb = os.path.join(tmp, 'rgb.png')
        grey = os.path.join(tmp, 'grey.png')
        rgba = os.path.join(tmp, 'rgba.png')
        subprocess.run(['convert', '-size', '8x6', 'gradient:red-blue', '-define', 'png:color-type=2', rgb], check=True)
        subprocess.run(['convert', '-size', '7x5', 'gradient:black-white', '-colorspace', 'Gray', grey], check=True)
        subprocess.run(['convert', '-size', '6x4', 'gradient:yellow-green', '-alpha', 'set', '-channel', 'A',
                        '-evaluate', 'set', '50%', '+channel', rgba], check=True)
        png = [('png_grey1.png', grey, ['-depth', '1', '-define', 'png:color-type=0', '-define', 'png:bit-depth=1']),
               ('png_grey4.png', grey, ['-depth', '4', '-define', 'png:color-type=0', '-define', 'png:bit-depth=4']),
               ('png_grey16.png', grey, ['-depth', '16', '-define', 'png:color-type=0']),
               ('png_rgb16.png', rgb, ['-depth', '16', '-define', 'png:color-type=2']),
               ('png_rgba16.png', rgba, ['-depth', '16', '-define', 'png:color-type=6']),
               ('png_grey_alpha16.png', rgba, ['-colorspace', 'Gray', '-depth', '16', '-define', 'png:color-type=4']),
               ('png_palette2.png', rgb, ['-colors', '4', '-define', 'png:color-type=3', '-define', 'png:bit-depth=2']),
               ('png_palette_trns.png', rgba, ['-colors', '8', 'PNG8:']),
               ('png_interlaced.png', rgb, ['-interlace', 'PNG']),
               ('png_interlaced_rgba16.png', rgba, ['-interlace', 'PNG', '-depth', '16'])]
        for name, src, args in png:
            if args and args[-1] == 'PNG8:':
                with tempfile.TemporaryDirectory() as t2:
                    out = os.path.join(t2, 'o.png')
                    subprocess.run(['convert', src] + args[:-1] + ['PNG8:' + out], check=True)
                    write('corpus_image', name, open(out, 'rb').read())
            else:
                convert(args, name, src)
        jpg = [('jpg_444.jpg', rgb, ['-sampling-factor', '1x1', '-quality', '90', 'JPEG:']),
               ('jpg_422.jpg', rgb, ['-sampling-factor', '2x1', 'JPEG:']),
               ('jpg_420_restart.jpg', rgb, ['-sampling-factor', '2x2', '-define', 'jpeg:restart-interval=1', 'JPEG:']),
               ('jpg_grey_progressive.jpg', grey, ['-interlace', 'JPEG', 'JPEG:']),
               ('jpg_cmyk.jpg', rgb, ['-colorspace', 'CMYK', 'JPEG:']),
               ('jpg_optimized.jpg', rgb, ['-define', 'jpeg:optimize-coding=true', '-quality', '30', 'JPEG:'])]
        gif = [('gif_interlaced.gif', rgb, ['-interlace', 'GIF', 'GIF:']),
               ('gif_transparent.gif', rgba, ['GIF:']),
               ('gif_grey.gif', grey, ['GIF:'])]
        bmp = [('bmp1.bmp', grey, ['-monochrome', '-type', 'Bilevel', 'BMP3:']),
               ('bmp4.bmp', rgb, ['-colors', '16', '-type', 'Palette', 'BMP3:']),
               ('refused_bmp8_rle.bmp', rgb, ['-colors', '16', '-type', 'Palette', '-compress', 'RLE', 'BMP3:']),
               ('bmp16.bmp', rgb, ['-define', 'bmp:subtype=RGB565', 'BMP:']),
               ('bmp24_v3.bmp', rgb, ['-type', 'TrueColor', 'BMP3:']),
               ('bmp32_v5.bmp', rgba, ['-type', 'TrueColorAlpha', 'BMP:']),
               ('bmp_os2.bmp', rgb, ['-type', 'TrueColor', 'BMP2:'])]
        other = [('tga_rgb_raw.tga', rgb, ['-compress', 'None', 'TGA:']),
                 ('tga_rgba_rle.tga', rgba, ['-compress', 'RLE', 'TGA:']),
                 ('tga_grey_rle.tga', grey, ['-compress', 'RLE', 'TGA:']),
                 ('tga_palette.tga', rgb, ['-colors', '8', '-type', 'Palette', '-compress', 'None', 'TGA:']),
                 ('psd_rgb_raw.psd', rgb, ['-compress', 'None', 'PSD:']),
                 ('psd_rgba_rle.psd', rgba, ['-compress', 'RLE', 'PSD:']),
                 ('refused_psd_grey16.psd', grey, ['-depth', '16', 'PSD:']),
                 ('psd_rgb16.psd', rgb, ['-depth', '16', 'PSD:']),
                 ('refused_pgm_ascii.pgm', grey, ['-compress', 'None', 'PGM:']),
                 ('pnm_grey16.pgm', grey, ['-depth', '16', 'PGM:']),
                 ('pnm_rgb.ppm', rgb, ['PPM:']),
                 ('hdr_rgb.hdr', rgb, ['HDR:'])]
        for name, src, args in jpg + gif + bmp + other:
            fmt = args[-1]
            with tempfile.TemporaryDirectory() as t2:
                out = os.path.join(t2, 'o')
                subprocess.run(['convert', src] + args[:-1] + [fmt + out], check=True)
                write('corpus_image', name, open(out, 'rb').read())
        # An HDR scanline of 8 or more pixels is run-length coded; a flat one
        # (fewer than 8 pixels) is not.
        with tempfile.TemporaryDirectory() as t2:
            out = os.path.join(t2, 'o')
            subprocess.run(['convert', grey, '-resize', '5x3!', 'HDR:' + out], check=True)
            write('corpus_image', 'hdr_flat.hdr', open(out, 'rb').read())
        with tempfile.TemporaryDirectory() as t2:
            out = os.path.join(t2, 'o.gif')
            subprocess.run(['convert', '-delay', '10', rgb, grey, '-loop', '0', out], check=True)
            write('corpus_image', 'gif_anim.gif', open(out, 'rb').read())
    write('corpus_image', 'pic_rgb_raw.pic', pic(4, 3, 3, False))
    write('corpus_image', 'pic_rgba_rle.pic', pic(4, 3, 4, True))


if __name__ == '__main__':
    gen_npy()
    gen_images()
    sys.exit(0)
