package dev.kengine.conformance.certify;

import dev.kengine.DType;
import dev.kengine.conformance.Evidence;
import dev.kengine.conformance.certify.KitListener.Check;
import dev.kengine.conformance.certify.KitListener.Status;
import dev.kengine.op.Op;
import dev.kengine.spi.Capabilities;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What a run of the kit proved about one backend: per op passed, failed or unsupported, the
 * tolerances applied with the worst error against each, the random numbers bit for bit, every section
 * of the kit, and every failure.
 *
 * @param header the backend, its device and driver, the kit, when and how long
 * @param checks checks run (a section that failed as a whole counts as one)
 * @param passed checks passed
 * @param failed checks failed
 * @param skipped checks skipped, almost always because the backend lacks an op
 * @param ops one row per op of the engine, in {@link Op}'s order
 * @param random the random-number checks, bit for bit
 * @param sections every section of the kit
 * @param failures every failed check, with its message
 */
record Certificate(Header header, int checks, int passed, int failed, int skipped, List<OpRow> ops, List<Group> random,
                   List<Group> sections, List<Failure> failures) {

    /** The dtype of a check that names none. */
    static final DType CHECKED = DType.FLOAT32;

    /** How an op, or a group of checks, came out. */
    enum Result {
        /** Every check that ran passed, and at least one ran. */
        PASSED("passed"),
        /** At least one check failed. */
        FAILED("failed"),
        /** The backend does not implement it; the reason is the backend's. */
        UNSUPPORTED("unsupported"),
        /** No check ran, for a reason other than the op itself being unsupported. */
        NOT_CHECKED("not checked");

        final String word;

        Result(String word) {
            this.word = word;
        }
    }

    /**
     * Who was certified, on what, by what, and when.
     *
     * @param kitVersion the conformance kit's version
     * @param backend the backend's name
     * @param options the options it was opened with
     * @param capabilities what it reported when opened with them
     * @param reference the reference backend random numbers were compared with; null when that did not run
     * @param referenceNote why the comparison did not run; empty when it ran
     * @param started when the run started, ISO-8601 in UTC
     * @param seconds how long the kit ran
     */
    record Header(String kitVersion, String backend, Map<String, String> options, Capabilities capabilities, String reference,
                  String referenceNote, String started, double seconds) {
        String device() {
            return capabilities.deviceName();
        }

        /** The driver's version as the backend reports it (details key {@code driver}), else null. */
        String driver() {
            return capabilities.details().get("driver");
        }

        /** The details for people, without the reasons for unsupported ops (the op rows carry those). */
        Map<String, String> details() {
            Map<String, String> d = new LinkedHashMap<>();
            capabilities.details().forEach((k, v) -> {
                if (!k.startsWith("unsupported.")) {
                    d.put(k, v);
                }
            });
            return d;
        }
    }

    /**
     * One op's line.
     *
     * @param op the op
     * @param dtype the dtype it was checked in
     * @param result how it came out
     * @param passed its checks passed
     * @param failed its checks failed
     * @param skipped its checks skipped
     * @param reason for an unsupported or unchecked op, why; for a passed one with skipped checks, why those were
     *     skipped; else empty
     * @param tolerances every tolerance applied to it, with the worst error seen
     * @param bitsCompared elements compared bit for bit
     * @param bitsDiffering of those, the ones that differed
     * @param failedChecks the names of its failed checks
     */
    record OpRow(Op op, DType dtype, Result result, int passed, int failed, int skipped, String reason,
                 List<ToleranceRow> tolerances, long bitsCompared, long bitsDiffering, List<String> failedChecks) {}

    /**
     * A tolerance as applied, and the worst element seen against it.
     *
     * @param name the tolerance's op, as {@code Tolerances} names it
     * @param phase fwd or bwd
     * @param rel its relative term
     * @param refRel its factor on the check's error scale
     * @param abs its absolute floor
     * @param signedZero whether it tells −0 from +0
     * @param reason why its bound is right
     * @param worstRatio the largest error over bound seen (0 when every element was correctly rounded;
     *     infinite for a NaN or infinity where none belonged, or an error where the bound is 0)
     * @param worstError the error at that element
     * @param boundAtWorst the bound at that element
     * @param elements elements compared
     * @param disagreeing elements beyond the bound
     */
    record ToleranceRow(String name, String phase, double rel, double refRel, double abs, boolean signedZero, String reason,
                        double worstRatio, double worstError, double boundAtWorst, long elements, long disagreeing) {
        boolean exact() {
            return rel == 0 && refRel == 0 && abs == 0;
        }

        String terms() {
            if (exact()) {
                return "exact" + (signedZero ? ", ±0" : "");
            }
            List<String> t = new ArrayList<>();
            if (rel != 0) {
                t.add(String.format(Locale.ROOT, "rel %.3g", rel));
            }
            if (refRel != 0) {
                t.add(String.format(Locale.ROOT, "refRel %.3g", refRel));
            }
            if (abs != 0) {
                t.add(String.format(Locale.ROOT, "abs %.3g", abs));
            }
            if (signedZero) {
                t.add("±0");
            }
            return String.join(", ", t);
        }

        String worst() {
            if (disagreeing > 0 && !Double.isFinite(worstRatio)) {
                String worst = Double.isFinite(worstError)
                        ? String.format(Locale.ROOT, "error %.3g where the bound is %.3g", worstError, boundAtWorst)
                        : "a NaN or an infinity where the oracle has another value";
                return disagreeing + " of " + elements + " elements beyond it; worst: " + worst;
            }
            if (disagreeing > 0) {
                return String.format(Locale.ROOT, "%d of %d elements beyond it; worst %.3g× the bound (error %.3g, bound %.3g)",
                        disagreeing, elements, worstRatio, worstError, boundAtWorst);
            }
            if (worstRatio == 0) {
                return "every element of " + elements + " correctly rounded";
            }
            return String.format(Locale.ROOT, "worst %.3g of the bound (error %.3g, bound %.3g; %d elements)",
                    worstRatio, worstError, boundAtWorst, elements);
        }

        ToleranceRow merge(ToleranceRow o) {
            boolean theirs = o.worstRatio > worstRatio;
            return new ToleranceRow(name, phase, rel, refRel, abs, signedZero, reason,
                    theirs ? o.worstRatio : worstRatio, theirs ? o.worstError : worstError, theirs ? o.boundAtWorst : boundAtWorst,
                    elements + o.elements, disagreeing + o.disagreeing);
        }

        static ToleranceRow decode(String key, String value) {
            int slash = key.lastIndexOf('/');
            String[] f = value.split("\t", 10);
            return new ToleranceRow(key.substring(0, slash), key.substring(slash + 1), Double.parseDouble(f[5]),
                    Double.parseDouble(f[6]), Double.parseDouble(f[7]), Boolean.parseBoolean(f[8]), f[9],
                    Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]), Long.parseLong(f[3]),
                    Long.parseLong(f[4]));
        }
    }

    /**
     * A group of checks: a section of the kit, or one random-number check with its cases.
     *
     * @param name what it checks
     * @param result how it came out
     * @param passed checks passed
     * @param failed checks failed
     * @param skipped checks skipped
     * @param reason why it was skipped or not checked; empty otherwise
     */
    record Group(String name, Result result, int passed, int failed, int skipped, String reason) {}

    /**
     * A failed check.
     *
     * @param check its full name: section › test › case
     * @param message what the kit said
     */
    record Failure(String check, String message) {}

    /** Nothing failed, and something passed: a run in which no check ran (a class aborted, a wrong class path) proves nothing. */
    boolean nothingFailed() {
        return failed == 0 && passed > 0;
    }

    /** Whether a check belongs to the random numbers' part of the certificate. */
    static boolean random(Check c) {
        return c.sectionClass().endsWith("$Dropout") || c.sectionClass().endsWith("$Initialisation")
                || c.sectionClass().equals(CertifiedRandomKit.class.getName());
    }

    static Certificate build(Header header, List<Check> checks) {
        int passed = 0;
        int failed = 0;
        int skipped = 0;
        for (Check c : checks) {
            switch (c.status()) {
                case PASSED -> passed++;
                case FAILED -> failed++;
                case SKIPPED -> skipped++;
            }
        }
        List<OpRow> ops = new ArrayList<>();
        for (Op op : Op.values()) {
            for (DType d : DType.values()) {
                boolean checked = false;
                for (Check c : checks) {
                    if (dtypesOf(c).contains(d) && opsOf(c).contains(op)) {
                        checked = true;
                        break;
                    }
                }
                // float32 always; another stored dtype where a check covered it or the backend declares the pair.
                boolean stored = header.capabilities().dtypes().contains(d);
                if (d == CHECKED || stored && (checked || header.capabilities().supports(op) && header.capabilities().supports(op, d))) {
                    ops.add(opRow(op, d, header.capabilities(), checks));
                }
            }
        }
        Map<String, List<Check>> randomGroups = new LinkedHashMap<>();
        Map<String, List<Check>> sectionGroups = new LinkedHashMap<>();
        List<Failure> failures = new ArrayList<>();
        for (Check c : checks) {
            sectionGroups.computeIfAbsent(c.section(), k -> new ArrayList<>()).add(c);
            if (random(c)) {
                String name = c.path().isEmpty() ? c.section() : shortSection(c) + " › " + c.path().getFirst();
                randomGroups.computeIfAbsent(name, k -> new ArrayList<>()).add(c);
            }
            if (c.status() == Status.FAILED) {
                failures.add(new Failure(c.name() + (c.container() ? " (the whole section)" : ""), c.message()));
            }
        }
        List<Group> random = new ArrayList<>();
        randomGroups.forEach((name, list) -> random.add(group(name, list)));
        if (header.reference() == null) {
            random.add(new Group("random numbers against a reference backend", Result.NOT_CHECKED, 0, 0, 0, header.referenceNote()));
        }
        List<Group> sections = new ArrayList<>();
        sectionGroups.forEach((name, list) -> sections.add(group(name, list)));
        return new Certificate(header, checks.size(), passed, failed, skipped, List.copyOf(ops), List.copyOf(random),
                List.copyOf(sections), List.copyOf(failures));
    }

    private static String shortSection(Check c) {
        if (c.sectionClass().endsWith("$Dropout")) {
            return "dropout";
        }
        if (c.sectionClass().endsWith("$Initialisation")) {
            return "initialisation";
        }
        return c.section();
    }

    private static Group group(String name, List<Check> list) {
        int p = 0;
        int f = 0;
        int s = 0;
        String reason = "";
        for (Check c : list) {
            switch (c.status()) {
                case PASSED -> p++;
                case FAILED -> f++;
                case SKIPPED -> {
                    s++;
                    if (reason.isEmpty()) {
                        reason = c.message();
                    }
                }
            }
        }
        Result r;
        if (f > 0) {
            r = Result.FAILED;
        } else if (p > 0) {
            r = Result.PASSED;
        } else {
            r = reason.contains("does not support") ? Result.UNSUPPORTED : Result.NOT_CHECKED;
        }
        return new Group(name, r, p, f, s, r == Result.PASSED && s == 0 ? "" : reason);
    }

    private static Set<Op> opsOf(Check c) {
        String list = c.evidence().get(Evidence.OPS);
        Set<Op> ops = EnumSet.noneOf(Op.class);
        if (list != null) {
            for (String name : list.split(",")) {
                ops.add(Op.valueOf(name));
            }
        }
        return ops;
    }

    private static Set<DType> dtypesOf(Check c) {
        String list = c.evidence().get(Evidence.DTYPES);
        Set<DType> d = EnumSet.noneOf(DType.class);
        if (list == null) {
            d.add(CHECKED);
        } else {
            for (String name : list.split(",")) {
                d.add(DType.valueOf(name));
            }
        }
        return d;
    }

    private static OpRow opRow(Op op, DType dtype, Capabilities caps, List<Check> checks) {
        int p = 0;
        int f = 0;
        int s = 0;
        String skipReason = "";
        Map<String, ToleranceRow> tolerances = new LinkedHashMap<>();
        long bits = 0;
        long bitsDiffering = 0;
        List<String> failedChecks = new ArrayList<>();
        for (Check c : checks) {
            Set<Op> ops = opsOf(c);
            if (!ops.contains(op) || !dtypesOf(c).contains(dtype)) {
                continue;
            }
            switch (c.status()) {
                case PASSED -> p++;
                case FAILED -> {
                    f++;
                    failedChecks.add(c.name());
                }
                case SKIPPED -> {
                    s++;
                    if (skipReason.isEmpty() || (!skipReason.contains(" " + op.name()) && c.message().contains(" " + op.name()))) {
                        skipReason = c.message();
                    }
                }
            }
            for (Map.Entry<String, String> e : c.evidence().entrySet()) {
                if (e.getKey().startsWith(Evidence.AGREEMENT)) {
                    ToleranceRow row = ToleranceRow.decode(e.getKey().substring(Evidence.AGREEMENT.length()), e.getValue());
                    if (attribute(row.name(), row.phase(), ops).contains(op)) {
                        tolerances.merge(row.name() + "/" + row.phase(), row, ToleranceRow::merge);
                    }
                } else if (e.getKey().equals(Evidence.BITS)) {
                    String[] v = e.getValue().split("\t");
                    bits += Long.parseLong(v[0]);
                    bitsDiffering += Long.parseLong(v[1]);
                }
            }
        }
        Result result;
        String reason;
        if (f > 0) {
            result = Result.FAILED;
            reason = "";
        } else if (!caps.supports(op)) {
            result = Result.UNSUPPORTED;
            String given = caps.details().get("unsupported." + op.name());
            reason = given != null ? given : "no reason given (the backend's Capabilities details have no key unsupported." + op.name() + ")";
        } else if (!caps.supports(op, dtype) && p == 0) {
            result = Result.UNSUPPORTED;
            reason = "the backend takes " + op + " in " + caps.dtypes(op) + ", not " + dtype;
        } else if (p > 0) {
            result = Result.PASSED;
            reason = s == 0 ? "" : skipReason;
        } else if (s > 0 && skipReason.contains("does not support " + op.name())) {
            result = Result.UNSUPPORTED;
            reason = "declared supported, but " + skipReason;
        } else {
            result = Result.NOT_CHECKED;
            reason = s > 0 ? skipReason : "no check of the kit reached it";
        }
        return new OpRow(op, dtype, result, p, f, s, reason, List.copyOf(tolerances.values()), bits, bitsDiffering,
                List.copyOf(failedChecks));
    }

    /**
     * The ops a tolerance row speaks for, in a check that needs {@code checkOps}: the op its name names
     * ({@code softmaxBackward} is SOFTMAX_BACKWARD; a backward row of {@code activation gelu} is
     * ACTIVATION_BACKWARD); else, for a finite-difference row, the check's backward ops; else all of them.
     */
    static Set<Op> attribute(String toleranceName, String phase, Set<Op> checkOps) {
        String first = toleranceName.split("[ (]", 2)[0].toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        List<String> candidates = new ArrayList<>();
        if (phase.equals("bwd") && !first.endsWith("backward")) {
            candidates.add(first + "backward");
        }
        candidates.add(first);
        for (String candidate : candidates) {
            for (Op op : Op.values()) {
                if (op.name().toLowerCase(Locale.ROOT).replace("_", "").equals(candidate)) {
                    return EnumSet.of(op);
                }
            }
        }
        Set<Op> prefixed = new LinkedHashSet<>();
        for (Op op : checkOps) {
            if (op.name().toLowerCase(Locale.ROOT).replace("_", "").startsWith(first)) {
                prefixed.add(op);
            }
        }
        if (!prefixed.isEmpty()) {
            return prefixed;
        }
        Set<Op> backward = new LinkedHashSet<>();
        for (Op op : checkOps) {
            if (op.name().endsWith("_BACKWARD")) {
                backward.add(op);
            }
        }
        return phase.equals("bwd") && !backward.isEmpty() ? backward : checkOps;
    }
}
