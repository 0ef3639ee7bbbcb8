package dev.kengine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.fake.FakeProviders;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TensorLifecycleTest {
    private Backend backend;
    private int liveBefore;

    @BeforeEach
    void open() {
        liveBefore = FakeProviders.LIVE_STORAGES.get();
        backend = Engine.open("heap");
    }

    @AfterEach
    void close() {
        backend.close();
        assertEquals(liveBefore, FakeProviders.LIVE_STORAGES.get(), "closing the backend frees every storage");
    }

    @Test
    void uploadAndDownloadEveryWay() {
        float[] data = {1, 2, 3, 4, 5, 6};
        try (Tensor t = backend.of(data, 2, 3)) {
            assertEquals(Shape.of(2, 3), t.shape());
            assertArrayEquals(data, t.toArray());
            FloatBuffer heap = FloatBuffer.allocate(6);
            t.copyTo(heap);
            assertArrayEquals(data, heap.array());
            FloatBuffer bigEndian = ByteBuffer.allocateDirect(24).order(ByteOrder.BIG_ENDIAN).asFloatBuffer();
            t.copyTo(bigEndian);
            assertEquals(6f, bigEndian.get(5));
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment seg = arena.allocate(24);
                t.copyTo(seg);
                assertEquals(4f, seg.getAtIndex(ValueLayout.JAVA_FLOAT, 3));
                seg.setAtIndex(ValueLayout.JAVA_FLOAT, 0, 9f);
                t.copyFrom(seg);
                assertEquals(9f, t.toArray()[0]);
                try (Tensor u = backend.of(seg, Shape.of(6))) {
                    assertEquals(9f, u.toArray()[0]);
                }
            }
            t.copyFrom(bigEndian);
            assertEquals(6f, t.toArray()[5]);
        }
    }

    @Test
    void wrongLengthsAreRejected() {
        var e = assertThrows(InvalidArgumentException.class, () -> backend.of(new float[5], 2, 3));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("5"), e.getMessage());
        try (Tensor t = backend.zeros(4)) {
            assertThrows(InvalidArgumentException.class, () -> t.copyFrom(new float[3]));
            assertThrows(InvalidArgumentException.class, () -> t.copyTo(new float[5]));
            assertThrows(InvalidArgumentException.class, () -> t.copyTo(MemorySegment.ofArray(new float[3])));
            assertThrows(InvalidArgumentException.class, () -> t.item());
        }
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseIsAClearError() {
        Tensor t = backend.zeros(2, 2);
        t.close();
        t.close();
        assertTrue(t.isClosed());
        var e = assertThrows(InvalidArgumentException.class, t::toArray);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(InvalidArgumentException.class, () -> backend.fill(t, 1f));
        assertEquals(0, backend.liveTensors());
    }

    @Test
    void scopesNestAndKeep() {
        Tensor kept;
        Tensor inner;
        Tensor outer;
        try (Scope s = Scope.open()) {
            outer = backend.zeros(1);
            try (Scope s2 = Scope.open()) {
                inner = backend.zeros(1);
                kept = s2.keep(backend.zeros(1));
            }
            assertTrue(inner.isClosed());
            assertFalse(kept.isClosed());
            assertFalse(outer.isClosed());
            assertEquals(2, s.size());
        }
        assertTrue(kept.isClosed());
        assertTrue(outer.isClosed());
    }

    @Test
    void closingAnOuterScopeClosesInnerOnes() {
        Scope outer = Scope.open();
        Scope inner = Scope.open();
        Tensor t = backend.zeros(1);
        outer.close();
        assertTrue(t.isClosed());
        inner.close();
        try (Tensor u = backend.zeros(1)) {
            assertFalse(u.isClosed());
        }
    }

    @Test
    void tensorsOfTwoBackendsDoNotMix() {
        try (Backend other = Engine.open("heap"); Tensor a = backend.zeros(3); Tensor b = other.zeros(3)) {
            var e = assertThrows(InvalidArgumentException.class, () -> backend.copy(a, b));
            assertTrue(e.getMessage().contains("two backends"), e.getMessage());
            backend.fill(a, 2f);
            assertEquals(2f, a.toArray()[0]);
        }
    }

    @Test
    void closingTheBackendClosesItsTensors() {
        Backend b = Engine.open("heap");
        Tensor t = b.zeros(8);
        b.close();
        assertTrue(t.isClosed());
        var e = assertThrows(InvalidStateException.class, t::toArray);
        assertTrue(e.getMessage().contains("backend 'heap' is closed"), e.getMessage());
        assertThrows(InvalidStateException.class, () -> b.zeros(1));
    }

    @Test
    void outOfMemoryLeavesTheBackendUsable() {
        assertThrows(DeviceOutOfMemoryException.class, () -> backend.empty(1L << 40));
        try (Tensor t = backend.full(Shape.of(3), 7f)) {
            assertArrayEquals(new float[] {7, 7, 7}, t.toArray());
        }
    }
}
