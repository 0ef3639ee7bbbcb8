package dev.kengine.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;
import org.junit.jupiter.api.Test;

/** SIGHUP stands in for SIGSEGV: replacing it for a moment cannot crash the test's JVM. */
class JvmSignalsTest {
    private static final int SIGHUP = 1;

    private static final MethodHandle SIGACTION;

    static {
        Linker linker = Linker.nativeLinker();
        SIGACTION = linker.downcallHandle(linker.defaultLookup().find("sigaction").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    }

    private static byte[] action(int signal) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment old = arena.allocate(256, 8);
            assertEquals(0, (int) SIGACTION.invokeExact(signal, MemorySegment.NULL, old));
            // What the kernel keeps of glibc's struct sigaction on 64-bit Linux: the handler, the first 64 bits of the
            // 1024-bit mask (glibc leaves the rest as it finds it) and the flags; not the restorer, which glibc sets.
            byte[] kept = new byte[8 + 8 + 4];
            MemorySegment.copy(old, ValueLayout.JAVA_BYTE, 0, kept, 0, 16);
            MemorySegment.copy(old, ValueLayout.JAVA_BYTE, 136, kept, 16, 4);
            return kept;
        }
    }

    /** Sets SIG_IGN with an empty mask and no flags, as a native library might. */
    private static void ignore(int signal) throws Throwable {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ignore = arena.allocate(256, 8);
            ignore.set(ValueLayout.JAVA_LONG, 0, 1L);
            assertEquals(0, (int) SIGACTION.invokeExact(signal, ignore, MemorySegment.NULL));
        }
    }

    private static void assumeJvmOwns(int signal) {
        assumeTrue(JvmSignals.supported(), "signal handlers are guarded on 64-bit Linux only");
        assumeTrue(JvmSignals.owner(signal).endsWith("libjvm.so"), "the JVM handles signal " + signal + " here (not with -Xrs)");
    }

    @Test
    void aGuardPutsBackExactlyWhatItsCallReplaced() throws Throwable {
        assumeJvmOwns(SIGHUP);
        byte[] jvm = action(SIGHUP);
        List<String> restored;
        try (JvmSignals.Guard g = JvmSignals.guard("a test")) {
            ignore(SIGHUP);
            assertEquals("SIG_IGN", JvmSignals.owner(SIGHUP));
            restored = g.restore();
        }
        assertEquals(List.of("SIGHUP"), restored);
        assertArrayEquals(jvm, action(SIGHUP), "handler, mask and flags as the JVM had them");
    }

    @Test
    void aGuardLeavesAloneWhatChangedBeforeIt() throws Throwable {
        assumeJvmOwns(SIGHUP);
        byte[] jvm = action(SIGHUP);
        try (JvmSignals.Guard outer = JvmSignals.guard("the outer test")) {
            ignore(SIGHUP); // as sun.misc.Signal or a profiler would, outside any guarded native call
            try (JvmSignals.Guard inner = JvmSignals.guard("a call that changes nothing")) {
                assertEquals(List.of(), inner.restore());
            }
            assertEquals("SIG_IGN", JvmSignals.owner(SIGHUP), "a handler installed before the guard is not the guard's to undo");
        }
        assertArrayEquals(jvm, action(SIGHUP), "the outer guard saw the change happen inside it");
    }
}
