package dev.kengine.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.InvalidArgumentException;
import dev.kengine.op.Activation;
import dev.kengine.random.CounterRandom;
import dev.kengine.spi.Storage;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The launch shapes of the tuning table: which devices get which, and the 64-bit path of large tensors. */
class LaunchShapeTest {

    @BeforeAll
    static void requireOpenCl() {
        OpenClAvailable.assumeAvailable(LaunchShapeTest.class.getSimpleName());
    }

    @Test
    void cpuDevicesRunOneElementPerWorkItemAndGpusTheGridStride() {
        DeviceInfo dev = OpenClDevices.select(Map.of()).device();
        LaunchTuning.Params p = LaunchTuning.choose(dev);
        assertEquals(!dev.isGpuOrAccelerator(), p.onePerItem(), dev.label());
        if (dev.isGpuOrAccelerator()) {
            assertEquals(LaunchTuning.GRID_STRIDE, p);
        }
    }

    @Test
    void theIndexOptionTakesAutoOr64() {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> Engine.open("opencl", Map.of("index", "32")).close());
        assertTrue(e.getMessage().contains("index must be auto or 64"), e.getMessage());
        try (Backend b = Engine.open("opencl", Map.of("index", "64"))) {
            assertEquals(2f, b.activation(b.of(new float[] {-1, 2}), Activation.RELU).toArray()[1]);
        }
    }

    @Test
    void theGroupOptionStartsAt32WhereEveryKernelFamilyFits() {
        // 16 was accepted and then failed every product with a transposed B (the matmul tilings need 32).
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> Engine.open("opencl", Map.of("group", "16")).close());
        assertTrue(e.getMessage().contains("from 32"), e.getMessage());
        try (Backend b = Engine.open("opencl", Map.of("group", "32"))) {
            float[] x = {1, 2, 3, 4};
            assertEquals(30f, b.matmul(b.of(x, 1, 4), false, b.of(x, 1, 4), true).toArray()[0]);
        }
    }

    /**
     * 2³¹ + 37 floats: the elementwise kernels and dropout take their 64-bit variant and reach the last
     * elements. Needs a device that allocates 8 GiB in one buffer, three of them, and the host memory for
     * them on a CPU device; skipped elsewhere (PoCL's largest allocation is often exactly 8 GiB).
     */
    @Test
    void tensorsOfMoreThanTwoToThe31ElementsTakeTheSixtyFourBitPath() {
        DeviceInfo dev = OpenClDevices.select(Map.of()).device();
        long n = (1L << 31) + 37;
        long bytes = n * 4;
        Assumptions.assumeTrue(dev.maxAllocation() >= bytes && dev.globalMemory() >= 3 * bytes + (1L << 30),
                "a device with 3 x 8 GiB buffers (largest allocation " + dev.maxAllocation() + " bytes)");
        Assumptions.assumeTrue(dev.isGpuOrAccelerator() || HostMemory.available(3 * bytes + (1L << 30)),
                "host memory for 3 x 8 GiB");
        try (OpenClDriver d = (OpenClDriver) new OpenClProvider().open(Map.of())) {
            Storage x = d.allocate(n);
            Storage y = d.allocate(n);
            Storage mask = d.allocate(n);
            try {
                d.fill(x, n, -1f);
                float[] tail = new float[64];
                for (int i = 0; i < tail.length; i++) {
                    tail[i] = i + 1;
                }
                d.write(x, n - tail.length, MemorySegment.ofArray(tail), tail.length);
                d.activation(Activation.RELU, x, y, n);
                float[] back = new float[tail.length + 1];
                d.read(y, n - back.length, MemorySegment.ofArray(back), back.length);
                assertEquals(0f, back[0]);
                for (int i = 0; i < tail.length; i++) {
                    assertEquals(i + 1, back[i + 1], 0f, "relu at n - " + (tail.length - i));
                }
                float p = 0.5f;
                long seed = 11;
                d.dropout(x, y, mask, n, p, seed, 0);
                float[] m = new float[tail.length];
                float[] out = new float[tail.length];
                d.read(mask, n - m.length, MemorySegment.ofArray(m), m.length);
                d.read(y, n - out.length, MemorySegment.ofArray(out), out.length);
                float scale = CounterRandom.dropoutScale(p);
                for (int i = 0; i < tail.length; i++) {
                    boolean keep = CounterRandom.keep(seed, 0, n - tail.length + i, p);
                    assertEquals(keep ? 1f : 0f, m[i], 0f, "mask at n - " + (tail.length - i));
                    assertEquals(tail[i] * (keep ? scale : 0f), out[i], 0f, "y at n - " + (tail.length - i));
                }
            } finally {
                x.release();
                y.release();
                mask.release();
            }
        }
    }
}
