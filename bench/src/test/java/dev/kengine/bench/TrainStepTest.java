package dev.kengine.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.bench.OpDescriptor.Instance;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainStepTest {

    @Test
    void lossDisagreementIsTheLargestRelativeDifferenceOfTheFirstLosses() {
        float[] ref = {2.30f, 2.20f, 2.00f};
        assertEquals(0, TrainStep.lossDisagreement(ref.clone(), ref));
        assertEquals(0.01 / 2.0, TrainStep.lossDisagreement(new float[] {2.30f, 2.20f, 2.01f}, ref), 1e-6);
        // Within the tolerance: 1e-4 relative on the second step.
        assertTrue(TrainStep.lossDisagreement(new float[] {2.30f, 2.20022f, 2.00f}, ref) <= TrainStep.LOSS_TOLERANCE);
        // A step that did not learn (the same loss again) is far outside it.
        assertTrue(TrainStep.lossDisagreement(new float[] {2.30f, 2.30f, 2.30f}, ref) > TrainStep.LOSS_TOLERANCE);
        assertEquals(Double.POSITIVE_INFINITY, TrainStep.lossDisagreement(new float[] {2.30f, 2.20f}, ref), "too few losses");
        assertEquals(Double.POSITIVE_INFINITY, TrainStep.lossDisagreement(new float[] {2.30f, Float.NaN, 2.00f}, ref));
    }

    @Test
    void theDataAndInitialWeightsComeFromTheSeed() {
        TrainStep.Data a = TrainStep.Data.of(5);
        TrainStep.Data b = TrainStep.Data.of(5);
        assertEquals(TrainStep.BATCH * 784, a.x().length);
        assertEquals(784 * 1024, a.weights().get(0).length);
        assertEquals(10, a.biases().get(2).length);
        assertEquals(java.util.Arrays.hashCode(a.weights().get(1)), java.util.Arrays.hashCode(b.weights().get(1)));
        float bound = (float) (1 / Math.sqrt(1024));
        for (float w : a.weights().get(1)) {
            assertTrue(Math.abs(w) <= bound);
        }
        assertEquals(784L * 1024 + 1024 + 1024L * 1024 + 1024 + 1024L * 10 + 10, TrainStep.parameters());
        assertEquals("256x784-1024-1024-10", TrainStep.shape());
    }

    @Test
    void theFloat64OracleAgreesWithTheBackendAndCatchesAWrongStep() {
        double[] oracle = TrainStep.float64Losses(11);
        assertEquals(TrainStep.LOSS_STEPS, oracle.length);
        assertEquals(Math.log(10), oracle[0], 0.1);
        assertTrue(oracle[2] < oracle[0], java.util.Arrays.toString(oracle));
        // Cached: the same numbers again, and a copy each time.
        oracle[1] = 0;
        assertEquals(TrainStep.float64Losses(11)[2], TrainStep.float64Losses(11)[2]);
        assertTrue(TrainStep.float64Losses(11)[1] > 0);
        double[] exact = TrainStep.float64Losses(11);
        float[] got;
        try (Backend b = Engine.open("cpu", Map.of("threads", "2")); Instance i = Ops.byName(Ops.TRAIN_STEP).prepare(b, 256, 11)) {
            got = i.result();
            int[] all = {0, 1, 2};
            assertArrayEquals(exact, i.oracle(all));
        }
        double err = OpDescriptor.maxRelativeError(got, new int[] {0, 1, 2}, exact);
        assertTrue(err <= TrainStep.LOSS_TOLERANCE, err + ": " + java.util.Arrays.toString(got) + " vs "
                + java.util.Arrays.toString(exact));
        // The first loss is a forward pass only: float32 sums against float64, far inside the tolerance.
        assertEquals(exact[0], got[0], 1e-5 * exact[0]);
        // A step that did not learn (the same loss three times) is far outside it.
        float[] stuck = {got[0], got[0], got[0]};
        assertTrue(OpDescriptor.maxRelativeError(stuck, new int[] {0, 1, 2}, exact) > TrainStep.LOSS_TOLERANCE);
    }

    @Test
    void theStepLearnsAndAgreesAcrossThreadCounts() {
        float[] one;
        float[] two;
        try (Backend b = Engine.open("cpu", Map.of("threads", "1")); Instance i = Ops.byName(Ops.TRAIN_STEP).prepare(b, 256, 11)) {
            i.run();
            one = i.result();
        }
        try (Backend b = Engine.open("cpu", Map.of("threads", "2")); Instance i = Ops.byName(Ops.TRAIN_STEP).prepare(b, 256, 11)) {
            two = i.result();
        }
        assertEquals(TrainStep.LOSS_STEPS, one.length);
        // Ten classes, small initial weights: the first loss is near ln 10; Adam's first steps lower it.
        assertEquals(Math.log(10), one[0], 0.1);
        assertTrue(one[2] < one[0], "the loss falls: " + java.util.Arrays.toString(one));
        assertTrue(TrainStep.lossDisagreement(two, one) <= TrainStep.LOSS_TOLERANCE,
                java.util.Arrays.toString(one) + " vs " + java.util.Arrays.toString(two));
    }
}
