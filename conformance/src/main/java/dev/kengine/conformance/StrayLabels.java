package dev.kengine.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.DType;
import dev.kengine.op.Reduction;
import dev.kengine.spi.BackendDriver;
import dev.kengine.spi.Storage;
import java.lang.foreign.MemorySegment;

/**
 * A driver-level check for device backends whose softmax cross-entropy reads an INT32 labels tensor where it lies. The
 * facade checks every label on the host before the launch, but another call may write the tensor in between: a kernel
 * must then read and write nothing outside the label's row (the engine's kernels take column 0 in its place) and give
 * that row a NaN loss and gradient. The facade's check cannot be raced deterministically, so this calls the driver
 * directly with a checked host copy and device labels that disagree with it.
 */
public final class StrayLabels {
    private StrayLabels() {}

    /**
     * Runs the cross-entropy on {@code driver} over 4 rows of {@code cols} logits whose device labels are, from the
     * second row on, just past the row, negative and far outside it, and asserts: the summed loss is NaN, those rows'
     * gradients are NaN, the first row's gradient is softmax minus its one-hot label, and the logits are unchanged.
     * Frees what it allocated.
     *
     * @param driver an open driver of a backend that stores INT32
     * @param cols the classes, at least 2: pick values that reach each of the driver's kernel shapes
     * @throws org.opentest4j.AssertionFailedError where the driver reads or writes through a stray label
     */
    public static void assertContained(BackendDriver driver, int cols) {
        int rows = 4;
        float[] logits = new float[rows * cols];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) Math.sin(i * 0.37) * 3;
        }
        int[] checked = {1, 0, 1, cols - 1};
        int[] onDevice = {1, cols, -5, 1 << 28};
        Storage sl = driver.allocate(logits.length);
        Storage slab = driver.allocate(rows, DType.INT32);
        Storage loss = driver.allocate(1);
        Storage grad = driver.allocate(logits.length);
        try {
            driver.write(sl, 0, MemorySegment.ofArray(logits), logits.length);
            driver.write(slab, 0, MemorySegment.ofArray(onDevice), rows);
            driver.softmaxCrossEntropy(sl, slab, checked, Reduction.SUM, loss, grad, rows, cols);
            float[] l = new float[1];
            float[] g = new float[logits.length];
            driver.read(loss, 0, MemorySegment.ofArray(l), 1);
            driver.read(grad, 0, MemorySegment.ofArray(g), g.length);
            assertTrue(Float.isNaN(l[0]), "the loss over rows with stray labels: " + l[0]);
            for (int r = 1; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    assertTrue(Float.isNaN(g[r * cols + c]), "row " + r + " column " + c + ": " + g[r * cols + c]);
                }
            }
            // The first row's label is in range: its gradient is softmax minus the one-hot, as ever.
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, logits[c]);
            }
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                sum += Math.exp(logits[c] - max);
            }
            for (int c = 0; c < cols; c++) {
                double want = Math.exp(logits[c] - max) / sum - (c == 1 ? 1 : 0);
                assertEquals(want, g[c], 1e-6, "row 0 column " + c);
            }
            float[] back = new float[logits.length];
            driver.read(sl, 0, MemorySegment.ofArray(back), back.length);
            assertEquals(java.util.Arrays.toString(logits), java.util.Arrays.toString(back), "the logits, untouched");
        } finally {
            for (Storage s : new Storage[] {sl, slab, loss, grad}) {
                s.release();
            }
        }
    }
}
