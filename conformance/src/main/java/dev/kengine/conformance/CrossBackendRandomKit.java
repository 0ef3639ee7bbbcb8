package dev.kengine.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kengine.Backend;
import dev.kengine.DropoutOutput;
import dev.kengine.Shape;
import dev.kengine.Tensor;
import dev.kengine.op.Init;
import dev.kengine.random.CounterRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Dropout masks and initial values of one backend bit for bit against a reference backend (the
 * CPU backend in this repository) and the specification ({@link CounterRandom}), at sizes that are
 * not multiples of 4 and with seeds and offsets whose high bits are set. A backend author
 * subclasses it and names both backends; the main kit already checks the same bits against its
 * own oracle and golden files, and this kit checks the two backends against each other directly.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class CrossBackendRandomKit {
    private static final long[] SEEDS = {42L, 0xDEADBEEFCAFEF00DL};
    private static final long[] OFFSETS = {0L, 0x8000_0001_0000_0003L, 0xFFFF_FFFF_0000_0007L};
    private static final int[] SIZES = {1, 3, 7, 93, 1023, 100_003};

    private Backend backend;
    private Backend reference;

    /** For subclasses: a test class that names both backends. */
    public CrossBackendRandomKit() {}

    /**
     * The backend under test; may abort (skip) the class when it is unavailable. Called once per
     * test class; the kit closes it.
     *
     * @return a new, open backend, not null
     */
    protected abstract Backend openBackend();

    /**
     * The reference backend, typically {@code Engine.open("cpu")}. Called once per test class; the
     * kit closes it.
     *
     * @return a new, open backend, not null
     */
    protected abstract Backend openReference();

    @BeforeAll
    void open() {
        backend = openBackend();
        reference = openReference();
    }

    @AfterAll
    void close() {
        if (backend != null) {
            backend.close();
        }
        if (reference != null) {
            reference.close();
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
                        try (Tensor tx = backend.of(x, n); DropoutOutput d = backend.dropout(tx, p, seed, offset);
                             Tensor cx = reference.of(x, n); DropoutOutput c = reference.dropout(cx, p, seed, offset)) {
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
                                assertEquals(Float.floatToRawIntBits(cmask[i]), Float.floatToRawIntBits(mask[i]), at + " vs reference");
                                assertEquals(Float.floatToRawIntBits(cy[i]), Float.floatToRawIntBits(y[i]), at + " vs reference");
                            }
                        }
                    }
                }
            }
        }
    }

    /** The specification's value of element i for (seed, offset). */
    private interface Spec {
        float value(long seed, long offset, long i);
    }

    @Test
    void uniformInitIsBitIdentical() {
        double lo = -0.37;
        double hi = 1.91;
        initIsBitIdentical(Init.uniform(lo, hi), (seed, offset, i) -> CounterRandom.uniform(seed, offset, i, lo, hi));
    }

    @Test
    void normalInitIsBitIdentical() {
        double mean = 0.25;
        double std = 1.7;
        initIsBitIdentical(Init.normal(mean, std), (seed, offset, i) -> CounterRandom.normal(seed, offset, i, mean, std));
    }

    private void initIsBitIdentical(Init init, Spec spec) {
        for (int n : SIZES) {
            for (long seed : SEEDS) {
                for (long offset : OFFSETS) {
                    try (Tensor t = backend.empty(n); Tensor c = reference.empty(n)) {
                        backend.init(t, init, seed, offset);
                        reference.init(c, init, seed, offset);
                        float[] v = t.toArray();
                        float[] cv = c.toArray();
                        for (int i = 0; i < n; i++) {
                            String at = init + " n=" + n + " seed=" + seed + " offset=" + offset + " i=" + i;
                            assertEquals(Float.floatToRawIntBits(spec.value(seed, offset, i)), Float.floatToRawIntBits(v[i]), at);
                            assertEquals(Float.floatToRawIntBits(cv[i]), Float.floatToRawIntBits(v[i]), at + " vs reference");
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
            try (Tensor t = backend.init(shape, init, 7L); Tensor c = reference.init(shape, init, 7L)) {
                float[] v = t.toArray();
                float[] cv = c.toArray();
                for (int i = 0; i < v.length; i++) {
                    assertEquals(Float.floatToRawIntBits(cv[i]), Float.floatToRawIntBits(v[i]), init + " i=" + i);
                }
            }
        }
    }
}
