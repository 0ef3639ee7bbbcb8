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
}
