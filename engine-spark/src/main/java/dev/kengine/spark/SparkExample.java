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
        java.util.Map<String, String> conf = new java.util.LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                System.out.println("usage: SparkExample [--master URL] [--partitions N] [--epochs N] [--batch N]"
                        + " [--backend auto|cpu|cuda|...] [--precision fp32|bf16|fp16] [--depth N]"
                        + " [--aggregation tree|barrier|auto] [--hidden U,U,...] [--random-features N] [--rows N]"
                        + " [--conf KEY=VALUE]...");
                return;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
                case "--master" -> master = v;
                case "--partitions" -> partitions = Integer.parseInt(v);
                case "--epochs" -> epochs = Integer.parseInt(v);
                case "--batch" -> batch = Integer.parseInt(v);
                case "--backend" -> backend = v;
                case "--precision" -> precision = v;
                case "--depth" -> depth = Integer.parseInt(v);
                case "--aggregation" -> aggregation = v;
                case "--hidden" -> hidden = java.util.Arrays.stream(v.split(",")).mapToInt(Integer::parseInt).toArray();
                case "--random-features" -> randomFeatures = Integer.parseInt(v);
                case "--rows" -> randomRows = Integer.parseInt(v);
                case "--conf" -> {
                    int eq = v.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("--conf takes KEY=VALUE, not " + v);
                    }
                    conf.put(v.substring(0, eq), v.substring(eq + 1));
                }
                default -> throw new IllegalArgumentException("unknown option " + a + " (--help lists them)");
            }
        }
        SparkSession.Builder builder = SparkSession.builder().appName("kengine data-parallel digits");
        conf.forEach(builder::config);
        if (master != null) {
            builder.master(master);
        } else if (System.getProperty("spark.master") == null) {
            builder.master("local[*]");
        }
        SparkSession spark = builder.getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        try {
            if (partitions <= 0) {
                partitions = spark.sparkContext().defaultParallelism();
            }
            Dataset<Row> all = randomFeatures > 0 ? random(spark, randomRows, randomFeatures, partitions)
                    : Digits.load(spark, partitions);
            Dataset<Row>[] split = all.randomSplit(new double[] {0.8, 0.2}, 7);
            Dataset<Row> train = split[0].cache();
            Dataset<Row> test = split[1].cache();
            KengineMlpClassifier mlp = new KengineMlpClassifier().setFeaturesCol("scaled").setHiddenLayers(hidden)
                    .setActivation("relu").setOptimizer("adam").setLearningRate(0.002f).setBatchSize(batch)
                    .setEpochs(epochs).setSeed(3).setBackend(backend).setPrecision(precision).setAggregationDepth(depth)
                    .setAggregation(aggregation);
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
