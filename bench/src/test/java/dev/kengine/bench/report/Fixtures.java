package dev.kengine.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reports built by hand, so that what the writers compute from them is known in advance. */
final class Fixtures {
    private Fixtures() {}

    static Timing timing(double median) {
        return new Timing(median, median, median, median, median, 5, 1);
    }

    /** A measured matmul row of n³: GFLOP/s from the median; checked against the oracle (cpu) or the cpu (others). */
    static Row matmul(String impl, String name, int threads, long n, double median, double speedup, Alternation a) {
        double flops = 2.0 * n * n * n;
        return new Row(impl, name.equals("cpu") || name.equals("opencl") ? "backend" : "anchor", name, threads, "matmul",
                "matmul", n, n + "x" + n + "x" + n, "compute", timing(median), flops, 12.0 * n * n, flops / median / 1e9,
                "GFLOP/s", 0.5, speedup, 1e-6, name.equals("cpu") ? "float64 oracle, 256 samples" : "cpu reference", true,
                null, Double.NaN, Double.NaN, Double.NaN, a);
    }

    /** A measured memory-bound row of n elements with the given fraction of its ceiling. */
    static Row elementwise(String impl, String name, int threads, String op, long n, double median, double fraction,
                           double speedup) {
        double bytes = 8.0 * n;
        return new Row(impl, name.equals("cpu") || name.equals("opencl") ? "backend" : "anchor", name, threads, op,
                "activation", n, n + "", "memory", timing(median), n, bytes, bytes / median / 1e9, "GB/s", fraction, speedup,
                0, name.equals("cpu") ? "float64 oracle, 256 samples" : "cpu reference", true, null, Double.NaN, Double.NaN,
                Double.NaN, null);
    }

    static Map<String, Object> machine(int cores, String loadStart, String loadEnd) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("date", "2026-12-06T19:50:00Z");
        m.put("cpu", "Test CPU 9000");
        m.put("cores", cores);
        m.put("vector_lanes_f32", 16);
        m.put("java", "OpenJDK 25");
        m.put("max_heap_mib", 1024L);
        m.put("load_average_at_start", loadStart);
        m.put("load_average_at_end", loadEnd);
        return m;
    }

    /**
     * The CPU backend on 1 and 2 threads against OpenBLAS and netlib at 512³ and 1024³ (the 1024³ ratios on two threads:
     * 1.05× OpenBLAS, 1.9× netlib, from their alternations), OpenCL at 0.12× the CPU backend on every row, and an
     * elementwise op on both.
     */
    static Compare.Report report(Map<String, Object> machine, List<Row> extra) {
        List<Row> rows = new ArrayList<>();
        for (long n : new long[] {512, 1024}) {
            for (int t : new int[] {1, 2}) {
                double cpu = 2.0 * n * n * n / (100e9 * t);
                double ob = n == 1024 && t == 2 ? 1.05 : 0.95;
                double nj = n == 1024 && t == 2 ? 1.9 : 2.5;
                rows.add(matmul("cpu(" + t + "t)", "cpu", t, n, cpu, 1.0, null));
                rows.add(matmul("openblas(" + t + "t)", "openblas", t, n, cpu * ob * 1.1, 1 / ob,
                        new Alternation(timing(cpu), timing(cpu * ob), ob)));
                rows.add(matmul("netlib-java(" + t + "t)", "netlib-java", t, n, cpu * nj, 1 / nj,
                        new Alternation(timing(cpu), timing(cpu * nj), nj)));
            }
            rows.add(matmul("opencl", "opencl", 0, n, 2.0 * n * n * n / (200e9 * 0.12), 0.12, null));
        }
        rows.add(elementwise("cpu(1t)", "cpu", 1, "act_relu", 1L << 22, 1e-3, 0.9, 1.0));
        rows.add(elementwise("cpu(2t)", "cpu", 2, "act_relu", 1L << 22, 0.6e-3, 0.8, 1.0));
        rows.add(elementwise("opencl", "opencl", 0, "act_relu", 1L << 22, 5e-3, 0.3, 0.12));
        rows.addAll(extra);
        List<Map<String, Object>> targets = Targets.evaluate(rows, List.of(1, 2));
        return new Compare.Report(machine, List.of(new Ceilings.Ceiling(1, 100, 20, 20), new Ceilings.Ceiling(2, 200, 35, 35)),
                List.of(new Compare.DeviceCeiling("opencl", "Test device", 1L << 24, 30, "plain float4 copy kernel")),
                List.of(), List.of(), rows, targets, List.of(), false, 12);
    }

    static Compare.Report report() {
        return report(machine(2, "0.50 0.40 0.30 1/100 123", "0.70 0.50 0.30 1/100 456"), List.of());
    }
}
