package dev.kengine.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.conformance.oracle.RandomOracle;
import dev.kengine.op.Op;
import dev.kengine.random.CounterRandom;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** The kit's own machinery: skipping, comparison rules, golden data, the tolerance table. */
class KitSelfTest {
    @Test
    @DisplayName("an unsupported op aborts (skips) the case with the backend's reason; it never passes")
    void unsupportedIsSkipped() {
        try (Backend b = Engine.open("naive", Map.of("without", "PRELU"))) {
            boolean[] ran = {false};
            TestAbortedException e = assertThrows(TestAbortedException.class,
                    () -> BackendConformanceKit.guarded(b, new Op[] {Op.PRELU}, () -> ran[0] = true));
            assertFalse(ran[0]);
            assertTrue(e.getMessage().contains("PRELU") && e.getMessage().contains("naive"), e.getMessage());
            assertTrue(e.getMessage().contains("opened without PReLU"), "the backend's own reason: " + e.getMessage());
        }
    }

    @Test
    @DisplayName("NaN matches only NaN, infinities match exactly, ±0 only where the tolerance says")
    void comparisonRules() {
        Tolerance loose = new Tolerance("t", Tolerance.Phase.FORWARD, 1e-3, 0, 0, false, "test");
        Tolerance signed = new Tolerance("t", Tolerance.Phase.FORWARD, 0, 0, 0, true, "test");
        assertTrue(Agreement.agrees(loose, Double.NaN, Float.NaN, 0));
        assertFalse(Agreement.agrees(loose, Double.NaN, 1f, 1e9));
        assertFalse(Agreement.agrees(loose, 1.0, Float.NaN, 1e9));
        assertTrue(Agreement.agrees(loose, Double.POSITIVE_INFINITY, Float.POSITIVE_INFINITY, 0));
        assertFalse(Agreement.agrees(loose, Double.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e300));
        assertFalse(Agreement.agrees(loose, Double.POSITIVE_INFINITY, Float.MAX_VALUE, 1e300));
        assertFalse(Agreement.agrees(loose, 1.0, Float.POSITIVE_INFINITY, 1e300));
        assertTrue(Agreement.agrees(loose, 1e39, Float.POSITIVE_INFINITY, 0), "overflow of float32 is the correctly rounded result");
        assertTrue(Agreement.agrees(loose, -0.0, 0f, 0));
        assertFalse(Agreement.agrees(signed, 0.0, -0f, 0));
        assertTrue(Agreement.agrees(signed, -0.0, -0f, 0));
        assertTrue(Agreement.agrees(signed, 0.1, 0.1f, 0), "the correctly rounded float always agrees");
        assertFalse(Agreement.agrees(signed, 0.1, Math.nextUp(0.1f), 0));
        assertTrue(Agreement.agrees(loose, 1.0, 1.0005f, loose.bound(1.0, 0)));
        AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> Agreement.assertAgree("demo", signed,
                new double[] {1, 2, 3}, new float[] {1, 2.5f, 3}, null, new float[] {7, 8, 9}));
        assertTrue(e.getMessage().contains("[1] input 8") && e.getMessage().contains("expected 2") && e.getMessage().contains("actual 2.5"),
                e.getMessage());
    }

    @Test
    @DisplayName("the golden files agree with the oracle and with engine-api's CounterRandom")
    void goldenAgrees() {
        assertFalse(Golden.masks().isEmpty());
        for (Golden.Mask g : Golden.masks()) {
            assertArrayEquals(RandomOracle.dropoutMask(g.seed(), g.offset(), g.n(), g.p()), g.kept());
            for (int i = 0; i < g.n(); i++) {
                assertEquals(CounterRandom.keep(g.seed(), g.offset(), i, g.p()), g.kept()[i]);
            }
        }
        assertFalse(Golden.inits().isEmpty());
        for (Golden.InitValues g : Golden.inits()) {
            RandomOracle.Dist d = RandomOracle.resolve(g.kind(), g.a(), g.b(), g.dims());
            float[] mine = RandomOracle.init(d, g.values().length, g.seed(), g.offset());
            dev.kengine.op.Init.Distribution theirs = new dev.kengine.op.Init(dev.kengine.op.Init.Kind.valueOf(g.kind()), g.a(), g.b())
                    .resolve(dev.kengine.Shape.of(g.dims()));
            assertEquals(theirs.normal(), d.normal());
            assertEquals(theirs.p0(), d.p0(), 0.0);
            assertEquals(theirs.p1(), d.p1(), 0.0);
            for (int i = 0; i < mine.length; i++) {
                assertEquals(Float.floatToRawIntBits(g.values()[i]), Float.floatToRawIntBits(mine[i]));
                float api = d.normal() ? CounterRandom.normal(g.seed(), g.offset(), i, d.p0(), d.p1())
                        : CounterRandom.uniform(g.seed(), g.offset(), i, d.p0(), d.p1());
                assertEquals(Float.floatToRawIntBits(g.values()[i]), Float.floatToRawIntBits(api));
            }
        }
    }

    @Test
    @DisplayName("every tolerance carries a one-line reason")
    void tolerancesHaveReasons() {
        assertTrue(Tolerances.all().size() > 40);
        for (Tolerance t : Tolerances.all()) {
            assertFalse(t.reason().isBlank());
            assertFalse(t.reason().contains("\n"), t.op());
            assertTrue(t.rel() >= 0 && t.refRel() >= 0 && t.abs() >= 0);
        }
        System.out.print(Tolerances.describe());
    }
}
