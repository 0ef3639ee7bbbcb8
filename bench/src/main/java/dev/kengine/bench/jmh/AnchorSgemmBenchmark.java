package dev.kengine.bench.jmh;

import dev.kengine.bench.OpDescriptor.GemmShape;
import dev.kengine.bench.Ops;
import dev.kengine.bench.anchor.Anchor;
import dev.kengine.bench.anchor.NetlibAnchor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The SGEMM anchors on the same shapes and inputs as {@link MatmulBenchmark}: OpenBLAS through
 * netlib's JNI path and netlib's pure-Java path. The benchmark fails at set-up, saying why, when
 * an anchor is not present (libopenblas0 missing).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx6g"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
public class AnchorSgemmBenchmark {
    @Param({"openblas", "netlib-java"})
    public String anchor;
    @Param({"matmul", "matmul_skinny"})
    public String op;
    @Param({"64", "128", "256", "512", "1024", "2048"})
    public long size;
    @Param({"1", "2"})
    public int threads;

    private NetlibAnchor blas;
    private Anchor.Call call;

    @Setup(Level.Trial)
    public void setUp() {
        blas = anchor.equals("openblas") ? NetlibAnchor.openBlas() : NetlibAnchor.pureJava();
        GemmShape s = Ops.byName(op).gemm(size);
        float[][] ab = Ops.gemmInputs(s, 20250101L);
        call = blas.call(s, ab[0], ab[1], new float[s.m() * s.n()], threads);
    }

    @Benchmark
    public void run() {
        call.run();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        call.close();
        blas.close();
    }
}
