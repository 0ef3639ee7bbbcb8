package dev.kengine.spark;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** The 1,797 handwritten 8×8 digits bundled with this module (UCI, CC BY 4.0; see digits/ATTRIBUTION.md) as a DataFrame. */
public final class Digits {
    /** The schema: {@code features} (64 pixel intensities, 0-16) and {@code label} (0-9). */
    public static final StructType SCHEMA = new StructType()
            .add("features", SQLDataTypes.VectorType(), false)
            .add("label", DataTypes.IntegerType, false);

    private Digits() {}

    /** The rows, in file order. */
    public static List<Row> rows() {
        String resource = "/dev/kengine/spark/digits/digits.csv.gz";
        List<Row> rows = new ArrayList<>();
        try (InputStream in = Digits.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the digits data set is missing from the class path (" + resource + ")");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(in), StandardCharsets.UTF_8));
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (line.isBlank()) {
                    continue;
                }
                String[] f = line.split(",");
                double[] x = new double[f.length - 1];
                for (int i = 0; i < x.length; i++) {
                    x[i] = Double.parseDouble(f[i].trim());
                }
                rows.add(RowFactory.create(Vectors.dense(x), Integer.parseInt(f[f.length - 1].trim())));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the bundled digits", e);
        }
        return rows;
    }

    /** The digits as a DataFrame of {@code partitions} partitions, each a contiguous run of the file's rows. */
    public static Dataset<Row> load(SparkSession spark, int partitions) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        return spark.createDataFrame(jsc.parallelize(rows(), partitions), SCHEMA);
    }
}
