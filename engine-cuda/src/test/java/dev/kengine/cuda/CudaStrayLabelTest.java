package dev.kengine.cuda;

import dev.kengine.conformance.StrayLabels;
import dev.kengine.spi.BackendDriver;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The CUDA softmax cross-entropy kernels with a labels tensor that changed after the facade checked it: a label
 * outside the row is never read or written through, and its row comes out NaN (k_stray_label; {@link StrayLabels}),
 * in every kernel shape: a warp per row, a block per row with the row in registers, the streaming block, and the
 * shared text's block.
 */
class CudaStrayLabelTest {

    @BeforeAll
    static void requireCuda() {
        CudaAvailable.assumeAvailable(CudaStrayLabelTest.class.getSimpleName());
    }

    @ParameterizedTest(name = "{0} kernels, {1} columns")
    @CsvSource({"tuned, 37", "tuned, 2000", "tuned, 20000", "shared, 37", "shared, 2000"})
    void aStrayLabelMakesItsRowNaNAndTouchesNothingElse(String kernels, int cols) {
        try (BackendDriver d = new CudaProvider().open(Map.of("kernels", kernels))) {
            StrayLabels.assertContained(d, cols);
        }
    }
}
