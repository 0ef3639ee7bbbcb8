package dev.kengine.cpu.gemm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kengine.Conversions;
import dev.kengine.cpu.Parallel;
import dev.kengine.cpu.simd.GemmSimdKernel;
import dev.kengine.cpu.simd.GemmVectorKernel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Products of bfloat16 and float16 operands, packed straight from their bits ({@link GemmOperand}), against the
 * product of their float32 copies (widened first, then the float32 SGEMM: what the CPU backend did before), bit for
 * bit, on every kernel: the 14 x 32 SIMD kernel (direct and packed), the same with its direct path taken away, the
 * narrow-vector kernel and the scalar one. Shapes leave tails in m, n and k and cross the blocking (two k slices,
 * two row blocks, two column blocks), all four transposes, one operand half and the other float32, batches, row
 * slices sharing one packed B and column slices taken directly; special values (±0, subnormals, ±∞) in some of them.
 * Where a result is NaN, only NaN is required of the other (the JIT may swap a commutative operation's operands,
 * which can change a NaN's sign and payload).
 */
@DisplayName("half-precision operands packed directly give the bits of their widened float32 copies")
class HalfOperandGemmTest {

    private static Parallel one;
    private static Parallel two;
    private static Parallel three;

    @BeforeAll
    static void pools() {
        one = new Parallel(1);
        two = new Parallel(2);
        three = new Parallel(3);
    }

    @AfterAll
    static void close() {
        one.close();
        two.close();
        three.close();
    }

    private static Map<String, GemmKernel> kernels() {
        Map<String, GemmKernel> k = new LinkedHashMap<>();
        if (GemmSimdKernel.fullWidth()) {
            GemmKernel simd = new GemmSimdKernel();
            k.put("simd", simd);
            k.put("simd packed", SgemmTest.packedOnly(simd));
        }
        if (GemmVectorKernel.usable()) {
            k.put("vector", new GemmVectorKernel());
        }
        k.put("scalar", ScalarGemmKernel.INSTANCE);
        return k;
    }

    /** One product: shape, batch (with its strides), threads, α and β, and whether specials are mixed in. */
    private record Case(int batch, int m, int n, int k, Parallel par, float alpha, float beta, boolean specials) {
    }

    private static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        int[][] shapes = {
            {1, 1, 1}, {13, 31, 17}, {29, 33, 65}, {15, 47, 3}, {37, 100, 200}, {5, 17, 384}, {22, 64, 385},
            // two k slices of the SIMD kernel (kc 1024), two row blocks (mc 112), two column blocks (nc 2048)
            {50, 70, 1030}, {113, 65, 401}, {9, 2100, 20},
        };
        int i = 0;
        for (int[] s : shapes) {
            boolean beta = i % 2 == 1;
            c.add(new Case(1, s[0], s[1], s[2], i % 3 == 0 ? two : one, beta ? 0.5f : 1f, beta ? 1.25f : 0f, i % 4 == 2));
            i++;
        }
        // Batches across the threads; row slices sharing one packed B (k·n ≥ 2^20); column slices (m = 14 on three
        // threads) each narrow enough for the direct path though the whole product is not.
        c.add(new Case(3, 20, 24, 30, two, 1f, 0f, false));
        c.add(new Case(3, 17, 40, 33, two, -0.75f, 0.5f, true));
        c.add(new Case(1, 60, 1000, 1050, two, 1f, 0f, false));
        c.add(new Case(1, 14, 1100, 380, three, 1f, 0f, false));
        return c;
    }

    /** Half-precision values: uniform in [−2, 2], with ±0, subnormals and ±∞ mixed in when asked. */
    private static short[] halves(boolean bf16, SplittableRandom rnd, int len, boolean specials) {
        short[] h = new short[len];
        for (int i = 0; i < len; i++) {
            float f = (float) (rnd.nextDouble() * 4 - 2);
            h[i] = bf16 ? Conversions.toBFloat16(f) : Conversions.toFloat16(f);
        }
        if (specials) {
            short[] sp = bf16
                    ? new short[] {0, (short) 0x8000, 0x0001, (short) 0x8071, 0x7F80, (short) 0xFF80, 0x0080}
                    : new short[] {0, (short) 0x8000, 0x0001, (short) 0x83FF, 0x7C00, (short) 0xFC00, 0x0400};
            for (int i = 0; i < len; i += 1 + rnd.nextInt(41)) {
                h[i] = sp[rnd.nextInt(sp.length)];
            }
        }
        return h;
    }

    private static float[] widened(boolean bf16, short[] h) {
        float[] f = new float[h.length];
        GemmOperand.widen(h, bf16, 0, f, 0, h.length);
        return f;
    }

    private static float[] floats(SplittableRandom rnd, int len) {
        float[] f = new float[len];
        for (int i = 0; i < len; i++) {
            f[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return f;
    }

    @Test
    @DisplayName("bfloat16 and float16, every kernel, transposes, tails, blocking and thread splits")
    void packedFromHalvesIsTheWidenedProduct() {
        long seed = 22;
        int checked = 0;
        for (Map.Entry<String, GemmKernel> kern : kernels().entrySet()) {
            for (Case cs : cases()) {
                for (int t = 0; t < 4; t++) {
                    boolean ta = (t & 1) != 0;
                    boolean tb = (t & 2) != 0;
                    // The two largest products once per kernel, not per transpose.
                    if ((long) cs.m * cs.n * cs.k > 10_000_000 && t != (cs.par == two ? 0 : 2)) {
                        continue;
                    }
                    for (int which = 0; which < 4; which++) {
                        // 0, 1: both half (bfloat16, float16); 2: half A, float32 B; 3: float32 A, half B.
                        boolean bf16 = which == 0 || (which >= 2 && seed % 2 == 0);
                        check(kern.getKey(), kern.getValue(), cs, ta, tb, bf16, which != 3, which != 2, seed++);
                        checked++;
                    }
                }
            }
        }
        assertEquals(true, checked > 100, "products checked: " + checked);
    }

    @Test
    @DisplayName("k = 0 finishes every block of C (β·C)")
    void emptyDepthFinishesC() {
        float[] c = {9f, 1f, 2f, 3f, 4f, 5f, 6f};
        float[] seen = new float[c.length];
        Sgemm.sgemmBatched(two, true, false, false, 2, 1, 3, 0, 1f, GemmOperand.bfloat16(new short[0]), 0, 0,
                GemmOperand.bfloat16(new short[0]), 0, 0, 0.5f, c, 1, 3, (off, rows, cols, ldc) -> {
                    for (int i = 0; i < rows; i++) {
                        System.arraycopy(c, off + i * ldc, seen, off + i * ldc, cols);
                    }
                });
        assertEquals(List.of(0f, 0.5f, 1f, 1.5f, 2f, 2.5f, 3f), List.of(seen[0], seen[1], seen[2], seen[3], seen[4],
                seen[5], seen[6]));
    }

    private static void check(String kernName, GemmKernel kern, Case cs, boolean ta, boolean tb, boolean bf16,
                              boolean halfA, boolean halfB, long seed) {
        var rnd = new SplittableRandom(seed);
        int aLen = cs.batch * cs.m * cs.k + 3;
        int bLen = cs.batch * cs.k * cs.n + 5;
        short[] ah = halfA ? halves(bf16, rnd, aLen, cs.specials) : null;
        short[] bh = halfB ? halves(bf16, rnd, bLen, cs.specials) : null;
        float[] af = halfA ? widened(bf16, ah) : floats(rnd, aLen);
        float[] bf = halfB ? widened(bf16, bh) : floats(rnd, bLen);
        GemmOperand a = halfA ? (bf16 ? GemmOperand.bfloat16(ah) : GemmOperand.float16(ah)) : GemmOperand.of(af);
        GemmOperand b = halfB ? (bf16 ? GemmOperand.bfloat16(bh) : GemmOperand.float16(bh)) : GemmOperand.of(bf);
        float[] expected = floats(rnd, cs.batch * cs.m * cs.n + 7);
        float[] actual = expected.clone();
        long sa = (long) cs.m * cs.k;
        long sb = (long) cs.k * cs.n;
        long sc = (long) cs.m * cs.n;
        Sgemm.sgemmBatched(kern, cs.par, ta, tb, cs.batch, cs.m, cs.n, cs.k, cs.alpha, af, 3, sa, bf, 5, sb, cs.beta,
                expected, 7, sc);
        // Each block of C handed to the Finished hook must hold its final values then, and all of C must be handed.
        float[] seen = new float[actual.length];
        Sgemm.sgemmBatched(kern, cs.par, ta, tb, cs.batch, cs.m, cs.n, cs.k, cs.alpha, a, 3, sa, b, 5, sb, cs.beta,
                actual, 7, sc, (off, rows, cols, ldc) -> {
                    for (int i = 0; i < rows; i++) {
                        System.arraycopy(actual, off + i * ldc, seen, off + i * ldc, cols);
                    }
                });
        for (int i = 7; i < actual.length; i++) {
            if (Float.floatToRawIntBits(seen[i]) != Float.floatToRawIntBits(actual[i])) {
                fail(kernName + " m=" + cs.m + " n=" + cs.n + " k=" + cs.k + " ta=" + ta + " tb=" + tb + " threads="
                        + cs.par.threads() + ": C element " + i + " was not final when its block was finished");
            }
        }
        for (int i = 0; i < expected.length; i++) {
            int e = Float.floatToRawIntBits(expected[i]);
            int g = Float.floatToRawIntBits(actual[i]);
            if (e != g && !(Float.isNaN(expected[i]) && Float.isNaN(actual[i]))) {
                fail(kernName + " " + (bf16 ? "bf16" : "fp16") + (halfA ? " A" : "") + (halfB ? " B" : "")
                        + " batch=" + cs.batch + " m=" + cs.m + " n=" + cs.n + " k=" + cs.k + " ta=" + ta + " tb=" + tb
                        + " threads=" + cs.par.threads() + ": element " + i + " is " + actual[i] + ", widened product "
                        + expected[i]);
            }
        }
    }
}
