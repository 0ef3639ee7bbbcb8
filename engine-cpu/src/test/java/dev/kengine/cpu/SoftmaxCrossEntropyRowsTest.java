package dev.kengine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The SIMD kernel's pipelined softmax cross-entropy rows (next row's max read during this row's exponentials)
 * against the interface's unfused composition of max, expSum and scale on the same kernels, bit for bit
 * (NaN as any NaN: the fused max skips NaN where the lanewise MAX returns it, so a NaN row's NaNs can carry
 * another sign or payload, which no contract fixes; seen with 128-bit SSE vectors).
 */
@DisplayName("Pipelined softmax cross-entropy rows give the same bits as max, expSum, scale")
class SoftmaxCrossEntropyRowsTest {

    @BeforeAll
    static void vectorApi() {
        assumeTrue(SimdSelection.VECTOR != null, SimdSelection.DESCRIPTION);
    }

    /** The same kernels with the interface's default (unfused) row method. */
    private static Elementwise unfused(Elementwise k) {
        return (Elementwise) java.lang.reflect.Proxy.newProxyInstance(Elementwise.class.getClassLoader(),
                new Class<?>[] {Elementwise.class}, (proxy, method, args) -> {
                    if (method.getName().equals("softmaxCrossEntropyLabelRows")) {
                        return java.lang.reflect.InvocationHandler.invokeDefault(proxy, method, args);
                    }
                    return method.invoke(k, args);
                });
    }

    @Test
    @DisplayName("widths on and off the vector length, ranges, special values, in place")
    void sameBits() {
        Elementwise k = SimdSelection.VECTOR;
        Elementwise ref = unfused(k);
        Random r = new Random(11);
        for (int c : new int[] {1, 7, 15, 16, 17, 33, 64, 100, 1000, 1024}) {
            int rows = 9;
            float[] x = new float[rows * c];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (r.nextGaussian() * 8);
            }
            if (c > 3) {
                x[2 * c + 1] = Float.NaN;
                x[3 * c + 2] = Float.POSITIVE_INFINITY;
                x[4 * c] = Float.NEGATIVE_INFINITY;
                x[5 * c + c - 1] = -0f;
                Arrays.fill(x, 6 * c, 7 * c, Float.NEGATIVE_INFINITY);
            }
            int[] labels = new int[rows];
            for (int i = 0; i < rows; i++) {
                labels[i] = r.nextInt(c);
            }
            for (int[] range : new int[][] {{0, rows}, {1, 4}, {3, 4}, {5, 9}, {2, 2}}) {
                for (boolean withGrad : new boolean[] {true, false}) {
                    for (boolean inPlace : new boolean[] {false, true}) {
                        if (inPlace && !withGrad) {
                            continue;
                        }
                        float[] xa = x.clone();
                        float[] xb = x.clone();
                        float[] ga = withGrad ? (inPlace ? xa : new float[x.length]) : null;
                        float[] gb = withGrad ? (inPlace ? xb : new float[x.length]) : null;
                        double[] la = new double[rows];
                        double[] lb = new double[rows];
                        k.softmaxCrossEntropyLabelRows(xa, labels, ga, 1.0 / rows, la, range[0], range[1], c);
                        ref.softmaxCrossEntropyLabelRows(xb, labels, gb, 1.0 / rows, lb, range[0], range[1], c);
                        String where = "c=" + c + " range=" + Arrays.toString(range) + " grad=" + withGrad + " inPlace=" + inPlace;
                        for (int i = 0; i < rows; i++) {
                            assertEquals(Double.doubleToLongBits(lb[i]), Double.doubleToLongBits(la[i]), where + " loss row " + i);
                        }
                        if (withGrad) {
                            for (int i = 0; i < x.length; i++) {
                                assertEquals(Float.floatToIntBits(gb[i]), Float.floatToIntBits(ga[i]), where + " grad " + i);
                            }
                        }
                    }
                }
            }
        }
    }
}
