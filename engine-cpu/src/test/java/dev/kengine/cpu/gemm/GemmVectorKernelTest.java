package dev.kengine.cpu.gemm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kengine.cpu.Parallel;
import dev.kengine.cpu.simd.GemmVectorKernel;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The 6 x (2 vectors) kernel that machines without 512-bit vectors use, run here at this JVM's
 * preferred width through {@link Sgemm}'s kernel-taking entry, against a double-precision
 * reference with {@link SgemmTest}'s bound: 2(k+3)u times Σ|a·b| (plus |βc|). Edge tiles in both
 * directions, transposes, α/β (β = 0 with NaN in C, which must not be read), batches, and one and
 * two threads.
 */
@DisplayName("The narrow-vector SGEMM kernel matches a double-precision reference")
class GemmVectorKernelTest {
    private static final double U = 0x1p-24;
    private static final GemmKernel KERNEL = new GemmVectorKernel();
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

    private static void check(Parallel par, boolean ta, boolean tb, int batch, int m, int n, int k, float alpha,
                              float beta, long seed) {
        var rnd = new SplittableRandom(seed);
        float[] a = new float[batch * m * k + 3];
        float[] b = new float[batch * k * n + 5];
        float[] c = new float[batch * m * n + 7];
        for (float[] x : new float[][] {a, b, c}) {
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (rnd.nextDouble() * 2 - 1);
            }
        }
        if (beta == 0f) {
            Arrays.fill(c, 7, c.length, Float.NaN);
        }
        float[] before = c.clone();
        Sgemm.sgemmBatched(KERNEL, par, ta, tb, batch, m, n, k, alpha, a, 3, (long) m * k, b, 5, (long) k * n,
                beta, c, 7, (long) m * n);
        for (int i = 0; i < 7; i++) {
            assertEquals(Float.floatToRawIntBits(before[i]), Float.floatToRawIntBits(c[i]), "wrote before C");
        }
        for (int q = 0; q < batch; q++) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    double abs = 0;
                    for (int p = 0; p < k; p++) {
                        double x = a[3 + q * m * k + (ta ? p * m + i : i * k + p)];
                        double y = b[5 + q * k * n + (tb ? j * k + p : p * n + j)];
                        s += x * y;
                        abs += Math.abs(x * y);
                    }
                    int e = 7 + q * m * n + i * n + j;
                    double cij = beta == 0f ? 0 : (double) beta * before[e];
                    double ref = alpha * s + cij;
                    double tol = 2 * (k + 3) * U * (Math.abs(alpha) * abs + Math.abs(cij)) + Float.MIN_NORMAL;
                    if (!(Math.abs(c[e] - ref) <= tol)) {
                        throw new AssertionError(String.format("threads=%d ta=%b tb=%b batch=%d m=%d n=%d k=%d alpha=%s "
                                + "beta=%s: C%d[%d,%d] = %s, want %s +- %s", par.threads(), ta, tb, batch, m, n, k, alpha,
                                beta, q, i, j, c[e], ref, tol));
                    }
                }
            }
        }
    }

    @Test
    @DisplayName("odd shapes around the tile, every transpose, alpha and beta")
    void shapes() {
        int nr = KERNEL.nr();
        int[][] shapes = {{1, 1, 1}, {5, 7, 3}, {6, nr, 8}, {7, nr + 1, 9}, {13, 2 * nr - 1, 31}, {12, 3 * nr, 257},
                          {61, 37, 300}, {250, 70, 513}};
        long seed = 1;
        for (int[] s : shapes) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    check(one, ta, tb, 1, s[0], s[1], s[2], 1f, 0f, seed++);
                    check(one, ta, tb, 1, s[0], s[1], s[2], -0.5f, 1.25f, seed++);
                }
            }
        }
    }

    @Test
    @DisplayName("two threads and batches give the reference too")
    void threadsAndBatches() {
        check(two, false, false, 1, 300, 260, 270, 1f, 0f, 101);
        check(two, true, true, 1, 301, 255, 129, 2f, -1f, 102);
        check(two, false, true, 5, 33, 29, 17, 1f, 0.5f, 103);
        check(one, true, false, 3, 7, 9, 5, 1f, 0f, 104);
    }
}
