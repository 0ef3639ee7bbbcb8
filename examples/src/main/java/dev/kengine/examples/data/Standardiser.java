package dev.kengine.examples.data;

/**
 * Per-feature standardisation x' = (x − mean) / std, with mean and std taken from the training set
 * only (so no information leaks from the test set). A constant feature (std 0, such as the
 * always-blank corner pixels of the digits) is only centred.
 */
public record Standardiser(float[] mean, float[] std) {

    public static Standardiser fit(Dataset data) {
        int n = data.rows();
        int d = data.columns();
        double[] sum = new double[d];
        double[] sumSq = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                double v = data.feature(i, j);
                sum[j] += v;
                sumSq[j] += v * v;
            }
        }
        float[] mean = new float[d];
        float[] std = new float[d];
        for (int j = 0; j < d; j++) {
            double m = sum[j] / n;
            double var = Math.max(0, sumSq[j] / n - m * m);
            mean[j] = (float) m;
            std[j] = var > 1e-12 ? (float) Math.sqrt(var) : 1f;
        }
        return new Standardiser(mean, std);
    }

    public Dataset apply(Dataset data) {
        float[] x = data.features().clone();
        int d = data.columns();
        for (int i = 0; i < x.length; i++) {
            int j = i % d;
            x[i] = (x[i] - mean[j]) / std[j];
        }
        return new Dataset(data.name(), x, data.rows(), d, data.labels(), data.classes());
    }
}
