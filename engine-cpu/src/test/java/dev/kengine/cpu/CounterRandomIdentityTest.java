package dev.kengine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kengine.Backend;
import dev.kengine.DropoutOutput;
import dev.kengine.Engine;
import dev.kengine.Shape;
import dev.kengine.Tensor;
import dev.kengine.op.Init;
import dev.kengine.random.CounterRandom;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Dropout masks and initial values are bit-identical to {@link CounterRandom}'s reference functions. */
@DisplayName("Dropout and initialisation match CounterRandom bit for bit")
class CounterRandomIdentityTest {
    static final long[] SEEDS = {0L, 42L, -1L, 0x0123456789ABCDEFL};
    static final long[] OFFSETS = {0L, 7L, 1L << 33};
    /** 1021 runs one range; 300007 (prime, above two grains) splits across two threads at odd boundaries. */
    static final int[] SIZES = {1021, 300_007};

    @ParameterizedTest(name = "threads={0} simd={1}")
    @CsvSource({"1,true", "2,true", "1,false", "2,false"})
    void dropout(int threads, boolean simd) {
        try (Backend b = Engine.open("cpu", Map.of("threads", Integer.toString(threads), "simd", Boolean.toString(simd)))) {
            for (int n : SIZES) {
                float[] x = new float[n];
                for (int i = 0; i < n; i++) {
                    x[i] = (i % 7 == 3) ? -0f : (i % 11 == 5 ? Float.POSITIVE_INFINITY : 1.5f * (i - n / 2));
                }
                for (float p : new float[] {0f, 0.1f, 0.5f, 0.9f}) {
                    for (long seed : SEEDS) {
                        long offset = OFFSETS[(int) Math.floorMod(seed, OFFSETS.length)];
                        float scale = CounterRandom.dropoutScale(p);
                        try (Tensor tx = b.of(x); DropoutOutput out = b.dropout(tx, p, seed, offset)) {
                            float[] y = out.output().toArray();
                            float[] mask = out.mask().toArray();
                            for (int i = 0; i < n; i++) {
                                boolean keep = CounterRandom.keep(seed, offset, i, p);
                                float want = x[i] * (keep ? scale : 0.0f);
                                if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(y[i])
                                        || mask[i] != (keep ? 1f : 0f)) {
                                    assertEquals(want + "/" + (keep ? 1f : 0f), y[i] + "/" + mask[i],
                                            "element " + i + " of n=" + n + " p=" + p + " seed=" + seed);
                                }
                            }
                            try (Tensor dx = b.dropoutBackward(out.output(), out.mask(), p)) {
                                float[] g = dx.toArray();
                                for (int i = 0; i < n; i++) {
                                    float want = y[i] * (mask[i] != 0f ? scale : 0f);
                                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(g[i]), "backward " + i);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "threads={0} simd={1}")
    @CsvSource({"1,true", "2,true", "1,false", "2,false"})
    void init(int threads, boolean simd) {
        try (Backend b = Engine.open("cpu", Map.of("threads", Integer.toString(threads), "simd", Boolean.toString(simd)))) {
            for (int n : SIZES) {
                for (long seed : SEEDS) {
                    for (long offset : OFFSETS) {
                        try (Tensor t = b.empty(n)) {
                            b.init(t, Init.uniform(-0.3, 0.7), seed, offset);
                            float[] v = t.toArray();
                            for (int i = 0; i < n; i++) {
                                float want = CounterRandom.uniform(seed, offset, i, -0.3, 0.7);
                                if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(v[i])) {
                                    assertEquals(want, v[i], "uniform element " + i + " seed=" + seed + " offset=" + offset);
                                }
                            }
                            b.init(t, Init.normal(0.25, 2.0), seed, offset);
                            v = t.toArray();
                            for (int i = 0; i < n; i++) {
                                float want = CounterRandom.normal(seed, offset, i, 0.25, 2.0);
                                if (Float.floatToRawIntBits(want) != Float.floatToRawIntBits(v[i])) {
                                    assertEquals(want, v[i], "normal element " + i + " seed=" + seed + " offset=" + offset);
                                }
                            }
                        }
                    }
                }
                // The resolved fan-based kinds go through the same two ops.
                try (Tensor t = b.init(Shape.of(n / 1021, 1021), Init.heNormal(), 9)) {
                    Init.Distribution d = Init.heNormal().resolve(Shape.of(n / 1021, 1021));
                    float[] v = t.toArray();
                    for (int i = 0; i < v.length; i += 97) {
                        assertEquals(Float.floatToRawIntBits(CounterRandom.normal(9, 0, i, d.p0(), d.p1())),
                                Float.floatToRawIntBits(v[i]), "he normal element " + i);
                    }
                }
            }
        }
    }
}
