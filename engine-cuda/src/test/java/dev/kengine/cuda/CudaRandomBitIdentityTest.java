package dev.kengine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kengine.Backend;
import dev.kengine.DropoutOutput;
import dev.kengine.Engine;
import dev.kengine.Shape;
import dev.kengine.Tensor;
import dev.kengine.op.Init;
import dev.kengine.random.CounterRandom;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Dropout masks and initial values on CUDA are bit for bit those of the specification
 * (CounterRandom) and of the CPU backend, at sizes that are not multiples of 4 and with offsets
 * and seeds whose high bits are set.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CudaRandomBitIdentityTest {
    private static final long[] SEEDS = {42L, 0xDEADBEEFCAFEF00DL};
    private static final long[] OFFSETS = {0L, 0x8000_0001_0000_0003L, 0xFFFF_FFFF_0000_0007L};
    private static final int[] SIZES = {1, 3, 7, 93, 1023, 100_003};

    private Backend gpu;
    private Backend cpu;

    @BeforeAll
    void open() {
        CudaAvailable.assumeAvailable(getClass().getSimpleName());
        gpu = Engine.open("cuda", Map.of());
        cpu = Engine.open("cpu", Map.of());
    }

    @AfterAll
    void close() {
        if (gpu != null) {
            gpu.close();
        }
        if (cpu != null) {
            cpu.close();
        }
    }

    @Test
    void dropoutMasksAndOutputsAreBitIdentical() {
        for (int n : SIZES) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = (i % 5 - 2) * 0.75f + 0.1f;
            }
            for (long seed : SEEDS) {
                for (long offset : OFFSETS) {
                    for (float p : new float[] {0f, 0.1f, 0.5f, 0.9f}) {
                        try (Tensor tx = gpu.of(x, n); DropoutOutput d = gpu.dropout(tx, p, seed, offset);
                             Tensor cx = cpu.of(x, n); DropoutOutput c = cpu.dropout(cx, p, seed, offset)) {
                            float[] mask = d.mask().toArray();
                            float[] y = d.output().toArray();
                            float[] cmask = c.mask().toArray();
                            float[] cy = c.output().toArray();
                            float s = CounterRandom.dropoutScale(p);
                            for (int i = 0; i < n; i++) {
                                boolean keep = CounterRandom.keep(seed, offset, i, p);
                                String at = "n=" + n + " seed=" + seed + " offset=" + offset + " p=" + p + " i=" + i;
                                assertEquals(keep ? 1f : 0f, mask[i], at);
                                assertEquals(Float.floatToRawIntBits(x[i] * (keep ? s : 0f)), Float.floatToRawIntBits(y[i]), at);
                                assertEquals(Float.floatToRawIntBits(cmask[i]), Float.floatToRawIntBits(mask[i]), at + " vs cpu");
                                assertEquals(Float.floatToRawIntBits(cy[i]), Float.floatToRawIntBits(y[i]), at + " vs cpu");
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void uniformInitIsBitIdentical() {
        for (int n : SIZES) {
            for (long seed : SEEDS) {
                for (long offset : OFFSETS) {
                    double lo = -0.37;
                    double hi = 1.91;
                    try (Tensor t = gpu.empty(n); Tensor c = cpu.empty(n)) {
                        gpu.init(t, Init.uniform(lo, hi), seed, offset);
                        cpu.init(c, Init.uniform(lo, hi), seed, offset);
                        float[] v = t.toArray();
                        float[] cv = c.toArray();
                        for (int i = 0; i < n; i++) {
                            float want = CounterRandom.uniform(seed, offset, i, lo, hi);
                            String at = "n=" + n + " seed=" + seed + " offset=" + offset + " i=" + i;
                            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(v[i]), at);
                            assertEquals(Float.floatToRawIntBits(cv[i]), Float.floatToRawIntBits(v[i]), at + " vs cpu");
                        }
                    }
                }
            }
        }
    }

    @Test
    void normalInitIsBitIdentical() {
        for (int n : SIZES) {
            for (long seed : SEEDS) {
                for (long offset : OFFSETS) {
                    double mean = 0.25;
                    double std = 1.7;
                    try (Tensor t = gpu.empty(n); Tensor c = cpu.empty(n)) {
                        gpu.init(t, Init.normal(mean, std), seed, offset);
                        cpu.init(c, Init.normal(mean, std), seed, offset);
                        float[] v = t.toArray();
                        float[] cv = c.toArray();
                        for (int i = 0; i < n; i++) {
                            float want = CounterRandom.normal(seed, offset, i, mean, std);
                            String at = "n=" + n + " seed=" + seed + " offset=" + offset + " i=" + i;
                            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(v[i]), at);
                            assertEquals(Float.floatToRawIntBits(cv[i]), Float.floatToRawIntBits(v[i]), at + " vs cpu");
                        }
                    }
                }
            }
        }
    }

    @Test
    void heAndXavierInitAreBitIdenticalWithTheCpu() {
        for (Init init : new Init[] {Init.heUniform(), Init.heNormal(), Init.xavierUniform(), Init.xavierNormal()}) {
            Shape shape = Shape.of(37, 29);
            try (Tensor t = gpu.init(shape, init, 7L); Tensor c = cpu.init(shape, init, 7L)) {
                float[] v = t.toArray();
                float[] cv = c.toArray();
                for (int i = 0; i < v.length; i++) {
                    assertEquals(Float.floatToRawIntBits(cv[i]), Float.floatToRawIntBits(v[i]), init + " i=" + i);
                }
            }
        }
    }
}
