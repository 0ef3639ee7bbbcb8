package dev.kengine.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.kengine.op.Op;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** What a check records for the certificate: its ops, the worst error against each tolerance, bit-for-bit counts. */
class EvidenceTest {
    private static String[] fields(Map<String, String> entries, String key) {
        return entries.get(Evidence.AGREEMENT + key).split("\t");
    }

    @Test
    @DisplayName("the worst element is the largest error over its bound; a correctly rounded element counts as error 0")
    void worstAgainstTheBound() {
        EvidenceLog.Recorder r = new EvidenceLog.Recorder();
        Tolerance tol = new Tolerance("demo", Tolerance.Phase.FORWARD, 1e-3, 0, 0, false, "a test row");
        // bound = 1e-3·|expected|: element 0 exact, element 1 at a quarter of its bound, element 2 at half of it.
        r.agreement(tol, new double[] {0.1, 1.0, 2.0}, new float[] {0.1f, 1.00025f, 2.001f}, null);
        r.ops(Op.ADD, Op.MUL);
        r.ops(Op.ADD);
        Map<String, String> e = r.entries();
        assertEquals("ADD,MUL", e.get(Evidence.OPS));
        String[] f = fields(e, "demo/fwd");
        assertEquals(0.5, Double.parseDouble(f[0]), 1e-3, "worst ratio");
        assertEquals(0.001, Double.parseDouble(f[1]), 1e-6, "error at the worst element");
        assertEquals(0.002, Double.parseDouble(f[2]), 1e-12, "bound at the worst element");
        assertEquals("3", f[3]);
        assertEquals("0", f[4]);
        assertEquals("0.001", f[5]);
        assertEquals("false", f[8]);
        assertEquals("a test row", f[9]);
        assertFalse(e.containsKey(Evidence.BITS));
    }

    @Test
    @DisplayName("an error under an exact tolerance, or a NaN where none belongs, is infinitely beyond the bound and counted")
    void beyondTheBound() {
        EvidenceLog.Recorder r = new EvidenceLog.Recorder();
        r.agreement(Tolerances.MUL, new double[] {1, 2, 3}, new float[] {1, Math.nextUp(2f), 3}, null);
        r.agreement(Tolerances.DIV, new double[] {1, Double.NaN}, new float[] {Float.NaN, Float.NaN}, null);
        r.bits(new float[] {1, Float.NaN, -0f}, new float[] {1, Float.NaN, 0f});
        Map<String, String> e = r.entries();
        String[] mul = fields(e, "mul/fwd");
        assertEquals(Double.POSITIVE_INFINITY, Double.parseDouble(mul[0]));
        assertEquals(Math.ulp(2f), Double.parseDouble(mul[1]), 0);
        assertEquals("1", mul[4]);
        String[] div = fields(e, "div/fwd");
        assertEquals(Double.POSITIVE_INFINITY, Double.parseDouble(div[0]));
        assertEquals("2", div[3]);
        assertEquals("1", div[4], "the NaN where the oracle has NaN agrees");
        assertEquals("3\t1", e.get(Evidence.BITS), "−0 and +0 differ bit for bit; NaN matches NaN");
    }
}
