package dev.kengine.bench.report;

import dev.kengine.BackendInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The report as one self-contained HTML page (inline SVG, no scripts, nothing fetched: these
 * machines have no internet): throughput against size per implementation for each op, a roofline
 * of every measurement under this machine's measured ceilings, and the full table.
 */
final class HtmlReport {
    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
        "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};

    private HtmlReport() {}

    /** Writes {@code index.html} into {@code dir} (created when missing) and returns its path. */
    static Path write(Compare.Report r, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path page = dir.resolve("index.html");
        Files.writeString(page, html(r));
        return page;
    }

    static String html(Compare.Report r) {
        List<String> impls = new ArrayList<>(new LinkedHashSet<>(r.rows().stream().map(Row::impl).toList()));
        Map<String, String> color = new LinkedHashMap<>();
        for (int i = 0; i < impls.size(); i++) {
            color.put(impls.get(i), COLORS[i % COLORS.length]);
        }
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>kengine compare</title>\n<style>")
                .append("body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:1200px}table{border-collapse:collapse;font-size:13px}")
                .append("td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td.l,th.l{text-align:left}")
                .append(".charts{display:flex;flex-wrap:wrap;gap:12px}.bad{color:#b00;font-weight:bold}.good{color:#070}")
                .append(".warn{background:#fff3cd;border:1px solid #e0b000;padding:6px 10px}.answer{font-size:17px;font-weight:600}")
                .append("#verdict{border:2px solid #444;padding:4px 16px 12px;margin-bottom:1.5em}svg{background:#fff;border:1px solid #ddd}")
                .append("</style></head><body>\n<h1>kengine compare").append(r.quick() ? " (quick)" : "").append("</h1>\n");
        sb.append(Verdict.of(r).html());
        sb.append("<h2>Details</h2>\n<p>");
        r.machine().forEach((k, v) -> sb.append("<b>").append(esc(k)).append("</b> ").append(esc(String.valueOf(v))).append(" &nbsp; "));
        sb.append("</p>\n<h2>Ceilings measured in this run</h2><table><tr><th>threads</th><th>FMA loop GFLOP/s</th>"
                + "<th>copy loop GB/s</th><th>System.arraycopy GB/s</th></tr>\n");
        for (Ceilings.Ceiling c : r.ceilings()) {
            sb.append(String.format(Locale.ROOT, "<tr><td>%d</td><td>%.1f</td><td>%.1f</td><td>%.1f</td></tr>%n",
                    c.threads(), c.fmaGflops(), c.copyGBs(), c.arraycopyGBs()));
        }
        sb.append("</table>\n");
        if (!r.deviceCeilings().isEmpty()) {
            sb.append("<p>Devices (their memory-bound rows are read against these):</p><table><tr><th>backend</th><th>device</th>"
                    + "<th>copy kernel GB/s</th><th>floats</th><th>kernel</th></tr>\n");
            for (Compare.DeviceCeiling d : r.deviceCeilings()) {
                sb.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%s</td><td>%.1f</td><td>%d</td><td>%s</td></tr>%n",
                        esc(d.backend()), esc(d.device()), d.copyGBs(), d.floats(), esc(d.kernel())));
            }
            sb.append("</table>\n");
        }
        sb.append("<h2>Backends, anchors and peers</h2><ul>\n");
        for (BackendInfo b : r.backends()) {
            sb.append("<li><b>").append(esc(b.name())).append("</b>: ").append(b.available()
                    ? "available on " + esc(b.capabilities() == null ? "?" : b.capabilities().deviceName())
                    : "unavailable: " + esc(b.reason())).append("</li>\n");
        }
        for (Map<String, Object> a : r.anchors()) {
            sb.append("<li><b>").append(esc(String.valueOf(a.get("name")))).append("</b> (")
                    .append("peer".equals(a.get("role")) ? "peer" : "anchor").append("): ")
                    .append(esc(String.valueOf(Boolean.TRUE.equals(a.get("present")) ? "present: " + a.get("implementation")
                            : a.get("reason")))).append("</li>\n");
        }
        if (r.machine().get("skipped_rows") instanceof String skipped) {
            sb.append("<li>").append(esc(skipped)).append("</li>\n");
        }
        sb.append("</ul>\n<h2>Roofline</h2>\n").append(roofline(r, color));
        Set<String> ops = new LinkedHashSet<>(r.rows().stream().map(Row::op).toList());
        StringBuilder charts = new StringBuilder();
        List<String> single = new ArrayList<>();
        for (String op : ops) {
            List<Row> rows = r.rows().stream().filter(x -> x.op().equals(op) && x.ok()).toList();
            if (rows.stream().map(Row::size).distinct().count() > 1) {
                charts.append(sizeChart(op, rows, color));
            } else if (!rows.isEmpty()) {
                single.add(op);
            }
        }
        if (!charts.isEmpty()) {
            sb.append("\n<h2>Throughput against size</h2>\n<div class=\"charts\">\n").append(charts).append("</div>\n");
        }
        if (!single.isEmpty()) {
            sb.append("<h2>Speed against the CPU backend</h2>\n<p>The ops measured at one size: each bar is that row's speed "
                    + "over the CPU backend's (the table's \"vs cpu\"), on a log scale.</p>\n").append(speedChart(r, single, color));
        }
        sb.append("<h2>All measurements</h2>\n<table><tr><th class=\"l\">op</th><th class=\"l\">shape</th><th class=\"l\">implementation</th>"
                + "<th>median ms</th><th>min ms</th><th>max ms</th><th>throughput</th><th class=\"l\">unit</th><th>of peak</th>"
                + "<th>vs cpu</th><th>max rel err</th><th class=\"l\">check</th></tr>\n");
        for (Row x : r.rows()) {
            if (!x.ok()) {
                sb.append("<tr>").append(td("l", x.op())).append(td("l", x.shape())).append(td("l", x.impl()))
                        .append("<td class=\"l").append(x.error().startsWith("unsupported") ? "" : " bad").append("\" colspan=\"9\">")
                        .append(esc(x.error())).append("</td></tr>\n");
                continue;
            }
            boolean mismatch = !Double.isNaN(x.maxRelError()) && !x.checkPassed();
            sb.append("<tr>").append(td("l", x.op())).append(td("l", x.shape()))
                    .append("<td class=\"l\" style=\"color:").append(color.get(x.impl())).append("\">").append(esc(x.impl())).append("</td>")
                    .append(td(null, TextReport.ms(x.timing().median()))).append(td(null, TextReport.ms(x.timing().min())))
                    .append(td(null, TextReport.ms(x.timing().max())))
                    .append(td(null, String.format(Locale.ROOT, "%.2f", x.throughput()))).append(td("l", x.unit()))
                    .append(td(null, TextReport.percent(x.fractionOfCeiling())))
                    .append(td(null, Double.isNaN(x.speedupVsCpu()) ? "" : String.format(Locale.ROOT, "%.2f×", x.speedupVsCpu())))
                    .append(td(null, Double.isNaN(x.maxRelError()) ? "" : String.format(Locale.ROOT, "%.1e", x.maxRelError())))
                    .append(td(mismatch ? "l bad" : "l", (Double.isNaN(x.maxRelError()) ? "unchecked" : x.checkPassed() ? "ok" : "mismatch")
                            + " vs " + x.checkedAgainst()))
                    .append("</tr>\n");
        }
        sb.append("</table>\n");
        if (TextReport.anyOver(r)) {
            sb.append("<p>").append(esc(TextReport.OVER_LEGEND)).append("</p>\n");
        }
        if (!r.targets().isEmpty()) {
            sb.append("<h2>Targets</h2><table><tr><th class=\"l\">what</th><th class=\"l\">shape</th><th>threads</th><th>ratio</th>"
                    + "<th>target</th><th class=\"l\">met</th><th class=\"l\">measured</th></tr>\n");
            for (Map<String, Object> t : r.targets()) {
                Object met = t.get("met");
                sb.append("<tr>").append(td("l", String.valueOf(t.get("what")))).append(td("l", String.valueOf(t.get("shape"))))
                        .append(td(null, String.valueOf(t.get("threads"))))
                        .append(td(null, String.format(Locale.ROOT, "%.2f", (Double) t.get("ratio"))))
                        .append(td(null, Double.isNaN((Double) t.get("target")) ? "" : String.format(Locale.ROOT, "%.2f", (Double) t.get("target"))))
                        .append(td(met == null ? "l" : (Boolean) met ? "l good" : "l bad", met == null
                                ? (t.get("no_target") instanceof String why ? "no target: " + why : "no target") : (Boolean) met ? "met" : "missed"))
                        .append(td("l", TextReport.alongside(t))).append("</tr>\n");
            }
            sb.append("</table>\n");
        }
        training(sb, r.training());
        sb.append(String.format(Locale.ROOT, "<p>Took %.0f s. Throughput: GFLOP/s for compute-bound ops, GB/s of compulsory traffic "
                + "for memory-bound ones. Of peak: compute-bound rows against the FMA loop at the row's thread count, memory-bound "
                + "rows against the copy loop at the row's thread count over as much memory as the op touches (the rows the "
                + "copy-bandwidth targets judge: the loop run in alternation with the op, the target's figure), a device's "
                + "memory-bound rows against its copy kernel over as much memory as the op touches (where the plain OpenCL copy "
                + "kernel runs). Vs cpu: this row's speed over the CPU backend's at the same thread "
                + "count (a device: at the most threads); an anchor's matmul rows take it from the same alternation as the "
                + "targets, whose ratio is its reciprocal.</p>%n%s</body></html>%n", r.seconds(),
                r.rows().stream().anyMatch(x -> x.kind().equals("peer")) ? "<p>" + esc(TextReport.PEER_METHOD) + "</p>\n" : ""));
        return sb.toString();
    }

    /** A table cell with at most one class attribute ({@code classes} space-separated, or null for none). */
    static String td(String classes, String content) {
        return (classes == null || classes.isBlank() ? "<td>" : "<td class=\"" + classes + "\">") + esc(content) + "</td>";
    }

    /** The training section: a row per backend, and each op's synchronised time per call. */
    private static void training(StringBuilder sb, List<Training.Result> results) {
        if (results.isEmpty()) {
            return;
        }
        Training.Result first = results.stream().filter(Training.Result::ok).findFirst().orElse(results.getFirst());
        sb.append("<h2>Training throughput</h2>\n<p>").append(esc(first.data())).append(", ")
                .append(esc(first.network() == null ? "" : first.network())).append("; ").append(first.epochs())
                .append(" epoch(s) after a warm-up of ").append(String.format(Locale.ROOT, "%.0f", first.warmUpSeconds()))
                .append(" s on a throwaway network. Samples/s and ms/step as training runs (ops queued), over the epochs after the first; "
                        + "synced: a step with a synchronize after every engine call, split into the time in calls and outside them; "
                        + "floor: a 1-element op + synchronize.</p>\n");
        sb.append("<table><tr><th class=l>backend</th><th class=l>device</th><th>samples/s</th><th>ms/step</th><th>calls/step</th>"
                + "<th>synced ms/step</th><th>in calls ms</th><th>outside ms</th><th>in calls</th><th>µs/call (synced)</th>"
                + "<th>floor µs</th><th>floor × calls ms</th><th>of step</th><th>test acc</th></tr>\n");
        for (Training.Result t : results) {
            if (!t.ok()) {
                sb.append("<tr><td class=l>").append(esc(t.backend())).append("</td><td class=l>").append(esc(t.device()))
                        .append("</td><td class=\"l bad\" colspan=12>").append(esc(t.error())).append("</td></tr>\n");
                continue;
            }
            sb.append(String.format(Locale.ROOT, "<tr><td class=l>%s</td><td class=l>%s</td><td>%,.0f</td><td>%.3f</td><td>%.1f</td>"
                            + "<td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%.0f%%</td><td>%.1f</td><td>%.2f</td><td>%.3f</td><td>%.1f%%</td>"
                            + "<td>%.1f%%</td></tr>%n", esc(t.backend()), esc(t.device()), t.samplesPerSecond(), t.stepMs(),
                    t.callsPerStep(), t.syncedStepMs(), t.inCallsMs(), t.outsideMs(), 100 * t.shareInCalls(), t.microsPerCall(),
                    t.floorMicros(), t.floorMsPerStep(), 100 * t.floorShare(), 100 * t.testAccuracy()));
        }
        sb.append("</table>\n");
        List<Training.Result> ok = results.stream().filter(Training.Result::ok).toList();
        if (!ok.isEmpty()) {
            sb.append("<p>Per op, with a synchronize after every call: µs per call.</p>\n<table><tr><th class=l>op</th><th>calls/step</th>");
            for (Training.Result t : ok) {
                sb.append("<th>").append(esc(t.backend())).append("</th>");
            }
            sb.append("</tr>\n");
            Map<String, Double> calls = new LinkedHashMap<>();
            for (Training.Result t : ok) {
                for (Training.OpTime o : t.ops()) {
                    calls.putIfAbsent(o.op(), o.callsPerStep());
                }
            }
            for (Map.Entry<String, Double> e : calls.entrySet()) {
                sb.append(String.format(Locale.ROOT, "<tr><td class=l>%s</td><td>%.1f</td>", esc(e.getKey()), e.getValue()));
                for (Training.Result t : ok) {
                    double us = t.ops().stream().filter(o -> o.op().equals(e.getKey())).mapToDouble(Training.OpTime::microsPerCall)
                            .findFirst().orElse(Double.NaN);
                    sb.append("<td>").append(Double.isNaN(us) ? "" : String.format(Locale.ROOT, "%.1f", us)).append("</td>");
                }
                sb.append("</tr>\n");
            }
            sb.append("</table>\n");
        }
    }

    private static final int W = 460;
    private static final int H = 300;
    private static final int L = 60;
    private static final int R = 130;
    private static final int T = 30;
    private static final int B = 45;

    /** Throughput against size (log scale) for one op measured at several sizes, a line per implementation. */
    private static String sizeChart(String op, List<Row> rows, Map<String, String> color) {
        double xmin = rows.stream().mapToDouble(x -> Math.log(x.size())).min().orElse(0);
        double xmax = rows.stream().mapToDouble(x -> Math.log(x.size())).max().orElse(1);
        if (xmax - xmin < 1e-9) {
            xmin -= 1;
            xmax += 1;
        }
        double ymax = rows.stream().mapToDouble(Row::throughput).filter(Double::isFinite).max().orElse(1) * 1.1;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\">"
                + "<title>%s: %s against size</title>%n", W, H, esc(op), rows.get(0).unit()));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"14\" font-weight=\"bold\">%s</text>%n", L, esc(op)));
        axes(sb, rows.get(0).unit(), "size");
        for (int i = 0; i <= 4; i++) {
            double v = ymax * i / 4;
            int y = (int) (H - B - (H - T - B) * i / 4.0);
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"10\" text-anchor=\"end\">%s</text>"
                    + "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#eee\"/>%n", L - 4, y + 3, num(v), L, W - R, y, y));
        }
        final double x0 = xmin;
        final double x1 = xmax;
        Set<Long> sizes = new LinkedHashSet<>(rows.stream().map(Row::size).sorted().toList());
        int tick = 0;
        for (long s : sizes) {
            double px = L + (W - L - R) * (Math.log(s) - x0) / (x1 - x0);
            String label = rows.stream().filter(x -> x.size() == s).findFirst().map(Row::shape).orElse("");
            label = shortShape(label); // a cube n×n×n reads as n³, which keeps neighbouring ticks apart
            // Alternate ticks drop a line so that neighbouring labels never overlap.
            sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"9\" text-anchor=\"middle\">%s</text>%n",
                    px, H - B + 12 + (tick++ % 2) * 9, esc(label.length() > 14 ? Long.toString(s) : label)));
        }
        int legend = 0;
        for (Map.Entry<String, String> e : color.entrySet()) {
            List<Row> series = rows.stream().filter(x -> x.impl().equals(e.getKey())).sorted((a, b) -> Long.compare(a.size(), b.size())).toList();
            if (series.isEmpty()) {
                continue;
            }
            StringBuilder pts = new StringBuilder();
            for (Row x : series) {
                double px = L + (W - L - R) * (Math.log(x.size()) - x0) / (x1 - x0);
                double py = H - B - (H - T - B) * x.throughput() / ymax;
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
                sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%s %s: %.2f %s</title></circle>%n",
                        px, py, e.getValue(), esc(x.impl()), esc(x.shape()), x.throughput(), x.unit()));
            }
            sb.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"/>%n",
                    pts.toString().trim(), e.getValue()));
            sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>%n", W - R + 8, T + legend * 15, e.getValue(),
                    W - R + 22, T + legend * 15 + 9, esc(e.getKey())));
            legend++;
        }
        return sb.append("</svg>\n").toString();
    }

    /**
     * Labels placed without overlap: each candidate position of a label is tried in turn and the first whose box
     * meets no box placed before (another label, a point) is taken; a label with no free position is left out (the
     * caller lists it). Text width is estimated at 0.6 em a character, which holds for the sans-serif digits and
     * lower-case letters of these labels.
     */
    static final class Labels {
        private final List<double[]> boxes = new ArrayList<>();
        private final double left;
        private final double top;
        private final double right;
        private final double bottom;
        /** The candidate the last successful {@link #place} took: its index, x and baseline y. */
        private double[] last;

        Labels(double left, double top, double right, double bottom) {
            this.left = left;
            this.top = top;
            this.right = right;
            this.bottom = bottom;
        }

        /** Reserves a box that no label may cover (a point, a legend). */
        void block(double x0, double y0, double x1, double y1) {
            boxes.add(new double[] {x0, y0, x1, y1});
        }

        /**
         * The SVG text of {@code text} at the first free candidate ({x, y, anchor}: 0 start, 1 middle, 2 end; y is the
         * baseline), or null when every candidate overlaps something or leaves the plot.
         */
        String place(String text, int fontSize, String fill, double[][] candidates) {
            double w = 0.6 * fontSize * text.length();
            for (double[] c : candidates) {
                double x0 = c[2] == 0 ? c[0] : c[2] == 1 ? c[0] - w / 2 : c[0] - w;
                double[] box = {x0 - 1, c[1] - fontSize, x0 + w + 1, c[1] + 3};
                if (box[0] < left || box[2] > right || box[1] < top || box[3] > bottom) {
                    continue;
                }
                if (boxes.stream().noneMatch(o -> box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3])) {
                    boxes.add(box);
                    last = new double[] {java.util.Arrays.asList(candidates).indexOf(c), c[0], c[1]};
                    return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" fill=\"%s\" text-anchor=\"%s\" "
                                    + "stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">%s</text>%n", c[0], c[1], fontSize, fill,
                            c[2] == 0 ? "start" : c[2] == 1 ? "middle" : "end", esc(text));
                }
            }
            return null;
        }

        /** {index, x, baseline y} of the candidate the last successful placement took. */
        double[] last() {
            return last;
        }

        /** The boxes placed or blocked so far: {x0, y0, x1, y1} each (for tests). */
        List<double[]> boxes() {
            return boxes;
        }
    }

    /** Candidates around a point: right, left, above, below, then further out, mostly upwards (where points are few). */
    private static double[][] around(double x, double y) {
        List<double[]> c = new ArrayList<>(List.of(new double[] {x + 6, y + 4, 0}, new double[] {x - 6, y + 4, 2},
                new double[] {x, y - 7, 1}, new double[] {x, y + 15, 1}, new double[] {x + 6, y - 8, 0},
                new double[] {x - 6, y - 8, 2}, new double[] {x + 6, y + 16, 0}, new double[] {x - 6, y + 16, 2}));
        for (int k = 1; k <= 6; k++) {
            c.add(new double[] {x - 2, y - 7 - 12 * k, 0});
            c.add(new double[] {x, y - 7 - 12 * k, 1});
        }
        return c.toArray(double[][]::new);
    }

    /**
     * A point group's name in the roofline: its op and shape, or where several ops share the intensity, each kind
     * once with its count (the activations as act_* and act_*_backward): "act_*_backward ×9, dropout 4M".
     */
    static String groupLabel(List<Row> group) {
        Map<String, Set<String>> kinds = new LinkedHashMap<>();
        for (Row x : group) {
            String kind = x.op().startsWith("act_") ? (x.op().endsWith("_backward") ? "act_*_backward" : "act_*") : x.op();
            kinds.computeIfAbsent(kind, k -> new LinkedHashSet<>()).add(x.op());
        }
        List<String> parts = new ArrayList<>();
        kinds.forEach((k, ops) -> parts.add(ops.size() == 1 ? ops.iterator().next() : k + " ×" + ops.size()));
        if (String.join(", ", parts).length() > 30) {
            // Too long to place among the points: the other ops by family ("dropout ×2" for dropout and its backward).
            Map<String, Set<String>> families = new LinkedHashMap<>();
            for (Row x : group) {
                String kind = x.op().startsWith("act_") ? (x.op().endsWith("_backward") ? "act_*_backward" : "act_*") : x.family();
                families.computeIfAbsent(kind, k -> new LinkedHashSet<>()).add(x.op());
            }
            parts.clear();
            families.forEach((k, ops) -> parts.add(ops.size() == 1 ? ops.iterator().next() : k + " ×" + ops.size()));
        }
        return String.join(", ", parts) + " " + shortShape(group.getFirst().shape());
    }

    /** 512x512x512 as 512³; other shapes as they are. */
    static String shortShape(String shape) {
        String[] parts = shape.split("x");
        return parts.length == 3 && parts[0].equals(parts[1]) && parts[1].equals(parts[2]) ? parts[0] + "³" : shape;
    }

    /** Every measurement as (flops per byte, GFLOP/s) under the roofs min(FMA peak, intensity × copy bandwidth). */
    private static String roofline(Compare.Report r, Map<String, String> color) {
        int w = 900;
        int h = 480;
        double xlo = Math.log10(1.0 / 16);
        double xhi = Math.log10(1024);
        double peak = r.ceilings().stream().mapToDouble(Ceilings.Ceiling::fmaGflops).max().orElse(100);
        // The floor follows the slowest point measured (PoCL's small ops reach 0.01 GFLOP/s), so no point is drawn below the axis.
        double slowest = r.rows().stream().filter(x -> x.ok() && x.bytes() > 0 && x.gflops() > 0)
                .mapToDouble(Row::gflops).min().orElse(0.05);
        double ylo = Math.log10(Math.min(0.05, slowest / 1.5));
        double fastest = r.rows().stream().filter(x -> x.ok() && x.bytes() > 0).mapToDouble(Row::gflops).max().orElse(peak);
        double yhi = Math.log10(Math.max(peak * 2, fastest * 1.5)); // a GPU's points lie far above the host's roof
        int l = 60;
        // The right margin holds the legend: as wide as its longest line (font size 10 or 11: about 0.6 em a character).
        int longest = color.keySet().stream().mapToInt(String::length).max().orElse(0);
        for (Ceilings.Ceiling c : r.ceilings()) {
            longest = Math.max(longest, String.format(Locale.ROOT, "roof, %d threads: %.0f GFLOP/s, %.1f GB/s", c.threads(),
                    c.fmaGflops(), c.copyGBs()).length());
        }
        for (Compare.DeviceCeiling d : r.deviceCeilings()) {
            longest = Math.max(longest, String.format(Locale.ROOT, "roof, %s copy kernel: %.1f GB/s", d.backend(),
                    d.copyGBs()).length());
        }
        int rr = Math.max(240, 24 + (int) Math.ceil(longest * 6.6) + 10);
        int t = 20;
        int b = 45;
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\">"
                + "<title>roofline</title>%n", w, h));
        java.util.function.DoubleUnaryOperator fx = ai -> l + (w - l - rr) * (Math.log10(ai) - xlo) / (xhi - xlo);
        java.util.function.DoubleUnaryOperator fy = g -> h - b - (h - t - b) * (Math.log10(Math.max(g, 1e-3)) - ylo) / (yhi - ylo);
        for (double ai = 1.0 / 16; ai <= 1024; ai *= 4) {
            double px = fx.applyAsDouble(ai);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#eee\"/>"
                    + "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%s</text>%n", px, px, t, h - b, px, h - b + 14, num(ai)));
        }
        for (double g = Math.pow(10, Math.ceil(ylo)); g <= Math.pow(10, yhi); g *= 10) {
            double py = fy.applyAsDouble(g);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%s</text>%n", l, w - rr, py, py, l - 4, py + 3, num(g)));
        }
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>%n",
                l, h - b, w - rr, h - b, l, t, l, h - b));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">arithmetic intensity (flop per byte of compulsory traffic)</text>%n",
                (l + w - rr) / 2, h - 8));
        sb.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 14 %d)\">GFLOP/s</text>%n",
                (t + h - b) / 2, (t + h - b) / 2));
        Labels labels = new Labels(l, t, w - rr, h - b);
        // The points first, as obstacles for every label; their names are placed after the roofs' labels.
        StringBuilder points = new StringBuilder();
        Map<String, List<Row>> groups = new LinkedHashMap<>();
        Map<String, double[]> groupTop = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : color.entrySet()) {
            for (Row x : r.rows()) {
                if (!x.ok() || !x.impl().equals(e.getKey()) || x.bytes() <= 0) {
                    continue;
                }
                double ai = x.flops() / x.bytes();
                if (ai < Math.pow(10, xlo) || ai > Math.pow(10, xhi)) {
                    continue;
                }
                double px = fx.applyAsDouble(ai);
                double py = fy.applyAsDouble(x.gflops());
                labels.block(px - 3, py - 3, px + 3, py + 3);
                points.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\" fill-opacity=\"0.75\">"
                                + "<title>%s %s %s: %.2f GFLOP/s, %.2f GB/s</title></circle>%n",
                        px, py, e.getValue(), esc(x.impl()), esc(x.op()), esc(x.shape()), x.gflops(), x.gbs()));
                // Points at the same intensity (one op and size on every implementation, or ops of one family
                // with the same traffic) share one name, next to the highest of them.
                String key = String.format(Locale.ROOT, "%.4g@%s", ai, x.shape());
                groups.computeIfAbsent(key, k -> new ArrayList<>()).add(x);
                double[] top = groupTop.get(key);
                if (top == null || py < top[1]) {
                    groupTop.put(key, new double[] {px, py});
                }
            }
        }
        for (Ceilings.Ceiling c : r.ceilings()) {
            double knee = c.fmaGflops() / c.copyGBs();
            double a0 = Math.pow(10, xlo);
            double a1 = Math.pow(10, xhi);
            sb.append(String.format(Locale.ROOT, "<polyline points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"none\" stroke=\"#555\" stroke-dasharray=\"%s\"/>%n",
                    fx.applyAsDouble(a0), fy.applyAsDouble(a0 * c.copyGBs()), fx.applyAsDouble(knee), fy.applyAsDouble(c.fmaGflops()),
                    fx.applyAsDouble(a1), fy.applyAsDouble(c.fmaGflops()), c.threads() == 1 ? "4,3" : "none"));
        }
        for (Compare.DeviceCeiling d : r.deviceCeilings()) {
            // A device's bandwidth roof only: no compute ceiling is measured for devices.
            double a0 = Math.pow(10, xlo);
            double a1 = Math.min(Math.pow(10, xhi), Math.pow(10, yhi) / d.copyGBs());
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-dasharray=\"2,3\"/>%n",
                    fx.applyAsDouble(a0), fy.applyAsDouble(a0 * d.copyGBs()), fx.applyAsDouble(a1), fy.applyAsDouble(a1 * d.copyGBs()),
                    deviceColor(d.backend(), color)));
        }
        sb.append(points);
        List<String> unplaced = new ArrayList<>();
        // The points' names, the highest points first (they are the ones read most).
        List<String> keys = new ArrayList<>(groups.keySet());
        keys.sort(java.util.Comparator.comparingDouble(k -> groupTop.get(k)[1]));
        for (String k : keys) {
            double[] p = groupTop.get(k);
            String text = groupLabel(groups.get(k));
            double[][] candidates = around(p[0], p[1]);
            String placed = labels.place(text, 9, "#222", candidates);
            if (placed == null) {
                unplaced.add(text);
            } else {
                double[] at = labels.last();
                if (at[0] >= 8) { // placed away from its point: a thin line leads to it
                    sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" "
                            + "stroke-width=\"0.7\"/>%n", p[0], p[1] - 4, at[1], at[2] + 2));
                }
                sb.append(placed);
            }
        }
        int legend = 0;
        for (Map.Entry<String, String> e : color.entrySet()) {
            sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>%n", w - rr + 10, t + legend * 15, e.getValue(),
                    w - rr + 24, t + legend * 15 + 9, esc(e.getKey())));
            legend++;
        }
        // The roofs in the legend too (in the plot their labels would sit among the points): a line sample and the figures.
        legend++;
        for (Ceilings.Ceiling c : r.ceilings()) {
            double y = t + legend * 15 + 5;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#555\" stroke-dasharray=\"%s\"/>"
                            + "<text x=\"%d\" y=\"%.1f\" font-size=\"10\">roof, %d thread%s: %.0f GFLOP/s, %.1f GB/s</text>%n",
                    w - rr + 6, w - rr + 20, y, y, c.threads() == 1 ? "4,3" : "none", w - rr + 24, y + 4, c.threads(),
                    c.threads() == 1 ? "" : "s", c.fmaGflops(), c.copyGBs()));
            legend++;
        }
        for (Compare.DeviceCeiling d : r.deviceCeilings()) {
            double y = t + legend * 15 + 5;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-dasharray=\"2,3\"/>"
                            + "<text x=\"%d\" y=\"%.1f\" font-size=\"10\">roof, %s copy kernel: %.1f GB/s</text>%n",
                    w - rr + 6, w - rr + 20, y, y, deviceColor(d.backend(), color), w - rr + 24, y + 4, esc(d.backend()), d.copyGBs()));
            legend++;
        }
        sb.append("</svg>\n");
        sb.append("<p>Each point is one row (hover for its implementation, op, shape and figures); points at the same "
                + "intensity share one name. Roofs: the host's FMA loop and copy loop (dashed: one thread), and each device's copy kernel "
                + "(dotted), all measured over main memory (16M floats): a memory-bound row whose arrays fit a cache, or an op "
                + "that updates its arrays in place (half the traffic a copy's separate destination costs), can lie above its "
                + "roof; its \"of peak\" in the table is against a copy loop over its own footprint.");
        if (!unplaced.isEmpty()) {
            sb.append(" Names left off for room: ").append(esc(String.join("; ", unplaced))).append('.');
        }
        return sb.append("</p>\n").toString();
    }

    private static String deviceColor(String backend, Map<String, String> color) {
        return color.entrySet().stream().filter(e -> e.getKey().equals(backend)).map(Map.Entry::getValue).findFirst().orElse("#555");
    }

    /**
     * For ops measured at one size: each implementation's speed over the CPU backend's (the table's "vs cpu"), a bar
     * from 1× to the figure on a log scale, one row of bars per op.
     */
    private static String speedChart(Compare.Report r, List<String> ops, Map<String, String> color) {
        List<Row> bars = r.rows().stream().filter(x -> x.ok() && ops.contains(x.op()) && !x.backendOrAnchor().equals(Compare.REFERENCE)
                && Double.isFinite(x.speedupVsCpu()) && x.speedupVsCpu() > 0).toList();
        if (bars.isEmpty()) {
            return "<p>Only the CPU backend ran these ops: nothing to set against it.</p>\n";
        }
        double lo = Math.min(0.5, bars.stream().mapToDouble(Row::speedupVsCpu).min().orElse(1) / 1.3);
        double hi = Math.max(2, bars.stream().mapToDouble(Row::speedupVsCpu).max().orElse(1) * 1.3);
        int labelW = 260;
        int plotW = 460;
        int bar = 13;
        int top = 24;
        int height = top + bars.size() * bar + ops.size() * 6 + 30;
        int width = labelW + plotW + 90;
        java.util.function.DoubleUnaryOperator fx = v -> labelW + plotW * (Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo));
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\">"
                + "<title>speed against the CPU backend</title>%n", width, height));
        for (double v : new double[] {0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100}) {
            if (v < lo || v > hi) {
                continue;
            }
            double px = fx.applyAsDouble(v);
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"%s\"/>"
                    + "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%s×</text>%n", px, px, top - 6,
                    height - 24, v == 1 ? "#333" : "#eee", px, height - 10, num(v)));
        }
        double one = fx.applyAsDouble(1);
        sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"12\" font-size=\"11\" text-anchor=\"end\">← slower than the CPU "
                + "backend</text><text x=\"%.1f\" y=\"12\" font-size=\"11\">faster →</text>%n", one - 6, one + 6));
        double y = top;
        for (String op : ops) {
            List<Row> mine = bars.stream().filter(x -> x.op().equals(op)).toList();
            if (mine.isEmpty()) {
                continue;
            }
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\">%s %s</text>%n",
                    labelW - 6, y + 10, esc(op), esc(shortShape(mine.getFirst().shape()))));
            for (Row x : mine) {
                double x0 = fx.applyAsDouble(1);
                double x1 = fx.applyAsDouble(x.speedupVsCpu());
                sb.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\">"
                                + "<title>%s %s: %.2f× the CPU backend</title></rect>%n", Math.min(x0, x1), y + 1, Math.max(1, Math.abs(x1 - x0)),
                        bar - 3, color.get(x.impl()), esc(x.impl()), esc(op), x.speedupVsCpu()));
                sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"start\">%s %s</text>%n",
                        Math.max(x0, x1) + 4, y + bar - 3, esc(x.impl()), String.format(Locale.ROOT, "%.2f×", x.speedupVsCpu())));
                y += bar;
            }
            y += 6;
        }
        return sb.append("</svg>\n").toString();
    }

    private static void axes(StringBuilder sb, String yLabel, String xLabel) {
        sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>%n",
                L, H - B, W - R, H - B, L, T, L, H - B));
        sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>%n", (L + W - R) / 2, H - 10, xLabel));
        sb.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 14 %d)\">%s</text>%n",
                (T + H - B) / 2, (T + H - B) / 2, esc(yLabel)));
    }

    private static String num(double v) {
        if (v == 0) {
            return "0";
        }
        if (Math.abs(v) >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (Math.abs(v) >= 1) {
            return String.format(Locale.ROOT, "%.3g", v);
        }
        return String.format(Locale.ROOT, "%.2g", v);
    }

    static String esc(String s) {
        if (s == null) {
            return "";
        }
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
