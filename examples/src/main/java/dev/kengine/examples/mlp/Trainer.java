package dev.kengine.examples.mlp;

import dev.kengine.Backend;
import dev.kengine.DType;
import dev.kengine.LossAndGradient;
import dev.kengine.Scope;
import dev.kengine.Tensor;
import dev.kengine.examples.data.Dataset;
import dev.kengine.examples.data.Split;
import dev.kengine.op.Reduction;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Trains an {@link Mlp} on a {@link Dataset} through the public engine API, the way an embedding
 * application would. Each step: gather a batch on the host in a seeded order, upload it, run the
 * fused layers forward, the fused softmax cross-entropy (or an elementwise loss), the fused layer
 * gradients backward, optionally clip by the global norm, and update in place. Every tensor a step
 * creates lives in a {@link Scope} closed at the end of the step. The loss is summed on the device
 * and read once per epoch, so a step never waits for the device unless gradients are clipped or
 * their norm is tracked.
 *
 * <p>Everything random is seeded from {@link TrainingConfig#seed()}: initial weights (engine
 * counter-based generator, offset = layer), sample order ({@link SplittableRandom}), dropout masks
 * (engine generator, offset = step · layers + layer). So two backends given the same configuration
 * do the same arithmetic and differ only in rounding.
 *
 * <p>In half precision ({@link TrainingConfig#precision()}) the batch is uploaded in that dtype, the
 * passes run on the network's half-precision copies, and the optimiser updates float32 masters and
 * rewrites the copies. In float16 the loss gradient is taken as a sum and multiplied by a loss scale
 * (from 2¹⁶) over the mean's divisor before the backward pass, so that no small value of it is rounded
 * to float16 before the scale lifts it; the gradients are unscaled in float32 copies, which the
 * optimiser then reads. A step whose gradients are not finite is skipped and halves the scale, and
 * 2000 finite steps in a row double it; Adam counts only the steps taken. That check reads one
 * number per gradient each step.
 */
public final class Trainer implements AutoCloseable {
    private static final int EVAL_CHUNK = 4096;
    /** Keeps the dropout stream apart from the initialisation stream of the same seed. */
    private static final long DROPOUT_SEED_SALT = 0x9E3779B97F4A7C15L;

    private final Backend backend;
    private final TrainingConfig config;
    private final Dataset train;
    private final Dataset test;
    private final Mlp mlp;
    private final Optimiser optimiser;
    private final Tensor lossSum;
    private final SplittableRandom order;
    private final int[] indices;
    private final int batchSize;
    private OpMeter meter;
    private long step;
    /** Optimiser updates taken: the steps less the skipped ones (Adam's bias corrections count updates, not attempts). */
    private long updates;
    private StepListener stepListener;
    private float lossScale = 65536f;
    private int finiteSteps;
    private long skippedSteps;

    /** Told about every training step; setting one makes each step read its loss back (a synchronisation). */
    @FunctionalInterface
    public interface StepListener {
        /** {@code loss} is the step's mean data loss; {@code gradientNorm} the global norm before clipping, or NaN when not measured. */
        void step(long step, double loss, double gradientNorm);
    }

    /** A trainer for a new network; {@code test} may be null. */
    public Trainer(Backend backend, TrainingConfig config, Dataset train, Dataset test) {
        if (test != null && (test.columns() != train.columns() || test.classes() != train.classes())) {
            throw new ConfigException("the test set has " + test.columns() + " features and " + test.classes()
                    + " classes but the training set has " + train.columns() + " and " + train.classes());
        }
        this.backend = backend;
        this.config = config;
        this.train = train;
        this.test = test;
        this.meter = OpMeter.counting(backend);
        this.order = new SplittableRandom(config.seed() ^ 0x5DEECE66DL);
        this.indices = new int[train.rows()];
        for (int i = 0; i < indices.length; i++) {
            indices[i] = i;
        }
        this.batchSize = config.batchMode().batchSize(config.batchSize(), train.rows());
        Mlp net = new Mlp(backend, train.columns(), config.layers(train.classes()), config.init(), config.seed(),
                config.precision());
        Optimiser opt = null;
        Tensor sum = null;
        try {
            opt = new Optimiser(backend, config.optimiser(), config.l1(), config.l2(), net.parameters(), net.halfParameters());
            sum = backend.scalar(0f);
        } catch (RuntimeException e) {
            net.close();
            if (opt != null) {
                opt.close();
            }
            throw e;
        }
        this.mlp = net;
        this.optimiser = opt;
        this.lossSum = sum;
    }

    /** Calls {@code listener} after every step from now on (null to stop). */
    public void onStep(StepListener listener) {
        this.stepListener = listener;
    }

    public Mlp network() {
        return mlp;
    }

    public TrainingConfig config() {
        return config;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Optimiser updates taken so far: the steps less those skipped for a float16 overflow. */
    public long updates() {
        return updates;
    }

    /** Trains for {@link TrainingConfig#epochs()} epochs, calling {@code progress} after each; stops early if the loss diverges. */
    public History fit(Consumer<EpochStats> progress) {
        List<EpochStats> epochs = new ArrayList<>();
        int diverged = 0;
        long callsBefore = meter.calls();
        long stepsBefore = step;
        double seconds = 0;
        for (int e = 1; e <= config.epochs(); e++) {
            EpochStats stats = epoch(e);
            epochs.add(stats);
            seconds += stats.seconds();
            progress.accept(stats);
            if (!Double.isFinite(stats.trainLoss())) {
                diverged = e;
                break;
            }
        }
        long steps = step - stepsBefore;
        double opsPerStep = steps == 0 ? 0 : (double) (meter.calls() - callsBefore) / steps;
        return new History(epochs, diverged, steps, opsPerStep, seconds);
    }

    /** One pass over the training set in a freshly shuffled order, then an evaluation. */
    public EpochStats epoch(int number) {
        Split.shuffle(indices, order);
        backend.fill(lossSum, 0f);
        double normSum = 0;
        long start = System.nanoTime();
        long steps = 0;
        long applied = 0;
        for (int from = 0; from < indices.length; from += batchSize) {
            int to = Math.min(from + batchSize, indices.length);
            long skippedBefore = skippedSteps;
            double norm = step(from, to);
            if (skippedSteps == skippedBefore) { // a step skipped for float16 overflow measured no norm
                normSum += norm;
                applied++;
            }
            steps++;
        }
        double loss = lossSum.item() / indices.length;
        double seconds = (System.nanoTime() - start) / 1e9;
        Evaluation onTrain = evaluate(train);
        Evaluation onTest = test == null ? new Evaluation(Double.NaN, Double.NaN) : evaluate(test);
        double meanNorm = (config.trackGradientNorm() || config.clipNorm() > 0f) && applied > 0 ? normSum / applied : Double.NaN;
        return new EpochStats(number, loss, onTrain.loss(), onTrain.accuracy(), onTest.loss(), onTest.accuracy(),
                meanNorm, seconds, indices.length, steps);
    }

    /** One optimiser step on the samples {@code indices[from..to)}; returns the gradient norm before clipping, or NaN. */
    private double step(int from, int to) {
        int rows = to - from;
        float[] x = new float[rows * train.columns()];
        int[] labels = new int[rows];
        train.gather(indices, from, to, x, labels);
        step++;
        meter.startStep();
        try (Scope scope = Scope.open()) {
            Tensor input = upload(x, rows, train.columns());
            meter.op("upload");
            long dropoutOffset = step * mlp.layers().size();
            Mlp.Pass pass = mlp.forward(input, config.dropout(), config.seed() ^ DROPOUT_SEED_SALT, dropoutOffset, meter);
            boolean scaled = config.precision() == DType.FLOAT16;
            // float16: the gradient as a SUM (whole-sized values), scaled once by lossScale over the mean's divisor, so
            // that the mean's small values are never rounded to float16 before the scale lifts them.
            LossAndGradient lg = lossAndGradient(pass.output(), labels, scaled ? Reduction.SUM : Reduction.MEAN);
            double meanDivisor = config.objective().crossEntropy() ? rows : (double) rows * train.classes();
            backend.axpy(lg.loss(), lossSum, scaled ? (float) (rows / meanDivisor) : rows);
            meter.op("axpy");
            if (config.penalised()) {
                for (Tensor w : mlp.weights()) {
                    backend.axpy(backend.penalty(w, config.l1(), regularisingL2()), lossSum, rows);
                    meter.op("penalty", 2);
                }
            }
            if (scaled) {
                backend.scale(lg.gradient(), (float) (lossScale / meanDivisor), lg.gradient());
                meter.op("scale");
            }
            List<Tensor> grads = mlp.backward(pass, lg.gradient(), config.dropout(), meter);
            if (scaled) {
                // Unscaled in float32: divided in place in float16, the small gradients the scale protected would
                // round into float16's subnormals or to 0 again. The optimiser steps read float32 gradients as well.
                List<Tensor> wide = new ArrayList<>(grads.size());
                for (Tensor g : grads) {
                    wide.add(g.dtype() == DType.FLOAT32 ? g : backend.cast(g, DType.FLOAT32));
                }
                meter.op("cast", grads.size());
                grads = wide;
                boolean finite = backend.unscaleIfFinite(grads, lossScale);
                meter.op("unscaleIfFinite", 2 * grads.size());
                if (!finite) {
                    lossScale /= 2;
                    finiteSteps = 0;
                    skippedSteps++;
                    return Double.NaN;
                }
                if (++finiteSteps == 2000) {
                    lossScale *= 2;
                    finiteSteps = 0;
                }
            }
            double norm = Double.NaN;
            if (config.clipNorm() > 0f) {
                norm = backend.clipGradNorm(grads, config.clipNorm());
                meter.op("clipGradNorm", grads.size() * (norm > config.clipNorm() ? 2 : 1));
            } else if (config.trackGradientNorm()) {
                norm = globalNorm(grads);
            }
            optimiser.step(grads, ++updates, meter);
            if (stepListener != null) {
                double loss = lg.loss().item();
                stepListener.step(step, scaled ? loss / meanDivisor : loss, norm);
            }
            return norm;
        }
    }

    /** The L2 coefficient that is part of the objective (AdamW's decoupled decay is not). */
    private float regularisingL2() {
        return config.optimiser().kind() == OptimiserConfig.Kind.ADAMW ? 0f : config.l2();
    }

    private LossAndGradient lossAndGradient(Tensor output, int[] labels, Reduction reduction) {
        LossAndGradient lg;
        if (config.objective().crossEntropy()) {
            lg = backend.softmaxCrossEntropy(output, labels, reduction);
        } else {
            Tensor target = upload(oneHot(labels, train.classes()), labels.length, train.classes());
            meter.op("upload");
            lg = backend.lossWithGradient(output, target, config.objective().elementwise(), reduction);
        }
        meter.op("loss");
        return lg;
    }

    private static float[] oneHot(int[] labels, int classes) {
        float[] t = new float[labels.length * classes];
        for (int i = 0; i < labels.length; i++) {
            t[i * classes + labels[i]] = 1f;
        }
        return t;
    }

    private double globalNorm(List<Tensor> grads) {
        double sumSq = 0;
        for (Tensor g : grads) {
            double n = backend.l2Norm(g).item();
            sumSq += n * n;
        }
        meter.op("l2Norm", grads.size());
        return Math.sqrt(sumSq);
    }

    /** The mean data loss (no dropout, no penalty) and the accuracy of the current network on {@code data}. */
    public Evaluation evaluate(Dataset data) {
        double lossTotal = 0;
        long correct = 0;
        int[] all = identity(data.rows());
        OpMeter quiet = OpMeter.counting(backend);
        for (int from = 0; from < data.rows(); from += EVAL_CHUNK) {
            int to = Math.min(from + EVAL_CHUNK, data.rows());
            int rows = to - from;
            float[] x = new float[rows * data.columns()];
            int[] labels = new int[rows];
            data.gather(all, from, to, x, labels);
            try (Scope scope = Scope.open()) {
                Mlp.Pass pass = mlp.forward(upload(x, rows, data.columns()), 0f, 0, 0, quiet);
                Tensor out = pass.output();
                if (config.objective().crossEntropy()) {
                    lossTotal += backend.softmaxCrossEntropyLoss(out, labels, Reduction.SUM).item();
                } else {
                    Tensor target = upload(oneHot(labels, data.classes()), rows, data.classes());
                    // The training loss is a mean over all elements; evaluate the same quantity.
                    lossTotal += backend.loss(out, target, config.objective().elementwise(), Reduction.SUM).item()
                            / data.classes();
                }
                int[] predicted = backend.argmax(out);
                for (int i = 0; i < rows; i++) {
                    if (predicted[i] == labels[i]) {
                        correct++;
                    }
                }
            }
        }
        return new Evaluation(lossTotal / data.rows(), (double) correct / data.rows());
    }

    /**
     * The L2 norm of each layer's weight gradient, input layer first, for the first {@code rows}
     * training samples with the current weights, without dropout and without updating anything.
     */
    public double[] layerGradientNorms(int rows) {
        int n = Math.min(rows, train.rows());
        float[] x = new float[n * train.columns()];
        int[] labels = new int[n];
        train.gather(identity(train.rows()), 0, n, x, labels);
        OpMeter quiet = OpMeter.counting(backend);
        try (Scope scope = Scope.open()) {
            Mlp.Pass pass = mlp.forward(upload(x, n, train.columns()), 0f, 0, 0, quiet);
            LossAndGradient lg = lossAndGradient(pass.output(), labels, Reduction.MEAN);
            List<Tensor> grads = mlp.backward(pass, lg.gradient(), 0f, quiet);
            double[] norms = new double[mlp.layers().size()];
            for (int l = 0; l < norms.length; l++) {
                norms[l] = backend.l2Norm(grads.get(2 * l)).item();
            }
            return norms;
        }
    }

    /**
     * The network's class scores for {@code rows} points {@code x [rows, inputs]}: softmax
     * probabilities with cross-entropy, the raw outputs otherwise.
     */
    public float[] predict(float[] x, int rows) {
        float[] scores = new float[rows * mlp.outputs()];
        OpMeter quiet = OpMeter.counting(backend);
        for (int from = 0; from < rows; from += EVAL_CHUNK) {
            int to = Math.min(from + EVAL_CHUNK, rows);
            float[] chunk = java.util.Arrays.copyOfRange(x, from * mlp.inputs(), to * mlp.inputs());
            try (Scope scope = Scope.open()) {
                Tensor out = mlp.forward(upload(chunk, to - from, mlp.inputs()), 0f, 0, 0, quiet).output();
                if (config.objective().crossEntropy()) {
                    out = backend.softmax(out);
                }
                float[] s = out.toArray();
                System.arraycopy(s, 0, scores, from * mlp.outputs(), s.length);
            }
        }
        return scores;
    }

    /**
     * Runs {@code steps} further training steps as training does (no synchronisation between
     * ops) and returns their wall time in seconds, up to a final {@link Backend#synchronize()}.
     */
    public double timeSteps(int steps) {
        Split.shuffle(indices, order);
        long start = System.nanoTime();
        for (int i = 0, from = 0; i < steps; i++) {
            if (from >= indices.length) {
                from = 0;
            }
            int to = Math.min(from + batchSize, indices.length);
            step(from, to);
            from = to;
        }
        backend.synchronize();
        return (System.nanoTime() - start) / 1e9;
    }

    /**
     * Runs {@code steps} further training steps with a {@link Backend#synchronize()} after every
     * engine call and returns the meter with each op's calls and time. This changes the weights;
     * profile a separate trainer, or do it last.
     */
    public OpMeter profile(int steps) {
        OpMeter previous = meter;
        OpMeter timing = OpMeter.timing(backend);
        meter = timing;
        try {
            Split.shuffle(indices, order);
            for (int i = 0, from = 0; i < steps; i++) {
                if (from >= indices.length) {
                    from = 0;
                }
                int to = Math.min(from + batchSize, indices.length);
                step(from, to);
                from = to;
            }
            return timing;
        } finally {
            meter = previous;
        }
    }

    /** Host data as a tensor of the training precision (rounded once for the half types). */
    private Tensor upload(float[] data, int rows, int columns) {
        return config.precision() == DType.FLOAT32 ? backend.of(data, rows, columns)
                : backend.of(data, config.precision(), rows, columns);
    }

    /** The float16 loss scale now (65536 at the start; 1 when not scaling). */
    public float lossScale() {
        return config.precision() == DType.FLOAT16 ? lossScale : 1f;
    }

    /** Steps skipped because their float16 gradients overflowed. */
    public long skippedSteps() {
        return skippedSteps;
    }

    /**
     * What the network's tensors take in memory: the parameters the passes read (in the training
     * precision), the float32 masters when they differ, the optimiser state, and the activations and
     * dropout masks one training step keeps for its backward pass (batch rows, every layer).
     */
    public String memoryReport() {
        int width = config.precision().byteSize();
        long params = 0;
        for (Tensor p : mlp.parameters()) {
            params += p.size();
        }
        long units = 0;
        for (LayerSpec l : mlp.layers()) {
            units += l.units();
        }
        long rows = batchSize;
        // Each layer keeps its pre-activation z and its output y; hidden layers with dropout also a mask and its output.
        long activations = rows * mlp.inputs() + 2 * rows * units;
        long hiddenUnits = units - mlp.outputs();
        long masks = config.dropout() > 0f ? rows * hiddenUnits : 0;
        long dropped = config.dropout() > 0f ? rows * hiddenUnits : 0;
        String name = switch (config.precision()) {
            case BFLOAT16 -> "bf16";
            case FLOAT16 -> "fp16";
            default -> "fp32";
        };
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(java.util.Locale.ROOT, "memory (%s): parameters %s", name, bytes(params * width)));
        if (width != 4) {
            sb.append(String.format(java.util.Locale.ROOT, " + float32 masters %s", bytes(params * 4)));
        }
        sb.append(String.format(java.util.Locale.ROOT, ", optimiser state %s, activations per step %s, dropout masks %s"
                        + " (UINT8) + dropout outputs %s; peak allocated %s", bytes(optimiser.stateBytes()),
                bytes((activations) * width), bytes(masks), bytes(dropped * width), bytes(backend.peakAllocatedBytes())));
        return sb.toString();
    }

    private static String bytes(long b) {
        return b < 1 << 20 ? String.format(java.util.Locale.ROOT, "%.1f KiB", b / 1024.0)
                : String.format(java.util.Locale.ROOT, "%.2f MiB", b / (1024.0 * 1024));
    }

    private static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    @Override
    public void close() {
        optimiser.close();
        mlp.close();
        lossSum.close();
    }
}
