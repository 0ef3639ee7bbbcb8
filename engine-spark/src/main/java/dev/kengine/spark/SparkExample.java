package dev.kengine.spark;

import java.util.Locale;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Trains the bundled digits with data-parallel kengine on Spark (a 64-128-64-10 ReLU network,
 * Adam 0.002, global batch 32, features standardised in the same Pipeline) and prints the test
 * accuracy, the time of a step split into compute, optimiser update and communication, and the
 * bytes exchanged per step.
 *
 * <p>Options: {@code --master URL} (default {@code local[*]}, or what spark-submit sets),
 * {@code --partitions N} (default the cluster's default parallelism), {@code --epochs N} (12),
 * {@code --batch N} (32), {@code --backend NAME} (auto), {@code --precision fp32|bf16|fp16},
 * {@code --depth N} (treeAggregate depth, 2), {@code --aggregation tree|barrier|auto} (auto),
 * {@code --hidden 128,64} (the hidden layers), {@code --random-features N} (train on {@code --rows}
 * rows of N uniform random features and 10 random classes instead of the digits, to time big
 * networks), {@code --rows N} (1000), {@code --conf KEY=VALUE} (a Spark setting; repeatable).
 */
public final class SparkExample {
    private SparkExample() {}

    public static void main(String[] args) {
        try {
            run(args);
        } catch (UsageException e) {
            System.err.println("spark-example: " + e.getMessage() + " (--help lists the options)");
            System.exit(2);
        }
    }

    /** A bad command line: one line on stderr and exit code 2, as every {@code ./engine} command. */
    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    /** The command line read; {@code help} when it asked for the usage. */
    record Options(boolean help, String master, int partitions, int epochs, int batch, int randomFeatures,
                   int randomRows, java.util.Map<String, String> conf, KengineMlpClassifier mlp) {
        static final String USAGE = "usage: SparkExample [--master URL] [--partitions N] [--epochs N] [--batch N]"
                + " [--backend auto|cpu|cuda|...] [--precision fp32|bf16|fp16] [--depth N]"
                + " [--aggregation tree|barrier|auto] [--hidden U,U,...] [--random-features N] [--rows N]"
                + " [--conf KEY=VALUE]...";

        /**
         * Reads the options; the classifier's settings are checked here, by its parameters' validators, so that a
         * bad value fails before Spark starts.
         */
        static Options parse(String[] args) throws UsageException {
            String master = null;
            int partitions = 0;
            int epochs = 12;
            int batch = 32;
            int depth = 2;
            String backend = "auto";
            String precision = "fp32";
            String aggregation = "auto";
            int[] hidden = {128, 64};
            int randomFeatures = 0;
            int randomRows = 1000;
            boolean rowsGiven = false;
            java.util.Map<String, String> conf = new java.util.LinkedHashMap<>();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--help") || a.equals("-h")) {
                    return new Options(true, null, 0, 0, 0, 0, 0, conf, null);
                }
                if (!KNOWN.contains(a)) {
                    throw new UsageException("unknown option '" + a + "'");
                }
                if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                    throw new UsageException(a + " needs a value");
                }
                String v = args[++i];
                switch (a) {
                    case "--master" -> master = v;
                    case "--partitions" -> partitions = whole(a, v, 1);
                    case "--epochs" -> epochs = whole(a, v, 1);
                    case "--batch" -> batch = whole(a, v, 1);
                    case "--backend" -> backend = v;
                    case "--precision" -> precision = v;
                    case "--depth" -> depth = whole(a, v, 1);
                    case "--aggregation" -> aggregation = v;
                    case "--hidden" -> {
                        String[] units = v.split(",", -1);
                        hidden = new int[units.length];
                        for (int u = 0; u < units.length; u++) {
                            hidden[u] = whole(a, units[u], 1);
                        }
                    }
                    case "--random-features" -> randomFeatures = whole(a, v, 1);
                    case "--rows" -> {
                        randomRows = whole(a, v, 1);
                        rowsGiven = true;
                    }
                    case "--conf" -> {
                        int eq = v.indexOf('=');
                        if (eq <= 0) {
                            throw new UsageException("--conf takes KEY=VALUE, got '" + v + "'");
                        }
                        conf.put(v.substring(0, eq), v.substring(eq + 1));
                    }
                    default -> throw new AssertionError(a);
                }
            }
            if (rowsGiven && randomFeatures == 0) {
                throw new UsageException("--rows applies to the random data of --random-features; the digits have their own");
            }
            if (master != null && !MASTER.matcher(master).matches()) {
                throw new UsageException("--master '" + master + "' is not a Spark master URL (local, local[N], local[*],"
                        + " local[N,F], local-cluster[N,C,M], spark://HOST:PORT, yarn, k8s://URL)");
            }
            KengineMlpClassifier mlp;
            try {
                mlp = new KengineMlpClassifier().setFeaturesCol("scaled").setHiddenLayers(hidden)
                        .setActivation("relu").setOptimizer("adam").setLearningRate(0.002f).setBatchSize(batch)
                        .setEpochs(epochs).setSeed(3).setBackend(backend).setPrecision(precision).setAggregationDepth(depth)
                        .setAggregation(aggregation);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
            return new Options(false, master, partitions, epochs, batch, randomFeatures, randomRows, conf, mlp);
        }

        /** The master URLs Spark accepts, by form (the cluster managers check the rest when they connect). */
        static final java.util.regex.Pattern MASTER = java.util.regex.Pattern.compile(
                "local|local\\[(\\d+|\\*)(,\\d+)?]|local-cluster\\[\\d+,\\d+,\\d+]|spark://\\S+|yarn|k8s://\\S+");

        private static final java.util.Set<String> KNOWN = java.util.Set.of("--master", "--partitions", "--epochs",
                "--batch", "--backend", "--precision", "--depth", "--aggregation", "--hidden", "--random-features",
                "--rows", "--conf");

        private static int whole(String option, String v, int min) throws UsageException {
            int n;
            try {
                n = Integer.parseInt(v.trim());
            } catch (NumberFormatException e) {
                throw new UsageException(option + " takes whole numbers, got '" + v + "'");
            }
            if (n < min) {
                throw new UsageException(option + " must be at least " + min + ", got " + n);
            }
            return n;
        }
    }

    private static void run(String[] args) throws UsageException {
        Options o = Options.parse(args);
        if (o.help()) {
            System.out.println(Options.USAGE);
            return;
        }
        String master = o.master();
        int partitions = o.partitions();
        int batch = o.batch();
        int epochs = o.epochs();
        java.util.Map<String, String> conf = o.conf();
        SparkSession.Builder builder = SparkSession.builder().appName("kengine data-parallel digits");
        conf.forEach(builder::config);
        if (master != null) {
            builder.master(master);
        } else if (System.getProperty("spark.master") == null) {
            builder.master("local[*]");
        }
        SparkSession spark;
        try {
            spark = builder.getOrCreate();
        } catch (RuntimeException e) {
            // A master the form check let through but Spark refused, or a --conf it could not apply.
            throw new UsageException("Spark could not start: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
        }
        spark.sparkContext().setLogLevel("WARN");
        try {
            if (partitions <= 0) {
                partitions = spark.sparkContext().defaultParallelism();
            }
            Dataset<Row> all = o.randomFeatures() > 0 ? random(spark, o.randomRows(), o.randomFeatures(), partitions)
                    : Digits.load(spark, partitions);
            Dataset<Row>[] split = all.randomSplit(new double[] {0.8, 0.2}, 7);
            Dataset<Row> train = split[0].cache();
            Dataset<Row> test = split[1].cache();
            KengineMlpClassifier mlp = o.mlp();
            Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
                new StandardScaler().setInputCol("features").setOutputCol("scaled").setWithMean(true).setWithStd(true), mlp});
            long start = System.nanoTime();
            PipelineModel model = pipeline.fit(train);
            double seconds = (System.nanoTime() - start) / 1e9;
            TrainingSummary s = ((KengineMlpClassificationModel) model.stages()[1]).summary();
            double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(model.transform(test));
            System.out.printf(Locale.ROOT, "master %s, %d partitions, backends %s computing %s, %s aggregation%n",
                    spark.sparkContext().master(), s.partitions(), s.backends(), s.dtypes(), s.aggregation());
            System.out.printf(Locale.ROOT, "%d steps of %d rows (%d epochs) in %.1f s: test accuracy %.2f %%,"
                    + " last step's loss %.4f%s%n", s.steps(), batch, epochs, seconds, 100 * accuracy,
                    s.loss()[s.steps() - 1], s.skippedSteps() > 0 ? ", " + s.skippedSteps() + " steps skipped (float16 overflow)" : "");
            System.out.printf(Locale.ROOT, "per step %.2f ms = compute %.2f ms (slowest task) + update %.2f ms (driver)"
                    + " + communication %.2f ms%n", s.meanStepMillis(), s.meanComputeMillis(), s.meanUpdateMillis(),
                    s.meanCommunicationMillis());
            System.out.printf(Locale.ROOT, "median step %.2f ms = compute %.2f ms + update %.2f ms + communication %.2f ms%n",
                    median(s.stepMillis()), median(s.computeMillis()), median(s.updateMillis()),
                    median(s.communicationMillis()));
            System.out.printf(Locale.ROOT, "bytes per step: %.0f (gradients from tasks %.0f, shuffle %.0f, parameters"
                    + " broadcast %d per executor); %d parameters%n", s.bytesPerStep(),
                    (double) s.taskResultBytes() / s.steps(), (double) s.shuffleBytes() / s.steps(),
                    s.broadcastBytesPerStep(), s.parameters());
        } finally {
            spark.stop();
        }
    }

    private static double median(double[] a) {
        double[] s = a.clone();
        java.util.Arrays.sort(s);
        return s.length == 0 ? 0 : s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** {@code rows} rows of {@code features} uniform features in [-1, 1) and a uniform class of 10 (seeded). */
    static Dataset<Row> random(SparkSession spark, int rows, int features, int partitions) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(42);
        java.util.List<Row> list = new java.util.ArrayList<>(rows);
        for (int i = 0; i < rows; i++) {
            double[] f = new double[features];
            for (int j = 0; j < features; j++) {
                f[j] = r.nextDouble(-1, 1);
            }
            list.add(org.apache.spark.sql.RowFactory.create(org.apache.spark.ml.linalg.Vectors.dense(f), r.nextInt(10)));
        }
        return spark.createDataFrame(org.apache.spark.api.java.JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(list, partitions), Digits.SCHEMA);
    }
}
