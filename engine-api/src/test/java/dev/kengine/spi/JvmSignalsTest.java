package dev.kengine.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;
import org.junit.jupiter.api.Test;

class JvmSignalsTest {
    private static final int SIGHUP = 1;
    private static final int SIGSEGV = 11;

    @Test
    void theJvmOwnsItsSignalsAndNothingIsRestoredWhenNothingChanged() {
        assumeTrue(JvmSignals.supported(), "signal handlers are read on Linux only");
        assertTrue(JvmSignals.owner(SIGSEGV).endsWith("libjvm.so"), JvmSignals.owner(SIGSEGV));
        assertEquals(List.of(), JvmSignals.restore("a test"));
    }

    /** SIGHUP stands in for SIGSEGV: replacing it for a moment cannot crash the test's JVM. */
    @Test
    void aHandlerReplacedByNativeCodeIsPutBack() throws Throwable {
        assumeTrue(JvmSignals.supported(), "signal handlers are read on Linux only");
        assertTrue(JvmSignals.owner(SIGHUP).endsWith("libjvm.so"), "the JVM handles SIGHUP (shutdown hooks)");
        Linker linker = Linker.nativeLinker();
        MethodHandle sigaction = linker.downcallHandle(linker.defaultLookup().find("sigaction").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ignore = arena.allocate(256, 8); // sa_handler = SIG_IGN, empty mask, no flags
            ignore.set(ValueLayout.JAVA_LONG, 0, 1L);
            assertEquals(0, (int) sigaction.invokeExact(SIGHUP, ignore, MemorySegment.NULL));
        }
        assertEquals("SIG_IGN", JvmSignals.owner(SIGHUP));
        JvmSignals.restoreIfSegvReplaced("a test"); // SIGSEGV untouched: the cheap check does nothing
        assertEquals("SIG_IGN", JvmSignals.owner(SIGHUP));
        assertEquals(List.of("SIGHUP"), JvmSignals.restore("a test"));
        assertTrue(JvmSignals.owner(SIGHUP).endsWith("libjvm.so"), JvmSignals.owner(SIGHUP));
    }
}
