package dev.kengine.examples.data;

import java.util.Arrays;

/**
 * A classification data set held on the host: {@code rows} samples of {@code columns} float
 * features, row-major, each with an integer label in {@code [0, classes)}. Training code gathers
 * mini-batches from it on the host and uploads them, so the sample order is decided here, in Java,
 * identically for every backend.
 */
public record Dataset(String name, float[] features, int rows, int columns, int[] labels, int classes) {

    public Dataset {
        if (rows < 1 || columns < 1) {
            throw new DataException(name + ": needs at least one sample and one feature, got " + rows + " x " + columns);
        }
        if (features.length != (long) rows * columns || labels.length != rows) {
            throw new IllegalArgumentException(name + ": " + features.length + " features and " + labels.length
                    + " labels do not make " + rows + " rows of " + columns);
        }
        if (classes < 2) {
            throw new DataException(name + ": needs at least 2 classes, got " + classes);
        }
        for (int i = 0; i < rows; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new DataException(name + ": label " + labels[i] + " of sample " + i + " is outside the classes 0.."
                        + (classes - 1));
            }
        }
    }

    /** The samples at {@code indices}, in that order. */
    public Dataset subset(String subsetName, int[] indices) {
        float[] x = new float[indices.length * columns];
        int[] y = new int[indices.length];
        gather(indices, 0, indices.length, x, y);
        return new Dataset(subsetName, x, indices.length, columns, y, classes);
    }

    /**
     * Copies the samples {@code order[from..to)} into {@code x} (row-major) and {@code y}, which
     * hold at least {@code to - from} rows.
     */
    public void gather(int[] order, int from, int to, float[] x, int[] y) {
        for (int r = 0; r < to - from; r++) {
            int i = order[from + r];
            System.arraycopy(features, i * columns, x, r * columns, columns);
            y[r] = labels[i];
        }
    }

    /** The feature value of sample {@code row}, column {@code column}. */
    public float feature(int row, int column) {
        return features[row * columns + column];
    }

    /** How many samples carry each label. */
    public int[] classCounts() {
        int[] counts = new int[classes];
        for (int label : labels) {
            counts[label]++;
        }
        return counts;
    }

    @Override
    public String toString() {
        return name + " (" + rows + " samples, " + columns + " features, " + classes + " classes "
                + Arrays.toString(classCounts()) + ")";
    }
}
