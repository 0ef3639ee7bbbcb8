package dev.kengine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.InvalidArgumentException;
import dev.kengine.Tensor;
import dev.kengine.op.Activation;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The CPU backend's default {@code simd=auto}: each vector kernel only once the JIT has compiled it. The decision
 * rule runs against a virtual clock; the whole mechanism runs for real on one kernel.
 */
@DisplayName("Vector kernels once compiled (simd=auto)")
class WarmupTest {

    /** A virtual clock and probe calls that cost what a script says. */
    static class Script implements Warmup.Clock {
        long now;
        int vectorCalls;
        final long scalarCost;
        final java.util.function.IntToLongFunction vectorCost;

        Script(long scalarCost, java.util.function.IntToLongFunction vectorCost) {
            this.scalarCost = scalarCost;
            this.vectorCost = vectorCost;
        }

        @Override
        public long nanoTime() {
            return now;
        }

        Warmup.Probe probe() {
            Runnable vector = () -> now += vectorCost.applyAsLong(vectorCalls++);
            Runnable scalar = () -> now += scalarCost;
            return new Warmup.Probe(0, "scripted", 1, vector, scalar, vector, scalar, () -> now += 10);
        }
    }

    @Test
    @DisplayName("the warm-up thread ends once the last simd=auto backend is closed")
    void theThreadEndsWithTheLastBackend() throws InterruptedException {
        assumeTrue(SimdSelection.VECTOR != null, "no Vector API here: " + SimdSelection.DESCRIPTION);
        try (Backend b = Engine.open("cpu", Map.of("simd", "auto", "threads", "1"))) {
            // A size and an activation no other test asks for, so that its key is queued by this call.
            try (Tensor x = b.zeros(12_345); Tensor y = b.activation(x, Activation.elu(0.375f))) {
                assertEquals(12_345, y.size());
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (Warmup.running() && System.nanoTime() < deadline) {
            System.gc(); // backends another test left unclosed are closed by the collector
            Thread.sleep(50);
        }
        assertFalse(Warmup.running(), "kengine-cpu-warmup still running 20 s after the last backend closed");
    }

    @Test
    @DisplayName("a vector kernel that becomes faster than the scalar one is chosen once it is")
    void turnsToVectorOnceFaster() {
        // 100 µs a call until the 3000th call ("compiled"), then 2 µs against the scalar 5 µs.
        Script s = new Script(5_000, i -> i < 3000 ? 100_000 : 2_000);
        assertEquals(Warmup.VECTOR, Warmup.decide(s.probe(), s));
        assertTrue(s.vectorCalls >= 3000, "decided before the vector kernel was fast: " + s.vectorCalls + " calls");
        assertTrue(s.now < Warmup.LIMIT_NANOS);
    }

    @Test
    @DisplayName("a compiled vector kernel that stays slower than the scalar one is not chosen")
    void keepsScalarWhenVectorStaysSlower() {
        // Compiled after 100 calls, but 7 µs against the scalar 5 µs for good.
        Script s = new Script(5_000, i -> i < 100 ? 100_000 : 7_000);
        assertEquals(Warmup.SCALAR, Warmup.decide(s.probe(), s));
        assertTrue(s.now < Warmup.LIMIT_NANOS, "waited for the limit instead of seeing the kernel settle");
    }

    @Test
    @DisplayName("a vector kernel a little slower while the JIT is still compiling is not judged until it stops")
    void waitsForAQuietCompilerBeforeKeepingScalar() {
        // Compiled enough to be within 1.5x after 100 calls (1.2x slower), fully compiled after 3000 calls, which
        // the JIT reports only when it finishes. The scalar verdict must wait for a second without a finished
        // compilation, by which time the kernel is compiled.
        Script s = new Script(5_000, i -> i < 100 ? 100_000 : i < 3000 ? 6_000 : 1_000) {
            @Override
            public long compilerMillis() {
                return vectorCalls < 3000 ? 0 : 1;
            }
        };
        assertEquals(Warmup.VECTOR, Warmup.decide(s.probe(), s));
        assertTrue(s.vectorCalls >= 3000, "decided while compiling: " + s.vectorCalls + " vector calls");
        // A kernel that stays 1.2x slower with a quiet JIT: kept scalar, after that second.
        Script slower = new Script(5_000, i -> i < 100 ? 100_000 : 6_000);
        assertEquals(Warmup.SCALAR, Warmup.decide(slower.probe(), slower));
        assertTrue(slower.now >= Warmup.QUIET_NANOS && slower.now < Warmup.LIMIT_NANOS, slower.now / 1e9 + " s");
    }

    @Test
    @DisplayName("a JIT that never falls quiet delays a scalar verdict by two quiet times, no more")
    void busyJitDelaysTheVerdictBoundedly() {
        // 1.2x slower for good, and a JIT that finishes a compilation every round (the job's own methods).
        Script s = new Script(5_000, i -> i < 100 ? 100_000 : 6_000) {
            long compiles;

            @Override
            public long compilerMillis() {
                return compiles++;
            }
        };
        assertEquals(Warmup.SCALAR, Warmup.decide(s.probe(), s));
        assertTrue(s.now >= 2 * Warmup.QUIET_NANOS && s.now < 2 * Warmup.QUIET_NANOS + Warmup.LIMIT_NANOS / 4,
                s.now / 1e9 + " s");
    }

    @Test
    @DisplayName("a vector kernel that never gets compiled (no C2) is given up at the limit")
    void givesUpAtTheLimit() {
        Script s = new Script(5_000, i -> 100_000);
        assertEquals(Warmup.SCALAR, Warmup.decide(s.probe(), s));
        assertTrue(s.now >= Warmup.LIMIT_NANOS);
    }

    @Test
    @DisplayName("the warm-up rests only when other processes leave this one less than one and a half cores")
    void pace() {
        // Two cores, this process using both (the job and the warm-up): not busy.
        assertFalse(Warmup.busy(1.0, 1.0, 2));
        // Two cores, another process using one of them: busy.
        assertTrue(Warmup.busy(1.0, 0.5, 2));
        // Sixteen cores, eight used by others: not busy; fifteen: busy.
        assertFalse(Warmup.busy(0.75, 0.25, 16));
        assertTrue(Warmup.busy(1.0, 1.0 / 16, 16));
    }

    @Test
    @DisplayName("the probe lets the compiler work alone after every round, and that wait does not count toward its limit")
    void yieldsToTheCompilerEveryRound() {
        int[] yields = {0};
        int[] rounds = {0};
        Script s = new Script(5_000, i -> i < 3000 ? 100_000 : 2_000) {
            @Override
            public void rest(long roundNanos) {
                rounds[0]++;
            }

            @Override
            public void yieldToCompiler() {
                yields[0]++;
                now += Warmup.YIELD_MAX_NANOS; // the longest wait, every time
            }
        };
        assertEquals(Warmup.VECTOR, Warmup.decide(s.probe(), s));
        assertTrue(rounds[0] > 10, "rounds: " + rounds[0]);
        assertEquals(rounds[0], yields[0], "a yield after each round");
        assertTrue(s.now > Warmup.LIMIT_NANOS, "the waits took longer than the limit and the probe still decided");
    }

    @Test
    @DisplayName("the compiler counts as at work when its threads ran a fifth of the span or more")
    void compilerWorking() {
        long ms = 1_000_000;
        assertTrue(Warmup.compilerWorking(5 * ms, 5 * ms));
        assertTrue(Warmup.compilerWorking(ms, 5 * ms));
        assertFalse(Warmup.compilerWorking(ms - 1, 5 * ms));
        assertFalse(Warmup.compilerWorking(0, 5 * ms));
    }

    @Test
    @DisplayName("on Linux the C2 threads' run time is read from /proc, grows while C2 compiles, and a yield ends")
    void compilerThreadsOnLinux() throws Exception {
        assumeTrue(java.nio.file.Files.isReadable(java.nio.file.Path.of("/proc/self/task")), "no /proc/self/task");
        Warmup.CompilerThreads c2 = Warmup.CompilerThreads.open();
        assumeTrue(c2 != null, "no C2 compiler thread in this JVM (" + System.getProperty("java.vm.name") + ")");
        long before = c2.runNanos();
        assertTrue(before >= 0);
        // Methods C2 has not compiled yet, made hot: the threads' run time must grow.
        long sum = 0;
        for (int round = 0; round < 200 && c2.runNanos() == before; round++) {
            for (int i = 0; i < 20_000; i++) {
                sum += hot(i, round);
            }
        }
        assertTrue(c2.runNanos() > before, "C2's run time did not grow (" + sum + ")");
        long t0 = System.nanoTime();
        new Warmup.PacedClock().yieldToCompiler();
        long waited = System.nanoTime() - t0;
        assertTrue(waited < Warmup.YIELD_MAX_NANOS + TimeUnit.MILLISECONDS.toNanos(200), "waited " + waited + " ns");
    }

    private static long hot(int i, int round) {
        return (long) i * round ^ (i >>> 3);
    }

    @Test
    @DisplayName("rest time does not count toward a probe's limit")
    void restDoesNotCount() {
        Script s = new Script(5_000, i -> i < 3000 ? 100_000 : 2_000) {
            @Override
            public void rest(long roundNanos) {
                now += 1_000_000_000L;
            }
        };
        assertEquals(Warmup.VECTOR, Warmup.decide(s.probe(), s));
    }

    @Test
    @DisplayName("while the full-size vector calls are far slower, the probe waits for the compiler instead of calling")
    void waitsForTheCompiler() {
        // The short calls are fast from the start, the full-size ones only after 40 of them (C2 compiling the
        // full-size path): each slow round hands the core to the compiler once, and that wait counts toward the limit.
        long[] waited = new long[2];
        Script s = new Script(5_000, i -> i < 40 ? 100_000 : 2_000) {
            @Override
            Warmup.Probe probe() {
                return fullSizeProbe(this);
            }

            @Override
            public void awaitCompiler(long vectorNanos) {
                waited[0]++;
                waited[1] += vectorNanos;
                now += vectorNanos;
            }
        };
        assertEquals(Warmup.VECTOR, Warmup.decide(s.probe(), s));
        assertTrue(waited[0] > 0 && waited[0] <= 40, "waited " + waited[0] + " times");
        assertTrue(waited[1] > 0);
        // A full-size path that never gets compiled: the waits count, so the limit ends the probe as before.
        long[] never = new long[1];
        Script stuck = new Script(5_000, i -> 100_000) {
            @Override
            Warmup.Probe probe() {
                return fullSizeProbe(this);
            }

            @Override
            public void awaitCompiler(long vectorNanos) {
                never[0]++;
                now += 50_000_000L;
            }
        };
        assertEquals(Warmup.SCALAR, Warmup.decide(stuck.probe(), stuck));
        assertTrue(stuck.now < 2 * Warmup.LIMIT_NANOS, "the waits did not count: " + stuck.now / 1e9 + " s");
    }

    /**
     * A probe whose short vector calls cost 2 µs from the start and whose full-size ones cost what the script's vector
     * cost says for the n-th of them (C2 compiling the full-size path later).
     */
    private static Warmup.Probe fullSizeProbe(Script s) {
        Runnable small = () -> s.now += 2_000;
        Runnable full = () -> s.now += s.vectorCost.applyAsLong(s.vectorCalls++);
        Runnable scalar = () -> s.now += s.scalarCost;
        return new Warmup.Probe(0, "scripted", 1, full, scalar, small, scalar, null);
    }

    @Test
    @DisplayName("a key is probed only once its scalar kernel has run about as long as its probe will cost")
    void rentBeforeBuying() throws InterruptedException {
        // A backend open for the probes' time, as when an op queues them: with none the thread drops its queue.
        Warmup.backendOpened();
        try {
            assertFalse(Warmup.due(999, 1000));
            assertTrue(Warmup.due(1000, 1000));
            assertFalse(Warmup.due(0, 1));

            // A real queue: a probe whose scalar call takes about 200 µs per unit of work and costs 50 ms to decide.
            int key = Warmup.key(TieredElementwise.MATMUL, Warmup.VARIANTS - 2, 1);
            assertTrue(Warmup.claim(key));
            java.util.concurrent.atomic.AtomicInteger vectorCalls = new java.util.concurrent.atomic.AtomicInteger();
            Runnable scalar = () -> spin(200_000);
            Runnable vector = () -> {
                vectorCalls.incrementAndGet();
                spin(100_000);
            };
            Warmup.Probe probe = new Warmup.Probe(key, "rented", 1, vector, scalar, vector, scalar, null);
            // A method no kernel uses: a real matmul probe's measured cost must not stand in for this one's.
            Warmup.submit(request(key, probe, TimeUnit.MILLISECONDS.toNanos(50), Warmup.METHODS - 1));
            // 10 units: about 2 ms of scalar time, far below the cost: the key waits, and no vector call is made.
            Warmup.waited(key, 10);
            Thread.sleep(Warmup.START_DELAY_MILLIS + 1500);
            assertEquals(Warmup.PROBING, Warmup.state(key), "probed before its scalar kernel had paid for it");
            assertEquals(0, vectorCalls.get());
            // 1000 units: about 200 ms, past the cost: the key is probed and decided.
            Warmup.waited(key, 1000);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (Warmup.state(key) == Warmup.PROBING && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(Warmup.VECTOR, Warmup.state(key));
            assertTrue(vectorCalls.get() > 0);
        } finally {
            Warmup.backendClosed();
        }
    }

    private static void spin(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }

    @Test
    @DisplayName("a probe that throws leaves its key on the scalar kernel")
    void failingProbeKeepsScalar() throws InterruptedException {
        // A backend open for the probes' time, as when an op queues them: with none the thread drops its queue.
        Warmup.backendOpened();
        try {
            int key = Warmup.key(TieredElementwise.MATMUL, Warmup.VARIANTS - 1, 1);
            assertTrue(Warmup.claim(key));
            assertFalse(Warmup.claim(key), "a key is claimed once");
            Runnable boom = () -> {
                throw new IllegalStateException("probe failure");
            };
            Warmup.submit(request(key, new Warmup.Probe(key, "failing", 1, boom, boom, boom, boom, null)));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (Warmup.state(key) == Warmup.PROBING && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(Warmup.SCALAR, Warmup.state(key));
            // Kept on the scalar kernel, the key is probed again once it has done enough work there, a bounded number of
            // times.
            Warmup.waited(key, 1000);
            assertEquals(Warmup.SCALAR, Warmup.state(key), "probed again too soon");
            for (int probe = 2; probe <= Warmup.MAX_PROBES; probe++) {
                Warmup.waited(key, Warmup.REPROBE_WORK + 1);
                assertTrue(Warmup.claim(key), "not probed again after more work on the scalar kernel");
                Warmup.submit(request(key, new Warmup.Probe(key, "failing", 1, boom, boom, boom, boom, null)));
                deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (Warmup.state(key) == Warmup.PROBING && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertEquals(Warmup.SCALAR, Warmup.state(key));
            }
            Warmup.waited(key, Warmup.REPROBE_WORK + 1);
            assertEquals(Warmup.SCALAR, Warmup.state(key), "probed more than " + Warmup.MAX_PROBES + " times");
        } finally {
            Warmup.backendClosed();
        }
    }

    @Test
    @DisplayName("simd=auto runs the scalar sigmoid, then, once compiled, the vector one, bit for bit")
    void switchesFromScalarToVectorBits() throws InterruptedException {
        int n = 4093;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) Math.sin(i * 0.37) * 12f;
        }
        try (Backend auto = Engine.open("cpu", Map.of("threads", "1"));
             Backend vector = Engine.open("cpu", Map.of("threads", "1", "simd", "true"));
             Backend scalar = Engine.open("cpu", Map.of("threads", "1", "simd", "false"))) {
            assumeTrue(auto.capabilities().details().get("simd").startsWith("Vector API"),
                    "no Vector API here: " + auto.capabilities().details().get("simd"));
            assertTrue(auto.capabilities().details().get("simd").contains("once the JIT has compiled it"),
                    auto.capabilities().details().get("simd"));
            float[] wantVector = sigmoid(vector, x);
            float[] wantScalar = sigmoid(scalar, x);
            assumeTrue(!Arrays.equals(wantVector, wantScalar), "the two sigmoids round alike here: nothing to tell apart");
            int key = Warmup.key(TieredElementwise.ACTIVATION, Activation.Kind.SIGMOID.ordinal(), n);
            // Another test in this JVM may have decided the key already: then only the end state can be checked.
            boolean fresh = Warmup.state(key) == Warmup.COLD;
            float[] first = sigmoid(auto, x);
            assertTrue(Arrays.equals(wantScalar, first) || !fresh, "the first call did not run the scalar kernel");
            // A job that has spent long in the scalar sigmoid, so that the key is due for its probe.
            Warmup.waited(key, 1L << 34);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                boolean turned = Warmup.vector(key);
                float[] got = sigmoid(auto, x);
                if (turned) {
                    assertArrayEquals(wantVector, got, "after the switch every element comes from the vector kernel");
                    break;
                }
                int state = Warmup.state(key);
                if (state == Warmup.SCALAR) {
                    // The vector sigmoid lost at this size on this machine: the scalar one stays, also bit for bit.
                    assertArrayEquals(wantScalar, got);
                    return;
                }
                // Before the switch the call ran one kernel only: the scalar one, or (if the key turned during
                // this call) the vector one; never a mixture.
                assertTrue(Arrays.equals(wantScalar, got) || Arrays.equals(wantVector, got), "a mixture of kernels");
                assertTrue(System.nanoTime() < deadline, "the vector sigmoid was not decided within 60 s");
                Thread.sleep(2);
            }
        }
    }

    @Test
    @DisplayName("simd=auto's half-precision activations give one path's bits, never a mixture")
    void halfActivationsTakeOnePath() {
        int n = 3001;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) Math.cos(i * 0.11) * 9f;
        }
        try (Backend auto = Engine.open("cpu", Map.of("threads", "1"));
             Backend vector = Engine.open("cpu", Map.of("threads", "1", "simd", "true"));
             Backend scalar = Engine.open("cpu", Map.of("threads", "1", "simd", "false"))) {
            for (dev.kengine.DType dtype : new dev.kengine.DType[] {dev.kengine.DType.BFLOAT16, dev.kengine.DType.FLOAT16}) {
                short[] want1 = halfSigmoid(vector, x, dtype);
                short[] want2 = halfSigmoid(scalar, x, dtype);
                for (int call = 0; call < 20; call++) {
                    short[] got = halfSigmoid(auto, x, dtype);
                    assertTrue(Arrays.equals(want1, got) || Arrays.equals(want2, got), dtype + ": a mixture of kernels");
                }
            }
        }
    }

    private static short[] halfSigmoid(Backend b, float[] x, dev.kengine.DType dtype) {
        try (Tensor t = b.of(x, dtype, x.length); Tensor y = b.activation(t, Activation.SIGMOID)) {
            return y.toShortArray();
        }
    }

    /** A request for a ready probe, due at once. */
    private static Warmup.Request request(int key, Warmup.Probe probe) {
        return request(key, probe, 0, key / (Warmup.VARIANTS * Warmup.SIZE_CLASSES));
    }

    private static Warmup.Request request(int key, Warmup.Probe probe, long costNanos, int method) {
        return new Warmup.Request() {
            @Override
            public int key() {
                return key;
            }

            @Override
            public Warmup.Probe build() {
                return probe;
            }

            @Override
            public long costNanos() {
                return costNanos;
            }

            @Override
            public int method() {
                return method;
            }
        };
    }

    private static float[] sigmoid(Backend b, float[] x) {
        try (Tensor t = b.of(x, x.length); Tensor y = b.activation(t, Activation.SIGMOID)) {
            return y.toArray();
        }
    }

    @Test
    @DisplayName("option simd takes auto, true or false and names them when it gets anything else")
    void optionValues() {
        try (Backend b = Engine.open("cpu", Map.of("simd", "auto"))) {
            assertTrue(b.capabilities().details().get("simd").length() > 0);
        }
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> Engine.open("cpu", Map.of("simd", "sometimes")));
        assertTrue(e.getMessage().contains("auto, true or false"), e.getMessage());
    }
}
