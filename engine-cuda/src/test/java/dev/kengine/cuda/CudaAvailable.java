package dev.kengine.cuda;

import dev.kengine.spi.Availability;
import org.junit.jupiter.api.Assumptions;

/** Skips the calling test class, loudly and with the probe's reason, when CUDA cannot run here. */
final class CudaAvailable {
    private CudaAvailable() {}

    static void assumeAvailable(String testClass) {
        Availability a = new CudaProvider().probe();
        if (!a.available()) {
            String msg = "*** " + testClass + " SKIPPED: CUDA backend unavailable: " + a.reason();
            System.err.println(msg);
            System.out.println(msg);
            Assumptions.abort(msg);
        }
    }
}
