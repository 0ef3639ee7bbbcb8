package dev.kengine.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The CPU backend's performance targets, evaluated as ratios taken in one run: matmul against
 * OpenBLAS (at least 0.9 of it at 512–2048, 0.7 at 64 and 128) and against netlib's pure-Java path
 * (at least 2×), on each thread count; the elementwise ops at the largest size against the copy
 * loop's bandwidth on the most threads (0.8; softmax cross-entropy 0.7), the copy loop measured in
 * alternation with the op.
 */
final class Targets {
    private Targets() {}

    static List<Map<String, Object>> evaluate(List<Row> rows, List<Integer> threads) {
        List<Map<String, Object>> out = new ArrayList<>();
        int maxThreads = threads.stream().max(Integer::compare).orElse(1);
        for (Row cpu : rows) {
            if (!cpu.ok() || !cpu.backendOrAnchor().equals(Compare.REFERENCE) || !cpu.op().equals("matmul")) {
                continue;
            }
            double target = cpu.size() >= 512 ? 0.9 : cpu.size() <= 128 ? 0.7 : Double.NaN;
            find(rows, "openblas", cpu).ifPresent(ob -> out.add(target("matmul vs OpenBLAS", cpu,
                    ob.timing().median() / cpu.timing().median(), target)));
            find(rows, "netlib-java", cpu).ifPresent(nj -> out.add(target("matmul vs netlib pure Java", cpu,
                    nj.timing().median() / cpu.timing().median(), 2.0)));
        }
        long largest = rows.stream().filter(r -> r.bound().equals("memory")).mapToLong(Row::size).max().orElse(0);
        for (Row cpu : rows) {
            if (!cpu.ok() || !cpu.backendOrAnchor().equals(Compare.REFERENCE) || cpu.threads() != maxThreads
                    || cpu.size() != largest || !cpu.bound().equals("memory")) {
                continue;
            }
            double target = switch (cpu.family()) {
                case "activation", "dropout" -> 0.8;
                case "loss" -> 0.7;
                default -> Double.NaN;
            };
            // Against the copy loop measured in alternation with the op (same host conditions) where the row has it.
            boolean interleaved = !Double.isNaN(cpu.interleavedFraction());
            Map<String, Object> m = target(cpu.op() + " vs copy bandwidth", cpu,
                    interleaved ? cpu.interleavedFraction() : cpu.fractionOfCeiling(), target);
            m.put("copy_loop_gbs_alongside", interleaved ? cpu.interleavedCopyGBs() : null);
            m.put("op_gbs_alongside", interleaved ? cpu.interleavedFraction() * cpu.interleavedCopyGBs() : null);
            out.add(m);
        }
        return out;
    }

    private static Optional<Row> find(List<Row> rows, String anchor, Row cpu) {
        return rows.stream().filter(r -> r.ok() && r.backendOrAnchor().equals(anchor) && r.op().equals(cpu.op())
                && r.size() == cpu.size() && r.threads() == cpu.threads()).findFirst();
    }

    private static Map<String, Object> target(String what, Row cpu, double ratio, double target) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("what", what);
        m.put("op", cpu.op());
        m.put("size", cpu.size());
        m.put("shape", cpu.shape());
        m.put("threads", cpu.threads());
        m.put("ratio", ratio);
        m.put("target", target);
        m.put("met", Double.isNaN(target) ? null : ratio >= target);
        return m;
    }
}
