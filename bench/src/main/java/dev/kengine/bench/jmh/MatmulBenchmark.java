package dev.kengine.bench.jmh;

import org.openjdk.jmh.annotations.Param;

/** Matmul at square (n×n×n) and skinny (64×n×n) shapes; see {@code Ops} for the exact shapes. */
public class MatmulBenchmark extends BenchmarkBase {
    @Param({"matmul", "matmul_skinny"})
    public String op;
    @Param({"cpu"})
    public String backend;
    @Param({"64", "128", "256", "512", "1024", "2048"})
    public long size;
    @Param({"1", "2"})
    public int threads;

    @Override protected String op() { return op; }
    @Override protected String backend() { return backend; }
    @Override protected long size() { return size; }
    @Override protected int threads() { return threads; }
}
