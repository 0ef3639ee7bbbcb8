package dev.kengine.bench.report;

import dev.kengine.BackendInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The report as JSON, for machines: every backend (with the reason when unavailable), anchor, ceiling and row. */
final class JsonReport {
    private JsonReport() {}

    static String write(Compare.Report r) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("report", "kengine compare");
        root.put("quick", r.quick());
        root.put("seconds", r.seconds());
        root.put("machine", r.machine());
        List<Object> ceilings = new ArrayList<>();
        for (Ceilings.Ceiling c : r.ceilings()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("threads", c.threads());
            m.put("fma_gflops", c.fmaGflops());
            m.put("copy_gbs", c.copyGBs());
            m.put("arraycopy_gbs", c.arraycopyGBs());
            ceilings.add(m);
        }
        root.put("ceilings", ceilings);
        List<Object> backends = new ArrayList<>();
        for (BackendInfo b : r.backends()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", b.name());
            m.put("available", b.available());
            m.put("reason", b.available() ? null : b.reason());
            m.put("device", b.capabilities() == null ? null : b.capabilities().deviceName());
            backends.add(m);
        }
        root.put("backends", backends);
        root.put("anchors", r.anchors());
        List<Object> rows = new ArrayList<>();
        for (Row row : r.rows()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("implementation", row.impl());
            m.put("kind", row.kind());
            m.put("name", row.backendOrAnchor());
            m.put("threads", row.threads());
            m.put("op", row.op());
            m.put("family", row.family());
            m.put("size", row.size());
            m.put("shape", row.shape());
            m.put("bound", row.bound());
            m.put("flops", row.flops());
            m.put("bytes", row.bytes());
            if (row.ok()) {
                Timing t = row.timing();
                Map<String, Object> tm = new LinkedHashMap<>();
                tm.put("median_s", t.median());
                tm.put("min_s", t.min());
                tm.put("max_s", t.max());
                tm.put("q1_s", t.q1());
                tm.put("q3_s", t.q3());
                tm.put("repetitions", t.repetitions());
                tm.put("runs_per_repetition", t.runsPerRepetition());
                m.put("timing", tm);
                m.put("gflops", row.gflops());
                m.put("gbs", row.gbs());
                m.put("throughput", row.throughput());
                m.put("unit", row.unit());
                m.put("fraction_of_ceiling", row.fractionOfCeiling());
                m.put("speedup_vs_cpu", row.speedupVsCpu());
                m.put("max_relative_error", row.maxRelError());
                m.put("checked_against", row.checkedAgainst());
                m.put("check_passed", row.checkPassed());
            }
            m.put("error", row.error());
            rows.add(m);
        }
        root.put("rows", rows);
        root.put("targets", r.targets());
        return Json.write(root);
    }
}
