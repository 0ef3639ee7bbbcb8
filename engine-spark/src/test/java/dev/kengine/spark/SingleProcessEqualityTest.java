package dev.kengine.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.LinearGradients;
import dev.kengine.LinearOutput;
import dev.kengine.LossAndGradient;
import dev.kengine.Scope;
import dev.kengine.Tensor;
import dev.kengine.op.AdamConfig;
import dev.kengine.op.Reduction;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Data-parallel training equals one process training the same global batches in the same order from
 * the same initial weights, to float32 rounding; a task that fails once and is retried changes nothing.
 */
class SingleProcessEqualityTest {
    private static final int ROWS = 300;
    private static final int BATCH = 64;
    private static final int EPOCHS = 2;
    private static final float LR = 0.01f;
    private static final long SEED = 11;

    @AfterEach
    void noFault() {
        StepTask.failPartition = -1;
        StepTask.failStep = -1;
        StepTask.failuresToInject.set(0);
    }

    private static Dataset<Row> data(int partitions) {
        SparkSession spark = SparkTestSession.get();
        List<Row> rows = Digits.rows().subList(0, ROWS);
        return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, partitions),
                Digits.SCHEMA);
    }

    private static KengineMlpClassifier classifier() {
        return new KengineMlpClassifier().setHiddenLayers(32, 16).setActivation("tanh").setOptimizer("adam")
                .setLearningRate(LR).setBatchSize(BATCH).setEpochs(EPOCHS).setSeed(SEED).setNumClasses(10).setBackend("cpu");
    }

    @Test
    void equalsSingleProcessTraining() {
        KengineMlpClassificationModel model = classifier().fit(data(3));
        float[] reference = reference(model.network());
        double diff = SparkTestSession.maxAbsDifference(model.parameters(), reference);
        System.out.printf("3 partitions against one process, %d steps: max |param difference| %.3g%n",
                model.summary().steps(), diff);
        assertEquals((ROWS + BATCH - 1) / BATCH * EPOCHS, model.summary().steps());
        assertTrue(diff <= 1e-5, "max abs parameter difference " + diff);
    }

    @Test
    void aTaskThatFailsOnceIsRetriedAndTheModelIsTheSame() {
        KengineMlpClassificationModel clean = classifier().fit(data(3));
        StepTask.failPartition = 1;
        StepTask.failStep = 3;
        StepTask.failuresToInject.set(1);
        KengineMlpClassificationModel retried = classifier().fit(data(3));
        assertEquals(0, StepTask.failuresToInject.get(), "the failure was not injected");
        assertEquals(0, clean.summary().failedTasks());
        assertEquals(1, retried.summary().failedTasks());
        // treeAggregate sums 3 partitions in the order their tasks finish: equal to float32 rounding.
        double diff = SparkTestSession.maxAbsDifference(clean.parameters(), retried.parameters());
        assertTrue(diff <= 1e-6, "a retried task changed the parameters by " + diff);
    }

    @Test
    void emptyPartitionsAreFine() {
        // 300 rows in 3 partitions, then 5 empty ones.
        Dataset<Row> d = data(3);
        SparkSession spark = SparkTestSession.get();
        Dataset<Row> padded = d.union(spark.createDataFrame(
                JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(List.<Row>of(), 5), Digits.SCHEMA));
        KengineMlpClassificationModel model = classifier().fit(padded);
        assertEquals(8, model.summary().partitions());
        assertTrue(SparkTestSession.maxAbsDifference(model.parameters(), reference(model.network())) <= 1e-5);
    }

    /** One process, the whole batch at once: mean loss, the engine's fused ops and its Adam step. */
    private static float[] reference(NetworkSpec spec) {
        List<Row> rows = Digits.rows().subList(0, ROWS);
        int cols = spec.inputs();
        try (Backend b = Engine.open("cpu", Map.of("threads", "1", "simd", "true"))) {
            float[] init = DistributedTrainer.initialParameters(b, spec, SEED);
            List<Tensor> params = new ArrayList<>();
            List<Tensor> m = new ArrayList<>();
            List<Tensor> v = new ArrayList<>();
            for (int l = 0; l < spec.layers(); l++) {
                float[] w = new float[spec.in(l) * spec.out(l)];
                System.arraycopy(init, spec.weightOffset(l), w, 0, w.length);
                float[] bias = new float[spec.out(l)];
                System.arraycopy(init, spec.biasOffset(l), bias, 0, bias.length);
                params.add(b.of(w, spec.in(l), spec.out(l)));
                params.add(b.of(bias, spec.out(l)));
            }
            for (Tensor p : params) {
                m.add(b.zeros(p.shape()));
                v.add(b.zeros(p.shape()));
            }
            long step = 0;
            for (int epoch = 0; epoch < EPOCHS; epoch++) {
                int[] order = DistributedTrainer.epochOrder(ROWS, SEED, epoch);
                for (int from = 0; from < ROWS; from += BATCH) {
                    int to = Math.min(ROWS, from + BATCH);
                    int n = to - from;
                    float[] x = new float[n * cols];
                    int[] labels = new int[n];
                    for (int r = 0; r < n; r++) {
                        Row row = rows.get(order[from + r]);
                        double[] f = ((Vector) row.get(0)).toArray();
                        for (int j = 0; j < cols; j++) {
                            x[r * cols + j] = (float) f[j];
                        }
                        labels[r] = row.getInt(1);
                    }
                    step++;
                    try (Scope scope = Scope.open()) {
                        Tensor h = b.of(x, n, cols);
                        List<LinearOutput> lin = new ArrayList<>();
                        for (int l = 0; l < spec.layers(); l++) {
                            LinearOutput o = b.linear(h, params.get(2 * l), params.get(2 * l + 1), spec.activationOf(l));
                            lin.add(o);
                            h = o.output();
                        }
                        LossAndGradient lg = b.softmaxCrossEntropy(h, labels, Reduction.MEAN);
                        Tensor dy = lg.gradient();
                        LinearGradients[] grads = new LinearGradients[spec.layers()];
                        for (int l = spec.layers() - 1; l >= 0; l--) {
                            grads[l] = b.linearBackward(dy, lin.get(l), l > 0);
                            dy = grads[l].dx();
                        }
                        for (int l = 0; l < spec.layers(); l++) {
                            b.adamStep(params.get(2 * l), grads[l].dw(), m.get(2 * l), v.get(2 * l),
                                    new AdamConfig(LR, 0.9f, 0.999f, 1e-8f, 0f, false), step);
                            b.adamStep(params.get(2 * l + 1), grads[l].db(), m.get(2 * l + 1), v.get(2 * l + 1),
                                    AdamConfig.adam(LR), step);
                        }
                    }
                }
            }
            float[] out = new float[spec.parameterCount()];
            for (int l = 0; l < spec.layers(); l++) {
                float[] w = params.get(2 * l).toArray();
                System.arraycopy(w, 0, out, spec.weightOffset(l), w.length);
                float[] bias = params.get(2 * l + 1).toArray();
                System.arraycopy(bias, 0, out, spec.biasOffset(l), bias.length);
            }
            return out;
        }
    }
}
