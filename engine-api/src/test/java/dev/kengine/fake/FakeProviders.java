package dev.kengine.fake;

import dev.kengine.DType;
import dev.kengine.DeviceOutOfMemoryException;
import dev.kengine.op.Op;
import dev.kengine.spi.Availability;
import dev.kengine.spi.BackendDriver;
import dev.kengine.spi.BackendProvider;
import dev.kengine.spi.Capabilities;
import dev.kengine.spi.Storage;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/** Providers that exercise discovery: one that works (with few ops), and three that fail in different ways. */
public final class FakeProviders {
    private FakeProviders() {}

    /** Storages currently allocated by every HeapDriver, to check that closing frees them. */
    public static final AtomicInteger LIVE_STORAGES = new AtomicInteger();
    /** Heap drivers closed so far. */
    public static final AtomicInteger DRIVERS_CLOSED = new AtomicInteger();
    /** The options the last opened HeapDriver received. */
    public static volatile Map<String, String> lastOptions = Map.of();

    /** When set, every HeapDriver copy throws a DeviceException. */
    public static volatile boolean failCopies;

    /** When set, every HeapDriver fill runs out of Java heap. */
    public static volatile boolean heapRunsOut;

    /** When set, every HeapDriver copy signals {@code entered} and then waits for {@code release}. */
    public static volatile CopyGate copyGate;

    /** A copy held in the middle, to close things under it. */
    public record CopyGate(java.util.concurrent.CountDownLatch entered, java.util.concurrent.CountDownLatch release) {
        public CopyGate() {
            this(new java.util.concurrent.CountDownLatch(1), new java.util.concurrent.CountDownLatch(1));
        }
    }

    public static final class Heap implements BackendProvider {
        @Override
        public String name() {
            return "heap";
        }

        @Override
        public int rank() {
            return 5;
        }

        @Override
        public Availability probe() {
            return Availability.available(capabilities());
        }

        static Capabilities capabilities() {
            return new Capabilities("the Java heap", 1 << 20, 1, Set.of(DType.FLOAT32),
                    EnumSet.of(Op.FILL, Op.COPY, Op.UPLOAD, Op.DOWNLOAD), Map.of("kind", "test double"));
        }

        @Override
        public BackendDriver open(Map<String, String> options) {
            lastOptions = Map.copyOf(options);
            return new HeapDriver();
        }
    }

    static final class HeapStorage implements Storage {
        final float[] data;
        boolean released;

        HeapStorage(int n) {
            data = new float[n];
            LIVE_STORAGES.incrementAndGet();
        }

        @Override
        public long size() {
            return data.length;
        }

        @Override
        public void release() {
            if (released) {
                throw new AssertionError("storage released twice");
            }
            released = true;
            LIVE_STORAGES.decrementAndGet();
        }
    }

    static final class HeapDriver implements BackendDriver {
        @Override
        public String name() {
            return "heap";
        }

        @Override
        public Capabilities capabilities() {
            return Heap.capabilities();
        }

        @Override
        public Storage allocate(long elements) {
            if (elements > 1 << 20) {
                throw new DeviceOutOfMemoryException("heap test backend holds at most 2^20 floats", elements * 4, null);
            }
            return new HeapStorage((int) elements);
        }

        @Override
        public void write(Storage dst, long dstOffset, MemorySegment src, long count) {
            MemorySegment.copy(src, ValueLayout.JAVA_FLOAT, 0, ((HeapStorage) dst).data, (int) dstOffset, (int) count);
        }

        @Override
        public void read(Storage src, long srcOffset, MemorySegment dst, long count) {
            MemorySegment.copy(((HeapStorage) src).data, (int) srcOffset, dst, ValueLayout.JAVA_FLOAT, 0, (int) count);
        }

        @Override
        public void fill(Storage x, long n, float value) {
            if (heapRunsOut) {
                throw new OutOfMemoryError("Java heap space");
            }
            java.util.Arrays.fill(((HeapStorage) x).data, 0, (int) n, value);
        }

        @Override
        public void copy(Storage src, Storage dst, long n) {
            if (failCopies) {
                throw new dev.kengine.DeviceException("heap test backend: copy failed on purpose", -1, "TEST", null);
            }
            CopyGate gate = copyGate;
            if (gate != null) {
                gate.entered.countDown();
                try {
                    gate.release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            System.arraycopy(((HeapStorage) src).data, 0, ((HeapStorage) dst).data, 0, (int) n);
        }

        @Override
        public void close() {
            DRIVERS_CLOSED.incrementAndGet();
        }
    }

    /** The heap backend under another name, declaring the options it reads. */
    public static final class Declared implements BackendProvider {
        @Override
        public String name() {
            return "declared";
        }

        @Override
        public int rank() {
            return 1;
        }

        /** Unavailable with the system property kengine.declared.device=7, as a device index this machine lacks. */
        @Override
        public Availability probe() {
            return probe(System.getProperty("kengine.declared.device") == null ? Map.of()
                    : Map.of("device", System.getProperty("kengine.declared.device")));
        }

        @Override
        public Availability probe(Map<String, String> options) {
            if ("bad".equals(options.get("device"))) {
                throw new dev.kengine.InvalidArgumentException("declared: device 'bad' is not an index or a name");
            }
            return "7".equals(options.get("device")) ? Availability.unavailable("no device 7")
                    : Availability.available(Heap.capabilities());
        }

        @Override
        public java.util.Optional<Set<String>> optionNames() {
            return java.util.Optional.of(Set.of("threads", "device"));
        }

        @Override
        public BackendDriver open(Map<String, String> options) {
            lastOptions = Map.copyOf(options);
            return new HeapDriver();
        }
    }

    public static final class MissingLibrary implements BackendProvider {
        @Override
        public String name() {
            return "missing";
        }

        @Override
        public int rank() {
            return 100;
        }

        @Override
        public Availability probe() {
            return Availability.unavailable("libmissing.so was not found on java.library.path");
        }

        @Override
        public BackendDriver open(Map<String, String> options) {
            throw new AssertionError("never opened");
        }
    }

    public static final class Throwing implements BackendProvider {
        @Override
        public String name() {
            return "throwing";
        }

        @Override
        public int rank() {
            return 50;
        }

        @Override
        public Availability probe() {
            throw new IllegalStateException("driver exploded");
        }

        @Override
        public BackendDriver open(Map<String, String> options) {
            throw new AssertionError("never opened");
        }
    }

    public static final class Linkage implements BackendProvider {
        @Override
        public String name() {
            return "linkage";
        }

        @Override
        public int rank() {
            return 60;
        }

        @Override
        public Availability probe() {
            throw new UnsatisfiedLinkError("no jnative in java.library.path");
        }

        @Override
        public BackendDriver open(Map<String, String> options) {
            throw new AssertionError("never opened");
        }
    }
}
