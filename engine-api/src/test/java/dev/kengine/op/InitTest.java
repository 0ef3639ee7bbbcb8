package dev.kengine.op;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.InvalidArgumentException;
import dev.kengine.random.CounterRandom;
import org.junit.jupiter.api.Test;

/** Init's parameter checks: what would give ±Infinity or be silently ignored is rejected, naming the problem. */
class InitTest {
    private static void rejected(Runnable r, String... fragments) {
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, r::run);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "'" + e.getMessage() + "' should name " + f);
        }
    }

    @Test
    void parametersBeyondFloatRangeAreRejected() {
        rejected(() -> Init.uniform(-1e39, 1e39), "float32's range");
        rejected(() -> Init.uniform(0, 1e39), "float32's range");
        rejected(() -> Init.normal(1e39, 1), "float32's range");
        rejected(() -> Init.normal(0, 1e38), "7·std", "overflow");
        rejected(() -> Init.normal(3e38, 1e37), "7·std");
        // At the edge: the largest float as a bound, and a normal whose 7σ reach just fits.
        Init.uniform(-Float.MAX_VALUE, Float.MAX_VALUE);
        Init.normal(0, Float.MAX_VALUE / 7.0);
    }

    @Test
    void fanBasedKindsTakeNoParameters() {
        for (Init.Kind k : new Init.Kind[] {Init.Kind.XAVIER_UNIFORM, Init.Kind.XAVIER_NORMAL, Init.Kind.HE_UNIFORM,
                Init.Kind.HE_NORMAL}) {
            rejected(() -> new Init(k, 5, 7), k.name(), "fans", "5.0");
            assertEquals(k, new Init(k, 0, 0).kind());
        }
    }

    @Test
    void theExtremeNormalDrawStaysWithinSevenStandardDeviations() {
        // The largest |z| the generator can draw: u1 = 2⁻³², cos2pi = ±1.
        double z = Math.sqrt(-2.0 * Math.log(0x1p-32));
        assertTrue(z < 6.7, "max |z| " + z);
        float v = CounterRandom.normal(0, 0, 0, 0, Float.MAX_VALUE / 7.0);
        assertTrue(Float.isFinite(v));
    }
}
