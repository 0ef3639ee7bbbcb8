package dev.kengine.spark;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** Every kind of bad training data fails with a message that names the column and, for a bad row, the row. */
class BadInputTest {
    private static KengineMlpClassifier classifier() {
        return new KengineMlpClassifier().setHiddenLayers(4).setEpochs(1).setBatchSize(4).setBackend("cpu");
    }

    private static Dataset<Row> frame(List<Row> rows, StructType schema, int partitions) {
        SparkSession spark = SparkTestSession.get();
        return spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(rows, partitions), schema);
    }

    private static List<Row> good(int n) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rows.add(RowFactory.create(Vectors.dense(i, 1.0 - i, 0.5), i % 3));
        }
        return rows;
    }

    private static void assertMessage(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' does not mention '" + p + "'");
        }
    }

    @Test
    void missingFeaturesColumn() {
        Dataset<Row> d = frame(good(6), Digits.SCHEMA, 2).withColumnRenamed("features", "pixels");
        assertMessage(assertThrows(InvalidDataException.class, () -> classifier().fit(d)), "'features'", "does not exist", "pixels");
    }

    @Test
    void featuresThatAreNotVectors() {
        StructType schema = new StructType().add("features", DataTypes.DoubleType).add("label", DataTypes.IntegerType);
        Dataset<Row> d = frame(List.of(RowFactory.create(1.0, 0), RowFactory.create(2.0, 1)), schema, 1);
        assertMessage(assertThrows(InvalidDataException.class, () -> classifier().fit(d)), "'features'", "vectors", "double");
    }

    @Test
    void labelOutsideTheClasses() {
        List<Row> rows = good(10);
        rows.set(7, RowFactory.create(Vectors.dense(1, 2, 3), 12));
        Dataset<Row> d = frame(rows, Digits.SCHEMA, 2);
        assertMessage(assertThrows(InvalidDataException.class, () -> classifier().setNumClasses(3).fit(d)),
                "row 7", "'label'", "12.0", "[0, 3)");
        List<Row> negative = good(10);
        negative.set(2, RowFactory.create(Vectors.dense(1, 2, 3), -1));
        Dataset<Row> n = frame(negative, Digits.SCHEMA, 2);
        assertMessage(assertThrows(InvalidDataException.class, () -> classifier().fit(n)), "row 2", "'label'", "-1.0");
    }

    @Test
    void inconsistentFeatureLengths() {
        List<Row> rows = good(10);
        rows.set(8, RowFactory.create(Vectors.dense(1, 2), 1));
        Dataset<Row> d = frame(rows, Digits.SCHEMA, 3);
        assertMessage(assertThrows(InvalidDataException.class, () -> classifier().fit(d)),
                "row 8", "'features'", "2 values", "row 0 has 3");
    }

    @Test
    void labelsThatMakeTooManyClasses() {
        List<Row> rows = good(10);
        rows.set(4, RowFactory.create(Vectors.dense(1, 2, 3), Integer.MAX_VALUE));
        Dataset<Row> d = frame(rows, Digits.SCHEMA, 2);
        assertMessage(assertThrows(InvalidDataException.class, () -> classifier().fit(d)), "2147483647", "numClasses");
        List<Row> sparse = good(10);
        sparse.set(4, RowFactory.create(Vectors.dense(1, 2, 3), 1_000_000_000));
        Dataset<Row> s = frame(sparse, Digits.SCHEMA, 2);
        // 4·(10⁹ + 1) + 10⁹ + 1 parameters in the last layer: more than one flat float array holds.
        assertMessage(assertThrows(IllegalArgumentException.class, () -> classifier().fit(s)), "parameters", "at most");
    }

    @Test
    void emptyDataset() {
        Dataset<Row> d = frame(List.of(), Digits.SCHEMA, 2);
        assertMessage(assertThrows(InvalidDataException.class, () -> classifier().fit(d)), "empty");
    }
}
