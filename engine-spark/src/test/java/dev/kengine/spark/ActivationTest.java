package dev.kengine.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.Backend;
import dev.kengine.DType;
import dev.kengine.Engine;
import dev.kengine.Scope;
import dev.kengine.Tensor;
import dev.kengine.op.Activation;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Scoring (plain Java, no engine) evaluates every activation the estimator accepts as the engine's
 * fused linear op does, to float32 rounding; the estimator accepts exactly what the engine reads.
 */
class ActivationTest {
    /** Every kind of {@link Activation.Kind}, with and without a parameter where it takes one. */
    private static final String[] ALL = {"identity", "sigmoid", "tanh", "relu", "leaky_relu", "leaky_relu:0.2", "elu",
        "elu:0.5", "swish:1.5", "swish:-0.5", "silu", "softplus", "gelu", "gelu_tanh"};

    @Test
    void everyKindIsListed() {
        java.util.Set<Activation.Kind> covered = java.util.EnumSet.noneOf(Activation.Kind.class);
        for (String a : ALL) {
            covered.add(Activation.parse(a).kind());
        }
        assertEquals(java.util.EnumSet.allOf(Activation.Kind.class), covered);
    }

    @ParameterizedTest
    @ValueSource(strings = {"identity", "sigmoid", "tanh", "relu", "leaky_relu", "leaky_relu:0.2", "elu", "elu:0.5",
        "swish:1.5", "swish:-0.5", "silu", "softplus", "gelu", "gelu_tanh"})
    void scoringEqualsTheEngineForward(String activation) {
        NetworkSpec spec = new NetworkSpec(7, new int[] {6, 5, 3}, activation, DType.FLOAT32);
        SplittableRandom r = new SplittableRandom(activation.hashCode());
        float[] p = new float[spec.parameterCount()];
        for (int i = 0; i < p.length; i++) {
            p[i] = (float) r.nextDouble(-1, 1);
        }
        int rows = 64;
        float[] x = new float[rows * spec.inputs()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextDouble(-4, 4);
        }
        float[] engine = engineForward(spec, p, x, rows);
        double worst = 0;
        for (int row = 0; row < rows; row++) {
            double[] features = new double[spec.inputs()];
            for (int j = 0; j < features.length; j++) {
                features[j] = x[row * spec.inputs() + j];
            }
            double[] plain = PlainMath.logits(spec, p, features);
            for (int c = 0; c < plain.length; c++) {
                double e = engine[row * spec.classes() + c];
                worst = Math.max(worst, Math.abs(plain[c] - e) / Math.max(1.0, Math.abs(e)));
            }
        }
        assertTrue(worst <= 1e-5, activation + ": scores differ from the engine's by " + worst);
    }

    @Test
    void limitsAtInfinityAndNaN() {
        for (String a : ALL) {
            Activation act = Activation.parse(a);
            assertTrue(Float.isNaN(PlainMath.activate(act, Float.NaN)), a + "(NaN)");
            assertTrue(!Float.isNaN(PlainMath.activate(act, Float.POSITIVE_INFINITY)), a + "(+inf)");
            assertTrue(!Float.isNaN(PlainMath.activate(act, Float.NEGATIVE_INFINITY)), a + "(-inf)");
        }
        assertEquals(0f, PlainMath.activate(Activation.GELU, Float.NEGATIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, PlainMath.activate(Activation.GELU, Float.POSITIVE_INFINITY));
        assertEquals(0f, PlainMath.activate(Activation.SILU, Float.NEGATIVE_INFINITY));
        assertEquals(Float.NEGATIVE_INFINITY, PlainMath.activate(Activation.swish(-0.5f), Float.NEGATIVE_INFINITY));
    }

    @Test
    void theEstimatorAcceptsWhatTheEngineReadsAndNamesTheRest() {
        for (String a : ALL) {
            KengineMlpClassifier c = new KengineMlpClassifier().setActivation(a);
            assertEquals(a, c.getOrDefault(c.activation()));
        }
        Exception e = assertThrows(IllegalArgumentException.class, () -> new KengineMlpClassifier().setActivation("mish"));
        assertTrue(e.getMessage().contains("activation"), e.getMessage());
        Exception spec = assertThrows(IllegalArgumentException.class,
                () -> new NetworkSpec(3, new int[] {2}, "mish", DType.FLOAT32));
        assertTrue(spec.getMessage().contains("gelu") && spec.getMessage().contains("'mish'"), spec.getMessage());
    }

    @Test
    void aGeluModelTrainedOnSparkScoresAsTheEngine() {
        SparkSession spark = SparkTestSession.get();
        Dataset<Row> d = spark.createDataFrame(JavaSparkContext.fromSparkContext(spark.sparkContext())
                .parallelize(Digits.rows().subList(0, 300), 2), Digits.SCHEMA);
        KengineMlpClassificationModel model = new KengineMlpClassifier().setHiddenLayers(16).setActivation("gelu")
                .setLearningRate(0.01f).setBatchSize(64).setEpochs(2).setSeed(5).setBackend("cpu").fit(d);
        List<Row> scored = model.transform(d).select("features", "rawPrediction").limit(20).collectAsList();
        NetworkSpec spec = model.network();
        float[] x = new float[scored.size() * spec.inputs()];
        for (int i = 0; i < scored.size(); i++) {
            double[] f = ((Vector) scored.get(i).get(0)).toArray();
            for (int j = 0; j < f.length; j++) {
                x[i * spec.inputs() + j] = (float) f[j];
            }
        }
        float[] engine = engineForward(spec, model.parameters(), x, scored.size());
        for (int i = 0; i < scored.size(); i++) {
            double[] raw = ((Vector) scored.get(i).get(1)).toArray();
            for (int c = 0; c < raw.length; c++) {
                double e = engine[i * spec.classes() + c];
                assertEquals(e, raw[c], 1e-5 * Math.max(1, Math.abs(e)), "row " + i + " class " + c);
            }
        }
    }

    /** The logits of {@code rows} rows by the CPU engine's fused linear op, layer by layer. */
    private static float[] engineForward(NetworkSpec spec, float[] p, float[] x, int rows) {
        try (Backend b = Engine.open("cpu", Map.of("threads", "1", "simd", "true")); Scope scope = Scope.open()) {
            Tensor h = b.of(x, rows, spec.inputs());
            for (int l = 0; l < spec.layers(); l++) {
                float[] w = new float[spec.in(l) * spec.out(l)];
                System.arraycopy(p, spec.weightOffset(l), w, 0, w.length);
                float[] bias = new float[spec.out(l)];
                System.arraycopy(p, spec.biasOffset(l), bias, 0, bias.length);
                h = b.linear(h, b.of(w, spec.in(l), spec.out(l)), b.of(bias, spec.out(l)), spec.activationOf(l)).output();
            }
            return h.toArray();
        }
    }
}
