package dev.kengine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.BackendInfo;
import dev.kengine.BackendUnavailableException;
import dev.kengine.Engine;
import dev.kengine.InvalidArgumentException;
import dev.kengine.spi.Availability;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Discovery and the probe: a provider that answers, never throws, on any machine. */
class CudaProviderTest {

    private static boolean driverInstalled() {
        for (String dir : new String[] {"/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/nvidia/lib64",
            "/usr/local/cuda/lib64/stubs"}) {
            if (Files.exists(Path.of(dir, "libcuda.so.1"))) {
                return true;
            }
        }
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String dir : ld.split(":")) {
                if (!dir.isEmpty() && Files.exists(Path.of(dir, "libcuda.so.1"))) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void isDiscoveredWithNameAndRank() {
        BackendInfo info = Engine.explain().stream().filter(i -> i.name().equals("cuda")).findFirst().orElse(null);
        assertNotNull(info, "the cuda provider is not found by ServiceLoader: " + Engine.explain());
        assertEquals(40, info.rank());
        System.out.println("cuda: " + (info.available() ? "available on " + info.capabilities().deviceName() : "unavailable: " + info.reason()));
    }

    @Test
    void probeIsCachedAndNeverThrows() {
        Availability a = new CudaProvider().probe();
        Availability b = new CudaProvider().probe();
        assertEquals(a.available(), b.available());
        assertEquals(a.reason(), b.reason());
        assertSame(CudaProbe.get(), CudaProbe.get(), "the probe runs once per process");
    }

    @Test
    void withoutNvidiaDriverReportsUnavailableWithTheLibcudaReason() {
        Assumptions.assumeFalse(driverInstalled(), "an NVIDIA driver (libcuda.so.1) is installed here");
        Assumptions.assumeTrue(CudaKernels.manifest().built(), "kernels were not built: " + CudaKernels.manifest().problem());
        Availability a = new CudaProvider().probe();
        assertFalse(a.available());
        assertEquals("libcuda.so.1 not found (no NVIDIA driver)", a.reason());
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> Engine.open("cuda"));
        assertTrue(e.getMessage().contains("libcuda.so.1 not found"), e.getMessage());
        // Asking again gives the same answer: the failed class initialisation is not retried.
        assertEquals(a.reason(), new CudaProvider().probe().reason());
    }

    @Test
    void kernelsNotBuiltIsTheReasonWhenTheManifestIsMissing() {
        CudaKernels.Manifest m = CudaKernels.manifest();
        if (m.built()) {
            assertFalse(m.modules().isEmpty());
            assertTrue(m.archs().contains("90"), "the fat binaries should hold sm_90 (H100): " + m.archs());
        } else {
            assertTrue(m.problem().startsWith("kernels were not built"), m.problem());
            assertEquals(m.problem(), new CudaProvider().probe().reason());
        }
    }

    @Test
    void optionsAreValidated() {
        assertThrows(InvalidArgumentException.class, () -> CudaProvider.Options.parse(Map.of("precision", "fp16")));
        assertThrows(InvalidArgumentException.class, () -> CudaProvider.Options.parse(Map.of("kernels", "fast")));
        assertTrue(CudaProvider.Options.parse(Map.of("precision", "TF32")).tf32());
        assertTrue(CudaProvider.Options.parse(Map.of("kernels", "shared")).sharedKernelsOnly());
        assertFalse(CudaProvider.Options.parse(Map.of()).tf32());
    }

    @Test
    void deviceSelectionByIndexOrName() {
        var devices = java.util.List.of(
                new CudaDevice(0, "NVIDIA H100 80GB HBM3", 9, 0, 80L << 30, 132, 1980000, 50 << 20, 2619000, 5120, 13000),
                new CudaDevice(1, "NVIDIA RTX A4000", 8, 6, 16L << 30, 48, 1560000, 4 << 20, 7001000, 256, 13000));
        assertEquals(0, CudaProbe.select(devices, null).index());
        assertEquals(1, CudaProbe.select(devices, "1").index());
        assertEquals(1, CudaProbe.select(devices, "a4000").index());
        assertThrows(InvalidArgumentException.class, () -> CudaProbe.select(devices, "7"));
        assertThrows(InvalidArgumentException.class, () -> CudaProbe.select(devices, "V100"));
        assertEquals("13.0", devices.get(0).driverVersionText());
        assertEquals("9.0", devices.get(0).details().get("compute capability"));
    }
}
