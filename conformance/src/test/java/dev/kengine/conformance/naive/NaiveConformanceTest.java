package dev.kengine.conformance.naive;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.conformance.BackendConformanceKit;
import java.util.Map;

/** The kit against the naive reference backend: the kit's own end-to-end self-test. */
class NaiveConformanceTest extends BackendConformanceKit {
    @Override
    protected Backend openBackend() {
        return Engine.open("naive", Map.of());
    }
}
