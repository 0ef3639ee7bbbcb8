package dev.kengine.conformance.naive;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.conformance.BackendConformanceKit;
import java.util.Map;

/** The kit against a backend lacking PReLU and Adam: those cases must be reported skipped, not passed. */
class NaivePartialConformanceTest extends BackendConformanceKit {
    @Override
    protected Backend openBackend() {
        return Engine.open("naive", Map.of("without", "PRELU,PRELU_BACKWARD,ADAM_STEP"));
    }
}
