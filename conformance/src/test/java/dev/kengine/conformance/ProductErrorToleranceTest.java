package dev.kengine.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The widening a backend in a reduced-precision matmul mode gets: matmul rows only, by its declared product error. */
class ProductErrorToleranceTest {

    @Test
    void matmulRowsWidenByTheDeclaredProductErrorOthersStay() {
        double e = 0x1p-10;
        for (Tolerance t : new Tolerance[] {Tolerances.MATMUL, Tolerances.LINEAR, Tolerances.LINEAR_BACKWARD}) {
            Tolerance w = Tolerances.forProductError(t, e, "tf32");
            assertEquals(t.refRel() + e, w.refRel(), 0, t.op());
            assertEquals(t.rel(), w.rel(), 0);
            assertEquals(t.abs(), w.abs(), 0);
            assertTrue(w.op().endsWith("(tf32)"), w.op());
            assertTrue(w.reason().contains("tf32") && w.reason().endsWith(t.reason()), w.reason());
        }
        Tolerance fd = Tolerances.forProductError(Tolerances.LINEAR_GRADIENT_CHECK, e, "tf32");
        assertEquals(Tolerances.LINEAR_GRADIENT_CHECK.refRel() + 4 * e, fd.refRel(), 0);
        assertSame(Tolerances.MATMUL, Tolerances.forProductError(Tolerances.MATMUL, 0, "fp32"), "no error declared: as declared");
        assertSame(Tolerances.ADD, Tolerances.forProductError(Tolerances.ADD, e, "tf32"), "elementwise rows stay");
    }
}
