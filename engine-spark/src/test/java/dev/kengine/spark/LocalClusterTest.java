package dev.kengine.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * Training on {@code local-cluster[2,1,1024]}: a standalone master and two workers in this JVM, whose
 * executors are separate JVMs, so the tasks, their engines and the all-gather run out of process.
 * The model equals the one trained in local mode on the same partitions.
 *
 * <p>A worker launches an executor with Spark's launcher, which needs a Spark home: {@code jars/} (the
 * distribution's jars, put on the executor's class path) and, to learn the Scala version,
 * {@code launcher/target/scala-2.13/}. The build sets {@code SPARK_HOME} to {@code target/spark-home},
 * which this test lays out with both directories empty; the executors get this JVM's class path
 * ({@code spark.executor.extraClassPath}) and its JDK flags ({@code spark.executor.extraJavaOptions}).
 * Without {@code SPARK_HOME} (a run outside Maven) the test is skipped. Every worker also reports one
 * GPU (address 0, from a discovery script) that Spark gives to each task, so the tasks' choice of
 * backend goes through Spark's resource scheduling; with no usable GPU here, {@code auto} falls back
 * to cpu and {@code cuda} fails naming the address.
 */
class LocalClusterTest {
    private static final int ROWS = 300;

    private static KengineMlpClassifier classifier(String aggregation) {
        return new KengineMlpClassifier().setHiddenLayers(32, 16).setActivation("tanh").setLearningRate(0.01f)
                .setBatchSize(64).setEpochs(1).setSeed(11).setNumClasses(10).setBackend("cpu").setAggregation(aggregation);
    }

    private static Dataset<Row> data(SparkSession spark) {
        return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(Digits.rows().subList(0, ROWS), 2), Digits.SCHEMA);
    }

    /** The flags Spark and the engine need in a JVM on JDK 25: this JVM's opens, modules and native access. */
    private static String jdkFlags() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> a.startsWith("--add-opens") || a.startsWith("--add-modules") || a.startsWith("--enable-native-access")
                        || a.startsWith("-Djdk.reflect") || a.startsWith("-Dio.netty"))
                .collect(Collectors.joining(" "));
    }

    @Test
    void trainsInExecutorJvmsAsInLocalMode() throws Exception {
        String home = System.getenv("SPARK_HOME");
        assumeTrue(home != null && !home.isBlank(), "SPARK_HOME is not set: local-cluster needs a Spark home to launch executors");
        Path sparkHome = Path.of(home);
        Files.createDirectories(sparkHome.resolve("jars"));
        Files.createDirectories(sparkHome.resolve("launcher/target/scala-2.13"));
        // Every worker finds one GPU, address 0, and gives it to its executor's one task slot.
        Path gpus = sparkHome.resolve("gpus.sh");
        Files.writeString(gpus, "#!/bin/sh\necho '{\"name\": \"gpu\", \"addresses\": [\"0\"]}'\n");
        assumeTrue(gpus.toFile().setExecutable(true), "cannot make " + gpus + " executable");

        SparkSession local = SparkTestSession.get();
        float[] tree = classifier("tree").fit(data(local)).parameters();
        float[] barrier = classifier("barrier").fit(data(local)).parameters();
        SparkTestSession.stop();

        SparkSession cluster = SparkSession.builder().master("local-cluster[2,1,1024]").appName("engine-spark local-cluster")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.executor.memory", "768m")
                .config("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .config("spark.executor.extraJavaOptions", jdkFlags())
                .config("spark.worker.resource.gpu.amount", "1")
                .config("spark.worker.resource.gpu.discoveryScript", gpus.toString())
                .config("spark.executor.resource.gpu.amount", "1")
                .config("spark.task.resource.gpu.amount", "1")
                .config("spark.task.maxFailures", "2")
                .getOrCreate();
        try {
            cluster.sparkContext().setLogLevel("ERROR");
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(cluster.sparkContext());
            long deadline = System.nanoTime() + 90_000_000_000L;
            while (cluster.sparkContext().getExecutorMemoryStatus().size() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assumeTrue(cluster.sparkContext().getExecutorMemoryStatus().size() == 3,
                    "the executors did not register in 90 s; their stderr: " + executorLogs(sparkHome));
            long driver = ProcessHandle.current().pid();
            List<Long> pids = jsc.parallelize(List.of(0, 1), 2).map(i -> ProcessHandle.current().pid()).distinct().collect();
            System.out.println("local-cluster: driver pid " + driver + ", task pids " + pids);
            assertTrue(pids.stream().noneMatch(p -> p == driver), "tasks ran in the driver: " + pids);

            KengineMlpClassificationModel treeModel = classifier("tree").fit(data(cluster));
            KengineMlpClassificationModel barrierModel = classifier("barrier").fit(data(cluster));
            System.out.printf("local-cluster[2,1,1024] against local[2]: max |param difference| tree %.3g, barrier %.3g;"
                            + " tree step median %.1f ms, barrier %.1f ms; backends %s%n",
                    SparkTestSession.maxAbsDifference(tree, treeModel.parameters()), SparkTestSession.maxAbsDifference(barrier, barrierModel.parameters()),
                    median(treeModel.summary().stepMillis()), median(barrierModel.summary().stepMillis()),
                    treeModel.summary().backends());
            assertEquals(2, treeModel.summary().partitions());
            assertEquals(List.of("cpu{threads=1, simd=true}"), treeModel.summary().backends());
            assertEquals(0.0, SparkTestSession.maxAbsDifference(tree, treeModel.parameters()));
            assertEquals(0.0, SparkTestSession.maxAbsDifference(barrier, barrierModel.parameters()));

            // backend auto on tasks that Spark gave GPU 0: cuda{device=0}, which cannot open in these executors
            // (no GPU or CUDA driver here): the tasks fall back to cpu and the summary says why.
            KengineMlpClassificationModel auto = classifier("tree").setBackend("auto").fit(data(cluster));
            System.out.println("local-cluster, backend auto on GPU 0: " + auto.summary().backends());
            assertEquals(1, auto.summary().backends().size(), auto.summary().backends().toString());
            assertTrue(auto.summary().backends().get(0).startsWith("cpu{threads=1, simd=true} instead of cuda{device=0}: "),
                    auto.summary().backends().toString());
            assertEquals(0.0, SparkTestSession.maxAbsDifference(tree, auto.parameters()));
            // backend cuda: the task fails, naming the GPU Spark gave it, and so does the job.
            Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class,
                    () -> classifier("tree").setBackend("cuda").fit(data(cluster)));
            System.out.println("local-cluster, backend cuda on GPU 0: " + e.getMessage().lines().findFirst().orElse(""));
            assertTrue(e.getMessage().contains("backend cuda{device=0} could not open on the GPU Spark assigned this task"
                    + " (address 0)"), e.getMessage());
        } finally {
            cluster.stop();
        }
    }

    private static String executorLogs(Path sparkHome) {
        try (Stream<Path> files = Files.walk(sparkHome.resolve("work"))) {
            return files.filter(p -> p.getFileName().toString().equals("stderr")).map(p -> {
                try {
                    List<String> lines = Files.readAllLines(p);
                    return p + ":\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
                } catch (IOException e) {
                    return p + ": " + e;
                }
            }).collect(Collectors.joining("\n"));
        } catch (IOException e) {
            return "(no work directory: " + e + ")";
        }
    }

    private static double median(double[] a) {
        double[] s = a.clone();
        java.util.Arrays.sort(s);
        return s[s.length / 2];
    }
}
