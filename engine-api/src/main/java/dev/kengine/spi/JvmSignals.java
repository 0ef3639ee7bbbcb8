package dev.kengine.spi;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps the JVM's own signal handlers installed across native calls that replace them.
 *
 * <p>HotSpot handles SIGSEGV, SIGBUS, SIGFPE and SIGILL itself: a safepoint poll, an implicit null
 * check and an integer division by zero in compiled Java code all arrive as one of these signals.
 * A native library that installs its own handlers without the JVM's signal-chaining library
 * ({@code libjsig}) breaks that. LLVM does, when an OpenCL implementation loads it: PoCL's LLVM takes
 * SIGSEGV with {@code SA_RESETHAND}, so at a safepoint the first thread's poll resets the handler
 * and the next one's kills the process, with no {@code hs_err} (seen on a GPU machine); and with
 * PoCL's SIGFPE handler in place a Java {@code 7 / 0} in compiled code returned 7.
 *
 * <p>A backend wraps each native call that may load or initialise such code in a {@link #guard}:
 * it reads every signal's action before the call and, when the guard closes, puts back each one
 * that was the JVM's before and that the call replaced, saying once per library which signals it
 * had taken. Handlers installed outside guarded calls (through {@code sun.misc.Signal}, or by a
 * profiler) are never touched, and a process started with {@code libjsig} preloaded sees no
 * change at all (the library's handlers are chained behind the JVM's), which is the better remedy
 * where the launch command can be chosen: the JVM then handles its own signals and passes the
 * others on (PoCL's SIGFPE handler keeps an integer division by zero inside a kernel harmless,
 * which, with the JVM's handler put back instead, would end the process).
 *
 * <p>Linux only (glibc's {@code sigaction} and {@code dladdr} through the foreign function
 * interface, on 64-bit processes); elsewhere, or where native access is denied, guards do nothing.
 */
@SuppressWarnings("restricted")
public final class JvmSignals {
    private static final System.Logger LOG = System.getLogger(JvmSignals.class.getName());

    private static final int LAST_SIGNAL = 31;
    private static final int SIGKILL = 9;
    private static final int SIGSTOP = 19;
    /** Bytes of glibc's {@code struct sigaction} on 64-bit Linux (152: handler, 128-byte mask, flags, restorer), rounded up. */
    private static final long SIGACTION_BYTES = 256;

    private static final Native NATIVE = Native.load();
    private static final Set<String> REPORTED = ConcurrentHashMap.newKeySet();

    private JvmSignals() {}

    /**
     * Whether handlers can be read and put back here (64-bit Linux with native access).
     *
     * @return false where guards do nothing
     */
    public static boolean supported() {
        return NATIVE != null;
    }

    /**
     * Reads every signal's action now; {@link Guard#close()} puts back each that was the JVM's and
     * has changed since. Use with try-with-resources around a native call.
     *
     * @param during what native work the guard covers, for the log line
     * @return an open guard; close it on any thread once the native call has returned; never throws
     */
    public static Guard guard(String during) {
        return new Guard(during, NATIVE == null ? null : NATIVE.jvmActions());
    }

    /**
     * The shared object that holds the current handler of {@code signal}: a path, "SIG_DFL", "SIG_IGN" or "?".
     *
     * @param signal a Linux signal number, 1 to 31
     * @return the library's path, {@code SIG_DFL}, {@code SIG_IGN}, or {@code ?} when it cannot be told
     *     (also where guards are not supported)
     */
    public static String owner(int signal) {
        return NATIVE == null ? "?" : NATIVE.objectOf(NATIVE.handler(signal));
    }

    /** The JVM's actions read when it was opened, and the signals put back when it closed. */
    public static final class Guard implements AutoCloseable {
        private final String during;
        private final MemorySegment[] before;
        private List<String> restored;

        private Guard(String during, MemorySegment[] before) {
            this.during = during;
            this.before = before;
        }

        /**
         * Puts back the JVM's handlers the guarded call replaced (once; later calls return the same list).
         * Thread-safe; never throws.
         *
         * @return the names of the signals put back, such as {@code SIGSEGV}; empty when none was
         *     replaced or guards are not supported
         */
        public synchronized List<String> restore() {
            if (restored == null) {
                restored = before == null ? List.of() : NATIVE.restore(before, during);
            }
            return restored;
        }

        /** {@link #restore()}, for try-with-resources. */
        @Override
        public void close() {
            restore();
        }
    }

    static String signalName(int s) {
        return switch (s) {
            case 1 -> "SIGHUP";
            case 2 -> "SIGINT";
            case 3 -> "SIGQUIT";
            case 4 -> "SIGILL";
            case 5 -> "SIGTRAP";
            case 6 -> "SIGABRT";
            case 7 -> "SIGBUS";
            case 8 -> "SIGFPE";
            case 10 -> "SIGUSR1";
            case 11 -> "SIGSEGV";
            case 12 -> "SIGUSR2";
            case 13 -> "SIGPIPE";
            case 15 -> "SIGTERM";
            case 24 -> "SIGXCPU";
            case 25 -> "SIGXFSZ";
            default -> "signal " + s;
        };
    }

    /** The two libc functions, bound once. */
    private record Native(MethodHandle sigaction, MethodHandle dladdr) {
        static Native load() {
            if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")
                    || ValueLayout.ADDRESS.byteSize() != 8) {
                return null;
            }
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                MethodHandle sa = linker.downcallHandle(libc.find("sigaction").orElseThrow(), FunctionDescriptor.of(
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
                MethodHandle dl = linker.downcallHandle(libc.find("dladdr").orElseThrow(), FunctionDescriptor.of(
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
                return new Native(sa, dl);
            } catch (RuntimeException | LinkageError e) {
                LOG.log(System.Logger.Level.WARNING, "kengine: the JVM's signal handlers cannot be guarded here, so a "
                        + "native library that replaces them (PoCL's LLVM) may end the process; start the JVM with "
                        + "--enable-native-access=ALL-UNNAMED (class path) or naming dev.kengine (module path), or preload"
                        + " its lib/libjsig.so: " + e);
                return null;
            }
        }

        /** The current action of each signal whose handler lies in the JVM's library; null elsewhere. */
        MemorySegment[] jvmActions() {
            MemorySegment[] b = new MemorySegment[LAST_SIGNAL + 1];
            Arena arena = Arena.ofAuto();
            for (int s = 1; s <= LAST_SIGNAL; s++) {
                if (s == SIGKILL || s == SIGSTOP) {
                    continue;
                }
                MemorySegment act = arena.allocate(SIGACTION_BYTES, 8);
                if (read(s, act) && isJvm(objectOf(handlerOf(act)))) {
                    b[s] = act;
                }
            }
            return b;
        }

        List<String> restore(MemorySegment[] before, String during) {
            List<String> restored = new ArrayList<>();
            Set<String> libraries = new LinkedHashSet<>();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment now = arena.allocate(SIGACTION_BYTES, 8);
                for (int s = 1; s <= LAST_SIGNAL; s++) {
                    if (before[s] == null || !read(s, now) || handlerOf(now) == handlerOf(before[s])) {
                        continue;
                    }
                    String owner = objectOf(handlerOf(now));
                    if (call(s, before[s], MemorySegment.NULL)) {
                        restored.add(signalName(s));
                        libraries.add(owner);
                    }
                }
            }
            if (!restored.isEmpty()) {
                String libs = String.join(", ", libraries);
                if (REPORTED.add(libs)) {
                    LOG.log(System.Logger.Level.DEBUG, "kengine: " + during + " replaced the JVM's handlers of "
                            + String.join(", ", restored) + " (now in " + libs + "); put back (libjsig.so, preloaded, "
                            + "would chain them instead)");
                }
            }
            return restored;
        }

        long handler(int signal) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment act = arena.allocate(SIGACTION_BYTES, 8);
                return read(signal, act) ? handlerOf(act) : -1;
            }
        }

        long handlerOf(MemorySegment act) {
            return act.get(ValueLayout.JAVA_LONG, 0);
        }

        private boolean read(int signal, MemorySegment into) {
            return call(signal, MemorySegment.NULL, into);
        }

        private boolean call(int signal, MemorySegment act, MemorySegment old) {
            try {
                return (int) sigaction.invokeExact(signal, act, old) == 0;
            } catch (Throwable e) {
                return false;
            }
        }

        String objectOf(long handler) {
            if (handler == 0) {
                return "SIG_DFL";
            }
            if (handler == 1) {
                return "SIG_IGN";
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment info = arena.allocate(32, 8); // Dl_info: fname, fbase, sname, saddr
                if ((int) dladdr.invokeExact(MemorySegment.ofAddress(handler), info) == 0) {
                    return "?";
                }
                MemorySegment name = info.get(ValueLayout.ADDRESS, 0);
                return name.address() == 0 ? "?" : name.reinterpret(4096).getString(0);
            } catch (Throwable e) {
                return "?";
            }
        }

        private static boolean isJvm(String object) {
            return object.endsWith("/libjvm.so") || object.endsWith("/libjsig.so");
        }
    }
}
