package dev.kengine.spark;

import dev.kengine.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.ml.classification.ProbabilisticClassificationModel;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A trained kengine multi-layer perceptron: predicts the class ({@code predictionCol}), its
 * probabilities ({@code probabilityCol}, the softmax of the scores) and the raw class scores
 * ({@code rawPredictionCol}). Scoring is plain float32 Java inside the Spark transformation, so
 * an executor needs no engine to apply a model. Saved with {@link #write()} as Spark ML metadata
 * plus one parquet row per layer, and read back with {@link #load(String)}, also inside a Pipeline.
 */
public final class KengineMlpClassificationModel
        extends ProbabilisticClassificationModel<Vector, KengineMlpClassificationModel> implements MLWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final NetworkSpec spec;
    private final float[] parameters;
    private transient TrainingSummary summary;

    KengineMlpClassificationModel(String uid, NetworkSpec spec, float[] parameters) {
        // Before super(): the Scala superclasses create their params (featuresCol, ...) with this uid.
        this.uid = uid;
        super();
        this.spec = spec;
        this.parameters = parameters;
    }

    @Override
    public String uid() {
        return uid;
    }

    /** The network's shape: features, layer units, hidden activation and training precision. */
    public NetworkSpec network() {
        return spec;
    }

    /** A copy of the parameters, flat: W0 ([in, out] row-major), b0, W1, b1, ... */
    public float[] parameters() {
        return parameters.clone();
    }

    /** What training measured: loss, compute and communication time and bytes of every step; null for a loaded model. */
    public TrainingSummary summary() {
        return summary;
    }

    void setSummary(TrainingSummary summary) {
        this.summary = summary;
    }

    @Override
    public int numClasses() {
        return spec.classes();
    }

    @Override
    public int numFeatures() {
        return spec.inputs();
    }

    @Override
    public Vector predictRaw(Vector features) {
        if (features.size() != spec.inputs()) {
            throw new IllegalArgumentException("the model takes " + spec.inputs() + " features, this row has " + features.size());
        }
        return Vectors.dense(PlainMath.logits(spec, parameters, features.toArray()));
    }

    @Override
    public Vector raw2probabilityInPlace(Vector raw) {
        if (raw instanceof DenseVector d) {
            double[] p = PlainMath.softmax(d.values());
            System.arraycopy(p, 0, d.values(), 0, p.length);
            return d;
        }
        return Vectors.dense(PlainMath.softmax(raw.toArray()));
    }

    @Override
    public KengineMlpClassificationModel copy(ParamMap extra) {
        KengineMlpClassificationModel m = copyValues(new KengineMlpClassificationModel(uid, spec, parameters), extra);
        m.summary = summary;
        return m.setParent(parent());
    }

    /**
     * Spark's training-summary helper, declared by two Scala superclasses with different return types;
     * Java must choose. This model keeps its own {@link #summary()}: the helper returns the
     * probabilistic view of this model, as Spark's own classifiers do.
     */
    @Override
    @SuppressWarnings("rawtypes")
    public scala.Tuple3 findSummaryModel() {
        return super.findSummaryModel();
    }

    @Override
    public MLWriter write() {
        return new Writer(this);
    }

    public static MLReader<KengineMlpClassificationModel> read() {
        return new Reader();
    }

    public static KengineMlpClassificationModel load(String path) {
        return read().load(path);
    }

    @Override
    public String toString() {
        return "KengineMlpClassificationModel: uid=" + uid + ", network " + spec;
    }

    private static final StructType LAYER_SCHEMA = new StructType()
            .add("layer", DataTypes.IntegerType, false)
            .add("inputs", DataTypes.IntegerType, false)
            .add("outputs", DataTypes.IntegerType, false)
            .add("activation", DataTypes.StringType, false)
            .add("precision", DataTypes.StringType, false)
            .add("weights", DataTypes.createArrayType(DataTypes.FloatType, false), false)
            .add("bias", DataTypes.createArrayType(DataTypes.FloatType, false), false);

    private static final class Writer extends MLWriter {
        private final KengineMlpClassificationModel model;

        Writer(KengineMlpClassificationModel model) {
            this.model = model;
        }

        @Override
        public void saveImpl(String path) {
            SparkSession spark = sparkSession();
            DefaultParamsWriter.saveMetadata(model, path, spark);
            NetworkSpec s = model.spec;
            List<Row> rows = new ArrayList<>();
            for (int l = 0; l < s.layers(); l++) {
                float[] w = new float[s.in(l) * s.out(l)];
                System.arraycopy(model.parameters, s.weightOffset(l), w, 0, w.length);
                float[] b = new float[s.out(l)];
                System.arraycopy(model.parameters, s.biasOffset(l), b, 0, b.length);
                rows.add(RowFactory.create(l, s.in(l), s.out(l), s.activation(), s.precision().name(), boxed(w), boxed(b)));
            }
            spark.createDataFrame(rows, LAYER_SCHEMA).repartition(1).write().parquet(path + "/data");
        }

        private static Float[] boxed(float[] a) {
            Float[] o = new Float[a.length];
            for (int i = 0; i < a.length; i++) {
                o[i] = a[i];
            }
            return o;
        }
    }

    private static final class Reader extends MLReader<KengineMlpClassificationModel> {
        @Override
        public KengineMlpClassificationModel load(String path) {
            SparkSession spark = sparkSession();
            DefaultParamsReader.Metadata metadata = DefaultParamsReader.loadMetadata(path, spark,
                    KengineMlpClassificationModel.class.getName());
            Dataset<Row> data = spark.read().parquet(path + "/data").orderBy("layer");
            List<Row> rows = data.collectAsList();
            if (rows.isEmpty()) {
                throw new IllegalArgumentException("no layers in " + path + "/data");
            }
            int inputs = rows.get(0).getInt(1);
            int[] units = new int[rows.size()];
            for (int l = 0; l < units.length; l++) {
                units[l] = rows.get(l).getInt(2);
            }
            NetworkSpec spec = new NetworkSpec(inputs, units, rows.get(0).getString(3),
                    DType.valueOf(rows.get(0).getString(4).toUpperCase(Locale.ROOT)));
            float[] p = new float[spec.parameterCount()];
            for (int l = 0; l < units.length; l++) {
                List<Float> w = rows.get(l).getList(5);
                List<Float> b = rows.get(l).getList(6);
                for (int i = 0; i < w.size(); i++) {
                    p[spec.weightOffset(l) + i] = w.get(i);
                }
                for (int i = 0; i < b.size(); i++) {
                    p[spec.biasOffset(l) + i] = b.get(i);
                }
            }
            KengineMlpClassificationModel model = new KengineMlpClassificationModel(metadata.uid(), spec, p);
            metadata.getAndSetParams(model, scala.Option.empty());
            return model;
        }
    }
}
