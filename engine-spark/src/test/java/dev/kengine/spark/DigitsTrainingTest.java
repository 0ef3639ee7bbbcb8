package dev.kengine.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Digits trained on two local executors, in a Pipeline with a StandardScaler, then saved and loaded. */
class DigitsTrainingTest {
    @TempDir
    Path dir;

    @Test
    void digitsReachNinetySevenPercentAndSurviveSaveAndLoad() throws Exception {
        SparkSession spark = SparkTestSession.get();
        Dataset<Row>[] split = Digits.load(spark, 2).randomSplit(new double[] {0.8, 0.2}, 7);
        Dataset<Row> train = split[0].cache();
        Dataset<Row> test = split[1].cache();
        StandardScaler scaler = new StandardScaler().setInputCol("features").setOutputCol("scaled")
                .setWithMean(true).setWithStd(true);
        KengineMlpClassifier mlp = new KengineMlpClassifier().setFeaturesCol("scaled")
                .setHiddenLayers(128, 64).setActivation("relu").setOptimizer("adam").setLearningRate(0.002f)
                .setBatchSize(32).setEpochs(Integer.getInteger("kengine.spark.test.epochs", 12)).setSeed(3).setBackend("cpu");
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {scaler, mlp});
        long start = System.nanoTime();
        PipelineModel fitted = pipeline.fit(train);
        double seconds = (System.nanoTime() - start) / 1e9;
        KengineMlpClassificationModel model = (KengineMlpClassificationModel) fitted.stages()[1];
        TrainingSummary summary = model.summary();
        Dataset<Row> predicted = fitted.transform(test).cache();
        double accuracy = new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(predicted);
        System.out.printf("digits on local[2]: test accuracy %.4f after %d steps in %.1f s; %s%n",
                accuracy, summary.steps(), seconds, summary);
        assertTrue(accuracy >= 0.97, "test accuracy " + accuracy);
        assertEquals(2, summary.partitions());
        assertTrue(summary.backends().stream().allMatch(b -> b.startsWith("cpu")), summary.backends().toString());
        assertTrue(summary.taskResultBytes() > 0);

        // The standard columns, and the probabilities sum to one.
        Row first = predicted.select("prediction", "probability", "rawPrediction").first();
        Vector probability = first.getAs(1);
        double total = 0;
        for (double p : probability.toArray()) {
            total += p;
        }
        assertEquals(1.0, total, 1e-9);
        assertEquals(probability.argmax(), (int) first.getDouble(0));

        // Save and load the whole pipeline: the same predictions, bit for bit.
        String path = dir.resolve("pipeline").toString();
        fitted.write().overwrite().save(path);
        assertTrue(Files.isDirectory(dir.resolve("pipeline")));
        PipelineModel loaded = PipelineModel.load(path);
        List<Row> before = predicted.select("prediction", "probability", "rawPrediction").collectAsList();
        List<Row> after = loaded.transform(test).select("prediction", "probability", "rawPrediction").collectAsList();
        assertEquals(before.size(), after.size());
        for (int i = 0; i < before.size(); i++) {
            assertEquals(before.get(i).getDouble(0), after.get(i).getDouble(0));
            assertArrayEquals(((Vector) before.get(i).get(2)).toArray(), ((Vector) after.get(i).get(2)).toArray());
        }
        KengineMlpClassificationModel reloaded = (KengineMlpClassificationModel) loaded.stages()[1];
        assertArrayEquals(model.parameters(), reloaded.parameters());
        assertEquals(model.network(), reloaded.network());
        assertEquals("scaled", reloaded.getFeaturesCol());
    }
}
