#!/usr/bin/env python3
"""Writes traces/examples/loop.champsim.xz: a small ChampSim trace (64-byte
input_instr records: ip, is_branch, branch_taken, 2 destination and 4 source
registers, 2 destination and 4 source memory addresses) of a loop that sums
one array into another, with a branch per iteration. It is a sample for the
tests and the docs, not a real program's trace: real ChampSim traces (SPEC
and the like) are published by the ChampSim project.

    tools/samples/make_champsim_sample.py traces/examples/loop.champsim.xz
"""
import lzma
import struct
import sys

SRC = 0x7F1234560000
DST = 0x7F1234A60000
CODE = 0x401000


def record(ip, branch=False, taken=False, dst_mem=(), src_mem=()):
    dst = list(dst_mem) + [0] * (2 - len(dst_mem))
    src = list(src_mem) + [0] * (4 - len(src_mem))
    return struct.pack("<QBB2B4B2Q4Q", ip, int(branch), int(taken), 1, 0, 2, 3, 0, 0, *dst, *src)


def main(path):
    out = bytearray()
    n = 3000
    for i in range(n):
        out += record(CODE + 0, src_mem=[SRC + 8 * i])                  # load a[i]
        out += record(CODE + 4)                                         # add
        out += record(CODE + 8, dst_mem=[DST + 8 * i])                  # store b[i]
        out += record(CODE + 12, src_mem=[DST + 8 * i], dst_mem=[DST + 8 * i])  # b[i] += 1
        out += record(CODE + 16, branch=True, taken=i + 1 < n)          # loop
    with lzma.open(path, "wb", preset=9) as f:
        f.write(bytes(out))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "traces/examples/loop.champsim.xz")
