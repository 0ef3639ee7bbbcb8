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
        root.put("verdict", Verdict.of(r).json());
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
        List<Object> devices = new ArrayList<>();
        for (Compare.DeviceCeiling d : r.deviceCeilings()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("backend", d.backend());
            m.put("device", d.device());
            m.put("floats", d.floats());
            m.put("copy_gbs", d.copyGBs());
            m.put("kernel", d.kernel());
            devices.add(m);
        }
        root.put("device_ceilings", devices);
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
        root.put("peer_method", TextReport.PEER_METHOD);
        List<Object> rows = new ArrayList<>();
        for (Row row : r.rows()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("implementation", row.impl());
            m.put("kind", row.kind());
            if (row.op().equals(dev.kengine.bench.Ops.TRAIN_STEP) && row.ok()) {
                m.put("samples_per_s", dev.kengine.bench.TrainStep.BATCH / row.timing().median());
            }
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
                m.put("interleaved_copy_gbs", row.interleavedCopyGBs());
                m.put("interleaved_op_gbs", row.interleavedOpGBs());
                m.put("interleaved_fraction", row.interleavedFraction());
                Alternation a = row.alternation();
                if (a != null) {
                    Map<String, Object> am = new LinkedHashMap<>();
                    boolean half = row.kind().equals("backend");
                    am.put(half ? "half_median_s" : "cpu_median_s", a.cpu().median());
                    am.put(half ? "float32_median_s" : "anchor_median_s", a.other().median());
                    am.put("pairs", a.cpu().repetitions());
                    am.put("median_ratio", a.ratio());
                    m.put(half ? "alternation_with_float32" : "alternation_with_cpu", am);
                }
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
        root.put("training", training(r.training()));
        return Json.write(root);
    }

    /** The training section: an entry per backend trained (see {@link Training}). */
    static List<Object> training(List<Training.Result> results) {
        List<Object> out = new ArrayList<>();
        for (Training.Result t : results) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("backend", t.backend());
            m.put("device", t.device());
            m.put("data", t.data());
            if (t.ok()) {
                m.put("network", t.network());
                m.put("warm_up_s", t.warmUpSeconds());
                m.put("epochs", t.epochs());
                m.put("samples", t.samples());
                m.put("steps", t.steps());
                m.put("batch_size", t.batchSize());
                m.put("samples_per_s", t.samplesPerSecond());
                m.put("step_ms", t.stepMs());
                m.put("calls_per_step", t.callsPerStep());
                m.put("profile_step_ms", t.plainStepMs());
                m.put("synced_step_ms", t.syncedStepMs());
                m.put("in_calls_ms_per_step", t.inCallsMs());
                m.put("outside_calls_ms_per_step", t.outsideMs());
                m.put("share_in_calls", t.shareInCalls());
                m.put("synced_us_per_call", t.microsPerCall());
                m.put("floor_us_per_call", t.floorMicros());
                m.put("floor_ms_per_step", t.floorMsPerStep());
                m.put("floor_share_of_step", t.floorShare());
                m.put("test_accuracy", t.testAccuracy());
                List<Object> ops = new ArrayList<>();
                for (Training.OpTime o : t.ops()) {
                    Map<String, Object> om = new LinkedHashMap<>();
                    om.put("op", o.op());
                    om.put("calls_per_step", o.callsPerStep());
                    om.put("synced_us_per_call", o.microsPerCall());
                    om.put("share_of_calls", o.share());
                    ops.add(om);
                }
                m.put("ops", ops);
            }
            m.put("error", t.error());
            out.add(m);
        }
        return out;
    }
}
