package dev.kengine.spark;

import java.io.Serializable;
import java.util.TreeSet;

/**
 * What a training step's tasks send back, summed up the aggregation tree: the gradient of the loss of
 * their rows (already divided by the global batch size), the summed loss, how many rows, how long the
 * engine computed, which backend each task used and the dtypes its engine computed in. A task whose shard has no row of the batch sends
 * no gradient ({@code gradient == null}).
 */
final class GradientSum implements Serializable {
    float[] gradient;
    double loss;
    long rows;
    long computeNanosTotal;
    long computeNanosMax;
    int tasks;
    TreeSet<String> backends = new TreeSet<>();
    /** The dtypes of the tensors the tasks' engines computed: each layer's output and weight gradient. */
    TreeSet<String> dtypes = new TreeSet<>();

    /** Adds {@code other} into this one; returns this. */
    GradientSum merge(GradientSum other) {
        if (other.gradient != null) {
            if (gradient == null) {
                gradient = other.gradient.clone();
            } else {
                float[] g = gradient;
                float[] o = other.gradient;
                for (int i = 0; i < g.length; i++) {
                    g[i] += o[i];
                }
            }
        }
        loss += other.loss;
        rows += other.rows;
        computeNanosTotal += other.computeNanosTotal;
        computeNanosMax = Math.max(computeNanosMax, other.computeNanosMax);
        tasks += other.tasks;
        backends.addAll(other.backends);
        dtypes.addAll(other.dtypes);
        return this;
    }
}
