package dev.kengine.bench.report;

import dev.kengine.BackendInfo;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The report as a text table for people reading a terminal. */
final class TextReport {
    private TextReport() {}

    /** The mark of a fraction of a ceiling over 100 %, which the legend below every report explains. */
    static final String OVER = "*";

    /**
     * A fraction as a whole percentage, or "-" where there is no ceiling to take it of; over 100 % it carries
     * {@link #OVER}, never silently.
     */
    static String percent(double fraction) {
        return Double.isNaN(fraction) ? "-" : percentPlain(fraction) + (fraction > 1.005 ? OVER : "");
    }

    /** A fraction as a whole percentage ("-" for NaN), unmarked. */
    static String percentPlain(double fraction) {
        return Double.isNaN(fraction) ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * fraction);
    }

    /** Whether any row's fraction of its ceiling prints over 100 %. */
    static boolean anyOver(Compare.Report r) {
        return r.rows().stream().anyMatch(x -> x.ok() && percent(x.fractionOfCeiling()).endsWith(OVER));
    }

    /** Why a fraction can exceed 100 %, printed wherever one does. */
    static final String OVER_LEGEND = OVER + " over 100 % of peak: a host row is judged against the copy loop over the "
            + "same amount of memory (and the rows the targets judge against that loop run in alternation with the op), so "
            + "cache-resident sizes are judged against a cache-resident copy; a row still over 100 % moved its bytes faster "
            + "than that plain loop did: an op updating arrays in place (the optimisers) writes lines it has just read, where the "
            + "copy also reads each destination line before writing it (8 bytes a float are counted, about 12 move); or it kept "
            + "more memory traffic in flight; or it ran in a faster minute of a shared host. A "
            + "device's rows are judged against its copy kernel over at least 16M floats, past its caches, so a smaller "
            + "row over 100 % ran from the device's cache. Read such a row as \"at the ceiling\", not as beyond it.";

    /** How a peer's rows are measured and compared, as every report states it. */
    static final String PEER_METHOD = "Peers (PyTorch, ND4J): each runs in a process of its own per thread count (torch.set_num_threads, "
            + "ND4J's and OpenBLAS's thread counts, OMP_NUM_THREADS and OMP_WAIT_POLICY=PASSIVE set before they load), on the "
            + "same inputs as the engine (written to files), and times itself: a warm-up, then repetitions of many runs each "
            + "timed around the runs (time.perf_counter, System.nanoTime). \"vs cpu\" and the peer targets are the ratio of "
            + "medians: the peer's median over the CPU backend's at the same op, size and thread count (no alternation across "
            + "processes). Every peer row is checked against the float64 oracle where the op has one (the training step: its "
            + "first losses against three float64 training steps), else against the CPU backend's result.";

    static String write(Compare.Report r) {
        StringBuilder sb = new StringBuilder();
        sb.append(Verdict.of(r).text(r.quick()));
        sb.append("\ndetails\n");
        r.machine().forEach((k, v) -> sb.append(String.format(Locale.ROOT, "  %-22s %s%n", k, v)));
        sb.append("\nceilings (measured now)\n");
        for (Ceilings.Ceiling c : r.ceilings()) {
            sb.append(String.format(Locale.ROOT, "  %d thread%s  FMA loop %7.1f GFLOP/s   copy loop %5.1f GB/s   System.arraycopy %5.1f GB/s%n",
                    c.threads(), c.threads() == 1 ? " " : "s", c.fmaGflops(), c.copyGBs(), c.arraycopyGBs()));
        }
        for (Compare.DeviceCeiling d : r.deviceCeilings()) {
            sb.append(String.format(Locale.ROOT, "  %-10s copy kernel %7.1f GB/s over %d floats (%s; %s)%n", d.backend(), d.copyGBs(),
                    d.floats(), d.device(), d.kernel()));
        }
        sb.append("\nbackends\n");
        for (BackendInfo b : r.backends()) {
            sb.append(String.format(Locale.ROOT, "  %-12s %s%n", b.name(), b.available()
                    ? "available: " + (b.capabilities() == null ? "" : b.capabilities().deviceName())
                    : "unavailable: " + b.reason()));
        }
        sb.append("anchors and peers\n");
        for (Map<String, Object> a : r.anchors()) {
            sb.append(String.format(Locale.ROOT, "  %-12s %-7s %s%n", a.get("name"), "peer".equals(a.get("role")) ? "peer" : "anchor",
                    Boolean.TRUE.equals(a.get("present")) ? "present: " + a.get("implementation") : a.get("reason")));
        }
        if (r.machine().get("skipped_rows") instanceof String skipped) {
            sb.append("  ").append(skipped).append('\n');
        }
        sb.append('\n');
        // Columns as wide as their longest entry, so that a long shape (the training step's) or op name never shifts a row.
        int opW = Math.max(24, r.rows().stream().mapToInt(x -> x.op().length()).max().orElse(0));
        int shapeW = Math.max(14, r.rows().stream().mapToInt(x -> x.shape().length()).max().orElse(0));
        int implW = Math.max(16, r.rows().stream().mapToInt(x -> x.impl().length()).max().orElse(0));
        String lead = "%-" + opW + "s %-" + shapeW + "s %-" + implW + "s ";
        String head = String.format(Locale.ROOT, lead + "%10s %6s %10s %10s %-7s %7s %8s %9s %s%n",
                "op", "shape", "implementation", "median ms", "±IQR", "min ms", "throughput", "unit", "of peak",
                "vs cpu", "max rel", "check");
        sb.append(head);
        sb.append("-".repeat(head.length() + 4)).append('\n');
        String lastOp = null;
        for (Row row : r.rows()) {
            if (lastOp != null && !lastOp.equals(row.op() + row.size())) {
                sb.append('\n');
            }
            lastOp = row.op() + row.size();
            if (!row.ok()) {
                sb.append(String.format(Locale.ROOT, lead + "%s%n", row.op(), row.shape(), row.impl(), row.error()));
                continue;
            }
            Timing t = row.timing();
            sb.append(String.format(Locale.ROOT, lead + "%10s %5.1f%% %10s %10.2f %-7s %7s %8s %9s %s%n",
                    row.op(), row.shape(), row.impl(), ms(t.median()), 100 * t.relativeIqr(), ms(t.min()), row.throughput(),
                    row.unit(), percent(row.fractionOfCeiling()),
                    Double.isNaN(row.speedupVsCpu()) ? "-" : String.format(Locale.ROOT, "%.2fx", row.speedupVsCpu()),
                    Double.isNaN(row.maxRelError()) ? "-" : String.format(Locale.ROOT, "%.1e", row.maxRelError()),
                    (Double.isNaN(row.maxRelError()) ? "unchecked" : row.checkPassed() ? "ok" : "MISMATCH")
                            + " (" + row.checkedAgainst() + ")"));
        }
        if (!r.targets().isEmpty()) {
            sb.append("\ntargets (ratios from this run; cpu = the CPU backend)\n");
            int whatW = Math.max(40, r.targets().stream().mapToInt(t -> String.valueOf(t.get("what")).length()).max().orElse(0));
            int tShapeW = Math.max(14, r.targets().stream().mapToInt(t -> String.valueOf(t.get("shape")).length()).max().orElse(0));
            for (Map<String, Object> t : r.targets()) {
                double ratio = (Double) t.get("ratio");
                double target = (Double) t.get("target");
                Object met = t.get("met");
                String alongside = alongside(t);
                String note = t.get("not_measured") instanceof String n ? "  [not measured: " + n + "]"
                        : t.get("unverified") instanceof String u ? "  [unverified: " + u + "]" : "";
                sb.append(String.format(Locale.ROOT, "  %-" + whatW + "s %-" + tShapeW + "s %d thread%s  %6s   %s%s%s%n",
                        t.get("what"), t.get("shape"), t.get("threads"), ((Integer) t.get("threads")) == 1 ? " " : "s",
                        Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.2f", ratio),
                        met == null ? (t.get("no_target") instanceof String why ? "(no target: " + why + ")" : "(no target)") : ((Boolean) met ? "met" : "MISSED") + String.format(Locale.ROOT, " (target %.2f)", target),
                        alongside.isEmpty() ? "" : "  [" + alongside + "]", note));
            }
        }
        training(sb, r.training());
        sb.append(String.format(Locale.ROOT, "%n\"of peak\": compute-bound ops against the FMA loop at the row's thread count; "
                + "memory-bound ops against the copy loop at the row's thread count over as much memory as the op touches "
                + "(for the rows the copy-bandwidth targets judge, the loop run in alternation with the op: the target's figure); "
                + "a device's memory-bound rows against its own copy kernel over as much memory as the op touches (the "
                + "plain OpenCL copy kernel; where it cannot run, the backend's identity activation over 16M floats); its "
                + "compute-bound rows: none.%n"
                + "Targets \"vs copy bandwidth\": the op and the copy loop run in alternation (copy, op, copy, op, ...), "
                + "the median of each pair's ratio (op GB/s over the copy loop's just before it); the medians of both shown beside.%n"
                + "Targets \"vs OpenBLAS\" and \"vs netlib\": the CPU backend and the anchor at the same thread count run in alternation "
                + "(cpu, anchor, anchor, cpu, ...), the median of each pair's time ratio.%n"
                + (r.rows().stream().noneMatch(x -> Compare.halfBase(x.op()) != null) ? ""
                : "Targets \"bf16 vs float32\": the half-precision op and its float32 op at the same size and threads run in "
                + "alternation, the median of each pair's time ratio (elements, or FLOPs, per second in bf16 over float32; "
                + "a target line without the alternation's figures is a ratio of the two rows' medians): "
                + "at least 1.8 where float32 is bound by memory bandwidth, 1.0 where the arithmetic is the limit or where "
                + "mixed precision moves the same bytes (the optimiser steps, with float32 master weights and moments), "
                + "0.95 for matmul; fp16 beside it without a target.%n")
                + "\"vs cpu\": this row's speed over the CPU "
                + "backend's at the same thread count (a device: at the most threads); for an anchor's matmul rows, from the same "
                + "alternation as the target, so that the two state one figure (the target's ratio is its reciprocal).%n"
                + "max rel: max |x − ref| / max(|ref|, 2^-10·max|ref|); train_step: the largest relative difference of its "
                + "first losses from those of three float64 training steps.  Took %.0f s.%n", r.seconds()));
        if (r.rows().stream().anyMatch(x -> x.kind().equals("peer"))) {
            sb.append(PEER_METHOD).append('\n');
        }
        if (anyOver(r)) {
            sb.append(OVER_LEGEND).append('\n');
        }
        return sb.toString();
    }

    /**
     * What a target's ratio was measured against, where it comes from an alternation: "in alternation: op 31.4 GB/s,
     * copy loop 32.1 GB/s" or "in alternation, 11 pairs: cpu 106.6, OpenBLAS 98.7 GFLOP/s"; empty otherwise.
     */
    static String alongside(Map<String, Object> t) {
        if (t.get("copy_loop_gbs_alongside") instanceof Double copy) {
            return String.format(Locale.ROOT, "in alternation: op %.1f GB/s, copy loop %.1f GB/s", (Double) t.get("op_gbs_alongside"), copy);
        }
        if (t.get("float32_rate_alongside") instanceof Double single) {
            String what = (String) t.get("what");
            return String.format(Locale.ROOT, "in alternation: %s %.2f, float32 %.2f %s", what.contains(" bf16 ") ? "bf16" : "fp16",
                    (Double) t.get("half_rate_alongside"), single, t.get("rate_unit"));
        }
        if (t.get("anchor_gflops_alongside") instanceof Double anchor) {
            return String.format(Locale.ROOT, "in alternation, %d pairs: cpu %.1f, %s %.1f GFLOP/s", (Integer) t.get("pairs_alongside"),
                    (Double) t.get("cpu_gflops_alongside"), ((String) t.get("what")).contains("OpenBLAS") ? "OpenBLAS" : "netlib", anchor);
        }
        return "";
    }

    /** The training section: a row per backend, then each op's synchronised time per call side by side. */
    static void training(StringBuilder sb, List<Training.Result> results) {
        if (results.isEmpty()) {
            return;
        }
        Training.Result first = results.stream().filter(Training.Result::ok).findFirst().orElse(results.getFirst());
        sb.append(String.format(Locale.ROOT, "%ntraining: %s%n  network %s%n  %.0f s warm-up on a throwaway network, then %d epoch%s (samples/s and ms/step over the epochs"
                        + " after the first)%n", first.data(), first.network() == null ? "" : first.network(), first.warmUpSeconds(),
                first.epochs(), first.epochs() == 1 ? "" : "s"));
        String head = String.format(Locale.ROOT, "  %-8s %10s %8s %6s %9s %9s %15s %8s %8s %17s %6s%n", "backend", "samples/s",
                "ms/step", "calls", "synced ms", "in calls", "outside", "µs/call", "floor µs", "floor x calls", "test");
        sb.append(head);
        sb.append("  ").append("-".repeat(head.length() - 3)).append('\n');
        for (Training.Result t : results) {
            if (!t.ok()) {
                sb.append(String.format(Locale.ROOT, "  %-8s %s%n", t.backend(), t.error()));
                continue;
            }
            sb.append(String.format(Locale.ROOT, "  %-8s %,10.0f %8.3f %6.1f %9.3f %9.3f %8.3f (%3.0f%%) %8.1f %8.2f %8.3f (%4.1f%%) %5.1f%%%n",
                    t.backend(), t.samplesPerSecond(), t.stepMs(), t.callsPerStep(), t.syncedStepMs(), t.inCallsMs(),
                    t.outsideMs(), 100 * (1 - t.shareInCalls()), t.microsPerCall(), t.floorMicros(), t.floorMsPerStep(),
                    100 * t.floorShare(), 100 * t.testAccuracy()));
        }
        List<Training.Result> ok = results.stream().filter(Training.Result::ok).toList();
        if (!ok.isEmpty()) {
            sb.append("  per op, synchronize after every call: µs per call\n");
            StringBuilder h = new StringBuilder(String.format(Locale.ROOT, "  %-16s %10s", "op", "calls/step"));
            for (Training.Result t : ok) {
                h.append(String.format(Locale.ROOT, " %10s", t.backend()));
            }
            sb.append(h).append('\n');
            java.util.LinkedHashMap<String, Double> calls = new java.util.LinkedHashMap<>();
            for (Training.Result t : ok) {
                for (Training.OpTime o : t.ops()) {
                    calls.putIfAbsent(o.op(), o.callsPerStep());
                }
            }
            for (Map.Entry<String, Double> e : calls.entrySet()) {
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-16s %10.1f", e.getKey(), e.getValue()));
                for (Training.Result t : ok) {
                    double us = t.ops().stream().filter(o -> o.op().equals(e.getKey())).mapToDouble(Training.OpTime::microsPerCall)
                            .findFirst().orElse(Double.NaN);
                    line.append(Double.isNaN(us) ? String.format(Locale.ROOT, " %10s", "-") : String.format(Locale.ROOT, " %10.1f", us));
                }
                sb.append(line).append('\n');
            }
        }
        sb.append("  samples/s, ms/step: as training runs (ops queued). calls: engine calls per step. synced ms: a step with a\n"
                + "  synchronize after every call, split into the time in engine calls and outside them (batch gathering, scopes,\n"
                + "  the trainer; share of the synced step). µs/call: in-calls time / calls. floor: a 1-element op + synchronize;\n"
                + "  floor x calls: the engine's fixed cost per step (share of ms/step). test: test accuracy after the epochs.\n");
    }

    static String ms(double s) {
        double v = s * 1e3;
        return v >= 100 ? String.format(Locale.ROOT, "%.1f", v) : v >= 1 ? String.format(Locale.ROOT, "%.3f", v)
                : String.format(Locale.ROOT, "%.4f", v);
    }
}
