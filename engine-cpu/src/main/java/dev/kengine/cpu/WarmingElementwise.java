package dev.kengine.cpu;

import dev.kengine.op.Activation;
import dev.kengine.op.Loss;
import dev.kengine.spi.BackendDriver.Binary;

/**
 * The kernels of a CPU backend opened with {@code simd=auto} (the default): each call runs on the
 * scalar kernels until {@link VectorWarmup} has had the Vector API kernels compiled, and on the
 * vector kernels from then on. Interpreted, the Vector API runs a hundred times slower than scalar
 * Java, so a short job on the vector kernels from the first call is slower than on the scalar ones;
 * this way it is never slower. Both sets agree within a few ulps (see {@link Elementwise}), so an
 * op's results may move by that much once, at the switch.
 */
final class WarmingElementwise implements Elementwise {
    private final Elementwise vector;
    private final Elementwise scalar = ScalarElementwise.INSTANCE;

    WarmingElementwise(Elementwise vector) {
        this.vector = vector;
        VectorWarmup.start(vector);
    }

    private Elementwise now() {
        return VectorWarmup.ready() ? vector : scalar;
    }

    @Override
    public String description() {
        return vector.description() + ", after the scalar kernels while the JIT compiles it";
    }

    @Override
    public int lanes() {
        return vector.lanes();
    }

    @Override
    public void activation(Activation.Kind kind, float parameter, float[] x, int xOff, float[] y, int yOff, int n) {
        now().activation(kind, parameter, x, xOff, y, yOff, n);
    }

    @Override
    public void biasActivation(Activation.Kind kind, float parameter, float[] z, int zOff, float[] bias, float[] y, int yOff, int n) {
        now().biasActivation(kind, parameter, z, zOff, bias, y, yOff, n);
    }

    @Override
    public void activationBackward(Activation.Kind kind, float parameter, float[] dy, float[] x, float[] y, float[] dx, int from, int to) {
        now().activationBackward(kind, parameter, dy, x, y, dx, from, to);
    }

    @Override
    public void binary(Binary op, float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        now().binary(op, a, aOff, b, bOff, out, outOff, n);
    }

    @Override
    public void scale(float s, float[] x, int xOff, float[] out, int outOff, int n) {
        now().scale(s, x, xOff, out, outOff, n);
    }

    @Override
    public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        now().axpy(alpha, x, xOff, y, yOff, n);
    }

    @Override
    public float max(float[] x, int off, int n) {
        return now().max(x, off, n);
    }

    @Override
    public double expSum(float[] x, int xOff, float shift, float[] y, int yOff, int n) {
        return now().expSum(x, xOff, shift, y, yOff, n);
    }

    @Override
    public void softmaxCrossEntropyLabelRows(float[] x, int[] labels, float[] g, double gradScale, double[] rowLoss, int r0, int r1, int c) {
        now().softmaxCrossEntropyLabelRows(x, labels, g, gradScale, rowLoss, r0, r1, c);
    }

    @Override
    public void expScaled(float[] x, int xOff, float shift, float factor, float[] y, int yOff, int n) {
        now().expScaled(x, xOff, shift, factor, y, yOff, n);
    }

    @Override
    public void subtractTwice(float[] x, int xOff, float a, float b, float[] y, int yOff, int n) {
        now().subtractTwice(x, xOff, a, b, y, yOff, n);
    }

    @Override
    public double dot(float[] a, int aOff, float[] b, int bOff, int n) {
        return now().dot(a, aOff, b, bOff, n);
    }

    @Override
    public void softmaxGradient(boolean log, float s, float[] dy, float[] y, float[] dx, int off, int n) {
        now().softmaxGradient(log, s, dy, y, dx, off, n);
    }

    @Override
    public double loss(Loss.Kind kind, float delta, float[] pred, float[] target, float[] grad, float gradScale, int from, int to) {
        return now().loss(kind, delta, pred, target, grad, gradScale, from, to);
    }

    @Override
    public void sgd(float[] w, float[] g, float[] velocity, float lr, float momentum, boolean nesterov, float l2, float l1, int from, int to) {
        now().sgd(w, g, velocity, lr, momentum, nesterov, l2, l1, from, to);
    }

    @Override
    public void adam(float[] w, float[] g, float[] m, float[] v, float lr, float beta1, float beta2, float epsilon, float weightDecay, boolean decoupled, float c1, float c2, int from, int to) {
        now().adam(w, g, m, v, lr, beta1, beta2, epsilon, weightDecay, decoupled, c1, c2, from, to);
    }

    @Override
    public void dropout(float[] x, float[] y, float[] mask, float p, float scale, long seed, long offset, int from, int to) {
        now().dropout(x, y, mask, p, scale, seed, offset, from, to);
    }

    @Override
    public void dropoutBackward(float scale, float[] dy, float[] mask, float[] dx, int from, int to) {
        now().dropoutBackward(scale, dy, mask, dx, from, to);
    }

    @Override
    public void initUniform(float[] a, long seed, long offset, double lo, double hi, int from, int to) {
        now().initUniform(a, seed, offset, lo, hi, from, to);
    }

    @Override
    public void initNormal(float[] a, long seed, long offset, double mean, double std, int from, int to) {
        now().initNormal(a, seed, offset, mean, std, from, to);
    }
}
