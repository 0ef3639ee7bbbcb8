package dev.kengine.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.Tensor;
import dev.kengine.op.Activation;
import dev.kengine.spi.Storage;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Selection, asynchronous release, transfers through every kind of segment, and the matmul tiles' ragged edges. */
class DriverBehaviourTest {

    @BeforeAll
    static void requireOpenCl() {
        OpenClAvailable.assumeAvailable(DriverBehaviourTest.class.getSimpleName());
    }

    /**
     * PoCL's LLVM installs its own SIGSEGV, SIGBUS, SIGFPE, SIGILL (and more) handlers when the
     * platform loads; the JVM needs its own back, or the next safepoint poll in a Java thread can
     * kill the process (seen on a GPU machine with PoCL 5), and an integer division by zero in
     * compiled Java code returns a number instead of throwing.
     */
    @Test
    void theJvmKeepsItsSignalHandlersAfterDiscoveryBuildsAndLaunches() {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.kengine.spi.JvmSignals.supported(), "64-bit Linux only");
        try (Backend b = Engine.open("opencl", Map.of());
             Tensor x = b.of(new float[] {1, -2, 3, -4}, 2, 2);
             Tensor y = b.matmul(x, x);
             Tensor z = b.activation(y, Activation.GELU)) {
            b.synchronize();
            assertEquals(4, z.toArray().length);
        }
        // HUP, INT, QUIT, ILL, BUS, FPE, SEGV, USR2, TERM: those the JVM installs and LLVM takes.
        for (int signal : new int[] {1, 2, 3, 4, 7, 8, 11, 12, 15}) {
            String owner = dev.kengine.spi.JvmSignals.owner(signal);
            assertTrue(owner.endsWith("libjvm.so") || owner.endsWith("libjsig.so"), "signal " + signal + " is handled by " + owner);
        }
        long sum = 0;
        for (int i = 0; i < 200_000; i++) {
            sum += divide(i, 1 + (i & 7)); // compiled by now, with the division's zero check left to SIGFPE
        }
        assertEquals(6_794_408_452L, sum);
        org.junit.jupiter.api.Assertions.assertThrows(ArithmeticException.class, () -> divide(7, 0));
    }

    private static int divide(int a, int b) {
        return a / b;
    }

    @Test
    void selectsByIndexAndByNameSubstring() {
        OpenClDevices.Discovery d = OpenClDevices.discover();
        DeviceInfo first = d.devices().get(0);
        assertEquals(first.name(), OpenClDevices.select(Map.of("device", "0")).device().name());
        String part = first.name().substring(0, Math.min(6, first.name().length())).toUpperCase(java.util.Locale.ROOT);
        assertNotNull(OpenClDevices.select(Map.of("device", part)).device(), "case-insensitive substring " + part);
        assertNotNull(OpenClDevices.select(Map.of("platform", "0", "device", "0")).device());
        assertEquals(null, OpenClDevices.select(Map.of("platform", "99")).device());
    }

    @Test
    void openClCVersions() {
        assertTrue(OpenClDevices.openClC12("OpenCL C 1.2 pocl"));
        assertTrue(OpenClDevices.openClC12("OpenCL C 3.0 "));
        assertTrue(!OpenClDevices.openClC12("OpenCL C 1.1 "));
        assertTrue(OpenClDevices.openClC12("unreadable"), "not refused on a string it cannot read");
    }

    @Test
    void callersDeviceOptionWinsOverTheSystemPropertyInTheProbe() {
        System.setProperty("kengine.opencl.device", "97");
        try {
            org.junit.jupiter.api.Assertions.assertThrows(dev.kengine.BackendUnavailableException.class, () -> Engine.open("opencl"));
            try (Backend b = Engine.open("opencl", Map.of("device", "0"))) {
                assertEquals(OpenClDevices.discover().devices().get(0).name(), b.capabilities().deviceName());
            }
        } finally {
            System.clearProperty("kengine.opencl.device");
        }
    }

    @Test
    void rankPrefersTheCpuBackendOnACpuDevice() {
        OpenClProvider p = new OpenClProvider();
        DeviceInfo selected = OpenClDevices.select(Map.of()).device();
        assertEquals(selected.isGpuOrAccelerator() ? 30 : 5, p.rank());
    }

    @Test
    void inputsReleasedRightAfterEnqueueingStayValidUntilTheOpHasRun() {
        try (Backend b = Engine.open("opencl")) {
            int n = 1 << 16;
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = i;
            }
            Tensor a = b.of(x);
            Tensor y = b.scale(a, 3f);
            a.close();
            float[] out = y.toArray();
            for (int i = 0; i < n; i += 997) {
                assertEquals(3f * i, out[i]);
            }
            y.close();
            assertEquals(0, b.liveTensors());
        }
    }

    @Test
    void transfersThroughHeapSlicesNativeAndByteSegments() {
        try (OpenClDriver d = (OpenClDriver) new OpenClProvider().open(Map.of()); Arena arena = Arena.ofConfined()) {
            Storage s = d.allocate(10);
            float[] src = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
            d.write(s, 0, MemorySegment.ofArray(src).asSlice(8), 10);
            float[] back = new float[12];
            d.read(s, 0, MemorySegment.ofArray(back).asSlice(4), 10);
            assertArrayEquals(new float[] {0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0}, back);

            MemorySegment nat = arena.allocate(ValueLayout.JAVA_FLOAT, 10);
            d.read(s, 0, nat, 10);
            assertEquals(11f, nat.getAtIndex(ValueLayout.JAVA_FLOAT, 9));
            nat.setAtIndex(ValueLayout.JAVA_FLOAT, 3, -1f);
            d.write(s, 3, nat.asSlice(12), 1);

            byte[] bytes = new byte[40];
            MemorySegment bs = MemorySegment.ofArray(bytes);
            d.read(s, 0, bs, 10);
            assertEquals(-1f, bs.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 12));
            bs.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 0, 42f);
            d.write(s, 0, bs, 10);
            float[] last = new float[10];
            d.read(s, 0, MemorySegment.ofArray(last), 10);
            assertEquals(42f, last[0]);
            assertEquals(-1f, last[3]);
            s.release();
            s.release();
        }
    }

    /** Sizes around the tile edges of whatever tuning the device got, every transpose, alpha/beta and a batch. */
    @Test
    void matmulMatchesAReferenceAtRaggedSizes() {
        try (Backend b = Engine.open("opencl")) {
            int[][] sizes = {{1, 1, 1}, {3, 5, 7}, {65, 129, 17}, {64, 128, 16}, {130, 33, 70}};
            for (int[] sz : sizes) {
                int m = sz[0];
                int n = sz[1];
                int k = sz[2];
                for (int t = 0; t < 4; t++) {
                    boolean ta = (t & 1) != 0;
                    boolean tb = (t & 2) != 0;
                    int batch = 2;
                    float[] a = values(batch * m * k, 1);
                    float[] bb = values(batch * k * n, 2);
                    float[] c0 = values(batch * m * n, 3);
                    try (Tensor ta3 = b.of(a, batch, ta ? k : m, ta ? m : k); Tensor tb3 = b.of(bb, batch, tb ? n : k, tb ? k : n);
                         Tensor tc = b.of(c0, batch, m, n)) {
                        b.matmul(ta3, ta, tb3, tb, tc, 0.5f, -2f);
                        float[] got = tc.toArray();
                        for (int p = 0; p < batch; p++) {
                            for (int i = 0; i < m; i++) {
                                for (int j = 0; j < n; j++) {
                                    double s = 0;
                                    for (int q = 0; q < k; q++) {
                                        double av = ta ? a[p * m * k + q * m + i] : a[p * m * k + i * k + q];
                                        double bv = tb ? bb[p * k * n + j * k + q] : bb[p * k * n + q * n + j];
                                        s += av * bv;
                                    }
                                    double want = 0.5 * s - 2.0 * c0[p * m * n + i * n + j];
                                    float g = got[p * m * n + i * n + j];
                                    assertTrue(Math.abs(g - want) <= 1e-4 * (1 + Math.abs(want)) * Math.sqrt(k),
                                            "m=" + m + " n=" + n + " k=" + k + " ta=" + ta + " tb=" + tb + " at " + p + "," + i + "," + j
                                                    + ": " + g + " vs " + want);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /** A CPU device reports its CPU's vendor; the GPU rows of the same vendor must not be chosen for it. */
    @Test
    void cpuDevicesGetTheirOwnTuningRow() {
        DeviceInfo dev = OpenClDevices.select(Map.of()).device();
        MatmulTuning.Params p = MatmulTuning.choose(dev);
        if (!dev.isGpuOrAccelerator() && dev.platformName().toLowerCase(java.util.Locale.ROOT).contains("portable computing language")) {
            assertEquals(new MatmulTuning.Params(64, 128, 16, 4, 8, 4), p, "PoCL on " + dev.vendor());
        }
    }

    /** Every row of the tuning table (including the GPU rows) computes correctly here too, fused linear included. */
    @Test
    void everyTuningRowComputesTheSameResults() {
        DeviceInfo dev = OpenClDevices.select(Map.of()).device();
        int m = 70;
        int n = 131;
        int k = 19;
        float[] a = values(m * k, 5);
        float[] w = values(k * n, 6);
        float[] bias = values(n, 7);
        List<MatmulTuning.Params> rows = List.copyOf(MatmulTuning.allParams());
        String only = System.getProperty("kengine.test.tuningRow"); // one row's index: each in a JVM of its own
        if (only != null) {
            rows = List.of(rows.get(Integer.parseInt(only)));
        }
        for (MatmulTuning.Params p : rows) {
            if (!MatmulTuning.fits(p, dev)) {
                continue;
            }
            try (OpenClDriver d = new OpenClDriver(dev, ProgramCache.cacheDirectory(null), p)) {
                Storage sa = d.allocate(m * k);
                Storage sw = d.allocate(k * n);
                Storage sb = d.allocate(n);
                Storage z = d.allocate(m * n);
                Storage y = d.allocate(m * n);
                d.write(sa, 0, MemorySegment.ofArray(a), a.length);
                d.write(sw, 0, MemorySegment.ofArray(w), w.length);
                d.write(sb, 0, MemorySegment.ofArray(bias), bias.length);
                d.linear(sa, sw, sb, z, y, m, k, n, Activation.RELU);
                float[] zs = new float[m * n];
                float[] ys = new float[m * n];
                d.read(z, 0, MemorySegment.ofArray(zs), zs.length);
                d.read(y, 0, MemorySegment.ofArray(ys), ys.length);
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double s = bias[j];
                        for (int q = 0; q < k; q++) {
                            s += (double) a[i * k + q] * w[q * n + j];
                        }
                        assertEquals(s, zs[i * n + j], 1e-5 * (1 + Math.abs(s)), p + " z at " + i + "," + j);
                        assertEquals(Math.max(0, zs[i * n + j]), ys[i * n + j], 0f, p + " y at " + i + "," + j);
                    }
                }
                for (Storage st : new Storage[] {sa, sw, sb, z, y}) {
                    st.release();
                }
            }
        }
    }

    /**
     * A device whose k_linear allows fewer work-items per group than the matmul tiles need (here the option's cap, as
     * CL_KERNEL_WORK_GROUP_SIZE reports for a register-heavy kernel): the tiles are lowered to ones that fit and the
     * product is right; where none fits, a DeviceException names the kernel and the limit.
     */
    @Test
    void matmulTilesLoweredToTheKernelsLimit() {
        DeviceInfo dev = OpenClDevices.select(Map.of()).device();
        org.junit.jupiter.api.Assumptions.assumeTrue(MatmulTuning.fits(MatmulTuning.DEFAULT, dev), "device fits 256 work-items");
        int m = 70;
        int n = 131;
        int k = 19;
        float[] a = values(m * k, 5);
        float[] w = values(k * n, 6);
        try (OpenClDriver d = new OpenClDriver(dev, ProgramCache.cacheDirectory(null), MatmulTuning.DEFAULT,
                LaunchTuning.GRID_STRIDE, false, 128)) {
            Storage sa = d.allocate(m * k);
            Storage sw = d.allocate(k * n);
            Storage y = d.allocate(m * n);
            Storage z = d.allocate(m * n);
            d.write(sa, 0, MemorySegment.ofArray(a), a.length);
            d.write(sw, 0, MemorySegment.ofArray(w), w.length);
            d.linear(sa, sw, null, z, y, m, k, n, Activation.IDENTITY);
            assertTrue(d.tuning().workGroupSize() <= 128 && MatmulTuning.allParams().contains(d.tuning()),
                    "the 256-work-item tiles lowered to a tiling of the table that fits 128: " + d.tuning());
            float[] ys = new float[m * n];
            d.read(y, 0, MemorySegment.ofArray(ys), ys.length);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int q = 0; q < k; q++) {
                        s += (double) a[i * k + q] * w[q * n + j];
                    }
                    assertEquals(s, ys[i * n + j], 1e-5 * (1 + Math.abs(s)), "y at " + i + "," + j);
                }
            }
            // The elementwise and row kernels (groups of 256 in this shape) are rebuilt for groups of 128.
            d.activation(Activation.SIGMOID, y, y, (long) m * n);
            Storage rowSums = d.allocate(m);
            d.reduce(y, rowSums, m, n, 1, false);
            float[] sums = new float[m];
            d.read(rowSums, 0, MemorySegment.ofArray(sums), m);
            for (int i = 0; i < m; i++) {
                double s = 0;
                for (int j = 0; j < n; j++) {
                    s += 1 / (1 + Math.exp(-ys[i * n + j]));
                }
                assertEquals(s, sums[i], 1e-4 * s, "row " + i);
            }
            assertTrue(d.groupSizes()[0] <= 128 && d.groupSizes()[1] <= 128, java.util.Arrays.toString(d.groupSizes()));
            for (Storage st : new Storage[] {sa, sw, y, z, rowSums}) {
                st.release();
            }
        }
        try (OpenClDriver d = new OpenClDriver(dev, ProgramCache.cacheDirectory(null), MatmulTuning.DEFAULT,
                LaunchTuning.GRID_STRIDE, false, 16)) {
            Storage sa = d.allocate(16);
            var e = org.junit.jupiter.api.Assertions.assertThrows(dev.kengine.DeviceException.class,
                    () -> d.matmul(sa, false, sa, false, sa, 1, 4, 4, 4, 1f, 0f, 0, 0, 0));
            assertTrue(e.getMessage().contains("kernel k_gemm allows at most 16 work-items per group"), e.getMessage());
            sa.release();
        }
    }

    private static float[] values(int n, int salt) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = ((i * 7919 + salt * 104729) % 2001 - 1000) / 1000f;
        }
        return v;
    }
}
