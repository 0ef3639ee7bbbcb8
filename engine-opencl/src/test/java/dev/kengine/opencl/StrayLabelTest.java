package dev.kengine.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.DType;
import dev.kengine.op.Reduction;
import dev.kengine.spi.Storage;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The softmax cross-entropy kernels with a label tensor that changed after the facade checked it (another call
 * writing it meanwhile): a label outside the row must not be read or written through, and its row's loss and
 * gradient come out NaN (k_stray_label). The facade's check cannot be raced deterministically, so the driver is
 * called directly with a checked host copy and device labels that disagree with it.
 */
class StrayLabelTest {

    @BeforeAll
    static void requireOpenCl() {
        OpenClAvailable.assumeAvailable(StrayLabelTest.class.getSimpleName());
    }

    @ParameterizedTest(name = "launch shape {0}")
    @ValueSource(strings = {"auto", "grid-stride"})
    void aStrayLabelMakesItsRowNaNAndTouchesNothingElse(String shape) {
        int rows = 4;
        int cols = 37; // a tail after two 16-lane vectors
        float[] logits = new float[rows * cols];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) Math.sin(i * 0.37) * 3;
        }
        int[] checked = {1, 2, 3, 36};
        int[] onDevice = {1, cols, -5, 1 << 28}; // rows 1-3 stray: just past the row, negative, far outside
        try (OpenClDriver d = (OpenClDriver) new OpenClProvider().open(Map.of("shape", shape))) {
            Storage sl = d.allocate(logits.length);
            Storage slab = d.allocate(rows, DType.INT32);
            Storage loss = d.allocate(1);
            Storage grad = d.allocate(logits.length);
            d.write(sl, 0, MemorySegment.ofArray(logits), logits.length);
            d.write(slab, 0, MemorySegment.ofArray(onDevice), rows);
            d.softmaxCrossEntropy(sl, slab, checked, Reduction.SUM, loss, grad, rows, cols);
            float[] l = new float[1];
            float[] g = new float[logits.length];
            d.read(loss, 0, MemorySegment.ofArray(l), 1);
            d.read(grad, 0, MemorySegment.ofArray(g), g.length);
            assertTrue(Float.isNaN(l[0]), "the loss over rows with stray labels: " + l[0]);
            for (int r = 1; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    assertTrue(Float.isNaN(g[r * cols + c]), "row " + r + " column " + c + ": " + g[r * cols + c]);
                }
            }
            // Row 0's label is in range: its gradient is softmax minus the one-hot, as ever.
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
            // The logits, read by every row, are as they were.
            float[] back = new float[logits.length];
            d.read(sl, 0, MemorySegment.ofArray(back), back.length);
            assertEquals(java.util.Arrays.toString(logits), java.util.Arrays.toString(back));
            for (Storage s : new Storage[] {sl, slab, loss, grad}) {
                s.release();
            }
        }
    }
}
