package dev.kengine.bench.jmh;

import org.openjdk.jmh.annotations.Param;

/** Softmax cross-entropy with labels, loss and gradient; size in elements (rows × 1024 classes). */
public class SoftmaxCrossEntropyBenchmark extends BenchmarkBase {
    @Param({"softmax_cross_entropy"})
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
