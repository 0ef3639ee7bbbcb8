package dev.kengine.spark;

import dev.kengine.Backend;
import dev.kengine.DType;
import dev.kengine.Engine;
import dev.kengine.Tensor;
import dev.kengine.op.Activation;
import dev.kengine.op.AdamConfig;
import dev.kengine.op.Init;
import dev.kengine.op.SgdConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;

/**
 * Synchronous data-parallel training: the driver owns the parameters and the optimiser state. Each
 * step it broadcasts the parameters, every task computes the gradient of its shard's rows of the
 * global mini-batch ({@link StepTask}), {@code treeAggregate} sums those gradients, and the driver
 * applies one optimiser update with the engine. The sum is the gradient of the batch's mean loss, so
 * a run equals single-process training on the same batches to float32 rounding, whatever the
 * number of partitions. A failed task is run again by Spark and the step's sum recomputed: nothing
 * a task does changes the parameters.
 */
final class DistributedTrainer {
    /** Finite float16 steps in a row after which the loss scale doubles. */
    static final int SCALE_GROWTH_STEPS = 2000;

    private static final System.Logger LOG = System.getLogger(DistributedTrainer.class.getName());

    private DistributedTrainer() {}

    /** The order of the rows in epoch {@code epoch} (from 0): a Fisher-Yates shuffle seeded from (seed, epoch). */
    static int[] epochOrder(int rows, long seed, int epoch) {
        int[] order = new int[rows];
        for (int i = 0; i < rows; i++) {
            order[i] = i;
        }
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
        for (int i = rows - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** The initialisation of the weights for the hidden activation: He for the ReLU family (and GELU, swish), Xavier otherwise. */
    static Init initFor(String activation) {
        return switch (Activation.parse(activation).kind()) {
            case RELU, LEAKY_RELU, ELU, SWISH, GELU, GELU_TANH -> Init.heUniform();
            case IDENTITY, SIGMOID, TANH, SOFTPLUS -> Init.xavierUniform();
        };
    }

    /** The initial parameters, flat: W_l from {@code backend.init(W, init, seed, l)}, biases zero. */
    static float[] initialParameters(Backend backend, NetworkSpec spec, long seed) {
        float[] p = new float[spec.parameterCount()];
        Init init = initFor(spec.activation());
        for (int l = 0; l < spec.layers(); l++) {
            try (Tensor w = backend.empty(spec.in(l), spec.out(l))) {
                backend.init(w, init, seed, l);
                float[] a = w.toArray();
                System.arraycopy(a, 0, p, spec.weightOffset(l), a.length);
            }
        }
        return p;
    }

    /** The result of a run: the final parameters and what was measured. */
    record Result(float[] parameters, TrainingSummary summary) {}

    static Result train(TrainingData data, TrainingOptions o) {
        NetworkSpec spec = o.spec();
        SparkContext sc = data.shards().context();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
        int rows = (int) data.rows();
        int batch = Math.min(o.batchSize(), rows);
        String group = "kengine-train-" + UUID.randomUUID();
        ByteMeter meter = new ByteMeter(group);
        sc.addSparkListener(meter);
        // The caller's job group, description and interrupt flag, restored when training ends.
        String callerGroup = sc.getLocalProperty("spark.jobGroup.id");
        String callerDescription = sc.getLocalProperty("spark.job.description");
        String callerInterrupt = sc.getLocalProperty("spark.job.interruptOnCancel");
        sc.setJobGroup(group, "kengine data-parallel training of a " + spec + " network", false);
        List<Double> loss = new ArrayList<>();
        List<double[]> times = new ArrayList<>();
        java.util.TreeSet<String> backends = new java.util.TreeSet<>();
        java.util.TreeSet<String> dtypes = new java.util.TreeSet<>();
        int skipped = 0;
        int retriedSteps = 0;
        Function2<GradientSum, GradientSum, GradientSum> sum = new Merge();
        String aggregation = chooseAggregation(o.aggregation(), spec.parameterCount());
        boolean barrier = aggregation.equals("barrier");
        JavaRDD<Shard> shards = barrier ? forBarrier(data.shards()) : data.shards();
        try (Backend driver = openDriverBackend()) {
            Parameters params = new Parameters(driver, spec, o);
            float lossScale = spec.precision() == DType.FLOAT16 ? 1024f : 1f;
            int finiteRun = 0;
            long step = 0;
            for (int epoch = 0; epoch < o.epochs(); epoch++) {
                Broadcast<int[]> order = jsc.broadcast(epochOrder(rows, o.seed(), epoch));
                try {
                    for (int from = 0; from < rows; from += batch) {
                        int to = Math.min(rows, from + batch);
                        step++;
                        long t0 = System.nanoTime();
                        Broadcast<float[]> current = jsc.broadcast(params.flat);
                        StepTask task = new StepTask(o, current, order, from, to, step, lossScale);
                        GradientSum g;
                        try {
                            if (barrier) {
                                BarrierStep.Outcome outcome = BarrierStep.run(shards.rdd(), task);
                                g = outcome.sum();
                                retriedSteps += outcome.retries();
                            } else {
                                g = shards.treeAggregate(new GradientSum(), task, sum, o.aggregationDepth());
                            }
                        } finally {
                            current.destroy(false); // also when the step fails: a long-lived context keeps no copy
                        }
                        long t1 = System.nanoTime();
                        backends.addAll(g.backends);
                        dtypes.addAll(g.dtypes);
                        if (g.rows != to - from) {
                            throw new IllegalStateException("step " + step + " summed " + g.rows + " rows, expected " + (to - from));
                        }
                        boolean finite = params.unscale(g.gradient, lossScale);
                        if (finite) {
                            params.update(g.gradient, step - skipped);
                            if (spec.precision() == DType.FLOAT16 && ++finiteRun == SCALE_GROWTH_STEPS) {
                                lossScale *= 2; // as the single-process trainer: a scale lowered by early overflows grows back
                                finiteRun = 0;
                            }
                        } else {
                            skipped++;
                            lossScale /= 2;
                            finiteRun = 0;
                            LOG.log(System.Logger.Level.DEBUG, "step {0}: float16 gradient overflowed; loss scale now {1}", step, lossScale);
                        }
                        long t2 = System.nanoTime();
                        loss.add(g.loss / (to - from));
                        times.add(new double[] {(t2 - t0) / 1e6, g.computeNanosMax / 1e6, g.computeNanosTotal / 1e6, (t2 - t1) / 1e6});
                    }
                } finally {
                    order.destroy(false);
                }
            }
            try {
                sc.listenerBus().waitUntilEmpty(10_000);
            } catch (java.util.concurrent.TimeoutException e) {
                LOG.log(System.Logger.Level.WARNING, "the listener bus did not drain in 10 s: byte counts may be short");
            }
            TrainingSummary summary = new TrainingSummary(rows, shards.getNumPartitions(), spec.parameterCount(),
                    loss.stream().mapToDouble(Double::doubleValue).toArray(), column(times, 0), column(times, 1),
                    column(times, 2), column(times, 3), meter.resultBytes.get(), meter.shuffleBytes.get(),
                    4L * spec.parameterCount(), skipped, List.copyOf(backends), List.copyOf(dtypes), aggregation,
                    meter.failedTasks.get(), retriedSteps);
            return new Result(params.flat.clone(), summary);
        } finally {
            if (shards != data.shards()) {
                shards.unpersist(false);
            }
            sc.setLocalProperty("spark.jobGroup.id", callerGroup);
            sc.setLocalProperty("spark.job.description", callerDescription);
            sc.setLocalProperty("spark.job.interruptOnCancel", callerInterrupt);
            sc.removeSparkListener(meter);
        }
    }

    /**
     * Below this many parameters {@code aggregation = auto} sums the gradients with a barrier stage's
     * all-gather, from here on with {@code treeAggregate}. Measured (engine-spark/README.md, Spark
     * 4.2, 2 local executors, the all-gather woken out of Spark's 1-second poll): a barrier step costs
     * what a treeAggregate step costs, within the noise, at 17 k and at 1.9 M parameters, while the
     * all-gather loads the driver with N² gradients against treeAggregate's N^(1/depth); so no size is
     * below the threshold: {@code auto} chooses {@code tree}.
     */
    static final int AUTO_BARRIER_MAX_PARAMETERS = 0;

    /** {@code tree} or {@code barrier}: what {@code aggregation} means for a network of {@code parameters} floats. */
    static String chooseAggregation(String aggregation, int parameters) {
        return switch (aggregation) {
            case "tree", "barrier" -> aggregation;
            case "auto" -> chooseByThreshold(parameters, AUTO_BARRIER_MAX_PARAMETERS);
            default -> throw new IllegalArgumentException("aggregation: tree, barrier or auto, not '" + aggregation + "'");
        };
    }

    /** {@code barrier} below {@code threshold} parameters, {@code tree} from there on. */
    static String chooseByThreshold(int parameters, int threshold) {
        return parameters < threshold ? "barrier" : "tree";
    }

    /**
     * The shards for a barrier stage, which must run all its tasks at once: shuffled into as many
     * partitions as the cluster has task slots when there are more (several shards then share a
     * task; a barrier stage does not accept a {@code coalesce} in its lineage), and cached.
     */
    static JavaRDD<Shard> forBarrier(JavaRDD<Shard> shards) {
        SparkContext sc = shards.context();
        int cpusPerTask = Math.max(1, sc.getConf().getInt("spark.task.cpus", 1));
        int slots = Math.max(1, sc.defaultParallelism() / cpusPerTask);
        if (shards.getNumPartitions() <= slots) {
            return shards;
        }
        JavaRDD<Shard> fewer = shards.repartition(slots);
        fewer.persist(StorageLevel.MEMORY_AND_DISK());
        return fewer;
    }

    private static double[] column(List<double[]> rows, int c) {
        double[] out = new double[rows.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = rows.get(i)[c];
        }
        return out;
    }

    /** The driver applies the optimiser update with the CPU backend (any backend when the CPU one is absent). */
    private static Backend openDriverBackend() {
        try {
            return Engine.open("cpu", Map.of("simd", "true"));
        } catch (RuntimeException e) {
            return Engine.open();
        }
    }

    /** Sums two partial gradient sums. */
    static final class Merge implements Function2<GradientSum, GradientSum, GradientSum> {
        @Override
        public GradientSum call(GradientSum a, GradientSum b) {
            return a.merge(b);
        }
    }

    /** The parameters and optimiser state the driver owns: float32 tensors on the driver's backend and a flat copy to broadcast. */
    private static final class Parameters {
        final Backend backend;
        final NetworkSpec spec;
        final TrainingOptions o;
        final List<Tensor> tensors = new ArrayList<>();
        final List<Tensor> state1 = new ArrayList<>();
        final List<Tensor> state2 = new ArrayList<>();
        final boolean adam;
        float[] flat;

        Parameters(Backend backend, NetworkSpec spec, TrainingOptions o) {
            this.backend = backend;
            this.spec = spec;
            this.o = o;
            this.adam = o.optimiser().equals("adam");
            flat = initialParameters(backend, spec, o.seed());
            for (int l = 0; l < spec.layers(); l++) {
                tensors.add(backend.of(slice(spec.weightOffset(l), spec.in(l) * spec.out(l)), spec.in(l), spec.out(l)));
                tensors.add(backend.of(slice(spec.biasOffset(l), spec.out(l)), spec.out(l)));
            }
            for (Tensor t : tensors) {
                if (adam) {
                    state1.add(backend.zeros(t.shape()));
                    state2.add(backend.zeros(t.shape()));
                }
            }
        }

        private float[] slice(int offset, int length) {
            float[] a = new float[length];
            System.arraycopy(flat, offset, a, 0, length);
            return a;
        }

        /** Divides by the loss scale; false if any value is not finite. */
        boolean unscale(float[] g, float scale) {
            boolean finite = true;
            for (int i = 0; i < g.length; i++) {
                if (scale != 1f) {
                    g[i] /= scale;
                }
                finite &= Float.isFinite(g[i]);
            }
            return finite;
        }

        void update(float[] gradient, long step) {
            float lr = o.learningRate();
            float[] next = new float[flat.length];
            for (int i = 0; i < tensors.size(); i++) {
                int l = i / 2;
                boolean weight = i % 2 == 0;
                int offset = weight ? spec.weightOffset(l) : spec.biasOffset(l);
                Tensor p = tensors.get(i);
                float[] gs = new float[(int) p.size()];
                System.arraycopy(gradient, offset, gs, 0, gs.length);
                try (Tensor g = backend.of(gs, p.shape())) {
                    if (adam) {
                        AdamConfig c = weight ? new AdamConfig(lr, 0.9f, 0.999f, 1e-8f, o.l2(), false) : AdamConfig.adam(lr);
                        backend.adamStep(p, g, state1.get(i), state2.get(i), c, step);
                    } else {
                        SgdConfig c = weight ? new SgdConfig(lr, 0f, false, o.l2(), 0f) : SgdConfig.of(lr);
                        backend.sgdStep(p, g, null, c);
                    }
                }
                float[] a = p.toArray();
                System.arraycopy(a, 0, next, offset, a.length);
            }
            flat = next;
        }
    }
}
