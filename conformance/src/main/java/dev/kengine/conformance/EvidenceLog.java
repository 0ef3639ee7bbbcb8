package dev.kengine.conformance;

import dev.kengine.DType;
import dev.kengine.op.Op;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;

/**
 * The recording side of {@link Evidence}, with no JUnit type in it: the checks ({@link Agreement}, the kit) call it
 * on every comparison, and it records only while {@link Evidence} has a {@link Recorder} open on the thread. The
 * fuzzer and {@link Agreement} also run where JUnit Jupiter is absent ({@code ./engine soak}); a class that names
 * a JUnit type could not even be loaded there.
 */
final class EvidenceLog {
    static final String OPS = "kengine.ops";
    static final String AGREEMENT = "kengine.agreement.";
    static final String BITS = "kengine.bits";
    static final String DTYPES = "kengine.dtypes";

    private static final ThreadLocal<Recorder> CURRENT = new ThreadLocal<>();

    private EvidenceLog() {}

    /** Makes {@code recorder} the thread's current one; returns the one it replaces (null for none). */
    static Recorder begin(Recorder recorder) {
        Recorder outer = CURRENT.get();
        CURRENT.set(recorder);
        return outer;
    }

    /** Restores the recorder {@link #begin} replaced. */
    static void end(Recorder outer) {
        CURRENT.set(outer);
    }

    /** The running check needs these ops (called before it checks they are supported). */
    static void ops(Op... ops) {
        Recorder r = CURRENT.get();
        if (r != null) {
            r.ops(ops);
        }
    }

    /** The running check covers these dtypes (a check that names none covers float32). */
    static void dtypes(DType... dtypes) {
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
        private final Set<DType> dtypes = new LinkedHashSet<>();
        private final Map<String, Worst> agreements = new LinkedHashMap<>();
        private long bitsCompared;
        private long bitsDiffering;

        synchronized void ops(Op... list) {
            for (Op op : list) {
                ops.add(op);
            }
        }

        synchronized void dtypes(DType... list) {
            for (DType d : list) {
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
