package dev.kengine.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.kengine.BackendUnavailableException;
import dev.kengine.Engine;
import java.util.Map;
import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Which backend a task opens from the resources Spark gave it (a fake {@code TaskContext.resources()}
 * map), how a GPU address maps to a CUDA ordinal, and what happens when CUDA cannot open (it cannot
 * here: no GPU or driver; the CUDA backend is on the test class path).
 */
class TaskEnginesTest {
    private static Map<String, ResourceInformation> gpus(String... addresses) {
        return Map.of("gpu", new ResourceInformation("gpu", addresses));
    }

    @AfterEach
    void forget() {
        TaskEngines.forgetFailures();
    }

    @Test
    void autoOpensCudaOnTheTasksFirstGpuAndCpuWithTheTasksCoresOtherwise() {
        TaskEngines.Choice gpu = TaskEngines.select("auto", Map.of(), gpus("1", "3"), 4, null);
        assertEquals("cuda", gpu.name());
        assertEquals(Map.of("device", "1"), gpu.options());
        assertEquals("1", gpu.gpu());
        assertEquals(Map.of("threads", "4", "simd", "true"), gpu.fallback());
        assertEquals("cuda{device=1}", gpu.label());

        TaskEngines.Choice cpu = TaskEngines.select("auto", Map.of(), Map.of(), 3, null);
        assertEquals("cpu{threads=3, simd=true}", cpu.label());
        assertNull(cpu.fallback());
        // No address in the gpu resource: no GPU.
        assertEquals("cpu", TaskEngines.select("AUTO", Map.of(), gpus(), 1, null).name());
        // Other resources do not matter.
        assertEquals("cpu", TaskEngines.select("auto", Map.of(), Map.of("fpga", new ResourceInformation("fpga",
                new String[] {"0"})), 1, null).name());
    }

    @Test
    void explicitBackendsAndOptionsWin() {
        // An explicit cuda takes its device from the resource unless the options name one; no fallback.
        TaskEngines.Choice cuda = TaskEngines.select("cuda", Map.of(), gpus("2"), 1, null);
        assertEquals(Map.of("device", "2"), cuda.options());
        assertNull(cuda.fallback());
        assertEquals(Map.of("device", "0"), TaskEngines.select("cuda", Map.of("device", "0"), gpus("2"), 1, null).options());
        // Without a GPU resource, cuda opens with the options as given (the backend's default device).
        assertEquals(Map.of(), TaskEngines.select("cuda", Map.of(), Map.of(), 1, null).options());
        // cpu on a task with a GPU: the task's cores, or the given threads.
        assertEquals("cpu{threads=2, simd=true}", TaskEngines.select("cpu", Map.of(), gpus("0"), 2, null).label());
        assertEquals("cpu{threads=8, simd=true}", TaskEngines.select("cpu", Map.of("threads", "8"), gpus("0"), 2, null).label());
        assertEquals("opencl{}", TaskEngines.select("opencl", Map.of(), gpus("0"), 2, null).label());
    }

    @Test
    void gpuAddressesMapToCudaOrdinalsThroughCudaVisibleDevices() {
        assertEquals(3, TaskEngines.cudaOrdinal("3", null));
        assertEquals(3, TaskEngines.cudaOrdinal(" 3 ", ""));
        // nvidia-smi's index 3 is CUDA's ordinal 1 when only GPUs 2 and 3 are visible.
        assertEquals(1, TaskEngines.cudaOrdinal("3", "2,3"));
        assertEquals(0, TaskEngines.cudaOrdinal("3", "3, 1"));
        // A script that already numbers the visible devices: the address is the ordinal.
        assertEquals(0, TaskEngines.cudaOrdinal("0", "2,3"));
        // UUIDs, as CUDA_VISIBLE_DEVICES may list them.
        assertEquals(1, TaskEngines.cudaOrdinal("GPU-bbbb", "GPU-aaaa,GPU-bbbb"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TaskEngines.cudaOrdinal("GPU-cccc", "GPU-aaaa,GPU-bbbb"));
        assertTrue(e.getMessage().contains("GPU-cccc") && e.getMessage().contains("CUDA_VISIBLE_DEVICES=GPU-aaaa,GPU-bbbb"),
                e.getMessage());
        assertEquals(0, TaskEngines.cudaOrdinal("2", "2,3"));
        assertEquals(Map.of("device", "1"), TaskEngines.select("auto", Map.of(), gpus("3"), 1, "2,3").options());
    }

    /** The premise of the fallback tests: the CUDA backend is on the class path but cannot run (no GPU, driver or kernels). */
    private static void assumeCudaCannotOpen() {
        var cuda = Engine.explain().stream().filter(i -> i.name().equals("cuda")).findFirst();
        assertTrue(cuda.isPresent(), "the CUDA backend is on the test class path");
        assumeFalse(cuda.get().available(), "CUDA can run on this machine, so it does not fall back: " + cuda.get());
    }

    @Test
    void autoFallsBackToCpuWhenCudaCannotOpenAndSaysWhy() {
        assumeCudaCannotOpen();
        TaskEngines.Choice choice = TaskEngines.select("auto", Map.of(), gpus("0"), 2, null);
        TaskEngines.Borrowed b = TaskEngines.borrow(choice);
        try {
            assertEquals("cpu", b.name());
            assertEquals(Map.of("threads", "2", "simd", "true"), b.options());
            assertEquals("cpu", b.backend().name());
            assertTrue(b.label().startsWith("cpu{threads=2, simd=true} instead of cuda{device=0}: "), b.label());
            assertTrue(b.label().toLowerCase(java.util.Locale.ROOT).contains("cuda"), b.label());
            // Later tasks of the executor fall back at once, and report the same.
            assertEquals(b.label(), TaskEngines.label(choice));
        } finally {
            TaskEngines.giveBack(b);
        }
        TaskEngines.Borrowed again = TaskEngines.borrow(choice);
        assertEquals(b.label(), again.label());
        TaskEngines.giveBack(again);
    }

    @Test
    void anUnmappableGpuAddressFallsBackUnderAutoAndFailsAnExplicitCuda() {
        TaskEngines.Choice auto = TaskEngines.select("auto", Map.of(), gpus("GPU-cccc"), 1, "GPU-aaaa");
        assertNotNull(auto.problem());
        TaskEngines.Borrowed b = TaskEngines.borrow(auto);
        assertTrue(b.label().startsWith("cpu{threads=1, simd=true} instead of cuda{}: Spark assigned GPU address 'GPU-cccc'"), b.label());
        TaskEngines.giveBack(b);
        TaskEngines.Choice cuda = TaskEngines.select("cuda", Map.of(), gpus("GPU-cccc"), 1, "GPU-aaaa");
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> TaskEngines.borrow(cuda));
        assertTrue(e.getMessage().contains("address GPU-cccc") && e.getMessage().contains("CUDA_VISIBLE_DEVICES"),
                e.getMessage());
    }

    @Test
    void anExplicitCudaThatCannotOpenFailsTheTaskNamingTheGpu() {
        assumeCudaCannotOpen();
        TaskEngines.Choice choice = TaskEngines.select("cuda", Map.of(), gpus("1"), 1, null);
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> TaskEngines.borrow(choice));
        System.out.println("explicit cuda on this machine: " + e.getMessage());
        assertTrue(e.getMessage().startsWith("backend cuda{device=1} could not open on the GPU Spark assigned this task"
                + " (address 1): "), e.getMessage());
        assertNotNull(e.getCause());
    }
}
