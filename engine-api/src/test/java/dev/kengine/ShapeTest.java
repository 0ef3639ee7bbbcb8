package dev.kengine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ShapeTest {

    @Test
    void scalarHasOneElement() {
        assertEquals(0, Shape.scalar().rank());
        assertEquals(1, Shape.scalar().size());
        assertEquals(Shape.scalar(), Shape.of(new long[0]));
    }

    @Test
    void rowsAndLastDim() {
        Shape s = Shape.of(2, 3, 5);
        assertEquals(30, s.size());
        assertEquals(6, s.rows());
        assertEquals(5, s.lastDim());
        assertEquals(Shape.of(2, 5), s.without(1));
        assertEquals(Shape.of(2, 3), s.without(-1));
        assertEquals(0, Shape.of(4, 0).size());
        assertEquals(4, Shape.of(4, 0).rows());
    }

    @Test
    void rejectsRankAboveFour() {
        var e = assertThrows(InvalidArgumentException.class, () -> Shape.of(1, 2, 3, 4, 5));
        assertTrue(e.getMessage().contains("rank 5"), e.getMessage());
    }

    @Test
    void rejectsNegativeDimensions() {
        var e = assertThrows(InvalidArgumentException.class, () -> Shape.of(3, -1));
        assertTrue(e.getMessage().contains("-1"), e.getMessage());
    }

    @Test
    void rejectsOverflowingSizes() {
        var e = assertThrows(InvalidArgumentException.class, () -> Shape.of(Long.MAX_VALUE, 2));
        assertTrue(e.getMessage().contains("more elements"), e.getMessage());
        assertThrows(InvalidArgumentException.class, () -> Shape.of(1L << 32, 1L << 32));
    }

    @Test
    void rejectsAxesOutsideTheRank() {
        assertThrows(InvalidArgumentException.class, () -> Shape.of(2, 3).normalizeAxis(2));
        assertThrows(InvalidArgumentException.class, () -> Shape.of(2, 3).normalizeAxis(-3));
        assertEquals(1, Shape.of(2, 3).normalizeAxis(-1));
    }
}
