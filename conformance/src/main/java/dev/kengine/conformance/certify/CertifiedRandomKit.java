package dev.kengine.conformance.certify;

import dev.kengine.Backend;
import dev.kengine.Engine;
import dev.kengine.conformance.CrossBackendRandomKit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Dropout masks and initial values of the backend the command names against the reference backend,
 * bit for bit. A check whose op the backend lacks is skipped with the backend's reason; one whose op it declares and
 * then does not run fails.
 */
@DisplayName("random numbers against the reference backend")
@ExtendWith({KitRun.TargetInjector.class, KitRun.UnsupportedIsSkipped.class})
class CertifiedRandomKit extends CrossBackendRandomKit {
    KitRun.Target target;
    /** The backend under test once opened: a check that finds a declared op unsupported fails, not skips. */
    Backend tested;

    @Override
    protected Backend openBackend() {
        tested = Engine.open(target.backend(), target.options());
        return tested;
    }

    @Override
    protected Backend openReference() {
        return Engine.open(target.reference(), target.referenceOptions());
    }
}
