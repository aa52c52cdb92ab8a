#!/usr/bin/python3
"""gen_weights_fixtures.py: writes the weights files tests/test_weights.c reads
(tests/fixtures/weights/) and the fuzzers' seeds (tests/fuzz/corpus_safetensors/,
tests/fuzz/corpus_npz/), with PyTorch and NumPy. Run from the repository:
   /usr/bin/python3 tests/gen_weights_fixtures.py
The files are committed; `make test` does not need Python. Zip timestamps and
pickled storage ids make a rerun differ in bytes, not in content.

safetensors files are written by hand, per the format (the `safetensors`
module is not packaged in Debian 12): an 8-byte little-endian header length N,
N bytes of JSON padded with spaces to a multiple of 8, then the data; the
bytes of each tensor are PyTorch's own (tensor.numpy().tobytes(), and an
int16 view for bfloat16)."""
import io
import json
import os
import struct
import zipfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'fixtures', 'weights')
CORPUS_ST = os.path.join(HERE, 'fuzz', 'corpus_safetensors')
CORPUS_NPZ = os.path.join(HERE, 'fuzz', 'corpus_npz')

DTYPE_NAMES = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.float64: 'F64',
               torch.int64: 'I64', torch.int32: 'I32', torch.uint8: 'U8'}


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    a = t.numpy()
    return a.astype(a.dtype.newbyteorder('<')).tobytes()


def safetensors_bytes(tensors, metadata=None):
    """tensors: list of (name, torch tensor) in the order to store them."""
    header, data = {}, b''
    if metadata is not None:
        header['__metadata__'] = metadata
    for name, t in tensors:
        b = tensor_bytes(t)
        header[name] = {'dtype': DTYPE_NAMES[t.dtype], 'shape': list(t.shape),
                        'data_offsets': [len(data), len(data) + len(b)]}
        data += b
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)
    return struct.pack('<Q', len(text)) + text + data


def npz_bytes(arrays, compressed):
    b = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(b, **arrays)
    return b.getvalue()


def write(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), 'wb') as f:
        f.write(data)


def central_entries(data):
    """Offsets of the central directory file headers of a zip."""
    at, found = 0, []
    while True:
        at = data.find(b'PK\x01\x02', at)
        if at < 0:
            return found
        found.append(at)
        at += 4


def claim_size(data, index, size):
    """The zip with member index's uncompressed size in the central
    directory (what libzip trusts) replaced by size."""
    data = bytearray(data)
    at = central_entries(data)[index]
    struct.pack_into('<I', data, at + 24, size)
    return bytes(data)


# ---- every dtype, values chosen for exact checks -------------------------

F16_VALUES = [2.0 ** -24, -(2.0 ** -24), 1023 * 2.0 ** -24, 2.0 ** -14, 65504.0, float('inf'), float('-inf'),
              float('nan'), -0.0, 1.0 / 3.0]
BF16_VALUES = [1.0, -2.5, 3.140625, float('inf'), float('nan'), 2.0 ** -133]
F64_VALUES = [0.1, 1.0 / 3.0, 1e300, -1e-50, 16777217.0, 1.0 + 2.0 ** -24, -1.0 - 3 * 2.0 ** -24,
              3.4028235677973366e38]

dtypes = [
    ('f32', torch.tensor([-1.5, 0.25, 0.0, 1.0, 2.0, 100.0], dtype=torch.float32).reshape(2, 3)),
    ('f16', torch.tensor(F16_VALUES, dtype=torch.float16)),
    ('bf16', torch.tensor(BF16_VALUES, dtype=torch.bfloat16).reshape(3, 2)),
    ('f64', torch.tensor(F64_VALUES, dtype=torch.float64).reshape(2, 2, 2)),
    ('conv.weight', torch.arange(8, dtype=torch.float32).reshape(2, 1, 2, 2) - 3.5),
    ('bn.num_batches_tracked', torch.tensor(7, dtype=torch.int64)),
    ('i32', torch.tensor([-2, 0, 16777217], dtype=torch.int32)),
]
write(OUT, 'dtypes.safetensors', safetensors_bytes(dtypes, {'format': 'pt'}))

# The same values through .npz: every NumPy dtype but bfloat16, which NumPy
# does not have.
npz_dtypes = {name: t.numpy() for name, t in dtypes if t.dtype != torch.bfloat16}
write(OUT, 'dtypes.npz', npz_bytes(npz_dtypes, False))
write(OUT, 'dtypes_compressed.npz', npz_bytes(npz_dtypes, True))

# ---- a real state dict, in each format ------------------------------------

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.ReLU(),
                            torch.nn.Flatten(), torch.nn.Linear(8, 3))
model.train()
model(torch.randn(4, 1, 4, 4))   # moves the running statistics and num_batches_tracked
state = model.state_dict()
write(OUT, 'model.safetensors', safetensors_bytes(list(state.items())))
write(OUT, 'model.npz', npz_bytes({k: v.numpy() for k, v in state.items()}, False))
write(OUT, 'model_compressed.npz', npz_bytes({k: v.numpy() for k, v in state.items()}, True))
write(OUT, 'model_f16.safetensors', safetensors_bytes([(k, v.half() if v.is_floating_point() else v)
                                                       for k, v in state.items()]))
b = io.BytesIO()
torch.save(state, b)
write(OUT, 'model.pt', b.getvalue())
b = io.BytesIO()
torch.save(state, b, _use_new_zipfile_serialization=False)
write(OUT, 'legacy.pt', b.getvalue())

# ---- refusals ------------------------------------------------------------

write(OUT, 'rank5.npz', npz_bytes({'five': np.zeros((1, 1, 1, 1, 2), dtype=np.float32)}, False))
write(OUT, 'u8.safetensors', safetensors_bytes([('pixels', torch.tensor([1, 2], dtype=torch.uint8))]))

one = io.BytesIO()
np.save(one, np.ones(3, dtype=np.float32))
b = io.BytesIO()
with zipfile.ZipFile(b, 'w') as z:
    z.writestr('w.npy', one.getvalue())
    z.writestr('readme.txt', b'not an array\n')
write(OUT, 'not_npy_member.npz', b.getvalue())

b = io.BytesIO()
with zipfile.ZipFile(b, 'w') as z:
    z.writestr('w.npy', one.getvalue())
    z.writestr('w.npy', one.getvalue())
write(OUT, 'duplicate.npz', b.getvalue())

# Zip bombs: a member that claims 4 GiB uncompressed; two members that claim
# 1.5 GiB each (each under the cap, together over it); a member that claims
# 200 bytes but inflates to 1 MB.
small = npz_bytes({'w': np.ones(3, dtype=np.float32), 'b': np.zeros(2, dtype=np.float32)}, True)
write(OUT, 'bomb_claims.npz', claim_size(small, 1, 0xfffffff0))
write(OUT, 'bomb_total.npz', claim_size(claim_size(small, 0, 0x60000000), 1, 0x60000000))
write(OUT, 'bomb_lies.npz', claim_size(npz_bytes({'z': np.zeros(1 << 18, dtype=np.float32)}, True), 0, 200))
# Claims no deflate stream or stored member can make good: 96 MiB from 71
# deflated bytes; a stored member whose two sizes differ.
write(OUT, 'bomb_ratio.npz', claim_size(small, 1, 0x06000000))
write(OUT, 'stored_claims.npz', claim_size(npz_bytes({'w': np.ones(3, dtype=np.float32)}, False), 0, 1000))

# ---- fuzz seeds ------------------------------------------------------------

for name in ['dtypes.safetensors', 'model.safetensors', 'model_f16.safetensors', 'u8.safetensors']:
    with open(os.path.join(OUT, name), 'rb') as f:
        write(CORPUS_ST, name, f.read())
write(CORPUS_ST, 'empty.safetensors', safetensors_bytes([]))
write(CORPUS_ST, 'escapes.safetensors',
      safetensors_bytes([('caf\u00e9/\U0001F600"\\\n', torch.tensor([1.0]))], {'k': 'v\u00e9'}))
for name in ['dtypes.npz', 'dtypes_compressed.npz', 'model.npz', 'model_compressed.npz', 'rank5.npz',
             'duplicate.npz', 'bomb_lies.npz']:
    with open(os.path.join(OUT, name), 'rb') as f:
        write(CORPUS_NPZ, name, f.read())
write(CORPUS_NPZ, 'empty.npz', npz_bytes({}, False))


# Recipes for fuzz_npz's second reading (a zip built from the input): members
# separated by 0xff, each NAME, '\0', then 'Z' (deflate) or not, then bytes.
def npy(a):
    b = io.BytesIO()
    np.save(b, a)
    return b.getvalue()


write(CORPUS_NPZ, 'recipe_state.bin',
      b'w\0' + npy(np.arange(6, dtype='<f4').reshape(2, 3)) + b'\xff' +
      b'bn.num_batches_tracked\0Z' + npy(np.array(7, dtype='<i8')) + b'\xff' +
      b'h\0Z' + npy(np.array([1, 2], dtype='>f2')))
write(CORPUS_NPZ, 'recipe_dtypes.bin', b'\xff'.join(
    n.encode() + b'\0' + npy(a) for n, a in npz_dtypes.items()))
write(CORPUS_NPZ, 'recipe_torch.bin', b'!archive/data.pkl\0\x80\x02}q\x00.')
