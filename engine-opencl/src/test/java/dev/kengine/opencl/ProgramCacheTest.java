package dev.kengine.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.kernels.Dialect;
import dev.kengine.kernels.KernelFamily;
import dev.kengine.kernels.KernelSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The program cache: memory hits, disk hits across drivers (as across processes), corrupt entries rebuilt. */
class ProgramCacheTest {

    @BeforeAll
    static void requireOpenCl() {
        OpenClAvailable.assumeAvailable(ProgramCacheTest.class.getSimpleName());
    }

    private static OpenClDriver open(Path cache) {
        return (OpenClDriver) new OpenClProvider().open(Map.of("cache", cache.toString()));
    }

    /** A small program, so the test pays little compile time. */
    private static KernelSource.Assembled small(String tag) {
        return KernelSource.assembleText(KernelFamily.ELEMENTWISE, Dialect.OPENCL, Map.of("CACHE_TEST_TAG", tag),
                "__kernel void k_twice(__global float* x, klong n) { K_FOR_EACH(i, n) { x[i] = 2.0f * x[i]; } }\n");
    }

    @Test
    void secondBuildComesFromMemoryThenFromDisk(@TempDir Path dir) {
        KernelSource.Assembled src = small("a" + System.nanoTime());
        try (OpenClDriver first = open(dir)) {
            first.programs().get(src);
            first.programs().get(src);
            assertEquals(1, first.programs().compiledFromSource.get());
            assertEquals(1, first.programs().memoryHits.get());
            assertTrue(Files.isRegularFile(first.programs().diskFile(src)), "binary written to " + dir);
        }
        try (OpenClDriver second = open(dir)) {
            second.programs().get(src);
            assertEquals(0, second.programs().compiledFromSource.get(), "a new driver (as a new process) compiles nothing");
            assertEquals(1, second.programs().loadedFromDisk.get());
        }
    }

    @Test
    void corruptEntryIsRebuiltNotTrusted(@TempDir Path dir) throws Exception {
        KernelSource.Assembled src = small("b" + System.nanoTime());
        Path file;
        try (OpenClDriver first = open(dir)) {
            first.programs().get(src);
            file = first.programs().diskFile(src);
        }
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 10] ^= 0x5A;
        Files.write(file, bytes);
        try (OpenClDriver second = open(dir)) {
            second.programs().get(src);
            assertEquals(1, second.programs().rejectedDiskEntries.get());
            assertEquals(1, second.programs().compiledFromSource.get());
        }
        try (OpenClDriver third = open(dir)) {
            third.programs().get(src);
            assertEquals(1, third.programs().loadedFromDisk.get(), "the rebuilt entry was written back");
        }
        Files.write(file, new byte[] {1, 2, 3});
        try (OpenClDriver fourth = open(dir)) {
            fourth.programs().get(src);
            assertEquals(1, fourth.programs().rejectedDiskEntries.get());
            assertEquals(1, fourth.programs().compiledFromSource.get());
        }
    }

    @Test
    void keyDependsOnDeviceIdentityAndText(@TempDir Path dir) {
        try (OpenClDriver d = open(dir)) {
            String k1 = d.programs().diskKey(small("x"));
            String k2 = d.programs().diskKey(small("y"));
            assertTrue(!k1.equals(k2));
            assertEquals(64, k1.length());
        }
    }

    /**
     * Building every family from source versus loading them all from the disk cache; printed for
     * the record. PoCL keeps its own kernel cache (under XDG_CACHE_HOME/pocl), so "from source"
     * here is cold only when that is cold too (about 9 s for the nine families on these machines,
     * against about 0.3 s from this cache).
     */
    @Test
    void everyFamilyLoadsFromDiskFasterThanItCompiles(@TempDir Path dir) {
        long cold;
        try (OpenClDriver first = open(dir)) {
            cold = first.warmUp();
            assertEquals(KernelFamily.values().length, first.programs().compiledFromSource.get());
        }
        long warm;
        try (OpenClDriver second = open(dir)) {
            warm = second.warmUp();
            assertEquals(0, second.programs().compiledFromSource.get());
            assertEquals(KernelFamily.values().length, second.programs().loadedFromDisk.get());
        }
        System.out.println("opencl: all " + KernelFamily.values().length + " kernel families: cold compile " + cold
                + " ms, from the disk cache " + warm + " ms");
    }
}
