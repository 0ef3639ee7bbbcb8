package dev.kengine.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/** What the Spark ML contract asks of the estimator beyond fitting: serialisable, immutable models, the caller's job group. */
class EstimatorContractTest {
    @Test
    void theEstimatorSerialisesWithItsValidators() throws Exception {
        KengineMlpClassifier c = new KengineMlpClassifier().setHiddenLayers(5, 3).setActivation("elu:0.5");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(c);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            KengineMlpClassifier back = (KengineMlpClassifier) in.readObject();
            assertArrayEquals(new int[] {5, 3}, (int[]) back.getOrDefault(back.hiddenLayers()));
            assertEquals("elu:0.5", back.getOrDefault(back.activation()));
            assertThrows(IllegalArgumentException.class, () -> back.setHiddenLayers(0));
        }
    }

    @Test
    void infiniteRatesAreRejectedWhenSet() {
        KengineMlpClassifier c = new KengineMlpClassifier();
        assertThrows(IllegalArgumentException.class, () -> c.setLearningRate(Float.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> c.setLearningRate(Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> c.setL2(Float.POSITIVE_INFINITY));
        c.setLearningRate(0.5f).setL2(0f);
    }

    @Test
    void aNetworkSpecsUnitsCannotBeChangedFromOutside() {
        NetworkSpec spec = new NetworkSpec(3, new int[] {3, 4, 2}, "relu", dev.kengine.DType.FLOAT32);
        spec.units()[1] = 1;
        assertArrayEquals(new int[] {3, 4, 2}, spec.units());
    }

    @Test
    void fittingRestoresTheCallersJobGroup() {
        SparkSession spark = SparkTestSession.get();
        SparkContext sc = spark.sparkContext();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            rows.add(RowFactory.create(Vectors.dense(i, 1.0 - i, 0.5), i % 3));
        }
        Dataset<Row> d = spark.createDataFrame(JavaSparkContext.fromSparkContext(sc).parallelize(rows, 2), Digits.SCHEMA);
        sc.setJobGroup("callers-group", "the caller's jobs", false);
        try {
            new KengineMlpClassifier().setHiddenLayers(4).setEpochs(1).setBatchSize(4).setBackend("cpu").fit(d);
            assertEquals("callers-group", sc.getLocalProperty("spark.jobGroup.id"));
            assertEquals("the caller's jobs", sc.getLocalProperty("spark.job.description"));
        } finally {
            sc.clearJobGroup();
        }
        new KengineMlpClassifier().setHiddenLayers(4).setEpochs(1).setBatchSize(4).setBackend("cpu").fit(d);
        assertNull(sc.getLocalProperty("spark.jobGroup.id"), "no group before, none after");
    }
}
