#!/usr/bin/python3
"""fashion_samples.py: writes assets/fashion/NN-NAME.png, the first test image
of each of Fashion-MNIST's ten classes (28x28, grey, 0-255 as in the IDX
file), for the network lesson and `convstep forward` examples. Run from the
repository with Debian's dataset-fashion-mnist installed:
   python3 scripts/fashion_samples.py
Only the standard library: gzip for the IDX file, zlib for the PNG."""
import gzip
import os
import struct
import zlib

DATA = '/usr/share/datasets/fashion-mnist'
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'assets', 'fashion')
NAMES = ['tshirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot']


def idx(name):
    with gzip.open(os.path.join(DATA, name + '.gz'), 'rb') as f:
        data = f.read()
    rank = data[3]
    dims = struct.unpack('>' + 'I' * rank, data[4:4 + 4 * rank])
    return dims, data[4 + 4 * rank:]


def png(path, pixels, w, h):
    def chunk(kind, body):
        return struct.pack('>I', len(body)) + kind + body + struct.pack('>I', zlib.crc32(kind + body))
    rows = b''.join(b'\0' + pixels[y * w:(y + 1) * w] for y in range(h))
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0)) +
                chunk(b'IDAT', zlib.compress(rows, 9)) + chunk(b'IEND', b''))


def main():
    (n, h, w), images = idx('t10k-images-idx3-ubyte')
    _, labels = idx('t10k-labels-idx1-ubyte')
    os.makedirs(OUT, exist_ok=True)
    for k, name in enumerate(NAMES):
        i = labels.index(bytes([k]))
        png(os.path.join(OUT, '%02d-%s.png' % (k, name)), images[i * h * w:(i + 1) * h * w], w, h)


if __name__ == '__main__':
    main()
