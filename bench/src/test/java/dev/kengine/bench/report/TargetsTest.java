package dev.kengine.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Targets: which ratio each target takes, and where a target applies")
class TargetsTest {

    private static Row row(String impl, String name, int threads, String op, String family, long size, String bound,
                           double median, double interleavedCopy, double interleavedFraction, Alternation alternation) {
        Timing t = new Timing(median, median, median, median, median, 5, 1);
        return new Row(impl, name.equals("cpu") ? "backend" : "anchor", name, threads, op, family, size, size + "", bound, t,
                2.0 * size * size * size, 8.0 * size, Double.NaN, "GB/s", Double.NaN, Double.NaN, 0, "none", true, null,
                interleavedCopy, interleavedFraction * interleavedCopy, interleavedFraction, alternation);
    }

    private static Map<String, Object> find(List<Map<String, Object>> targets, String what, long size) {
        return targets.stream().filter(t -> t.get("what").equals(what) && ((Long) t.get("size")) == size).findFirst().orElseThrow();
    }

    @Test
    @DisplayName("elementwise targets: a verdict at 16M floats against the copy loop alongside; none below, with the reason")
    void elementwiseTargetsApplyAt16M() {
        List<Row> rows = List.of(
                row("cpu(2t)", "cpu", 2, "act_gelu", "activation", 1L << 24, "memory", 1e-3, 40.0, 0.75, null),
                row("cpu(2t)", "cpu", 2, "softmax_cross_entropy", "loss", 1L << 24, "memory", 1e-3, 40.0, 0.75, null));
        List<Map<String, Object>> t = Targets.evaluate(rows, List.of(1, 2));
        assertEquals(Boolean.FALSE, find(t, "act_gelu vs copy bandwidth", 1L << 24).get("met"), "0.75 < 0.8");
        assertEquals(Boolean.TRUE, find(t, "softmax_cross_entropy vs copy bandwidth", 1L << 24).get("met"), "0.75 ≥ 0.7");
        assertNull(find(t, "act_gelu vs copy bandwidth", 1L << 24).get("no_target"));

        List<Row> quick = List.of(row("cpu(2t)", "cpu", 2, "act_gelu", "activation", 1L << 22, "memory", 1e-3, 80.0, 0.35, null));
        Map<String, Object> q = find(Targets.evaluate(quick, List.of(1, 2)), "act_gelu vs copy bandwidth", 1L << 22);
        assertNull(q.get("met"), "no verdict at 4M");
        assertEquals(0.35, (Double) q.get("ratio"), 1e-12, "the ratio is still reported");
        assertTrue(((String) q.get("no_target")).contains("16M"));
    }

    /** The row, checked against a reference with this relative error and verdict. */
    private static Row checked(Row r, double error, boolean passed) {
        return new Row(r.impl(), r.kind(), r.backendOrAnchor(), r.threads(), r.op(), r.family(), r.size(), r.shape(),
                r.bound(), r.timing(), r.flops(), r.bytes(), r.throughput(), r.unit(), r.fractionOfCeiling(),
                r.speedupVsCpu(), error, "float64 oracle", passed, r.error(), r.interleavedCopyGBs(), r.interleavedOpGBs(),
                r.interleavedFraction(), r.alternation());
    }

    /** The row as failed with this error. */
    private static Row failed(Row r, String error) {
        return new Row(r.impl(), r.kind(), r.backendOrAnchor(), r.threads(), r.op(), r.family(), r.size(), r.shape(),
                r.bound(), r.timing(), r.flops(), r.bytes(), r.throughput(), r.unit(), r.fractionOfCeiling(),
                r.speedupVsCpu(), Double.NaN, "none", false, error, r.interleavedCopyGBs(), r.interleavedOpGBs(),
                r.interleavedFraction(), r.alternation());
    }

    @Test
    @DisplayName("a fast row whose result is wrong meets no target; a comparison row that failed is a missed target, not a dropped one")
    void wrongOrMissingRowsMeetNothing() {
        Row cpu = row("cpu(1t)", "cpu", 1, "matmul", "matmul", 1024, "compute", 1e-3, Double.NaN, Double.NaN, null);
        Row blas = row("openblas(1t)", "openblas", 1, "matmul", "matmul", 1024, "compute", 2e-3, Double.NaN, Double.NaN, null);
        Row netlib = row("netlib-java(1t)", "netlib-java", 1, "matmul", "matmul", 1024, "compute", 9e-3, Double.NaN,
                Double.NaN, null);
        List<Map<String, Object>> t = Targets.evaluate(List.of(checked(cpu, 0.3, false), blas, netlib), List.of(1));
        Map<String, Object> ob = find(t, "matmul vs OpenBLAS", 1024);
        assertEquals(2.0, (Double) ob.get("ratio"), 1e-12);
        assertEquals(Boolean.FALSE, ob.get("met"), "2x as fast, but wrong");
        assertTrue(((String) ob.get("unverified")).contains("cpu(1t)"), ob.toString());

        t = Targets.evaluate(List.of(cpu, failed(blas, "UnsatisfiedLinkError: libopenblas"), netlib), List.of(1));
        Map<String, Object> missing = find(t, "matmul vs OpenBLAS", 1024);
        assertEquals(Boolean.FALSE, missing.get("met"), "a failed anchor row leaves the target missed");
        assertTrue(Double.isNaN((Double) missing.get("ratio")));
        assertTrue(((String) missing.get("not_measured")).contains("libopenblas"), missing.toString());
        assertEquals(Boolean.TRUE, find(t, "matmul vs netlib pure Java", 1024).get("met"));

        t = Targets.evaluate(List.of(cpu, failed(blas, "unsupported: no such op"), netlib), List.of(1));
        assertTrue(t.stream().noneMatch(x -> x.get("what").equals("matmul vs OpenBLAS")), "an unsupported row is no target");
    }

    @Test
    @DisplayName("matmul targets: the ratio from the alternation where the anchor's row has one, else the rows' medians")
    void matmulTargetsPreferTheAlternation() {
        Timing ours = new Timing(1e-3, 1e-3, 1e-3, 1e-3, 1e-3, 11, 1);
        Timing theirs = new Timing(2.1e-3, 2.1e-3, 2.1e-3, 2.1e-3, 2.1e-3, 11, 1);
        List<Row> rows = List.of(
                row("cpu(1t)", "cpu", 1, "matmul", "matmul", 1024, "compute", 1.5e-3, Double.NaN, Double.NaN, null),
                row("openblas(1t)", "openblas", 1, "matmul", "matmul", 1024, "compute", 1.2e-3, Double.NaN, Double.NaN, null),
                row("netlib-java(1t)", "netlib-java", 1, "matmul", "matmul", 1024, "compute", 2.9e-3, Double.NaN, Double.NaN,
                        new Alternation(ours, theirs, 2.1)));
        List<Map<String, Object>> t = Targets.evaluate(rows, List.of(1));
        Map<String, Object> ob = find(t, "matmul vs OpenBLAS", 1024);
        assertEquals(1.2 / 1.5, (Double) ob.get("ratio"), 1e-12, "no alternation: the rows' medians");
        assertEquals(Boolean.FALSE, ob.get("met"));
        Map<String, Object> nj = find(t, "matmul vs netlib pure Java", 1024);
        assertEquals(2.1, (Double) nj.get("ratio"), 1e-12, "the alternation's median ratio, not 2.9 / 1.5");
        assertEquals(Boolean.TRUE, nj.get("met"));
        assertEquals(11, nj.get("pairs_alongside"));
    }

    @Test
    @DisplayName("half-precision targets: bf16 over its float32 row (the alternation where there is one), by kind of bound; fp16 without a target; none off the target sizes")
    void halfPrecisionTargets() {
        long big = 1L << 24;
        Timing half = new Timing(2e-3, 2e-3, 2e-3, 2e-3, 2e-3, 7, 1);
        Timing single = new Timing(3e-3, 3e-3, 3e-3, 3e-3, 3e-3, 7, 1);
        List<Row> rows = List.of(
                row("cpu(2t)", "cpu", 2, "act_relu", "activation", big, "memory", 4e-3, 40.0, 0.9, null),
                row("cpu(2t)", "cpu", 2, "act_relu_bf16", "half precision", big, "memory", 2e-3, 70.0, 0.3, null),
                row("cpu(2t)", "cpu", 2, "act_sigmoid", "activation", big, "memory", 3e-3, 40.0, 0.9, null),
                row("cpu(2t)", "cpu", 2, "act_sigmoid_bf16", "half precision", big, "memory", 4e-3, 70.0, 0.2,
                        new Alternation(half, single, 1.5)),
                row("cpu(2t)", "cpu", 2, "act_sigmoid_fp16", "half precision", big, "memory", 6e-3, 70.0, 0.1, null),
                row("cpu(1t)", "cpu", 1, "act_sigmoid", "activation", big, "memory", 6e-3, 20.0, 0.9, null),
                row("cpu(1t)", "cpu", 1, "act_sigmoid_bf16", "half precision", big, "memory", 8e-3, 40.0, 0.2, null),
                row("cpu(2t)", "cpu", 2, "act_sigmoid", "activation", 1L << 20, "memory", 3e-4, 40.0, 0.9, null),
                row("cpu(2t)", "cpu", 2, "act_sigmoid_bf16", "half precision", 1L << 20, "memory", 4e-4, 70.0, 0.2, null),
                row("cpu(2t)", "cpu", 2, "adam", "optimiser", big, "memory", 3e-3, 40.0, 1.2, null),
                row("cpu(2t)", "cpu", 2, "adam_bf16", "half precision", big, "memory", 3.3e-3, 40.0, 1.1, null),
                row("cpu(1t)", "cpu", 1, "matmul", "matmul", 512, "compute", 1.0e-3, Double.NaN, Double.NaN, null),
                row("cpu(1t)", "cpu", 1, "matmul_bf16", "half precision", 512, "compute", 1.1e-3, Double.NaN, Double.NaN, null),
                row("cpu(1t)", "cpu", 1, "matmul", "matmul", 256, "compute", 1.0e-4, Double.NaN, Double.NaN, null),
                row("cpu(1t)", "cpu", 1, "matmul_bf16", "half precision", 256, "compute", 2.0e-4, Double.NaN, Double.NaN, null));
        List<Map<String, Object>> t = Targets.evaluate(rows, List.of(1, 2));

        Map<String, Object> relu = find(t, "act_relu bf16 vs float32", big);
        assertEquals(2.0, (Double) relu.get("ratio"), 1e-12, "float32 4 ms over bf16 2 ms, the rows' medians");
        assertEquals(1.8, (Double) relu.get("target"), 0, "float32 ReLU is bound by memory bandwidth");
        assertEquals(Boolean.TRUE, relu.get("met"));

        Map<String, Object> sigmoid = find(t, "act_sigmoid bf16 vs float32", big);
        assertEquals(1.5, (Double) sigmoid.get("ratio"), 1e-12, "the alternation's ratio, not the medians' 0.75");
        assertEquals(1.0, (Double) sigmoid.get("target"), 0, "a transcendental forward: no slower");
        assertEquals(Boolean.TRUE, sigmoid.get("met"));
        assertEquals(big / 2e-3 / 1e9, (Double) sigmoid.get("half_rate_alongside"), 1e-9, "elements a second in bf16");
        assertEquals(big / 3e-3 / 1e9, (Double) sigmoid.get("float32_rate_alongside"), 1e-9);
        assertTrue(TextReport.alongside(sigmoid).startsWith("in alternation: bf16 8.39, float32 5.59 G elements/s"),
                TextReport.alongside(sigmoid));

        Map<String, Object> adam = find(t, "adam bf16 vs float32", big);
        assertEquals(1.0, (Double) adam.get("target"), 0, "mixed-precision Adam moves float32's bytes: no slower");
        assertEquals(Boolean.FALSE, adam.get("met"), "3.0 / 3.3 < 1");

        Map<String, Object> fp16 = find(t, "act_sigmoid fp16 vs float32", big);
        assertNull(fp16.get("met"), "float16 has no target");
        assertEquals(0.5, (Double) fp16.get("ratio"), 1e-12);
        assertTrue(((String) fp16.get("no_target")).contains("bfloat16"));

        Map<String, Object> mm = find(t, "matmul bf16 vs float32", 512);
        assertEquals(1.0 / 1.1, (Double) mm.get("ratio"), 1e-12);
        assertEquals(Boolean.FALSE, mm.get("met"), "0.91 < 0.95");

        assertTrue(t.stream().noneMatch(x -> x.get("what").equals("matmul bf16 vs float32") && ((Long) x.get("size")) == 256),
                "matmul's half target applies at 512-2048");
        assertTrue(t.stream().noneMatch(x -> String.valueOf(x.get("what")).contains("bf16 vs float32")
                        && (((Long) x.get("size")) == 1L << 20 || ((Integer) x.get("threads")) == 1 && !x.get("what").toString().startsWith("matmul"))),
                "elementwise half targets apply at 16M on the most threads");
        assertTrue(t.stream().noneMatch(x -> String.valueOf(x.get("what")).startsWith("act_sigmoid_bf16 vs copy")),
                "a half row is not judged against the copy loop");
    }
}
