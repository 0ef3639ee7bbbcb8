package dev.kengine.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Verdict: what both reports open with, computed from the rows")
class VerdictTest {

    @Test
    @DisplayName("the machine line names the processor's family and model, so that two machines of one name differ")
    void cpuFamilyAndModel() {
        List<String> zen4 = List.of("processor\t: 0", "vendor_id\t: AuthenticAMD", "cpu family\t: 25",
                "model\t\t: 17", "model name\t: AMD EPYC", "stepping\t: 1");
        assertEquals("AMD EPYC (family 25, model 17)", Compare.cpuModel(zen4, "amd64"));
        assertEquals("Some CPU", Compare.cpuModel(List.of("model name : Some CPU"), "amd64"));
        assertEquals("aarch64", Compare.cpuModel(List.of("processor : 0", "BogoMIPS : 50.00"), "aarch64"));
    }

    @Test
    @DisplayName("half-precision rows are set beside their float32 row of the same op, size and threads")
    void halfPrecisionBesideFloat32() {
        List<Row> extra = List.of(
                Fixtures.elementwise("cpu(2t)", "cpu", 2, "act_sigmoid", 1 << 22, 4e-4, 0.8, 1),
                Fixtures.elementwise("cpu(2t)", "cpu", 2, "act_sigmoid_bf16", 1 << 22, 2.5e-4, 0.5, 1),
                Fixtures.elementwise("cpu(2t)", "cpu", 2, "act_sigmoid_fp16", 1 << 22, 8e-4, 0.3, 1),
                Fixtures.elementwise("cpu(1t)", "cpu", 1, "act_gelu_bf16", 1 << 22, 1e-3, 0.3, 1),
                Fixtures.elementwise("opencl", "opencl", 0, "act_sigmoid_bf16", 1 << 22, 1e-2, 0.1, 0.03));
        Compare.Report r = Fixtures.report(Fixtures.machine(2, "0.5", "0.5"), extra);
        String h = Verdict.halfPrecisionHeadline(r);
        assertNotNull(h);
        assertTrue(h.contains("act_sigmoid bf16 1.60× (4194304, 2t)"), h);
        assertTrue(h.contains("act_sigmoid fp16 0.50× (4194304, 2t)"), h);
        assertFalse(h.contains("act_gelu"), "no float32 row of act_gelu to set it beside: " + h);
        assertEquals(1, h.split("act_sigmoid bf16").length - 1, "the OpenCL row is not the CPU backend's: " + h);
        assertNull(Verdict.halfPrecisionHeadline(Fixtures.report(Fixtures.machine(2, "0.5", "0.5"), List.of())));
    }

    @Test
    @DisplayName("a half-precision row timed in alternation with its float32 op states that ratio, not the medians'")
    void halfPrecisionFromTheAlternation() {
        Row f32 = Fixtures.elementwise("cpu(2t)", "cpu", 2, "act_sigmoid", 1 << 22, 4e-4, 0.8, 1);
        Row bf16 = Fixtures.elementwise("cpu(2t)", "cpu", 2, "act_sigmoid_bf16", 1 << 22, 2.5e-4, 0.5, 1);
        // In alternation the float32 op took 3.0e-4 s and the bf16 one 2.0e-4 (1.50×); the medians alone say 1.60×.
        Alternation a = new Alternation(Fixtures.timing(2.0e-4), Fixtures.timing(3.0e-4), 1.5);
        Compare.Report r = Fixtures.report(Fixtures.machine(2, "0.5", "0.5"), List.of(f32, bf16.withAlternation(a)));
        String h = Verdict.halfPrecisionHeadline(r);
        assertTrue(h.contains("act_sigmoid bf16 1.50× (4194304, 2t)"), h);
        // The half row's "vs cpu" stays its own (1.00): its alternation is with float32, not with the CPU backend.
        Row half = bf16.withAlternation(a);
        assertEquals(1.0, 1 / Targets.cpuOver(half, half), 1e-12);
        assertEquals("act_sigmoid", Compare.halfBase("act_sigmoid_bf16"));
        assertEquals("matmul", Compare.halfBase("matmul_fp16"));
        assertNull(Compare.halfBase("matmul"));
    }

    @Test
    @DisplayName("headlines state the ratios the rows and targets hold, never fixed text")
    void headlinesAreComputedFromTheRows() {
        Verdict v = Verdict.of(Fixtures.report());
        String all = String.join("\n", v.headlines());
        assertTrue(all.contains("CPU matmul at 1024x1024x1024: 0.95× OpenBLAS, 2.50× netlib on 1 thread; "
                + "1.05× OpenBLAS, 1.90× netlib on 2 threads"), all);
        assertTrue(all.contains("over all 2 sizes: 0.95–1.05× OpenBLAS, 1.90–2.50× netlib"), all);
        assertTrue(all.contains("opencl on its device: 0.12× the CPU backend on 2 threads (geometric mean over 3 rows"), all);
        assertTrue(all.contains("Checks: all 17 measured rows agree with their reference (6 against the float64 oracle"), all);
        assertTrue(v.answer().startsWith("Use the CPU backend on this machine: the other backends run slower here overall (opencl at 0.12×"),
                v.answer());

        // Other figures give other sentences: OpenCL three times faster on every row.
        Compare.Report fast = Fixtures.report();
        List<Row> rows = fast.rows().stream().map(r -> r.backendOrAnchor().equals("opencl") ? r.withSpeedup(3.0) : r).toList();
        Verdict f = Verdict.of(new Compare.Report(fast.machine(), fast.ceilings(), fast.deviceCeilings(), fast.backends(),
                fast.anchors(), rows, fast.targets(), fast.training(), false, 1));
        assertTrue(f.answer().startsWith("For these ops opencl is the fastest backend on this machine: 3.00× the CPU backend's"),
                f.answer());

        // Slower overall but faster on some rows: the answer says on which.
        List<Row> mixed = fast.rows().stream().map(r -> r.backendOrAnchor().equals("opencl")
                ? r.withSpeedup(r.op().equals("act_relu") ? 1.4 : 0.1) : r).toList();
        Verdict m = Verdict.of(new Compare.Report(fast.machine(), fast.ceilings(), fast.deviceCeilings(), fast.backends(),
                fast.anchors(), mixed, fast.targets(), fast.training(), false, 1));
        assertTrue(m.answer().contains("slower here overall") && m.answer().contains(", though opencl is faster on 1 of its 3 rows (act_relu)."),
                m.answer());
    }

    @Test
    @DisplayName("every target with a verdict is listed, met or missed, with its ratio; the rest are counted")
    void targetsMetAndMissed() {
        Verdict v = Verdict.of(Fixtures.report());
        assertEquals(8, v.targets().size());
        assertEquals(1, v.targets().stream().filter(t -> !t.met()).count());
        Verdict.TargetLine missed = v.targets().stream().filter(t -> !t.met()).findFirst().orElseThrow();
        assertEquals("matmul vs netlib pure Java", missed.what());
        assertEquals(1.9, missed.ratio(), 1e-12);
        assertEquals("7 of 8 targets met (1 missed)", v.targetSummary());
        assertNotNull(v.unjudged(), "the 4M elementwise ratio has no target");
        String text = TextReport.write(Fixtures.report());
        assertTrue(text.contains("    MISSED  matmul vs netlib pure Java 1024x1024x1024, 2 threads: 1.90 (target 2.00)"), text);
        assertTrue(text.contains("    met     matmul vs OpenBLAS 1024x1024x1024, 2 threads: 1.05 (target 0.90)"), text);
        assertTrue(v.answer().contains("CPU backend targets: 7 of 8 met."), v.answer());
    }

    @Test
    @DisplayName("ratios without a target are counted by reason; a failed anchor row is a missed target; disagreeing peers are said")
    void reasonsFailuresAndDisagreeingPeers() {
        Row peer = Fixtures.elementwise("pytorch(2t)", "pytorch", 2, "act_relu", 1L << 22, 0.5e-3, 0.9, 1.2);
        Row wrongPeer = new Row(peer.impl(), "peer", peer.backendOrAnchor(), peer.threads(), peer.op(), peer.family(),
                peer.size(), peer.shape(), peer.bound(), peer.timing(), peer.flops(), peer.bytes(), peer.throughput(),
                peer.unit(), peer.fractionOfCeiling(), peer.speedupVsCpu(), 0.2, "cpu reference", false, null,
                Double.NaN, Double.NaN, Double.NaN, null);
        Row blas = Fixtures.matmul("openblas(1t)", "openblas", 1, 256, 1e-3, 1, null);
        Row failedBlas = new Row(blas.impl(), blas.kind(), blas.backendOrAnchor(), 1, "matmul", "matmul", 2048, "2048x2048x2048",
                "compute", blas.timing(), blas.flops(), blas.bytes(), Double.NaN, "GFLOP/s", Double.NaN, Double.NaN, Double.NaN,
                "none", false, "IllegalStateException: the library died", Double.NaN, Double.NaN, Double.NaN, null);
        List<Row> extra = List.of(Fixtures.matmul("cpu(1t)", "cpu", 1, 256, 1e-3, 1, null), blas,
                Fixtures.matmul("cpu(1t)", "cpu", 1, 2048, 1e-1, 1, null), failedBlas, wrongPeer);
        Compare.Report r = Fixtures.report(Fixtures.machine(2, "0.5", "0.5"), extra);
        Verdict v = Verdict.of(r);
        assertTrue(v.unjudged().contains("1: the targets apply at 16M floats") && v.unjudged().contains(
                "1: no target is set at that size or thread count"), v.unjudged());
        Verdict.TargetLine notMeasured = v.targets().stream().filter(t -> t.shape().equals("2048x2048x2048")).findFirst()
                .orElseThrow();
        assertFalse(notMeasured.met());
        assertTrue(notMeasured.describe().contains("not measured (target 0.90); not measured: openblas(1t) failed: "
                + "IllegalStateException: the library died"), notMeasured.describe());
        assertTrue(v.answer().contains("1 peer row disagrees with the reference and is left out of the peer ratios."),
                v.answer());
    }

    @Test
    @DisplayName("the roofline's legend fits its 900-pixel chart, however long a roof's figures")
    void rooflineLegendFits() {
        String html = HtmlReport.html(Fixtures.report());
        Matcher m = Pattern.compile("<text x=\"(\\d+)\" y=\"[^\"]*\" font-size=\"10\">(roof, [^<]*)</text>").matcher(html);
        int found = 0;
        while (m.find()) {
            found++;
            int x = Integer.parseInt(m.group(1));
            // About 0.6 em a character at font size 10.
            assertTrue(x + 6 * m.group(2).length() <= 900, "'" + m.group(2) + "' at x " + x + " runs past the chart");
        }
        assertTrue(found >= 2, "the roofs are in the legend");
    }

    @Test
    @DisplayName("the load average at the start and the end, with a warning only when it exceeds the cores")
    void loadWarning() {
        Verdict calm = Verdict.of(Fixtures.report());
        assertNull(calm.loadWarning());
        assertEquals(0.5, calm.loadStart().one());
        assertEquals(0.7, calm.loadEnd().one());
        assertTrue(calm.loadLine().contains("0.50 at the start, 0.70 at the end"), calm.loadLine());

        Compare.Report busy = Fixtures.report(Fixtures.machine(2, "1.20 1.00 0.90 3/100 1", "3.40 2.00 1.00 5/100 2"), List.of());
        Verdict v = Verdict.of(busy);
        assertNotNull(v.loadWarning());
        assertTrue(v.loadWarning().contains("3.40 on 2 cores"), v.loadWarning());
        assertTrue(v.answer().contains("loaded machine"), v.answer());
        String text = TextReport.write(busy);
        assertTrue(text.contains("  WARNING   the load average reached 3.40"), text);
        String html = HtmlReport.html(busy);
        assertTrue(html.contains("<p class=\"warn\"><b>Warning:</b> the load average reached 3.40"), html);
        // Exactly at the core count is no warning; an unreadable /proc/loadavg is said as unknown.
        assertNull(Verdict.loadWarning(new Verdict.Load(2, 2, 2), null, 2, Double.NaN));
        Verdict unknown = Verdict.of(Fixtures.report(Fixtures.machine(2, "unknown", "unknown"), List.of()));
        assertNull(unknown.loadWarning());
        assertTrue(unknown.loadLine().contains("unknown"));

        // Other processes' share of the cores during the run, measured from /proc/stat: warned about above half a core
        // even where the load averages at the ends look calm.
        java.util.Map<String, Object> m = Fixtures.machine(2, "0.50 0.40 0.30 1/100 123", "0.70 0.50 0.30 1/100 456");
        m.put("other_processes_cores", 0.93);
        Verdict shared = Verdict.of(Fixtures.report(m, List.of()));
        assertNotNull(shared.loadWarning());
        assertTrue(shared.loadWarning().startsWith("other processes used 0.93 of the 2 cores on average during the run"),
                shared.loadWarning());
        assertTrue(shared.loadLine().contains("other processes used 0.93 cores on average during the run"), shared.loadLine());
        m.put("other_processes_cores", 0.2);
        assertNull(Verdict.of(Fixtures.report(m, List.of())).loadWarning());
        Compare.CpuTimes a = new Compare.CpuTimes(1000, 300, 0);
        Compare.CpuTimes b = new Compare.CpuTimes(1300, 450, 2_000_000_000L); // 3 s busy, 1.5 s ours, over 2 s
        assertEquals(0.75, b.othersSince(a), 1e-12);
    }

    @Test
    @DisplayName("both reports open with the verdict, the details after it")
    void verdictComesFirst() {
        Compare.Report r = Fixtures.report();
        String text = TextReport.write(r);
        assertTrue(text.startsWith("kengine compare: verdict\n  Use the CPU backend"), text);
        assertTrue(text.indexOf("machine   Test CPU 9000, 2 cores") < text.indexOf("\ndetails\n"));
        assertTrue(text.indexOf("headlines") < text.indexOf("ceilings (measured now)"));
        String html = HtmlReport.html(r);
        int verdict = html.indexOf("<section id=\"verdict\">");
        assertTrue(verdict > 0 && verdict < html.indexOf("<h2>Details</h2>") && verdict < html.indexOf("Ceilings measured"));
        assertTrue(html.indexOf("Test CPU 9000, 2 cores") < html.indexOf("<h2>Details</h2>"));
        String json = JsonReport.write(r);
        var root = (java.util.Map<?, ?>) new MiniJsonParser(json).parse();
        var verdictJson = (java.util.Map<?, ?>) root.get("verdict");
        assertEquals(7, ((Number) verdictJson.get("targets_met")).intValue());
        assertEquals(8, ((Number) verdictJson.get("targets_with_verdict")).intValue());
    }

    private static final Pattern TAG_WITH_TWO_CLASSES = Pattern.compile("<[a-z]+[^>]*\\sclass=[^>]*\\sclass=");

    @Test
    @DisplayName("HTML: one class attribute per element, and a missed target's cell is red")
    void oneClassAttribute() {
        String html = HtmlReport.html(Fixtures.report());
        Matcher m = TAG_WITH_TWO_CLASSES.matcher(html);
        assertFalse(m.find(), () -> "two class attributes: " + m.group());
        assertTrue(html.contains("<td class=\"l bad\">missed</td>"), "the verdict's missed target");
        assertTrue(html.contains("<td class=\"l good\">met</td>"));
        assertTrue(html.contains(".bad{color:#b00"), "bad is styled red");
        // The details' target table too: one attribute with both classes.
        int targets = html.indexOf("<h2>Targets</h2>");
        assertTrue(html.indexOf("<td class=\"l bad\">missed</td>", targets) > targets);
        assertEquals("<td class=\"l bad\">x &lt; y</td>", HtmlReport.td("l bad", "x < y"));
        assertEquals("<td>1</td>", HtmlReport.td(null, "1"));
    }

    private static final Pattern PERCENT = Pattern.compile("(\\d+)%(\\*?)");

    @Test
    @DisplayName("of peak: over 100 % is marked and explained, never silent")
    void ofPeakNeverSilentlyOver100() {
        Row hot = Fixtures.elementwise("cpu(2t)", "cpu", 2, "act_elu", 1L << 22, 0.5e-3, 1.3, 1.0);
        Compare.Report r = Fixtures.report(Fixtures.machine(2, "0.1 0.1 0.1 1/1 1", "0.1 0.1 0.1 1/1 1"), List.of(hot));
        String text = TextReport.write(r);
        assertTrue(text.contains(" 130%* "), text);
        assertTrue(text.contains(TextReport.OVER_LEGEND), "the legend says why");
        for (String line : text.split("\n")) {
            if (!line.startsWith("act_") && !line.startsWith("matmul ")) {
                continue;
            }
            Matcher m = PERCENT.matcher(line);
            while (m.find()) {
                if (Integer.parseInt(m.group(1)) > 100) {
                    assertEquals("*", m.group(2), line);
                }
            }
        }
        String html = HtmlReport.html(r);
        assertTrue(html.contains("<td>130%*</td>"), "the HTML cell is marked");
        assertTrue(html.contains(HtmlReport.esc(TextReport.OVER_LEGEND)));

        // Without such a row, no mark and no legend.
        String calm = TextReport.write(Fixtures.report());
        assertFalse(calm.contains(TextReport.OVER_LEGEND));
        assertEquals("100%", TextReport.percent(1.0));
        assertEquals("101%*", TextReport.percent(1.01));
        assertEquals("-", TextReport.percent(Double.NaN));
    }

    @Test
    @DisplayName("one figure per pair: an anchor row's vs cpu is the reciprocal of its target's ratio")
    void oneFigurePerPair() {
        Compare.Report r = Fixtures.report();
        for (var t : r.targets()) {
            String what = (String) t.get("what");
            if (!what.startsWith("matmul vs")) {
                continue;
            }
            String anchor = what.contains("OpenBLAS") ? "openblas" : "netlib-java";
            Row cpu = r.rows().stream().filter(x -> x.backendOrAnchor().equals("cpu") && x.op().equals("matmul")
                    && x.size() == (Long) t.get("size") && x.threads() == (Integer) t.get("threads")).findFirst().orElseThrow();
            Row a = r.rows().stream().filter(x -> x.backendOrAnchor().equals(anchor) && x.op().equals("matmul")
                    && x.size() == cpu.size() && x.threads() == cpu.threads()).findFirst().orElseThrow();
            // The rows' medians alone would say otherwise (the fixture's anchor medians are 10 % off the alternation).
            assertEquals((Double) t.get("ratio"), Targets.cpuOver(cpu, a), 1e-12, what);
            assertEquals(1.0, (Double) t.get("ratio") * (1 / Targets.cpuOver(cpu, a)), 1e-12);
        }
    }

    @Test
    @DisplayName("charts: throughput against size only for ops with several sizes; labels never overlap")
    void charts() {
        String html = HtmlReport.html(Fixtures.report());
        assertTrue(html.contains("<title>matmul: GFLOP/s against size</title>"), "matmul ran at 512 and 1024");
        assertFalse(html.contains("act_relu: GB/s against size"), "act_relu ran at one size");
        assertTrue(html.contains("<title>speed against the CPU backend</title>"), "one-size ops: their speed against the CPU");
        assertTrue(html.contains(">matmul 1024³</text>"), "the roofline names its points");

        // Points at one intensity share a name: each kind once, with its count; too long, the others by family.
        List<Row> forward = List.of(Fixtures.elementwise("cpu(1t)", "cpu", 1, "act_relu", 1L << 22, 1e-3, 0.5, 1),
                Fixtures.elementwise("cpu(1t)", "cpu", 1, "act_gelu", 1L << 22, 1e-3, 0.5, 1),
                Fixtures.elementwise("cpu(2t)", "cpu", 2, "act_gelu", 1L << 22, 1e-3, 0.5, 1));
        assertEquals("act_* ×2 4194304", HtmlReport.groupLabel(forward));
        assertEquals("matmul 512³", HtmlReport.groupLabel(List.of(Fixtures.matmul("cpu(1t)", "cpu", 1, 512, 1, 1, null))));
        List<Row> mixed = new java.util.ArrayList<>();
        for (String op : new String[] {"act_relu_backward", "act_elu_backward", "dropout", "dropout_backward"}) {
            Row x = Fixtures.elementwise("cpu(1t)", "cpu", 1, op, 1L << 22, 1e-3, 0.5, 1);
            mixed.add(new Row(x.impl(), x.kind(), x.backendOrAnchor(), x.threads(), x.op(), op.startsWith("act") ? "activation"
                    : "dropout", x.size(), "4M", x.bound(), x.timing(), x.flops(), x.bytes(), x.throughput(), x.unit(),
                    x.fractionOfCeiling(), x.speedupVsCpu(), x.maxRelError(), x.checkedAgainst(), x.checkPassed(), x.error(),
                    x.interleavedCopyGBs(), x.interleavedOpGBs(), x.interleavedFraction(), x.alternation()));
        }
        assertEquals("act_*_backward ×2, dropout ×2 4M", HtmlReport.groupLabel(mixed));

        HtmlReport.Labels labels = new HtmlReport.Labels(0, 0, 400, 300);
        int placed = 0;
        for (int i = 0; i < 30; i++) {
            if (labels.place("label " + i, 10, "#000", new double[][] {{100, 100, 0}, {100, 114, 0}, {100, 128, 0},
                {100, 86, 0}, {220, 100, 0}}) != null) {
                placed++;
            }
        }
        assertEquals(5, placed, "five free positions, five labels; the rest left off");
        List<double[]> boxes = labels.boxes();
        for (int i = 0; i < boxes.size(); i++) {
            for (int j = i + 1; j < boxes.size(); j++) {
                double[] a = boxes.get(i);
                double[] b = boxes.get(j);
                assertFalse(a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3], "boxes " + i + " and " + j + " overlap");
            }
        }
    }
}
