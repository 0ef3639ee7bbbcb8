package dev.kengine.bench.jmh;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.bench.OpDescriptor;
import dev.kengine.bench.Ops;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What every kengine benchmark shares: one fork with the Vector API and native access, warm-up and
 * measurement iterations of one second, average time per op in microseconds. Subclasses name the
 * op descriptor(s) and sizes as {@code @Param}s ({@code op}, {@code size}, {@code backend},
 * {@code threads}); the op itself is set up and run through its {@link OpDescriptor}, exactly as
 * {@code ./engine compare} runs it, and the device is synchronised inside the measured call.
 *
 * <p>Example: {@code java -jar bench/target/benchmarks.jar MatmulBenchmark -p size=1024 -p threads=1}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx6g"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public abstract class BenchmarkBase {
    private Backend backend;
    private OpDescriptor.Instance instance;

    /** The descriptor name, from the subclass's {@code @Param op}. */
    protected abstract String op();

    /** The backend name, from {@code @Param backend}. */
    protected abstract String backend();

    /** The size, from {@code @Param size}. */
    protected abstract long size();

    /** The CPU thread count from {@code @Param threads}; 0 leaves the backend's default. */
    protected abstract int threads();

    @Setup(Level.Trial)
    public void setUp() {
        backend = Engine.open(backend(), dev.kengine.bench.report.Compare.measured(backend(), threads()));
        OpDescriptor d = Ops.byName(op());
        instance = d.prepare(backend, size(), 20250101L);
    }

    @Benchmark
    public void run() {
        instance.run();
        backend.synchronize();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        instance.close();
        backend.close();
    }
}
