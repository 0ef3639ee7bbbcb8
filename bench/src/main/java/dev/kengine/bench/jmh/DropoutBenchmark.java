package dev.kengine.bench.jmh;

import org.openjdk.jmh.annotations.Param;

/** Inverted dropout forward (y and mask) and backward; size in elements. */
public class DropoutBenchmark extends BenchmarkBase {
    @Param({"dropout", "dropout_backward"})
    public String op;
    @Param({"cpu"})
    public String backend;
    @Param({"1048576", "16777216"})
    public long size;
    @Param({"0"})
    public int threads;

    @Override protected String op() { return op; }
    @Override protected String backend() { return backend; }
    @Override protected long size() { return size; }
    @Override protected int threads() { return threads; }
}
