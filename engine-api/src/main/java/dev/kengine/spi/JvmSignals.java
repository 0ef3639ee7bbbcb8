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

/**
 * Keeps the JVM's own signal handlers installed around native code that replaces them.
 *
 * <p>HotSpot handles SIGSEGV, SIGBUS, SIGFPE and SIGILL itself: a safepoint poll, an implicit null
 * check and an integer division by zero in compiled Java code all arrive as one of these signals.
 * A native library that installs its own handler for them without the JVM's signal-chaining
 * library ({@code libjsig}) leaves every Java thread one poll away from a crash with no
 * {@code hs_err} file. LLVM does exactly that when it is loaded by an OpenCL implementation (PoCL's
 * LLVM replaces all the JVM's handlers at platform discovery; on one GPU machine a CPU worker
 * thread then died at its next safepoint poll). A backend calls {@link #restore(String)} after
 * native calls that can load or run such code; it puts back the JVM's handler of every signal
 * whose handler the JVM owned when this class was first used and a library has since replaced, and
 * says once per library which signals it had taken. Handlers installed through the JVM (by
 * {@code sun.misc.Signal}, say) are left alone, and so is a process started with {@code libjsig}
 * preloaded (the library's handlers are then chained behind the JVM's, and nothing changes here).
 *
 * <p>Linux only (glibc's {@code sigaction} and {@code dladdr} through the foreign function
 * interface); elsewhere, or where they cannot be found, every method does nothing.
 */
public final class JvmSignals {
    private static final System.Logger LOG = System.getLogger(JvmSignals.class.getName());

    /** The signals the JVM may own (1 to 31 less SIGKILL and SIGSTOP); which it owns is read at start. */
    private static final int LAST_SIGNAL = 31;
    private static final int SIGSEGV = 11;
    /** Bytes of glibc's {@code struct sigaction} on 64-bit Linux (152), rounded up. */
    private static final long SIGACTION_BYTES = 256;

    private static final Native NATIVE = Native.load();
    /** The JVM's {@code struct sigaction} of each signal it owned at first use; null where it did not. */
    private static final MemorySegment[] BASELINE = NATIVE == null ? null : NATIVE.baseline();
    private static final Set<String> REPORTED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private JvmSignals() {}

    /** Whether the handlers can be read and restored here (Linux with glibc). */
    public static boolean supported() {
        return BASELINE != null;
    }

    /**
     * Takes the JVM's handlers as they are now, if not taken yet. Call it before loading a native
     * library that may replace them (the first call of any method here does it too).
     */
    public static void init() {
        // Calling a static method initialises the class, and class initialisation reads the baseline.
    }

    /**
     * Puts back each JVM handler a native library replaced, and logs (once per library) which.
     *
     * @param during what native work just ran, for the log line
     * @return the names of the signals restored, empty if none were replaced
     */
    public static List<String> restore(String during) {
        if (BASELINE == null) {
            return List.of();
        }
        synchronized (JvmSignals.class) {
            return NATIVE.restore(BASELINE, during);
        }
    }

    /**
     * As {@link #restore(String)}, but first reads only SIGSEGV's handler (one system call) and does
     * the whole check only where that one was replaced: cheap enough to follow every kernel launch
     * of a backend whose native library installs handlers lazily.
     */
    public static void restoreIfSegvReplaced(String during) {
        if (BASELINE == null || BASELINE[SIGSEGV] == null) {
            return;
        }
        if (NATIVE.handler(SIGSEGV) != NATIVE.handlerOf(BASELINE[SIGSEGV])) {
            restore(during);
        }
    }

    /** The shared object that holds the current handler of {@code signal}: a path, "SIG_DFL", "SIG_IGN" or "?". */
    public static String owner(int signal) {
        return NATIVE == null ? "?" : NATIVE.objectOf(NATIVE.handler(signal));
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
            if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
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
                LOG.log(System.Logger.Level.DEBUG, "kengine: signal handlers cannot be checked here: " + e);
                return null;
            }
        }

        /** The current sigaction of each signal whose handler lies in the JVM's library. */
        MemorySegment[] baseline() {
            MemorySegment[] b = new MemorySegment[LAST_SIGNAL + 1];
            boolean any = false;
            for (int s = 1; s <= LAST_SIGNAL; s++) {
                if (s == 9 || s == 19) {
                    continue;
                }
                MemorySegment act = Arena.global().allocate(SIGACTION_BYTES, 8);
                if (read(s, act) && isJvm(objectOf(handlerOf(act)))) {
                    b[s] = act;
                    any = true;
                }
            }
            return any ? b : null;
        }

        List<String> restore(MemorySegment[] baseline, String during) {
            List<String> restored = new ArrayList<>();
            Set<String> libraries = new LinkedHashSet<>();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment now = arena.allocate(SIGACTION_BYTES, 8);
                for (int s = 1; s <= LAST_SIGNAL; s++) {
                    if (baseline[s] == null || !read(s, now)) {
                        continue;
                    }
                    long h = handlerOf(now);
                    if (h == handlerOf(baseline[s])) {
                        continue;
                    }
                    String owner = objectOf(h);
                    if (isJvm(owner)) {
                        continue; // installed through the JVM itself (sun.misc.Signal): not ours to undo
                    }
                    if (call(s, baseline[s], MemorySegment.NULL)) {
                        restored.add(signalName(s));
                        libraries.add(owner);
                    }
                }
            }
            if (!restored.isEmpty()) {
                String libs = String.join(", ", libraries);
                if (REPORTED.add(libs)) {
                    LOG.log(System.Logger.Level.INFO, "kengine: put back the JVM's handlers of " + String.join(", ", restored)
                            + ", which " + libs + " replaced during " + during + " (libjsig.so, preloaded, would chain them)");
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
