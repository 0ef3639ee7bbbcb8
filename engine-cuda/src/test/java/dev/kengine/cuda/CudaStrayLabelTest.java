package dev.kengine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kengine.DType;
import dev.kengine.op.Reduction;
import dev.kengine.spi.BackendDriver;
import dev.kengine.spi.Storage;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The CUDA softmax cross-entropy kernels with a labels tensor that changed after the facade checked it (another call
 * writing it meanwhile): a label outside the row must not be read or written through, and its row's loss and
 * gradient come out NaN (k_stray_label, in the shared text and in every CUDA-only kernel: one warp per row, a block
 * per row with the row in registers, the streaming block and the shared text's block). The driver is called directly
 * with a checked host copy and device labels that disagree with it.
 */
class CudaStrayLabelTest {

    @BeforeAll
    static void requireCuda() {
        CudaAvailable.assumeAvailable(CudaStrayLabelTest.class.getSimpleName());
    }

    @ParameterizedTest(name = "{0} kernels, {1} columns")
    @CsvSource({"tuned, 37", "tuned, 2000", "tuned, 20000", "shared, 37", "shared, 2000"})
    void aStrayLabelMakesItsRowNaNAndTouchesNothingElse(String kernels, int cols) {
        int rows = 4;
        float[] logits = new float[rows * cols];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) Math.sin(i * 0.37) * 3;
        }
        int[] checked = {1, 2, 3, cols - 1};
        int[] onDevice = {1, cols, -5, 1 << 28}; // rows 1-3 stray: just past the row, negative, far outside
        try (BackendDriver d = new CudaProvider().open(Map.of("kernels", kernels))) {
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
            d.read(sl, 0, MemorySegment.ofArray(back), back.length);
            assertEquals(java.util.Arrays.toString(logits), java.util.Arrays.toString(back), "the logits, untouched");
            for (Storage s : new Storage[] {sl, slab, loss, grad}) {
                s.release();
            }
        }
    }
}
