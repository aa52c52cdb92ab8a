/* torchfile.h: PyTorch's torch.save files (.pt, .pth), recognised only to
 * be refused with the one-line Python recipe that converts them to .npz.
 *
 * Why refuse: a torch.save file is a pickle, a program for Python's pickle
 * machine that rebuilds arbitrary Python objects; reading one safely means
 * reimplementing a restricted unpickler, and the conversion is one line.
 * Recognised: a zip (torch >= 1.6) holding data.pkl or NAME/data.pkl, or a
 * legacy file that starts with a pickle protocol 2 to 5 opcode
 * (0x80 0x02..0x05). */
#ifndef CONVSTEP_TORCHFILE_H
#define CONVSTEP_TORCHFILE_H

#include "weights.h"

/* read always fails with CS_ERR_FORMAT and a message such as
 *   model.pt is a torch.save file; convert it: python3 -c "import torch,numpy;
 *   numpy.savez('model.npz',**{k:v.float().numpy() for k,v in
 *   torch.load('model.pt',map_location='cpu').items()})" (...)
 * (one line). The recipe uses the path as given, or its base name, or the
 * placeholder model.pt when the path is too long for the message or holds a
 * quote or a backslash. */
extern const WeightsFormat torchfile_format;

#endif
