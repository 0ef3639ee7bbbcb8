package dev.kengine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
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
    void nullsAreInvalidArgumentsNamingTheArgument() {
        try (Tensor t = backend.zeros(3)) {
            assertInvalid("data", () -> backend.of((float[]) null));
            assertInvalid("data", () -> backend.of((FloatBuffer) null, Shape.of(1)));
            assertInvalid("shape", () -> backend.of(FloatBuffer.allocate(1), null));
            assertInvalid("data", () -> backend.of((MemorySegment) null, Shape.of(1)));
            assertInvalid("shape", () -> backend.empty((Shape) null));
            assertInvalid("shape", () -> backend.full(null, 1f));
            assertInvalid("dimensions", () -> Shape.of((long[]) null));
            assertInvalid("src", () -> t.copyFrom((float[]) null));
            assertInvalid("dst", () -> t.copyTo((float[]) null));
            assertInvalid("segment", () -> t.copyTo((MemorySegment) null));
            assertInvalid("dst", () -> t.copyTo((FloatBuffer) null));
            assertInvalid("backend name", () -> Engine.open(null));
            assertInvalid("activation", () -> dev.kengine.op.Activation.parse(null));
            try (Scope s = Scope.open()) {
                assertInvalid("tensor", () -> s.keep(null));
            }
        }
    }

    private static void assertInvalid(String named, org.junit.jupiter.api.function.Executable call) {
        var e = assertThrows(InvalidArgumentException.class, call);
        assertTrue(e.getMessage().contains(named), e.getMessage());
    }

    @Test
    void readOnlyAndDeadDestinationsAreRejected() {
        try (Tensor t = backend.zeros(4)) {
            assertInvalid("read-only", () -> t.copyTo(FloatBuffer.allocate(4).asReadOnlyBuffer()));
            Arena arena = Arena.ofConfined();
            MemorySegment seg = arena.allocate(16, 16);
            arena.close();
            assertInvalid("arena is closed", () -> t.copyTo(seg));
            assertInvalid("arena is closed", () -> t.copyFrom(seg));
            assertInvalid("arena is closed", () -> backend.of(seg, Shape.of(4)));
            MemorySegment[] other = new MemorySegment[1];
            Arena[] otherArena = new Arena[1];
            Thread th = Thread.ofPlatform().start(() -> {
                otherArena[0] = Arena.ofConfined();
                other[0] = otherArena[0].allocate(16, 16);
            });
            assertDoesNotThrow(() -> th.join());
            assertInvalid("another thread", () -> t.copyTo(other[0]));
            assertEquals(1, backend.liveTensors());
        }
    }

    @Test
    void aShapeWithAZeroDimensionHasNoElementsHoweverLargeTheOthers() {
        Shape s = Shape.of(1L << 62, 1L << 62, 0);
        assertEquals(0, s.size());
        assertInvalid("more elements", () -> Shape.of(1L << 62, 1L << 62, 1));
    }

    @Test
    void aNullOutIsRejectedNotReplaced() {
        try (Tensor a = backend.zeros(2)) {
            // The heap double lacks ADD; the null is named before the op is looked up either way.
            assertThrows(EngineException.class, () -> backend.add(a, a, null));
            assertEquals(1, backend.liveTensors());
        }
    }

    @Test
    void aTensorClosedUnderAnotherThreadsCallIsFreedWhenTheCallEnds() throws Exception {
        Tensor src = backend.full(Shape.of(8), 4f);
        Tensor dst = backend.zeros(8);
        FakeProviders.CopyGate gate = new FakeProviders.CopyGate();
        FakeProviders.copyGate = gate;
        try {
            Thread worker = Thread.ofPlatform().start(() -> backend.copy(src, dst));
            gate.entered().await();
            int storages = FakeProviders.LIVE_STORAGES.get();
            src.close();
            assertTrue(src.isClosed());
            assertEquals(storages, FakeProviders.LIVE_STORAGES.get(), "the running copy still holds src's memory");
            assertThrows(InvalidArgumentException.class, () -> backend.copyOf(src));
            gate.release().countDown();
            worker.join();
            assertEquals(storages - 1, FakeProviders.LIVE_STORAGES.get(), "src was freed when the copy ended");
            assertArrayEquals(new float[] {4, 4, 4, 4, 4, 4, 4, 4}, dst.toArray());
        } finally {
            FakeProviders.copyGate = null;
            dst.close();
        }
    }

    @Test
    void closingTheBackendWaitsForRunningCallsThenRejectsNewOnes() throws Exception {
        Backend b = Engine.open("heap");
        Tensor src = b.full(Shape.of(8), 4f);
        Tensor dst = b.zeros(8);
        FakeProviders.CopyGate gate = new FakeProviders.CopyGate();
        FakeProviders.copyGate = gate;
        try {
            Thread worker = Thread.ofPlatform().start(() -> b.copy(src, dst));
            gate.entered().await();
            Thread closer = Thread.ofPlatform().start(b::close);
            closer.join(200);
            assertTrue(closer.isAlive(), "close waits while a call runs");
            assertThrows(InvalidStateException.class, () -> b.zeros(1));
            Thread second = Thread.ofPlatform().start(b::close);
            second.join(200);
            assertTrue(second.isAlive(), "a second close returns only once the first has freed everything");
            gate.release().countDown();
            worker.join();
            closer.join();
            second.join();
            assertTrue(src.isClosed() && dst.isClosed());
        } finally {
            FakeProviders.copyGate = null;
            b.close();
        }
    }

    @Test
    void aCallThatFailsInTheDriverFreesWhatItAllocated() {
        try (Tensor src = backend.full(Shape.of(8), 1f)) {
            int storages = FakeProviders.LIVE_STORAGES.get();
            FakeProviders.failCopies = true;
            try {
                assertThrows(DeviceException.class, () -> backend.copyOf(src));
            } finally {
                FakeProviders.failCopies = false;
            }
            assertEquals(1, backend.liveTensors());
            assertEquals(storages, FakeProviders.LIVE_STORAGES.get(), "the copy's result was freed");
        }
    }

    @Test
    void theJavaHeapRunningOutIsADeviceOutOfMemoryException() {
        int storages = FakeProviders.LIVE_STORAGES.get();
        FakeProviders.heapRunsOut = true;
        try {
            var e = assertThrows(dev.kengine.DeviceOutOfMemoryException.class, () -> backend.full(Shape.of(8), 1f));
            assertTrue(e.getMessage().contains("the Java heap ran out"), e.getMessage());
            assertEquals(-1, e.requestedBytes());
            assertTrue(e.getCause() instanceof OutOfMemoryError);
        } finally {
            FakeProviders.heapRunsOut = false;
        }
        assertEquals(storages, FakeProviders.LIVE_STORAGES.get(), "the result was freed");
        try (Tensor t = backend.full(Shape.of(8), 2f)) {
            assertEquals(2f, t.toArray()[7], "the backend goes on");
        }
    }

    @Test
    void scopesBelongToTheirThread() throws Exception {
        Scope s = Scope.open();
        Tensor t = backend.zeros(2);
        RuntimeException[] thrown = new RuntimeException[2];
        Thread other = Thread.ofPlatform().start(() -> {
            try {
                s.close();
            } catch (RuntimeException e) {
                thrown[0] = e;
            }
            try {
                s.keep(t);
            } catch (RuntimeException e) {
                thrown[1] = e;
            }
        });
        other.join();
        assertTrue(thrown[0] instanceof InvalidStateException, String.valueOf(thrown[0]));
        assertTrue(thrown[1] instanceof InvalidStateException, String.valueOf(thrown[1]));
        assertFalse(t.isClosed());
        s.close();
        assertTrue(t.isClosed());
        assertThrows(InvalidStateException.class, () -> s.keep(t));
    }

    @Test
    void aTensorClosedOnAnotherThreadLeavesItsScope() throws Exception {
        try (Scope s = Scope.open()) {
            Tensor t = backend.zeros(4);
            java.lang.ref.WeakReference<Tensor> ref = new java.lang.ref.WeakReference<>(t);
            Thread.ofPlatform().start(t::close).join();
            t = null;
            assertEquals(0, s.size());
            // The scope no longer holds the closed tensor, so nothing does: a producer's scope with consumers closing
            // its tensors on their threads kept every one (and its memory) until the scope closed.
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (ref.get() != null && System.nanoTime() < deadline) {
                System.gc();
                Thread.sleep(10);
            }
            assertTrue(ref.get() == null, "the closed tensor is still reachable");
            Tensor kept = backend.zeros(2);
            assertEquals(1, s.size());
            kept.close();
            assertEquals(0, s.size());
        }
    }

    @Test
    void aScopesSizeMayBeReadFromAnotherThreadWhileItsOwnerAllocates() throws Exception {
        try (Scope s = Scope.open()) {
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            RuntimeException[] failure = new RuntimeException[1];
            Thread reader = Thread.ofPlatform().start(() -> {
                while (!done.get()) {
                    try {
                        s.size();
                    } catch (RuntimeException e) {
                        failure[0] = e;
                        return;
                    }
                }
            });
            for (int i = 0; i < 20_000; i++) {
                Tensor t = backend.zeros(1);
                if (i % 2 == 0) {
                    t.close();
                }
            }
            done.set(true);
            reader.join();
            assertEquals(null, failure[0]);
            assertEquals(10_000, s.size());
        }
    }

    @Test
    void aBackendDroppedUnclosedIsFreedByTheCollector() throws Exception {
        int storages = FakeProviders.LIVE_STORAGES.get();
        int closed = FakeProviders.DRIVERS_CLOSED.get();
        openAndDrop();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while ((FakeProviders.DRIVERS_CLOSED.get() == closed || FakeProviders.LIVE_STORAGES.get() > storages)
                && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(10);
        }
        assertEquals(closed + 1, FakeProviders.DRIVERS_CLOSED.get(), "the dropped backend's driver was closed");
        assertEquals(storages, FakeProviders.LIVE_STORAGES.get(), "and its tensors freed");
        // A closed backend is not closed again by the collector.
        Backend b = Engine.open("heap");
        b.close();
        b = null;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertEquals(closed + 2, FakeProviders.DRIVERS_CLOSED.get(), "closed once, by close()");
    }

    private static void openAndDrop() {
        Backend b = Engine.open("heap");
        Tensor kept = b.full(Shape.of(8), 1f);
        assertEquals(8, kept.size());
    }

    @Test
    void leakedTensorsAreFreedAndCountedBySite() throws Exception {
        int storages = FakeProviders.LIVE_STORAGES.get();
        for (int i = 0; i < 200; i++) {
            backend.full(Shape.of(16), 1f); // leaked on purpose
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (FakeProviders.LIVE_STORAGES.get() > storages && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(10);
        }
        assertEquals(storages, FakeProviders.LIVE_STORAGES.get(), "the cleaner freed every leaked tensor");
        assertEquals(0, backend.liveTensors());
        assertTrue(Leaks.counts().values().stream().mapToLong(Long::longValue).sum() >= 200, Leaks.counts().toString());
    }

    @Test
    void outOfMemoryLeavesTheBackendUsable() {
        assertThrows(DeviceOutOfMemoryException.class, () -> backend.empty(1L << 40));
        try (Tensor t = backend.full(Shape.of(3), 7f)) {
            assertArrayEquals(new float[] {7, 7, 7}, t.toArray());
        }
    }
}
