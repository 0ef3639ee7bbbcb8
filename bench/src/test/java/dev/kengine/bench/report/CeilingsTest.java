package dev.kengine.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Ceilings: an op against the copy loop in alternation is judged pair by pair")
class CeilingsTest {

    @Test
    @DisplayName("a change of the host between two pairs cannot mix their medians")
    void burstsMoveBothSidesOfAPair() {
        // 1 GB an op run. Five pairs, the op at 90 % of the copy loop in four: two in a fast window (copy 50 GB/s),
        // two in a slow one (30), and a fifth where the host slowed down between its copy (52) and its op (27). The
        // medians come from different windows (op 27, copy 50: 0.54); the pairs' median says 0.9.
        double[] copy = {50, 50, 30, 30, 52};
        double[] opGBs = {45, 45, 27, 27, 27};
        double[] op = new double[copy.length];
        for (int r = 0; r < op.length; r++) {
            op[r] = 1.0 / opGBs[r];
        }
        assertEquals(0.9, Ceilings.pairedFraction(op, copy, 1e9), 1e-12);
        double ratioOfMedians = 1e9 / Timing.of(op, 1).median() / 1e9 / Timing.of(copy, 1).median();
        assertEquals(0.54, ratioOfMedians, 1e-12);
    }

    @Test
    @DisplayName("the paired fraction is the median of the pairs' ratios, whatever their order")
    void medianOfThePairs() {
        double[] copy = {10, 10, 10, 10};
        double[] op = {1.0 / 5, 1.0 / 8, 1.0 / 9, 1.0 / 20}; // 1 GB a run: 5, 8, 9, 20 GB/s
        assertEquals(0.85, Ceilings.pairedFraction(op, copy, 1e9), 1e-12);
    }
}
