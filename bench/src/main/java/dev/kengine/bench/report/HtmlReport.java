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
                .append("body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;font-size:13px}")
                .append("td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td.l,th.l{text-align:left}")
                .append(".charts{display:flex;flex-wrap:wrap;gap:12px}.bad{color:#b00;font-weight:bold}svg{background:#fff;border:1px solid #ddd}")
                .append("</style></head><body>\n<h1>kengine compare").append(r.quick() ? " (quick)" : "").append("</h1>\n<p>");
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
        sb.append("<h2>Backends and anchors</h2><ul>\n");
        for (BackendInfo b : r.backends()) {
            sb.append("<li><b>").append(esc(b.name())).append("</b>: ").append(b.available()
                    ? "available on " + esc(b.capabilities() == null ? "?" : b.capabilities().deviceName())
                    : "unavailable: " + esc(b.reason())).append("</li>\n");
        }
        for (Map<String, Object> a : r.anchors()) {
            sb.append("<li><b>").append(esc(String.valueOf(a.get("name")))).append("</b> (anchor): ")
                    .append(esc(String.valueOf(Boolean.TRUE.equals(a.get("present")) ? "present: " + a.get("implementation")
                            : a.get("reason")))).append("</li>\n");
        }
        sb.append("</ul>\n<h2>Roofline</h2>\n").append(roofline(r, color));
        sb.append("\n<h2>Throughput against size</h2>\n<div class=\"charts\">\n");
        Set<String> ops = new LinkedHashSet<>(r.rows().stream().map(Row::op).toList());
        for (String op : ops) {
            List<Row> rows = r.rows().stream().filter(x -> x.op().equals(op) && x.ok()).toList();
            if (!rows.isEmpty()) {
                sb.append(sizeChart(op, rows, color));
            }
        }
        sb.append("</div>\n<h2>All measurements</h2>\n<table><tr><th class=l>op</th><th class=l>shape</th><th class=l>implementation</th>"
                + "<th>median ms</th><th>min ms</th><th>max ms</th><th>throughput</th><th class=l>unit</th><th>of ceiling</th>"
                + "<th>vs cpu</th><th>max rel err</th><th class=l>check</th></tr>\n");
        for (Row x : r.rows()) {
            if (!x.ok()) {
                sb.append("<tr><td class=l>").append(esc(x.op())).append("</td><td class=l>").append(esc(x.shape()))
                        .append("</td><td class=l>").append(esc(x.impl())).append("</td><td class=l colspan=9>")
                        .append(esc(x.error())).append("</td></tr>\n");
                continue;
            }
            sb.append(String.format(Locale.ROOT,
                    "<tr><td class=l>%s</td><td class=l>%s</td><td class=l style=\"color:%s\">%s</td><td>%s</td><td>%s</td><td>%s</td>"
                            + "<td>%.2f</td><td class=l>%s</td><td>%s</td><td>%s</td><td>%s</td><td class=l%s>%s</td></tr>%n",
                    esc(x.op()), esc(x.shape()), color.get(x.impl()), esc(x.impl()), TextReport.ms(x.timing().median()),
                    TextReport.ms(x.timing().min()), TextReport.ms(x.timing().max()), x.throughput(), x.unit(),
                    TextReport.percent(x.fractionOfCeiling()), Double.isNaN(x.speedupVsCpu()) ? "" : String.format(Locale.ROOT, "%.2f×", x.speedupVsCpu()),
                    Double.isNaN(x.maxRelError()) ? "" : String.format(Locale.ROOT, "%.1e", x.maxRelError()),
                    !Double.isNaN(x.maxRelError()) && !x.checkPassed() ? " class=bad" : "",
                    esc((Double.isNaN(x.maxRelError()) ? "unchecked" : x.checkPassed() ? "ok" : "mismatch") + " vs " + x.checkedAgainst())));
        }
        sb.append("</table>\n");
        if (!r.targets().isEmpty()) {
            sb.append("<h2>Targets</h2><table><tr><th class=l>what</th><th>size</th><th>threads</th><th>ratio</th><th>target</th><th class=l>met</th><th class=l>measured</th></tr>\n");
            for (Map<String, Object> t : r.targets()) {
                Object met = t.get("met");
                sb.append(String.format(Locale.ROOT, "<tr><td class=l>%s</td><td>%s</td><td>%s</td><td>%.2f</td><td>%s</td><td class=l%s>%s</td><td class=l>%s</td></tr>%n",
                        esc(String.valueOf(t.get("what"))), t.get("size"), t.get("threads"), (Double) t.get("ratio"),
                        Double.isNaN((Double) t.get("target")) ? "" : String.format(Locale.ROOT, "%.2f", (Double) t.get("target")),
                        Boolean.FALSE.equals(met) ? " class=bad" : "", met == null ? "" : (Boolean) met ? "met" : "missed",
                        esc(TextReport.alongside(t))));
            }
            sb.append("</table>\n");
        }
        training(sb, r.training());
        sb.append(String.format(Locale.ROOT, "<p>Took %.0f s. Throughput: GFLOP/s for compute-bound ops, GB/s of compulsory traffic "
                + "for memory-bound ones; the ceiling is the FMA loop or the copy loop at the row's thread count.</p>%n</body></html>%n", r.seconds()));
        return sb.toString();
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

    /** Throughput against size (log scale) for one op, a line per implementation. */
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
            String[] parts = label.split("x");
            if (parts.length == 3 && parts[0].equals(parts[1]) && parts[1].equals(parts[2])) {
                label = parts[0] + "³"; // a cube n×n×n reads as n³, which keeps neighbouring ticks apart
            }
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

    /** Every measurement as (flops per byte, GFLOP/s) under the roofs min(FMA peak, intensity × copy bandwidth). */
    private static String roofline(Compare.Report r, Map<String, String> color) {
        int w = 760;
        int h = 420;
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
        int rr = 150;
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
        for (double g = 0.1; g <= peak * 2; g *= 10) {
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
        for (Ceilings.Ceiling c : r.ceilings()) {
            double knee = c.fmaGflops() / c.copyGBs();
            double a0 = Math.pow(10, xlo);
            double a1 = Math.pow(10, xhi);
            sb.append(String.format(Locale.ROOT, "<polyline points=\"%.1f,%.1f %.1f,%.1f %.1f,%.1f\" fill=\"none\" stroke=\"#555\" stroke-dasharray=\"%s\"/>"
                            + "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">%d thread%s: %.0f GFLOP/s, %.1f GB/s</text>%n",
                    fx.applyAsDouble(a0), fy.applyAsDouble(a0 * c.copyGBs()), fx.applyAsDouble(knee), fy.applyAsDouble(c.fmaGflops()),
                    fx.applyAsDouble(a1), fy.applyAsDouble(c.fmaGflops()), c.threads() == 1 ? "4,3" : "none",
                    fx.applyAsDouble(knee) + 4, fy.applyAsDouble(c.fmaGflops()) - 4, c.threads(), c.threads() == 1 ? "" : "s",
                    c.fmaGflops(), c.copyGBs()));
        }
        for (Compare.DeviceCeiling d : r.deviceCeilings()) {
            // A device's bandwidth roof only: no compute ceiling is measured for devices.
            double a0 = Math.pow(10, xlo);
            double a1 = Math.min(Math.pow(10, xhi), Math.pow(10, yhi) / d.copyGBs());
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-dasharray=\"2,3\"/>"
                            + "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\">%s copy %.0f GB/s</text>%n",
                    fx.applyAsDouble(a0), fy.applyAsDouble(a0 * d.copyGBs()), fx.applyAsDouble(a1), fy.applyAsDouble(a1 * d.copyGBs()),
                    color.getOrDefault(d.backend(), "#555"), fx.applyAsDouble(a0) + 4, fy.applyAsDouble(a0 * d.copyGBs()) - 4,
                    esc(d.backend()), d.copyGBs()));
        }
        int legend = 0;
        for (Map.Entry<String, String> e : color.entrySet()) {
            for (Row x : r.rows()) {
                if (!x.ok() || !x.impl().equals(e.getKey()) || x.bytes() <= 0) {
                    continue;
                }
                double ai = x.flops() / x.bytes();
                if (ai < Math.pow(10, xlo) || ai > Math.pow(10, xhi)) {
                    continue;
                }
                sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\" fill-opacity=\"0.75\">"
                                + "<title>%s %s %s: %.2f GFLOP/s, %.2f GB/s</title></circle>%n",
                        fx.applyAsDouble(ai), fy.applyAsDouble(x.gflops()), e.getValue(), esc(x.impl()), esc(x.op()),
                        esc(x.shape()), x.gflops(), x.gbs()));
            }
            sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>%n", w - rr + 10, t + legend * 15, e.getValue(),
                    w - rr + 24, t + legend * 15 + 9, esc(e.getKey())));
            legend++;
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
