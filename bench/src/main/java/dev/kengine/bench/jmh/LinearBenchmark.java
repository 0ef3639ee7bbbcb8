package dev.kengine.bench.jmh;

import org.openjdk.jmh.annotations.Param;

/** Fused dense layer forward and backward (x 256×n, W n×n, ReLU). */
public class LinearBenchmark extends BenchmarkBase {
    @Param({"linear", "linear_backward"})
    public String op;
    @Param({"cpu"})
    public String backend;
    @Param({"256", "1024", "2048"})
    public long size;
    @Param({"0"})
    public int threads;

    @Override protected String op() { return op; }
    @Override protected String backend() { return backend; }
    @Override protected long size() { return size; }
    @Override protected int threads() { return threads; }
}
