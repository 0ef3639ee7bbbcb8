package dev.kengine.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.Backend;
import dev.kengine.DeviceOutOfMemoryException;
import dev.kengine.Engine;
import dev.kengine.KernelCompilationException;
import dev.kengine.Shape;
import dev.kengine.Tensor;
import dev.kengine.kernels.KernelFamily;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Native errors come out as the engine's exceptions, and the backend stays usable after them. */
class ErrorTranslationTest {

    @BeforeAll
    static void requireOpenCl() {
        OpenClAvailable.assumeAvailable(ErrorTranslationTest.class.getSimpleName());
    }

    @Test
    void runningOutOfMemoryAfterTheAllocationIsStillOutOfMemory() {
        // Drivers that allocate at first use report it at a write, a launch or a wait, not at clCreateBuffer.
        for (int status : new int[] {org.jocl.CL.CL_MEM_OBJECT_ALLOCATION_FAILURE, org.jocl.CL.CL_OUT_OF_HOST_MEMORY}) {
            var e = ClErrors.translate("launching k_add", new org.jocl.CLException("failed", status));
            assertTrue(e instanceof DeviceOutOfMemoryException, e.toString());
            assertEquals(-1, ((DeviceOutOfMemoryException) e).requestedBytes());
            assertTrue(e.getMessage().contains("launching k_add"), e.getMessage());
        }
        var resources = ClErrors.translate("waiting for the queue",
                new org.jocl.CLException("failed", org.jocl.CL.CL_OUT_OF_RESOURCES));
        assertTrue(resources instanceof dev.kengine.DeviceException, resources.toString());
        assertTrue(resources.getMessage().contains("memory on some drivers, or a kernel fault"), resources.getMessage());
    }

    @Test
    void aFailedLaunchNamesItsKernelAndGrid() {
        try (OpenClDriver d = (OpenClDriver) new OpenClProvider().open(Map.of())) {
            // A work-group size that does not divide the grid: the driver refuses the launch.
            var e = assertThrows(dev.kengine.DeviceException.class, () -> d.launchForTest(KernelFamily.ELEMENTWISE, "k_scale",
                    new long[] {7}, new long[] {3}, d.allocate(7), 1f, d.allocate(7), 7L));
            assertTrue(e.getMessage().contains("launching k_scale over [7] in groups of [3]"), e.getMessage());
        }
    }

    @Test
    void invalidKernelSourceReportsTheBuildLog() {
        try (OpenClDriver d = (OpenClDriver) new OpenClProvider().open(Map.of("cache", "off"))) {
            KernelCompilationException e = assertThrows(KernelCompilationException.class,
                    () -> d.buildForTest(KernelFamily.ELEMENTWISE,
                            "__kernel void k_broken(__global float* x) { x[0] = undefined_thing + ; }\n"));
            assertTrue(e.kernel().contains("k_broken"), e.kernel());
            assertTrue(e.options().startsWith(ProgramCache.OPTIONS), e.options());
            assertTrue(e.buildLog().contains("undefined_thing") || e.buildLog().contains("error"), e.buildLog());
            assertTrue(e.getMessage().contains(e.buildLog()));
        }
    }

    @Test
    void hugeAllocationIsOutOfMemoryAndTheBackendStaysUsable() {
        try (Backend b = Engine.open("opencl")) {
            long tooMany = b.capabilities().memoryBytes() / 4 * 64;
            DeviceOutOfMemoryException e = assertThrows(DeviceOutOfMemoryException.class, () -> b.empty(Shape.of(tooMany)));
            assertTrue(e.requestedBytes() > 0);
            try (Tensor x = b.of(new float[] {1, 2, 3}); Tensor y = b.scale(x, 2f)) {
                assertArrayEquals(new float[] {2, 4, 6}, y.toArray());
            }
        }
    }

    @Test
    void capabilitiesDescribeTheDevice() {
        var a = new OpenClProvider().probe();
        assertTrue(a.available());
        assertTrue(a.capabilities().computeUnits() > 0);
        assertTrue(a.capabilities().memoryBytes() > 0);
        assertTrue(a.capabilities().details().containsKey("driver"));
        assertTrue(a.capabilities().details().containsKey("fp64"));
    }

    @Test
    void aDeviceOptionThatMatchesNothingIsUnavailableNotACrash() {
        var s = OpenClDevices.select(Map.of("device", "no-such-device-xyz"));
        assertEquals(null, s.device());
        assertTrue(s.problem().contains("no-such-device-xyz"), s.problem());
    }
}
