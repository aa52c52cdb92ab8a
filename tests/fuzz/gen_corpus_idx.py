#!/usr/bin/python3
"""gen_corpus_idx.py: writes the seed inputs of tests/fuzz/corpus_idx/ for
fuzz_idx.c, so the fuzzer starts from every form the IDX reader takes:
ranks 1 to 4 plain and gzipped (gzip's header with and without a file name,
concatenated members), a 28x28 image as MNIST stores it, and a few refused
files (refused_*: a float type, trailing bytes, a cut gzip stream).
   python3 tests/fuzz/gen_corpus_idx.py
Files that are already there are rewritten; nothing else is removed."""
import gzip
import io
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
FOLDER = os.path.join(HERE, 'corpus_idx')


def idx(dims, data=None, type_=0x08):
    count = 1
    for d in dims:
        count *= d
    if data is None:
        data = bytes((i * 7 + 3) % 256 for i in range(count))
    return bytes([0, 0, type_, len(dims)]) + b''.join(struct.pack('>I', d) for d in dims) + data


def gz(data, name=None):
    # mtime 0 keeps the seeds the same on every run.
    out = io.BytesIO()
    with gzip.GzipFile(filename=name or '', mode='wb', fileobj=out, mtime=0) as f:
        f.write(data)
    return out.getvalue()


def write(name, data):
    os.makedirs(FOLDER, exist_ok=True)
    with open(os.path.join(FOLDER, name), 'wb') as f:
        f.write(data)


def main():
    shapes = {'r1_10': [10], 'r2_3x5': [3, 5], 'r3_2x4x3': [2, 4, 3], 'r4_2x2x3x2': [2, 2, 3, 2]}
    for name, dims in shapes.items():
        write(name + '.idx', idx(dims))
        write(name + '.idx.gz', gz(idx(dims)))
    digit = bytes(min(255, (abs(y - 14) < 6 and abs(x - 14) < 3) * 255) for y in range(28) for x in range(28))
    write('mnist_image_1x28x28.idx.gz', gz(idx([1, 28, 28], digit), 't10k-images-idx3-ubyte'))
    labels = idx([12], bytes([9, 2, 1, 1, 6, 1, 4, 6, 5, 7, 0, 3]))
    write('labels_12.idx', labels)
    write('labels_12_named.idx.gz', gz(labels, 't10k-labels-idx1-ubyte'))
    whole = idx([4, 6])
    write('members_2.idx.gz', gz(whole[:13]) + gz(whole[13:]))
    write('refused_float.idx', idx([3], struct.pack('>3f', 1.0, 2.0, 3.0), 0x0D))
    write('refused_trailing.idx', idx([3]) + b'xyz')
    write('refused_cut.idx.gz', gz(idx([5, 5]))[:-5])


if __name__ == '__main__':
    main()
