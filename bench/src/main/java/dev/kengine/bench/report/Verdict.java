package dev.kengine.bench.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a report opens with, computed from its rows, targets and machine, never written by hand: the answer to
 * "should I use this?", the machine and how loaded it was while the report ran, every target met or missed with its
 * ratio, and headline sentences (matmul against the anchors, each other backend against the CPU backend, the
 * elementwise ops against the copy loop, the checks, training). The text and HTML reports both print it first, the
 * JSON report carries it as {@code verdict}.
 *
 * @param answer      one or two sentences: which backend to use here, how many targets were met, whether every
 *                    result was checked
 * @param machine     the CPU model, its cores and the JVM
 * @param cores       the cores the JVM sees
 * @param loadStart   /proc/loadavg when the run began, null where unknown
 * @param loadEnd     /proc/loadavg when it ended, null where unknown
 * @param othersCores the cores other processes used on average during the run, NaN where unknown
 * @param loadWarning non-null when a 1-minute load average exceeded the core count, or other processes used more than
 *                    half a core on average: what that means for the figures
 * @param targets     every target that has a verdict (met or missed), in report order
 * @param unjudged    how many ratios were printed with no target, and why (null when none)
 * @param headlines   computed sentences, most important first
 */
record Verdict(String answer, String machine, int cores, Load loadStart, Load loadEnd, double othersCores,
               String loadWarning, List<TargetLine> targets, String unjudged, List<String> headlines) {

    /** The 1-, 5- and 15-minute load averages. */
    record Load(double one, double five, double fifteen) {
        /** From /proc/loadavg's text ("1.88 1.85 1.66 2/106 32130"); null when it is not that. */
        static Load parse(Object text) {
            if (text == null) {
                return null;
            }
            String[] p = text.toString().trim().split("\\s+");
            if (p.length < 3) {
                return null;
            }
            try {
                return new Load(Double.parseDouble(p[0]), Double.parseDouble(p[1]), Double.parseDouble(p[2]));
            } catch (NumberFormatException e) {
                return null;
            }
        }
    }

    /** One target with a verdict: what, at which shape and thread count, the ratio, the target and whether met. */
    /**
     * One judged target; {@code note}, when not null, says why it is missed whatever its ratio: the row it compares
     * against failed (not measured), or a row it compares disagrees with its reference (unverified).
     */
    record TargetLine(String what, String shape, int threads, double ratio, double target, boolean met, String note) {
        TargetLine(String what, String shape, int threads, double ratio, double target, boolean met) {
            this(what, shape, threads, ratio, target, met, null);
        }

        String describe() {
            String value = Double.isNaN(ratio) ? "not measured" : String.format(Locale.ROOT, "%.2f", ratio);
            return String.format(Locale.ROOT, "%s %s, %d thread%s: %s (target %.2f)%s", what, shape, threads,
                    threads == 1 ? "" : "s", value, target, note == null ? "" : "; " + note);
        }
    }

    static Verdict of(Compare.Report r) {
        int cores = r.machine().get("cores") instanceof Integer c ? c : Runtime.getRuntime().availableProcessors();
        Load start = Load.parse(r.machine().get("load_average_at_start"));
        Load end = Load.parse(r.machine().get("load_average_at_end"));
        String machine = String.format(Locale.ROOT, "%s, %d core%s (%s float lanes per vector), %s, heap %s MiB",
                r.machine().get("cpu"), cores, cores == 1 ? "" : "s", r.machine().get("vector_lanes_f32"),
                r.machine().get("java"), r.machine().get("max_heap_mib"));
        double others = r.machine().get("other_processes_cores") instanceof Number n ? n.doubleValue() : Double.NaN;
        String warning = loadWarning(start, end, cores, others);

        List<TargetLine> targets = new ArrayList<>();
        int unjudged = 0;
        // Why each unjudged ratio has no target, with how many share each reason.
        Map<String, Integer> why = new LinkedHashMap<>();
        for (Map<String, Object> t : r.targets()) {
            if (t.get("met") instanceof Boolean met) {
                String note = t.get("not_measured") instanceof String n ? "not measured: " + n
                        : t.get("unverified") instanceof String u ? "unverified: " + u : null;
                targets.add(new TargetLine((String) t.get("what"), (String) t.get("shape"), (Integer) t.get("threads"),
                        (Double) t.get("ratio"), (Double) t.get("target"), met, note));
            } else {
                unjudged++;
                String reason = t.get("no_target") instanceof String n ? n : "no target is set at that size or thread count";
                why.merge(reason, 1, Integer::sum);
            }
        }
        List<String> reasons = new ArrayList<>();
        why.forEach((reason, n) -> reasons.add(why.size() == 1 ? reason : n + ": " + reason));
        String unjudgedText = unjudged == 0 ? null : String.format(Locale.ROOT, "%d ratio%s reported without a target (%s)",
                unjudged, unjudged == 1 ? "" : "s", String.join("; ", reasons));

        List<String> headlines = new ArrayList<>();
        String matmul = matmulHeadline(r);
        if (matmul != null) {
            headlines.add(matmul);
        }
        String step = trainStepHeadline(r);
        if (step != null) {
            headlines.add(step);
        }
        String peers = peersHeadline(r);
        if (peers != null) {
            headlines.add(peers);
        }
        Map<String, Double> geomeans = new LinkedHashMap<>();
        geomeans.put(Compare.REFERENCE, 1.0);
        for (String backend : otherBackends(r)) {
            String h = backendHeadline(r, backend, geomeans);
            if (h != null) {
                headlines.add(h);
            }
        }
        String elementwise = elementwiseHeadline(r);
        if (elementwise != null) {
            headlines.add(elementwise);
        }
        String half = halfPrecisionHeadline(r);
        if (half != null) {
            headlines.add(half);
        }
        Checks checks = checks(r);
        headlines.add(checks.sentence());
        String training = trainingHeadline(r);
        if (training != null) {
            headlines.add(training);
        }
        return new Verdict(answer(r, geomeans, targets, checks, warning != null), machine, cores, start, end, others, warning,
                List.copyOf(targets), unjudgedText, List.copyOf(headlines));
    }

    /** Other processes using more than this many cores on average during the run is worth a warning. */
    static final double OTHERS_WARNING_CORES = 0.5;

    /**
     * Null when neither load average exceeds the core count and other processes used at most
     * {@value #OTHERS_WARNING_CORES} of a core on average during the run ({@code others}, NaN where unknown);
     * otherwise what it means for the figures.
     */
    static String loadWarning(Load start, Load end, int cores, double others) {
        double worst = Math.max(start == null ? 0 : start.one(), end == null ? 0 : end.one());
        boolean othersBusy = others > OTHERS_WARNING_CORES;
        if (worst <= cores && !othersBusy) {
            return null;
        }
        String what = othersBusy
                ? String.format(Locale.ROOT, "other processes used %.2f of the %d core%s on average during the run", others,
                        cores, cores == 1 ? "" : "s")
                : String.format(Locale.ROOT, "the load average reached %.2f on %d core%s", worst, cores, cores == 1 ? "" : "s");
        return what + ": other processes competed for the CPUs during the run, so times are slower and noisier than this "
                + "machine's best. The ratios measured in alternation (the targets) hold up best; rerun on a quiet machine "
                + "before quoting a figure.";
    }

    /** How the load average is given: "1.88 at the start, 2.40 at the end (1-minute averages, /proc/loadavg)". */
    String loadLine() {
        String others = Double.isNaN(othersCores) ? ""
                : String.format(Locale.ROOT, "; other processes used %.2f cores on average during the run (/proc/stat less "
                        + "this process and its peers)", othersCores);
        if (loadStart == null && loadEnd == null) {
            return "load average unknown (no /proc/loadavg)" + others;
        }
        return String.format(Locale.ROOT, "load average %s at the start, %s at the end (1-minute averages from /proc/loadavg; "
                + "%d core%s)", loadStart == null ? "unknown" : String.format(Locale.ROOT, "%.2f", loadStart.one()),
                loadEnd == null ? "unknown" : String.format(Locale.ROOT, "%.2f", loadEnd.one()), cores, cores == 1 ? "" : "s")
                + others;
    }

    /** "8 of 8 targets met", "6 of 8 targets met (2 missed)", or "no target applies to this run". */
    String targetSummary() {
        if (targets.isEmpty()) {
            return "no target applies to the rows of this run";
        }
        long met = targets.stream().filter(TargetLine::met).count();
        return String.format(Locale.ROOT, "%d of %d targets met%s", met, targets.size(),
                met == targets.size() ? "" : " (" + (targets.size() - met) + " missed)");
    }

    // ---------------------------------------------------------------------------------------------------------------

    private static String answer(Compare.Report r, Map<String, Double> geomeans, List<TargetLine> targets, Checks checks,
                                 boolean loaded) {
        StringBuilder sb = new StringBuilder();
        boolean cpuRows = r.rows().stream().anyMatch(x -> x.ok() && x.backendOrAnchor().equals(Compare.REFERENCE));
        String best = geomeans.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(null);
        if (!cpuRows) {
            sb.append("No CPU backend rows in this run, so no backend is compared with it.");
        } else if (geomeans.size() == 1) {
            sb.append("The CPU backend is the only backend measured here.");
        } else if (Compare.REFERENCE.equals(best)) {
            StringBuilder others = new StringBuilder();
            StringBuilder exceptions = new StringBuilder();
            geomeans.forEach((b, g) -> {
                if (!b.equals(Compare.REFERENCE)) {
                    others.append(others.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, "%s at %s", b, times(g)));
                    List<Row> rows = comparedRows(r, b);
                    List<Row> faster = rows.stream().filter(x -> x.speedupVsCpu() > 1).toList();
                    if (!faster.isEmpty()) {
                        exceptions.append(exceptions.isEmpty() ? "" : "; ").append(String.format(Locale.ROOT,
                                "%s is faster on %d of its %d rows (%s)", b, faster.size(), rows.size(), opsOf(faster)));
                    }
                }
            });
            sb.append("Use the CPU backend on this machine: the other backends run slower here overall (").append(others)
                    .append(" of its speed, geometric mean over the ops)").append(exceptions.isEmpty() ? "." : ", though "
                            + exceptions + ".");
        } else {
            sb.append(String.format(Locale.ROOT, "For these ops %s is the fastest backend on this machine: %s the CPU backend's "
                    + "speed (geometric mean over the ops).", best, times(geomeans.get(best))));
        }
        if (!targets.isEmpty()) {
            long met = targets.stream().filter(TargetLine::met).count();
            sb.append(String.format(Locale.ROOT, " CPU backend targets: %d of %d met.", met, targets.size()));
        }
        Map<String, double[]> peers = peerGeomeans(r);
        if (!peers.isEmpty()) {
            List<String> parts = new ArrayList<>();
            peers.forEach((p, g) -> parts.add(times(g[0]) + " " + Targets.peerName(p)));
            sb.append(" Against the peers it runs at ").append(String.join(", ", parts))
                    .append(" (geometric mean of the ratios of medians over their rows).");
        }
        if (checks.mismatches() == 0 && checks.failed() == 0) {
            sb.append(" Every result of the engine and its anchors agrees with its reference");
            if (checks.unchecked() > 0) {
                sb.append(String.format(Locale.ROOT, " (%d row%s had nothing to be checked against)", checks.unchecked(),
                        checks.unchecked() == 1 ? "" : "s"));
            }
            sb.append('.');
        } else {
            sb.append(' ').append(checks.mismatches()).append(" result").append(checks.mismatches() == 1 ? "" : "s")
                    .append(" disagree and ").append(checks.failed()).append(" row").append(checks.failed() == 1 ? "" : "s")
                    .append(" failed: see the checks below.");
        }
        if (checks.peerMismatches() > 0) {
            sb.append(String.format(Locale.ROOT, " %d peer row%s disagree%s with the reference and %s left out of the "
                    + "peer ratios.", checks.peerMismatches(), checks.peerMismatches() == 1 ? "" : "s",
                    checks.peerMismatches() == 1 ? "s" : "", checks.peerMismatches() == 1 ? "is" : "are"));
        }
        if (loaded) {
            sb.append(" Measured on a loaded machine: see the warning.");
        }
        return sb.toString();
    }

    /** The CPU backend against OpenBLAS and netlib at the largest matmul size with a target line, every thread count. */
    private static String matmulHeadline(Compare.Report r) {
        List<Map<String, Object>> mm = r.targets().stream().filter(t -> "matmul".equals(t.get("op"))
                && String.valueOf(t.get("what")).startsWith("matmul vs")).toList();
        if (mm.isEmpty()) {
            // No anchor ran: the CPU backend's own figure at its largest matmul.
            Row best = r.rows().stream().filter(x -> x.ok() && x.op().equals("matmul") && x.backendOrAnchor().equals(Compare.REFERENCE))
                    .max(Comparator.comparingLong(Row::size).thenComparingInt(Row::threads)).orElse(null);
            return best == null ? null : String.format(Locale.ROOT, "CPU matmul at %s on %d thread%s: %.0f GFLOP/s, %s of the FMA loop "
                    + "(no anchor ran to compare with).", best.shape(), best.threads(), best.threads() == 1 ? "" : "s",
                    best.throughput(), TextReport.percentPlain(best.fractionOfCeiling()));
        }
        long largest = mm.stream().mapToLong(t -> (Long) t.get("size")).max().orElseThrow();
        Map<Integer, List<String>> byThreads = new TreeMap<>();
        String shape = null;
        for (Map<String, Object> t : mm) {
            if ((Long) t.get("size") != largest) {
                continue;
            }
            shape = (String) t.get("shape");
            byThreads.computeIfAbsent((Integer) t.get("threads"), k -> new ArrayList<>())
                    .add(times((Double) t.get("ratio")) + " " + anchorName((String) t.get("what")));
        }
        StringBuilder sb = new StringBuilder("CPU matmul at ").append(shape).append(": ");
        boolean first = true;
        for (Map.Entry<Integer, List<String>> e : byThreads.entrySet()) {
            sb.append(first ? "" : "; ").append(String.join(", ", e.getValue())).append(" on ").append(e.getKey())
                    .append(e.getKey() == 1 ? " thread" : " threads");
            first = false;
        }
        // Over every size, the range against each anchor.
        Map<String, double[]> range = new LinkedHashMap<>();
        for (Map<String, Object> t : mm) {
            double v = (Double) t.get("ratio");
            range.merge(anchorName((String) t.get("what")), new double[] {v, v},
                    (a, b) -> new double[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])});
        }
        long sizes = mm.stream().map(t -> t.get("size")).distinct().count();
        if (sizes > 1) {
            List<String> parts = new ArrayList<>();
            range.forEach((name, v) -> parts.add(String.format(Locale.ROOT, "%.2f–%.2f× %s", v[0], v[1], name)));
            sb.append(" (over all ").append(sizes).append(" sizes: ").append(String.join(", ", parts)).append(")");
        }
        return sb.append('.').toString();
    }

    private static String anchorName(String what) {
        return what.contains("OpenBLAS") ? "OpenBLAS" : what.contains("netlib") ? "netlib" : what.replace("matmul vs ", "");
    }

    /** The backends other than the CPU backend that have rows, in report order. */
    private static List<String> otherBackends(Compare.Report r) {
        return r.rows().stream().filter(x -> x.kind().equals("backend") && !x.backendOrAnchor().equals(Compare.REFERENCE))
                .map(Row::backendOrAnchor).distinct().toList();
    }

    /**
     * A backend against the CPU backend: the geometric mean of its rows' "vs cpu" figures (the same figures as the
     * table's), with the slowest and the fastest row.
     */
    /** The backend's rows with a speed over the CPU backend's. */
    private static List<Row> comparedRows(Compare.Report r, String backend) {
        return r.rows().stream().filter(x -> x.ok() && x.backendOrAnchor().equals(backend)
                && Double.isFinite(x.speedupVsCpu()) && x.speedupVsCpu() > 0).toList();
    }

    /** The rows' ops, each once, in order: "act_relu, adam, dropout". */
    private static String opsOf(List<Row> rows) {
        java.util.LinkedHashSet<String> ops = new java.util.LinkedHashSet<>();
        rows.forEach(x -> ops.add(x.op()));
        List<String> list = List.copyOf(ops);
        return list.size() <= 6 ? String.join(", ", list) : String.join(", ", list.subList(0, 6)) + ", …";
    }

    private static String backendHeadline(Compare.Report r, String backend, Map<String, Double> geomeans) {
        List<Row> rows = comparedRows(r, backend);
        if (rows.isEmpty()) {
            return null;
        }
        double g = Math.exp(rows.stream().mapToDouble(x -> Math.log(x.speedupVsCpu())).average().orElse(0));
        geomeans.put(backend, g);
        Row lo = rows.stream().min(Comparator.comparingDouble(Row::speedupVsCpu)).orElseThrow();
        Row hi = rows.stream().max(Comparator.comparingDouble(Row::speedupVsCpu)).orElseThrow();
        String device = r.backends().stream().filter(b -> b.name().equals(backend) && b.capabilities() != null)
                .map(b -> b.capabilities().deviceName()).findFirst().orElse("its device");
        int maxThreads = r.rows().stream().filter(x -> x.backendOrAnchor().equals(Compare.REFERENCE)).mapToInt(Row::threads)
                .max().orElse(1);
        return String.format(Locale.ROOT, "%s on %s: %s the CPU backend on %d thread%s (geometric mean over %d row%s; from %s at %s %s "
                        + "to %s at %s %s).", backend, device, times(g), maxThreads, maxThreads == 1 ? "" : "s", rows.size(),
                rows.size() == 1 ? "" : "s", times(lo.speedupVsCpu()), lo.op(), lo.shape(), times(hi.speedupVsCpu()), hi.op(),
                hi.shape());
    }

    /**
     * Each bf16/fp16 row of the CPU backend beside its float32 row (the same op, size and threads): elements (or
     * FLOPs) per second in half precision over float32, from the two timed in alternation where the row has that
     * ({@link Compare}'s half rows do, outside {@code --quick}), else from the two rows' medians; grouped by op and dtype
     * with each ratio's size and threads ("act_sigmoid bf16 0.73× (1M, 1t), 0.69× (1M, 2t)").
     */
    static String halfPrecisionHeadline(Compare.Report r) {
        Map<String, List<String>> groups = new LinkedHashMap<>();
        for (Row h : r.rows()) {
            if (!h.ok() || !h.backendOrAnchor().equals(Compare.REFERENCE)) {
                continue;
            }
            String suffix = h.op().endsWith("_bf16") ? "_bf16" : h.op().endsWith("_fp16") ? "_fp16" : null;
            if (suffix == null) {
                continue;
            }
            String base = h.op().substring(0, h.op().length() - suffix.length());
            Row f = r.rows().stream().filter(x -> x.ok() && x.op().equals(base) && x.backendOrAnchor().equals(Compare.REFERENCE)
                    && x.threads() == h.threads() && x.size() == h.size()).findFirst().orElse(null);
            if (f != null && h.timing().median() > 0) {
                double ratio = h.alternation() != null ? h.alternation().ratio() : f.timing().median() / h.timing().median();
                groups.computeIfAbsent(base + " " + suffix.substring(1), k -> new ArrayList<>()).add(String.format(
                        Locale.ROOT, "%.2f× (%s, %dt)", ratio, h.shape(), h.threads()));
            }
        }
        if (groups.isEmpty()) {
            return null;
        }
        List<String> parts = new ArrayList<>();
        groups.forEach((k, v) -> parts.add(k + " " + String.join(", ", v)));
        return "Half precision on the CPU backend, throughput over the float32 row of the same op, size and threads: "
                + String.join("; ", parts) + ".";
    }

    /** The CPU backend's memory-bound ops against the copy loop, from the "vs copy bandwidth" target lines. */
    private static String elementwiseHeadline(Compare.Report r) {
        List<Map<String, Object>> copy = r.targets().stream()
                .filter(t -> String.valueOf(t.get("what")).endsWith("vs copy bandwidth")).toList();
        if (copy.isEmpty()) {
            return null;
        }
        double[] v = copy.stream().mapToDouble(t -> (Double) t.get("ratio")).sorted().toArray();
        double median = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        Map<String, Object> lo = copy.stream().min(Comparator.comparingDouble(t -> (Double) t.get("ratio"))).orElseThrow();
        Map<String, Object> hi = copy.stream().max(Comparator.comparingDouble(t -> (Double) t.get("ratio"))).orElseThrow();
        int threads = (Integer) copy.getFirst().get("threads");
        return String.format(Locale.ROOT, "CPU memory-bound ops at %s on %d thread%s: median %.2f of the copy loop run in "
                        + "alternation with each (%d op%s; lowest %s %.2f, highest %s %.2f).", copy.getFirst().get("shape"),
                threads, threads == 1 ? "" : "s", median, copy.size(), copy.size() == 1 ? "" : "s", lo.get("op"),
                (Double) lo.get("ratio"), hi.get("op"), (Double) hi.get("ratio"));
    }

    /** How the rows' results were checked. */
    record Checks(int checked, int oracle, int mismatches, int unchecked, int failed, int unsupported, int peerMismatches,
                  String sentence) {}

    static Checks checks(Compare.Report r) {
        int checked = 0;
        int oracle = 0;
        int unchecked = 0;
        int failed = 0;
        int unsupported = 0;
        List<String> bad = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        int peerMismatches = 0;
        for (Row x : r.rows()) {
            if (x.kind().equals("peer")) {
                peerMismatches += Targets.disagrees(x) ? 1 : 0; // detailed in the peers headline
                continue;
            }
            if (!x.ok()) {
                if (x.error().startsWith("unsupported")) {
                    unsupported++;
                } else {
                    failed++;
                    failures.add(x.impl() + " " + x.op() + " " + x.shape());
                }
            } else if (Double.isNaN(x.maxRelError())) {
                unchecked++;
            } else {
                checked++;
                oracle += x.checkedAgainst().startsWith("float64 oracle") ? 1 : 0;
                if (!x.checkPassed()) {
                    bad.add(String.format(Locale.ROOT, "%s %s %s (%.1e against %s)", x.impl(), x.op(), x.shape(), x.maxRelError(),
                            x.checkedAgainst()));
                }
            }
        }
        StringBuilder sb = new StringBuilder();
        if (bad.isEmpty()) {
            sb.append(String.format(Locale.ROOT, "Checks: all %d measured rows agree with their reference (%s)", checked,
                    oracle == checked ? "each against the float64 oracle"
                            : oracle + " against the float64 oracle, the others against the CPU backend's result"));
        } else {
            sb.append(String.format(Locale.ROOT, "Checks: %d of %d measured rows DISAGREE with their reference: %s", bad.size(),
                    checked, String.join("; ", bad.subList(0, Math.min(5, bad.size())))))
                    .append(bad.size() > 5 ? "; …" : "");
        }
        if (unchecked > 0) {
            sb.append(String.format(Locale.ROOT, "; %d row%s had nothing to be checked against", unchecked, unchecked == 1 ? "" : "s"));
        }
        if (failed > 0) {
            sb.append(String.format(Locale.ROOT, "; %d row%s FAILED to run (%s%s)", failed, failed == 1 ? "" : "s",
                    String.join(", ", failures.subList(0, Math.min(5, failures.size()))), failures.size() > 5 ? ", …" : ""));
        }
        if (unsupported > 0) {
            sb.append(String.format(Locale.ROOT, "; %d row%s of ops a backend does not implement", unsupported, unsupported == 1 ? "" : "s"));
        }
        sb.append('.');
        return new Checks(checked, oracle, bad.size(), unchecked, failed, unsupported, peerMismatches, sb.toString());
    }

    /**
     * For each peer with rows, in report order: the geometric mean of the CPU backend's speed over the peer's (ratio of
     * medians, same op, size and thread count) over the peer rows that agree with their reference, and the
     * number of those rows.
     */
    static Map<String, double[]> peerGeomeans(Compare.Report r) {
        Map<String, double[]> sums = new LinkedHashMap<>();
        for (Row p : r.rows()) {
            Row cpu = cpuTwin(r, p);
            if (cpu == null || !p.checkPassed()) {
                continue;
            }
            double[] acc = sums.computeIfAbsent(p.backendOrAnchor(), k -> new double[2]);
            acc[0] += Math.log(Targets.cpuOver(cpu, p));
            acc[1]++;
        }
        Map<String, double[]> out = new LinkedHashMap<>();
        sums.forEach((k, v) -> out.put(k, new double[] {Math.exp(v[0] / v[1]), v[1]}));
        return out;
    }

    /** The CPU backend's row at a peer row's op, size and thread count, or null (or when {@code p} is no measured peer row). */
    private static Row cpuTwin(Compare.Report r, Row p) {
        if (!p.ok() || !p.kind().equals("peer")) {
            return null;
        }
        return r.rows().stream().filter(c -> c.ok() && c.backendOrAnchor().equals(Compare.REFERENCE) && c.op().equals(p.op())
                && c.size() == p.size() && c.threads() == p.threads()).findFirst().orElse(null);
    }

    /**
     * The peers: each one's geometric mean, slowest and fastest row (the CPU backend's speed over the peer's), how many
     * peer rows agree with their reference (and which do not), and every peer that is not present or was
     * skipped, with the reason.
     */
    static String peersHeadline(Compare.Report r) {
        List<String> missing = new ArrayList<>();
        for (Map<String, Object> a : r.anchors()) {
            if ("peer".equals(a.get("role")) && !Boolean.TRUE.equals(a.get("present"))) {
                missing.add(a.get("name") + " " + a.get("reason"));
            }
        }
        List<Row> peerRows = r.rows().stream().filter(x -> x.kind().equals("peer")).toList();
        if (peerRows.isEmpty() && missing.isEmpty()) {
            return null;
        }
        StringBuilder sb = new StringBuilder("Peers (the CPU backend's speed over the peer's at the same thread count, ratio of "
                + "medians): ");
        Map<String, double[]> g = peerGeomeans(r);
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, double[]> e : g.entrySet()) {
            List<Row> mine = peerRows.stream().filter(x -> x.backendOrAnchor().equals(e.getKey()) && x.checkPassed()
                    && cpuTwin(r, x) != null).toList();
            Row lo = mine.stream().min(Comparator.comparingDouble(x -> Targets.cpuOver(cpuTwin(r, x), x))).orElseThrow();
            Row hi = mine.stream().max(Comparator.comparingDouble(x -> Targets.cpuOver(cpuTwin(r, x), x))).orElseThrow();
            parts.add(String.format(Locale.ROOT, "%s %s (geometric mean over %d row%s; from %s at %s %s on %d thread%s to %s at %s %s)",
                    Targets.peerName(e.getKey()), times(e.getValue()[0]), (int) e.getValue()[1], e.getValue()[1] == 1 ? "" : "s",
                    times(Targets.cpuOver(cpuTwin(r, lo), lo)), lo.op(), lo.shape(), lo.threads(), lo.threads() == 1 ? "" : "s",
                    times(Targets.cpuOver(cpuTwin(r, hi), hi)), hi.op(), hi.shape()));
        }
        sb.append(parts.isEmpty() ? "no peer row measured" : String.join("; ", parts));
        List<Row> measured = peerRows.stream().filter(x -> x.ok() && !Double.isNaN(x.maxRelError())).toList();
        List<String> bad = measured.stream().filter(x -> !x.checkPassed())
                .map(x -> String.format(Locale.ROOT, "%s %s %s (%.1e%s)", x.impl(), x.op(), x.shape(), x.maxRelError(),
                        x.checkedAgainst().contains("; ND4J") ? x.checkedAgainst().substring(x.checkedAgainst().indexOf("; ND4J")) : ""))
                .toList();
        if (!measured.isEmpty()) {
            sb.append(String.format(Locale.ROOT, ". Their results agree with their reference (the float64 oracle) on %d of %d row%s", measured.size() - bad.size(),
                    measured.size(), measured.size() == 1 ? "" : "s"));
            if (!bad.isEmpty()) {
                sb.append("; DISAGREE: ").append(String.join(", ", bad.subList(0, Math.min(4, bad.size()))))
                        .append(bad.size() > 4 ? ", …" : "");
            }
        }
        long failed = peerRows.stream().filter(x -> !x.ok() && !x.error().startsWith("unsupported")).count();
        if (failed > 0) {
            sb.append(String.format(Locale.ROOT, "; %d peer row%s FAILED", failed, failed == 1 ? "" : "s"));
        }
        List<String> lacking = peerRows.stream().filter(x -> !x.ok() && x.error().startsWith("unsupported"))
                .map(x -> x.backendOrAnchor() + " " + x.op()).distinct().toList();
        if (!lacking.isEmpty()) {
            sb.append("; not offered by the peer: ").append(String.join(", ", lacking));
        }
        if (!missing.isEmpty()) {
            sb.append(". ").append(String.join("; ", missing));
        }
        return sb.append('.').toString();
    }

    /**
     * The training step (one MLP step with Adam, the same data and initial weights everywhere): samples/s of each
     * backend row and its ratio to each peer at the same thread count (a device: at the most threads), and whether
     * the first losses agreed with the float64 oracle.
     */
    static String trainStepHeadline(Compare.Report r) {
        List<Row> step = r.rows().stream().filter(x -> x.op().equals(dev.kengine.bench.Ops.TRAIN_STEP)).toList();
        if (step.isEmpty()) {
            return null;
        }
        int maxThreads = step.stream().mapToInt(Row::threads).max().orElse(0);
        List<String> parts = new ArrayList<>();
        for (Row b : step) {
            if (!b.ok() || !b.kind().equals("backend")) {
                continue;
            }
            StringBuilder p = new StringBuilder(String.format(Locale.ROOT, "%s %,.0f samples/s", b.impl(),
                    dev.kengine.bench.TrainStep.BATCH / b.timing().median()));
            int t = b.threads() == 0 ? maxThreads : b.threads();
            List<String> vs = new ArrayList<>();
            for (Row q : step) {
                if (q.ok() && q.kind().equals("peer") && q.threads() == t) {
                    vs.add(times(Targets.cpuOver(b, q)) + " " + Targets.peerName(q.backendOrAnchor()) + "(" + t + "t)");
                }
            }
            if (!vs.isEmpty()) {
                p.append(" = ").append(String.join(", ", vs));
            }
            parts.add(p.toString());
        }
        List<Row> peers = step.stream().filter(x -> x.ok() && x.kind().equals("peer")).toList();
        for (Row q : peers) {
            parts.add(String.format(Locale.ROOT, "%s %,.0f samples/s", q.impl(), dev.kengine.bench.TrainStep.BATCH / q.timing().median()));
        }
        List<Row> checked = step.stream().filter(x -> x.ok() && !Double.isNaN(x.maxRelError())).toList();
        long agree = checked.stream().filter(Row::checkPassed).count();
        return String.format(Locale.ROOT, "Training step (MLP %s, ReLU, softmax cross-entropy, Adam; same data and initial "
                        + "weights everywhere): %s. The first %d losses agree with float64 training steps within %.0e relative on %d of "
                        + "%d implementations.",
                dev.kengine.bench.TrainStep.shape(), String.join("; ", parts), dev.kengine.bench.TrainStep.LOSS_STEPS,
                dev.kengine.bench.TrainStep.LOSS_TOLERANCE, agree, checked.size());
    }

    /** Samples per second of the training section on each backend, the others against the CPU backend. */
    private static String trainingHeadline(Compare.Report r) {
        List<Training.Result> ok = r.training().stream().filter(Training.Result::ok).toList();
        if (ok.isEmpty()) {
            return null;
        }
        double cpu = ok.stream().filter(t -> t.backend().equals(Compare.REFERENCE)).mapToDouble(Training.Result::samplesPerSecond)
                .findFirst().orElse(Double.NaN);
        List<String> parts = new ArrayList<>();
        for (Training.Result t : ok) {
            parts.add(String.format(Locale.ROOT, "%s %,.0f samples/s%s", t.backend(), t.samplesPerSecond(),
                    t.backend().equals(Compare.REFERENCE) || Double.isNaN(cpu) ? ""
                            : " (" + times(t.samplesPerSecond() / cpu) + " the CPU backend)"));
        }
        return "Training " + ok.getFirst().data().split(" ")[0] + ": " + String.join(", ", parts) + ".";
    }

    static String times(double v) {
        return String.format(Locale.ROOT, v >= 10 ? "%.1f×" : "%.2f×", v);
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** The verdict as the text report opens with it. */
    String text(boolean quick) {
        StringBuilder sb = new StringBuilder();
        sb.append("kengine compare").append(quick ? " (quick)" : "").append(": verdict\n");
        wrap(sb, "  ", answer);
        sb.append('\n');
        wrap(sb, "  machine   ", machine);
        wrap(sb, "  load      ", loadLine());
        if (loadWarning != null) {
            wrap(sb, "  WARNING   ", loadWarning);
        }
        sb.append("  targets   ").append(targetSummary()).append('\n');
        for (TargetLine t : targets) {
            sb.append(t.met() ? "    met     " : "    MISSED  ").append(t.describe()).append('\n');
        }
        if (unjudged != null) {
            wrap(sb, "            ", unjudged);
        }
        sb.append("  headlines\n");
        for (String h : headlines) {
            wrap(sb, "    - ", h);
        }
        return sb.toString();
    }

    /** {@code text} after {@code lead}, wrapped at 120 columns, continuation lines indented under the text. */
    private static void wrap(StringBuilder sb, String lead, String text) {
        int width = 120 - lead.length();
        String indent = " ".repeat(lead.length());
        String line = lead;
        int used = 0;
        for (String word : text.split(" ")) {
            if (used > 0 && used + 1 + word.length() > width) {
                sb.append(line).append('\n');
                line = indent;
                used = 0;
            }
            line += (used > 0 ? " " : "") + word;
            used += (used > 0 ? 1 : 0) + word.length();
        }
        sb.append(line).append('\n');
    }

    /** The verdict as the HTML page opens with it. */
    String html() {
        StringBuilder sb = new StringBuilder("<section id=\"verdict\">\n<h2>Verdict</h2>\n");
        sb.append("<p class=\"answer\">").append(HtmlReport.esc(answer)).append("</p>\n<ul class=\"headlines\">\n");
        for (String h : headlines) {
            sb.append("<li>").append(HtmlReport.esc(h)).append("</li>\n");
        }
        sb.append("</ul>\n<p><b>Machine:</b> ").append(HtmlReport.esc(machine)).append("<br><b>Load:</b> ")
                .append(HtmlReport.esc(loadLine())).append("</p>\n");
        if (loadWarning != null) {
            sb.append("<p class=\"warn\"><b>Warning:</b> ").append(HtmlReport.esc(loadWarning)).append("</p>\n");
        }
        sb.append("<p><b>Targets:</b> ").append(HtmlReport.esc(targetSummary()));
        if (unjudged != null) {
            sb.append("; ").append(HtmlReport.esc(unjudged));
        }
        sb.append("</p>\n");
        if (!targets.isEmpty()) {
            sb.append("<table><tr><th class=\"l\">target</th><th class=\"l\">shape</th><th>threads</th><th>ratio</th>"
                    + "<th>target</th><th class=\"l\">verdict</th></tr>\n");
            for (TargetLine t : targets) {
                sb.append("<tr>").append(HtmlReport.td("l", t.what())).append(HtmlReport.td("l", t.shape()))
                        .append(HtmlReport.td(null, Integer.toString(t.threads())))
                        .append(HtmlReport.td(null, Double.isNaN(t.ratio()) ? "not measured"
                                : String.format(Locale.ROOT, "%.2f", t.ratio())))
                        .append(HtmlReport.td(null, String.format(Locale.ROOT, "%.2f", t.target())))
                        .append(HtmlReport.td(t.met() ? "l good" : "l bad", (t.met() ? "met" : "missed")
                                + (t.note() == null ? "" : " (" + t.note() + ")"))).append("</tr>\n");
            }
            sb.append("</table>\n");
        }
        return sb.append("</section>\n").toString();
    }

    /** The verdict for the JSON report. */
    Map<String, Object> json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("answer", answer);
        m.put("machine", machine);
        m.put("cores", cores);
        m.put("load_1min_at_start", loadStart == null ? null : loadStart.one());
        m.put("load_1min_at_end", loadEnd == null ? null : loadEnd.one());
        m.put("other_processes_cores", Double.isNaN(othersCores) ? null : othersCores);
        m.put("load_warning", loadWarning);
        m.put("targets_met", (int) targets.stream().filter(TargetLine::met).count());
        m.put("targets_with_verdict", targets.size());
        List<Object> missed = new ArrayList<>();
        for (TargetLine t : targets) {
            if (!t.met()) {
                missed.add(t.describe());
            }
        }
        m.put("missed", missed);
        m.put("headlines", headlines);
        return m;
    }
}
