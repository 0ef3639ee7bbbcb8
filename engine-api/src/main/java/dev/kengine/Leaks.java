package dev.kengine;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The leak report: tensors that became unreachable without being closed. One warning per allocation
 * site when its count reaches 1, 10, 100, … so a loop that leaks a million tensors prints six lines,
 * not a million. The site is recorded only when asked ({@value #SITES_PROPERTY}{@code =true}),
 * because walking the stack on every allocation costs more than most small ops.
 */
final class Leaks {
    /** The system property that turns on recording where each tensor was allocated. */
    static final String SITES_PROPERTY = "kengine.leakSites";

    private static final System.Logger LOG = System.getLogger(Tensor.class.getName());
    private static final boolean RECORD_SITES = Boolean.getBoolean(SITES_PROPERTY);
    private static final String UNKNOWN = "an unrecorded site (run with -D" + SITES_PROPERTY + "=true to name it)";
    private static final StackWalker WALKER = StackWalker.getInstance();
    private static final Map<String, AtomicLong> COUNTS = new ConcurrentHashMap<>();

    private Leaks() {}

    /** Where the caller outside the engine's API allocated, or null when sites are not recorded. */
    static String site() {
        if (!RECORD_SITES) {
            return null;
        }
        return WALKER.walk(frames -> frames
                .filter(f -> !f.getClassName().startsWith("dev.kengine.") || f.getClassName().indexOf('.', 12) >= 0
                        && !f.getClassName().startsWith("dev.kengine.spi."))
                .filter(f -> !f.getClassName().equals(Scope.class.getName()))
                .findFirst()
                .map(StackWalker.StackFrame::toStackTraceElement)
                .map(StackTraceElement::toString)
                .orElse("an unknown site"));
    }

    /** Counts a leaked tensor and warns when its site's count reaches a power of ten. */
    static void report(Shape shape, String site) {
        String where = site == null ? UNKNOWN : site;
        long n = COUNTS.computeIfAbsent(where, k -> new AtomicLong()).incrementAndGet();
        if (isPowerOfTen(n)) {
            LOG.log(System.Logger.Level.WARNING, n == 1
                    ? "kengine: a tensor " + shape + " allocated at " + where
                            + " was never closed; the garbage collector freed it (close tensors, or open them in a Scope)"
                    : "kengine: " + n + " tensors allocated at " + where + " were never closed (latest " + shape
                            + "); the garbage collector freed them");
        }
    }

    /** Tensors leaked so far at each site, for tests and the soak report. */
    static Map<String, Long> counts() {
        Map<String, Long> out = new java.util.TreeMap<>();
        COUNTS.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    private static boolean isPowerOfTen(long n) {
        while (n >= 10 && n % 10 == 0) {
            n /= 10;
        }
        return n == 1;
    }
}
