package dev.kengine.spark;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * The training rows packed into one {@link Shard} per partition, cached, and checked: every error
 * names the column and, for a bad row, the row's index in the data set (0-based, in partition order).
 *
 * @param shards   one shard per partition, persisted
 * @param rows     number of rows
 * @param columns  features per row
 * @param classes  number of classes
 */
record TrainingData(JavaRDD<Shard> shards, long rows, int columns, int classes) {

    /** Checks that {@code schema} has a vector column {@code features} and a numeric column {@code label}. */
    static void checkSchema(StructType schema, String features, String label) {
        List<String> names = List.of(schema.fieldNames());
        if (!names.contains(features)) {
            throw new InvalidDataException("the features column '" + features + "' does not exist; the columns are " + names);
        }
        DataType ft = schema.apply(features).dataType();
        if (!(ft instanceof VectorUDT)) {
            throw new InvalidDataException("the features column '" + features + "' must hold vectors (VectorUDT, e.g. from a"
                    + " VectorAssembler), but it holds " + ft.simpleString());
        }
        if (!names.contains(label)) {
            throw new InvalidDataException("the label column '" + label + "' does not exist; the columns are " + names);
        }
        StructField lf = schema.apply(label);
        if (!(lf.dataType() instanceof NumericType)) {
            throw new InvalidDataException("the label column '" + label + "' must be numeric (class indices 0, 1, ...), but it holds "
                    + lf.dataType().simpleString());
        }
    }

    /**
     * Packs and checks {@code data}; {@code classes} is the number of classes, or 0 to take the
     * largest label plus one.
     */
    static TrainingData of(Dataset<?> data, String features, String label, int classes) {
        checkSchema(data.schema(), features, label);
        Dataset<Row> rows = data.select(data.col(features), data.col(label).cast("double"));
        List<Row> first = rows.limit(1).collectAsList();
        if (first.isEmpty()) {
            throw new InvalidDataException("the training data set is empty: there is no row to learn from");
        }
        if (first.get(0).isNullAt(0)) {
            throw new InvalidDataException("row 0: the features column '" + features + "' is null");
        }
        int columns = ((Vector) first.get(0).get(0)).size();
        if (columns < 1) {
            throw new InvalidDataException("row 0: the features column '" + features + "' holds an empty vector");
        }
        JavaRDD<Shard> shards = rows.toJavaRDD().zipWithIndex()
                .mapPartitionsWithIndex((partition, it) -> List.of(pack(partition, it, features, label, columns, classes)).iterator(), true);
        shards.persist(StorageLevel.MEMORY_AND_DISK());
        List<double[]> stats;
        try {
            stats = shards.map(s -> {
                double max = -1;
                double at = -1;
                for (int i = 0; i < s.rows(); i++) {
                    if (s.labels()[i] > max) {
                        max = s.labels()[i];
                        at = s.first() + i;
                    }
                }
                return new double[] {s.rows(), max, at};
            }).collect();
        } catch (Exception e) { // SparkException, checked but undeclared
            shards.unpersist(false);
            throw unwrap(e);
        }
        long n = 0;
        int max = -1;
        for (double[] s : stats) {
            n += (long) s[0];
            max = Math.max(max, (int) s[1]);
        }
        if (n > Integer.MAX_VALUE) {
            shards.unpersist(false);
            throw new InvalidDataException("the training data set has " + n + " rows; at most " + Integer.MAX_VALUE + " are supported");
        }
        if (classes <= 0 && (long) max + 1 > Integer.MAX_VALUE) {
            shards.unpersist(false);
            throw new InvalidDataException("the largest label, " + max + ", would make " + ((long) max + 1)
                    + " classes; re-index the labels from 0 or set numClasses");
        }
        int k = classes > 0 ? classes : Math.max(2, max + 1);
        return new TrainingData(shards, n, columns, k);
    }

    private static Shard pack(int partition, Iterator<Tuple2<Row, Long>> it, String features, String label, int columns,
                              int classes) {
        List<float[]> xs = new ArrayList<>();
        List<Integer> ys = new ArrayList<>();
        long first = -1;
        while (it.hasNext()) {
            Tuple2<Row, Long> t = it.next();
            Row r = t._1();
            long index = t._2();
            if (first < 0) {
                first = index;
            }
            if (r.isNullAt(0)) {
                throw new InvalidDataException("row " + index + ": the features column '" + features + "' is null");
            }
            Vector v = (Vector) r.get(0);
            if (v.size() != columns) {
                throw new InvalidDataException("row " + index + ": the features column '" + features + "' has " + v.size()
                        + " values, but row 0 has " + columns + "; every row needs the same number of features");
            }
            if (r.isNullAt(1)) {
                throw new InvalidDataException("row " + index + ": the label column '" + label + "' is null");
            }
            double y = r.getDouble(1);
            if (!(y >= 0) || y != Math.rint(y) || (classes > 0 && y >= classes) || y > Integer.MAX_VALUE) {
                throw new InvalidDataException("row " + index + ": the label column '" + label + "' holds " + y
                        + ", outside the classes " + (classes > 0 ? "[0, " + classes + ")" : "0, 1, 2, ...")
                        + "; labels must be integer class indices");
            }
            float[] x = new float[columns];
            for (int j = 0; j < columns; j++) {
                double value = v.apply(j);
                if (!Double.isFinite(value)) {
                    throw new InvalidDataException("row " + index + ": the features column '" + features + "' holds "
                            + value + " at position " + j + "; features must be finite");
                }
                x[j] = (float) value;
            }
            xs.add(x);
            ys.add((int) y);
        }
        float[] f = new float[xs.size() * columns];
        int[] l = new int[xs.size()];
        for (int i = 0; i < xs.size(); i++) {
            System.arraycopy(xs.get(i), 0, f, i * columns, columns);
            l[i] = ys.get(i);
        }
        return new Shard(partition, Math.max(first, 0), l.length, columns, f, l);
    }

    /** The {@link InvalidDataException} a task threw, out of Spark's wrapping; {@code e} if there is none. */
    static RuntimeException unwrap(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InvalidDataException d) {
                return new InvalidDataException(d.getMessage(), e);
            }
        }
        String m = e.getMessage();
        String tag = InvalidDataException.class.getName() + ": ";
        if (m != null && m.contains(tag)) {
            String rest = m.substring(m.indexOf(tag) + tag.length());
            int end = rest.indexOf('\n');
            return new InvalidDataException(end < 0 ? rest : rest.substring(0, end), e);
        }
        return e instanceof RuntimeException r ? r : new IllegalStateException(e.getMessage(), e);
    }
}
