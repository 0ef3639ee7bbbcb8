package dev.kengine.conformance;

import dev.kengine.op.Op;
import java.lang.reflect.Method;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import org.junit.jupiter.api.extension.DynamicTestInvocationContext;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;

/**
 * What the kit observed in one check, for a certificate: the ops the check needs, and for every
 * tolerance it applied the worst error against the bound, and how many elements it compared bit for
 * bit. Off unless the JUnit configuration parameter {@value #ENABLED} is {@code true}; then every
 * check of {@link BackendConformanceKit} publishes one report entry
 * ({@link ExtensionContext#publishReportEntry(Map)}) that a launcher's listener reads:
 * <ul>
 * <li>{@value #OPS}: the ops, by name, separated by commas;</li>
 * <li>{@value #AGREEMENT}{@code <tolerance op>/<fwd|bwd>}: tab-separated worst ratio (error over
 *     bound), the error and the bound at that element, elements compared, elements that disagreed,
 *     the tolerance's rel, refRel and abs terms, whether it checks the sign of zero, and its reason;</li>
 * <li>{@value #BITS}: elements compared bit for bit, and how many differed, separated by a tab.</li>
 * </ul>
 * An element equal to the correctly rounded oracle value counts as error 0; an element that
 * disagrees where the bound is 0, or with a NaN or infinity, has an infinite ratio. Each check records
 * on its own thread; a disabled run records nothing and costs one configuration lookup per check.
 */
public final class Evidence implements InvocationInterceptor {
    /** The configuration parameter that turns recording on: {@value}. */
    public static final String ENABLED = "kengine.conformance.evidence";
    /** The report entry key of the ops a check needs: {@value}. */
    public static final String OPS = "kengine.ops";
    /** The prefix of the report entry keys of tolerances applied: {@value}. */
    public static final String AGREEMENT = "kengine.agreement.";
    /** The report entry key of the bit-for-bit comparisons: {@value}. */
    public static final String BITS = "kengine.bits";
    /** The report entry listing the dtypes a check covers (none: float32 only): {@value}. */
    public static final String DTYPES = "kengine.dtypes";

    private static final ThreadLocal<Recorder> CURRENT = new ThreadLocal<>();

    /** Created by JUnit, which registers it on {@link BackendConformanceKit}. */
    public Evidence() {}

    @Override
    public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> invocationContext,
                                    ExtensionContext extensionContext) throws Throwable {
        record(invocation, extensionContext);
    }

    @Override
    public void interceptDynamicTest(Invocation<Void> invocation, DynamicTestInvocationContext invocationContext,
                                     ExtensionContext extensionContext) throws Throwable {
        record(invocation, extensionContext);
    }

    private static void record(Invocation<Void> invocation, ExtensionContext context) throws Throwable {
        if (!context.getConfigurationParameter(ENABLED).map(Boolean::parseBoolean).orElse(false)) {
            invocation.proceed();
            return;
        }
        Recorder recorder = new Recorder();
        Recorder outer = CURRENT.get();
        CURRENT.set(recorder);
        try {
            invocation.proceed();
        } finally {
            CURRENT.set(outer);
            Map<String, String> entries = recorder.entries();
            if (!entries.isEmpty()) {
                context.publishReportEntry(entries);
            }
        }
    }

    /** The running check needs these ops (called before it checks they are supported). */
    static void ops(Op... ops) {
        Recorder r = CURRENT.get();
        if (r != null) {
            r.ops(ops);
        }
    }

    /** The running check covers these dtypes (a check that names none covers float32). */
    static void dtypes(dev.kengine.DType... dtypes) {
        Recorder r = CURRENT.get();
        if (r != null) {
            r.dtypes(dtypes);
        }
    }

    /** The running check compared {@code actual} with {@code expected} under {@code tol}. */
    static void agreement(Tolerance tol, double[] expected, float[] actual, double[] ref) {
        Recorder r = CURRENT.get();
        if (r != null && expected.length == actual.length && (ref == null || ref.length >= expected.length)) {
            r.agreement(tol, expected, actual, ref);
        }
    }

    /** The running check compared {@code actual} with {@code expected} bit for bit. */
    static void bits(float[] expected, float[] actual) {
        Recorder r = CURRENT.get();
        if (r != null && expected.length == actual.length) {
            r.bits(expected, actual);
        }
    }

    /** One check's observations; synchronized, though a check records on its own thread. */
    static final class Recorder {
        private final Set<Op> ops = new LinkedHashSet<>();
        private final Set<dev.kengine.DType> dtypes = new LinkedHashSet<>();
        private final Map<String, Worst> agreements = new LinkedHashMap<>();
        private long bitsCompared;
        private long bitsDiffering;

        synchronized void ops(Op... list) {
            for (Op op : list) {
                ops.add(op);
            }
        }

        synchronized void dtypes(dev.kengine.DType... list) {
            for (dev.kengine.DType d : list) {
                dtypes.add(d);
            }
        }

        synchronized void agreement(Tolerance tol, double[] expected, float[] actual, double[] ref) {
            String key = tol.op() + "/" + (tol.phase() == Tolerance.Phase.FORWARD ? "fwd" : "bwd");
            Worst w = agreements.computeIfAbsent(key, k -> new Worst(tol));
            for (int i = 0; i < expected.length; i++) {
                double e = expected[i];
                float a = actual[i];
                double bound = tol.bound(e, ref == null ? 0 : ref[i]);
                boolean agrees = Agreement.agrees(tol, e, a, bound);
                double error;
                double ratio;
                boolean finite = Double.isFinite(e) && Float.isFinite(a);
                if (agrees && (!finite || a == (float) e)) {
                    error = 0;
                    ratio = 0;
                } else if (!finite) {
                    error = Double.POSITIVE_INFINITY;
                    ratio = Double.POSITIVE_INFINITY;
                } else {
                    error = Math.abs((double) a - e);
                    ratio = bound > 0 ? error / bound : (agrees ? 0 : Double.POSITIVE_INFINITY);
                }
                w.elements++;
                if (!agrees) {
                    w.disagreeing++;
                }
                if (ratio > w.ratio || w.elements == 1) {
                    w.ratio = ratio;
                    w.error = error;
                    w.bound = bound;
                }
            }
        }

        synchronized void bits(float[] expected, float[] actual) {
            for (int i = 0; i < expected.length; i++) {
                boolean same = Float.isNaN(expected[i]) ? Float.isNaN(actual[i])
                        : Float.floatToRawIntBits(expected[i]) == Float.floatToRawIntBits(actual[i]);
                bitsCompared++;
                if (!same) {
                    bitsDiffering++;
                }
            }
        }

        synchronized Map<String, String> entries() {
            Map<String, String> m = new LinkedHashMap<>();
            if (!ops.isEmpty()) {
                StringJoiner j = new StringJoiner(",");
                ops.forEach(op -> j.add(op.name()));
                m.put(OPS, j.toString());
            }
            if (!dtypes.isEmpty()) {
                StringJoiner j = new StringJoiner(",");
                dtypes.forEach(d -> j.add(d.name()));
                m.put(DTYPES, j.toString());
            }
            agreements.forEach((key, w) -> m.put(AGREEMENT + key, w.encode()));
            if (bitsCompared > 0) {
                m.put(BITS, bitsCompared + "\t" + bitsDiffering);
            }
            return m;
        }
    }

    /** The worst element seen under one tolerance. */
    private static final class Worst {
        final Tolerance tol;
        double ratio;
        double error;
        double bound;
        long elements;
        long disagreeing;

        Worst(Tolerance tol) {
            this.tol = tol;
        }

        String encode() {
            return String.join("\t", Double.toString(ratio), Double.toString(error), Double.toString(bound),
                    Long.toString(elements), Long.toString(disagreeing), Double.toString(tol.rel()), Double.toString(tol.refRel()),
                    Double.toString(tol.abs()), Boolean.toString(tol.signedZero()),
                    tol.reason().replace('\t', ' ').replace('\n', ' '));
        }
    }
}
