package dev.kengine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.kengine.Backend;
import dev.kengine.Conversions;
import dev.kengine.DType;
import dev.kengine.Engine;
import dev.kengine.Tensor;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CPU backend's half-precision matmul (operands widened as the SGEMM packs them) against what it computed before:
 * the operands cast to float32, the float32 matmul, the result cast back, bit for bit. Odd shapes, all four
 * transposes, bfloat16 and float16, a batch, α and β, with the Vector API kernels and with the scalar ones. The
 * values are finite (NaN payloads are not compared).
 */
class HalfMatmulPackingTest {

    private static final int[][] SHAPES = {{1, 1, 1}, {13, 31, 17}, {29, 33, 65}, {37, 100, 200}, {15, 47, 401},
        {113, 65, 1030}};

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(strings = {"true", "false"})
    void sameBitsAsTheFloat32ProductOfTheWidenedOperands(String simd) {
        try (Backend be = Engine.open("cpu", Map.of("simd", simd, "threads", "2"))) {
            long seed = 1;
            for (DType h : new DType[] {DType.BFLOAT16, DType.FLOAT16}) {
                for (int[] s : SHAPES) {
                    for (int t = 0; t < 4; t++) {
                        boolean ta = (t & 1) != 0;
                        boolean tb = (t & 2) != 0;
                        int batch = t == 3 ? 2 : 1;
                        check(be, h, batch, s[0], s[1], s[2], ta, tb, seed++);
                    }
                }
            }
        }
    }

    private static short[] halves(DType h, SplittableRandom rnd, int len) {
        short[] x = new short[len];
        for (int i = 0; i < len; i++) {
            float f = (float) (rnd.nextDouble() * 4 - 2);
            x[i] = h == DType.BFLOAT16 ? Conversions.toBFloat16(f) : Conversions.toFloat16(f);
        }
        return x;
    }

    private static void check(Backend be, DType h, int batch, int m, int n, int k, boolean ta, boolean tb, long seed) {
        var rnd = new SplittableRandom(seed);
        long[] aDims = batch == 1 ? (ta ? new long[] {k, m} : new long[] {m, k})
                : (ta ? new long[] {batch, k, m} : new long[] {batch, m, k});
        long[] bDims = batch == 1 ? (tb ? new long[] {n, k} : new long[] {k, n})
                : (tb ? new long[] {batch, n, k} : new long[] {batch, k, n});
        long[] cDims = batch == 1 ? new long[] {m, n} : new long[] {batch, m, n};
        String what = h + " batch=" + batch + " m=" + m + " n=" + n + " k=" + k + " ta=" + ta + " tb=" + tb;
        try (Tensor a = be.of(halves(h, rnd, batch * m * k), h, aDims);
             Tensor b = be.of(halves(h, rnd, batch * k * n), h, bDims);
             Tensor c0 = be.of(halves(h, rnd, batch * m * n), h, cDims);
             Tensor af = be.cast(a, DType.FLOAT32);
             Tensor bf = be.cast(b, DType.FLOAT32);
             Tensor product = be.matmul(a, ta, b, tb);
             Tensor productF = be.matmul(af, ta, bf, tb);
             Tensor expected = be.cast(productF, h);
             Tensor c = be.cast(c0, h);
             Tensor cf = be.cast(c0, DType.FLOAT32)) {
            assertArrayEquals(expected.toShortArray(), product.toShortArray(), what);
            // C = 0.5·op(A)·op(B) − 0.75·C, with a half-precision C (widened, updated in float32, rounded once).
            be.matmul(a, ta, b, tb, c, 0.5f, -0.75f);
            be.matmul(af, ta, bf, tb, cf, 0.5f, -0.75f);
            try (Tensor cExpected = be.cast(cf, h)) {
                assertArrayEquals(cExpected.toShortArray(), c.toShortArray(), what + " alpha/beta");
            }
        }
    }
}
