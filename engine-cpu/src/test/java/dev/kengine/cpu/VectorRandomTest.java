package dev.kengine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kengine.cpu.simd.VectorRandom;
import dev.kengine.random.CounterRandom;
import dev.kengine.random.Philox;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The vectorised Philox and the kernels built on it against the reference {@link Philox} and
 * {@link CounterRandom}, bit for bit, over ranges that start and end off the vector groups, with
 * seeds and offsets whose high bits are set.
 */
@DisplayName("Vectorised Philox matches the reference bit for bit")
class VectorRandomTest {
    static final long[] SEEDS = {0L, 1L, -1L, 0x8000_0000_0000_0000L, 0xFFFF_FFFF_0000_0001L, 0x0123456789ABCDEFL, 0xDEADBEEF_CAFEBABEL};
    static final long[] OFFSETS = {0L, 3L, 0xFFFF_FFFFL, 1L << 32, -1L, 0x8765_4321_0FED_CBA9L};

    @BeforeAll
    static void vectorApi() {
        assumeTrue(SimdSelection.VECTOR != null, SimdSelection.DESCRIPTION);
    }

    @Test
    @DisplayName("blocks equal Philox.block for every word")
    void blocks() {
        int nl = VectorRandom.lanes();
        int[] out = new int[4 * 64];
        int[] ref = new int[4];
        for (long seed : SEEDS) {
            for (long offset : OFFSETS) {
                for (long first : new long[] {0, 5, 1L << 20, (1L << 31) - 64, 0xFFFF_FF00L}) {
                    VectorRandom.blocks(seed, offset, first, 8 * nl, out);
                    for (int j = 0; j < 8 * nl; j++) {
                        long c = first + j;
                        Philox.block((int) c, (int) (c >>> 32), (int) offset, (int) (offset >>> 32), (int) seed,
                                (int) (seed >>> 32), ref);
                        for (int w = 0; w < 4; w++) {
                            assertEquals(ref[w], out[4 * j + w], "counter " + c + " word " + w + " seed " + seed + " offset " + offset);
                        }
                    }
                }
            }
        }
    }

    @Test
    @DisplayName("the integer keep threshold is the float test u >= p")
    void threshold() {
        Random r = new Random(3);
        float[] ps = new float[200];
        for (int i = 0; i < ps.length; i++) {
            ps[i] = i < 20 ? (i - 10) * 0x1p-24f : r.nextFloat();
        }
        ps[0] = Float.NaN;
        ps[1] = -0f;
        ps[2] = 1f;
        ps[3] = Math.nextDown(1f);
        ps[4] = Float.MIN_VALUE;
        ps[5] = 2f;
        ps[6] = Float.NEGATIVE_INFINITY;
        for (float p : ps) {
            long t = VectorRandom.keepThreshold(p);
            // Around the threshold and at the ends of the range of w >>> 8.
            for (long v : new long[] {0, 1, t - 2, t - 1, t, t + 1, (1 << 24) - 1, (long) ((double) p * 0x1p24)}) {
                if (v < 0 || v >= 1 << 24) {
                    continue;
                }
                int bits = (int) (v << 8) | 0x5A;
                assertEquals(CounterRandom.unitFloat(bits) >= p, v >= t, "p=" + p + " v=" + v);
            }
        }
    }

    @Test
    @DisplayName("dropout of a block copied out of a tensor (first ≠ 0) draws that block's elements, on both kernels")
    void dropoutOfABlock() {
        int n = 1000;
        float[] x = new float[n];
        Random r = new Random(12);
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        long[] firsts = {64, 4096, 1 << 20, (1L << 31) - 64 * 17}; // blocks of a Java array: first + i < 2³¹
        for (Elementwise k : new Elementwise[] {SimdSelection.kernels(true, false), ScalarElementwise.INSTANCE}) {
            for (long first : firsts) {
                for (int[] range : new int[][] {{0, 1000}, {0, 64}, {3, 70}, {128, 512}}) {
                    long seed = 0x1234_5678_9ABCL + first;
                    long offset = 77;
                    float p = 0.3f;
                    float scale = CounterRandom.dropoutScale(p);
                    float[] y = new float[n];
                    float[] mask = new float[n];
                    k.dropout(x, y, mask, p, scale, seed, offset, first, range[0], range[1]);
                    for (int i = range[0]; i < range[1]; i++) {
                        boolean keep = CounterRandom.unitFloat(CounterRandom.bits(seed, offset, first + i)) >= p;
                        assertEquals(Float.floatToRawIntBits(x[i] * (keep ? scale : 0f)), Float.floatToRawIntBits(y[i]),
                                k + " first " + first + " y[" + i + "]");
                        assertEquals(keep ? 1f : 0f, mask[i], k + " first " + first + " mask[" + i + "]");
                    }
                    // The UINT8 mask's kernels: the same y, the mask as bytes, and the backward pass from them.
                    float[] yb = new float[n];
                    byte[] bytes = new byte[n];
                    java.util.Arrays.fill(bytes, (byte) 7);
                    k.dropoutBytes(x, yb, bytes, p, scale, seed, offset, first, range[0], range[1]);
                    float[] dx = new float[n];
                    float[] dxb = new float[n];
                    k.dropoutBackward(scale, x, mask, dx, range[0], range[1]);
                    k.dropoutBackwardBytes(scale, x, bytes, dxb, range[0], range[1]);
                    for (int i = 0; i < n; i++) {
                        boolean in = i >= range[0] && i < range[1];
                        assertEquals(Float.floatToRawIntBits(y[i]), Float.floatToRawIntBits(yb[i]), k + " bytes y[" + i + "]");
                        assertEquals(in ? (byte) mask[i] : 7, bytes[i], k + " first " + first + " bytes[" + i + "]");
                        assertEquals(Float.floatToRawIntBits(dx[i]), Float.floatToRawIntBits(dxb[i]), k + " backward from bytes [" + i + "]");
                    }
                }
            }
        }
    }

    @Test
    @DisplayName("half-precision dropout is float32 dropout of the widened x, rounded once, with its mask")
    void halfDropout() {
        // 5000: blocks of the bfloat16 kernel (2048) and a tail of fewer than a Philox block; the ranges start at
        // multiples of 64, as the driver's do, and end anywhere. Specials: NaN payloads, ±∞, −0, subnormals.
        int n = 5000;
        Random r = new Random(21);
        for (boolean bf16 : new boolean[] {true, false}) {
            short[] x = new short[n];
            for (int i = 0; i < n; i++) {
                x[i] = i % 29 == 0 ? (short) (0x7F81 + i) : (short) r.nextInt(1 << 16);
            }
            float[] wide = new float[n];
            ScalarElementwise.INSTANCE.widen(bf16, x, 0, wide, 0, n);
            for (Elementwise k : new Elementwise[] {SimdSelection.kernels(true, false), ScalarElementwise.INSTANCE,
                                                    SimdSelection.kernels(true, true)}) {
                for (int[] range : new int[][] {{0, n}, {64, 2111}, {128, 4160}, {4096, 4097}}) {
                    long seed = 0xFEED_0000_1234L;
                    float p = 0.4f;
                    float scale = CounterRandom.dropoutScale(p);
                    float[] y32 = new float[n];
                    float[] mask32 = new float[n];
                    ScalarElementwise.INSTANCE.dropout(wide, y32, mask32, p, scale, seed, 9, 0, range[0], range[1]);
                    short[] y = new short[n];
                    byte[] bytes = new byte[n];
                    java.util.Arrays.fill(bytes, (byte) 7);
                    k.halfDropout(bf16, x, y, null, bytes, p, scale, seed, 9, range[0], range[1]);
                    short[] inPlace = x.clone();
                    float[] floats = new float[n];
                    k.halfDropout(bf16, inPlace, inPlace, floats, null, p, scale, seed, 9, range[0], range[1]);
                    for (int i = 0; i < n; i++) {
                        boolean in = i >= range[0] && i < range[1];
                        String at = k + (bf16 ? " bfloat16" : " float16") + " range " + range[0] + ".." + range[1] + " [" + i + "]";
                        short want = in ? (bf16 ? dev.kengine.Conversions.toBFloat16(y32[i]) : dev.kengine.Conversions.toFloat16(y32[i])) : 0;
                        assertEquals(want, y[i], at + " y");
                        assertEquals(in ? (byte) mask32[i] : 7, bytes[i], at + " UINT8 mask");
                        assertEquals(in ? want : x[i], inPlace[i], at + " y in place");
                        assertEquals(in ? mask32[i] : 0f, floats[i], at + " float mask");
                    }
                }
            }
        }
    }

    @Test
    @DisplayName("dropout, dropoutBackward and the initialisers over odd ranges equal the references")
    void kernels() {
        Elementwise k = SimdSelection.kernels(true, false);
        Random r = new Random(11);
        int n = 1000;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i % 13 == 0 ? -0f : (i % 17 == 0 ? Float.NaN : (i % 19 == 0 ? Float.NEGATIVE_INFINITY : (float) r.nextGaussian()));
        }
        int[][] ranges = {{0, 1000}, {0, 31}, {1, 33}, {3, 999}, {32, 64}, {33, 95}, {5, 6}, {0, 0}, {64, 1000}, {17, 700}};
        for (long seed : SEEDS) {
            long offset = OFFSETS[(int) Math.floorMod(seed, OFFSETS.length)];
            for (float p : new float[] {0f, 1e-9f, 0.1f, 0.5f, 0.999999f, 1f, Float.NaN}) {
                float scale = CounterRandom.dropoutScale(p);
                for (int[] range : ranges) {
                    float[] y = new float[n];
                    float[] mask = new float[n];
                    java.util.Arrays.fill(y, 7f);
                    java.util.Arrays.fill(mask, 7f);
                    k.dropout(x, y, mask, p, scale, seed, offset, 0L, range[0], range[1]);
                    for (int i = 0; i < n; i++) {
                        boolean in = i >= range[0] && i < range[1];
                        boolean keep = CounterRandom.unitFloat(CounterRandom.bits(seed, offset, i)) >= p;
                        float wantY = in ? x[i] * (keep ? scale : 0f) : 7f;
                        float wantM = in ? (keep ? 1f : 0f) : 7f;
                        assertEquals(Float.floatToRawIntBits(wantY), Float.floatToRawIntBits(y[i]),
                                "y[" + i + "] p=" + p + " seed=" + seed + " range " + range[0] + ".." + range[1]);
                        assertEquals(wantM, mask[i], "mask[" + i + "]");
                    }
                    float[] dx = new float[n];
                    k.dropoutBackward(scale, x, mask, dx, range[0], range[1]);
                    for (int i = range[0]; i < range[1]; i++) {
                        assertEquals(Float.floatToRawIntBits(x[i] * (mask[i] != 0f ? scale : 0f)), Float.floatToRawIntBits(dx[i]));
                    }
                }
            }
            for (int[] range : ranges) {
                float[] a = new float[n];
                k.initUniform(a, seed, offset, -0.3, 0.7, range[0], range[1]);
                for (int i = range[0]; i < range[1]; i++) {
                    assertEquals(Float.floatToRawIntBits(CounterRandom.uniform(seed, offset, i, -0.3, 0.7)),
                            Float.floatToRawIntBits(a[i]), "uniform " + i);
                }
                k.initNormal(a, seed, offset, 0.25, 2.0, range[0], range[1]);
                for (int i = range[0]; i < range[1]; i++) {
                    assertEquals(Float.floatToRawIntBits(CounterRandom.normal(seed, offset, i, 0.25, 2.0)),
                            Float.floatToRawIntBits(a[i]), "normal " + i);
                }
            }
        }
    }
}
