package dev.kengine.spark;

import dev.kengine.Backend;
import dev.kengine.DType;
import dev.kengine.DropoutOutput;
import dev.kengine.LinearGradients;
import dev.kengine.LinearOutput;
import dev.kengine.LossAndGradient;
import dev.kengine.Scope;
import dev.kengine.Tensor;
import dev.kengine.op.Reduction;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;

/**
 * The work of one task in one training step: picks the rows of the global mini-batch that lie in
 * its shard, computes with the engine the gradient of their share of the batch's mean loss, and
 * adds it into the running {@link GradientSum}. The parameters come from the step's broadcast; the
 * task changes nothing outside its result, so Spark may run it again (a retried or speculative
 * attempt) and the step's sum is the same.
 *
 * <p>Dropout: the mask of the whole global batch is drawn from (seed, step offset + layer) on the
 * batch's shape, as one process training the whole batch would draw it, and each task keeps the
 * rows of its own samples; the result is the single-process result to float32 rounding.
 */
final class StepTask implements Function2<GradientSum, Shard, GradientSum> {
    private static final long DROPOUT_SALT = 0x5eed_d40bL;
    /**
     * For tests in local mode (the tasks run in the test's JVM): the task of partition {@link #failPartition}
     * throws at step {@link #failStep} while {@link #failuresToInject} is positive, counting it down; so
     * the first {@code failuresToInject} attempts of that task fail and the next succeeds.
     */
    static volatile int failPartition = -1;
    static volatile long failStep = -1;
    static final java.util.concurrent.atomic.AtomicInteger failuresToInject = new java.util.concurrent.atomic.AtomicInteger();
    /**
     * For tests in local mode: the task of partition {@link #delayPartition} sleeps {@link #delayMillis} before its
     * work, so that it reaches the step's barrier that much after the others.
     */
    static volatile int delayPartition = -1;
    static volatile long delayMillis;

    private final TrainingOptions options;
    private final Broadcast<float[]> parameters;
    private final Broadcast<int[]> order;
    private final int from;
    private final int to;
    private final long step;
    private final float lossScale;

    /**
     * @param order      the epoch's order of the data set's rows
     * @param from       the batch's first position in {@code order}
     * @param to         one past its last
     * @param step       the step number, from 1
     * @param lossScale  multiplies the gradient (float16's loss scaling; 1 otherwise)
     */
    StepTask(TrainingOptions options, Broadcast<float[]> parameters, Broadcast<int[]> order, int from, int to,
             long step, float lossScale) {
        this.options = options;
        this.parameters = parameters;
        this.order = order;
        this.from = from;
        this.to = to;
        this.step = step;
        this.lossScale = lossScale;
    }

    /** The step number, from 1. */
    long step() {
        return step;
    }

    @Override
    public GradientSum call(GradientSum sum, Shard shard) {
        TaskContext task = TaskContext.get();
        if (task != null && task.partitionId() == delayPartition && delayMillis > 0) {
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (task != null && task.partitionId() == failPartition && step == failStep
                && failuresToInject.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new IllegalStateException("injected failure: partition " + failPartition + " at step " + step
                    + " (task attempt " + task.attemptNumber() + ", stage attempt " + task.stageAttemptNumber() + ")");
        }
        int[] ord = order.value();
        int batch = to - from;
        // The shard's rows in this batch, and their positions in the batch.
        int[] local = new int[Math.min(batch, shard.rows())];
        int[] position = new int[local.length];
        int n = 0;
        for (int p = from; p < to && shard.rows() > 0; p++) {
            long idx = ord[p];
            if (idx >= shard.first() && idx < shard.first() + shard.rows()) {
                local[n] = (int) (idx - shard.first());
                position[n] = p - from;
                n++;
            }
        }
        TaskEngines.Choice choice = TaskEngines.select(options.backend(), options.backendOptions(), task);
        GradientSum mine = new GradientSum();
        mine.tasks = 1;
        if (n > 0) {
            long start = System.nanoTime();
            TaskEngines.Borrowed borrowed = TaskEngines.borrow(choice);
            mine.backends.add(borrowed.label());
            try {
                compute(borrowed.backend(), shard, local, position, n, batch, mine);
            } finally {
                TaskEngines.giveBack(borrowed);
            }
            long nanos = System.nanoTime() - start;
            mine.computeNanosTotal = nanos;
            mine.computeNanosMax = nanos;
        } else {
            mine.backends.add(TaskEngines.label(choice));
        }
        return sum.merge(mine);
    }

    private void compute(Backend backend, Shard shard, int[] local, int[] position, int n, int batch, GradientSum out) {
        NetworkSpec spec = options.spec();
        DType dtype = spec.precision();
        float[] p = parameters.value();
        int cols = shard.columns();
        float[] x = new float[n * cols];
        int[] labels = new int[n];
        for (int r = 0; r < n; r++) {
            System.arraycopy(shard.features(), local[r] * cols, x, r * cols, cols);
            labels[r] = shard.labels()[local[r]];
        }
        float[] gradient = new float[spec.parameterCount()];
        try (Scope scope = Scope.open()) {
            List<Tensor> w = new ArrayList<>();
            List<Tensor> b = new ArrayList<>();
            for (int l = 0; l < spec.layers(); l++) {
                int in = spec.in(l);
                int o = spec.out(l);
                float[] wl = new float[in * o];
                System.arraycopy(p, spec.weightOffset(l), wl, 0, wl.length);
                float[] bl = new float[o];
                System.arraycopy(p, spec.biasOffset(l), bl, 0, o);
                w.add(backend.of(wl, dtype, in, o));
                b.add(backend.of(bl, dtype, o));
            }
            Tensor h = backend.of(x, dtype, n, cols);
            List<LinearOutput> lin = new ArrayList<>();
            List<Tensor> masks = new ArrayList<>();
            float dropout = options.dropout();
            long dropoutSeed = options.seed() ^ DROPOUT_SALT;
            for (int l = 0; l < spec.layers(); l++) {
                LinearOutput o = backend.linear(h, w.get(l), b.get(l), spec.activationOf(l));
                lin.add(o);
                h = o.output();
                out.dtypes.add(h.dtype().name());
                boolean hidden = l < spec.layers() - 1;
                if (hidden && dropout > 0f) {
                    Tensor mask = rowsOfBatchMask(backend, batch, spec.out(l), dropout, dropoutSeed,
                            step * spec.layers() + l, position, n, dtype);
                    masks.add(mask);
                    h = backend.mul(h, mask);
                } else {
                    masks.add(null);
                }
            }
            LossAndGradient lg = backend.softmaxCrossEntropy(h, labels, Reduction.SUM);
            out.loss = lg.loss().item();
            // This shard's share of the gradient of the batch's mean loss.
            Tensor dy = backend.scale(lg.gradient(), lossScale / batch);
            for (int l = spec.layers() - 1; l >= 0; l--) {
                if (masks.get(l) != null) {
                    dy = backend.mul(dy, masks.get(l));
                }
                LinearGradients g = backend.linearBackward(dy, lin.get(l), l > 0);
                out.dtypes.add(g.dw().dtype().name());
                copyInto(g.dw(), gradient, spec.weightOffset(l));
                copyInto(g.db(), gradient, spec.biasOffset(l));
                dy = g.dx();
            }
        }
        out.gradient = gradient;
        out.rows = n;
    }

    private static void copyInto(Tensor t, float[] dst, int offset) {
        float[] a = t.toArray();
        System.arraycopy(a, 0, dst, offset, a.length);
    }

    /**
     * The inverted-dropout scale (0 or 1/(1-p)) of the rows {@code position[0..n)} of the global batch's
     * {@code [batch, units]} mask drawn from (seed, offset).
     */
    private static Tensor rowsOfBatchMask(Backend backend, int batch, int units, float p, long seed, long offset,
                                          int[] position, int n, DType dtype) {
        Tensor ones = backend.full(1f, batch, units);
        DropoutOutput drawn = backend.dropout(ones, p, seed, offset);
        float[] all = drawn.output().toArray();
        float[] mine = new float[n * units];
        for (int r = 0; r < n; r++) {
            System.arraycopy(all, position[r] * units, mine, r * units, units);
        }
        return backend.of(mine, dtype, n, units);
    }
}
