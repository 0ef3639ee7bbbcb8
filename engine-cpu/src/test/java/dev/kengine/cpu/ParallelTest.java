package dev.kengine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The CPU backend's worker threads: every task once, failures to the caller, callers that overlap, close. */
@DisplayName("Parallel: the CPU backend's worker threads")
class ParallelTest {

    @ParameterizedTest(name = "threads={0}")
    @ValueSource(ints = {1, 2, 4})
    @DisplayName("every task and every element of a range runs exactly once, calls back to back and after the workers park")
    void everyTaskOnce(int threads) throws InterruptedException {
        try (Parallel p = new Parallel(threads)) {
            for (int call = 0; call < 2000; call++) {
                int tasks = 1 + call % 7;
                AtomicIntegerArray seen = new AtomicIntegerArray(tasks);
                p.forEach(tasks, seen::incrementAndGet);
                for (int t = 0; t < tasks; t++) {
                    assertEquals(1, seen.get(t), "call " + call + " task " + t);
                }
                long n = 1 + call * 37L % 5000;
                AtomicIntegerArray elements = new AtomicIntegerArray((int) n);
                p.forRange(n, 64, 16, (s, e) -> {
                    for (long i = s; i < e; i++) {
                        elements.incrementAndGet((int) i);
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertEquals(1, elements.get(i), "call " + call + " element " + i + " of " + n);
                }
                if (call % 100 == 0) {
                    Thread.sleep(1); // past the workers' spin: they park, and the next call wakes them
                }
            }
        }
    }

    @Test
    @DisplayName("ranges: one per thread down to a quarter of the grain, up to four per thread above the grain")
    void rangeSplit() {
        try (Parallel p = new Parallel(2)) {
            assertEquals(1, ranges(p, 1 << 13, 1 << 16), "under a quarter of the grain per thread: one range");
            assertEquals(2, ranges(p, 1 << 15, 1 << 16), "a quarter of the grain per thread: one range each");
            assertEquals(2, ranges(p, 1 << 17, 1 << 16), "two grains: one range each");
            assertEquals(4, ranges(p, 1 << 18, 1 << 16), "four grains: four ranges");
            assertEquals(8, ranges(p, 1 << 22, 1 << 16), "at most four ranges per thread");
        }
        try (Parallel p = new Parallel(1)) {
            assertEquals(1, ranges(p, 1 << 22, 1 << 16), "one thread: one range");
        }
    }

    private static int ranges(Parallel p, long n, long grain) {
        AtomicInteger count = new AtomicInteger();
        java.util.concurrent.atomic.AtomicLong covered = new java.util.concurrent.atomic.AtomicLong();
        p.forRange(n, grain, 16, (s, e) -> {
            count.incrementAndGet();
            covered.addAndGet(e - s);
        });
        assertEquals(n, covered.get(), "every element once");
        return count.get();
    }

    @Test
    @DisplayName("one exception object thrown by several tasks (as the JVM's preallocated OutOfMemoryError is) fails the call once, with no hang")
    void oneFailureObjectFromSeveralTasks() {
        try (Parallel p = new Parallel(2)) {
            for (int round = 0; round < 300; round++) {
                RuntimeException shared = new IllegalStateException("shared failure");
                java.util.concurrent.CountDownLatch both = new java.util.concurrent.CountDownLatch(2);
                RuntimeException e = assertThrows(RuntimeException.class, () -> p.forEach(2, t -> {
                    both.countDown();
                    try {
                        both.await(50, java.util.concurrent.TimeUnit.MILLISECONDS); // both tasks running at once
                    } catch (InterruptedException x) {
                        Thread.currentThread().interrupt();
                    }
                    throw shared;
                }));
                assertTrue(e == shared, "the task's own exception: " + e);
                assertEquals(0, e.getSuppressed().length, "an exception cannot suppress itself");
                AtomicInteger ran = new AtomicInteger();
                p.forEach(8, t -> ran.incrementAndGet());
                assertEquals(8, ran.get(), "the workers serve the next call");
            }
        }
    }

    @Test
    @DisplayName("a task that fails on a worker or on the caller fails the call, and the workers serve the next call")
    void failuresReachTheCaller() {
        try (Parallel p = new Parallel(2)) {
            for (int round = 0; round < 200; round++) {
                int failing = round % 4;
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.forEach(4, t -> {
                    if (t == failing) {
                        throw new IllegalStateException("task " + t);
                    }
                }));
                assertEquals("task " + failing, e.getMessage());
                AssertionError error = assertThrows(AssertionError.class, () -> p.forEach(2, t -> {
                    throw new AssertionError("error " + t);
                }));
                assertTrue(error.getMessage().startsWith("error "));
                AtomicInteger ran = new AtomicInteger();
                p.forEach(8, t -> ran.incrementAndGet());
                assertEquals(8, ran.get());
            }
        }
    }

    @Test
    @DisplayName("calls from several threads at once, and a call from inside a task, all complete with every task once")
    void overlappingAndNestedCalls() throws InterruptedException {
        try (Parallel p = new Parallel(2)) {
            int callers = 4;
            CountDownLatch start = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread[] ts = new Thread[callers];
            for (int c = 0; c < callers; c++) {
                ts[c] = new Thread(() -> {
                    try {
                        start.await();
                        for (int call = 0; call < 500; call++) {
                            AtomicIntegerArray seen = new AtomicIntegerArray(6);
                            p.forEach(6, t -> {
                                // A nested call: runs on this thread, whoever holds the workers.
                                AtomicInteger inner = new AtomicInteger();
                                p.forEach(3, u -> inner.incrementAndGet());
                                assertEquals(3, inner.get());
                                seen.incrementAndGet(t);
                            });
                            for (int t = 0; t < 6; t++) {
                                assertEquals(1, seen.get(t));
                            }
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
                ts[c].start();
            }
            start.countDown();
            for (Thread t : ts) {
                t.join(TimeUnit.SECONDS.toMillis(60));
                assertFalse(t.isAlive(), "a caller did not finish");
            }
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
        }
    }

    @Test
    @DisplayName("an outside interrupt neither makes an idle worker spin nor stops a call, and the caller keeps its flag")
    void interrupts() throws InterruptedException {
        try (Parallel p = new Parallel(3)) {
            AtomicInteger ran = new AtomicInteger();
            p.forEach(3, t -> ran.incrementAndGet());
            Thread.sleep(50); // past the workers' spin: parked
            java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
            long before = 0;
            for (Thread w : p.workerThreads()) {
                w.interrupt();
                before += mx.getThreadCpuTime(w.threadId());
            }
            Thread.sleep(300);
            long used = -before;
            for (Thread w : p.workerThreads()) {
                used += mx.getThreadCpuTime(w.threadId());
            }
            // Spinning, two workers would burn about 600 ms of CPU here (the interrupt made every park return).
            assertTrue(used < 100_000_000L, "idle workers used " + used / 1_000_000 + " ms of CPU in 300 ms after an interrupt");
            p.forEach(3, t -> ran.incrementAndGet());
            Thread.currentThread().interrupt();
            p.forEach(64, t -> {
                long end = System.nanoTime() + 200_000; // long enough that the caller parks
                while (System.nanoTime() < end) {
                    Thread.onSpinWait();
                }
                ran.incrementAndGet();
            });
            assertTrue(Thread.interrupted(), "the caller's interrupt flag is kept");
            assertEquals(70, ran.get());
        }
    }

    @Test
    @DisplayName("after close the workers end, and a call still completes on the calling thread")
    void close() throws InterruptedException {
        Parallel p = new Parallel(3);
        p.forEach(3, t -> { });
        p.close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && p.workersAlive()) {
            Thread.sleep(10);
        }
        assertFalse(p.workersAlive(), "worker threads still alive after close");
        Thread caller = Thread.currentThread();
        AtomicInteger ran = new AtomicInteger();
        p.forEach(5, t -> {
            assertSame(caller, Thread.currentThread());
            ran.incrementAndGet();
        });
        assertEquals(5, ran.get());
    }
}
