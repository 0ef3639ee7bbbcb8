#!/usr/bin/env python3
"""Writes engine-cpu/src/main/java/dev/kengine/cpu/simd/GemmDirect.java's tile methods.

The tiles are rows of the same two FMAs; generating them keeps them regular. Run from the repository
root: python3 engine-cpu/tools/gen_gemm_direct.py > /tmp/tiles.java, then paste between the markers.
"""


def tile(rows, to_scratch):
    name = f"scratch{rows}" if to_scratch else "full"
    out = []
    if to_scratch:
        out.append(f"    /** Up to {rows} rows (row i &gt;= rows repeats the last row) to scratch; B loads masked to the panel's columns. */")
        out.append(f"    private static void {name}(int k, float[] a, int aOff, int lda, int rows, float[] b, int bOff, int ldb,")
        out.append("                               VectorMask<Float> m0, VectorMask<Float> m1, float[] scratch) {")
    else:
        out.append("    /** A full 14 x 32 tile, beta == 0: C = alpha * A * B, written straight to C. */")
        out.append(f"    private static void {name}(int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,")
        out.append("                             float[] c, int co, int ldc, float alpha) {")
    for i in range(rows):
        out.append(f"        FloatVector c{i:02d}0 = FloatVector.zero(S), c{i:02d}1 = FloatVector.zero(S);")
    for i in range(1, rows):
        if to_scratch:
            out.append(f"        int r{i:02d} = aOff + Math.min({i}, rows - 1) * lda;")
        else:
            out.append(f"        int r{i:02d} = aOff + {i} * lda;")
    out.append("        for (int p = 0; p < k; p++) {")
    out.append("            int bi = bOff + p * ldb;")
    if to_scratch:
        out.append("            FloatVector b0 = FloatVector.fromArray(S, b, bi, m0);")
        out.append("            FloatVector b1 = FloatVector.fromArray(S, b, bi + 16, m1);")
    else:
        out.append("            FloatVector b0 = FloatVector.fromArray(S, b, bi);")
        out.append("            FloatVector b1 = FloatVector.fromArray(S, b, bi + 16);")
    out.append("            FloatVector x;")
    for i in range(rows):
        idx = "aOff + p" if i == 0 else f"r{i:02d} + p"
        out.append(f"            x = FloatVector.broadcast(S, a[{idx}]);")
        out.append(f"            c{i:02d}0 = x.fma(b0, c{i:02d}0); c{i:02d}1 = x.fma(b1, c{i:02d}1);")
    out.append("        }")
    if to_scratch:
        for i in range(rows):
            out.append(f"        c{i:02d}0.intoArray(scratch, {i * 32});")
            out.append(f"        c{i:02d}1.intoArray(scratch, {i * 32 + 16});")
    else:
        out.append("        FloatVector va = FloatVector.broadcast(S, alpha);")
        for i in range(rows):
            off = "co" if i == 0 else f"co + {i} * ldc"
            out.append(f"        c{i:02d}0.mul(va).intoArray(c, {off});")
            out.append(f"        c{i:02d}1.mul(va).intoArray(c, {off} + 16);")
    out.append("    }")
    return "\n".join(out)


if __name__ == "__main__":
    print(tile(14, False))
    for r in (14, 8, 4):
        print()
        print(tile(r, True))
