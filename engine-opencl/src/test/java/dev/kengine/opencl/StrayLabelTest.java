package dev.kengine.opencl;

import dev.kengine.conformance.StrayLabels;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The softmax cross-entropy kernels with a labels tensor that changed after the facade checked it: a label outside
 * the row is never read or written through, and its row comes out NaN (k_stray_label; {@link StrayLabels}). Both
 * launch shapes: a work-item per row on CPU devices, a work-group per row on GPUs.
 */
class StrayLabelTest {

    @BeforeAll
    static void requireOpenCl() {
        OpenClAvailable.assumeAvailable(StrayLabelTest.class.getSimpleName());
    }

    @ParameterizedTest(name = "launch shape {0}, {1} columns")
    @CsvSource({"auto, 37", "auto, 2000", "grid-stride, 37", "grid-stride, 2000"})
    void aStrayLabelMakesItsRowNaNAndTouchesNothingElse(String shape, int cols) {
        try (OpenClDriver d = (OpenClDriver) new OpenClProvider().open(Map.of("shape", shape))) {
            StrayLabels.assertContained(d, cols);
        }
    }
}
