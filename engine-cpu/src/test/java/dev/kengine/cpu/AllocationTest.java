package dev.kengine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kengine.Backend;
import dev.kengine.BackendInfo;
import dev.kengine.DeviceOutOfMemoryException;
import dev.kengine.Engine;
import dev.kengine.InvalidArgumentException;
import dev.kengine.Shape;
import dev.kengine.Tensor;
import dev.kengine.op.Op;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Allocation, transfers, options and discovery")
class AllocationTest {

    @Test
    @DisplayName("an absurd allocation throws DeviceOutOfMemoryException and the backend still works")
    void absurdAllocation() {
        try (Backend b = Engine.open("cpu", Map.of("threads", "2"))) {
            DeviceOutOfMemoryException e = assertThrows(DeviceOutOfMemoryException.class, () -> b.empty(1L << 40));
            assertEquals(4L << 40, e.requestedBytes());
            assertTrue(e.getMessage().contains("1099511627776"), e.getMessage());
            try (Tensor t = b.of(new float[] {1, 2, 3}); Tensor s = b.scale(t, 2f)) {
                assertArrayEquals(new float[] {2, 4, 6}, s.toArray());
            }
        }
    }

    @Test
    @DisplayName("an allocation larger than the Java heap throws DeviceOutOfMemoryException")
    void beyondHeap() {
        long elements = Integer.MAX_VALUE - 16;
        assumeTrue(Runtime.getRuntime().maxMemory() < elements * 4L, "the heap could hold 8 GB");
        try (Backend b = Engine.open("cpu", Map.of("threads", "1"))) {
            assertThrows(DeviceOutOfMemoryException.class, () -> b.empty(elements));
            try (Tensor t = b.zeros(1000)) {
                assertEquals(0f, t.toArray()[999]);
            }
        }
    }

    @Test
    @DisplayName("uploads and downloads accept heap, native and byte-buffer segments")
    void segments() {
        try (Backend b = Engine.open("cpu"); Arena arena = Arena.ofConfined()) {
            MemorySegment nat = arena.allocate(4 * 5);
            for (int i = 0; i < 5; i++) {
                nat.setAtIndex(ValueLayout.JAVA_FLOAT, i, i + 0.5f);
            }
            try (Tensor t = b.of(nat, Shape.of(5))) {
                assertArrayEquals(new float[] {0.5f, 1.5f, 2.5f, 3.5f, 4.5f}, t.toArray());
                ByteBuffer bb = ByteBuffer.allocate(4 * 5 + 1).order(ByteOrder.nativeOrder());
                MemorySegment unaligned = MemorySegment.ofBuffer(bb).asSlice(1, 20);
                t.copyTo(unaligned);
                assertEquals(2.5f, unaligned.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 8));
                byte[] bytes = new byte[20];
                MemorySegment.copy(unaligned, 0, MemorySegment.ofArray(bytes), 0, 20);
                try (Tensor u = b.of(MemorySegment.ofArray(bytes), Shape.of(5))) {
                    assertArrayEquals(t.toArray(), u.toArray());
                }
            }
        }
    }

    @Test
    @DisplayName("malformed options are rejected")
    void options() {
        assertThrows(InvalidArgumentException.class, () -> Engine.open("cpu", Map.of("threads", "0")));
        assertThrows(InvalidArgumentException.class, () -> Engine.open("cpu", Map.of("threads", "two")));
        assertThrows(InvalidArgumentException.class, () -> Engine.open("cpu", Map.of("simd", "maybe")));
        try (Backend b = Engine.open("cpu", Map.of("threads", "3", "simd", "FALSE"))) {
            assertEquals(3, b.capabilities().computeUnits());
            assertEquals("3", b.capabilities().details().get("threads"));
        }
    }

    @Test
    @DisplayName("the provider is discovered, available, and declares every op")
    void discovery() {
        BackendInfo info = Engine.explain().stream().filter(i -> i.name().equals("cpu")).findFirst().orElseThrow();
        assertTrue(info.available());
        assertEquals(10, info.rank());
        assertEquals(Op.values().length, info.capabilities().supportedOps().size());
        assertTrue(info.capabilities().details().containsKey("simd"));
        assertTrue(info.capabilities().details().containsKey("java"));
        assertTrue(info.capabilities().memoryBytes() > 0);
    }
}
