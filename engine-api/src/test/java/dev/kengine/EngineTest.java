package dev.kengine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.fake.FakeProviders;
import dev.kengine.op.Op;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class EngineTest {

    @Test
    @DisplayName("discovery lists every backend, available first, with the reasons of the others, and never throws")
    void explainNeverThrows() {
        List<BackendInfo> infos = Engine.explain();
        assertEquals(List.of("heap", "declared", "missing", "linkage", "throwing"),
                infos.stream().map(BackendInfo::name).toList());
        assertTrue(infos.get(0).available() && infos.get(1).available());
        assertEquals("libmissing.so was not found on java.library.path", infos.get(2).reason());
        assertTrue(infos.get(3).reason().contains("UnsatisfiedLinkError"), infos.get(3).reason());
        assertTrue(infos.get(4).reason().contains("driver exploded"), infos.get(4).reason());
        String text = Engine.describe();
        assertTrue(text.contains("unavailable: libmissing.so"), text);
        assertTrue(text.contains("the Java heap"), text);
    }

    @Test
    @DisplayName("explain --help prints its usage instead of explaining")
    void explainHelp() {
        java.io.PrintStream old = System.out;
        java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(buffer, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            Engine.main(new String[] {"--help"});
        } finally {
            System.setOut(old);
        }
        String printed = buffer.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(printed.startsWith("usage: ./engine explain"), printed);
        assertFalse(printed.contains("the Java heap"), printed);
    }

    @Test
    @DisplayName("without a choice the best available backend wins, not the best ranked")
    void bestAvailable() {
        try (Backend b = Engine.open()) {
            assertEquals("heap", b.name());
        }
    }

    @Test
    @DisplayName("a system property chooses the backend and passes it options")
    void propertyChoice() {
        System.setProperty(Engine.BACKEND_PROPERTY, "missing");
        try {
            var e = assertThrows(BackendUnavailableException.class, Engine::open);
            assertTrue(e.getMessage().contains("libmissing.so"), e.getMessage());
        } finally {
            System.clearProperty(Engine.BACKEND_PROPERTY);
        }
        System.setProperty("kengine.heap.threads", "3");
        try (Backend b = Engine.open("heap", Map.of("extra", "x"))) {
            assertEquals("3", FakeProviders.lastOptions.get("threads"));
            assertEquals("x", FakeProviders.lastOptions.get("extra"));
        } finally {
            System.clearProperty("kengine.heap.threads");
        }
    }

    @Test
    @DisplayName("a provider that declares its options gets none other from the caller; one that does not gets every key")
    void declaredOptions() {
        try (Backend b = Engine.open("declared", Map.of("threads", "2"))) {
            assertEquals("2", FakeProviders.lastOptions.get("threads"));
        }
        var e = assertThrows(InvalidArgumentException.class, () -> Engine.open("declared", Map.of("thread", "2")));
        assertTrue(e.getMessage().contains("backend 'declared' has no option 'thread'; its options: device, threads"),
                e.getMessage());
        System.setProperty("kengine.declared.extra", "x");
        try (Backend b = Engine.open("declared")) {
            assertEquals("x", FakeProviders.lastOptions.get("extra"));
        } finally {
            System.clearProperty("kengine.declared.extra");
        }
    }

    @Test
    @DisplayName("the caller's option wins over a system property's also in the probe: a device property this machine lacks")
    void callerOptionsWinInTheProbe() {
        System.setProperty("kengine.declared.device", "7");
        try {
            var e = assertThrows(BackendUnavailableException.class, () -> Engine.open("declared"));
            assertTrue(e.getMessage().contains("no device 7"), e.getMessage());
            try (Backend b = Engine.open("declared", Map.of("device", "0"))) {
                assertEquals("0", FakeProviders.lastOptions.get("device"));
            }
            // A malformed option stays an InvalidArgumentException, not an unavailable backend.
            assertThrows(InvalidArgumentException.class, () -> Engine.open("declared", Map.of("device", "bad")));
        } finally {
            System.clearProperty("kengine.declared.device");
        }
    }

    @Test
    @DisplayName("backendNames lists the providers without probing them")
    void backendNames() {
        assertEquals(List.of("heap", "declared", "missing", "throwing", "linkage"), Engine.backendNames(), "load order");
    }

    @Test
    @DisplayName("records that check their components: an ELU with a negative alpha, a setting without its option")
    void recordsCheckTheirComponents() {
        assertThrows(InvalidArgumentException.class, () -> new dev.kengine.op.Activation(dev.kengine.op.Activation.Kind.ELU, -1f));
        assertEquals(0.5f, new dev.kengine.op.Activation(dev.kengine.op.Activation.Kind.ELU, 0.5f).parameter());
        assertThrows(InvalidArgumentException.class, () -> new BackendOption.Setting(null, "2"));
        assertThrows(InvalidArgumentException.class, () -> new BackendOption.Setting(BackendOption.CPU_THREADS, null));
    }

    @Test
    @DisplayName("an unknown name lists the known backends")
    void unknownName() {
        var e = assertThrows(BackendUnavailableException.class, () -> Engine.open("quantum"));
        assertTrue(e.getMessage().contains("heap") && e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    @DisplayName("an op the backend does not declare is refused before any work starts")
    void unsupportedOp() {
        try (Backend b = Engine.open("heap"); Tensor x = b.zeros(3)) {
            var e = assertThrows(UnsupportedOpException.class, () -> b.relu(x));
            assertEquals(Op.ACTIVATION, e.op());
            assertFalse(b.supports(Op.MATMUL));
        }
    }
}
