package dev.kengine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kengine.Backend;
import dev.kengine.DType;
import dev.kengine.Engine;
import dev.kengine.Tensor;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("The CPU backend reuses the arrays of closed tensors")
class ArrayPoolTest {
    private static final int N = 1 << 18;

    @Test
    @DisplayName("a released array comes back for the same dtype and length only")
    void reusesBySizeAndType() {
        ArrayPool pool = new ArrayPool(1L << 30);
        CpuStorage s = pool.allocate(DType.FLOAT32, N);
        s.release();
        assertEquals(4L * N, pool.keptBytes());
        assertNotSame(s.array(), pool.allocate(DType.FLOAT32, N + 1).array(), "another length");
        assertNotSame(s.array(), pool.allocate(DType.INT32, N).array(), "another dtype of the same width");
        CpuStorage t = pool.allocate(DType.FLOAT32, N);
        assertSame(s.array(), t.array());
        assertSame(t.array(), t.data());
        assertEquals(0, pool.keptBytes());
        for (DType d : DType.values()) {
            CpuStorage h = pool.allocate(d, N);
            h.release();
            CpuStorage again = pool.allocate(d, N);
            assertSame(h.array(), again.array(), d.toString());
            assertEquals(d, again.dtype());
            assertEquals(N, again.size());
        }
    }

    @Test
    @DisplayName("a storage released twice is kept once")
    void releasedOnce() {
        ArrayPool pool = new ArrayPool(1L << 30);
        CpuStorage s = pool.allocate(DType.FLOAT32, N);
        s.release();
        s.release();
        assertEquals(4L * N, pool.keptBytes());
        assertSame(s.array(), pool.allocate(DType.FLOAT32, N).array());
        assertNotSame(s.array(), pool.allocate(DType.FLOAT32, N).array());
    }

    @Test
    @DisplayName("small arrays, arrays past the capacity or past the per-size count, and a closed pool keep nothing")
    void bounded() {
        ArrayPool pool = new ArrayPool(3L * 4 * N);
        CpuStorage small = pool.allocate(DType.FLOAT32, ArrayPool.MIN_BYTES / 4 - 1);
        small.release();
        assertEquals(0, pool.keptBytes());
        CpuStorage[] four = new CpuStorage[4];
        for (int i = 0; i < 4; i++) {
            four[i] = pool.allocate(DType.FLOAT32, N);
        }
        for (CpuStorage s : four) {
            s.release();
        }
        assertEquals(3L * 4 * N, pool.keptBytes(), "three fit the capacity");

        ArrayPool many = new ArrayPool(1L << 40);
        int len = ArrayPool.MIN_BYTES / 4;
        CpuStorage[] more = new CpuStorage[ArrayPool.PER_SIZE + 3];
        for (int i = 0; i < more.length; i++) {
            more[i] = many.allocate(DType.FLOAT32, len);
        }
        for (CpuStorage s : more) {
            s.release();
        }
        assertEquals((long) ArrayPool.PER_SIZE * 4 * len, many.keptBytes());

        many.close();
        assertEquals(0, many.keptBytes());
        many.allocate(DType.FLOAT32, len).release();
        assertEquals(0, many.keptBytes());
    }

    @Test
    @DisplayName("through the facade: a closed tensor's array is reused (poisoned in the tests), zeros() still reads 0")
    void closedTensorsAreRecycled() {
        assumeTrue(Boolean.getBoolean("kengine.cpu.poisonRecycled"), "the build runs the tests with poisoning");
        try (Backend b = Engine.open("cpu", Map.of("threads", "2"))) {
            float[] ones = new float[N];
            java.util.Arrays.fill(ones, 1f);
            b.of(ones, N).close();
            try (Tensor e = b.empty(N)) {
                float[] got = e.toArray();
                for (float v : got) {
                    assertTrue(Float.isNaN(v), "a recycled array is handed out as the pool left it (poisoned)");
                }
            }
            try (Tensor z = b.zeros(N)) {
                for (float v : z.toArray()) {
                    assertEquals(0f, v);
                }
            }
            try (Tensor x = b.of(ones, N); Tensor y = b.scale(x, 3f)) {
                for (float v : y.toArray()) {
                    assertEquals(3f, v);
                }
            }
        }
    }
}
