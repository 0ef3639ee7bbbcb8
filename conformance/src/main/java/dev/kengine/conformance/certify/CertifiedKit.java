package dev.kengine.conformance.certify;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.conformance.BackendConformanceKit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The whole kit against the backend the command names: the JUnit subclass a backend author would
 * write, with the name and options taken from the run ({@link KitRun.Target}) instead of the source.
 */
@DisplayName("conformance kit")
@ExtendWith(KitRun.TargetInjector.class)
class CertifiedKit extends BackendConformanceKit {
    KitRun.Target target;

    @Override
    protected Backend openBackend() {
        return Engine.open(target.backend(), target.options());
    }
}
