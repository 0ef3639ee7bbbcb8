package dev.kengine.cpu.gemm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.cpu.Parallel;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SGEMM against a double-precision reference.
 *
 * <p>Tolerance: a float dot product of length k, however it is ordered or fused, is within
 * gamma_k = k*u/(1-k*u) of the exact value relative to sum_p |a_ip*b_pj| (u = 2^-24); applying
 * alpha and beta adds two more roundings. So each element is checked against
 * {@code 2*(k+3)*u*(|alpha|*sum_p|a_ip*b_pj| + |beta*c_ij|)}, the standard worst-case bound with a
 * factor 2 of slack; it scales with k and with the magnitudes that actually meet, so it is tight at
 * small k and never flaky at large k.
 */
class SgemmTest {

    private static final double U = 0x1p-24;

    private static Parallel one;
    private static Parallel two;

    @BeforeAll
    static void pools() {
        one = new Parallel(1);
        two = new Parallel(2);
    }

    @AfterAll
    static void close() {
        one.close();
        two.close();
    }

    private static float[] random(SplittableRandom rnd, int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) {
            x[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return x;
    }

    /** C_ref and the per-element error bound, for one matrix. */
    private static void reference(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, int aOff,
                                  float[] b, int bOff, float beta, float[] c, int cOff, double[] ref, double[] tol) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                double abs = 0;
                for (int p = 0; p < k; p++) {
                    double x = a[aOff + (ta ? p * m + i : i * k + p)];
                    double y = b[bOff + (tb ? j * k + p : p * n + j)];
                    s += x * y;
                    abs += Math.abs(x * y);
                }
                double cij = beta == 0f ? 0 : (double) beta * c[cOff + i * n + j];
                ref[i * n + j] = alpha * s + cij;
                tol[i * n + j] = 2 * (k + 3) * U * (Math.abs(alpha) * abs + Math.abs(cij)) + Float.MIN_NORMAL;
            }
        }
    }

    private static void check(String what, boolean simd, Parallel par, boolean ta, boolean tb, int m, int n, int k,
                              float alpha, float beta, long seed) {
        var rnd = new SplittableRandom(seed);
        float[] a = random(rnd, m * k + 3);
        float[] b = random(rnd, k * n + 5);
        float[] c = random(rnd, m * n + 7);
        if (beta == 0f) {
            Arrays.fill(c, Float.NaN);
        }
        double[] ref = new double[m * n];
        double[] tol = new double[m * n];
        reference(ta, tb, m, n, k, alpha, a, 3, b, 5, beta, c, 7, ref, tol);
        float[] before = c.clone();
        Sgemm.sgemm(par, simd, ta, tb, m, n, k, alpha, a, 3, b, 5, beta, c, 7);
        for (int i = 0; i < 7; i++) {
            assertEquals(Float.floatToRawIntBits(before[i]), Float.floatToRawIntBits(c[i]), "wrote before C");
        }
        for (int e = 0; e < m * n; e++) {
            float got = c[7 + e];
            if (!(Math.abs(got - ref[e]) <= tol[e])) {
                throw new AssertionError(String.format(
                        "%s simd=%b threads=%d ta=%b tb=%b m=%d n=%d k=%d alpha=%s beta=%s: "
                                + "C[%d,%d] = %s, want %s +- %s",
                        what, simd, par.threads(), ta, tb, m, n, k, alpha, beta, e / n, e % n, got, ref[e], tol[e]));
            }
        }
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {true, false})
    @DisplayName("small shapes: every combination of 1, 2, 7, 17, 33, 64 and all transposes")
    void smallShapes(boolean simd) {
        int[] sizes = {1, 2, 7, 17, 33, 64};
        long seed = 1;
        for (int m : sizes) {
            for (int n : sizes) {
                for (int k : sizes) {
                    for (int t = 0; t < 4; t++) {
                        check("small", simd, one, (t & 1) != 0, (t & 2) != 0, m, n, k, 1f, 0f, seed++);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {true, false})
    @DisplayName("large odd shapes, non-multiples of every tile and block size, 1 and 2 threads")
    void largeShapes(boolean simd) {
        int[][] shapes = {{1021, 37, 300}, {15, 1030, 515}, {131, 97, 1029}, {257, 255, 259}, {29, 4100, 9}};
        long seed = 100;
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                for (Parallel par : new Parallel[] {one, two}) {
                    check("large", simd, par, (t & 1) != 0, (t & 2) != 0, s[0], s[1], s[2], 1f, 0f, seed++);
                }
            }
        }
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {true, false})
    @DisplayName("alpha and beta: accumulate, scale, negate; beta 0 ignores NaN in C")
    void alphaBeta(boolean simd) {
        float[][] ab = {{1f, 1f}, {2.5f, -0.5f}, {-1f, 1f}, {0.5f, 0f}, {0f, 2f}, {1f, 0f}};
        long seed = 500;
        for (float[] x : ab) {
            for (int t = 0; t < 4; t++) {
                check("alpha/beta", simd, one, (t & 1) != 0, (t & 2) != 0, 45, 70, 300, x[0], x[1], seed++);
                check("alpha/beta", simd, two, (t & 1) != 0, (t & 2) != 0, 130, 100, 90, x[0], x[1], seed++);
                // k beyond one k slice (1024 for the 14 x 32 kernel): beta applies to the first slice only.
                check("alpha/beta", simd, one, (t & 1) != 0, (t & 2) != 0, 19, 40, 1100, x[0], x[1], seed++);
            }
        }
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {true, false})
    @DisplayName("one and two threads give bitwise identical results")
    void threadCountInvariant(boolean simd) {
        // Each above Sgemm.PARALLEL_MIN_WORK, split by rows, by columns, and by rows with edge tiles; the last two
        // are multiplied in place (k <= 384), split by columns (each slice's B and C row strides wider than the
        // slice) and by rows.
        int[][] shapes = {{300, 290, 400}, {20, 4100, 420}, {1100, 41, 770}, {143, 517, 513}, {42, 4096, 36},
                {300, 200, 100}};
        long seed = 900;
        for (int[] s : shapes) {
            for (int t = 0; t < 4; t++) {
                var rnd = new SplittableRandom(seed++);
                int m = s[0], n = s[1], k = s[2];
                assertTrue((long) m * n * k >= Sgemm.PARALLEL_MIN_WORK);
                float[] a = random(rnd, m * k);
                float[] b = random(rnd, k * n);
                float[] c1 = random(rnd, m * n);
                float[] c2 = c1.clone();
                Sgemm.sgemm(one, simd, (t & 1) != 0, (t & 2) != 0, m, n, k, 0.7f, a, 0, b, 0, 0.3f, c1, 0);
                Sgemm.sgemm(two, simd, (t & 1) != 0, (t & 2) != 0, m, n, k, 0.7f, a, 0, b, 0, 0.3f, c2, 0);
                assertArrayEquals(c1, c2, "threads changed the result for " + Arrays.toString(s) + " t=" + t);
            }
        }
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {true, false})
    @DisplayName("the split across threads: columns when op(A) is no larger than a thread's share of op(B), same bits both ways")
    void splitChoice(boolean simd) {
        GemmKernel kern = Sgemm.kernel(simd);
        // m n threads, and whether C is split by rows: a mini-batch through a dense layer and a skinny product by
        // columns; squares, tall products and a product whose A is larger than a thread's share of B by rows.
        int[][] choices = {{256, 1024, 2, 0}, {64, 4096, 2, 0}, {256, 1024, 4, 0}, {1024, 1024, 2, 1},
                {4096, 256, 2, 1}, {1100, 1000, 2, 1}, {256, 256, 2, 1}, {2048, 1024, 4, 1}};
        for (int[] ch : choices) {
            assertEquals(ch[3] == 1, Sgemm.splitsByRows(kern, ch[2], ch[0], ch[1]), Arrays.toString(ch));
        }
        // Each product both ways on two threads, transposed or not: the one-thread bits.
        // 256 × 600 × 300 packs as a whole and multiplies each 320-column slice in place (GemmDirect).
        int[][] shapes = {{256, 1100, 300}, {143, 517, 513}, {300, 290, 400}, {256, 600, 300}};
        long seed = 4100;
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                var rnd = new SplittableRandom(seed++);
                float[] a = random(rnd, m * k);
                float[] b = random(rnd, k * n);
                float[] c1 = random(rnd, m * n);
                float[] c2 = c1.clone();
                float[] c3 = c1.clone();
                Sgemm.sgemm(one, simd, ta, tb, m, n, k, 0.7f, a, 0, b, 0, 0.3f, c1, 0);
                Sgemm.sgemm(two, simd, ta, tb, m, n, k, 0.7f, a, 0, b, 0, 0.3f, c2, 0);
                Sgemm.sgemmByRows(two, simd, ta, tb, m, n, k, 0.7f, a, b, 0.3f, c3);
                assertArrayEquals(c1, c2, "the chosen split changed the result for " + Arrays.toString(s) + " t=" + t);
                assertArrayEquals(c1, c3, "the row split changed the result for " + Arrays.toString(s) + " t=" + t);
            }
        }
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {true, false})
    @DisplayName("row slices sharing one packed B: bitwise the one-thread result on 2 and 3 threads, slices and edges")
    void sharedPackedB(boolean simd) {
        // Each shape is split by rows (forced: these shapes would be split by columns) and shares its packed B: 2 k slices and 2 column blocks (the second 52 wide);
        // a last panel of 8 columns in a short last group of panels; one strip a thread (m = 20); k = 1024 exactly.
        int[][] shapes = {{100, 2100, 1500}, {60, 1000, 1100}, {20, 4100, 420}, {131, 1024, 1024}};
        long seed = 2600;
        try (Parallel three = new Parallel(3)) {
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2];
                for (int t = 0; t < 4; t++) {
                    boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                    assertTrue(Sgemm.sharesPackedB(Sgemm.kernel(simd), ta, tb, n, k), Arrays.toString(s));
                    var rnd = new SplittableRandom(seed++);
                    float[] a = random(rnd, m * k);
                    float[] b = random(rnd, k * n);
                    float[] c1 = random(rnd, m * n);
                    float[] c2 = c1.clone();
                    float[] c3 = c1.clone();
                    float beta = t == 3 ? 0f : 0.3f;
                    Sgemm.sgemm(one, simd, ta, tb, m, n, k, 0.7f, a, 0, b, 0, beta, c1, 0);
                    Sgemm.sgemmByRows(two, simd, ta, tb, m, n, k, 0.7f, a, b, beta, c2);
                    Sgemm.sgemmByRows(three, simd, ta, tb, m, n, k, 0.7f, a, b, beta, c3);
                    assertArrayEquals(c1, c2, "two threads changed the result for " + Arrays.toString(s) + " t=" + t);
                    assertArrayEquals(c1, c3, "three threads changed the result for " + Arrays.toString(s) + " t=" + t);
                    if (t == 0) {
                        check("shared packed B " + Arrays.toString(s), simd, two, ta, tb, m, n, k, 0.7f, beta, seed);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {true, false})
    @DisplayName("batches with separate and shared (stride 0) operands, sequential and across threads")
    void batched(boolean simd) {
        int[][] shapes = {{7, 9, 5}, {33, 40, 70}, {150, 140, 130}};
        long seed = 1300;
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            for (int t = 0; t < 4; t++) {
                for (int shared = 0; shared < 3; shared++) {
                    boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                    int batch = 5;
                    long sa = shared == 1 ? 0 : m * k + 1;
                    long sb = shared == 2 ? 0 : k * n + 2;
                    long sc = m * n + 3;
                    var rnd = new SplittableRandom(seed++);
                    float[] a = random(rnd, (int) (2 + sa * (batch - 1) + m * k));
                    float[] b = random(rnd, (int) (4 + sb * (batch - 1) + k * n));
                    float[] c0 = random(rnd, (int) (6 + sc * batch));
                    float alpha = 1.5f, beta = 0.5f;
                    float[] c1 = c0.clone();
                    float[] c2 = c0.clone();
                    Sgemm.sgemmBatched(one, simd, ta, tb, batch, m, n, k, alpha, a, 2, sa, b, 4, sb, beta, c1, 6, sc);
                    Sgemm.sgemmBatched(two, simd, ta, tb, batch, m, n, k, alpha, a, 2, sa, b, 4, sb, beta, c2, 6, sc);
                    assertArrayEquals(c1, c2, "threads changed a batched result");
                    double[] ref = new double[m * n];
                    double[] tol = new double[m * n];
                    for (int i = 0; i < batch; i++) {
                        int co = (int) (6 + i * sc);
                        reference(ta, tb, m, n, k, alpha, a, (int) (2 + i * sa), b, (int) (4 + i * sb), beta, c0, co,
                                ref, tol);
                        for (int e = 0; e < m * n; e++) {
                            assertTrue(Math.abs(c1[co + e] - ref[e]) <= tol[e], "batch " + i + " element " + e);
                        }
                        // the padding between matrices is untouched
                        for (int e = m * n; e < sc && co + e < c0.length; e++) {
                            assertEquals(c0[co + e], c1[co + e]);
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {true, false})
    @DisplayName("k = 0 gives beta*C (zeros for beta 0, even over NaN); m or n = 0 touches nothing")
    void degenerate(boolean simd) {
        float[] c = {1f, 2f, 3f, 4f, 5f, 6f};
        Sgemm.sgemm(two, simd, false, false, 2, 3, 0, 1f, new float[0], 0, new float[0], 0, 2f, c, 0);
        assertArrayEquals(new float[] {2f, 4f, 6f, 8f, 10f, 12f}, c);
        Arrays.fill(c, Float.NaN);
        Sgemm.sgemm(two, simd, true, true, 2, 3, 0, 1f, new float[0], 0, new float[0], 0, 0f, c, 0);
        assertArrayEquals(new float[6], c);
        float[] d = {Float.NaN, 7f};
        Sgemm.sgemmBatched(two, simd, false, false, 3, 0, 5, 4, 1f, new float[20], 0, 0, new float[20], 0, 0, 0f,
                d, 0, 0);
        Sgemm.sgemmBatched(two, simd, false, false, 3, 5, 0, 4, 1f, new float[20], 0, 0, new float[20], 0, 0, 0f,
                d, 0, 0);
        Sgemm.sgemmBatched(two, simd, false, false, 0, 5, 5, 4, 1f, new float[20], 0, 0, new float[20], 0, 0, 0f,
                d, 0, 0);
        assertTrue(Float.isNaN(d[0]));
        assertEquals(7f, d[1]);
        // k = 0 across a batch with beta 1 leaves C as it was
        float[] e = {1f, 2f, 3f, 4f};
        Sgemm.sgemmBatched(two, simd, false, false, 2, 1, 2, 0, 1f, new float[0], 0, 0, new float[0], 0, 0, 1f,
                e, 0, 2);
        assertArrayEquals(new float[] {1f, 2f, 3f, 4f}, e);
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {true, false})
    @DisplayName("NaN and Inf propagate as IEEE arithmetic does (0 * Inf is NaN)")
    void nonFinite(boolean simd) {
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
            int m = 20, n = 40, k = 30;
            float[] a = new float[m * k];
            float[] b = new float[k * n];
            Arrays.fill(a, 1f);
            // op(A)[3, 5] = Inf; op(B)[5, j] = 0 for j < 20, 1 otherwise: row 3 becomes NaN then Inf.
            a[ta ? 5 * m + 3 : 3 * k + 5] = Float.POSITIVE_INFINITY;
            for (int p = 0; p < k; p++) {
                for (int j = 0; j < n; j++) {
                    b[tb ? j * k + p : p * n + j] = (p == 5 && j < 20) ? 0f : 1f;
                }
            }
            // op(A)[7, 9] = NaN poisons row 7.
            a[ta ? 9 * m + 7 : 7 * k + 9] = Float.NaN;
            float[] c = new float[m * n];
            Arrays.fill(c, Float.NaN);
            Sgemm.sgemm(one, simd, ta, tb, m, n, k, 1f, a, 0, b, 0, 0f, c, 0);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    float v = c[i * n + j];
                    if (i == 7 || (i == 3 && j < 20)) {
                        assertTrue(Float.isNaN(v), "C[" + i + "," + j + "] = " + v);
                    } else if (i == 3) {
                        assertEquals(Float.POSITIVE_INFINITY, v, "C[3," + j + "]");
                    } else {
                        assertEquals(j < 20 ? k - 1 : k, v, "C[" + i + "," + j + "]");
                    }
                }
            }
        }
    }

    /** The SIMD kernel with its direct (unpacked) path taken away: every product packs. */
    static GemmKernel packedOnly(GemmKernel k) {
        return new GemmKernel() {
            public int mr() { return k.mr(); }
            public int nr() { return k.nr(); }
            public int kc() { return k.kc(); }
            public int mc() { return k.mc(); }
            public int nc() { return k.nc(); }
            public int packedASize(int mc, int kc) { return k.packedASize(mc, kc); }
            public void packA(boolean t, GemmOperand a, int aOff, int lda, int i0, int mc, int p0, int kc, float[] d) {
                k.packA(t, a, aOff, lda, i0, mc, p0, kc, d);
            }
            public void packB(boolean t, GemmOperand b, int bOff, int ldb, int p0, int kc, int j0, int nc, float[] d,
                              int dOff) {
                k.packB(t, b, bOff, ldb, p0, kc, j0, nc, d, dOff);
            }
            public void macroKernel(boolean t, int mc, int nc, int kc, float[] ap, float[] bp, int bpOff, float[] c,
                                    int cOff, int ldc, float alpha, float beta) {
                k.macroKernel(t, mc, nc, kc, ap, bp, bpOff, c, cOff, ldc, alpha, beta);
            }
        };
    }

    /**
     * One product (random A, B and C, each placed after a few floats of offset) by two kernels, alpha and beta from
     * {@code ab}: the same bits.
     */
    private static void assertSameBits(GemmKernel kernel, GemmKernel packed, boolean ta, boolean tb, int m, int n,
                                       int k, float[] ab, long seed) {
        var rnd = new SplittableRandom(seed);
        float[] a = random(rnd, m * k + 3);
        float[] b = random(rnd, k * n + 5);
        float[] c1 = random(rnd, m * n + 7);
        float[] c2 = c1.clone();
        Sgemm.sgemmBatched(kernel, one, ta, tb, 1, m, n, k, ab[0], a, 3, 0, b, 5, 0, ab[1], c1, 7, 0);
        Sgemm.sgemmBatched(packed, one, ta, tb, 1, m, n, k, ab[0], a, 3, 0, b, 5, 0, ab[1], c2, 7, 0);
        assertArrayEquals(c2, c1, "m=" + m + " n=" + n + " k=" + k + " ta=" + ta + " tb=" + tb
                + " alpha/beta=" + Arrays.toString(ab));
    }

    @Test
    @DisplayName("small row-major products multiplied in place (no packing) are bitwise the packed path's")
    void directPathIsThePackedPath() {
        Assumptions.assumeTrue(dev.kengine.cpu.simd.GemmSimdKernel.fullWidth(), "no 512-bit vectors on this JVM");
        GemmKernel simd = new dev.kengine.cpu.simd.GemmSimdKernel();
        GemmKernel packed = packedOnly(simd);
        // Rows around the 14-row strip and its 4- and 8-row tails, columns around the 32-column panel
        // (masked loads), depths up to the direct path's limit; A, B and C end exactly at the arrays' ends.
        int[] ms = {1, 3, 4, 5, 8, 9, 13, 14, 15, 22, 28, 29, 64};
        int[] ns = {1, 15, 16, 17, 31, 32, 33, 64, 100};
        int[] ks = {1, 2, 64, 384};
        float[][] ab = {{1f, 0f}, {-0.75f, 0f}, {0.5f, 1.25f}};
        long seed = 3000;
        int direct = 0;
        for (int m : ms) {
            for (int n : ns) {
                for (int k : ks) {
                    assertSameBits(simd, packed, false, false, m, n, k, ab[(int) (seed % ab.length)], seed++);
                    direct++;
                }
            }
        }
        assertEquals(ms.length * ns.length * ks.length, direct);
        assertTrue(simd.direct(false, false, 4, 384, 384, 1f, GemmOperand.of(new float[4 * 384]), 0, 384,
                GemmOperand.of(new float[384 * 384]), 0, 384, 0f, new float[4 * 384], 0, 384),
                "384 x 384 B is taken directly");
        assertTrue(!simd.direct(false, false, 4, 64, 385, 1f, null, 0, 385, null, 0, 64, 0f, null, 0, 64)
                && !simd.direct(true, false, 4, 64, 64, 1f, null, 0, 4, null, 0, 64, 0f, null, 0, 64),
                "deep or transposed products are packed");
    }

    @Test
    @DisplayName("products with at most 16 columns (one vector of C a row) are bitwise the packed path's, every layout")
    void narrowPathIsThePackedPath() {
        Assumptions.assumeTrue(dev.kengine.cpu.simd.GemmSimdKernel.fullWidth(), "no 512-bit vectors on this JVM");
        GemmKernel simd = new dev.kengine.cpu.simd.GemmSimdKernel();
        GemmKernel packed = packedOnly(simd);
        // Rows around the 16-row tile and its 4-row groups; columns up to one vector; depths within one run, across
        // runs of 256, and across the packed path's k slices (1025 = two slices of 513, 2100 = three of 700).
        int[] ms = {1, 3, 4, 5, 15, 16, 17, 23, 64, 140};
        int[] ns = {1, 5, 10, 16};
        int[] ks = {1, 7, 256, 300, 1025, 2100};
        float[][] ab = {{1f, 0f}, {-0.75f, 0f}, {0.5f, 1.25f}};
        long seed = 5000;
        int products = 0;
        for (int m : ms) {
            for (int n : ns) {
                for (int k : ks) {
                    for (int t = 0; t < 4; t++) {
                        assertSameBits(simd, packed, (t & 1) != 0, (t & 2) != 0, m, n, k,
                                ab[(int) (seed % ab.length)], seed++);
                        products++;
                    }
                }
            }
        }
        assertEquals(ms.length * ns.length * ks.length * 4, products);
        assertTrue(simd.direct(true, true, 4, 16, 5000, 1f, GemmOperand.of(new float[4 * 5000]), 0, 4,
                GemmOperand.of(new float[16 * 5000]), 0, 5000, 0f, new float[4 * 16], 0, 16),
                "a transposed, deep product with 16 columns is taken directly");
        assertTrue(!simd.direct(true, true, 4, 17, 5000, 1f, null, 0, 4, null, 0, 5000, 0f, null, 0, 17),
                "17 columns are packed");
    }

    @ParameterizedTest(name = "simd={0}")
    @ValueSource(booleans = {true, false})
    @DisplayName("a classifier layer's products (10 columns, or a depth of 10) split across two threads: same bits")
    void narrowProductsSplit(boolean simd) {
        // The last layer of a 1024 → 10 network on a batch of 256: forward, weight gradient (A transposed) and input
        // gradient (B transposed), each counted by the vector it fills (Sgemm.parallelWork) and split.
        int[][] shapes = {{256, 10, 1024, 0}, {1024, 10, 256, 1}, {256, 1024, 10, 2}};
        long seed = 7000;
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2];
            boolean ta = s[3] == 1;
            boolean tb = s[3] == 2;
            assertTrue(Sgemm.parallelWork(m, n, k) >= Sgemm.PARALLEL_MIN_WORK, Arrays.toString(s) + " is split");
            var rnd = new SplittableRandom(seed++);
            float[] a = random(rnd, m * k);
            float[] b = random(rnd, k * n);
            float[] c1 = new float[m * n];
            float[] c2 = new float[m * n];
            Sgemm.sgemm(one, simd, ta, tb, m, n, k, 1f, a, 0, b, 0, 0f, c1, 0);
            Sgemm.sgemm(two, simd, ta, tb, m, n, k, 1f, a, 0, b, 0, 0f, c2, 0);
            assertArrayEquals(c1, c2, "threads changed the result for " + Arrays.toString(s));
            check("narrow", simd, two, ta, tb, m, n, k, 1f, 0f, seed++);
        }
        assertTrue(Sgemm.parallelWork(31, 10, 1024) < Sgemm.PARALLEL_MIN_WORK, "a smaller one stays on one thread");
    }

    @Test
    @DisplayName("the scalar and SIMD paths agree within the error bound on a large product")
    void pathsAgree() {
        check("simd", true, two, false, true, 513, 1025, 257, 1f, 0f, 77);
        check("scalar", false, two, false, true, 513, 1025, 257, 1f, 0f, 77);
    }
}
