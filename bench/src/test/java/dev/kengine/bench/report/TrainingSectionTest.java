package dev.kengine.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.BackendInfo;
import dev.kengine.Engine;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The training section alone ({@code --ops training}), tiny: 1 epoch on 128 digits, 3 profiled steps. */
class TrainingSectionTest {
    static Compare.Report report;
    static String stderr;

    @BeforeAll
    static void runOnce() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        report = new Compare(Compare.Options.parse("--tiny", "--ops", "training", "--threads", "1", "--no-anchors", "--no-html"),
                new PrintStream(err, true, StandardCharsets.UTF_8)).run();
        stderr = err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void jsonHasATrainingEntryPerAvailableBackendWithPositiveThroughput() {
        Map<?, ?> root = (Map<?, ?>) new MiniJsonParser(JsonReport.write(report)).parse();
        List<?> training = (List<?>) root.get("training");
        assertTrue(((List<?>) root.get("rows")).isEmpty(), "--ops training measures no op");
        List<BackendInfo> available = Engine.explain().stream().filter(BackendInfo::available).toList();
        assertFalse(available.isEmpty());
        assertEquals(available.size(), training.size(), "an entry per available backend: " + training + "\n" + stderr);
        for (BackendInfo b : available) {
            Map<?, ?> t = training.stream().map(x -> (Map<?, ?>) x).filter(x -> b.name().equals(x.get("backend")))
                    .findFirst().orElseThrow(() -> new AssertionError("no training entry for " + b.name()));
            assertNull(t.get("error"), b.name() + " trained");
            assertTrue(((Number) t.get("samples_per_s")).doubleValue() > 0, b.name() + " samples/s");
            assertTrue(((Number) t.get("step_ms")).doubleValue() > 0, b.name() + " ms per step");
            assertTrue(((Number) t.get("calls_per_step")).doubleValue() >= 10, b.name() + " calls per step");
            assertTrue(((Number) t.get("floor_us_per_call")).doubleValue() > 0, b.name() + " floor");
            double in = ((Number) t.get("in_calls_ms_per_step")).doubleValue();
            double synced = ((Number) t.get("synced_step_ms")).doubleValue();
            assertTrue(in > 0 && in <= synced, b.name() + ": time in calls within the synchronised step");
            assertFalse(((List<?>) t.get("ops")).isEmpty(), b.name() + " per-op profile");
            assertTrue(String.valueOf(t.get("network")).startsWith("64-128 relu-64 relu-10"),
                    "the ./engine train --data digits network: " + t.get("network"));
        }
    }

    @Test
    void textAndHtmlShowTheSection() {
        String text = TextReport.write(report);
        assertTrue(text.contains("\ntraining: digits"), text);
        assertTrue(text.contains("floor µs") && text.contains("linearBackward"), text);
        String html = HtmlReport.html(report);
        assertTrue(html.contains("<h2>Training throughput</h2>"));
    }

    @Test
    void opsSelectsTheSection() {
        assertTrue(Compare.Options.parse().wantsTraining(), "no --ops: everything, training included");
        assertFalse(Compare.Options.parse("--ops", "matmul,loss").wantsTraining());
        assertEquals("matmul,loss", Compare.Options.parse("--ops", "matmul,loss").opFilter());
        Compare.Options both = Compare.Options.parse("--ops", "matmul, Training");
        assertTrue(both.wantsTraining());
        assertEquals("matmul", both.opFilter());
        assertEquals("", Compare.Options.parse("--ops", "training").opFilter());
    }
}
