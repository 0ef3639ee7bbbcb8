package dev.kengine.spark;

import dev.kengine.DType;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.ml.classification.ProbabilisticClassifier;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.FloatParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;

/**
 * A Spark ML estimator that trains a kengine multi-layer perceptron classifier by synchronous
 * data-parallel training: every step each task computes with the engine the gradient of its rows of
 * the global mini-batch, {@code treeAggregate} sums them and the driver applies one optimiser update
 * (see {@link KengineMlpClassificationModel#summary()} for what a run measured).
 *
 * <p>Input: a vector column of features ({@code featuresCol}) and a numeric column of integer class
 * indices ({@code labelCol}). Parameters, with their defaults: {@code hiddenLayers} [64],
 * {@code activation} relu, {@code optimizer} adam, {@code learningRate} 0.001, {@code batchSize}
 * (global) 32, {@code epochs} 10, {@code dropout} 0, {@code l2} 0, {@code seed} 1, {@code precision}
 * fp32 (or bf16, fp16), {@code backend} auto (cuda on a task given a GPU, else cpu), {@code backendOptions}
 * "" (comma-separated key=value), {@code numClasses} 0 (the largest label plus one),
 * {@code aggregationDepth} 2 and {@code aggregation} auto ({@code tree}: {@code treeAggregate} to the
 * driver; {@code barrier}: a barrier stage whose tasks all-gather their gradients; {@code auto}: tree, since a barrier
 * step measured no faster at any network size, see {@code DistributedTrainer.AUTO_BARRIER_MAX_PARAMETERS}).
 * Training restores the caller's Spark job group and description when it ends.
 */
public final class KengineMlpClassifier
        extends ProbabilisticClassifier<Vector, KengineMlpClassifier, KengineMlpClassificationModel>
        implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final IntArrayParam hiddenLayers;
    private final Param<String> activation;
    private final Param<String> optimizer;
    private final FloatParam learningRate;
    private final IntParam batchSize;
    private final IntParam epochs;
    private final FloatParam dropout;
    private final FloatParam l2;
    private final LongParam seed;
    private final Param<String> precision;
    private final Param<String> backend;
    private final Param<String> backendOptions;
    private final IntParam numClasses;
    private final IntParam aggregationDepth;
    private final Param<String> aggregation;

    public KengineMlpClassifier() {
        this(Identifiable$.MODULE$.randomUID("kengineMlp"));
    }

    public KengineMlpClassifier(String uid) {
        // Before super(): the Scala superclasses create their params (featuresCol, ...) with this uid.
        this.uid = uid;
        super();
        // Validators that serialise with the estimator (Spark's Params are Serializable; a plain lambda is not).
        hiddenLayers = new IntArrayParam(this, "hiddenLayers", "units of each hidden layer",
                (scala.Function1<int[], Object> & java.io.Serializable)
                        (int[] a) -> a.length > 0 && java.util.Arrays.stream(a).allMatch(u -> u > 0));
        activation = new Param<>(this, "activation", "activation of the hidden layers: " + PlainMath.ACTIVATIONS,
                (scala.Function1<String, Object> & java.io.Serializable) (String a) -> PlainMath.accepts(a));
        optimizer = new Param<>(this, "optimizer", "adam or sgd", ParamValidators.inArray(new String[] {"adam", "sgd"}));
        learningRate = new FloatParam(this, "learningRate", "the optimiser's step size (finite and > 0)",
                (scala.Function1<Object, Object> & java.io.Serializable) (Object v) -> finiteAtLeast((Float) v, 0f, false));
        batchSize = new IntParam(this, "batchSize", "rows per step over all tasks together (>= 1)", ParamValidators.gtEq(1));
        epochs = new IntParam(this, "epochs", "passes over the training data (>= 1)", ParamValidators.gtEq(1));
        dropout = new FloatParam(this, "dropout", "probability of dropping a hidden unit while training, in [0, 1)",
                ParamValidators.inRange(0, 1, true, false));
        l2 = new FloatParam(this, "l2", "L2 penalty on the weights (finite and >= 0)",
                (scala.Function1<Object, Object> & java.io.Serializable) (Object v) -> finiteAtLeast((Float) v, 0f, true));
        seed = new LongParam(this, "seed", "seeds the initial weights, the row order and dropout");
        precision = new Param<>(this, "precision", "fp32, bf16 or fp16: the dtype of the forward and backward passes",
                ParamValidators.inArray(new String[] {"fp32", "bf16", "fp16"}));
        backend = new Param<>(this, "backend", "the backend the tasks open: auto (cuda on a task given a GPU, else cpu),"
                + " cpu, cuda, opencl ...");
        backendOptions = new Param<>(this, "backendOptions", "backend options, comma-separated key=value");
        numClasses = new IntParam(this, "numClasses", "number of classes; 0 takes the largest label plus one",
                ParamValidators.gtEq(0));
        aggregationDepth = new IntParam(this, "aggregationDepth", "depth of the treeAggregate that sums the gradients (>= 1)",
                ParamValidators.gtEq(1));
        setDefault(hiddenLayers, new int[] {64});
        setDefault(activation, "relu");
        setDefault(optimizer, "adam");
        setDefault(learningRate, 0.001f);
        setDefault(batchSize, 32);
        setDefault(epochs, 10);
        setDefault(dropout, 0f);
        setDefault(l2, 0f);
        setDefault(seed, 1L);
        setDefault(precision, "fp32");
        setDefault(backend, "auto");
        setDefault(backendOptions, "");
        setDefault(numClasses, 0);
        aggregation = new Param<>(this, "aggregation", "how the gradients are summed each step: tree (treeAggregate"
                + " to the driver), barrier (a barrier stage's all-gather) or auto (tree: the measured choice for every network)",
                ParamValidators.inArray(new String[] {"tree", "barrier", "auto"}));
        setDefault(aggregationDepth, 2);
        setDefault(aggregation, "auto");
    }

    /** Whether v is finite and above (or, inclusive, at least) the bound. */
    private static boolean finiteAtLeast(float v, float bound, boolean inclusive) {
        return Float.isFinite(v) && (inclusive ? v >= bound : v > bound);
    }

    @Override
    public String uid() {
        return uid;
    }

    public IntArrayParam hiddenLayers() { return hiddenLayers; }
    public Param<String> activation() { return activation; }
    public Param<String> optimizer() { return optimizer; }
    public FloatParam learningRate() { return learningRate; }
    public IntParam batchSize() { return batchSize; }
    public IntParam epochs() { return epochs; }
    public FloatParam dropout() { return dropout; }
    public FloatParam l2() { return l2; }
    public LongParam seed() { return seed; }
    public Param<String> precision() { return precision; }
    public Param<String> backend() { return backend; }
    public Param<String> backendOptions() { return backendOptions; }
    public IntParam numClasses() { return numClasses; }
    public IntParam aggregationDepth() { return aggregationDepth; }
    public Param<String> aggregation() { return aggregation; }

    public KengineMlpClassifier setHiddenLayers(int... units) { set(hiddenLayers, units); return this; }
    public KengineMlpClassifier setActivation(String v) { set(activation, v.toLowerCase(Locale.ROOT)); return this; }
    public KengineMlpClassifier setOptimizer(String v) { set(optimizer, v.toLowerCase(Locale.ROOT)); return this; }
    public KengineMlpClassifier setLearningRate(float v) { set(learningRate, v); return this; }
    public KengineMlpClassifier setBatchSize(int v) { set(batchSize, v); return this; }
    public KengineMlpClassifier setEpochs(int v) { set(epochs, v); return this; }
    public KengineMlpClassifier setDropout(float v) { set(dropout, v); return this; }
    public KengineMlpClassifier setL2(float v) { set(l2, v); return this; }
    public KengineMlpClassifier setSeed(long v) { set(seed, v); return this; }
    public KengineMlpClassifier setPrecision(String v) { set(precision, v.toLowerCase(Locale.ROOT)); return this; }
    public KengineMlpClassifier setBackend(String v) { set(backend, v); return this; }
    public KengineMlpClassifier setBackendOptions(String v) { set(backendOptions, v); return this; }
    public KengineMlpClassifier setNumClasses(int v) { set(numClasses, v); return this; }
    public KengineMlpClassifier setAggregationDepth(int v) { set(aggregationDepth, v); return this; }
    public KengineMlpClassifier setAggregation(String v) { set(aggregation, v.toLowerCase(Locale.ROOT)); return this; }

    /** Checks the columns with messages that name them, then fits as every Spark ML predictor does. */
    @Override
    public KengineMlpClassificationModel fit(Dataset<?> dataset) {
        TrainingData.checkSchema(dataset.schema(), getFeaturesCol(), getLabelCol());
        return super.fit(dataset);
    }

    @Override
    public KengineMlpClassificationModel train(Dataset<?> dataset) {
        TrainingData data = TrainingData.of(dataset, getFeaturesCol(), getLabelCol(), (Integer) getOrDefault(numClasses));
        try {
            int[] hidden = (int[]) getOrDefault(hiddenLayers);
            int[] units = java.util.Arrays.copyOf(hidden, hidden.length + 1);
            units[hidden.length] = data.classes();
            NetworkSpec spec = new NetworkSpec(data.columns(), units, getOrDefault(activation), dtype(getOrDefault(precision)));
            TrainingOptions options = new TrainingOptions(spec, getOrDefault(optimizer), (Float) getOrDefault(learningRate),
                    (Integer) getOrDefault(batchSize), (Integer) getOrDefault(epochs), (Float) getOrDefault(dropout),
                    (Float) getOrDefault(l2), (Long) getOrDefault(seed), getOrDefault(backend),
                    parseOptions(getOrDefault(backendOptions)), (Integer) getOrDefault(aggregationDepth),
                    getOrDefault(aggregation));
            DistributedTrainer.Result r = DistributedTrainer.train(data, options);
            KengineMlpClassificationModel model = new KengineMlpClassificationModel(uid, spec, r.parameters());
            model.setSummary(r.summary());
            return model;
        } finally {
            data.shards().unpersist(false);
        }
    }

    static DType dtype(String precision) {
        return switch (precision) {
            case "bf16" -> DType.BFLOAT16;
            case "fp16" -> DType.FLOAT16;
            default -> DType.FLOAT32;
        };
    }

    static Map<String, String> parseOptions(String text) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String part : text.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("backendOptions: expected key=value, got '" + part.trim() + "'");
            }
            m.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
        }
        return m;
    }

    @Override
    public KengineMlpClassifier copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    /** Reads an estimator saved with {@code write().save(path)}. */
    public static MLReader<KengineMlpClassifier> read() {
        return new DefaultParamsReader<>();
    }

    public static KengineMlpClassifier load(String path) {
        return read().load(path);
    }
}
