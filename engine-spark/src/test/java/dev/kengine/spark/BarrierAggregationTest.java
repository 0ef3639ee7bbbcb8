package dev.kengine.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Summing the gradients with a barrier stage's all-gather trains the same model as treeAggregate. */
class BarrierAggregationTest {
    @AfterEach
    void noFault() {
        StepTask.failPartition = -1;
        StepTask.failStep = -1;
        StepTask.failuresToInject.set(0);
    }

    private static Dataset<Row> data(int rows, int partitions) {
        SparkSession spark = SparkTestSession.get();
        List<Row> list = Digits.rows().subList(0, rows);
        return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(list, partitions),
                Digits.SCHEMA);
    }

    private static KengineMlpClassifier classifier(String aggregation) {
        return new KengineMlpClassifier().setHiddenLayers(32, 16).setActivation("tanh").setOptimizer("adam")
                .setLearningRate(0.01f).setBatchSize(64).setEpochs(2).setSeed(11).setNumClasses(10).setBackend("cpu")
                .setAggregation(aggregation);
    }

    @Test
    void barrierEqualsTreeOnTwoPartitions() {
        Dataset<Row> d = data(300, 2);
        KengineMlpClassificationModel tree = classifier("tree").fit(d);
        KengineMlpClassificationModel barrier = classifier("barrier").fit(d);
        double diff = SparkTestSession.maxAbsDifference(tree.parameters(), barrier.parameters());
        System.out.printf("barrier against tree, 2 partitions, %d steps: max |param difference| %.3g%n",
                barrier.summary().steps(), diff);
        assertEquals("tree", tree.summary().aggregation());
        assertEquals("barrier", barrier.summary().aggregation());
        assertEquals(tree.summary().steps(), barrier.summary().steps());
        assertTrue(diff <= 1e-6, "max abs parameter difference " + diff);
        assertTrue(barrier.summary().taskResultBytes() > 0);
    }

    @Test
    void aTaskThatFailsMidTrainingReRunsTheBarrierStageAndTheModelIsTheSame() {
        Dataset<Row> d = data(300, 2);
        KengineMlpClassificationModel clean = classifier("barrier").fit(d);
        // Partition 1 throws in step 3 of 10; partition 0 is then waiting in allGather and is killed.
        StepTask.failPartition = 1;
        StepTask.failStep = 3;
        StepTask.failuresToInject.set(1);
        KengineMlpClassificationModel retried = classifier("barrier").fit(d);
        assertEquals(0, StepTask.failuresToInject.get(), "the failure was not injected");
        assertEquals(0, clean.summary().retriedSteps());
        assertEquals(0, clean.summary().failedTasks());
        assertEquals(1, retried.summary().retriedSteps());
        assertTrue(retried.summary().failedTasks() >= 1, "failed task attempts " + retried.summary().failedTasks());
        assertEquals(clean.summary().steps(), retried.summary().steps());
        // Partition order fixes the sum's order: bit for bit the fault-free model.
        assertArrayEquals(clean.parameters(), retried.parameters());
    }

    @Test
    void aTaskThatAlwaysFailsGivesUpAfterMaxConsecutiveAttempts() {
        StepTask.failPartition = 0;
        StepTask.failStep = 2;
        StepTask.failuresToInject.set(100);
        Exception e = assertThrows(Exception.class, () -> classifier("barrier").setEpochs(1).fit(data(128, 2)));
        // spark.stage.maxConsecutiveAttempts, 4 by default: 4 stage attempts, each failing once.
        assertEquals(96, StepTask.failuresToInject.get());
        assertTrue(BarrierStep.isFailedBarrierStage(e), e.getMessage());
        assertTrue(e.getMessage().contains("injected failure: partition 0 at step 2"), e.getMessage());
    }

    private static double median(double[] a) {
        double[] s = a.clone();
        java.util.Arrays.sort(s);
        return s[s.length / 2];
    }

    @Test
    void theAllGatherDoesNotWaitForSparksOneSecondPoll() {
        // Spark's runBarrier checks for the coordinator's answer once a second; woken, a step takes
        // what the work and the scheduling take. Without waking, every step takes at least a second. One
        // partition's task starts 200 ms late, so that the other's first check always finds no answer yet: with
        // both tasks at the barrier in the same instant, the answer could come before either task's first check.
        Dataset<Row> d = data(300, 2);
        var sc = SparkTestSession.get().sparkContext();
        KengineMlpClassificationModel woken;
        KengineMlpClassificationModel polled;
        StepTask.delayPartition = 1;
        StepTask.delayMillis = 200;
        try {
            woken = classifier("barrier").setBatchSize(128).setEpochs(1).fit(d);
            sc.setLocalProperty(BarrierStep.WAKE_MICROS, "0");
            polled = classifier("barrier").setBatchSize(128).setEpochs(1).fit(d);
        } finally {
            sc.setLocalProperty(BarrierStep.WAKE_MICROS, null);
            StepTask.delayPartition = -1;
            StepTask.delayMillis = 0;
        }
        double wokenMedian = median(woken.summary().stepMillis());
        double polledMedian = median(polled.summary().stepMillis());
        System.out.printf("barrier step median: %.1f ms woken every %d us, %.1f ms on Spark's own 1 s poll%n",
                wokenMedian, BarrierStep.DEFAULT_WAKE_MICROS, polledMedian);
        assertEquals(3, woken.summary().steps());
        assertTrue(polledMedian >= 950, "Spark's poll: median step " + polledMedian + " ms");
        assertTrue(wokenMedian < 600, "woken: median step " + wokenMedian + " ms");
        assertArrayEquals(polled.parameters(), woken.parameters());
    }

    @Test
    void moreShardsThanSlotsAreCoalescedForTheBarrier() {
        // 3 partitions of rows and 5 empty ones on local[2]: the barrier stage runs 2 tasks.
        Dataset<Row> d = data(300, 3);
        SparkSession spark = SparkTestSession.get();
        Dataset<Row> padded = d.union(spark.createDataFrame(
                JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(List.<Row>of(), 5), Digits.SCHEMA));
        KengineMlpClassificationModel tree = classifier("tree").fit(padded);
        KengineMlpClassificationModel barrier = classifier("barrier").fit(padded);
        assertEquals(8, tree.summary().partitions());
        assertEquals(2, barrier.summary().partitions());
        double diff = SparkTestSession.maxAbsDifference(tree.parameters(), barrier.parameters());
        assertTrue(diff <= 1e-6, "max abs parameter difference " + diff);
    }

    @Test
    void barrierReachesTheSameAccuracyOnAShortRun() {
        Dataset<Row>[] split = Digits.load(SparkTestSession.get(), 2).randomSplit(new double[] {0.8, 0.2}, 7);
        Dataset<Row> train = split[0].cache();
        Dataset<Row> test = split[1].cache();
        MulticlassClassificationEvaluator accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy");
        double[] acc = new double[2];
        String[] modes = {"tree", "barrier"};
        for (int i = 0; i < 2; i++) {
            KengineMlpClassifier mlp = new KengineMlpClassifier().setHiddenLayers(64).setActivation("relu")
                    .setOptimizer("adam").setLearningRate(0.01f).setBatchSize(128).setEpochs(3).setSeed(3)
                    .setBackend("cpu").setAggregation(modes[i]);
            acc[i] = accuracy.evaluate(mlp.fit(train).transform(test));
        }
        System.out.printf("digits, 3 epochs: accuracy tree %.4f, barrier %.4f%n", acc[0], acc[1]);
        assertTrue(acc[0] >= 0.8, "tree accuracy " + acc[0]);
        assertEquals(acc[0], acc[1], 0.005);
    }

    @Test
    void autoChoosesByParameterCount() {
        assertEquals("barrier", DistributedTrainer.chooseByThreshold(999, 1000));
        assertEquals("tree", DistributedTrainer.chooseByThreshold(1000, 1000));
        int t = DistributedTrainer.AUTO_BARRIER_MAX_PARAMETERS;
        assertEquals("tree", DistributedTrainer.chooseAggregation("auto", t));
        assertEquals("tree", DistributedTrainer.chooseAggregation("auto", 1_863_690));
        assertEquals(t > 17_226 ? "barrier" : "tree", DistributedTrainer.chooseAggregation("auto", 17_226));
        assertEquals("tree", DistributedTrainer.chooseAggregation("tree", 10));
        assertEquals("barrier", DistributedTrainer.chooseAggregation("barrier", 1_863_690));
        // What auto chose is in the summary.
        KengineMlpClassificationModel auto = classifier("auto").setEpochs(1).fit(data(128, 2));
        assertEquals(DistributedTrainer.chooseAggregation("auto", auto.network().parameterCount()),
                auto.summary().aggregation());
        KengineMlpClassifier defaults = new KengineMlpClassifier();
        assertEquals("auto", defaults.getOrDefault(defaults.aggregation()));
    }
}
