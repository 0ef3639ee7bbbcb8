package dev.kengine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.Backend;
import dev.kengine.BackendOption;
import dev.kengine.Engine;
import dev.kengine.InvalidArgumentException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Typed options reach the CPU backend as their string forms do, and bad ones fail where they are written. */
class BackendOptionTest {

    @Test
    @DisplayName("typed options open the CPU backend as the string map would")
    void typedOptionsOpenTheBackend() {
        try (Backend b = Engine.open("cpu", BackendOption.CPU_THREADS.is(1), BackendOption.CPU_SIMD.is(false))) {
            String details = b.capabilities().details().toString();
            assertTrue(details.contains("threads=1"), details);
            assertTrue(details.toLowerCase(java.util.Locale.ROOT).contains("scalar"), details);
        }
    }

    @Test
    @DisplayName("a bad value, or an option of another backend, is rejected with the accepted values")
    void badSettingsAreRejected() {
        var e = assertThrows(InvalidArgumentException.class, () -> BackendOption.CPU_THREADS.is(0));
        assertTrue(e.getMessage().contains("at least 1"), e.getMessage());
        e = assertThrows(InvalidArgumentException.class, () -> Engine.open("cpu", BackendOption.CUDA_PRECISION.is(BackendOption.Precision.TF32)));
        assertTrue(e.getMessage().contains("belongs to backend 'cuda'"), e.getMessage());
        assertEquals("tf32", BackendOption.CUDA_PRECISION.is(BackendOption.Precision.TF32).value());
    }

    @Test
    @DisplayName("a misspelt option key is rejected with the options the CPU backend reads; system properties stay lenient")
    void unknownKeysAreRejected() {
        var e = assertThrows(InvalidArgumentException.class, () -> Engine.open("cpu", java.util.Map.of("smid", "false")));
        assertTrue(e.getMessage().contains("no option 'smid'") && e.getMessage().contains("its options: simd, threads"),
                e.getMessage());
        e = assertThrows(InvalidArgumentException.class,
                () -> Engine.open("CPU", java.util.Map.of("thread", "2", "simd", "true", "gemm", "x")));
        assertTrue(e.getMessage().contains("no option 'gemm', 'thread';"), e.getMessage());
        System.setProperty("kengine.cpu.someday", "1");
        try (Backend b = Engine.open("cpu", java.util.Map.of("threads", "1"))) {
            assertTrue(b.capabilities().details().toString().contains("threads=1"));
        } finally {
            System.clearProperty("kengine.cpu.someday");
        }
    }

    @Test
    @DisplayName("threads beyond 1024 are a usage error, not an out-of-memory error or a thousand threads")
    void threadsAreBounded() {
        for (String t : new String[] {"1025", "2147483647"}) {
            InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                    () -> Engine.open("cpu", java.util.Map.of("threads", t)));
            assertTrue(e.getMessage().contains("at most 1024"), e.getMessage());
        }
    }

    @Test
    @DisplayName("a CPU backend dropped unclosed has its worker threads ended by the collector")
    void droppedBackendsEndTheirWorkers() throws InterruptedException {
        long before = workers();
        for (int i = 0; i < 4; i++) {
            openAndDrop();
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (workers() > before && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(workers() <= before, "kengine-cpu workers alive: " + workers() + ", before: " + before);
    }

    private static void openAndDrop() {
        Backend b = Engine.open("cpu", java.util.Map.of("threads", "3", "simd", "false"));
        b.add(b.zeros(4), b.zeros(4));
    }

    private static long workers() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("kengine-cpu-") && !t.getName().contains("warmup"))
                .count();
    }
}
