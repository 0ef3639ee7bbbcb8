#!/usr/bin/env python3
"""Rewrites the tile methods of engine-cpu/src/main/java/dev/kengine/cpu/simd/GemmDirect.java.

The tiles are rows of the same two FMAs; generating them keeps them regular. Run from the repository
root: python3 engine-cpu/tools/gen_gemm_direct.py. It replaces what lies between the file's
"generated tiles" markers and leaves the rest alone.
"""
import pathlib

TARGET = pathlib.Path("engine-cpu/src/main/java/dev/kengine/cpu/simd/GemmDirect.java")
BEGIN = "    // ---- generated tiles (engine-cpu/tools/gen_gemm_direct.py): do not edit by hand ----\n"
END = "    // ---- end of generated tiles ----\n"


def tile(rows, to_scratch, beta=False, half=False):
    """A tile of `rows` x 32 (x 16 when half): to scratch, or full to C (beta == 0, or with beta)."""
    name = (f"scratch{rows}" + ("Half" if half else "")) if to_scratch else "fullBeta" if beta else "full"
    halves = (0,) if half else (0, 1)
    out = []
    if to_scratch and half:
        out.append(f"    /** Up to {rows} rows (row i ≥ rows repeats the last row) x 16 columns of B to scratch (row i at i*32). */")
        out.append(f"    private static void {name}(int k, float[] a, int aOff, int lda, int rows, float[] b, int bOff, int ldb,")
        out.append("                                   float[] scratch) {")
    elif to_scratch:
        out.append(f"    /** Up to {rows} rows (row i ≥ rows repeats the last row) x 32 columns of B to scratch. */")
        out.append(f"    private static void {name}(int k, float[] a, int aOff, int lda, int rows, float[] b, int bOff, int ldb,")
        out.append("                               float[] scratch) {")
    elif not beta:
        out.append("    /** A full 14 x 32 tile, beta == 0: C = alpha * A * B, written straight to C (not read). */")
        out.append(f"    private static void {name}(int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,")
        out.append("                             float[] c, int co, int ldc, float alpha) {")
    else:
        out.append("    /** A full 14 x 32 tile: C = fma(acc, alpha, beta * C), as the packed path's tiles and storeEdge. */")
        out.append(f"    private static void {name}(int k, float[] a, int aOff, int lda, float[] b, int bOff, int ldb,")
        out.append("                                 float[] c, int co, int ldc, float alpha, float beta) {")
    for i in range(rows):
        out.append("        FloatVector " + ", ".join(f"c{i:02d}{h} = FloatVector.zero(S)" for h in halves) + ";")
    for i in range(1, rows):
        if to_scratch:
            out.append(f"        int r{i:02d} = aOff + Math.min({i}, rows - 1) * lda;")
        else:
            out.append(f"        int r{i:02d} = aOff + {i} * lda;")
    out.append("        for (int p = 0; p < k; p++) {")
    out.append("            int bi = bOff + p * ldb;")
    out.append("            FloatVector b0 = FloatVector.fromArray(S, b, bi);")
    if not half:
        out.append("            FloatVector b1 = FloatVector.fromArray(S, b, bi + 16);")
    out.append("            FloatVector x;")
    for i in range(rows):
        idx = "aOff + p" if i == 0 else f"r{i:02d} + p"
        out.append(f"            x = FloatVector.broadcast(S, a[{idx}]);")
        out.append("            " + " ".join(f"c{i:02d}{h} = x.fma(b{h}, c{i:02d}{h});" for h in halves))
    out.append("        }")
    if to_scratch:
        for i in range(rows):
            for h in halves:
                out.append(f"        c{i:02d}{h}.intoArray(scratch, {i * 32 + 16 * h});")
    else:
        out.append("        FloatVector va = FloatVector.broadcast(S, alpha);")
        if beta:
            out.append("        FloatVector vb = FloatVector.broadcast(S, beta);")
        for i in range(rows):
            off = "co" if i == 0 else f"co + {i} * ldc"
            for h, o in ((0, off), (1, f"{off} + 16")):
                if beta:
                    out.append(f"        c{i:02d}{h}.fma(va, FloatVector.fromArray(S, c, {o}).mul(vb)).intoArray(c, {o});")
                else:
                    out.append(f"        c{i:02d}{h}.mul(va).intoArray(c, {o});")
    out.append("    }")
    return "\n".join(out)


if __name__ == "__main__":
    tiles = ([tile(14, False), tile(14, False, beta=True)] + [tile(r, True) for r in (14, 8, 4)]
             + [tile(r, True, half=True) for r in (14, 8, 4)])
    text = TARGET.read_text()
    start = text.index(BEGIN) + len(BEGIN)
    end = text.index(END)
    TARGET.write_text(text[:start] + "\n\n".join(tiles) + "\n" + text[end:])
