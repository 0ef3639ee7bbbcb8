package dev.kengine.bench.jmh;

import org.openjdk.jmh.annotations.Param;

/** Every activation forward and backward; size in elements. */
public class ActivationBenchmark extends BenchmarkBase {
    @Param({"act_relu", "act_relu_backward", "act_leaky_relu", "act_leaky_relu_backward", "act_elu", "act_elu_backward", "act_sigmoid", "act_sigmoid_backward", "act_tanh", "act_tanh_backward", "act_silu", "act_silu_backward", "act_softplus", "act_softplus_backward", "act_gelu", "act_gelu_backward", "act_gelu_tanh", "act_gelu_tanh_backward"})
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
