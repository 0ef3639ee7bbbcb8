package dev.kengine.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The peer targets computed from rows built by hand: training step vs PyTorch and ND4J, and the 1.2x rule. */
class PeerTargetsTest {

    static Row row(String name, String kind, int threads, String op, double median, boolean agrees) {
        String impl = name + "(" + threads + "t)";
        return new Row(impl, kind, name, threads, op, op.equals("train_step") ? "step" : "activation", 256, op + "-shape",
                "compute", Fixtures.timing(median), 1e9, 1e6, 1e9 / median / 1e9, "GFLOP/s", 0.5, Double.NaN,
                agrees ? 1e-6 : 3.6, "cpu reference", agrees, null, Double.NaN, Double.NaN, Double.NaN, null);
    }

    private static Map<String, Object> find(List<Map<String, Object>> t, String what, int threads) {
        return t.stream().filter(m -> String.valueOf(m.get("what")).startsWith(what) && (Integer) m.get("threads") == threads)
                .findFirst().orElseThrow(() -> new AssertionError("no target '" + what + "' at " + threads + ": " + t));
    }

    @Test
    void trainingStepTargetsAtTheMostThreadsAndTheWorstPeerRow() {
        List<Row> rows = new ArrayList<>();
        // Training step: cpu 10 ms on 2 threads, 16 on 1; PyTorch 14 ms (1.4x: missed), ND4J 25 ms (2.5x: met).
        rows.add(row("cpu", "backend", 1, "train_step", 16e-3, true));
        rows.add(row("cpu", "backend", 2, "train_step", 10e-3, true));
        rows.add(row("pytorch", "peer", 1, "train_step", 20e-3, true));
        rows.add(row("pytorch", "peer", 2, "train_step", 14e-3, true));
        rows.add(row("nd4j", "peer", 1, "train_step", 30e-3, true));
        rows.add(row("nd4j", "peer", 2, "train_step", 25e-3, true));
        // An activation where PyTorch is 1.25x faster than the CPU backend (the worst row), and one where ND4J's
        // disagreeing result (another function) is 5x faster: left out of the 1.2x rule.
        rows.add(row("cpu", "backend", 2, "act_tanh", 1.0e-3, true));
        rows.add(row("pytorch", "peer", 2, "act_tanh", 0.8e-3, true));
        rows.add(row("cpu", "backend", 2, "act_gelu", 1.0e-3, true));
        rows.add(row("nd4j", "peer", 2, "act_gelu", 0.2e-3, false));
        List<Map<String, Object>> t = Targets.evaluate(rows, List.of(1, 2));

        Map<String, Object> torch = find(t, "training step vs PyTorch", 2);
        assertEquals(1.4, (Double) torch.get("ratio"), 1e-12);
        assertEquals(1.5, (Double) torch.get("target"));
        assertEquals(false, torch.get("met"), "1.4x is short of 1.5x: missed, not tuned");
        assertEquals("ratio of medians", torch.get("method"));
        Map<String, Object> nd4j = find(t, "training step vs ND4J", 2);
        assertEquals(2.5, (Double) nd4j.get("ratio"), 1e-12);
        assertEquals(true, nd4j.get("met"));
        Map<String, Object> one = find(t, "training step vs PyTorch", 1);
        assertNull(one.get("met"), "no target on 1 thread");
        assertEquals(1.25, (Double) one.get("ratio"), 1e-12);

        Map<String, Object> rule = find(t, "no peer over 1.2x faster", 2);
        assertEquals(0.8, (Double) rule.get("ratio"), 1e-12, "the worst agreeing row: PyTorch's tanh at 1.25x the CPU backend's speed");
        assertEquals(1 / 1.2, (Double) rule.get("target"), 1e-12);
        assertEquals(false, rule.get("met"));
        assertTrue(String.valueOf(rule.get("what")).contains("pytorch act_tanh"), String.valueOf(rule.get("what")));
        assertEquals(5, rule.get("peer_rows"));
        assertEquals(1, rule.get("peer_rows_disagreeing"));

        // The verdict lists them, the missed ones as missed with their ratio, and its headlines mention the peers.
        Compare.Report r = Fixtures.report(Fixtures.machine(2, "0.5 0.4 0.3 1/1 1", "0.5 0.4 0.3 1/1 1"), rows);
        Verdict v = Verdict.of(r);
        assertTrue(v.targets().stream().anyMatch(l -> !l.met() && l.what().equals("training step vs PyTorch")
                && Math.abs(l.ratio() - 1.4) < 1e-12));
        String text = v.text(false);
        assertTrue(text.contains("MISSED  training step vs PyTorch"), text);
        String headlines = String.join("\n", v.headlines());
        assertTrue(headlines.contains("Training step (MLP"), headlines);
        assertTrue(headlines.contains("cpu(2t) 25,600 samples/s = 1.40× PyTorch(2t), 2.50× ND4J(2t)"), headlines);
        assertTrue(headlines.contains("Peers (the CPU backend's speed over the peer's"), headlines);
        assertTrue(headlines.contains("DISAGREE: nd4j(2t) act_gelu"), headlines);
        assertTrue(v.answer().contains("Against the peers"), v.answer());
    }

    @Test
    void thePeerRuleIsMetWhenNoPeerIsFasterThan1point2() {
        List<Row> rows = List.of(row("cpu", "backend", 2, "act_tanh", 1.0e-3, true), row("pytorch", "peer", 2, "act_tanh", 0.85e-3, true));
        Map<String, Object> rule = find(Targets.evaluate(rows, List.of(2)), "no peer over 1.2x faster", 2);
        assertEquals(0.85, (Double) rule.get("ratio"), 1e-12);
        assertEquals(true, rule.get("met"), "1/0.85 = 1.18x faster: within 1.2x");
        assertTrue(Targets.peerTargets(List.of(row("cpu", "backend", 2, "act_tanh", 1e-3, true)), 2).isEmpty(),
                "no peer rows: no peer target");
    }
}
