package dev.kengine.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.BackendInfo;
import dev.kengine.Engine;
import dev.kengine.bench.OpDescriptor;
import dev.kengine.bench.Ops;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report itself, on tiny sizes with next to no timing: one run shared by every test. */
class CompareTest {
    static Compare.Report report;
    static String stderr;
    static List<BackendInfo> infos;
    /** The run's work folders left in java.io.tmpdir: none (two runs at once never share one, none outlives its run). */
    static List<String> workLeft;

    @BeforeAll
    static void runOnce() throws java.io.IOException {
        java.util.Set<String> before = workFolders();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        // Every op, every backend on the class path; the CPU anchors too (each absent one must only be reported).
        report = new Compare(Compare.Options.parse("--tiny", "--threads", "1,2", "--no-html"),
                new PrintStream(err, true, StandardCharsets.UTF_8)).run();
        stderr = err.toString(StandardCharsets.UTF_8);
        infos = Engine.explain();
        workLeft = workFolders().stream().filter(f -> !before.contains(f)).toList();
    }

    private static java.util.Set<String> workFolders() throws java.io.IOException {
        try (var s = java.nio.file.Files.list(java.nio.file.Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("kengine-compare-"))
                    .collect(java.util.stream.Collectors.toSet());
        }
    }

    @Test
    void theRunsWorkFolderIsRemoved() {
        assertEquals(List.of(), workLeft, "kengine-compare-* folders left by the run");
    }

    @Test
    void jsonIsValidAndHasEveryAvailableBackendAndOp() {
        String json = JsonReport.write(report);
        Object parsed = new MiniJsonParser(json).parse();
        assertTrue(parsed instanceof java.util.Map<?, ?>);
        var root = (java.util.Map<?, ?>) parsed;
        var rows = (List<?>) root.get("rows");
        for (BackendInfo b : infos) {
            if (!b.available()) {
                continue;
            }
            for (OpDescriptor d : Ops.all()) {
                boolean found = rows.stream().map(r -> (java.util.Map<?, ?>) r)
                        .anyMatch(r -> b.name().equals(r.get("name")) && d.name().equals(r.get("op")));
                assertTrue(found, "row for backend " + b.name() + " and op " + d.name());
            }
        }
        for (Object r : rows) {
            var row = (java.util.Map<?, ?>) r;
            if ("cpu".equals(row.get("name"))) {
                assertEquals(null, row.get("error"), "cpu row " + row.get("op") + " failed");
                assertTrue(((Number) ((java.util.Map<?, ?>) row.get("timing")).get("median_s")).doubleValue() > 0);
                assertEquals(Boolean.TRUE, row.get("check_passed"), "cpu " + row.get("op") + " agrees with its reference");
            }
        }
        assertEquals(infos.stream().filter(BackendInfo::available).count(), ((List<?>) root.get("training")).size(),
                "without --ops the training section runs on every available backend");
        assertEquals(2, ((List<?>) root.get("ceilings")).size(), "a ceiling per thread count");
        assertTrue(((List<?>) root.get("anchors")).size() >= 2, "openblas and netlib-java are always listed");
    }

    @Test
    void copyBandwidthTargetsUseTheCopyLoopMeasuredAlongside() {
        // The CPU backend's memory-bound rows at the most threads carry the copy loop measured in alternation with
        // the op, and the targets judge them against it.
        long withCopy = report.rows().stream().filter(r -> r.ok() && r.backendOrAnchor().equals(Compare.REFERENCE)
                && r.bound().equals("memory") && r.threads() == 2).peek(r -> {
                    assertTrue(r.interleavedCopyGBs() > 0, r.op() + " copy loop alongside");
                    assertTrue(r.interleavedFraction() > 0 && Double.isFinite(r.interleavedFraction()), r.op());
                }).count();
        assertTrue(withCopy >= 20, "every memory-bound op at two threads: " + withCopy);
        assertTrue(report.rows().stream().filter(r -> r.ok() && r.threads() == 1)
                .allMatch(r -> Double.isNaN(r.interleavedFraction())), "one-thread rows are not targets");
        var copyTargets = report.targets().stream().filter(t -> ((String) t.get("what")).endsWith("vs copy bandwidth")).toList();
        assertTrue(!copyTargets.isEmpty());
        for (var t : copyTargets) {
            // --tiny's 4096 floats are below the 16M: reported, with the reason there is no verdict.
            assertEquals(null, t.get("met"), t.toString());
            assertTrue(String.valueOf(t.get("no_target")).contains("16M"), t.toString());
            assertTrue(t.get("copy_loop_gbs_alongside") instanceof Double d && d > 0, t.toString());
            assertTrue(t.get("op_gbs_alongside") instanceof Double d && d > 0, t.toString());
            // The ratio is the median of the pairs' ratios, the same number the row carries.
            Row cpu = report.rows().stream().filter(r -> r.ok() && r.backendOrAnchor().equals(Compare.REFERENCE)
                    && r.op().equals(t.get("op")) && r.size() == (Long) t.get("size") && r.threads() == 2).findFirst().orElseThrow();
            assertEquals(cpu.interleavedFraction(), (Double) t.get("ratio"), 0.0, t.toString());
            assertEquals(cpu.interleavedOpGBs(), (Double) t.get("op_gbs_alongside"), 0.0, t.toString());
        }
        assertTrue(TextReport.write(report).contains("[in alternation: op "));
    }

    @Test
    void matmulTargetsComeFromTheAlternation() {
        // Every present CPU anchor's matmul row carries its alternation with the CPU backend at the same thread
        // count, and the matmul targets take their ratio from it.
        var anchorRows = report.rows().stream().filter(r -> r.ok() && r.kind().equals("anchor") && r.threads() > 0
                && r.op().equals(Targets.ALTERNATED_OP)).toList();
        for (Row r : anchorRows) {
            assertNotNull(r.alternation(), r.impl() + " " + r.shape());
            assertTrue(r.alternation().cpu().repetitions() >= 3);
            assertTrue(r.alternation().ratio() > 0 && Double.isFinite(r.alternation().ratio()));
        }
        var matmulTargets = report.targets().stream().filter(t -> ((String) t.get("what")).startsWith("matmul vs")).toList();
        assertEquals(anchorRows.size(), matmulTargets.size(), "a target per anchor row");
        for (var t : matmulTargets) {
            Row anchor = anchorRows.stream().filter(r -> ((String) t.get("what")).contains(r.backendOrAnchor().equals("openblas")
                    ? "OpenBLAS" : "netlib") && r.threads() == (Integer) t.get("threads")).findFirst().orElseThrow();
            assertEquals(anchor.alternation().ratio(), (Double) t.get("ratio"), 1e-12, t.toString());
            assertTrue(t.get("anchor_gflops_alongside") instanceof Double d && d > 0, t.toString());
        }
        if (!anchorRows.isEmpty()) {
            assertTrue(TextReport.write(report).contains("[in alternation, "), "the text names the alternation");
            assertTrue(JsonReport.write(report).contains("\"alternation_with_cpu\""));
        }
    }

    @Test
    void unavailableBackendsAppearWithTheirReason() {
        String json = JsonReport.write(report);
        assertTrue(json.contains("\"name\": \"" + UnavailableTestProvider.NAME + "\""));
        assertTrue(json.contains(UnavailableTestProvider.REASON));
        String text = TextReport.write(report);
        assertTrue(text.contains(UnavailableTestProvider.NAME + " "), text);
        assertTrue(text.contains("unavailable: " + UnavailableTestProvider.REASON), text);
        assertTrue(stderr.contains("unavailable: " + UnavailableTestProvider.REASON), stderr);
    }

    @Test
    void anchorsArePresentOrSayWhyNot() {
        for (var a : report.anchors()) {
            if (!Boolean.TRUE.equals(a.get("present"))) {
                assertTrue(String.valueOf(a.get("reason")).startsWith("not present: "), a.toString());
            } else {
                assertNotNull(a.get("implementation"));
            }
        }
    }

    @Test
    void clblastSkippedByQuickSaysSoNotAbsent() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        // With no --backends: a CLBlast named there is measured under --quick too.
        Compare.Report r = new Compare(Compare.Options.parse("--tiny", "--quick", "--ops", "matmul", "--no-peers",
                "--threads", "1", "--no-html"), new PrintStream(err, true, StandardCharsets.UTF_8)).run();
        var clblast = r.anchors().stream().filter(a -> "clblast".equals(a.get("name"))).findFirst().orElseThrow();
        assertEquals(Boolean.TRUE, clblast.get("skipped"));
        String reason = String.valueOf(clblast.get("reason"));
        assertTrue(reason.startsWith("skipped because of --quick"), reason);
        assertFalse(reason.contains("not present"), reason);
        String text = TextReport.write(r);
        assertTrue(text.contains("clblast      anchor  skipped because of --quick"), text);
        assertFalse(text.contains("clblast      anchor  not present"), text);
    }

    @Test
    void everyCpuRowIsCheckedAgainstTheFloat64Oracle() {
        var cpuRows = report.rows().stream().filter(r -> r.backendOrAnchor().equals(Compare.REFERENCE)).toList();
        assertEquals(2 * Ops.all().size(), cpuRows.size(), "every op on 1 and 2 threads");
        for (Row r : cpuRows) {
            assertTrue(r.ok(), r.op() + ": " + r.error());
            if (r.op().equals(Ops.TRAIN_STEP)) {
                // The step's first losses against three float64 training steps, and shown.
                assertTrue(r.checkedAgainst().contains("; losses "), r.checkedAgainst());
            }
            assertTrue(r.checkedAgainst().startsWith("float64 oracle"), r.op() + " " + r.impl() + ": " + r.checkedAgainst());
            assertTrue(r.checkPassed(), r.op() + " " + r.impl() + " max rel " + r.maxRelError() + " > " + Ops.byName(r.op()).tolerance());
        }
        String text = TextReport.write(report);
        assertFalse(text.contains("(itself)"), "no row is checked against itself");
        // The other backends and the anchors against the same oracle, not against the CPU backend.
        var others = report.rows().stream().filter(r -> r.ok() && !r.backendOrAnchor().equals(Compare.REFERENCE))
                .toList();
        assertFalse(others.isEmpty(), "the report has rows of other implementations");
        for (Row r : others) {
            assertTrue(r.checkedAgainst().startsWith("float64 oracle"), r.op() + " " + r.impl() + ": " + r.checkedAgainst());
        }
    }

    @Test
    void reportOpensWithTheVerdict() {
        String text = TextReport.write(report);
        assertTrue(text.startsWith("kengine compare: verdict\n"), text.substring(0, 200));
        assertTrue(text.indexOf("  load      load average ") < text.indexOf("ceilings (measured now)"));
        assertTrue(text.indexOf("  headlines\n") < text.indexOf("ceilings (measured now)"));
        assertTrue(text.contains("CPU matmul at "), "a matmul headline");
        assertTrue(report.machine().containsKey("load_average_at_start") && report.machine().containsKey("load_average_at_end"));
        String html = HtmlReport.html(report);
        assertTrue(html.indexOf("<section id=\"verdict\">") < html.indexOf("Ceilings measured"));
        assertFalse(java.util.regex.Pattern.compile("<[a-z]+[^>]*\\sclass=[^>]*\\sclass=").matcher(html).find(),
                "one class attribute per element");
    }

    @Test
    void ofPeakIsTakenAtTheRowsOwnFootprint() {
        // The rows the copy-bandwidth targets judge state the target's figure; the others a copy loop at their own size.
        for (Row r : report.rows()) {
            if (!r.ok() || !r.bound().equals("memory") || r.threads() == 0) {
                continue;
            }
            if (!Double.isNaN(r.interleavedFraction())) {
                assertEquals(r.interleavedFraction(), r.fractionOfCeiling(), 0.0, r.op());
            } else {
                assertTrue(r.fractionOfCeiling() > 0 && Double.isFinite(r.fractionOfCeiling()), r.op());
            }
        }
        assertTrue(stderr.contains("compare:   copy loop over 4K floats on 1 thread: "), stderr);
        if (TextReport.anyOver(report)) {
            assertTrue(TextReport.write(report).contains(TextReport.OVER_LEGEND));
        }
    }

    @Test
    void anchorVsCpuIsTheTargetsFigure() {
        for (var t : report.targets()) {
            String what = (String) t.get("what");
            if (!what.startsWith("matmul vs")) {
                continue;
            }
            String anchor = what.contains("OpenBLAS") ? "openblas" : "netlib-java";
            Row a = report.rows().stream().filter(r -> r.ok() && r.backendOrAnchor().equals(anchor) && r.op().equals("matmul")
                    && r.size() == (Long) t.get("size") && r.threads() == (Integer) t.get("threads")).findFirst().orElseThrow();
            assertEquals(1.0, a.speedupVsCpu() * (Double) t.get("ratio"), 1e-12, what);
        }
    }

    @Test
    void htmlPageIsWrittenWithSvgCharts(@TempDir Path dir) throws Exception {
        Path page = HtmlReport.write(report, dir.resolve("out"));
        String html = Files.readString(page);
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertTrue(html.contains("<svg"), "inline SVG charts");
        assertTrue(html.contains("roofline"));
        assertTrue(html.contains("in alternation"), "the targets say what they were measured against");
        assertFalse(html.contains("<script src"), "nothing fetched from outside");
        assertTrue(html.contains(UnavailableTestProvider.REASON));
    }

    @Test
    void textTableHasCeilingsFirstAndARowPerMeasurement() {
        String text = TextReport.write(report);
        assertTrue(text.indexOf("ceilings") < text.indexOf("median ms"));
        assertTrue(text.contains("matmul"));
        assertTrue(text.contains("GFLOP/s") && text.contains("GB/s"));
    }

    @Test
    void timingReportsMedianAndSpread() {
        Timing t = Timing.of(new double[] {3, 1, 2, 10, 4}, 1);
        assertEquals(3, t.median());
        assertEquals(1, t.min());
        assertEquals(10, t.max());
        assertEquals(2, t.q1());
        assertEquals(4, t.q3());
    }
}
