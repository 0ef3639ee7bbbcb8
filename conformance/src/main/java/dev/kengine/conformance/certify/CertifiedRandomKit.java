package dev.kengine.conformance.certify;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.conformance.CrossBackendRandomKit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Dropout masks and initial values of the backend the command names against the reference backend,
 * bit for bit. A check whose op the backend lacks is skipped with the backend's reason.
 */
@DisplayName("random numbers against the reference backend")
@ExtendWith({KitRun.TargetInjector.class, KitRun.UnsupportedIsSkipped.class})
class CertifiedRandomKit extends CrossBackendRandomKit {
    KitRun.Target target;

    @Override
    protected Backend openBackend() {
        return Engine.open(target.backend(), target.options());
    }

    @Override
    protected Backend openReference() {
        return Engine.open(target.reference(), target.referenceOptions());
    }
}
